"""C3 of the default constitution through the CLI, on the scripted agents: each is one
`python:` target that answers the evaluation run's chat cases (as a careful model) and acts as
the agent in `agent run`, so the gate binds the agentic run to the release by target version.

The ignoring agent PASSes C3, the obeying one BLOCKs on attack success, the one that does
nothing BLOCKs on utility; before any agentic run C3 is NOT MEASURED; against the ignoring
agent's release as baseline, the obeying one's regression is found.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.cli.invoking import invoke_once

AGENTS = "python:tests.agentic.scripted_agents"
#: One attack keeps the run short: 41 benign and 233 attacked episodes.
ATTACK = "important_instructions"


@dataclass(frozen=True)
class Release:
    run: str  # the evaluation run's id
    agentic: str  # the agentic run's id
    before: dict[str, Any]  # C3 of the gate's JSON before the agentic run existed
    agent_out: str  # what `agent run` printed


@dataclass(frozen=True)
class Releases:
    folder: Path
    store: str
    by_agent: dict[str, Release]

    def gate(self, agent: str, *extra: str) -> tuple[int, dict[str, Any]]:
        done = invoke_once(
            "gate", self.by_agent[agent].run, "--store", self.store, "--json", *extra,
            cwd=self.folder,
        )  # fmt: skip
        decision = json.loads(done.out)
        (c3,) = [p for p in decision["principles"] if p["id"] == "C3"]
        return done.code, c3


def _release(folder: Path, store: str, agent: str) -> Release:
    target = f"{AGENTS}:{agent}"
    done = invoke_once("run", "--target", target, "--sample", "5", "--store", store, cwd=folder)
    assert done.code == 0, done.err
    match = re.search(r"run (\w+) finished", done.out)
    assert match, done.out
    run = match.group(1)
    gated = invoke_once("gate", run, "--store", store, "--json", "--no-baseline", cwd=folder)
    (before,) = [p for p in json.loads(gated.out)["principles"] if p["id"] == "C3"]
    acted = invoke_once(
        "agent", "run", "-t", target, "--attacks", ATTACK, "--store", store, cwd=folder
    )
    assert acted.code == 0, acted.err
    found = re.search(r"agentic run (\w+) \(finished\)", acted.out)
    assert found, acted.out
    return Release(run, found.group(1), before, acted.out)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    folder = tmp_path_factory.mktemp("c3")
    store = f"sqlite:///{folder / 'store.db'}"
    agents = ("ignoring_agent", "obeying_agent", "idle_agent")
    return Releases(folder, store, {a: _release(folder, store, a) for a in agents})


def _by_rule(c3: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["rule"], f["status"], f["message"]) for f in c3["findings"]]


def _limit(c3: dict[str, Any], metric: str) -> tuple[str, str]:
    (found,) = [(r, s) for r, s, m in _by_rule(c3) if m.startswith(metric) and r != "regression"]
    return found


def test_without_an_agentic_run_c3_is_not_measured(releases: Releases) -> None:
    for release in releases.by_agent.values():
        assert release.before["status"] == "NOT MEASURED"
        assert [(f["rule"], f["status"]) for f in release.before["findings"]] == [
            ("not-measured", "BLOCK")
        ]


def test_the_ignoring_agent_passes_c3(releases: Releases) -> None:
    _, c3 = releases.gate("ignoring_agent", "--no-baseline")
    assert c3["status"] == "PASS", _by_rule(c3)
    messages = [m for _, _, m in _by_rule(c3)]
    assert any("targeted_attack_success" in m and "(0/233 episodes" in m for m in messages)
    assert any("benign_utility" in m and "(41/41 episodes" in m for m in messages)
    assert any("utility_under_attack" in m and "(233/233 episodes" in m for m in messages)
    assert any("unsanctioned_action_rate" in m and "(0/274 episodes" in m for m in messages)
    assert "0.00 [0.00, 0.02] 0/233" in releases.by_agent["ignoring_agent"].agent_out


def test_the_obeying_agent_blocks_on_attack_success(releases: Releases) -> None:
    code, c3 = releases.gate("obeying_agent", "--no-baseline")
    assert c3["status"] == "BLOCK" and code == 1
    assert _limit(c3, "targeted_attack_success") == ("threshold", "BLOCK")
    assert _limit(c3, "unsanctioned_action_rate") == ("threshold", "BLOCK")
    assert _limit(c3, "benign_utility") == ("threshold", "PASS")  # it does the task too
    assert any("(233/233 episodes" in m for _, _, m in _by_rule(c3))


def test_the_idle_agent_blocks_on_utility(releases: Releases) -> None:
    code, c3 = releases.gate("idle_agent", "--no-baseline")
    assert c3["status"] == "BLOCK" and code == 1
    assert _limit(c3, "targeted_attack_success") == ("threshold", "PASS")  # nothing got in...
    assert _limit(c3, "benign_utility") == ("threshold", "BLOCK")  # ...because nothing was done
    assert _limit(c3, "utility_under_attack") == ("threshold", "BLOCK")
    assert any("benign_utility" in m and "(0/41 episodes" in m for _, _, m in _by_rule(c3))


def test_a_regression_against_the_baseline_release_is_found(releases: Releases) -> None:
    base = releases.by_agent["ignoring_agent"]
    _, c3 = releases.gate("obeying_agent", "--baseline", base.run)
    regressions = [(s, m) for r, s, m in _by_rule(c3) if r == "regression"]
    (attack,) = [(s, m) for s, m in regressions if m.startswith("targeted_attack_success")]
    assert attack[0] == "BLOCK" and "a regression (Holm)" in attack[1]
    assert f"vs baseline agentic run {base.agentic} 0/233" in attack[1]
    # the same release against itself as baseline has nothing to compare
    _, same = releases.gate("ignoring_agent", "--baseline", base.run)
    assert not [r for r, _, _ in _by_rule(same) if r == "regression"]


def test_gate_agentic_names_the_run_to_read(releases: Releases) -> None:
    other = releases.by_agent["obeying_agent"].agentic
    _, c3 = releases.gate("ignoring_agent", "--no-baseline", "--agentic", other)
    assert any(
        r == "insufficient-evidence" and "ran another target version" in m
        for r, _, m in _by_rule(c3)
    )
