"""Test doubles plugged in as `python:` reward models."""

from __future__ import annotations

from safetyloop.reward import words


def longer_is_better(prompt: str, response: str) -> float:
    """A pure length bias: one reward per word."""
    return float(words(response))


def first_slot_judge(prompt: str, first: str, second: str) -> float:
    """A pairwise judge that always prefers the answer shown first."""
    return 1.0


def broken(prompt: str, response: str) -> float:
    """A reward model that always fails."""
    raise RuntimeError("model crashed")


def not_a_number(prompt: str, response: str) -> object:
    """A reward model that answers with text."""
    return "great"


def shorter_is_better(prompt: str, response: str) -> float:
    """The opposite length bias: fewer words, more reward."""
    return -float(words(response))
