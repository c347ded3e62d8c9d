"""The registry: decorator registration and lazily loaded entry-point plugins."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safetyloop.errors import InputError
from safetyloop.suites import (
    SUITES,
    Case,
    Expected,
    Message,
    Suite,
    load_suite,
    suite,
    suite_info,
    suite_names,
)


@pytest.fixture
def isolated_registry() -> Iterator[None]:
    """A fresh registry: what a test registers is forgotten after it."""
    with SUITES.isolated():
        yield


def one_case(suite_name: str) -> Case:
    return Case(
        id="1",
        suite=suite_name,
        category="x",
        messages=(Message(role="user", content="hi"),),
        expected=Expected.COMPLY,
    )


def test_decorator_registers_without_loading(isolated_registry: None) -> None:
    calls: list[int] = []

    @suite("test-decorated", description="d", source="s", license="MIT")
    def decorated() -> Iterator[Case]:
        calls.append(1)
        yield one_case("test-decorated")

    assert "test-decorated" in suite_names()
    info = {i.name: i for i in suite_info()}["test-decorated"]
    assert (info.description, info.source, info.license) == ("d", "s", "MIT")
    assert calls == []
    loaded = load_suite("test-decorated")
    assert isinstance(loaded, Suite) and loaded.license == "MIT" and len(loaded) == 1
    assert load_suite("test-decorated") is loaded and calls == [1]
    assert isinstance(decorated(), Suite)


class EntryPointDouble:
    def __init__(self, name: str, target: object) -> None:
        self.name, self.value, self._target = name, f"fake:{name}", target

    def load(self) -> object:
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def test_entry_point_plugins_load_lazily() -> None:
    loaded: list[str] = []

    def plugin() -> Suite:
        loaded.append("plugin")
        return Suite(
            name="test-plugin", description="p", license="MIT", cases=(one_case("test-plugin"),)
        )

    eps = [
        EntryPointDouble("test-plugin", plugin),
        EntryPointDouble("test-broken", ImportError("boom")),
    ]
    with SUITES.isolated(plugins=eps):
        assert {"test-plugin", "test-broken"} <= set(suite_names())
        assert loaded == []
        assert load_suite("test-plugin").description == "p"
        infos = {i.name: i for i in suite_info()}
        assert infos["test-plugin"].license == "MIT"
        assert "unavailable" in infos["test-broken"].description
        assert "harmbench" in infos  # a broken plugin does not hide the others
        with pytest.raises(InputError, match="failed to load"):
            load_suite("test-broken")


def test_plugin_returning_a_wrong_suite_name() -> None:
    eps = [EntryPointDouble("test-named", lambda: Suite(name="other", cases=(one_case("other"),)))]
    with SUITES.isolated(plugins=eps), pytest.raises(InputError, match="named 'other'"):
        load_suite("test-named")
