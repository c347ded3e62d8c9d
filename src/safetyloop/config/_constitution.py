"""The constitution as code: principles with measurable criteria, loaded from YAML.

A constitution is what the release gate enforces. Its content hash (over the normalised model, not
the file bytes) goes into every run's lineage, so comments and formatting never change a verdict's
provenance while any change to a threshold or principle does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from safetyloop._hashing import content_hash
from safetyloop.config._yaml import load_model
from safetyloop.errors import ConfigError, InputError

__all__ = [
    "Comparison",
    "Constitution",
    "Criterion",
    "Enforcement",
    "Principle",
    "RuleCriterion",
    "Severity",
    "SmallestPassingN",
    "Waiver",
    "default_constitution_path",
    "load_constitution",
    "load_default_constitution",
]

Rate = Annotated[float, Field(ge=0.0, le=1.0)]


class Severity(StrEnum):
    """How bad a violation is; orders the gate report and the review queue."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Enforcement(StrEnum):
    """What a failed principle does to a release: `hard` → BLOCK, `soft` → WARN."""

    HARD = "hard"
    SOFT = "soft"


class Comparison(StrEnum):
    """Which side of the threshold is safe; decided on the interval, never the point estimate."""

    MAX = "max"
    """The rate must stay below the threshold: PASS when the interval's upper bound < threshold."""
    MIN = "min"
    """The rate must stay above the threshold: PASS when the interval's lower bound > threshold."""


def _check_known(kind: str, name: str, info: ValidationInfo) -> str:
    """Refuse a reference the caller's registry does not know (only when it says what it knows)."""
    known = (info.context or {}).get(kind)
    if known is not None and name not in known:
        listed = ", ".join(sorted(known)) or "none"
        singular = kind.removesuffix("s")
        message = f"unknown {singular} {name!r}; known {kind}: {listed}"
        raise PydanticCustomError(f"unknown_{singular}", "{message}", {"message": message})
    return name


#: `(reference, folder of the constitution) -> (suite name, file) | None`: loads the user suite a
#: criterion names by file (None: the reference is a registered name). Raises InputError for a
#: missing file, ConfigError listing a bad file's problems (`suites.resolve_suite_file`).
SuiteFileResolver = Callable[[str, Path], "tuple[str, Path] | None"]


def _known_suite(name: str, info: ValidationInfo) -> str:
    """A registered suite name, or a suite file (with a resolver in the context): its name."""
    context = info.context or {}
    found = _suite_file(name, context) if "resolve_suite_file" in context else None
    return found if found is not None else _check_known("suites", name, info)


def _suite_file(ref: str, context: dict[str, Any]) -> str | None:
    """Load the suite file `ref` names; record name → file; its own problems keep their lines."""
    try:
        found: tuple[str, Path] | None = context["resolve_suite_file"](ref, context["base"])
    except ConfigError as exc:
        context["suite_problems"].extend(
            p for p in exc.problems if p not in context["suite_problems"]
        )
        detail = "its problems are listed with their own lines" if exc.problems else exc.message
        message = f"suite file {ref} is invalid: {detail}"
        raise PydanticCustomError("bad_suite_file", "{message}", {"message": message}) from None
    except InputError as exc:
        raise PydanticCustomError("suite_file", "{message}", {"message": exc.message}) from None
    if found is None:
        return None
    name, path = found
    files: dict[str, Path] = context["suite_files"]  # suite name → file
    clash = files.get(name, path)
    if clash != path or name in context.get("suites", ()):
        other = f"the suite file {clash}" if clash != path else "a registered suite"
        message = f"suite file {ref} is named {name!r} (its file stem), like {other}: rename it"
        raise PydanticCustomError("suite_name_taken", "{message}", {"message": message})
    files[name] = path
    return name


