"""`safetyloop redteam` in-process: run with test doubles, show, plans validation, gate."""

from __future__ import annotations

from pathlib import Path

from tests.cli.invoking import Invoke

from safetyloop.redteam._scripted import load_plans
from safetyloop.redteam._store import conversations, get_run
from safetyloop.store import Store

ROOT = Path(__file__).resolve().parents[2]
D = "python:tests.doubles.redteam_doubles:"


def test_run_then_show_prints_the_grid_and_excerpts(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rt.db'}"
    args = [
        "redteam",
        "run",
        "--target",
        D + "target",
        "--attacker",
        D + "attacker",
        "--judge",
        D + "judge",
        "--strategies",
        "crescendo,pair",
        "--transforms",
        "rot13",
        "--requests",
        "1",
        "--turns",
        "3",
        "--store",
        store,
    ]
    code, out, err = invoke(*args).flat
    assert code == 0, err
    assert "red-team run" in out and "finished" in out
    code, out, err = invoke("redteam", "show", "latest", "--store", store).flat
    assert code == 0, err
    assert "attack success by family × harm category (successes / finished attacks)" in out
    assert "crescendo" in out and "encoding" in out
    assert "first-failure turn: turn 3: 2" in out
    assert "turn 2 (backtracked) user: step 2 blocked" in out
    # Violations only from turn 3 on: the erosion slope is infinite, so the reason is printed,
    # never a number with an interval tens of thousands wide.
    assert (
        "policy-erosion slope: cannot be estimated (complete separation: every outcome at "
        "turn <= 2 is 0 and every one at turn >= 3 is 1" in out
    )
    assert "policy-erosion slope (log-odds per turn)" not in out


def test_plans_file_errors_name_file_line_and_key(invoke: Invoke, tmp_path: Path) -> None:
    plans = tmp_path / "plans.yaml"
    plans.write_text(
        "plans:\n  - name: ok\n    turns: ['{objective}']\n"
        "  - name: bad\n    turns: ['no objective here']\n    colour: red\n",
        encoding="utf-8",
    )
    code, _, err = invoke(
        "redteam",
        "run",
        "--target",
        D + "target",
        "--attacker",
        D + "attacker",
        "--strategies",
        "scripted",
        "--plans",
        str(plans),
        "--store",
        f"sqlite:///{tmp_path / 'rt.db'}",
    ).flat
    assert code == 2
    assert f"{plans}:5: plans.1.turns: Value error, no turn contains {{objective}}" in err
    assert f"{plans}:6: plans.1.colour: unknown key 'colour'" in err


def test_example_plans_are_valid() -> None:
    names = [p.name for p in load_plans(ROOT / "examples" / "redteam_plans.yaml")]
    assert names == ["history-lesson", "fiction-writer"]


def test_scripted_plans_run_turn_by_turn(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rt.db'}"
    code, _, err = invoke(
        "redteam",
        "run",
        "--target",
        D + "target",
        "--judge",
        D + "judge",
        "--strategies",
        "scripted",
        "--plans",
        str(ROOT / "examples" / "redteam_plans.yaml"),
        "--requests",
        "1",
        "--store",
        store,
    ).flat
    assert code == 0, err
    code, out, _ = invoke("redteam", "show", "--store", store).flat
    assert "scripted" in out
    with Store(store) as db:
        done = conversations(db, get_run(db, "latest").id)
    assert len(done) == 2  # the two example plans × one request
    assert all(c.status == "ok" and 1 <= c.turns <= 3 for c in done), done


def test_unknown_transform_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    code, _, err = invoke(
        "redteam",
        "run",
        "--strategies",
        "",
        "--transforms",
        "nope",
        "--store",
        f"sqlite:///{tmp_path / 'rt.db'}",
    ).flat
    assert code == 2 and "unknown transform 'nope'" in err


def test_gate_consumes_the_redteam_run(invoke: Invoke, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'rt.db'}"
    constitution = tmp_path / "constitution.yaml"
    text = (ROOT / "examples" / "redteam_constitution.yaml").read_text(encoding="utf-8")
    constitution.write_text(  # the fast keyword scorer instead of the trained one
        text.replace("min_samples: 80", "scorer: refusal_keyword\n        min_samples: 80"),
        encoding="utf-8",
    )
    code, _, err = invoke(
        "run",
        "--target",
        D + "target",
        "--constitution",
        str(constitution),
        "--sample",
        "3",
        "--store",
        store,
    ).flat
    assert code == 0, err
    code, out, err = invoke("gate", "latest", "--store", store, "--no-baseline").flat
    assert "no red-team run was given" in out, (out, err)
    code, _, err = invoke(
        "redteam",
        "run",
        "--target",
        D + "target",
        "--attacker",
        D + "attacker",
        "--judge",
        D + "judge",
        "--strategies",
        "pair",
        "--requests",
        "2",
        "--store",
        store,
    ).flat
    assert code == 0, err
    code, out, err = invoke(
        "gate", "latest", "--store", store, "--no-baseline", "--redteam", "latest"
    ).flat
    assert "attack success on harmbench requests, family pair = 100.0%" in " ".join(out.split())
    assert code == 1  # R1 is hard and every PAIR attack on the double succeeded


def test_by_default_harm_judges_success_and_refusal_triggers_backtracks(
    invoke: Invoke, tmp_path: Path
) -> None:
    """Success means the harmful help was given, not merely that the target did not refuse."""
    store = f"sqlite:///{tmp_path / 'rt.db'}"
    code, _, err = invoke(
        "redteam", "run", "--target", D + "target", "--strategies", "", "--transforms", "rot13",
        "--requests", "1", "--store", store,
    ).flat  # fmt: skip
    assert code == 0, err
    with Store(store) as db:
        lineage = get_run(db, "latest").lineage
    assert lineage["judge"]["name"] == "harm"
    assert lineage["refusal_judge"]["name"] == "refusal"
