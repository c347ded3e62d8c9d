"""How well a monitor's suspicion scores separate two groups (ROC AUC), with an interval."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from safetyloop.stats._intervals import Interval, _check_confidence


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """P(score of a positive > score of a negative), ties counted half (Mann–Whitney U)."""
    u = stats.mannwhitneyu(positive, negative, alternative="two-sided").statistic
    return float(u) / (positive.size * negative.size)


def auc_interval(
    positive: Sequence[float],
    negative: Sequence[float],
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> Interval:
    """ROC AUC of scores on positives vs negatives, with a percentile bootstrap interval that
    resamples each group on its own (stratified: every replicate keeps both groups' sizes).

    With a single score in either group a resample cannot vary, so the interval is the whole
    range [0, 1] (method `too few to bootstrap`) rather than a point that looks certain.
    """
    _check_confidence(confidence)
    pos, neg = np.asarray(positive, dtype=float), np.asarray(negative, dtype=float)
    if pos.size == 0 or neg.size == 0:
        raise ValueError("the AUC needs at least one positive and one negative")
    point = _auc(pos, neg)
    if pos.size < 2 or neg.size < 2:
        return Interval(point, 0.0, 1.0, confidence, "too few to bootstrap")
    rng = np.random.default_rng(seed)
    # vectorised Mann–Whitney over replicates: compare every resampled pair at once
    p = pos[rng.integers(0, pos.size, size=(n_boot, pos.size))]
    q = neg[rng.integers(0, neg.size, size=(n_boot, neg.size))]
    greater = (p[:, :, None] > q[:, None, :]).mean(axis=(1, 2))
    ties = (p[:, :, None] == q[:, None, :]).mean(axis=(1, 2))
    boot = greater + 0.5 * ties
    a = (1.0 - confidence) / 2.0
    low, high = (float(x) for x in np.quantile(boot, [a, 1.0 - a]))
    return Interval(
        point=point, low=low, high=high, confidence=confidence, method="stratified bootstrap"
    )