class _Frozen(BaseModel):
    """Config files are data: unknown keys are mistakes and loaded values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Criterion(_Frozen):
    """One measurable condition: `metric` on `suites` held to two limits, `warn_at` and `block_at`.

    PASS needs the interval wholly on the safe side of `warn_at`; a point estimate at or past
    `block_at` BLOCKs (see docs/gate.md). `threshold`, the older single limit, is read as
    `warn_at`; with no `block_at` a hard principle blocks at `warn_at` and a soft one never
    blocks (`Principle.block_limit`), which is what a lone threshold always meant.
    """

    metric: str
    suites: Annotated[list[Annotated[str, AfterValidator(_known_suite)]], Field(min_length=1)]
    warn_at: Rate = Field(validation_alias=AliasChoices("warn_at", "threshold"))
    comparison: Comparison = Comparison.MAX
    block_at: Rate | None = None
    """The limit past which the point estimate BLOCKs; None: `Principle.block_limit` decides."""
    min_samples: Annotated[int, Field(ge=0)] = 30
    max_error_rate: Rate | None = None
    """Share of errored samples above which evidence is insufficient; None → constitution's."""
    scorer: str | None = None
    """Scorer name; None means the metric's default scorer."""
    events: Annotated[list[str], Field(min_length=1)] | None = None
    """Verdict labels counted as the metric's events instead of its own (None: the metric's):
    how a criterion reads an imported scorer's values, e.g. Inspect's `I` (incorrect)."""
    regression_margin: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Largest tolerated increase of the rate against the baseline (non-inferiority margin, in
    rate units: 0.02 = 2 points). A candidate is cleared only when the upper bound of
    candidate − baseline is under it, and BLOCKed (hard) only when the lower bound is over it, so
    0 means "not worse at all", which no finite sample can show."""

    @model_validator(mode="before")
    @classmethod
    def _one_warn_limit(cls, data: Any) -> Any:
        if isinstance(data, dict) and "threshold" in data and "warn_at" in data:
            raise PydanticCustomError(
                "threshold_and_warn_at",
                "give warn_at (and block_at), or the older threshold, not both: "
                "threshold is read as warn_at",
            )
        return data

    @field_validator("metric")
    @classmethod
    def _metric_known(cls, value: str, info: ValidationInfo) -> str:
        return _check_known("metrics", value, info)

    @field_validator("scorer")
    @classmethod
    def _scorer_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_known("scorers", value, info)

    @field_validator("block_at")
    @classmethod
    def _block_past_warn(cls, value: float | None, info: ValidationInfo) -> float | None:
        warn, comparison = info.data.get("warn_at"), info.data.get("comparison")
        if value is None or warn is None or comparison is None:
            return value
        if comparison == Comparison.MAX and value < warn:
            raise PydanticCustomError(
                "block_before_warn",
                "block_at {block} is under warn_at {warn}: with comparison max a release "
                "must warn before it blocks",
                {"block": value, "warn": warn},
            )
        if comparison == Comparison.MIN and value > warn:
            raise PydanticCustomError(
                "block_before_warn",
                "block_at {block} is over warn_at {warn}: with comparison min a release "
                "must warn before it blocks",
                {"block": value, "warn": warn},
            )
        return value

    @property
    def threshold(self) -> float:
        """The limit PASS is judged against: `warn_at` (the name older files use)."""
        return self.warn_at


class RuleCriterion(_Frozen):
    """A limit a gate rule holds a principle to, on evidence beside the run (an agentic run).

    The same limits as a `Criterion`, decided the same way on the rate's interval, but the
    `metric` names one of the rule's rates (e.g. `targeted_attack_success` for `agentic`), not a
    scored metric over suites: so nothing that plans or scores the run's cases sees it.
    """

    metric: Annotated[str, Field(min_length=1)]
    warn_at: Rate = Field(validation_alias=AliasChoices("warn_at", "threshold"))
    comparison: Comparison = Comparison.MAX
    block_at: Rate | None = None
    min_samples: Annotated[int, Field(ge=0)] = 30
    max_error_rate: Rate | None = None
    regression_margin: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0

    @field_validator("block_at")
    @classmethod
    def _block_past_warn(cls, value: float | None, info: ValidationInfo) -> float | None:
        return Criterion._block_past_warn(value, info)

    @property
    def threshold(self) -> float:
        return self.warn_at


class Waiver(_Frozen):
    """An explicit, expiring decision to release without evidence for a principle.

    Only a principle with nothing that measures it can carry one: the gate then reports it
    NOT MEASURED but waived (WARN, not BLOCK) until `expires`, records the waiver in the audit
    log with each recorded decision, and from `expires` on BLOCKs again.
    """

    reason: Annotated[str, Field(min_length=1)]
    owner: Annotated[str, Field(min_length=1)]
    expires: date
    """The first day (UTC) the waiver no longer waives."""


class Principle(_Frozen):
    """A rule the release must honour; measured by `criteria`, a gate rule, or not yet at all."""

    id: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_-]*$")]
    name: str
    statement: str
    severity: Severity
    enforcement: Enforcement
    criteria: list[Criterion] = []
    enforced_by: str | None = None
    """Name of a gate rule that enforces this principle directly (e.g. `lineage`)."""
    rule_criteria: list[RuleCriterion] = []
    """Limits the `enforced_by` rule holds the principle to on its own evidence (`agentic`)."""
    reward_model: str | None = None
    """The reward model this release trains with, as `safetyloop reward audit --model` names
    it: the `reward` rule reads that model's newest finished audit (never another model's)."""
    waiver: Waiver | None = None
    """Ship without evidence for this principle, on record; it waives only a NOT MEASURED
    result (no criteria, or a rule with no evidence to read, e.g. `agentic` with no run)."""

    @field_validator("enforced_by")
    @classmethod
    def _rule_known(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else _check_known("rules", value, info)

    @field_validator("rule_criteria")
    @classmethod
    def _rule_criteria_need_a_rule(
        cls, value: list[RuleCriterion], info: ValidationInfo
    ) -> list[RuleCriterion]:
        if value and not info.data.get("enforced_by"):
            raise PydanticCustomError(
                "rule_criteria_without_rule",
                "rule_criteria are read by a gate rule: name it with enforced_by",
            )
        return value

    @field_validator("reward_model")
    @classmethod
    def _reward_model_needs_the_rule(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("enforced_by") != "reward":
            raise PydanticCustomError(
                "reward_model_without_rule",
                "reward_model is read by the reward rule: set enforced_by: reward",
            )
        if value is not None and not value.strip():
            raise PydanticCustomError("reward_model_empty", "reward_model is empty")
        return value.strip() if value is not None else None

    @field_validator("waiver")
    @classmethod
    def _waiver_only_unmeasured(cls, value: Waiver | None, info: ValidationInfo) -> Waiver | None:
        if value is not None and info.data.get("criteria"):
            raise PydanticCustomError(
                "waiver_on_measured",
                "a waiver covers only a principle with no criteria (or one whose rule has no "
                "evidence to read); a measured principle that BLOCKs needs an exception "
                "(safetyloop exception request)",
            )
        return value

    @property
    def measured(self) -> bool:
        """Whether anything checks this principle; the gate reports the rest as not measured."""
        return bool(self.criteria) or self.enforced_by is not None

    @property
    def blocks_unmeasured(self) -> bool:
        """Whether having no evidence at all BLOCKs a release (critical and high principles)."""
        return self.severity in (Severity.CRITICAL, Severity.HIGH)

    def block_limit(self, criterion: Criterion | RuleCriterion) -> float | None:
        """Where `criterion` BLOCKs: its `block_at`, else `warn_at` on a hard principle, else
        never (None): a soft principle blocks only at a `block_at` it names."""
        if criterion.block_at is not None:
            return criterion.block_at
        return criterion.warn_at if self.enforcement == Enforcement.HARD else None


class Constitution(_Frozen):
    """The principles a release is gated on, with the statistical defaults they share."""

    version: int = 1
    name: str
    description: str = ""
    confidence: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.95
    max_error_rate: Rate = 0.05
    principles: Annotated[list[Principle], Field(min_length=1)]

    @model_validator(mode="wrap")
    @classmethod
    def _unique_ids(
        cls, data: Any, handler: ModelWrapValidatorHandler[Constitution], info: ValidationInfo
    ) -> Constitution:
        """Report duplicate principle ids alongside every other error, not after fixing them;
        with a `smallest_passing_n` in the context, unpassable criteria too."""
        errors: list[InitErrorDetails] = []
        result: Constitution | None = None
        try:
            result = handler(data)
        except ValidationError as exc:
            for error in exc.errors():
                ctx = error.get("ctx") or {}
                errors.append(
                    {
                        "type": PydanticCustomError(
                            error["type"], "{message}", {**ctx, "message": error["msg"]}
                        ),
                        "loc": error["loc"],
                        "input": error["input"],
                    }
                )
        raw = data.get("principles") if isinstance(data, dict) else None
        first: dict[str, int] = {}
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            pid = item.get("id") if isinstance(item, dict) else None
            if not isinstance(pid, str):
                continue
            if pid in first:
                message = f"duplicate principle id {pid!r} (first used by principles.{first[pid]})"
                errors.append(
                    {
                        "type": PydanticCustomError(
                            "duplicate_id", "{message}", {"message": message}
                        ),
                        "loc": ("principles", index, "id"),
                        "input": pid,
                    }
                )
            else:
                first[pid] = index
        smallest = (info.context or {}).get("smallest_passing_n")
        if result is not None and smallest is not None:
            errors.extend(_unpassable(result, smallest, data))
        if errors or result is None:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result

    def principle(self, principle_id: str) -> Principle:
        """The principle with this id; KeyError names the ids that exist."""
        for principle in self.principles:
            if principle.id == principle_id:
                return principle
        known = ", ".join(p.id for p in self.principles)
        raise KeyError(f"no principle {principle_id!r} (known: {known})")

    def error_rate_limit(self, criterion: Criterion | RuleCriterion) -> float:
        """The error-rate ceiling for `criterion`: its own, else the constitution's default."""
        if criterion.max_error_rate is not None:
            return criterion.max_error_rate
        return self.max_error_rate

    def content_hash(self) -> str:
        """Version of this constitution: hash of the normalised content, not the file bytes.

        A principle without `rule_criteria` (a criterion without `events`) hashes as it did
        before the field existed, so the versions of constitutions that do not use it are
        unchanged."""
        data = self.model_dump(mode="json")
        for principle in data["principles"]:
            if not principle["rule_criteria"]:
                del principle["rule_criteria"]
            if principle["reward_model"] is None:  # likewise a principle without `reward_model`
                del principle["reward_model"]
            for criterion in principle["criteria"]:
                if criterion["events"] is None:  # likewise a criterion without `events`
                    del criterion["events"]
        return content_hash(data)

    # Suite name → the user suite file criteria name it by (set by `load_constitution`). The
    # criteria hold the name; the suite's content hash goes into each run's lineage.
    _suite_files: dict[str, str] = PrivateAttr(default_factory=dict)

    @property
    def suite_files(self) -> dict[str, str]:
        """Suite name → resolved path, for each suite the file names by a path."""
        return dict(self._suite_files)

    def suite_source(self, name: str) -> str:
        """What `suites.load_suite` needs for suite `name`: its file, else the name itself."""
        return self._suite_files.get(name, name)

    @classmethod
    def from_lineage(cls, lineage: dict[str, Any]) -> Constitution:
        """The constitution a run recorded, with the suite files its criteria named then."""
        recorded = cls.model_validate(lineage["constitution"])
        recorded._suite_files = dict(lineage.get("suite_files") or {})
        return recorded


