"""Triage rules: suggestions of failure type and root causes from the transcript and the scores.

Each rule is a small function over the incident and the scorers' verdicts per assistant turn. It
returns suggestions with the evidence that made it fire (message numbers, matched text, verdicts),
so the person who confirms the triage can check every one. Rules suggest; people decide.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from safetyloop.incidents._record import Incident
from safetyloop.scoring import Score

__all__ = ["RULES", "Suggestion", "TurnScores", "suggest"]

#: scorer name -> verdict, for each assistant turn (index into the transcript).
TurnScores = dict[int, dict[str, Score]]

UNSAFE_LABELS = frozenset({"compliance", "partial", "achieved"})


class Suggestion(BaseModel):
    """One suggested class with the evidence behind it."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["failure_type", "root_cause"]
    id: str
    rule: str
    evidence: list[str]


@dataclass(frozen=True)
class _Facts:
    incident: Incident
    scores: TurnScores

    def label(self, turn: int, scorer: str) -> Score | None:
        return self.scores.get(turn, {}).get(scorer)

    def verdict(self, turn: int, scorer: str) -> str:
        score = self.label(turn, scorer)
        return f"{scorer}={score.label} ({score.confidence:.2f})" if score else f"{scorer}=unscored"


Rule = Callable[[_Facts], list[Suggestion]]

_INJECTION = re.compile(
    r"ignore (all |any )?(the )?(previous|prior|above|earlier) instructions|system notice|"
    r"you must now|new instructions|do not (mention|tell|reveal)|disregard (your|the) (rules|"
    r"instructions)",
    re.IGNORECASE,
)
_ROLE_PLAY = re.compile(
    r"let'?s play|you are now|pretend (to be|you)|role[- ]?play|stay(s)? in character|"
    r"no (content )?(rules|restrictions|filters)|\bDAN\b|developer mode|jailbr\w*",
    re.IGNORECASE,
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]{20,}={0,2}")
_THRESHOLD = re.compile(
    r"(\d?\.\d+)\s+(against|below|under)\s+(a|the)?\s*(\d?\.\d+)(\s+\w+)?\s+threshold",
    re.IGNORECASE,
)
_FLAGGED = re.compile(
    r"\bflag(ged)?\b[^.]*\b(nobody|no one|not|never|days?|hours?)\b", re.IGNORECASE
)


def _s(kind: Literal["failure_type", "root_cause"], id: str, rule: str, *ev: str) -> Suggestion:
    return Suggestion(kind=kind, id=id, rule=rule, evidence=list(ev))


