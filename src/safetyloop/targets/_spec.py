"""Declaring targets: a short spec on the command line or named entries of a YAML file.

Command-line specs: `local`, `openai:MODEL@BASE_URL`, `anthropic:MODEL[@BASE_URL]`,
`python:package.module:function`, `recorded:PATH[#MODEL]`.
A YAML file lists `targets:` with `name`, `kind` and `params`; a `guarded` entry names its
inner target in `params.target`. A `python` entry may give an explicit `version:`, which
replaces the hash of its code as the target's version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from safetyloop.config import load_model
from safetyloop.errors import InputError
from safetyloop.targets._registry import (
    create_target,
    target_kinds,
    target_params,
    target_params_problems,
)
from safetyloop.targets._target import Target


class TargetSpec(BaseModel):
    """One declared target."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    #: A `python` target's version, replacing the hash of its code (the team owns bumping it).
    version: str | None = Field(default=None, min_length=1)

    @field_validator("version")
    @classmethod
    def _version_is_for_python(cls, version: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("kind")
        if version is not None and kind != "python":
            raise ValueError(
                f"an explicit version is for python targets; a {kind} target's version is the "
                "hash of its configuration"
            )
        return version


class TargetsFile(BaseModel):
    """A YAML file of targets."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: list[TargetSpec] = Field(min_length=1)

    @model_validator(mode="wrap")
    @classmethod
    def _unique_names(
        cls, data: Any, handler: ModelWrapValidatorHandler[TargetsFile], info: ValidationInfo
    ) -> TargetsFile:
        """Report a duplicate at its own `targets.N.name` (and line), beside every other error."""
        errors: list[InitErrorDetails] = []
        result: TargetsFile | None = None
        try:
            result = handler(data)
        except ValidationError as exc:
            for e in exc.errors():
                ctx = {**(e.get("ctx") or {}), "message": e["msg"]}
                errors.append(
                    {
                        "type": PydanticCustomError(e["type"], "{message}", ctx),
                        "loc": e["loc"],
                        "input": e["input"],
                    }
                )
        raw = data.get("targets") if isinstance(data, dict) else None
        first: dict[str, int] = {}
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in first:
                message = f"duplicate target name {name!r} (first used by targets.{first[name]})"
                errors.append(
                    {
                        "type": PydanticCustomError(
                            "duplicate_name", "{message}", {"message": message}
                        ),
                        "loc": ("targets", index, "name"),
                        "input": name,
                    }
                )
            else:
                first[name] = index
        if result is not None:
            errors.extend(_reference_problems(result.targets))
        if errors or result is None:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return result


def _problem(kind: str, message: str, loc: tuple[str | int, ...]) -> InitErrorDetails:
    return {
        "type": PydanticCustomError(kind, "{message}", {"message": message}),
        "loc": loc,
        "input": None,
    }


def _reference_problems(specs: list[TargetSpec]) -> list[InitErrorDetails]:
    """What building the targets would refuse, found when the file is loaded (so `validate`
    and `run` refuse alike, each at its line): an unknown kind, a `params` key the kind does
    not read, a guarded target whose inner target is missing or leads back to itself."""
    errors: list[InitErrorDetails] = []
    kinds = target_kinds()
    declared = {spec.name: spec for spec in specs}
    for index, spec in enumerate(specs):
        where: tuple[str | int, ...] = ("targets", index)
        if spec.kind not in kinds:
            message = f"unknown target kind {spec.kind!r}; known kinds: {', '.join(kinds)}"
            errors.append(_problem("unknown_kind", message, (*where, "kind")))
            continue
        accepted = target_params(spec.kind)
        unknown = sorted(set(spec.params) - accepted) if accepted is not None else []
        for key in unknown:
            known = ", ".join(sorted(accepted or ())) or "none"
            message = f"unknown parameter {key!r} for {spec.kind} targets; known: {known}"
            errors.append(_problem("unknown_param", message, (*where, "params", key)))
        for bad, message in target_params_problems(spec.kind, spec.params):
            loc = (*where, "params", bad) if bad is not None else (*where, "params")
            errors.append(_problem("bad_param", message, loc))
        if spec.kind == "guarded":
            problem = _inner_problem(spec, declared)
            if problem is not None:
                errors.append(_problem("bad_reference", problem, (*where, "params", "target")))
    return errors


def _inner_problem(spec: TargetSpec, declared: dict[str, TargetSpec]) -> str | None:
    """Why guarded `spec`'s `params.target` cannot be built, or None when it can."""
    chain = [spec.name]
    inner = spec.params.get("target")
    while True:
        if not isinstance(inner, str):
            return f"guarded target {chain[-1]!r} needs params.target: a target name or spec"
        if inner in chain:
            return f"targets refer to each other in a cycle: {' -> '.join((*chain, inner))}"
        found = declared.get(inner)
        if found is None:
            try:
                parse_target_spec(inner)
            except InputError:
                return (
                    f"no target {inner!r}: neither a name in this file nor a target spec "
                    "(local, openai:MODEL@URL, anthropic:MODEL, python:module:function, "
                    "recorded:PATH)"
                )
            return None
        if found.kind != "guarded":
            return None
        chain.append(inner)
        inner = found.params.get("target")


def parse_target_spec(spec: str) -> TargetSpec:
    """Turn a command-line spec into a `TargetSpec`."""
    kind, _, rest = spec.partition(":")
    if kind == "local" and not rest:
        return TargetSpec(name="local", kind="local")
    if kind == "openai" and "@" in rest:
        model, _, url = rest.partition("@")
        if model and url.startswith(("http://", "https://")):
            return TargetSpec(
                name=f"openai-{model}".replace("/", "_").replace(":", "_"),
                kind="openai",
                params={"model": model, "base_url": url},
            )
    if kind == "anthropic" and rest:
        model, at, url = rest.partition("@")
        if model and (not at or url.startswith(("http://", "https://"))):
            return TargetSpec(
                name=f"anthropic-{model}".replace("/", "_").replace(":", "_"),
                kind="anthropic",
                params={"model": model, **({"base_url": url} if at else {})},
            )
    if kind == "recorded" and rest:
        from safetyloop.targets._recorded import recorded_spec

        name, params = recorded_spec(rest)
        return TargetSpec(name=name, kind="recorded", params=params)
    if kind == "python" and rest:
        return TargetSpec(
            name=rest.rsplit(":", 1)[-1].rsplit(".", 1)[-1],
            kind="python",
            params={"callable": rest},
        )
    raise InputError(
        f"cannot read target spec {spec!r}",
        hint="use local, openai:MODEL@http://host:port/v1, anthropic:MODEL[@URL], "
        "python:module:function, recorded:PATH[#MODEL], or a name from --targets-file",
    )


def load_targets_file(path: Path) -> dict[str, TargetSpec]:
    """Read and validate a targets YAML file (errors name file, line and key)."""
    parsed = load_model(path, TargetsFile)
    assert isinstance(parsed, TargetsFile)
    return {t.name: t for t in parsed.targets}


def build_target(spec: str, targets_file: Path | None = None) -> Target:
    """Resolve a name from `targets_file`, or a command-line spec, into a live target."""
    declared = load_targets_file(targets_file) if targets_file else {}
    return _build(spec, declared)


def _build(ref: str, declared: dict[str, TargetSpec]) -> Target:
    """Build `ref`; a loaded file's references are already checked (`_reference_problems`)."""
    spec = declared.get(ref) or parse_target_spec(ref)
    params = dict(spec.params)
    if spec.version is not None:
        params["version"] = spec.version
    if spec.kind == "guarded":
        params["target"] = _build(str(params["target"]), declared)
    return create_target(spec.kind, spec.name, params)