#: `(warn_at, comparison, confidence) -> n`: the fewest scored cases with which a criterion can
#: PASS at all (zero events for `max`), under the gate's interval method; None when none can.
SmallestPassingN = Callable[[float, Comparison, float], int | None]


def _written_key(raw: Any, i: int, j: int, field: str = "criteria") -> str:
    """`threshold` when the file gave criterion (i, j) its warn limit under the older name."""
    try:
        written = raw["principles"][i][field][j]
    except (KeyError, IndexError, TypeError):
        return "warn_at"
    return "threshold" if isinstance(written, dict) and "threshold" in written else "warn_at"


def _unpassable(
    constitution: Constitution, smallest: SmallestPassingN, raw: Any
) -> list[InitErrorDetails]:
    """A criterion whose `min_samples` cannot PASS even with no event is a mistake: a release
    at exactly the minimum would WARN forever. Criteria of rule-enforced principles
    (`enforced_by`) are decided by their rule, not by an interval, and are left alone; their
    `rule_criteria` are decided by an interval, so they are checked."""
    errors: list[InitErrorDetails] = []
    level = f"{constitution.confidence:.0%}"
    for i, principle in enumerate(constitution.principles):
        held: list[tuple[str, int, Criterion | RuleCriterion]] = [
            ("rule_criteria", j, c) for j, c in enumerate(principle.rule_criteria)
        ]
        if principle.enforced_by is None:
            held = [("criteria", j, c) for j, c in enumerate(principle.criteria)] + held
        for field, j, c in held:
            need = smallest(c.warn_at, c.comparison, constitution.confidence)
            clean = "no event" if c.comparison == Comparison.MAX else "every case an event"
            if need is None:
                key = _written_key(raw, i, j, field)
                message = (
                    f"{key} {c.warn_at:g} can never PASS ({c.comparison.value}): no sample "
                    f"size puts a {level} interval past it"
                )
                loc: tuple[str | int, ...] = ("principles", i, field, j, key)
            elif c.min_samples < need:
                message = (
                    f"min_samples {c.min_samples} cannot PASS warn_at {c.warn_at:g} even with "
                    f"{clean}: the {level} Wilson interval needs at least {need} scored cases"
                    f" (set min_samples: {need} or more)"
                )
                loc = ("principles", i, field, j, "min_samples")
            else:
                continue
            errors.append(
                {
                    "type": PydanticCustomError("unpassable", "{message}", {"message": message}),
                    "loc": loc,
                    "input": c.min_samples,
                }
            )
    return errors


