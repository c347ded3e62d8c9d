"""Fixtures of the incident-lab tests: the example incidents, a fresh store, a clean suite cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safetyloop.store import Store


@pytest.fixture(autouse=True)
def _isolated_suite(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """The `incident-regressions` suite reads the test's own store."""
    monkeypatch.setenv("SAFETYLOOP_STORE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    monkeypatch.setenv("SAFETYLOOP_ACTOR", "tester")
    yield


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store(store_url) as db:
        yield db
