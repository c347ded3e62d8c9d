"""`guarded`: any target wrapped by an input check and an output check.

A safeguard is versioned like a model: the wrapper's version hashes the inner target's
version, each check's scorer version and trigger labels, and the refusal text, so the gate can
measure exactly what a safeguard change did against the bare model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from safetyloop.errors import InputError
from safetyloop.scoring import ScoreInput, Scorer, create_scorer
from safetyloop.suites import Message
from safetyloop.targets import GenerateParams, Target, TargetResponse, declare_target_params

DEFAULT_REFUSAL = "I can't help with that request."
NEEDS_A_CHECK = "needs an input_check or an output_check"


class CheckSpec(BaseModel):
    """One safeguard check: a scorer and the labels on which it fires."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scorer: str
    config: dict[str, Any] = Field(default_factory=dict)
    fire_on: list[str] = Field(min_length=1)


class SafeguardCheck(BaseModel):
    """A check that guarded a run's target, as the run's lineage records it: the gate compares
    its scorer with the scorers that judge the run (`gate._independence`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str  #: name of the guarded target that runs the check
    stage: Literal["input", "output"]
    scorer: str
    version: str
    fire_on: list[str]


def safeguard_checks(description: Mapping[str, Any] | None) -> list[SafeguardCheck]:
    """Every check of every `guarded` layer in a target's stored `describe()`, outermost first."""
    out: list[SafeguardCheck] = []
    node = description
    while isinstance(node, Mapping) and node.get("kind") == GuardedTarget.kind:
        config = node.get("config") or {}
        for stage in ("input", "output"):
            check = config.get(f"{stage}_check")
            if isinstance(check, Mapping):
                out.append(SafeguardCheck(target=str(node.get("name", "")), stage=stage, **check))
        node = config.get("inner")
    return out


class _Check:
    def __init__(self, spec: CheckSpec) -> None:
        self.scorer: Scorer = create_scorer(spec.scorer, spec.config)
        unknown = set(spec.fire_on) - set(self.scorer.labels)
        if unknown:
            raise InputError(
                f"check fires on unknown labels {sorted(unknown)} of scorer {spec.scorer!r}",
                hint=f"its labels are {list(self.scorer.labels)}",
            )
        self.fire_on = frozenset(spec.fire_on)

    def describe(self) -> dict[str, Any]:
        return {
            "scorer": self.scorer.name,
            "version": self.scorer.version,
            "fire_on": sorted(self.fire_on),
        }

    def fires(self, item: ScoreInput) -> str | None:
        score = self.scorer.score(item)
        return score.explanation or score.label if score.label in self.fire_on else None


class GuardedTarget(Target):
    """Answers with `refusal` when the input check fires (the inner target is not called) or
    when the output check fires on the inner target's answer."""

    kind = "guarded"

    def __init__(
        self,
        name: str,
        inner: Target,
        input_check: CheckSpec | None,
        output_check: CheckSpec | None,
        refusal: str = DEFAULT_REFUSAL,
    ) -> None:
        if input_check is None and output_check is None:
            raise InputError(f"guarded target {name!r} {NEEDS_A_CHECK}")
        self.inner = inner
        self.input_check = _Check(input_check) if input_check else None
        self.output_check = _Check(output_check) if output_check else None
        self.refusal = refusal
        super().__init__(
            name,
            {
                "inner": inner.describe(),
                "input_check": self.input_check.describe() if self.input_check else None,
                "output_check": self.output_check.describe() if self.output_check else None,
                "refusal": refusal,
            },
        )
        self.max_concurrency = inner.max_concurrency

    def secrets(self) -> tuple[str, ...]:
        """The wrapped target's keys: its errors pass through this target."""
        return self.inner.secrets()

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        if self.input_check:
            reason = self.input_check.fires(ScoreInput(messages=tuple(messages), response=""))
            if reason:
                return TargetResponse(
                    text=self.refusal,
                    finish_reason="safeguard",
                    metadata={"safeguard": "input", "reason": reason},
                )
        answer = await self.inner.generate(messages, params)
        if self.output_check:
            reason = self.output_check.fires(
                ScoreInput(messages=tuple(messages), response=answer.text)
            )
            if reason:
                return TargetResponse(
                    text=self.refusal,
                    finish_reason="safeguard",
                    metadata={"safeguard": "output", "reason": reason, "blocked_text": answer.text},
                )
        return answer

    async def aclose(self) -> None:
        await self.inner.aclose()


def _check_params(params: dict[str, Any]) -> list[tuple[str | None, str]]:
    """What building a guarded target from a targets file's `params` would refuse, by key
    (None: `params` as a whole), found at load time: each check is built as `GuardedTarget`
    builds it (its scorer created, its labels checked), without building the inner target."""
    problems: list[tuple[str | None, str]] = []
    for key in ("input_check", "output_check"):
        raw = params.get(key)
        if raw is None:
            continue
        try:
            _Check(CheckSpec.model_validate(raw))
        except ValidationError as exc:
            problems += [
                (key, f"{'.'.join(str(p) for p in e['loc']) or key}: {e['msg']}")
                for e in exc.errors()
            ]
        except InputError as exc:
            problems.append((key, exc.message))
    if params.get("input_check") is None and params.get("output_check") is None:
        problems.append((None, f"a guarded target {NEEDS_A_CHECK}"))
    return problems


#: Registered by entry point (`pyproject.toml`), so its keys are declared here.
declare_target_params(
    "guarded", ("target", "input_check", "output_check", "refusal"), check=_check_params
)


def create_guarded(name: str, params: dict[str, Any]) -> Target:
    """Registry factory: `params["target"]` is the already-built inner target."""
    inner = params.get("target")
    if not isinstance(inner, Target):
        raise InputError(f"guarded target {name!r} needs an inner 'target'")

    def check(key: str) -> CheckSpec | None:
        raw = params.get(key)
        return CheckSpec.model_validate(raw) if raw is not None else None

    return GuardedTarget(
        name,
        inner,
        check("input_check"),
        check("output_check"),
        str(params.get("refusal", DEFAULT_REFUSAL)),
    )
