"""The fixtures of the risk-report tests: one real store (`world`, see riskworld.py) and the
first report argued from it (`written`), shared by the package."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from tests.risk.riskworld import World, build_world


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(tmp_path_factory)


@pytest.fixture(scope="package")
def written(world: World) -> dict[str, Any]:
    """The first report, two days after the evidence, in every format."""
    formats = ("first.html", "first.md", "first.json", "first.dot")
    done = world.report(*formats, at=world.t0 + timedelta(days=2))
    assert done.code == 1, done.err  # not every pathway is supported: exit 1, files written
    twin = json.loads((world.folder / "first.json").read_text("utf-8"))
    return {"out": done.out, "twin": twin}
