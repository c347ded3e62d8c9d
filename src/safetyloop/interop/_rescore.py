"""One more scorer on a stored run: an imported Inspect run judged by our own scorers.

The verdicts are stored like a run's own, and the scorer version is named in the run's
lineage (`scorer_versions`), so the gate can hold a criterion to it.
"""

from __future__ import annotations

import asyncio

from safetyloop.engine import CaseResult
from safetyloop.errors import InputError
from safetyloop.scoring import ScoreInput, Scorer, create_scorer
from safetyloop.store import RunInfo, Store
from safetyloop.store.interop import add_scorer_version
from safetyloop.suites import Case

#: Verdicts under this confidence are marked borderline (the run command's default).
BORDERLINE_BELOW = 0.7


async def score_pending(
    store: Store,
    run_id: str,
    scorer: Scorer,
    cases: dict[str, Case],
    results: dict[str, CaseResult],
    borderline_below: float = BORDERLINE_BELOW,
) -> int:
    """Score the run's successful answers that `scorer`'s version has no verdict on yet and
    store the verdicts; how many were scored. Failed answers are never scored: an error is
    not an answer."""
    have = store.scores(run_id, scorer.version)
    pending = [
        r
        for key, r in results.items()
        if r.status == "ok" and key not in have and r.response is not None
    ]
    if not pending:
        return 0
    scores = await scorer.ascore_batch(
        [
            ScoreInput(messages=cases[r.case_key].messages, response=r.response or "")
            for r in pending
        ]
    )
    store.record_scores(
        run_id,
        scorer.name,
        scorer.version,
        {r.case_key: s for r, s in zip(pending, scores, strict=True)},
        borderline_below=borderline_below,
    )
    return len(pending)


def rescore_run(
    store: Store, run_ref: str, scorer_name: str, *, borderline_below: float = BORDERLINE_BELOW
) -> tuple[RunInfo, int]:
    """Score run `run_ref` with registered scorer `scorer_name` and add it to the run's
    scorers; verdicts already stored for that version are kept. Returns the run and how many
    answers were scored now."""
    scorer = create_scorer(scorer_name)
    info = store.get_run(run_ref)
    known = info.scorer_versions.get(scorer.name)
    if known is not None and known != scorer.version:
        raise InputError(
            f"run {info.id} holds verdicts of another version of scorer {scorer.name} "
            f"({known[:12]}, now {scorer.version[:12]})",
            hint="score a new run (or import the log again) with this version",
        )
    cases = {c.key: c for c in store.run_cases(info.id)}
    results = store.results(info.id)
    scored = asyncio.run(score_pending(store, info.id, scorer, cases, results, borderline_below))
    add_scorer_version(store, info.id, scorer.name, scorer.version)
    return store.get_run(info.id), scored
