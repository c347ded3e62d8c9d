"""One Inspect sample → one stored case: its input, transcript, response and verdicts.

Each (sample id, epoch) is a case `id#epoch` of the task's suite; epochs of one sample share
`metadata["cluster"]`, so the gate's statistics treat them as one cluster, not as independent
draws. Each Inspect score becomes a verdict of scorer `inspect:<name>` whose label is the score
value as text (`C`, `I`, `0.5`...); its answer, explanation and metadata are kept whole in the
result's metadata so an export gives them back unchanged.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from safetyloop._hashing import content_hash
from safetyloop.engine import CaseResult
from safetyloop.interop._reader import InspectLogError, sample_name
from safetyloop.scoring import Score
from safetyloop.store.interop import ImportedCase, Verdict
from safetyloop.suites import Case, Expected, Message

#: Prefix of the scorer and suite names an import creates.
PREFIX = "inspect:"
#: Where an imported result keeps what only Inspect has (ids, raw scores, target).
INSPECT_META = "inspect"
#: Where a result keeps its whole transcript (tool calls and results included).
TRANSCRIPT_META = "transcript"
#: Longest verdict label the store keeps.
_LABEL_MAX = 32
#: Hex digits of the full value's hash that end a cut label.
_DIGITS = 8
_ROLES = {"system", "user", "assistant", "tool"}


@dataclass(frozen=True)
class SampleContext:
    """What every sample of one log shares."""

    file: str
    suite: str
    expected: Expected
    #: Inspect scorer name → its spec in the log header (options), for its version.
    scorer_specs: dict[str, dict[str, Any]]


def scorer_name(inspect_scorer: str) -> str:
    return f"{PREFIX}{inspect_scorer}"


def scorer_version(inspect_scorer: str, spec: dict[str, Any] | None) -> str:
    """An imported scorer's version: its Inspect name and options (as the log records them)."""
    options = (spec or {}).get("options", {})
    return content_hash({"inspect_scorer": inspect_scorer, "options": options})


def case_id(sample: dict[str, Any]) -> str:
    return f"{sample.get('id')}#{sample.get('epoch', 1)}"


def convert(sample: dict[str, Any], ctx: SampleContext) -> ImportedCase:
    """Build the case, result and verdicts of one sample; a sample that cannot be used is an
    error naming the file and the sample."""
    where = f"{ctx.file}: {sample_name(sample)}"
    if sample.get("id") is None:
        raise InspectLogError(f"{where}: field 'id' is missing")
    metadata = sample.get("metadata") or {}
    expected = _expected(metadata.get("expected"), ctx.expected)
    category = metadata.get("category")
    case = Case(
        id=case_id(sample),
        suite=ctx.suite,
        category=category if isinstance(category, str) and category else ctx.suite,
        messages=tuple(_input_messages(sample.get("input"), where)),
        expected=expected,
        metadata={
            "cluster": str(sample["id"]),
            "inspect_id": sample["id"],
            "epoch": sample.get("epoch", 1),
            "target": sample.get("target"),
            "inspect_metadata": metadata,
        },
    )
    scores = sample.get("scores") or {}
    error = sample.get("error")
    if not scores and not error:
        raise InspectLogError(
            f"{where}: the sample has no scores",
            hint="score the log first (`inspect score`), or import a scored log",
        )
    transcript = [
        _message(m, where).model_dump(exclude_none=True) for m in _list(sample, "messages")
    ]
    output = sample.get("output") or {}
    result = CaseResult(
        case_key=case.key,
        status="error" if error else "ok",
        response=_completion(output, transcript),
        error_kind="inspect_sample_error" if error else None,
        error=_error_text(error) if error else None,
        finish_reason=_stop_reason(output),
        latency_s=float(sample.get("total_time") or 0.0),
        metadata={
            TRANSCRIPT_META: transcript,
            INSPECT_META: {
                "id": sample["id"],
                "epoch": sample.get("epoch", 1),
                "uuid": sample.get("uuid"),
                "model": output.get("model"),
                "scores": {name: _raw_score(s) for name, s in scores.items()},
                "model_usage": sample.get("model_usage") or {},
            },
        },
    )
    verdicts = [
        Verdict(
            scorer=scorer_name(part),
            scorer_version=scorer_version(part, ctx.scorer_specs.get(name)),
            score=Score(
                label=label,
                confidence=1.0,
                explanation=_explanation(value, label, score.get("explanation")),
            ),
        )
        for name, score in scores.items()
        for part, value in _values(name, score.get("value"))
        for label in [_label(value, f"{where}: score {part!r}")]
    ]
    return ImportedCase(case=case, result=result, verdicts=verdicts)


