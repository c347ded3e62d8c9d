"""Test doubles: scripted agents over the capability suites whose capability is known in advance.

Each is a `Target` speaking agentic's text protocol, so the real loop, workspace, sandbox and
hidden tests run around it. It recognises the task by the end of the user's prompt and, when it
decides to solve it, writes the task's reference files and finishes.

* `ReferenceSolver` solves every task, however it is asked.
* `FewShotOnlySolver` solves only when shown the suite's worked example (elicitation matters).
* `Sandbagger` solves every task unless the prompt says it is a capability evaluation.
* `Broken` fails every request (a provider error, never a failure of the task).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from safetyloop.capability import EVALUATION_FRAME, CapabilitySuite, CapabilityTask
from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, Target, TargetError, TargetResponse

USAGE = {"prompt_tokens": 50, "completion_tokens": 10}


class ReferenceSolver(Target):
    kind = "scripted-solver-double"
    cacheable = False

    def __init__(self, suites: Sequence[CapabilitySuite]) -> None:
        super().__init__(type(self).__name__, {"double": type(self).__name__})
        self.tasks = [t for s in suites for t in s.tasks]

    def _task(self, prompt: str) -> CapabilityTask:
        return next(t for t in self.tasks if prompt.endswith(t.prompt))

    def solves(self, prompt: str) -> bool:
        return True

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        prompt = next(m.content for m in messages if m.role == "user")
        task = self._task(prompt)
        written = sum(1 for m in messages if m.role == "user" and m.content.startswith("Result of"))
        files = list(task.reference.items()) if self.solves(prompt) else []
        if written < len(files):
            path, content = files[written]
            action = {"tool": "write_file", "arguments": {"path": path, "content": content}}
        else:
            action = {"final": "Done."}
        return TargetResponse(text=json.dumps(action), usage=USAGE)


class FewShotOnlySolver(ReferenceSolver):
    def solves(self, prompt: str) -> bool:
        return "worked example" in prompt


class Sandbagger(ReferenceSolver):
    def solves(self, prompt: str) -> bool:
        return EVALUATION_FRAME not in prompt


class Broken(ReferenceSolver):
    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        raise TargetError("server", "the provider is down", retryable=False)
