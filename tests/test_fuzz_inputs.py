"""Hostile files through every command that reads one (issue 20, item 1): zero tracebacks, zero
hangs, and exit 2 naming file and line (`tests/hostile_files.py`; `bench/fuzz_inputs.py` runs
500 and more)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from tests.cli.invoking import Invoke
from tests.hostile_files import (
    HAND_WRITTEN,
    HOSTILE_ARGS,
    Hang,
    HostileFile,
    hostile_inputs,
    run_case,
    time_bound,
)

SECONDS = 20.0  # a case that takes longer is a hang (the slowest, an alias bomb, takes < 1 s)
_FUZZ = settings(
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_SHORT = settings(_FUZZ, max_examples=60)
_LONG = settings(_FUZZ, max_examples=600)


def _check(invoke: Invoke, case: HostileFile, folder: Path) -> None:
    file = folder / f"input{case.suffix}"
    file.write_bytes(case.content)
    outcome = run_case(invoke, case.args, file, SECONDS)
    assert outcome.kind in ("ok", "located"), f"{case.name}: {outcome.kind}: {outcome.detail}"
    assert outcome.kind == "ok" or not (folder / "fuzz.db").exists(), "a rejected file wrote"


@pytest.mark.parametrize("case", HAND_WRITTEN, ids=[case.name for case in HAND_WRITTEN])
def test_hand_written_hostile_files(invoke: Invoke, case: HostileFile, tmp_path: Path) -> None:
    outcome = run_case(invoke, case.args, _written(case, tmp_path), SECONDS)
    assert outcome.kind == "located", f"{outcome.kind}: {outcome.detail}"
    assert not (tmp_path / "fuzz.db").exists(), "a rejected file wrote to the store"


@pytest.mark.parametrize("args", HOSTILE_ARGS, ids=" ".join)
def test_hostile_arguments_exit_2_on_one_line(
    invoke: Invoke, args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run_case(invoke, args, None, SECONDS)
    assert result.kind == "located", result.detail
    assert len(invoke(*args).err.strip().splitlines()) <= 2  # the error and its hint


@_SHORT
@given(case=hostile_inputs())
def test_generated_hostile_files(invoke: Invoke, case: HostileFile, tmp_path: Path) -> None:
    _check(invoke, case, Path(tempfile.mkdtemp(dir=tmp_path)))


@pytest.mark.slow
@_LONG
@given(case=hostile_inputs())
def test_generated_hostile_files_long(invoke: Invoke, case: HostileFile, tmp_path: Path) -> None:
    _check(invoke, case, Path(tempfile.mkdtemp(dir=tmp_path)))


def test_the_time_bound_catches_a_hang() -> None:
    """The bound the cases rely on: a sleeping (or looping) case is stopped and counted."""
    started = time.perf_counter()
    with pytest.raises(Hang), time_bound(0.05):
        time.sleep(5)
    assert time.perf_counter() - started < 1


def _written(case: HostileFile, folder: Path) -> Path:
    file = folder / f"input{case.suffix}"
    file.write_bytes(case.content)
    return file
