"""Triage: score every assistant turn, suggest failure type and root causes, open the debt item.

Suggestions are stored with their evidence and stay suggestions until a person confirms them
(`confirm_triage`). The debt item for the violated principle is opened at the first triage, with
the incident's severity, through the governance ledger.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from safetyloop.errors import InputError
from safetyloop.governance import Clock, SystemClock, audit, current_actor
from safetyloop.governance.debt import open_debt
from safetyloop.incidents._record import Incident
from safetyloop.incidents._repo import get_incident, update_incident
from safetyloop.incidents._rules import Suggestion, TurnScores, suggest
from safetyloop.incidents._taxonomy import load_taxonomy
from safetyloop.scoring import Score, ScoreInput, create_scorer
from safetyloop.store import Store

__all__ = ["DEFAULT_SCORERS", "TriageResult", "TurnVerdict", "confirm_triage", "triage"]

DEFAULT_SCORERS = ("refusal", "harm")


class TurnVerdict(BaseModel):
    """One scorer's verdict on one assistant turn."""

    model_config = ConfigDict(frozen=True)

    turn: int
    scorer: str
    label: str
    confidence: float
    explanation: str


class TriageResult(BaseModel):
    """What triage found: verdicts per turn, suggestions with evidence, and the debt item."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    scorer_versions: dict[str, str]
    verdicts: list[TurnVerdict]
    suggestions: list[Suggestion]
    debt_id: str | None
    debt_note: str


def _turn_text(incident: Incident, turn: int) -> str:
    """What the assistant did at `turn`: its words, and any tool calls spelled out."""
    message = incident.transcript[turn]
    calls = [
        f"[tool call {c.get('function', {}).get('name', '?')}"
        f"({c.get('function', {}).get('arguments', '')})]"
        for c in message.tool_calls or []
    ]
    return " ".join([message.content, *calls]).strip()


def score_turns(
    incident: Incident, scorers: Sequence[str], scorer_config: dict[str, dict[str, Any]]
) -> tuple[TurnScores, dict[str, str]]:
    """Every scorer's verdict on every assistant turn up to and including the first unsafe one,
    and on the later ones too (erosion and escalation rules look at them)."""
    turns = [i for i, m in enumerate(incident.transcript) if m.role == "assistant"]
    items = [
        ScoreInput(messages=tuple(incident.transcript[:i]), response=_turn_text(incident, i))
        for i in turns
    ]
    out: TurnScores = {i: {} for i in turns}
    versions: dict[str, str] = {}
    for name in scorers:
        scorer = create_scorer(name, scorer_config.get(name))
        versions[name] = scorer.version
        scores: list[Score] = scorer.score_batch(items)
        for i, score in zip(turns, scores, strict=True):
            out[i][name] = score
    return out, versions


def triage(
    store: Store,
    incident_id: str,
    *,
    scorers: Sequence[str] = DEFAULT_SCORERS,
    scorer_config: dict[str, dict[str, Any]] | None = None,
    owner: str | None = None,
    actor: str | None = None,
    clock: Clock | None = None,
) -> TriageResult:
    """Score the transcript, store suggestions, and open the debt item if none is open yet."""
    stored = get_incident(store, incident_id)
    incident = stored.incident
    by = actor or current_actor()
    turn_scores, versions = score_turns(incident, scorers, scorer_config or {})
    suggestions = suggest(incident, turn_scores)
    verdicts = [
        TurnVerdict(
            turn=i,
            scorer=name,
            label=s.label,
            confidence=s.confidence,
            explanation=s.explanation,
        )
        for i, by_scorer in sorted(turn_scores.items())
        for name, s in by_scorer.items()
    ]
    debt_id, note = stored.debt_id, "already recorded at an earlier triage"
    if debt_id is None:
        debt_id = open_debt(
            store,
            principle=incident.principle,
            severity=incident.severity.value,
            description=f"incident {incident.id}: {incident.title}",
            owner=owner or by,
            evidence={"incidents": [incident.id]},
            actor=by,
            clock=clock,
        ).id
        note = "opened"
    body = {
        "scorer_versions": versions,
        "verdicts": [v.model_dump(mode="json") for v in verdicts],
        "suggestions": [s.model_dump(mode="json") for s in suggestions],
        "at": (clock or SystemClock()).now().isoformat(),
        "by": by,
    }
    update_incident(
        store,
        incident_id,
        clock=clock,
        status="promoted" if stored.status == "promoted" else "triaged",
        triage=body,
        debt_id=debt_id,
    )
    audit.record(
        store,
        "incident.triaged",
        {
            "incident_id": incident_id,
            "suggested": sorted(f"{s.kind}:{s.id}" for s in suggestions),
            "debt_id": debt_id,
        },
        actor=by,
        clock=clock,
    )
    return TriageResult(
        incident_id=incident_id,
        scorer_versions=versions,
        verdicts=verdicts,
        suggestions=suggestions,
        debt_id=debt_id,
        debt_note=note,
    )


def confirm_triage(
    store: Store,
    incident_id: str,
    *,
    failure_type: str | None = None,
    root_causes: Sequence[str] = (),
    actor: str | None = None,
    clock: Clock | None = None,
) -> dict[str, Any]:
    """A person's decision on the triage: the given classes, else the suggested ones.

    Refused before triage has run (there is nothing to confirm), and for ids outside the
    taxonomy.
    """
    stored = get_incident(store, incident_id)
    if stored.triage is None:
        raise InputError(
            f"incident {incident_id} has not been triaged",
            hint=f"run `safetyloop incident triage {incident_id}` first",
        )
    taxonomy = load_taxonomy()
    suggested = [Suggestion.model_validate(s) for s in stored.triage["suggestions"]]
    chosen_type = failure_type or next((s.id for s in suggested if s.kind == "failure_type"), None)
    chosen_causes = list(root_causes) or [s.id for s in suggested if s.kind == "root_cause"]
    if chosen_type is None or chosen_type not in taxonomy.failure_type_ids():
        raise InputError(
            f"unknown failure type {chosen_type!r}",
            hint=f"known: {', '.join(sorted(taxonomy.failure_type_ids()))}",
        )
    unknown = [c for c in chosen_causes if c not in taxonomy.root_cause_ids()]
    if unknown:
        raise InputError(
            f"unknown root cause(s) {', '.join(unknown)}",
            hint=f"known: {', '.join(sorted(taxonomy.root_cause_ids()))}",
        )
    by = actor or current_actor()
    confirmed = {
        "failure_type": chosen_type,
        "root_causes": chosen_causes,
        "by": by,
        "at": (clock or SystemClock()).now().isoformat(),
        "matches_suggestions": chosen_type in {s.id for s in suggested}
        and set(chosen_causes) <= {s.id for s in suggested},
    }
    update_incident(store, incident_id, clock=clock, confirmed=confirmed)
    audit.record(
        store,
        "incident.triage_confirmed",
        json.loads(json.dumps({"incident_id": incident_id, **confirmed})),
        actor=by,
        clock=clock,
    )
    return confirmed
