"""The seam to the governance debt ledger (`safetyloop.governance.debt`, SPEC §11).

The ledger is its own stage; the incident lab only calls it. Until that module is installed the
calls below raise `LedgerUnavailable`, and callers report the debt as not opened (they never
pretend it was).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from safetyloop.errors import SafetyloopError
from safetyloop.governance import Clock
from safetyloop.store import Store

__all__ = ["LedgerUnavailable", "clear", "ledger", "link_cases", "open_item"]

LEDGER_MODULE = "safetyloop.governance.debt"


class LedgerUnavailable(SafetyloopError):
    """The debt ledger is not part of this installation yet."""


def ledger() -> ModuleType:
    """The governance debt module, or LedgerUnavailable naming what is missing."""
    try:
        return importlib.import_module(LEDGER_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in (LEDGER_MODULE, "safetyloop.governance"):
            raise
        raise LedgerUnavailable(
            f"the debt ledger ({LEDGER_MODULE}) is not installed, so no debt item was opened",
            hint="run `safetyloop incident triage ID` again once the governance ledger is there",
        ) from exc


def open_item(
    store: Store,
    *,
    principle: str,
    severity: str,
    description: str,
    owner: str,
    evidence: dict[str, list[str]],
    actor: str,
    clock: Clock | None,
) -> str:
    """Open a debt item; returns its id."""
    item: Any = ledger().open_debt(
        store,
        principle=principle,
        severity=severity,
        description=description,
        owner=owner,
        evidence=evidence,
        actor=actor,
        clock=clock,
    )
    return str(item.id)


def link_cases(
    store: Store, debt_id: str, *, suite: str, case_ids: list[str], actor: str, clock: Clock | None
) -> None:
    ledger().link_regression_cases(
        store, debt_id, suite=suite, case_ids=case_ids, actor=actor, clock=clock
    )


def clear(store: Store, debt_id: str, *, run_id: str, actor: str, clock: Clock | None) -> str:
    """Ask the ledger to clear the item on `run_id`; it checks the run itself. Returns status."""
    item: Any = ledger().clear_debt(store, debt_id, run_id=run_id, actor=actor, clock=clock)
    return str(getattr(item, "status", "cleared"))
