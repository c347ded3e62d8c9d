"""Drift of a category mix between two samples (e.g. suites, or test cases versus traffic)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class DriftResult:
    """How far two category mixes differ.

    Attributes:
        categories: categories compared (the union, sorted; categories empty in both dropped).
        chi2: Pearson chi-square statistic of the 2 × K table (no continuity correction).
        dof: its degrees of freedom.
        p_value: chi-square p-value of "same mix".
        cramers_v: effect size in [0, 1], comparable across sample sizes (unlike the p-value).
        psi: population stability index Σ (b − a)·ln(b / a) over category shares, with empty
            cells floored at `PSI_EPSILON`; by convention < 0.1 stable, > 0.25 major shift.
    """

    categories: tuple[str, ...]
    chi2: float
    dof: int
    p_value: float
    cramers_v: float
    psi: float


def category_drift(counts_a: Mapping[str, int], counts_b: Mapping[str, int]) -> DriftResult:
    """Chi-square test, Cramér's V and PSI of two category-count mixes.

    The p-value answers "is there any difference" (which, with enough traffic, there always is);
    Cramér's V and PSI answer "how much", which is what a drift alarm should key on.
    """
    cats = tuple(
        sorted(c for c in set(counts_a) | set(counts_b) if counts_a.get(c, 0) or counts_b.get(c, 0))
    )
    a = np.array([counts_a.get(c, 0) for c in cats], dtype=np.float64)
    b = np.array([counts_b.get(c, 0) for c in cats], dtype=np.float64)
    if np.any(a < 0) or np.any(b < 0):
        raise ValueError("category counts must be >= 0")
    if a.sum() == 0 or b.sum() == 0:
        raise ValueError("both samples need at least one counted case")
    share_a = np.maximum(a / a.sum(), PSI_EPSILON)
    share_b = np.maximum(b / b.sum(), PSI_EPSILON)
    psi = float(np.sum((share_b - share_a) * np.log(share_b / share_a)))
    if len(cats) < 2:
        return DriftResult(cats, 0.0, 0, 1.0, 0.0, psi)
    table = np.vstack([a, b])
    res = stats.chi2_contingency(table, correction=False)
    chi2 = float(res.statistic)
    v = float(np.sqrt(chi2 / table.sum()))  # min(rows, cols) − 1 == 1 for two samples
    return DriftResult(cats, chi2, int(res.dof), float(res.pvalue), min(v, 1.0), psi)