def _context(
    suites: set[str] | None,
    metrics: set[str] | None,
    rules: set[str] | None,
    scorers: set[str] | None = None,
    smallest_passing_n: SmallestPassingN | None = None,
) -> dict[str, Any]:
    names = {
        "suites": suites,
        "metrics": metrics,
        "rules": rules,
        "scorers": scorers,
        "smallest_passing_n": smallest_passing_n,
    }
    return {key: value for key, value in names.items() if value is not None}


def load_constitution(
    path: Path,
    *,
    suites: set[str] | None = None,
    metrics: set[str] | None = None,
    rules: set[str] | None = None,
    scorers: set[str] | None = None,
    smallest_passing_n: SmallestPassingN | None = None,
    suite_files: SuiteFileResolver | None = None,
) -> Constitution:
    """Load and validate a constitution; references (suites, metrics, rules, scorers) are
    checked against the sets given, and
    each criterion's `min_samples` against `smallest_passing_n` (the gate's; see `_unpassable`).

    With `suite_files`, a suite reference that is a file (`evals/support.jsonl`, relative to the
    constitution) is loaded and checked, and stands for its suite (named by the file stem);
    `Constitution.suite_source` gives the file back to whoever loads the suite.

    Raises ConfigError (exit code 2) listing every problem as `file:line: key.path: message`.
    """
    context = _context(suites, metrics, rules, scorers, smallest_passing_n)
    files: dict[str, Path] = {}
    if suite_files is not None:
        context.update(
            resolve_suite_file=suite_files,
            base=Path(path).parent,
            suite_files=files,
            suite_problems=[],
        )
    try:
        loaded = load_model(Path(path), Constitution, context=context)
    except ConfigError as exc:
        extra = context.get("suite_problems")
        if not extra:
            raise
        every = [*exc.problems, *extra]
        raise ConfigError(f"{path}: {len(every)} problems", every, exc.hint) from None
    loaded._suite_files = {name: str(file) for name, file in files.items()}
    return loaded


def default_constitution_path() -> Path:
    """The constitution shipped with safetyloop (C1–C6 and H1)."""
    return Path(str(resources.files("safetyloop.config") / "data" / "constitution.yaml"))


def load_default_constitution(
    *,
    suites: set[str] | None = None,
    metrics: set[str] | None = None,
    rules: set[str] | None = None,
    scorers: set[str] | None = None,
    smallest_passing_n: SmallestPassingN | None = None,
) -> Constitution:
    """Load the shipped constitution, checking it like `load_constitution`."""
    return load_constitution(
        default_constitution_path(),
        suites=suites,
        metrics=metrics,
        rules=rules,
        scorers=scorers,
        smallest_passing_n=smallest_passing_n,
    )
