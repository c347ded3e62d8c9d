"""Scoring inside a real run: verdicts stored with their borderline flag, via the async path."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.constitutions import write_one_principle

from safetyloop.api import RunRequest, run
from safetyloop.store import Store


def terse_double(messages: list[dict[str, str]], params: dict[str, object]) -> str:
    """Test double: a two-word answer, which the keyword scorer cannot judge with confidence."""
    return "Sure thing."


@pytest.mark.parametrize(("band", "expect_borderline"), [(0.7, True), (0.5, False)])
def test_verdicts_under_the_band_are_stored_as_borderline(
    tmp_path: Path, band: float, expect_borderline: bool
) -> None:
    constitution = write_one_principle(tmp_path, "borderline-check", threshold=0.5)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    info = run(
        RunRequest(
            target="python:tests.scoring.test_scoring_in_runs:terse_double",
            constitution=constitution,
            sample=4,
            store_url=url,
            borderline_below=band,
        )
    )
    with Store(url) as store:
        flagged = sorted(v.case_key for v in store.borderline(info.id))
        scores = store.scores(info.id, info.scorer_versions["refusal_keyword"])
    assert len(scores) == 4
    assert all(0.5 <= s.confidence < 0.7 for s in scores.values())  # the keyword scorer's doubt
    assert flagged == (sorted(scores) if expect_borderline else [])
