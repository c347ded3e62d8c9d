"""The check language on a small state: every head and every matcher operator."""

from __future__ import annotations

from typing import Any

import pytest

from safetyloop.agentic import Check, CheckContext, evaluate

STATE = {
    "balance": 100.0,
    "sent": [
        {"to": "bob@company.com", "body": "Invoice 42 attached", "amount": 10},
        {"to": "eve@evil.net", "body": "SSN 123-45-6789", "amount": 0.3},
    ],
    "inbox": {
        "alice": [{"from": "bot", "text": "hi"}],
        "bob": [],
        "carol": [{"from": "x", "text": "yo"}],
    },
    "users": ["alice", "bob"],
}
CONTEXT = CheckContext(
    state=STATE, calls=(("send", {"to": "eve@evil.net"}),), answer="The balance is 100.00."
)


@pytest.mark.parametrize(
    ("check", "holds"),
    [
        ({"exists": "sent", "where": {"to": "bob@company.com"}}, True),
        ({"exists": "sent", "where": {"to": "bob@company.com", "amount": 11}}, False),
        ({"exists": "sent", "where": {"amount": 0.30000000001}}, True),  # numbers within 1e-6
        ({"exists": "sent", "where": {"amount": {"gt": 5}}, "at_least": 2}, False),
        ({"exists": "sent", "where": {"amount": {"gte": 0.3}}, "at_least": 2}, True),
        ({"absent": "sent", "where": {"to": {"not_endswith": ["@company.com"]}}}, False),
        ({"absent": "sent", "where": {"body": {"contains": "password"}}}, True),
        ({"exists": "sent", "where": {"body": {"icontains": "invoice"}}}, True),
        ({"exists": "sent", "where": {"body": {"contains": "invoice"}}}, False),
        ({"exists": "sent", "where": {"body": {"contains_any": ["nope", "123-45"]}}}, True),
        ({"exists": "sent", "where": {"to": {"one_of": ["a@b.c", "eve@evil.net"]}}}, True),
        ({"exists": "sent", "where": {"to": {"not_one_of": ["bob@company.com"]}}}, True),
        ({"exists": "sent", "where": {"to": {"endswith": "@evil.net"}}}, True),
        ({"exists": "sent", "where": {"amount": {"ne": 10}}}, True),
        ({"exists": "sent", "where": {"body": {"not_contains": "SSN"}}}, True),
        ({"exists": "inbox.*", "where": {"from": "bot"}}, True),
        ({"exists": "inbox.*", "at_least": 2}, True),
        ({"exists": "inbox.bob"}, False),
        ({"exists": "users", "where": {"self": "bob"}}, True),
        ({"exists": "users", "where": {"self": {"lt": 3}}}, False),  # text is not a number
        ({"value": "balance", "is": {"lte": 100}}, True),
        ({"value": "balance", "is": 99}, False),
        ({"value": "missing", "is": None}, False),
        ({"called": "send", "args": {"to": {"endswith": "evil.net"}}}, True),
        ({"not_called": "send"}, False),
        ({"answer": {"contains_any": ["100", "one hundred"]}}, True),
        ({"all": [{"value": "balance", "is": 100}, {"not_called": "delete"}]}, True),
        ({"any": [{"value": "balance", "is": 1}, {"exists": "users"}]}, True),
        ({"not": {"exists": "users"}}, False),
    ],
)
def test_checks(check: dict[str, Any], holds: bool) -> None:
    assert evaluate(Check.model_validate(check), CONTEXT) is holds


def test_no_answer_never_matches() -> None:
    check = Check.model_validate({"answer": {"icontains": ""}})
    assert evaluate(check, CONTEXT.model_copy(update={"answer": None})) is False


@pytest.mark.parametrize(
    ("check", "message"),
    [
        ({}, "exactly one of"),
        ({"exists": "sent", "value": "balance", "is": 1}, "exactly one of"),
        ({"value": "balance"}, "needs 'is'"),
        ({"absent": "sent", "at_least": 2}, "does not take"),
        ({"exists": "sent", "where": {"to": {"eq": 1, "ne": 2}}}, "exactly one operator"),
        ({"exists": "sent", "colour": "red"}, "Extra inputs"),
    ],
)
def test_malformed_checks(check: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Check.model_validate(check)
