"""An import's bulk writes stay under the audit chain: every row digested under its own id."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from tests.interop.conftest import Logs

from safetyloop.governance.audit import verify_audit
from safetyloop.interop import import_inspect
from safetyloop.store import Store


def test_imported_rows_written_in_bulk_batches_verify_and_a_changed_verdict_is_caught(
    logs: Logs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safetyloop.store.interop._BATCH", 4)  # several batches per log
    url = f"sqlite:///{tmp_path / 'store.db'}"
    with Store(url) as store:
        done = import_inspect([logs.tools_eval, logs.plain_eval], store)
        scores = sum(
            len(store.scores(d.run.id, v)) for d in done for v in d.run.scorer_versions.values()
        )
    report = verify_audit(url)
    results = sum(d.cases for d in done)
    assert report.ok, report.reason
    assert report.rows == results + scores and results > 4 and scores > 0
    with sa.create_engine(url).begin() as db:
        db.execute(sa.text("UPDATE scores SET label = label || '!' WHERE id = 5"))
    broken = verify_audit(url)
    assert not broken.ok and broken.covers is not None and broken.covers.startswith("score 5 ")
