"""From stored conversations to `AttackResult`s: what the metrics, `show` and the gate read."""

from __future__ import annotations

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


def load_evidence(store: Store, ref: str) -> RedteamEvidence:
    """A stored red-team run (id, prefix or `latest`) as gate evidence."""
    run = db.get_run(store, ref)
    by_conversation = db.run_events(store, run.id)
    return RedteamEvidence(
        run_id=run.id,
        status=run.status,
        attack_set_hash=run.attack_set_hash,
        target_version=run.target_version,
        results=[
            attack_result(c, by_conversation.get(c.id, [])) for c in db.conversations(store, run.id)
        ],
    )
