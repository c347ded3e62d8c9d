"""Every output format carries the same decision: reasons with rule ids, rates and lineage.

JSON is read back by machines, Markdown lands in a pull request, JUnit XML in CI, HTML in a
browser — so each must parse, lose nothing a reviewer needs, and never execute what a target
or a suite put in a name.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from tests.gate.gate_helpers import benign, decide, harmful, principle, ruled, unmeasured

from safetyloop.gate import OUTPUT_FORMATS, Decision, Status, output_formats, render

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def decision() -> Decision:
    """BLOCK on C1, WARN on H1 (straddle), C3 not measured, PASS on C6, C4 WARN."""
    result = decide(
        {
            "harmbench": harmful(compliance=20, refusal=80, category="cyber")
            + harmful(refusal=50, category="chemical"),
            "xstest-safe": benign(refusal=5, compliance=95),
        },
        principle("C1", threshold=0.05),
        principle(
            "H1",
            metric="over_refusal",
            suites=["xstest-safe"],
            threshold=0.1,
            enforcement="soft",
            max_error_rate=0.5,
        ),
        unmeasured("C3"),
        ruled("C4", "insufficient_evidence", enforcement="hard"),
        ruled("C6", "lineage"),
    )
    assert result.decision == Status.BLOCK
    assert {p.id: p.status for p in result.principles} == {
        "C1": Status.BLOCK,
        "H1": Status.WARN,
        "C3": Status.NOT_MEASURED,
        "C4": Status.WARN,
        "C6": Status.PASS,
    }
    return result


@pytest.fixture(scope="module")
def hostile() -> Decision:
    """A decision whose target and category names carry markup."""
    return decide(
        {"harmbench": harmful(compliance=10, refusal=90, category=SCRIPT)},
        principle("C1", threshold=0.05),
        ruled("C6", "lineage"),
        target_name=f"evil{SCRIPT}",
    )


def test_every_format_is_registered() -> None:
    assert set(output_formats()) >= {"json", "markdown", "junit", "html"}


class EntryPointDouble:
    """An installed `safetyloop.output_formats` entry point, as the registry sees one."""

    name, value = "status-only", "double:status_only"

    def load(self) -> object:
        return lambda decision: f"{decision.decision.value}\n"


def test_a_plugin_format_renders_through_the_one_path(decision: Decision) -> None:
    with OUTPUT_FORMATS.isolated(plugins=[EntryPointDouble()]):
        assert "status-only" in output_formats()
        assert render(decision, "status-only") == "BLOCK\n"
    assert "status-only" not in output_formats()


# --- JSON ----------------------------------------------------------------------------------


def test_json_round_trips_the_decision(decision: Decision) -> None:
    """Reading the JSON back gives the same decision, field for field."""
    body = json.loads(render(decision, "json"))
    assert Decision.model_validate(body) == decision
    assert body["decision"] == "BLOCK"
    assert body["run_id"] == decision.run_id


def test_json_lists_every_finding_with_its_rule(decision: Decision) -> None:
    body = json.loads(render(decision, "json"))
    found = {(f["principle"], f["rule"], f["status"]) for f in body["findings"]}
    assert found == {(f.principle, f.rule, f.status.value) for f in decision.findings}
    assert ("C1", "threshold", "BLOCK") in found
    assert ("H1", "insufficient-evidence", "WARN") in found
    assert ("C3", "not-measured", "BLOCK") in found
    assert ("C4", "insufficient-evidence", "WARN") in found
    assert ("C6", "lineage", "PASS") in found
    assert all(f["message"] for f in body["findings"])


def test_json_keeps_intervals_and_categories(decision: Decision) -> None:
    body = json.loads(render(decision, "json"))
    (c1,) = [p for p in body["principles"] if p["id"] == "C1"]
    criterion = c1["criteria"][0]
    assert criterion["low"] < criterion["rate"] < criterion["high"]
    assert {c["category"] for c in criterion["categories"]} == {"cyber", "chemical"}
    assert body["lineage"]["suite_versions"] == {
        "harmbench": "v-harmbench",
        "xstest-safe": "v-xstest-safe",
    }


# --- Markdown ------------------------------------------------------------------------------


def test_markdown_has_the_table_and_every_reason(decision: Decision) -> None:
    text = render(decision, "markdown")
    assert "## safetyloop gate: **BLOCK**" in text
    assert "| principle | status | metric | rate | interval | n | errors | limits |" in text
    rows = [line for line in text.splitlines() if line.startswith("| C") or line.startswith("| H")]
    assert len(rows) == len(decision.principles)
    (c1_row,) = [r for r in rows if r.startswith("| C1 ")]
    assert "BLOCK" in c1_row and "harmful_compliance" in c1_row
    assert "< 0.05, BLOCK ≥ 0.05" in c1_row
    (h1_row,) = [r for r in rows if r.startswith("| H1 ")]
    assert "< 0.1, never blocks" in h1_row  # soft, no block_at
    (c3_row,) = [r for r in rows if r.startswith("| C3 ")]
    assert "NOT MEASURED" in c3_row
    for f in decision.findings:
        assert f"`{f.principle}/{f.rule}` — {f.message}" in text
    assert decision.lineage["constitution_hash"] in text


# --- JUnit ---------------------------------------------------------------------------------


def test_junit_fails_block_and_not_measured_and_skips_warn(decision: Decision) -> None:
    """PASS passes, WARN is skipped with its reasons, BLOCK and NOT MEASURED fail."""
    root = ET.fromstring(render(decision, "junit").encode())
    assert root.tag == "testsuite"
    cases = {c.attrib["classname"].removeprefix("safetyloop."): c for c in root.findall("testcase")}
    assert len(cases) == len(decision.principles) == int(root.attrib["tests"])
    failed = {pid for pid, c in cases.items() if c.find("failure") is not None}
    skipped = {pid for pid, c in cases.items() if c.find("skipped") is not None}
    assert failed == {"C1", "C3"}
    assert skipped == {"H1", "C4"}
    assert (root.attrib["failures"], root.attrib["skipped"]) == ("2", "2")
    failure = cases["C1"].find("failure")
    assert failure is not None and "C1/threshold" in (failure.text or "")
    not_measured = cases["C3"].find("failure")
    assert not_measured is not None and not_measured.attrib["type"] == "NOT MEASURED"
    reason = cases["H1"].find("skipped")
    assert reason is not None and "insufficient-evidence: over_refusal" in reason.attrib["message"]
    assert cases["C6"].find("failure") is None and cases["C6"].find("skipped") is None


def test_junit_properties_carry_the_lineage(decision: Decision) -> None:
    root = ET.fromstring(render(decision, "junit").encode())
    props = {p.attrib["name"]: p.attrib["value"] for p in root.iter("property")}
    assert props["run_id"] == decision.run_id
    assert props["decision"] == "BLOCK"
    for key, value in decision.lineage.items():
        assert json.loads(props[key]) == value


def test_junit_without_block_has_no_failure() -> None:
    passing = decide({"harmbench": harmful(refusal=100)}, principle("C1", threshold=0.05))
    root = ET.fromstring(render(passing, "junit").encode())
    assert root.attrib["failures"] == "0"
    assert not list(root.iter("failure"))


# --- HTML ----------------------------------------------------------------------------------


def test_html_renders_status_table_and_reasons(decision: Decision) -> None:
    html = render(decision, "html")
    assert html.lstrip().startswith("<!doctype html>")
    assert '<span class="badge BLOCK">BLOCK</span>' in html
    for p in decision.principles:
        assert f"{p.id} {p.name}" in html
    assert "cyber" in html and "chemical" in html
    assert "C1/threshold" in html and "C3/not-measured" in html
    assert '<span class="badge NOT MEASURED">NOT MEASURED</span>' in html
    assert decision.lineage["constitution_hash"] in html


def test_html_escapes_names_from_targets_and_suites(hostile: Decision) -> None:
    """A category or target name is data: it must never become a live script tag."""
    html = render(hostile, "html")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "evil&lt;script&gt;" in html
