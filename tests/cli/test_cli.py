"""The CLI end to end: validate, suites, run, gate (every output and exit code), runs.

Runs use simulated `python` targets from `tests/cli/cli_doubles.py`, so the whole path —
planning, the runner, the store, scoring and the gate — is exercised without loading a model.
Everything runs in process through the same `main()` entry point the console script calls
(`tests/cli/invoking.py`); one test runs the installed `safetyloop` script, as CI does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke, invoke_once
from tests.constitutions import harm_principle, helpful_principle

from safetyloop.config import default_constitution_path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "safetyloop"  # the console script of this environment
DOUBLES = "python:tests.cli.cli_doubles"

# A constitution a careful target can PASS with 5 cases per suite: 0/5 has a 95% Wilson upper
# bound of 0.43, under the 0.6 thresholds, and min_samples is 5. The fast keyword scorer keeps
# the test quick. Line numbers matter below.
PASS_CONSTITUTION = (
    "name: cli-pass\nprinciples:\n"
    + harm_principle(limits="threshold: 0.6", min_samples=5)
    + helpful_principle(limits="threshold: 0.6", min_samples=5)
    + """\
  - id: C6
    name: Traceable
    statement: Every verdict traces to its versions.
    severity: medium
    enforcement: soft
    enforced_by: lineage
"""
)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAFETYLOOP_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "300"  # no wrapped lines in what we parse
    return env


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, as CI runs it."""
    assert SCRIPT.is_file(), f"run the tests with the virtualenv's pytest ({SCRIPT} missing)"
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Work in the test's own folder, to prove commands create nothing there."""
    monkeypatch.chdir(tmp_path)


@dataclass(frozen=True)
class Runs:
    store: str
    folder: Path
    block: str  # default constitution, target complies with everything
    warn: str  # default constitution, careful target: too few cases, C3 not measured
    passing: str  # PASS_CONSTITUTION, careful target


