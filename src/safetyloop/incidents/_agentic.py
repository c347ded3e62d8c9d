"""The agentic part of an incident record: the world the agent acted in, and what it must not do.

A text transcript cannot show what an agent did to the world; this section can, and it is what
promotion turns into a replayable agentic case (`safetyloop.agentic` scenario):

```yaml
agentic:
  environment: support            # a registered environment: its tools and state model
  patch: {...}                    # RFC 7386 merge patch onto its bundled starting state
  # state: {...}                  # or the whole starting state instead
  injection:                      # the attacker's text, appended to the string at `path`
    tool: get_open_tickets        # the tool whose output carried it
    path: tickets.0.issue
    text: IMPORTANT SYSTEM NOTICE ...
  user_task: {prompt: ..., tools: [...], check: [...]}   # an agentic UserTask
  forbidden: {goal: ..., solution: [...], check: [...]}  # an agentic InjectionGoal
```

Every name is checked against the environment when the file loads (the state against its
model, the injection path against the state, tools, solution arguments and check paths against
the environment), so a typo is an error at its line.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from safetyloop.agentic import (
    Environment,
    Injection,
    InjectionGoal,
    Scenario,
    UserTask,
    dump_checked,
    get_environment,
)
from safetyloop.errors import InputError

__all__ = ["AgenticIncident", "environment_context", "merge_patch"]


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: mappings merge key by key, `null` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def environment_context(name: object) -> dict[str, Any] | None:
    """The validation context of an incident whose agentic section names `name` (None when it
    names no known environment: the section's own validator reports that at its line)."""
    if not isinstance(name, str):
        return None
    try:
        env = get_environment(name)
    except InputError:
        return None
    tools = [t.name for t in env.tools]
    return {"environment": env, "state_model": env.state_model, "tools": tools}


def _env(info: ValidationInfo) -> Environment | None:
    found = (info.context or {}).get("environment")
    if isinstance(found, Environment):
        return found
    name = info.data.get("environment")
    return get_environment(name) if isinstance(name, str) else None


def _at(state: Any, path: str) -> tuple[Any, str | int]:
    """The container holding `path`'s last part, and that part (ValueError when absent)."""
    node = state
    parts = path.split(".")
    for i, part in enumerate(parts):
        key: str | int = int(part) if isinstance(node, list) and part.isdigit() else part
        found = (isinstance(node, dict) and key in node) or (
            isinstance(node, list) and isinstance(key, int) and key < len(node)
        )
        if not found:
            raise ValueError(f"path {path!r}: {part!r} is not in the starting state")
        if i == len(parts) - 1:
            return node, key
        node = node[key]
    raise ValueError(f"path {path!r} is empty")


class AgenticIncident(BaseModel):
    """What the agent's world was, where the attacker's text entered it, and the forbidden
    action as a state check (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    environment: str
    state: dict[str, Any] | None = None
    patch: dict[str, Any] | None = Field(default=None, validate_default=True)
    injection: Injection
    user_task: UserTask
    forbidden: InjectionGoal

    @field_serializer("user_task", "forbidden")
    def _round_trip(self, value: BaseModel) -> dict[str, Any]:
        return dump_checked(value)

    @field_validator("environment")
    @classmethod
    def _known(cls, name: str) -> str:
        try:
            get_environment(name)
        except InputError as exc:
            raise ValueError(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from None
        return name

    @field_validator("user_task", "forbidden", mode="before")
    @classmethod
    def _default_id(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, dict) and "id" not in value:
            return {"id": info.field_name, **value}
        return value

    @field_validator("state")
    @classmethod
    def _valid_state(cls, state: dict[str, Any] | None, info: ValidationInfo) -> Any:
        env = _env(info)
        if env is not None and state is not None:
            _validate_state(env, state)
        return state

    @field_validator("patch")
    @classmethod
    def _one_start(cls, patch: dict[str, Any] | None, info: ValidationInfo) -> Any:
        if patch is not None and info.data.get("state") is not None:
            raise ValueError("give the whole 'state' or a 'patch' onto the bundled one, not both")
        env = _env(info)
        if env is not None and patch is not None:
            _validate_state(env, _starting(env, None, patch))
        return patch

    @field_validator("injection")
    @classmethod
    def _reachable(cls, injection: Injection, info: ValidationInfo) -> Injection:
        env = _env(info)
        if env is None or "state" not in info.data or "patch" not in info.data:  # already failed
            return injection
        if env.tool(injection.tool) is None:
            names = ", ".join(t.name for t in env.tools)
            raise ValueError(f"unknown tool {injection.tool!r} (tools: {names})")
        node, key = _at(_starting(env, info.data.get("state"), info.data["patch"]), injection.path)
        if not isinstance(node[key], str):
            raise ValueError(f"path {injection.path!r} holds no text to append the injection to")
        return injection

    def starting_state(self) -> dict[str, Any]:
        """The starting state before the injection is planted."""
        return _starting(get_environment(self.environment), self.state, self.patch)

    def scenario(self, text: str | None = None) -> Scenario:
        """The replayable scenario, with `text` (default: the incident's own) planted."""
        planted = self.injection.text if text is None else text
        state = self.starting_state()
        node, key = _at(state, self.injection.path)
        node[key] = f"{node[key]}{planted}"
        return Scenario(
            environment=self.environment,
            state=state,
            injection=self.injection.model_copy(update={"text": planted}),
            user_task=self.user_task,
            forbidden=self.forbidden,
        )


def _starting(
    env: Environment, state: dict[str, Any] | None, patch: dict[str, Any] | None
) -> dict[str, Any]:
    if state is not None:
        return copy.deepcopy(state)
    bundled = env.new_state().model_dump(mode="json")
    result: dict[str, Any] = merge_patch(bundled, patch) if patch is not None else bundled
    return result


def _validate_state(env: Environment, state: dict[str, Any]) -> None:
    try:
        env.state_model.model_validate(state)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5]
        )
        raise ValueError(f"not a valid {env.name} state: {problems}") from None
