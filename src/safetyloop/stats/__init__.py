"""Statistics: pure functions over counts, no I/O.

Orientation: every rate is a *violation* rate (lower is better). Comparisons take
``d = candidate − baseline``; a regression beyond a margin means ``d > margin``.
"""

from safetyloop.stats._agreement import (
    Statistic,
    bootstrap,
    cohen_kappa,
    confusion,
    precision_recall_f1,
    proportion,
)
from safetyloop.stats._auc import auc_interval
from safetyloop.stats._bootstrap import ClusterBootstrapResult, cluster_bootstrap
from safetyloop.stats._compare import (
    BelowThresholdResult,
    McNemarResult,
    NonInferiorityResult,
    mcnemar_exact,
    non_inferiority,
    rate_below_threshold,
)
from safetyloop.stats._correction import (
    HolmResult,
    RoganGladenResult,
    between_model_sd,
    holm,
    rogan_gladen,
)
from safetyloop.stats._correction_check import (
    CorrectionCoverageReport,
    CoverageCell,
    correction_coverage,
)
from safetyloop.stats._drift import DriftResult, category_drift
from safetyloop.stats._intervals import (
    Interval,
    clopper_pearson,
    newcombe_difference,
    paired_difference,
    wilson,
)
from safetyloop.stats._logistic import SlopeFit, logistic_slope
from safetyloop.stats._max_bootstrap import MaxOfRates, max_of_rates
from safetyloop.stats._power import (
    AdditionalCasesResult,
    ComparisonPower,
    SampleSizeResult,
    additional_cases_needed,
    power_below_threshold,
    power_non_inferiority,
    sample_size_below_threshold,
    sample_size_non_inferiority,
)
from safetyloop.stats._selfcheck import SelfCheckReport, selfcheck
from safetyloop.stats._trend import TrendResult, trend_test

__all__ = [
    "AdditionalCasesResult",
    "BelowThresholdResult",
    "ClusterBootstrapResult",
    "ComparisonPower",
    "CorrectionCoverageReport",
    "CoverageCell",
    "DriftResult",
    "HolmResult",
    "Interval",
    "MaxOfRates",
    "McNemarResult",
    "NonInferiorityResult",
    "RoganGladenResult",
    "SampleSizeResult",
    "SelfCheckReport",
    "SlopeFit",
    "Statistic",
    "TrendResult",
    "additional_cases_needed",
    "auc_interval",
    "between_model_sd",
    "bootstrap",
    "category_drift",
    "clopper_pearson",
    "cluster_bootstrap",
    "cohen_kappa",
    "confusion",
    "correction_coverage",
    "holm",
    "logistic_slope",
    "max_of_rates",
    "mcnemar_exact",
    "newcombe_difference",
    "non_inferiority",
    "paired_difference",
    "power_below_threshold",
    "power_non_inferiority",
    "precision_recall_f1",
    "proportion",
    "rate_below_threshold",
    "rogan_gladen",
    "sample_size_below_threshold",
    "sample_size_non_inferiority",
    "selfcheck",
    "trend_test",
    "wilson",
]
