"""Gate decisions and baselines: what the gate decided, and what each deployment compares with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from safetyloop.errors import InputError
from safetyloop.store._core import StoreCore, now
from safetyloop.store._coverage import cover
from safetyloop.store._schema import EVALUATION, BaselineRow, GateDecisionRow, RunRow


class GateDecisionInfo(BaseModel):
    """A recorded gate decision; `body` is the full `gate.Decision` as JSON (the gate reads it)."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    decision: str
    body: dict[str, Any]
    created_at: datetime


class BaselineInfo(BaseModel):
    """A deployment's registered baseline run."""

    model_config = ConfigDict(frozen=True)

    name: str
    run_id: str
    target_name: str
    set_at: datetime


class DecisionRepository(StoreCore):
    """Recorded gate decisions and deployment baselines."""

    def record_gate_decision(self, run_id: str, decision: str, body: dict[str, Any]) -> None:
        """Store a decision, digested into the audit chain in the same transaction."""
        with self.session() as s:
            row = GateDecisionRow(run_id=run_id, decision=decision, body=body, created_at=now())
            s.add(row)
            cover(s, "decision", [row])

    def latest_gate_decision(self, run_id: str) -> GateDecisionInfo | None:
        """The run's most recently recorded gate decision, if it was ever gated with a record."""
        with self.session() as s:
            row = s.scalars(
                select(GateDecisionRow)
                .where(GateDecisionRow.run_id == run_id)
                .order_by(GateDecisionRow.id.desc())
            ).first()
            return (
                None if row is None else GateDecisionInfo.model_validate(row, from_attributes=True)
            )

    # baselines and release history (issue 3) -------------------------------------------
    def set_baseline(self, name: str, run_id: str) -> BaselineInfo:
        """Point deployment `name` at a finished run, replacing any earlier baseline."""
        with self.session() as s:
            run = s.get(RunRow, run_id)
            if run is None or run.kind != EVALUATION:  # a red-team run is no release to compare
                raise InputError(f"no run {run_id!r} in {self.url}")
            if run.status != "finished":
                raise InputError(
                    f"run {run_id} is {run.status}, not finished: a baseline must be complete",
                    hint="resume it with the same `safetyloop run` command first",
                )
            row = s.get(BaselineRow, name)
            if row is None:
                row = BaselineRow(
                    name=name, run_id=run_id, target_name=run.target_name, set_at=now()
                )
                s.add(row)
            else:
                row.run_id, row.target_name, row.set_at = run_id, run.target_name, now()
            s.flush()
            return _baseline(row)

    def get_baseline(self, name: str) -> BaselineInfo | None:
        """The baseline registered under deployment `name`, if any."""
        with self.session() as s:
            row = s.get(BaselineRow, name)
            return _baseline(row) if row else None

    def list_baselines(self) -> list[BaselineInfo]:
        with self.session() as s:
            return [_baseline(r) for r in s.scalars(select(BaselineRow).order_by(BaselineRow.name))]


def _baseline(row: BaselineRow) -> BaselineInfo:
    return BaselineInfo(
        name=row.name, run_id=row.run_id, target_name=row.target_name, set_at=row.set_at
    )
