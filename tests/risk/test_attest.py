"""`attest add|list|show` at its edges: a bad pathway or date exits 2 writing nothing, the
attester cannot sign their own attestation, one rejection leaves the control unattested."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.invoking import Invoked, invoke_once
from tests.governance.govhelpers import write_roles

from safetyloop.store import Store

NOW = "2030-01-01T12:00:00Z"


def _cli(folder: Path, *args: str, actor: str = "dana") -> Invoked:
    env = {
        "SAFETYLOOP_STORE_URL": f"sqlite:///{folder / 'store.db'}",
        "SAFETYLOOP_ROLES": str(write_roles(folder)),
        "SAFETYLOOP_ACTOR": actor,
        "SAFETYLOOP_NOW": NOW,
    }
    return invoke_once(*args, cwd=folder, env=env)


def _add(folder: Path, *extra: str) -> Invoked:
    return _cli(
        folder, "attest", "add", "--control", "code-review", "--owner", "platform",
        "--how", "two people approve every change", *extra,
    )  # fmt: skip


def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    unknown = _add(tmp_path, "-p", "code-backdoor", "--days", "30")
    assert unknown.code == 2 and "unknown pathway code-backdoor" in unknown.flat_err
    both = _add(tmp_path, "-p", "code-backdoors", "--days", "30", "--expires", "2031-01-01")
    assert both.code == 2 and "exactly one of --expires and --days" in both.flat_err
    past = _add(tmp_path, "-p", "code-backdoors", "--expires", "2029-12-31T00:00:00Z")
    assert past.code == 2 and "is not in the future" in past.flat_err
    future_check = _add(
        tmp_path, "-p", "code-backdoors", "--days", "30", "--last-checked", "2030-02-01"
    )
    assert future_check.code == 2 and "is in the future" in future_check.flat_err
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as db:
        assert [e for e in db.audit_entries() if e.action.startswith("attestation")] == []


def test_the_attester_cannot_sign_and_a_rejection_is_shown(tmp_path: Path) -> None:
    added = _add(tmp_path, "-p", "code-backdoors", "--days", "30")
    assert added.code == 0, added.err
    found = re.search(r"attested (att-\w+).*review (rv-\w+)", " ".join(added.out.split()))
    assert found
    att, review = found.groups()
    own = _cli(tmp_path, "review", "approve", review, "--reason", "mine")
    assert own.code == 1 and f"dana submitted attestation {att}" in own.flat_err
    shown = _cli(tmp_path, "attest", "show", att[:8])
    assert shown.code == 0 and f"attestation {att}: unsigned" in shown.out
    rejected = _cli(tmp_path, "review", "reject", review, "--reason", "no runbook", actor="rita")
    assert rejected.code == 0, rejected.err
    shown = _cli(tmp_path, "attest", "show", att)
    assert f"attestation {att}: rejected" in shown.out
    listed = _cli(tmp_path, "attest", "list")
    assert "rejected" in listed.out
