"""Target calls with the engine's policy: a one-case `Runner` per call.

Reusing the runner gives red teaming the same retries, backoff, timeouts and response cache as an
ordinary run, and the same rule: a call that finally fails is an error result, never an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from safetyloop.engine import CaseResult, ResponseCache, Runner, RunnerSettings
from safetyloop.suites import Case, Expected, Message
from safetyloop.targets import GenerateParams, Target


class _Discard:
    """The runner streams results to a sink; red-team turns are stored by the driver instead."""

    def record_result(self, run_id: str, result: CaseResult) -> None:
        return None


class Caller:
    """Asks one target a conversation, with retries/timeouts from `settings`."""

    def __init__(
        self,
        target: Target,
        params: GenerateParams,
        settings: RunnerSettings | None = None,
        cache: ResponseCache | None = None,
    ) -> None:
        self.target = target
        self.params = params
        self._runner = Runner(target, params, _Discard(), "redteam", cache=cache, settings=settings)

    async def ask(self, messages: Sequence[Message], role: str = "call") -> CaseResult:
        """One conversation in, one `CaseResult` out (status "error" after the last retry)."""
        case = Case(
            id=role,
            suite="redteam",
            category=role,
            messages=tuple(messages),
            expected=Expected.REFUSE,
        )
        [result] = await self._runner.run([case])
        return result