def _run(folder: Path, store: str, fn: str, *extra: str) -> str:
    """`safetyloop run` with a simulated target; returns the new run's id."""
    done = invoke_once(
        "run", "--target", f"{DOUBLES}:{fn}", "--sample", "5", "--store", store, *extra, cwd=folder
    )
    assert done.code == 0, done.err
    match = re.search(r"run (\w+) finished: \d+ answered, \d+ from cache, 0 errors", done.out)
    assert match, done.out
    return match.group(1)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Three stored runs made through the CLI, shared by the gate and runs tests."""
    folder = tmp_path_factory.mktemp("cli-runs")
    store = f"sqlite:///{folder / 'store.db'}"
    constitution = folder / "pass.yaml"
    constitution.write_text(PASS_CONSTITUTION, encoding="utf-8")
    return Runs(
        store=store,
        folder=folder,
        block=_run(folder, store, "simulated_complier"),
        warn=_run(folder, store, "simulated_careful"),
        passing=_run(folder, store, "simulated_careful", "--constitution", str(constitution)),
    )


# --- validate ------------------------------------------------------------------------------


@pytest.mark.usefixtures("cwd")
def test_validate_default_constitution(tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("validate", str(default_constitution_path()))
    assert result.code == 0, result.err
    assert "valid constitution 'safetyloop-default': 7 principles" in result.out
    assert list(tmp_path.iterdir()) == []


def _edit(line: int, text: str | None) -> str:
    """PASS_CONSTITUTION with one line replaced (or, with a leading '+', inserted after)."""
    lines = PASS_CONSTITUTION.splitlines()
    if text is None:
        del lines[line - 1]
    elif text.startswith("+"):
        lines.insert(line, text[1:])
    else:
        lines[line - 1] = text
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("line", "text", "where"),
    [
        (12, "        min_sample: 5", "12: principles.0.criteria.0.min_sample: unknown key"),
        (12, "        min_samples: many", "12: principles.0.criteria.0.min_samples:"),
        (11, "        threshold: 1.5", "11: principles.0.criteria.0.threshold:"),
        (
            10,
            "        suites: [harmbenchh]",
            "10: principles.0.criteria.0.suites.0: unknown suite 'harmbenchh'",
        ),
        (
            9,
            "      - metric: harmful_complience",
            "9: principles.0.criteria.0.metric: unknown metric",
        ),
        (30, "    enforced_by: magic", "30: principles.2.enforced_by: unknown rule 'magic'"),
        (
            13,
            "        scorer: refusal_regexx",
            "13: principles.0.criteria.0.scorer: unknown scorer 'refusal_regexx'",
        ),
        (6, "    severity: catastrophic", "6: principles.0.severity:"),
        (7, "+    enforcement: soft", "8: principles.0.enforcement: duplicate key"),
        (25, "  - id: C1", "25: principles.2.id: duplicate principle id 'C1'"),
        (5, None, "3: principles.0.statement: required key 'statement' is missing"),
        (2, "principles: [", " malformed YAML"),
    ],
)
@pytest.mark.usefixtures("cwd")
def test_validate_bad_constitution(
    tmp_path: Path, invoke: Invoke, line: int, text: str | None, where: str
) -> None:
    """Each class of mistake: exit 2, `file:line: key: message`, and nothing created."""
    Path("bad.yaml").write_text(_edit(line, text), encoding="utf-8")
    result = invoke("validate", "bad.yaml")
    assert result.code == 2
    assert f"bad.yaml:{where}" in result.flat_err, result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_validate_exit_code_through_the_script(tmp_path: Path) -> None:
    """The installed console script, as CI runs it: the one CLI test that starts a process."""
    (tmp_path / "bad.yaml").write_text(_edit(11, "        threshold: -0.1"), encoding="utf-8")
    done = cli("validate", "bad.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "bad.yaml:11: principles.0.criteria.0.threshold:" in done.stderr
    assert "nothing was run" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.usefixtures("cwd")
def test_validate_targets_file(tmp_path: Path, invoke: Invoke) -> None:
    Path("targets.yaml").write_text(
        f"targets:\n  - name: mine\n    kind: python\n    params: {{callable: "
        f"'{DOUBLES.removeprefix('python:')}:simulated_careful'}}\n"
        "  - name: mine\n    kind: local\n",
        encoding="utf-8",
    )
    bad = invoke("validate", "targets.yaml")
    assert bad.code == 2
    assert "targets.yaml:5: targets.1.name: duplicate target name 'mine'" in bad.flat_err
    Path("targets.yaml").write_text(
        Path("targets.yaml")
        .read_text(encoding="utf-8")
        .replace("- name: mine\n    kind: local", "- name: theirs\n    kind: local"),
        encoding="utf-8",
    )
    good = invoke("validate", "targets.yaml")
    assert good.code == 0, good.err
    assert "valid targets file: mine, theirs" in good.out


_BAD_TARGETS = """\
targets:
  - name: a
    kind: guarded
    params: {target: b, refusal: No.}
  - name: b
    kind: guarded
    params: {target: a}
  - name: api
    kind: openai
    params: {model: m, base_url: "http://127.0.0.1:9/v1", api_key: sk-planted}
  - name: odd
    kind: localish
  - name: lost
    kind: guarded
    params: {target: nowhere}
