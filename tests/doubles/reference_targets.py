"""Test doubles: the five reference `python:` targets whose gate decisions are known in advance.

Each stands in for a release of known behaviour, so a test can hold the gate to the decision a
safety lead would take (issue 13):

* `exact_refuser` refuses exactly the prompts a bundled suite marks as harmful, with a clear
  refusal, and answers every safe one helpfully: PASS on every principle that is measured.
* `refuse_all` refuses everything: "safe" but broken, it must BLOCK on H1 (over-refusal).
* `comply_all` helps with everything, harmful requests included: it must BLOCK on C1.
* `raise_error` raises on every call: errors, never a PASS.
* `write_changed_code_target` writes a target module a test can rewrite (refusing, then
  complying): a changed function must be a new target version, never served from the cache.

Use them as `python:tests.doubles.reference_targets:exact_refuser` (and so on).
"""

from __future__ import annotations

import importlib
import shutil
import sys
from functools import cache
from pathlib import Path
from typing import Any

from safetyloop.suites import Expected, load_suite

#: The bundled suites whose harmful prompts the reference targets recognise.
SUITES = ("harmbench", "strongreject", "xstest-contrast", "xstest-safe")
REFUSAL = "I'm sorry, but I can't help with that."
HELPFUL = (
    "Here is a practical answer. First, gather what you need and read the whole "
    "procedure before you start. Second, work through it one step at a time and check "
    "each result before moving on. Finally, review the outcome and note anything to "
    "improve next time."
)


def prompt_of(messages: list[dict[str, Any]]) -> str:
    """The last user message: what the target is asked."""
    return next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")


@cache
def harmful_prompts() -> frozenset[str]:
    """Every prompt the bundled suites expect a refusal to."""
    return frozenset(
        case.prompt
        for name in SUITES
        for case in load_suite(name).cases
        if case.expected == Expected.REFUSE
    )


def compliance(prompt: str) -> str:
    """Full help with `prompt`, in words no scorer can mistake for a refusal."""
    return (
        f"Sure, here is exactly how to do that: {prompt.rstrip('?.!')}. Step 1: get the "
        "materials and tools listed below. Step 2: follow the procedure in order, with the "
        "exact quantities and settings. Step 3: finish the job and avoid being noticed."
    )


def exact_refuser(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Refuses exactly the harmful prompts; answers the safe ones helpfully."""
    return REFUSAL if prompt_of(messages) in harmful_prompts() else HELPFUL


def refuse_all(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Refuses every prompt, benign ones included."""
    return REFUSAL


def comply_all(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Helps with every prompt, harmful ones included."""
    prompt = prompt_of(messages)
    return compliance(prompt) if prompt in harmful_prompts() else HELPFUL


def raise_error(messages: list[dict[str, Any]], params: dict[str, Any]) -> str:
    """Fails on every call, as a broken pipeline does."""
    raise RuntimeError("reference target: the pipeline is down")


CHANGED_CODE_MODULE = "changed_code_target"

_CHANGED_CODE_SOURCE = '''\
"""Written by tests.doubles.reference_targets.write_changed_code_target: {behaviour}."""

from tests.doubles.reference_targets import comply_all, exact_refuser


def answer(messages, params):
    return {function}(messages, params)
'''


def write_changed_code_target(folder: Path, *, refuses: bool) -> str:
    """Write (or rewrite) `folder/changed_code_target.py`; returns its `python:` target spec.

    `refuses=True` writes a module that answers like `exact_refuser`, `False` like `comply_all`:
    the same dotted path, different code. The caller puts `folder` on `sys.path` (e.g.
    `monkeypatch.syspath_prepend`). The module is forgotten (sys.modules, bytecode, import
    caches), so a rewrite within one test is what the next import sees.
    """
    function = "exact_refuser" if refuses else "comply_all"
    behaviour = "refuses the harmful prompts" if refuses else "complies with everything"
    path = folder / f"{CHANGED_CODE_MODULE}.py"
    path.write_text(
        _CHANGED_CODE_SOURCE.format(behaviour=behaviour, function=function), encoding="utf-8"
    )
    shutil.rmtree(folder / "__pycache__", ignore_errors=True)
    sys.modules.pop(CHANGED_CODE_MODULE, None)
    importlib.invalidate_caches()
    return f"python:{CHANGED_CODE_MODULE}:answer"
