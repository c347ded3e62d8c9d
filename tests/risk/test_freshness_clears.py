"""Freshness debt clears when its cause is gone: the expired attestation's item clears through
the ledger (actor `system:risk-freshness`, audited) once a new attestation of that control is
approved and the report is argued again; not while it awaits its approvers, and the stale
evidence of another pathway keeps its own item open."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from tests.risk.riskworld import World, _attest, build_world

from safetyloop.governance._session import Refused
from safetyloop.governance.debt import clear_resolved, get_debt
from safetyloop.store import Store


def _debt(world: World, name: str, at_days: float) -> dict[str, dict[str, Any]]:
    done = world.report(name, at=world.t0 + timedelta(days=at_days))
    assert done.code == 1, done.err  # the gapped pathway still holds the conclusion down
    twin = json.loads((world.folder / name).read_text("utf-8"))
    return {d["principle"]: d for d in twin["debt"]}


def test_an_expired_attestations_debt_clears_once_a_new_one_is_approved(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    world = build_world(tmp_path_factory)
    first = _debt(world, "first.json", 2)
    expired = first["risk:expiring"]["debt_id"]
    assert first["risk:expiring"]["opened"] and not first["risk:expiring"]["cleared"]

    renewed = _attest(world, "weights-security", "expiring", 30)
    waiting = _debt(world, "waiting.json", 2.01)  # signed by nobody yet: still a gap
    assert "risk:expiring" not in waiting or not waiting["risk:expiring"]["cleared"]
    with Store(world.store) as db:
        assert get_debt(db, expired).status == "open"
    for approver in ("rita", "ravi"):
        signed = world.cli(
            "review", "approve", renewed.split()[1], "--reason", "re-checked", actor=approver,
            at=world.t0 + timedelta(days=2.02),
        )  # fmt: skip
        assert signed.code == 0, signed.err

    done = world.report("after.md", "after.json", at=world.t0 + timedelta(days=2.03))
    twin = json.loads((world.folder / "after.json").read_text("utf-8"))
    after = {d["principle"]: d for d in twin["debt"]}
    assert after["risk:expiring"]["debt_id"] == expired and after["risk:expiring"]["cleared"]
    assert not after["risk:gapped"]["cleared"]  # its stale evidence is still stale
    assert f"{expired}` (risk:expiring, critical, cleared now" in (
        world.folder / "after.md"
    ).read_text("utf-8")
    assert f"debt {expired} (cleared now" in " ".join(done.out.split())
    with Store(world.store) as db:
        item = get_debt(db, expired)
        assert (item.status, item.cleared_by) == ("cleared", "system:risk-freshness")
        assert item.clearance and item.clearance["kind"] == "resolved"
        (cleared,) = [e for e in db.audit_entries() if e.action == "debt.cleared"]
        assert cleared.actor == "system:risk-freshness" and cleared.payload["debt_id"] == expired
        with pytest.raises(Refused, match="already cleared"):
            clear_resolved(db, expired, key="risk_gap", actor="system:risk-freshness", detail={})
    again = _debt(world, "again.json", 2.04)
    assert "risk:expiring" not in again  # cleared once, not again
