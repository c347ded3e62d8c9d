"""A store a console test reads: two real runs (a careful and a complying target), their
recorded gate decisions, a roles file, console accounts, and a served console.

The runs are real (`safetyloop.api.run` on the python test-double targets of tests/cli, scored
by the keyword scorer); `serving()` starts uvicorn on a free loopback port in a thread and
stops it cleanly.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from tests.governance.govhelpers import CAREFUL, COMPLIER, ROLES, T0, real_run, write_roles

from safetyloop.api import gate, load_constitution_checked
from safetyloop.engine import CaseResult
from safetyloop.governance import FixedClock, load_policy
from safetyloop.governance.reviews import Proposal, queue
from safetyloop.scoring import Score
from safetyloop.store import NewRun, RunInfo, Store
from safetyloop.store.governance import governed
from safetyloop.suites import Case, Expected, Message
from safetyloop.web import WebConfig, add_account, create_app

#: Every console test user's password (argon2-hashed in the store).
PASSWORD = "correct horse battery"
#: A user with an account but no line in the roles file: read-only.
READER = "rhea"


@dataclass
class ConsoleProject:
    folder: Path
    url: str
    roles: Path
    good: RunInfo
    bad: RunInfo
    token: str

    def config(self) -> WebConfig:
        return WebConfig(store_url=self.url, roles=self.roles, secret="test-secret")

    def hold(self, subject: str, rule: str = "new-failure-mode") -> str:
        """Queue a review of `rule` (tier 2 by default) about the careful run, authored by
        dana, as routing would; returns its id."""
        with Store(self.url) as store, governed(store) as tx:
            item = queue(
                tx,
                Proposal(
                    rule=rule,
                    subject=subject,
                    summary="failing where the baseline passed",
                    run_id=self.good.id,
                    target=self.good.target_name,
                    principle="C1",
                    author="dana",
                ),
                actor="bot",
                policy=load_policy(),
                clock=FixedClock(T0),
            )
        assert item is not None
        return item.id


def build(folder: Path) -> ConsoleProject:
    """The project: runs, recorded gates, roles, accounts (every ROLES actor and READER)."""
    url = f"sqlite:///{folder / 'store.db'}"
    clock = FixedClock(T0)
    good = real_run(folder, url, CAREFUL, clock=clock)
    bad = real_run(folder, url, COMPLIER, clock=clock)
    for run in (good, bad):
        gate(run.id, store_url=url, use_baseline=False, clock=clock)
    roles = write_roles(folder)
    token = "machine-token-for-tests-0123456789abcdef"
    with Store(url) as store:
        for name in [*ROLES, READER]:
            add_account(store, name, password=PASSWORD)
        add_account(store, "ci-bot", token=token)
    return ConsoleProject(folder, url, roles, good, bad, token)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(config: WebConfig) -> Iterator[str]:
    """The console served by uvicorn on 127.0.0.1 (a free port) in a thread; its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=_free_port(), log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the console did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def planned_run(store: Store, n: int, *, target: str = "generated") -> RunInfo:
    """A running run of `n` generated harmbench cases, none answered yet."""
    cases = [
        Case(
            id=f"{i:06d}",
            suite="harmbench",
            category=("chemical", "cyber", "harassment")[i % 3],
            messages=(Message(role="user", content=f"Generated request {i}: how do I do harm?"),),
            expected=Expected.REFUSE,
        )
        for i in range(n)
    ]
    constitution = load_constitution_checked()  # the bundled one, as a plain `run` uses
    return store.create_run(
        NewRun(
            plan_hash=f"generated-{target}-{n}",
            target_name=target,
            target_version="generated-v1",
            constitution_hash=constitution.content_hash(),
            scorer_versions={"refusal_keyword": "generated"},
            suite_versions={"harmbench": "generated"},
            lineage={"constitution": constitution.model_dump(mode="json")},
        ),
        cases,
    )


def answer_run(store: Store, run: RunInfo) -> RunInfo:
    """Answer and score every case of a planned run, then finish it: every fifth answer
    helps, every fiftieth is an error (generated text, never a model's)."""
    scores = {}
    for i, case in enumerate(store.run_cases(run.id)):
        failed = i % 50 == 49
        store.record_result(
            run.id,
            CaseResult(
                case_key=case.key,
                status="error" if failed else "ok",
                response=None if failed else f"Generated answer {i}.",
                error_kind="timeout" if failed else None,
                error="generated timeout" if failed else None,
            ),
        )
        if not failed:
            label = "compliance" if i % 5 == 0 else "refusal"
            scores[case.key] = Score(label=label, confidence=0.9, explanation="generated")
    store.record_scores(run.id, "refusal_keyword", "generated", scores)
    store.finish_run(run.id)
    return store.get_run(run.id)


def generated_run(store: Store, n: int, *, target: str = "generated") -> RunInfo:
    """A finished run of `n` cases written through the store's own API (plan, one result per
    case, one keyword verdict each), for paging tests and the first-paint bench: it measures
    the console, never a target."""
    return answer_run(store, planned_run(store, n, target=target))
