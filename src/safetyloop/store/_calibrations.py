"""Scorer calibrations: a scorer version measured against human labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from safetyloop.store._core import StoreCore, now
from safetyloop.store._schema import CalibrationRow


class CalibrationInfo(BaseModel):
    """A stored calibration record; `body` is the full `Calibration` as JSON."""

    model_config = ConfigDict(frozen=True)

    id: int
    scorer: str
    scorer_version: str
    labels_hash: str
    n: int
    accuracy: float
    kappa: float
    created_at: datetime
    body: dict[str, Any]


class CalibrationRepository(StoreCore):
    """Calibration records, newest first."""

    def record_calibration(
        self,
        scorer: str,
        scorer_version: str,
        labels_hash: str,
        n: int,
        accuracy: float,
        kappa: float,
        body: dict[str, Any],
    ) -> int:
        with self.session() as s:
            row = CalibrationRow(
                scorer=scorer,
                scorer_version=scorer_version,
                labels_hash=labels_hash,
                n=n,
                accuracy=accuracy,
                kappa=kappa,
                body=body,
                created_at=now(),
            )
            s.add(row)
            s.flush()
            return row.id

    def latest_calibration(self, scorer_version: str) -> CalibrationInfo | None:
        """The newest calibration of exactly this scorer version (None if never calibrated)."""
        with self.session() as s:
            row = s.scalars(
                select(CalibrationRow)
                .where(CalibrationRow.scorer_version == scorer_version)
                .order_by(CalibrationRow.created_at.desc(), CalibrationRow.id.desc())
            ).first()
            return (
                None
                if row is None
                else CalibrationInfo(
                    id=row.id,
                    scorer=row.scorer,
                    scorer_version=row.scorer_version,
                    labels_hash=row.labels_hash,
                    n=row.n,
                    accuracy=row.accuracy,
                    kappa=row.kappa,
                    created_at=row.created_at,
                    body=row.body,
                )
            )
