"""What a target sees of an agent's tools, and the calls it makes: the records shared by every
target that calls tools natively and by the agent loop that runs them."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ToolSpec(BaseModel):
    """One tool offered to a model: its name, what it does, and a JSON schema of its arguments."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})


class ToolCall(BaseModel):
    """One call a model asked for. `arguments` holds the parsed JSON object; when the model's
    arguments were not a JSON object, `arguments` is empty and `raw_arguments` keeps what it
    sent, so the loop records a parse error instead of guessing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    raw_arguments: str | None = None
