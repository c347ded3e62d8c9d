"""The bundled environments, registered on first lookup of `ENVIRONMENTS`."""

from __future__ import annotations

from safetyloop.agentic import _banking, _slack, _support
from safetyloop.agentic._environment import register_environment

register_environment("banking", _banking.BankingState, _banking.TOOLS, "banking")
register_environment("slack", _slack.SlackState, _slack.TOOLS, "slack")
register_environment("support", _support.SupportState, _support.TOOLS, "support")
