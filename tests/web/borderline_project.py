"""A store whose one run has 5 borderline verdicts, gated once (5 borderline items queued),
with console accounts for every governance test actor: the override tests' project."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.governance.govhelpers import ROLES, T0, borderline_run, write_roles
from tests.web.console_project import PASSWORD, READER

from safetyloop.api import gate
from safetyloop.gate import Status
from safetyloop.governance import FixedClock
from safetyloop.governance.reviews import list_reviews
from safetyloop.store import Store
from safetyloop.web import WebConfig, add_account


@dataclass
class BorderlineProject:
    url: str
    run_id: str
    items: list[str]
    config: WebConfig


def build_borderline(folder: Path) -> BorderlineProject:
    url, clock = f"sqlite:///{folder / 'store.db'}", FixedClock(T0)
    run_id = borderline_run(folder, url, clock=clock)
    assert gate(run_id, store_url=url, clock=clock, use_baseline=False).decision == Status.BLOCK
    with Store(url) as store:
        items = [r.id for r in list_reviews(store, run_id=run_id) if r.rule == "borderline"]
        for name in [*ROLES, READER]:
            add_account(store, name, password=PASSWORD)
    config = WebConfig(store_url=url, roles=write_roles(folder), secret="test-secret")
    return BorderlineProject(url, run_id, items, config)
