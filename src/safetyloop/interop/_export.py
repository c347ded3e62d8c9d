"""A stored run → an Inspect `.eval` log that `inspect view` opens and `read_eval_log` reads.

Written by Inspect's own `write_eval_log` when `inspect_ai` is installed, else by a zip writer
of ours (deflate, which every Inspect version reads): the header, one
`samples/<id>_epoch_<n>.json` per case, and `summaries.json`. A run imported from Inspect
gives back its sample ids, epochs, targets, transcripts and raw scores (value, answer,
explanation); a run safetyloop ran itself becomes one sample per case (id `suite/id`, target
its expected behaviour) with every verdict as a score.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safetyloop.engine import CaseResult
from safetyloop.interop._convert import INSPECT_META, PREFIX, TRANSCRIPT_META
from safetyloop.interop._import import inspect_lineage
from safetyloop.scoring import Score
from safetyloop.store import RunInfo, Store
from safetyloop.suites import Case

#: The Inspect log schema version written.
WRITTEN_VERSION = 2
#: Prefix of safetyloop's own scorers in an exported log (Inspect's keep their names).
OWN_PREFIX = "safetyloop/"


@dataclass(frozen=True)
class Exported:
    """What an export wrote, and with what (`inspect_ai <version>` or `safetyloop`)."""

    path: Path
    run_id: str
    samples: int
    scorers: list[str]
    writer: str


def export_inspect(store: Store, run_ref: str, out: Path) -> Exported:
    """Write run `run_ref` as an Inspect `.eval` log at `out` (replaced whole on success).

    With `inspect_ai` installed the log is validated into its `EvalLog` and written by its
    `write_eval_log` (the Python API is Inspect's stable surface, the file format is not
    frozen); without it, by our own zip writer in the format Inspect reads today."""
    info = store.get_run(run_ref)
    cases = store.run_cases(info.id)
    results = store.results(info.id)
    verdicts = {
        _score_name(name): store.scores(info.id, version)
        for name, version in info.scorer_versions.items()
    }
    samples = [_sample(c, results.get(c.key), verdicts) for c in cases]
    header = _header(info, samples, list(verdicts))
    partial = out.with_name(f".{out.stem}.partial.eval")
    try:
        writer = _write_with_inspect(header, samples, partial)
    except ImportError:
        writer = _write_zip(header, samples, partial)
    partial.replace(out)
    return Exported(out, info.id, len(samples), list(verdicts), writer)


def _write_with_inspect(header: dict[str, Any], samples: list[dict[str, Any]], to: Path) -> str:
    from inspect_ai import __version__
    from inspect_ai.log import EvalLog, write_eval_log

    write_eval_log(EvalLog.model_validate({**header, "samples": samples}), str(to), "eval")
    return f"inspect_ai {__version__}"


def _write_zip(header: dict[str, Any], samples: list[dict[str, Any]], to: Path) -> str:
    with zipfile.ZipFile(to, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for sample in samples:
            zf.writestr(f"samples/{sample['id']}_epoch_{sample['epoch']}.json", _json(sample))
        zf.writestr("summaries.json", _json([_summary(s) for s in samples]))
        zf.writestr("header.json", _json(header))
    return "safetyloop"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _score_name(name: str) -> str:
    return name.removeprefix(PREFIX) if name.startswith(PREFIX) else f"{OWN_PREFIX}{name}"


def _sample(
    case: Case, result: CaseResult | None, verdicts: dict[str, dict[str, Score]]
) -> dict[str, Any]:
    meta = (result.metadata.get(INSPECT_META) if result else None) or {}
    # An imported sample's Inspect scores as they were; then every other verdict on it
    scores: dict[str, Any] = dict(meta.get("scores") or {})
    imported = tuple(scores)
    for name, by_case in verdicts.items():
        score = by_case.get(case.key)
        if score is not None and not _covered(name, imported):
            scores[name] = {"value": score.label, "explanation": score.explanation}
    transcript = (result.metadata.get(TRANSCRIPT_META) if result else None) or _conversation(
        case, result
    )
    messages = [_inspect_message(m) for m in transcript]
    response = result.response if result else None
    last = next((m for m in reversed(messages) if m["role"] == "assistant"), None)
    sample: dict[str, Any] = {
        "id": case.metadata.get("inspect_id", case.key) if meta else case.key,
        "epoch": int(case.metadata.get("epoch", 1)) if meta else 1,
        "input": _input(case),
        "target": case.metadata.get("target", "") if meta else case.expected.value,
        "messages": messages,
        "output": {
            "model": meta.get("model") or "",
            "choices": [{"message": last, "stop_reason": result.finish_reason or "unknown"}]
            if last and result
            else [],
            "completion": response or "",
        },
        "scores": scores,
        "metadata": case.metadata.get("inspect_metadata", {})
        if meta
        else {"category": case.category, "expected": case.expected.value, **case.metadata},
        "model_usage": meta.get("model_usage") or {},
        "total_time": result.latency_s if result else None,
    }
    if meta.get("uuid"):
        sample["uuid"] = meta["uuid"]
    if result is None or result.status == "error":
        message = result.error if result else "the case has no result"
        sample["error"] = {"message": message or "", "traceback": "", "traceback_ansi": ""}
    return sample


def _covered(name: str, imported: tuple[str, ...]) -> bool:
    """Whether verdict `name` came from an imported Inspect score (itself, or one key of its
    dict value, `<scorer>/<key>`), which is exported as it was."""
    return any(name == raw or name.startswith(f"{raw}/") for raw in imported)


def _conversation(case: Case, result: CaseResult | None) -> list[dict[str, Any]]:
    messages = [m.model_dump(exclude_none=True) for m in case.messages]
    if result is not None and result.response is not None:
        messages.append({"role": "assistant", "content": result.response})
    return messages


def _inspect_message(message: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message["role"], "content": message.get("content", "")}
    if message.get("tool_calls"):
        out["tool_calls"] = [{**call, "type": "function"} for call in message["tool_calls"]]
    if message.get("tool_call_id"):
        out["tool_call_id"] = message["tool_call_id"]
    if message.get("name") and message["role"] == "tool":
        out["function"] = message["name"]
    return out


def _input(case: Case) -> str | list[dict[str, Any]]:
    if len(case.messages) == 1 and case.messages[0].role == "user":
        return case.messages[0].content
    return [_inspect_message(m.model_dump(exclude_none=True)) for m in case.messages]


def _summary(sample: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "epoch", "input", "target", "scores", "metadata", "uuid")
    summary = {k: sample[k] for k in keys if k in sample}
    summary["completed"] = True
    if "error" in sample:
        summary["error"] = sample["error"]["message"]
    return summary


def _header(info: RunInfo, samples: list[dict[str, Any]], scorers: list[str]) -> dict[str, Any]:
    source = inspect_lineage(info) or {}
    created = source.get("created") or info.created_at.astimezone(UTC).isoformat()
    ids = list(dict.fromkeys(s["id"] for s in samples))
    epochs = max((s["epoch"] for s in samples), default=1)
    target = info.lineage.get("target") or {}
    return {
        "version": WRITTEN_VERSION,
        "status": "success",
        "eval": {
            "eval_id": source.get("eval_id") or info.id,
            "run_id": source.get("run_id") or info.id,
            "created": created,
            "task": source.get("task") or _task_name(info),
            "task_id": source.get("task_id") or info.plan_hash[:22],
            "task_version": source.get("task_version") or 0,
            "dataset": {"samples": len(ids), "sample_ids": ids, "shuffled": False},
            "model": info.target_name,
            "model_generate_config": target.get("model_generate_config") or {},
            "config": {"epochs": epochs},
            "scorers": _scorer_specs(source, scorers),
            "metadata": {"safetyloop_run": info.id, "target_version": info.target_version},
        },
        "plan": {"name": "plan", "steps": [], "config": {}},
        "results": {
            "total_samples": len(samples),
            "completed_samples": sum("error" not in s for s in samples),
            "scores": [
                {
                    "name": name,
                    "scorer": name,
                    "scored_samples": sum(name in s["scores"] for s in samples),
                    "unscored_samples": sum(name not in s["scores"] for s in samples),
                    "params": {},
                    "metrics": {},
                }
                for name in scorers
            ],
        },
        "stats": {
            "started_at": info.created_at.isoformat(),
            "completed_at": (info.finished_at or datetime.now(UTC)).isoformat(),
            "model_usage": {},
        },
    }


def _task_name(info: RunInfo) -> str:
    suites = [s for s in info.suite_versions if not s.startswith("_")]
    return "+".join(s.removeprefix(PREFIX) for s in suites) or "safetyloop"


def _scorer_specs(source: dict[str, Any], scorers: list[str]) -> list[dict[str, Any]]:
    """The imported log's scorer specs, plus one for each scorer it did not have."""
    listed = [s for s in source.get("scorers") or [] if isinstance(s, dict)]
    names = {s.get("name") for s in listed}
    return listed + [
        {"name": name, "options": {}, "metrics": [], "metadata": {}}
        for name in scorers
        if name not in names
    ]
