"""Injection attacks as data: a template that turns an injection goal into planted text.

The text is placed into every injection vector the user task's solution reads (found by running
that solution with a marker in each vector), so the agent meets it in a tool's output on the way
to doing the user's task, as in AgentDojo.
"""

from __future__ import annotations

import json
import string
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from safetyloop._hashing import content_hash
from safetyloop._registry import Registry, instances_of
from safetyloop.agentic._tasks import InjectionGoal
from safetyloop.config import load_model

__all__ = ["ATTACKS", "Attack", "AttackFile", "attack_names", "get_attack", "load_attack_file"]

PLACEHOLDERS = frozenset({"goal", "user", "model", "tool_calls"})


class Attack(BaseModel):
    """One attack: how a goal becomes the text an attacker plants.

    Attributes:
        name: Unique among attacks.
        family: The kind of manipulation, for per-family rates.
        template: `str.format` text over {goal}, {user}, {model}, {tool_calls}.
        user: The name the attack signs with (the user it impersonates).
        model: How it addresses the agent.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    family: str = "injection"
    description: str = ""
    template: str = Field(min_length=1)
    user: str = "Emma Johnson"
    model: str = "AI assistant"

    @field_validator("template")
    @classmethod
    def _placeholders(cls, template: str) -> str:
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as exc:
            raise ValueError(f"not a valid template: {exc}") from None
        unknown = names - PLACEHOLDERS
        if unknown:
            raise ValueError(
                f"unknown placeholders {sorted(unknown)} (allowed: {sorted(PLACEHOLDERS)})"
            )
        if "goal" not in names:
            raise ValueError("the template must place the {goal}")
        return template

    @property
    def version(self) -> str:
        return content_hash(self.model_dump())

    def render(self, goal: InjectionGoal) -> str:
        """The planted text for `goal`."""
        return self.template.format(
            goal=goal.goal, user=self.user, model=self.model, tool_calls=tool_call_text(goal)
        )


def tool_call_text(goal: InjectionGoal) -> str:
    """The goal's solution as instructions: each tool and its arguments, in order."""
    lines = [
        f"{'You should use' if i == 0 else 'Then, use'} the tool `{call.tool}` with the "
        f"following arguments: {json.dumps(call.arguments, ensure_ascii=False)}."
        for i, call in enumerate(goal.solution)
    ]
    return "\n".join(lines)


class AttackFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    attacks: list[Attack] = Field(min_length=1)


def load_attack_file(path: Path) -> list[Attack]:
    """Attacks from a YAML file (`attacks: [...]`), every mistake named by file:line."""
    return load_model(path, AttackFile).attacks


#: Every attack by name: the bundled ones, and plugins' `Attack` objects.
ATTACKS: Registry[Attack] = Registry(
    "attack",
    "safetyloop.agentic_attacks",
    builtins=("safetyloop.agentic._bundled",),
    accept=instances_of(Attack, "an Attack"),
)


def bundled_attacks_path() -> Path:
    return Path(str(resources.files("safetyloop.agentic") / "data" / "attacks.yaml"))


def get_attack(name: str) -> Attack:
    return ATTACKS.get(name)


def attack_names() -> list[str]:
    return ATTACKS.names()