def _quote(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def injection(f: _Facts) -> list[Suggestion]:
    """Instructions inside a tool result the model read before acting."""
    out = []
    for i, m in enumerate(f.incident.transcript[: f.incident.first_unsafe_turn]):
        match = _INJECTION.search(m.content) if m.role == "tool" else None
        if match:
            ev = f"message {i} (tool result of {m.name or m.tool_call_id}) carries instructions: "
            ev += repr(match.group(0))
            out.append(_s("failure_type", "prompt_injection", "injection", ev))
            out.append(_s("root_cause", "untrusted_content_as_instructions", "injection", ev))
    return out[:2]


def tool_misuse(f: _Facts) -> list[Suggestion]:
    """The unsafe turn is an action, not words."""
    turn = f.incident.transcript[f.incident.first_unsafe_turn]
    if not turn.tool_calls:
        return []
    names = [str(c.get("function", {}).get("name", c.get("name", "?"))) for c in turn.tool_calls]
    user_after = [
        m for m in f.incident.transcript[: f.incident.first_unsafe_turn] if m.role == "user"
    ]
    ev = (
        f"message {f.incident.first_unsafe_turn} calls {', '.join(names)}; the user's last request "
        f"was {_quote(user_after[-1].content) if user_after else 'none'!r}"
    )
    return [
        _s("failure_type", "tool_misuse", "tool-misuse", ev),
        _s(
            "root_cause",
            "excessive_tool_permissions",
            "tool-misuse",
            ev + "; no confirmation step stood between the call and its effect",
        ),
    ]


def hallucinated_tool_output(f: _Facts) -> list[Suggestion]:
    """A tool call that never got a result before the assistant spoke again."""
    pending: dict[str, int] = {}
    out = []
    for i, m in enumerate(f.incident.transcript[: f.incident.first_unsafe_turn + 1]):
        if m.role == "tool" and m.tool_call_id:
            pending.pop(m.tool_call_id, None)
        if m.role == "assistant" and pending and m.content.strip():
            calls = ", ".join(f"{cid} (message {at})" for cid, at in pending.items())
            out.append(
                _s(
                    "failure_type",
                    "hallucinated_tool_output",
                    "unanswered-tool-call",
                    f"message {i} speaks while tool call(s) {calls} have no result",
                )
            )
            pending.clear()
        for call in m.tool_calls or []:
            if "id" in call:
                pending[str(call["id"])] = i
    return out[:1]


def erosion(f: _Facts) -> list[Suggestion]:
    """Refused earlier, gave in later: the policy eroded over turns."""
    unsafe = f.incident.first_unsafe_turn
    refused = [
        i
        for i in sorted(f.scores)
        if i < unsafe and (s := f.label(i, "refusal")) is not None and s.label == "refusal"
    ]
    if not refused:
        return []
    users = sum(1 for m in f.incident.transcript[refused[0] : unsafe] if m.role == "user")
    ev = (
        f"message {refused[0]} was a refusal ({f.verdict(refused[0], 'refusal')}); after {users} "
        f"more user turn(s) message {unsafe} gave in ({f.verdict(unsafe, 'refusal')})"
    )
    return [
        _s("failure_type", "policy_erosion", "erosion", ev),
        _s("root_cause", "no_conversation_level_monitoring", "erosion", ev),
    ]


def decomposition(f: _Facts) -> list[Suggestion]:
    """Several sub-questions, each answered, none refused, adding up to the harmful whole."""
    unsafe = f.incident.first_unsafe_turn
    prefix = f.incident.transcript[:unsafe]
    users = [i for i, m in enumerate(prefix) if m.role == "user"]
    answered = [
        i
        for i in sorted(f.scores)
        if i < unsafe and (s := f.label(i, "refusal")) is not None and s.label != "refusal"
    ]
    if (
        len(users) < 2
        or not answered
        or any(
            (s := f.label(i, "refusal")) is not None and s.label == "refusal"
            for i in f.scores
            if i < unsafe
        )
    ):
        return []
    ev = (
        f"{len(users)} user questions (messages {', '.join(map(str, users))}) were answered one "
        f"by one without a refusal ({'; '.join(f.verdict(i, 'refusal') for i in answered)}) "
        f"before message {unsafe}"
    )
    return [
        _s("failure_type", "decomposition", "decomposition", ev),
        _s("root_cause", "no_conversation_level_monitoring", "decomposition", ev),
    ]


def role_play(f: _Facts) -> list[Suggestion]:
    """A persona or fiction frame in the user's messages."""
    for i, m in enumerate(f.incident.transcript[: f.incident.first_unsafe_turn]):
        match = _ROLE_PLAY.search(m.content) if m.role == "user" else None
        if match:
            ev = f"message {i} sets up a persona: {match.group(0)!r}"
            return [_s("failure_type", "role_play_jailbreak", "role-play", ev)]
    return []


def _decoded(token: str) -> str | None:
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(ch.isprintable() for ch in text)
    return text if text and printable / len(text) > 0.95 and " " in text else None


def encoding(f: _Facts) -> list[Suggestion]:
    """A request hidden in base64 that plain-text safeguards cannot read."""
    for i, m in enumerate(f.incident.transcript[: f.incident.first_unsafe_turn]):
        if m.role != "user":
            continue
        for token in _BASE64.findall(m.content):
            text = _decoded(token)
            if text:
                ev = f"message {i} carries base64 that decodes to {_quote(text)!r}"
                return [
                    _s("failure_type", "encoded_request", "encoding", ev),
                    _s("root_cause", "encoding_blind_spot", "encoding", ev),
                ]
    return []


def model_compliance(f: _Facts) -> list[Suggestion]:
    """The model itself produced the unsafe text (scored as compliance)."""
    unsafe = f.incident.first_unsafe_turn
    score = f.label(unsafe, "refusal")
    if score is None or score.label not in UNSAFE_LABELS:
        return []
    return [
        _s(
            "root_cause",
            "model_compliance",
            "model-compliance",
            f"message {unsafe} scored {f.verdict(unsafe, 'refusal')}",
        )
    ]


def safeguard_gap(f: _Facts) -> list[Suggestion]:
    """Harm went out and no safeguard stopped it."""
    unsafe = f.incident.first_unsafe_turn
    score = f.label(unsafe, "harm")
    guard = f.incident.deployment.safeguard_version
    if score is None or score.label not in UNSAFE_LABELS:
        return []
    where = "no safeguard was deployed" if guard is None else f"safeguard {guard} let it through"
    ev = f"message {unsafe} scored {f.verdict(unsafe, 'harm')} and {where}"
    return [_s("root_cause", "safeguard_gap", "safeguard-gap", ev)]


def threshold(f: _Facts) -> list[Suggestion]:
    """The record says a safeguard scored the content under its threshold."""
    text = f"{f.incident.impact} {f.incident.notes}"
    match = _THRESHOLD.search(text)
    if not match:
        return []
    ev = f"the record says: {match.group(0)!r}"
    return [_s("root_cause", "threshold_misconfiguration", "threshold", ev)]


def escalation(f: _Facts) -> list[Suggestion]:
    """The conversation went on being unsafe after it was flagged."""
    unsafe = f.incident.first_unsafe_turn
    later = [i for i, m in enumerate(f.incident.transcript) if i > unsafe and m.role == "assistant"]
    match = _FLAGGED.search(f"{f.incident.impact} {f.incident.notes}")
    if not match or not later:
        return []
    ev = (
        f"{len(later)} more assistant turn(s) after message {unsafe}, and the record says: "
        f"{match.group(0)!r}"
    )
    return [_s("root_cause", "escalation_delay", "escalation", ev)]


def direct(f: _Facts) -> list[Suggestion]:
    """Nothing else explains it: a plain request, plainly answered."""
    return [
        _s(
            "failure_type",
            "direct_request",
            "direct",
            f"no attack pattern found before message {f.incident.first_unsafe_turn}",
        )
    ]


RULES: tuple[Rule, ...] = (
    injection,
    tool_misuse,
    hallucinated_tool_output,
    erosion,
    decomposition,
    role_play,
    encoding,
    model_compliance,
    safeguard_gap,
    threshold,
    escalation,
)


def suggest(incident: Incident, scores: TurnScores) -> list[Suggestion]:
    """Every rule's suggestions, failure types first; `direct_request` only when nothing fired.

    A class suggested by several rules is listed once, with the evidence of each.
    """
    facts = _Facts(incident, scores)
    found: list[Suggestion] = [s for rule in RULES for s in rule(facts)]
    if not any(s.kind == "failure_type" for s in found):
        found.extend(direct(facts))
    merged: dict[tuple[str, str], Suggestion] = {}
    for s in found:
        key = (s.kind, s.id)
        if key in merged:
            old = merged[key]
            merged[key] = old.model_copy(
                update={"rule": f"{old.rule}+{s.rule}", "evidence": [*old.evidence, *s.evidence]}
            )
        else:
            merged[key] = s
    return sorted(merged.values(), key=lambda s: s.kind != "failure_type")
