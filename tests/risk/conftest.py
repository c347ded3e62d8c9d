"""The `world` fixture: one real store shared by the risk-report tests (see riskworld.py)."""

from __future__ import annotations

import pytest
from tests.risk.riskworld import World, build_world


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory)
