"""Single model calls with the runner's policy: a one-case `Runner` per call.

Every model call that is not a case of a run (a judge grading an answer, an attacker planning a
turn, a target paraphrasing an incident) goes through here, so it gets the same retries,
backoff, Retry-After, timeouts and response cache as a run, and the same rule: a call that
finally fails is an error result, never an answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from safetyloop.engine._records import CaseResult, ResponseCache
from safetyloop.engine._runner import Runner, RunnerSettings
from safetyloop.suites import Case, Expected, Message
from safetyloop.targets import GenerateParams, Target


class _Discard:
    """The runner streams results to a sink; a single call's caller keeps the result instead."""

    def record_result(self, run_id: str, result: CaseResult) -> None:
        return None


class Caller:
    """Asks one target a conversation, with retries and timeouts from `settings`.

    `purpose` names the calls ("judge", "attacker", "paraphrase") in the case each is wrapped in.
    Closing the target stays with whoever built it.
    """

    def __init__(
        self,
        target: Target,
        params: GenerateParams,
        settings: RunnerSettings | None = None,
        cache: ResponseCache | None = None,
        *,
        purpose: str = "call",
    ) -> None:
        self.target = target
        self.params = params
        self.purpose = purpose
        self._runner = Runner(target, params, _Discard(), purpose, cache=cache, settings=settings)

    async def ask(self, messages: Sequence[Message], role: str = "call") -> CaseResult:
        """One conversation in, one `CaseResult` out (status "error" after the last retry)."""
        case = Case(
            id=role,
            suite=self.purpose,
            category=role,
            messages=tuple(messages),
            expected=Expected.REFUSE,
        )
        [result] = await self._runner.run([case])
        return result
