"""Bad logs: a clear error naming the file (and the sample), exit 2, nothing imported."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.interop.conftest import Logs

from safetyloop.store import Store


def _rewrite(path: Path, change: dict[str, bytes | None]) -> None:
    """Rewrite the zip at `path` with members replaced (bytes) or dropped (None)."""
    import zipfile_zstd  # noqa: F401  (Inspect's dependency: lets zipfile read zstd members)

    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in {**members, **change}.items():
            if body is not None:
                zf.writestr(name, body)


def _import(invoke: Invoke, tmp_path: Path, log: Path) -> tuple[int, str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = invoke("import", "inspect", str(log), "--store", url)
    with Store(url) as store:
        assert store.count_runs() == 0  # nothing half-imported
    return result.code, result.flat_err


def test_a_truncated_eval_log_is_refused(logs: Logs, tmp_path: Path, invoke: Invoke) -> None:
    data = logs.tools_eval.read_bytes()
    logs.tools_eval.write_bytes(data[: len(data) // 2])
    code, err = _import(invoke, tmp_path, logs.tools_eval)
    assert code == 2 and str(logs.tools_eval) in err and "truncated" in err


def test_an_unknown_schema_version_is_refused(logs: Logs, tmp_path: Path, invoke: Invoke) -> None:
    log = json.loads(logs.tools_json.read_text())
    log["version"] = 99
    logs.tools_json.write_text(json.dumps(log))
    code, err = _import(invoke, tmp_path, logs.tools_json)
    assert code == 2 and str(logs.tools_json) in err
    assert "unknown Inspect log schema version 99" in err


def test_a_missing_sample_is_named(logs: Logs, tmp_path: Path, invoke: Invoke) -> None:
    _rewrite(logs.tools_eval, {"samples/s2_epoch_2.json": None})
    code, err = _import(invoke, tmp_path, logs.tools_eval)
    assert code == 2 and str(logs.tools_eval) in err
    assert "1 sample(s) the log lists are missing: 's2' epoch 2" in err


def test_a_sample_without_scores_is_named_and_nothing_of_its_log_is_stored(
    logs: Logs, tmp_path: Path, invoke: Invoke
) -> None:
    log = json.loads(logs.tools_json.read_text())
    log["samples"][-1]["scores"] = {}  # the last one: every sample before it was written
    logs.tools_json.write_text(json.dumps(log))
    sample = log["samples"][-1]
    code, err = _import(invoke, tmp_path, logs.tools_json)
    assert code == 2 and str(logs.tools_json) in err
    assert f"sample {sample['id']!r} epoch {sample['epoch']}: the sample has no scores" in err


def test_a_damaged_sample_member_is_named(logs: Logs, tmp_path: Path, invoke: Invoke) -> None:
    _rewrite(logs.tools_eval, {"samples/s1_epoch_1.json": b'{"id": "s1", "epoch": 1, "inp'})
    code, err = _import(invoke, tmp_path, logs.tools_eval)
    assert code == 2 and "samples/s1_epoch_1.json is damaged" in err


@pytest.mark.parametrize("name", ["log.txt", "missing.eval"])
def test_a_path_that_is_no_log_is_refused(tmp_path: Path, invoke: Invoke, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("hello")
    code, err = _import(invoke, tmp_path, path)
    assert code == 2 and str(path) in err


@pytest.mark.parametrize("streamed", [True, False])
def test_a_truncated_json_log_is_refused(
    logs: Logs, tmp_path: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """Streamed by ijson (the inspect extra), or parsed whole without it."""
    if not streamed:
        monkeypatch.setitem(sys.modules, "ijson", None)
    data = logs.tools_json.read_bytes()
    logs.tools_json.write_bytes(data[: int(len(data) * 0.8)])  # the header is whole, samples not
    code, err = _import(invoke, tmp_path, logs.tools_json)
    assert code == 2 and str(logs.tools_json) in err and "not valid JSON" in err