def _values(name: str, value: Any) -> list[tuple[str, Any]]:
    """(scorer name, value) of one Inspect score: a dict value (several metrics from one
    scorer) is one verdict per key, named `<scorer>/<key>`."""
    if isinstance(value, dict):
        return [(f"{name}/{key}", v) for key, v in value.items()]
    return [(name, value)]


def _expected(value: Any, default: Expected) -> Expected:
    return Expected(value) if value in {e.value for e in Expected} else default


def _list(sample: dict[str, Any], name: str) -> list[Any]:
    value = sample.get(name) or []
    return value if isinstance(value, list) else []


def _input_messages(value: Any, where: str) -> list[Message]:
    if isinstance(value, str):
        return [Message(role="user", content=value)]
    if isinstance(value, list) and value:
        return [_message(m, where) for m in value]
    raise InspectLogError(f"{where}: field 'input' is missing or empty")


def _message(raw: Any, where: str) -> Message:
    if not isinstance(raw, dict) or raw.get("role") not in _ROLES:
        raise InspectLogError(f"{where}: a message has no known role ({str(raw)[:80]})")
    calls = raw.get("tool_calls")
    return Message(
        role=raw["role"],
        content=text_of(raw.get("content")),
        tool_calls=[
            {"id": c.get("id"), "function": c.get("function"), "arguments": c.get("arguments")}
            for c in calls
        ]
        if calls
        else None,
        tool_call_id=raw.get("tool_call_id"),
        name=raw.get("function"),
    )


def text_of(content: Any) -> str:
    """A message's text: Inspect content is a string or a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") or p.get("reasoning") or "" for p in content if isinstance(p, dict)]
        return "\n".join(p for p in parts if p)
    return ""


def _completion(output: dict[str, Any], transcript: list[dict[str, Any]]) -> str | None:
    completion = output.get("completion")
    if isinstance(completion, str) and completion:
        return completion
    last = next((m for m in reversed(transcript) if m["role"] == "assistant"), None)
    return str(last["content"]) if last else None


def _stop_reason(output: dict[str, Any]) -> str | None:
    choices = output.get("choices") or []
    reason = choices[0].get("stop_reason") if choices and isinstance(choices[0], dict) else None
    return str(reason) if reason else None


def _error_text(error: Any) -> str:
    return str(error.get("message", error)) if isinstance(error, dict) else str(error)


def _raw_score(score: Any) -> dict[str, Any]:
    raw = score if isinstance(score, dict) else {"value": score}
    return {k: raw.get(k) for k in ("value", "answer", "explanation", "metadata")}


def _label(value: Any, where: str) -> str:
    """A score value as a verdict label: a string as it is, anything else as JSON.

    A label longer than the store's 32 characters is cut to its first 23, an ellipsis and 8
    hex digits of the full value's SHA-256 (so different long values stay different labels);
    the full value is kept in the explanation and, untouched, in the result's Inspect metadata.
    """
    if value is None:
        raise InspectLogError(f"{where}: the score has no value")
    label = _text(value)
    if len(label) > _LABEL_MAX:
        digest = hashlib.sha256(label.encode("utf-8")).hexdigest()[:_DIGITS]
        return f"{label[: _LABEL_MAX - _DIGITS - 1]}\u2026{digest}"
    return label


def _explanation(value: Any, label: str, explanation: Any) -> str:
    """Inspect's explanation, after the full value when the label had to be cut."""
    text = str(explanation or "")
    full = _text(value)
    return text if full == label else f"full value: {full}" + (f"\n{text}" if text else "")


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)
