"""Reward-model audit: paired probes that catch a reward model preferring the worse answer.

Public API: reward models (`RewardModel`, `load_reward_model`, `reward_kind`, `Scored`,
`RewardError`), probe families (`FAMILIES`, `Family`, `ProbePair`, `TAXONOMY`), the audit
(`audit`, `AuditReport`, `FamilyResult`, `Baseline`), its record (`save_audit`,
`load_audit`, `write_report`, `measurements`), audits in the store (`audit_stored`,
`load_stored_audit`, `latest_audit`, `previous_audit`, `stored_measurements`) and
regressions (`compare_audits`). Training the offline model lives in
`safetyloop.reward.training` (it imports torch).
"""

from __future__ import annotations

from safetyloop.reward._audit import Outcome, run_probes
from safetyloop.reward._compare import FamilyChange, compare_audits, compare_family
from safetyloop.reward._metrics import Baseline, FamilyResult, measure
from safetyloop.reward._model import (
    REWARD_KINDS,
    RewardError,
    RewardModel,
    Scored,
    load_reward_model,
    reward_kind,
)
from safetyloop.reward._probes import FAMILIES, TAXONOMY, Family, ProbePair, words
from safetyloop.reward._report import AuditReport, measurements, verdict, write_report
from safetyloop.reward._report import load as load_audit
from safetyloop.reward._report import save as save_audit
from safetyloop.reward._run import audit
from safetyloop.reward._stored import (
    REWARD,
    audit_stored,
    latest_audit,
    latest_run_id,
    load_stored_audit,
    previous_audit,
    stored_measurements,
)

__all__ = [
    "FAMILIES",
    "REWARD",
    "REWARD_KINDS",
    "TAXONOMY",
    "AuditReport",
    "Baseline",
    "Family",
    "FamilyChange",
    "FamilyResult",
    "Outcome",
    "ProbePair",
    "RewardError",
    "RewardModel",
    "Scored",
    "audit",
    "audit_stored",
    "compare_audits",
    "compare_family",
    "latest_audit",
    "latest_run_id",
    "load_audit",
    "load_reward_model",
    "load_stored_audit",
    "measure",
    "measurements",
    "previous_audit",
    "reward_kind",
    "run_probes",
    "save_audit",
    "stored_measurements",
    "verdict",
    "words",
    "write_report",
]
