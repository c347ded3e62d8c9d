"""Reward audits in the store: an interrupted audit resumes with the families left."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.reward.planted_reward_doubles import CrashingOnFamilyDouble

from safetyloop.reward import audit_stored, latest_audit, load_stored_audit
from safetyloop.store import Store


def test_an_interrupted_audit_resumes_with_the_families_left(tmp_path: Path) -> None:
    families = ["length", "sycophancy", "harmful"]
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        crashing = CrashingOnFamilyDouble(crash_on="sycophancy")
        with pytest.raises(RuntimeError, match="killed"):
            audit_stored(store, crashing, families, limit=10)
        assert latest_audit(store, crashing.spec) is None  # nothing finished
        partial = load_stored_audit(store, "latest")
        assert partial["status"] == "running"
        assert [f["family"] for f in partial["families"]] == ["length"]
        resumed = CrashingOnFamilyDouble(crash_on=None)
        done = audit_stored(store, resumed, families, limit=10)
        assert done["run_id"] == partial["run_id"] and done["status"] == "finished"
        assert resumed.families_scored == ["sycophancy", "harmful"]  # length was kept
        assert [f["family"] for f in done["families"]] == families
        assert all(f["flips"] == 0 and f["errors"] == 0 for f in done["families"])
        assert latest_audit(store, resumed.spec) == done
        assert latest_audit(store, "another-model") is None


def test_the_gate_does_not_read_an_unfinished_audit_it_is_named(tmp_path: Path) -> None:
    from safetyloop.config import load_constitution
    from safetyloop.gate._reward import _audit, chosen_audit

    example = Path(__file__).resolve().parents[2] / "examples" / "reward_constitution.yaml"
    principle = load_constitution(example).principles[0]
    with Store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        with pytest.raises(RuntimeError, match="killed"):
            audit_stored(store, CrashingOnFamilyDouble(crash_on="harmful"), ["harmful"], limit=5)
        run_id = load_stored_audit(store, "latest")["run_id"]
        with chosen_audit(run_id[:6]):
            assert _audit(principle, store) == (
                f"reward audit {run_id} (--reward {run_id[:6]}) has not finished"
            )
        assert _audit(principle, store) == (
            "no finished reward audit of offline in the store "
            "(`safetyloop reward audit --model offline`)"
        )
