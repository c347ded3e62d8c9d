"""From stored conversations to `AttackResult`s: what the metrics, `show` and the gate read."""

from __future__ import annotations

from dataclasses import dataclass

from safetyloop.redteam import _store as db
from safetyloop.redteam._records import AttackResult, RedteamEvidence
from safetyloop.store import Store


def attack_result(conversation: db.Conversation, events: list[db.Event]) -> AttackResult:
    """One finished conversation; unfinished ones count as errors (no outcome yet)."""
    spec = conversation.spec
    finished = conversation.status == "ok"
    return AttackResult(
        key=spec.key,
        strategy=spec.strategy,
        family=spec.family,
        technique=spec.technique,
        cluster=spec.cluster,
        request=spec.request_key,
        category=spec.category,
        success=conversation.success if finished else None,
        first_failure_turn=conversation.first_failure_turn if finished else None,
        turn_violations=[(e.turn, bool(e.data.get("success"))) for e in events if e.kind == "turn"],
    )


@dataclass(frozen=True)
class StoredRedteamRun:
    """A stored red-team run with its conversations and their events (`redteam show` prints it)."""

    run: db.RedteamRun
    conversations: list[db.Conversation]
    events: dict[int, list[db.Event]]  # by conversation id

    @property
    def results(self) -> list[AttackResult]:
        """Each conversation as an `AttackResult`, in stored order."""
        return [attack_result(c, self.events.get(c.id, [])) for c in self.conversations]


def load_run(store: Store, ref: str) -> StoredRedteamRun:
    """A stored red-team run (id, prefix or `latest`), conversations and events included."""
    run = db.get_run(store, ref)
    return StoredRedteamRun(run, db.conversations(store, run.id), db.run_events(store, run.id))


def load_evidence(store: Store, ref: str) -> RedteamEvidence:
    """A stored red-team run (id, prefix or `latest`) as gate evidence."""
    stored = load_run(store, ref)
    return RedteamEvidence(
        run_id=stored.run.id,
        status=stored.run.status,
        attack_set_hash=stored.run.attack_set_hash,
        target_version=stored.run.target_version,
        results=stored.results,
    )
