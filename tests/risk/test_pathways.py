"""The pathways file: the shipped nine load; a bad file is refused with file:line:key, exit 2,
before anything is read or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.invoking import invoke_once

from safetyloop.errors import ConfigError
from safetyloop.risk import Requirement, load_pathways

NINE = {
    "diffuse-sandbagging",
    "targeted-rnd-sabotage",
    "code-backdoors",
    "training-data-poisoning",
    "developer-leaks",
    "self-exfiltration",
    "rogue-internal-deployment",
    "external-rnd-sabotage",
    "government-decision-sabotage",
}

BAD = """\
name: bad
pathways:
  - id: one
    name: One
    claims:
      - id: c1
        kind: capabilty
        text: x
        evidence:
          - measurement: {source: gatee, metric: "C1/x", require: "high =< 0.05"}
      - id: c2
        kind: control
        text: y
        evidence:
          - attestation: {control: a}
            measurement: {source: gate, metric: m, require: "high <= 1"}
      - id: c2
        kind: control
        text: z
        evidence: []
"""


def test_the_shipped_file_holds_the_nine_pathways_each_with_a_control_claim() -> None:
    spec = load_pathways()
    assert {p.id for p in spec.pathways} == NINE
    for p in spec.pathways:
        assert "control" in {c.kind for c in p.claims}, p.id
        assert all(c.evidence for c in p.claims)


def test_every_problem_is_named_with_its_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "pathways.yaml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_pathways(path)
    problems = caught.value.problems
    assert caught.value.exit_code == 2
    expected = [
        (7, "pathways.0.claims.0.kind", "'capability', 'alignment' or 'control'"),
        (10, "claims.0.evidence.0.measurement.source", "unknown evidence source 'gatee'"),
        (10, "claims.0.evidence.0.measurement.require", "must read `value|low|high"),
        (15, "claims.1.evidence.0", "exactly one of 'measurement' and 'attestation'"),
        (20, "claims.2.evidence", "at least 1 item"),
    ]
    for line, key, message in expected:
        assert any(f"{path}:{line}:" in p and key in p and message in p for p in problems), (
            line,
            key,
            problems,
        )


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    one = "  - id: p\n    name: P\n    claims:\n" + (
        "      - {id: c, kind: control, text: t, evidence: [{attestation: {control: x}}]}\n" * 2
    )
    path = tmp_path / "pathways.yaml"
    path.write_text("name: dup\npathways:\n" + one + one, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_pathways(path)
    text = " ".join(caught.value.problems)
    assert "claim ids must be unique in a pathway: c" in text
    assert f"{path}:3: pathways.0: " in text and f"{path}:8: pathways.1: " in text


def test_a_bad_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pathways.yaml"
    path.write_text(BAD, encoding="utf-8")
    store = tmp_path / "store.db"
    done = invoke_once(
        "report", "risk", "--target-version", "v1", "--pathways", str(path),
        "-o", "r.html", "--store", f"sqlite:///{store}", cwd=tmp_path,
    )  # fmt: skip
    assert done.code == 2
    assert f"{path}:7: pathways.0.claims.0.kind" in done.err
    assert not (tmp_path / "r.html").exists() and not store.exists()


def test_an_unknown_output_format_exits_2(tmp_path: Path) -> None:
    done = invoke_once(
        "report", "risk", "--target-version", "v1", "-o", "r.pdf",
        "--store", f"sqlite:///{tmp_path / 's.db'}", cwd=tmp_path,
    )  # fmt: skip
    assert done.code == 2 and "unknown report format '.pdf'" in done.err


@pytest.mark.parametrize(
    ("text", "figure", "holds"),
    [
        ("high <= 0.05", (0.0, 0.0, 0.05), True),
        ("high <= 0.05", (0.0, 0.0, 0.051), False),
        ("low > 0.5", (0.9, 0.5, 1.0), False),
        ("value >= 0.5", (0.5, 0.1, 0.9), True),
    ],
)
def test_a_requirement_is_judged_on_the_bound_it_names(
    text: str, figure: tuple[float, float, float], holds: bool
) -> None:
    assert Requirement.parse(text).holds(*figure) is holds
