"""The one registry type: duplicate policy, lazy plugins with isolated failures, fresh copies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from tests.cli.invoking import invoke_main

from safetyloop._registry import Registry, callables
from safetyloop.errors import InputError, PluginError
from safetyloop.gate import OUTPUT_FORMATS, RULES
from safetyloop.redteam.strategies import STRATEGIES
from safetyloop.redteam.transforms import TRANSFORMS, get_transform
from safetyloop.scoring import SCORERS, create_scorer
from safetyloop.suites import SUITES
from safetyloop.targets import TARGETS, create_target


class EntryPointDouble:
    """Stands in for an installed entry point; `load` counts its imports."""

    def __init__(self, name: str, target: object, value: str = "") -> None:
        self.name, self.value, self._target = name, value or f"double:{name}", target
        self.loads = 0

    def load(self) -> object:
        self.loads += 1
        if isinstance(self._target, Exception):
            raise self._target
        return self._target


def numbers() -> Registry[Callable[[], int]]:
    return Registry("number", "safetyloop.test-numbers", accept=callables("a number maker"))


def test_a_second_registration_of_a_name_raises() -> None:
    registry = numbers()

    def one() -> int:
        return 1

    registry.register("one", one)
    registry.register("one", one)  # the very same object again: nothing changes
    with pytest.raises(ValueError, match="number 'one' is already registered"):
        registry.register("one", lambda: 2)
    assert registry.get("one") is one


def test_plugins_are_listed_without_loading_and_loaded_once_on_use() -> None:
    registry = numbers()
    plugin = EntryPointDouble("seven", lambda: 7)
    with registry.isolated(plugins=[plugin]):
        assert registry.names() == ["seven"] and plugin.loads == 0
        assert registry.get("seven")() == 7
        assert registry.get("seven")() == 7
        assert plugin.loads == 1


def test_a_broken_plugin_fails_only_its_own_lookups_and_is_reported() -> None:
    registry = numbers()
    registry.register("one", lambda: 1)
    plugins = [
        EntryPointDouble("broken", ImportError("no module named nowhere")),
        EntryPointDouble("not-callable", 42),
        EntryPointDouble("fine", lambda: 3),
    ]
    with registry.isolated(plugins=plugins):
        with pytest.raises(PluginError, match=r"'broken' failed to load: .*ImportError"):
            registry.get("broken")
        with pytest.raises(PluginError, match="42 is not a number maker"):
            registry.get("not-callable")
        assert registry.get("one")() == 1 and registry.get("fine")() == 3
        assert sorted(registry.failures()) == ["broken", "not-callable"]
        assert isinstance(PluginError("x"), InputError)  # the CLI prints it, exit code 2


def test_unknown_names_list_the_known_ones_and_suggest_close_matches() -> None:
    registry = numbers()
    registry.register("seven", lambda: 7)
    with pytest.raises(InputError, match="unknown number 'sevne'") as caught:
        registry.get("sevne")
    assert caught.value.hint is not None and "did you mean seven?" in caught.value.hint
    assert registry.find("sevne") is None and "seven" in registry and "sevne" not in registry


def test_a_plugin_cannot_take_a_built_in_name_nor_two_plugins_one_name() -> None:
    registry = numbers()

    def builtin() -> int:
        return 1

    registry.register("one", builtin)
    plugins = [
        EntryPointDouble("one", lambda: 100, "other:one"),
        EntryPointDouble("two", lambda: 2, "a:two"),
        EntryPointDouble("two", lambda: 22, "b:two"),
        EntryPointDouble("three", lambda: 3, "same:three"),
        EntryPointDouble("three", lambda: 3, "same:three"),  # one declaration seen twice
    ]
    with registry.isolated(plugins=plugins):
        assert registry.get("one") is builtin
        with pytest.raises(PluginError, match="declared by two plugins"):
            registry.get("two")
        assert registry.get("three")() == 3
        failures = registry.failures()
        assert set(failures) == {"one", "two"} and "built-in number" in failures["one"]


def test_isolated_forgets_what_was_registered_inside() -> None:
    registry = numbers()
    registry.register("one", lambda: 1)
    with registry.isolated():
        registry.register("temporary", lambda: 0)
        assert registry.names() == ["one", "temporary"]
    assert registry.names() == ["one"]


def test_built_in_modules_are_imported_on_first_use_only() -> None:
    module = "tests.doubles.registry_builtins_double"
    sys.modules.pop(module, None)
    registry = Registry[object]("thing", "safetyloop.test-things", builtins=(module,))
    assert module not in sys.modules
    assert registry.names() == []
    assert module in sys.modules


def test_every_kind_uses_the_one_registry_type() -> None:
    kinds = (TARGETS, SCORERS, SUITES, TRANSFORMS, STRATEGIES, RULES, OUTPUT_FORMATS)
    assert all(isinstance(kind, Registry) for kind in kinds)
    groups = {kind.group for kind in kinds}
    assert len(groups) == len(kinds) and all(g.startswith("safetyloop.") for g in groups)


def test_unknown_names_of_every_kind_are_input_errors() -> None:
    for lookup in (
        lambda: create_target("nope", "x", {}),
        lambda: create_scorer("nope"),
        lambda: get_transform("nope"),
        lambda: STRATEGIES.get("nope"),
        lambda: RULES.get("nope"),
        lambda: OUTPUT_FORMATS.get("nope"),
    ):
        with pytest.raises(InputError, match=r"unknown .*'nope'"):
            lookup()


def test_the_red_team_rule_is_a_declared_plugin_the_gate_never_imports() -> None:
    """gate → redteam was an import cycle; now the rule is an entry point of the package."""
    listed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, safetyloop.gate as g; assert 'redteam' in g.rule_names(); "
            "print(sorted(m for m in sys.modules if m.startswith('safetyloop.redteam')))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert listed.stdout.strip() == "[]"
    from safetyloop.redteam.gate_rule import redteam

    assert RULES.get("redteam") is redteam


def test_listings_show_a_broken_plugin_as_unavailable_and_keep_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke = invoke_main(monkeypatch, capsys)
    broken = EntryPointDouble("acme", ImportError("no module named acme"))
    with SCORERS.isolated(plugins=[broken]):
        listed = invoke("scorers", "list")
    assert listed.code == 0 and "refusal_keyword" in listed.out
    assert "(unavailable: scorer plugin 'acme' failed to load" in " ".join(listed.out.split())
    with TRANSFORMS.isolated(plugins=[broken]):
        listed = invoke("redteam", "transforms")
    assert listed.code == 0 and "rot13" in listed.out
    assert "(unavailable: transform plugin 'acme'" in " ".join(listed.out.split())
