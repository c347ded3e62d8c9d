"""`recorded`: answers read from a file the team already has, so they can be scored and gated
without calling any model (logged production traffic, another tool's outputs).

Spec: `recorded:PATH` or `recorded:PATH#MODEL` (file format: `targets._transcripts`). The
target's version is the file's content hash (and the model chosen), so changed answers are a new
version. A case the file has no answer for is an error — never a refusal, never safe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from safetyloop.errors import InputError
from safetyloop.suites import Case, Message
from safetyloop.targets._registry import target_kind
from safetyloop.targets._target import GenerateParams, Target, TargetError, TargetResponse
from safetyloop.targets._transcripts import read_transcripts


def _last_user(messages: Sequence[Message]) -> str | None:
    return next((m.content for m in reversed(messages) if m.role == "user"), None)


class RecordedTarget(Target):
    """Looks each case's answer up in a file: by case id (or `suite/id`), else by prompt."""

    kind = "recorded"
    #: Answers are keyed on the case, not only the conversation: the response cache (keyed on
    #: the conversation) could hand one case's recorded answer to another with the same prompt.
    cacheable = False
    max_concurrency = 64

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        if not params.get("file"):
            raise InputError(f"recorded target {name!r} needs params.file: the answers file")
        path = Path(str(params["file"]))
        model = str(params["model"]) if params.get("model") else None
        transcripts = read_transcripts(path)
        rows = transcripts.for_model(model)
        super().__init__(name, {"sha256": transcripts.sha256, "model": model})
        self.path = path
        self._by_id = {r.case_id: r.response for r in rows if r.case_id is not None}
        self._by_prompt = {r.prompt: r.response for r in rows if r.case_id is None and r.prompt}

    def describe(self) -> dict[str, Any]:
        """The run record also names the file the answers came from."""
        return {**super().describe(), "file": str(self.path)}

    async def answer(self, case: Case, params: GenerateParams) -> TargetResponse:
        for key in (case.id, case.key):
            if key in self._by_id:
                return TargetResponse(text=self._by_id[key], finish_reason="recorded")
        return await self.generate(case.messages, params)

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        prompt = _last_user(messages)
        if prompt is not None and prompt in self._by_prompt:
            return TargetResponse(text=self._by_prompt[prompt], finish_reason="recorded")
        raise TargetError(
            "missing",
            f"{self.path} has no recorded answer for this case (by id or prompt)",
            retryable=False,
        )


def recorded_spec(rest: str) -> tuple[str, dict[str, Any]]:
    """(name, params) of the command-line spec `recorded:PATH[#MODEL]` (`rest` is after ':')."""
    file, _, model = rest.partition("#")
    if not file:
        raise InputError("recorded target needs a file", hint="use recorded:PATH or PATH#MODEL")
    stem = Path(file).stem + (f"-{model}" if model else "")
    name = "recorded-" + re.sub(r"[^A-Za-z0-9_.-]", "_", stem)
    return name, {"file": file, **({"model": model} if model else {})}


@target_kind("recorded", params=("file", "model"))
def _create(name: str, params: dict[str, Any]) -> Target:
    return RecordedTarget(name, params)
