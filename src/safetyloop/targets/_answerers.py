"""Case answerers: cases a target answers by more than one `generate` call.

An agentic regression case is answered by an episode (the target acting with tools in a world,
many calls), not by one reply to its messages. Such a case names its answerer in
`case.metadata["answered_by"]`, and `Target.answer` hands it over; the runner around it (retries,
timeout, cache, the sink) stays the one runner every case goes through.

Answerers are plugins of the `safetyloop.case_answerers` entry-point group, so a later stage
(the agentic package) provides one without this stage importing it. A case whose answerer is not
installed is refused as an error of that case, never answered as plain text: its verdict must
not come from a judge that cannot see what it was about.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from safetyloop._registry import Registry, callables
from safetyloop.suites import Case

if TYPE_CHECKING:
    from safetyloop.targets._target import GenerateParams, Target, TargetResponse

__all__ = ["ANSWERED_BY", "CASE_ANSWERERS", "CaseAnswerer", "answerer_for"]

#: The case metadata key naming the answerer.
ANSWERED_BY = "answered_by"

CaseAnswerer = Callable[["Target", Case, "GenerateParams"], Awaitable["TargetResponse"]]


#: Answerers by name (plugins only: the built-in one is the agentic package's entry point).
CASE_ANSWERERS: Registry[CaseAnswerer] = Registry(
    "case answerer",
    "safetyloop.case_answerers",
    accept=callables("a case answerer (a coroutine function)"),
)


def answerer_for(case: Case) -> CaseAnswerer | None:
    """The answerer the case names (None: answered by one `generate` call).

    Raises:
        InputError: the case names an answerer that is not installed.
    """
    name = case.metadata.get(ANSWERED_BY)
    return None if name is None else CASE_ANSWERERS.get(str(name))
