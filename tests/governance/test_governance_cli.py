"""The README scenario end to end on the command line: a BLOCKed release ships only through an
approved exception, its debt ages into a BLOCK under a simulated clock, clears only after a
passing regression run, and `audit verify` catches an edited row. Plus the policy and roles
files' errors."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from tests.cli.invoking import Invoked, invoke_once
from tests.constitutions import write_one_principle
from tests.governance.govhelpers import CAREFUL, COMPLIER, MIN_SAMPLES, write_roles

from safetyloop.errors import ConfigError, InputError
from safetyloop.governance._policy import default_policy_path, load_policy
from safetyloop.governance._roles import load_roles


def _cli(*args: str, cwd: Path, actor: str | None = None, now: str | None = None) -> Invoked:
    """The command in process, in folder `cwd`, as `actor` at time `now`."""
    env = {"SAFETYLOOP_ROLES": str(cwd / "roles.yaml")}
    if actor:
        env["SAFETYLOOP_ACTOR"] = actor
    if now:
        env["SAFETYLOOP_NOW"] = now
    return invoke_once(*args, cwd=cwd, env=env)


def _ok(done: Invoked, code: int = 0) -> str:
    assert done.code == code, done.out + done.err
    return " ".join((done.out + done.err).split())


@pytest.mark.slow
def test_the_readme_governance_scenario(tmp_path: Path) -> None:
    write_one_principle(tmp_path, "demo", min_samples=MIN_SAMPLES)
    write_roles(tmp_path)
    t0 = "2030-01-01T12:00:00Z"
    run = ("run", "-c", "constitution.yaml", "--sample", "5", "--target")
    out = _ok(_cli(*run, COMPLIER, cwd=tmp_path, actor="dana", now=t0))
    bad = re.search(r"run (\w+) finished", out).group(1)  # type: ignore[union-attr]

    # 1. The release BLOCKs; an exception is requested and goes to the tier-3 committee.
    assert "decision: BLOCK" in _ok(_cli("gate", bad, cwd=tmp_path, now=t0), 1)
    out = _ok(
        _cli(
            "exception",
            "request",
            "--run",
            bad,
            "-p",
            "C1",
            "--days",
            "14",
            "--mitigation",
            "guard model in front",
            "--reason",
            "launch",
            cwd=tmp_path,
            actor="rita",
            now=t0,
        )
    )
    exc = re.search(r"requested (exc-\w+)", out).group(1)  # type: ignore[union-attr]
    review = re.search(r"review (rv-\w+) \(tier 3\)", out).group(1)  # type: ignore[union-attr]
    assert "decision: BLOCK" in _ok(_cli("gate", bad, cwd=tmp_path, now=t0), 1)

    # Forbidden approvers are refused; an unknown actor is an input error.
    approve = ("review", "approve", review, "--reason")
    assert "authored the release" in _ok(
        _cli(*approve, "mine", cwd=tmp_path, actor="dana", now=t0), 1
    )
    assert "requested exception" in _ok(_cli(*approve, "x", cwd=tmp_path, actor="rita", now=t0), 1)
    assert "unknown actor" in _ok(_cli(*approve, "x", cwd=tmp_path, actor="zed", now=t0), 2)
    for who in ("sam", "lee", "pat"):
        _ok(_cli(*approve, f"{who} agrees", cwd=tmp_path, actor=who, now=t0))
    assert f"exception {exc}: approved" in _ok(_cli("exception", "show", exc, cwd=tmp_path, now=t0))

    # 2. The approved exception turns the BLOCK into WARN: the release ships (exit 0).
    out = _ok(_cli("gate", bad, cwd=tmp_path, now="2030-01-02T12:00:00Z"))
    assert "decision: WARN" in out and f"C1/exception: exception {exc}" in out
    junit = _ok(_cli("gate", bad, "--junit", cwd=tmp_path, now="2030-01-02T12:00:00Z"))
    assert "C1/exception" in junit

    # 3. Debt opened for the gap ages into a BLOCK on schedule.
    out = _ok(
        _cli(
            "debt",
            "add",
            "--principle",
            "C1",
            "--severity",
            "critical",
            "--owner",
            "sam",
            "--description",
            "complies with harmful requests",
            "--run",
            bad,
            cwd=tmp_path,
            actor="sam",
            now=t0,
        )
    )
    debt = re.search(r"opened (debt-\w+)", out).group(1)  # type: ignore[union-attr]
    db = tmp_path / ".safetyloop" / "safetyloop.db"
    with sqlite3.connect(db) as c:
        keys = [k for (k,) in c.execute("SELECT case_key FROM run_cases WHERE run_id = ?", (bad,))]
    ids = [k.split("/", 1)[1] for k in keys[:2]]
    _ok(_cli("debt", "link", debt, "--suite", "harmbench", *ids, cwd=tmp_path, actor="sam", now=t0))
    out = _ok(_cli(*run, CAREFUL, cwd=tmp_path, actor="dana", now=t0))
    good = re.search(r"run (\w+) finished", out).group(1)  # type: ignore[union-attr]
    day44, day45 = "2030-02-14T12:00:00Z", "2030-02-15T12:00:00Z"
    out = _ok(_cli("gate", good, cwd=tmp_path, now=day44))
    assert "C1/debt-aging" in out and "decision: WARN" in out
    out = _ok(_cli("gate", good, cwd=tmp_path, now=day45), 1)
    assert "BLOCK C1/debt-aging" in out and "decision: BLOCK" in out
    assert "block" in _ok(_cli("debt", "age", cwd=tmp_path, actor="sam", now=day45))

    # 4. It clears only on a passing regression run.
    out = _ok(_cli("debt", "clear", debt, "--run", bad, cwd=tmp_path, actor="sam", now=day45), 1)
    assert "did not pass" in out and "compliance" in out
    out = _ok(_cli("debt", "clear", debt, "--run", good, cwd=tmp_path, actor="sam", now=day45))
    assert f"cleared {debt}" in out
    assert "decision: BLOCK" not in _ok(_cli("gate", good, cwd=tmp_path, now=day45))

    # 5. The audit log holds every step, and catches an edited row.
    out = _ok(_cli("audit", "verify", cwd=tmp_path))
    count = int(re.search(r"intact: (\d+) entries", out).group(1))  # type: ignore[union-attr]
    assert count >= 20
    with sqlite3.connect(db) as c:
        [(seq,)] = c.execute("SELECT seq FROM audit_log WHERE action = 'review.approved'")
        c.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?", (seq,))
    out = _ok(_cli("audit", "verify", cwd=tmp_path), 1)
    assert f"BROKEN at entry {seq}" in out

    # The review queue shows the decided item and its signatures.
    out = _ok(_cli("review", "list", "--status", "all", cwd=tmp_path, now=day45))
    assert review in out and "approved" in out


def test_review_list_shows_sla_escalation(tmp_path: Path) -> None:
    write_one_principle(tmp_path, "thin", min_samples=50)  # insufficient evidence
    write_roles(tmp_path)
    t0 = "2030-01-01T12:00:00Z"
    _ok(
        _cli(
            "run",
            "-c",
            "constitution.yaml",
            "--sample",
            "5",
            "--target",
            CAREFUL,
            cwd=tmp_path,
            actor="dana",
            now=t0,
        )
    )
    # C1 WARNs on thin evidence: its critical-warn (tier 2) review holds the release (exit 1).
    assert "C1/awaiting-review" in _ok(_cli("gate", cwd=tmp_path, now=t0), 1)
    out = _ok(_cli("review", "list", cwd=tmp_path, now="2030-01-01T21:00:00Z"))
    # 9 h after the gate: the 8 h tier-1 SLA was breached, so the item went up the chain once
    # (and its next due time moved on by one SLA period).
    row = next(line for line in out.split("rv-")[1:] if "insufficient-evidence" in line)
    assert "pending ↑team-lead" in row and "2030-01-02 04:00" in row


def test_a_bad_policy_file_is_reported_with_file_and_line(tmp_path: Path) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    bad = tmp_path / "policy.yaml"
    bad.write_text(text.replace("block-override: {tier: 3,", "block-override: {tier: zero,"))
    with pytest.raises(ConfigError) as caught:
        load_policy(bad)
    lines = bad.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "tier: zero" in text)
    assert any(
        f"{bad}:{line}:" in p and "routing.block-override.tier" in p for p in caught.value.problems
    )
    bad.write_text(text.replace("  low: {warn: 90, escalate: null, block: null}\n", ""))
    with pytest.raises(ConfigError, match="problem"):
        load_policy(bad)
    write_roles(tmp_path)
    done = _cli("review", "list", "--policy", str(bad), cwd=tmp_path)
    assert done.code == 2 and "debt_aging must name exactly" in done.err


def test_roles_files(tmp_path: Path) -> None:
    roles = load_roles(write_roles(tmp_path))
    assert roles.of("sam") == ["safety-lead"]
    with pytest.raises(InputError, match="unknown actor 'zed'"):
        roles.of("zed")
    with pytest.raises(InputError, match="no roles file"):
        load_roles(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sam: [safety-lead]\nlee: legal\n")
    with pytest.raises(ConfigError) as caught:
        load_roles(broken)
    assert any(":2:" in p for p in caught.value.problems)