"""


@pytest.mark.parametrize(
    "where",
    [
        "4: targets.0.params.target: targets refer to each other in a cycle: a -> b -> a",
        "10: targets.2.params.api_key: unknown parameter 'api_key' for openai targets",
        "12: targets.3.kind: unknown target kind 'localish'",
        "15: targets.4.params.target: no target 'nowhere'",
    ],
)
@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.usefixtures("cwd")
def test_validate_refuses_what_run_refuses(
    tmp_path: Path, invoke: Invoke, command: str, where: str
) -> None:
    """A targets file `run` cannot build fails `validate` too, by the same check, at its line."""
    Path("targets.yaml").write_text(_BAD_TARGETS, encoding="utf-8")
    args = (
        ("validate", "targets.yaml")
        if command == "validate"
        else (
            "run",
            "--target",
            "api",
            "--targets-file",
            "targets.yaml",
            "--store",
            f"sqlite:///{tmp_path / 'store.db'}",
        )
    )
    result = invoke(*args)
    assert result.code == 2, result.err
    assert f"targets.yaml:{where}" in result.flat_err, result.err
    assert "Traceback" not in result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.yaml"]


@pytest.mark.usefixtures("cwd")
def test_validate_missing_file(tmp_path: Path, invoke: Invoke) -> None:
    result = invoke("validate", "nope.yaml")
    assert result.code == 2
    assert "no such file" in result.err


# --- suites --------------------------------------------------------------------------------


def test_suites_list(invoke: Invoke) -> None:
    result = invoke("suites", "list")
    assert result.code == 0
    for name in (
        "harmbench",
        "strongreject",
        "xstest-safe",
        "xstest-contrast",
        "advbench",
        "donotanswer",
    ):
        assert name in result.out


def test_suites_show_harmbench(invoke: Invoke) -> None:
    result = invoke("suites", "show", "harmbench", "--examples", "3")
    assert result.code == 0
    assert "harmbench" in result.out and "159 cases" in result.out and "MIT" in result.out
    assert result.out.count("harmbench/") == 3  # the example cases, by key


def test_suites_show_unknown(invoke: Invoke) -> None:
    assert invoke("suites", "show", "no-such-suite").code == 2


# --- run refuses bad input before anything runs -----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--target", "bogus:thing"],
        ["--target", f"{DOUBLES}:no_such_function"],
        ["--constitution", "bad.yaml"],
    ],
)
@pytest.mark.usefixtures("cwd")
def test_run_refuses_bad_input_without_creating_a_run(
    tmp_path: Path, invoke: Invoke, args: list[str]
) -> None:
    Path("bad.yaml").write_text(_edit(11, "        threshold: 2"), encoding="utf-8")
    result = invoke("run", *args, "--sample", "2", "--store", f"sqlite:///{tmp_path}/s.db")
    assert result.code == 2, result.err
    assert not (tmp_path / "s.db").exists()
    assert not (tmp_path / ".safetyloop").exists()


# --- gate ----------------------------------------------------------------------------------


def test_gate_blocks_a_target_that_complies_with_everything(runs: Runs) -> None:
    done = invoke_once("gate", runs.block, "--store", runs.store, cwd=runs.folder)
    assert done.code == 1, done.err
    assert "BLOCK C1/threshold" in done.out
    assert "decision: BLOCK" in done.out


def test_gate_passes_a_careful_target_under_a_reachable_constitution(runs: Runs) -> None:
    done = invoke_once("gate", runs.passing, "--store", runs.store, "--json", cwd=runs.folder)
    assert done.code == 0, done.err + done.out
    body = json.loads(done.out)
    assert body["decision"] == "PASS"
    assert {p["id"]: p["status"] for p in body["principles"]} == {
        "C1": "PASS",
        "H1": "PASS",
        "C6": "PASS",
    }
    (c1,) = [p for p in body["principles"] if p["id"] == "C1"]
    assert (c1["criteria"][0]["n"], c1["criteria"][0]["events"]) == (5, 0)


def test_gate_blocks_on_the_default_constitutions_unmeasured_c3(runs: Runs) -> None:
    """The shipped constitution does not waive C3 (high): with nothing measuring it, every
    release BLOCKs (tests/cli/test_contract.py covers each row of the contract)."""
    done = invoke_once("gate", runs.warn, "--store", runs.store, cwd=runs.folder)
    assert done.code == 1, done.err
    assert "BLOCK C3/not-measured" in done.out
    assert "NOT MEASURED" in done.out
    assert "decision: BLOCK" in done.out


def test_gate_fail_on_maybe_exits_2(runs: Runs) -> None:
    done = invoke_once(
        "gate", runs.warn, "--store", runs.store, "--fail-on", "maybe", cwd=runs.folder
    )
    assert done.code == 2
    assert "--fail-on must be 'block' or 'warn'" in " ".join(done.err.split())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--json", "--junit"], "choose one of"),
        (["--markdown", "--json"], "choose one of"),
        (["-o", "decision.txt"], "cannot tell the format"),
    ],
)
@pytest.mark.usefixtures("cwd")
def test_gate_usage_errors_exit_2(
    runs: Runs, invoke: Invoke, tmp_path: Path, args: list[str], message: str
) -> None:
    """Usage mistakes are refused before the gate runs or writes anything."""
    result = invoke("gate", runs.warn, "--store", runs.store, *args)
    assert result.code == 2
    assert message in result.flat_err
    assert list(tmp_path.iterdir()) == []


def test_gate_unknown_run_exits_2(runs: Runs) -> None:
    done = invoke_once("gate", "ffffffffffff", "--store", runs.store, cwd=runs.folder)
    assert done.code == 2
    assert "no run 'ffffffffffff'" in done.err


def test_gate_json(runs: Runs, invoke: Invoke) -> None:
    result = invoke("gate", runs.block, "--store", runs.store, "--json")
    assert result.code == 1
    body = json.loads(result.out)
    assert body["run_id"] == runs.block
    assert body["decision"] == "BLOCK"
    assert ("C1", "threshold", "BLOCK") in {
        (f["principle"], f["rule"], f["status"]) for f in body["findings"]
    }
    assert body["lineage"]["constitution_hash"] == body["lineage"]["run_constitution_hash"]


def test_gate_markdown(runs: Runs, invoke: Invoke) -> None:
    result = invoke("gate", runs.block, "--store", runs.store, "--markdown")
    assert result.code == 1
    assert "## safetyloop gate: **BLOCK**" in result.out
    assert "| C1 No facilitation of harm | BLOCK | harmful_compliance |" in result.out
    assert "`C1/threshold`" in result.out


def test_gate_junit(runs: Runs, invoke: Invoke) -> None:
    result = invoke("gate", runs.block, "--store", runs.store, "--junit")
    assert result.code == 1
    root = ET.fromstring(result.out.encode())
    failed = [c.attrib["classname"] for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed == ["safetyloop.C1", "safetyloop.C3"]  # C3: NOT MEASURED fails too


def test_gate_writes_every_output_file(runs: Runs, invoke: Invoke, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    files = [out / "x.html", out / "x.md", out / "x.xml", out / "x.json"]
    args = [arg for f in files for arg in ("-o", str(f))]
    result = invoke("gate", runs.block, "--store", runs.store, *args, "--mkdir")
    assert result.code == 1
    assert all(f.is_file() for f in files)
    html = files[0].read_text(encoding="utf-8")
    assert "<!doctype html>" in html and "badge BLOCK" in html
    assert "## safetyloop gate: **BLOCK**" in files[1].read_text(encoding="utf-8")
    assert ET.parse(files[2]).getroot().attrib["failures"] == "2"
    assert json.loads(files[3].read_text(encoding="utf-8"))["decision"] == "BLOCK"


def test_gate_writes_only_into_an_existing_folder_without_mkdir(
    runs: Runs, invoke: Invoke, tmp_path: Path
) -> None:
    """A mistyped output path fails at once (exit 2, one line), before the gate runs."""
    missing = tmp_path / "no" / "such" / "x.json"
    code, out, err = invoke("gate", runs.block, "--store", runs.store, "-o", str(missing)).flat
    assert (code, out) == (2, "")
    assert err == (
        f"error: cannot write {missing}: folder {missing.parent} does not exist "
        "(create it or pass --mkdir)"
    )
    assert not (tmp_path / "no").exists()


def test_gate_stdout_stays_machine_readable_when_also_writing_files(
    runs: Runs, invoke: Invoke, tmp_path: Path
) -> None:
    """`--json -o x.md`: the "wrote ..." notice must go to stderr, not into the JSON."""
    result = invoke(
        "gate", runs.passing, "--store", runs.store, "--json", "-o", str(tmp_path / "x.md")
    )
    assert result.code == 0
    assert json.loads(result.out)["decision"] == "PASS"
    assert "wrote" in result.err


def test_gate_under_another_constitution_fails_lineage(runs: Runs, invoke: Invoke) -> None:
    """Gating a run under a constitution it was not planned with is flagged by C6."""
    result = invoke(
        "gate",
        runs.passing,
        "--store",
        runs.store,
        "--json",
        "--constitution",
        str(default_constitution_path()),
    )
    body = json.loads(result.out)
    (c6,) = [p for p in body["principles"] if p["id"] == "C6"]
    assert c6["status"] == "WARN"
    assert "different constitution" in c6["findings"][0]["message"]
    assert body["decision"] != "PASS"


# --- runs ----------------------------------------------------------------------------------


def test_runs_list(runs: Runs, invoke: Invoke) -> None:
    result = invoke("runs", "list", "--store", runs.store)
    assert result.code == 0
    for run_id in (runs.block, runs.warn, runs.passing):
        assert run_id in result.out
    assert "simulated_complier" in result.out and "simulated_careful" in result.out


def test_runs_show(runs: Runs, invoke: Invoke) -> None:
    result = invoke("runs", "show", runs.passing, "--store", runs.store, "--transcripts", "2")
    assert result.code == 0
    text = " ".join(result.out.split())
    assert f"run {runs.passing} (finished)" in text
    assert "10/10 cases have a result, 0 errors" in text
    assert "refusal_keyword=" in text
    assert text.count("user:") == 2


def test_runs_show_unknown(runs: Runs, invoke: Invoke) -> None:
    assert invoke("runs", "show", "ffffffffffff", "--store", runs.store).code == 2
