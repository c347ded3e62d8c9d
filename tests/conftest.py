"""Shared fixtures for the whole test tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.doubles.stub_chat_server import StubChatServer


@pytest.fixture
def stub_server() -> Iterator[StubChatServer]:
    """A fresh scriptable OpenAI-compatible server on a free loopback port, stopped afterwards."""
    with StubChatServer() as server:
        yield server
