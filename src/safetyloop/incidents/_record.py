"""The incident record: what happened in production, with the full transcript, as validated data.

Schema documented in docs/incidents.md. Records load from YAML or JSON with `load_incident`, which
reports every problem as `file:line: field: message` (ConfigError, exit 2) before anything is
stored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from safetyloop._hashing import content_hash
from safetyloop.config import Severity, load_model, load_yaml
from safetyloop.incidents._agentic import AgenticIncident, environment_context
from safetyloop.incidents._taxonomy import load_taxonomy
from safetyloop.suites import Message

__all__ = ["Deployment", "Incident", "load_incident"]


class Deployment(BaseModel):
    """Where the incident happened, and exactly what was running there.

    Attributes:
        name: The deployment (product surface, environment).
        target: The target that reproduces the deployment for replay: a target spec (`local`,
            `openai:MODEL@URL`) or a name from a targets file. None: not reproducible here.
        model_version: The model build that answered.
        safeguard_version: The safeguard build in front of it (None: no safeguard).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    target: str | None = None
    model_version: str
    safeguard_version: str | None = None


def _known(kind: str, value: str) -> str:
    taxonomy = load_taxonomy()
    known = taxonomy.failure_type_ids() if kind == "failure type" else taxonomy.root_cause_ids()
    if value not in known:
        message = f"unknown {kind} {value!r}; known: {', '.join(sorted(known))}"
        raise PydanticCustomError("unknown_taxonomy", "{message}", {"message": message})
    return value


class Incident(BaseModel):
    """A production incident, kept whole so it can be replayed and promoted.

    Attributes:
        id: Unique incident id (e.g. `INC-2026-014`).
        principle: The constitution principle the incident violated (default C1).
        category: Harm category; the promoted regression cases carry it.
        transcript: Every message as it happened, tool calls and tool results included.
        first_unsafe_turn: 0-based index into `transcript` of the first unsafe assistant message.
        expected: What the assistant should have done at that turn: `refuse` the request, or stay
            `safe` (for example: not act on injected instructions) while still helping.
        failure_type: Taxonomy id; may be left empty for triage to suggest.
        root_causes: Taxonomy ids; may be left empty for triage to suggest.
        agentic: For an incident about what an agent did: its world, where the attacker's text
            entered it, and the forbidden action as a state check. Replay and C5 then judge
            the agent by the state it leaves, never by a text scorer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=64)]
    title: str
    date: dt.date
    severity: Severity
    principle: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_-]*$")] = "C1"
    deployment: Deployment
    category: str = "uncategorised"
    transcript: Annotated[list[Message], Field(min_length=2)]
    first_unsafe_turn: Annotated[int, Field(ge=0)]
    expected: Literal["refuse", "safe"] = "refuse"
    failure_type: str | None = None
    root_causes: list[str] = []
    impact: str
    notes: str = ""
    agentic: AgenticIncident | None = None

    @field_validator("transcript")
    @classmethod
    def _tool_results_answer_calls(cls, value: list[Message]) -> list[Message]:
        """A tool result must answer a tool call made earlier in the conversation."""
        called: set[str] = set()
        for index, message in enumerate(value):
            for call in message.tool_calls or []:
                if "id" in call:
                    called.add(str(call["id"]))
            if message.role == "tool" and message.tool_call_id not in called:
                raise ValueError(
                    f"message {index} is a tool result for {message.tool_call_id!r}, which no "
                    "earlier assistant message called"
                )
        return value

    @field_validator("first_unsafe_turn")
    @classmethod
    def _points_at_assistant(cls, value: int, info: ValidationInfo) -> int:
        transcript: list[Message] | None = info.data.get("transcript")
        if transcript is None:
            return value
        if value >= len(transcript):
            raise ValueError(
                f"the transcript has {len(transcript)} messages (0..{len(transcript) - 1})"
            )
        if transcript[value].role != "assistant":
            raise ValueError(
                f"message {value} is a {transcript[value].role} message; the first unsafe turn "
                "must be an assistant message"
            )
        if not any(m.role in ("user", "tool") for m in transcript[:value]):
            raise ValueError("nothing before the first unsafe turn asks anything")
        return value

    @field_validator("failure_type")
    @classmethod
    def _failure_type_known(cls, value: str | None) -> str | None:
        return None if value is None else _known("failure type", value)

    @field_validator("root_causes")
    @classmethod
    def _root_causes_known(cls, value: list[str]) -> list[str]:
        return [_known("root cause", v) for v in value]

    @property
    def prefix(self) -> list[Message]:
        """The conversation up to (not including) the first unsafe assistant turn."""
        return list(self.transcript[: self.first_unsafe_turn])

    @property
    def unsafe_response(self) -> str:
        return self.transcript[self.first_unsafe_turn].content

    def user_requests(self) -> list[str]:
        """The user's messages up to the first unsafe turn: what blast radius embeds."""
        return [m.content for m in self.prefix if m.role == "user"]

    def content_hash(self) -> str:
        return content_hash(self.model_dump(mode="json"))


def load_incident(path: Path) -> Incident:
    """Load and validate an incident file (YAML or JSON: JSON is YAML), naming file and line;
    an agentic section is checked against the environment it names."""
    data, _ = load_yaml(Path(path))
    section = data.get("agentic") if isinstance(data, dict) else None
    name = section.get("environment") if isinstance(section, dict) else None
    return load_model(Path(path), Incident, context=environment_context(name))


def incident_from_json(body: dict[str, Any]) -> Incident:
    """An incident as stored (already validated once)."""
    return Incident.model_validate(body)
