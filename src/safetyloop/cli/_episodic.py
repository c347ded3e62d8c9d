"""What `capability` and `sabotage` share: run into the store printing each episode as it
finishes, then print the stored run's report; show a stored run's report again."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text

from ._common import console

if TYPE_CHECKING:
    from safetyloop.store import Store

R = TypeVar("R")
Progress = Callable[[str, dict[str, Any]], None]


def run_and_print(
    store_url: str | None,
    run: Callable[[Store, Progress], str],
    summarise: Callable[[Store, str], R],
    show: Callable[[R, bool], None],
    *,
    json_output: bool,
    describe: Callable[[dict[str, Any]], str],
    command: str,
) -> None:
    """`run(store, on_result)` into the store, a dim line per finished episode, then its report."""
    from safetyloop.store import Store

    def progress(key: str, outcome: dict[str, Any]) -> None:
        if not json_output:
            console.print(Text(f"{key}: {describe(outcome)}", style="dim"))

    with Store(store_url) as opened:
        run_id = run(opened, progress)
        report = summarise(opened, run_id)
    show(report, json_output)
    if not json_output:
        console.print(f"show it again with `safetyloop {command} show {run_id}`")


def show_stored(
    store_url: str | None,
    ref: str,
    summarise: Callable[[Store, str], R],
    show: Callable[[R, bool], None],
    json_output: bool,
) -> None:
    from safetyloop.store import Store

    with Store(store_url) as opened:
        show(summarise(opened, ref), json_output)


def interval_text(value: float | None, low: float | None, high: float | None) -> str:
    """`0.50 [0.21, 0.79]`, or `-` when nothing measured it."""
    if value is None or low is None or high is None:
        return "-"
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"
