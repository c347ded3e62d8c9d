"""Releases: plan a release's evaluation, then compare it with the deployment's baseline.

The Python side of `safetyloop plan`, `run --plan-power`, `baseline`, `compare`, `history` and
`selfcheck stats`; the CLI only parses and prints. A *deployment* is a name for what runs in
production (by default the target's name); its baseline is the run the next release is
compared with.

    from safetyloop.releases import compare, history, power_plan, set_baseline, suite_samples
    plan = power_plan(expected={"C1": 0.01}, power=0.8)
    samples = suite_samples(plan)                 # cases to draw per suite, for `RunRequest`
    set_baseline("3f2a9c")                        # deployment = the run's target name
    report = compare("3f2a9c", "latest")          # Holm-adjusted family of tests
    h = history("python:my_pipeline")             # rates, intervals and trends, oldest first
"""

from safetyloop.releases._baselines import (
    History,
    HistoryPoint,
    HistorySeries,
    compare,
    get_baseline,
    history,
    list_baselines,
    selfcheck_stats,
    set_baseline,
)
from safetyloop.releases._planning import (
    CriterionPlan,
    PowerPlan,
    RunSamples,
    SuiteSample,
    default_detect,
    parse_expected,
    power_plan,
    run_samples,
    suite_samples,
)

__all__ = [
    "CriterionPlan",
    "History",
    "HistoryPoint",
    "HistorySeries",
    "PowerPlan",
    "RunSamples",
    "SuiteSample",
    "compare",
    "default_detect",
    "get_baseline",
    "history",
    "list_baselines",
    "parse_expected",
    "power_plan",
    "run_samples",
    "selfcheck_stats",
    "set_baseline",
    "suite_samples",
]
