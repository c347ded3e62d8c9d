"""Agreement between a scorer and people: confusion matrix, per-class P/R/F1, Cohen's kappa,
Wilson intervals for proportions and a seeded bootstrap for F1 and kappa."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from safetyloop.stats._intervals import Interval, wilson


def confusion(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> list[list[int]]:
    """Rows are the human label, columns the scorer's, both in `labels` order."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(truth, pred, strict=True):
        matrix[index[t]][index[p]] += 1
    return matrix


def cohen_kappa(truth: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """(p_o - p_e) / (1 - p_e); 0 when both raters always use the same single label."""
    m = np.asarray(confusion(truth, pred, labels), dtype=float)
    n = m.sum()
    if n == 0:
        return float("nan")
    observed = np.trace(m) / n
    expected = float((m.sum(axis=0) * m.sum(axis=1)).sum() / n**2)
    return 0.0 if expected == 1.0 else float((observed - expected) / (1 - expected))


def precision_recall_f1(
    truth: Sequence[str], pred: Sequence[str], label: str
) -> tuple[float, float, float]:
    """One-vs-rest precision, recall and F1 for `label` (0 where undefined, as sklearn)."""
    tp = sum(t == label and p == label for t, p in zip(truth, pred, strict=True))
    fp = sum(t != label and p == label for t, p in zip(truth, pred, strict=True))
    fn = sum(t == label and p != label for t, p in zip(truth, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def proportion(events: int, n: int, confidence: float = 0.95) -> Interval:
    return wilson(events, n, confidence)


Statistic = Callable[[Sequence[str], Sequence[str]], float]


def bootstrap(
    truth: Sequence[str],
    pred: Sequence[str],
    statistic: Statistic,
    *,
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap over items (paired resampling), reproducible with `seed`."""
    t, p = np.asarray(truth), np.asarray(pred)
    point = statistic(list(t), list(p))
    if len(t) == 0:
        return Interval(
            point=point,
            low=float("nan"),
            high=float("nan"),
            confidence=confidence,
            method="bootstrap",
        )
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(resamples):
        idx = rng.integers(0, len(t), len(t))
        values.append(statistic(list(t[idx]), list(p[idx])))
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(np.asarray(values, dtype=float), [alpha, 1 - alpha])
    return Interval(
        point=point, low=float(low), high=float(high), confidence=confidence, method="bootstrap"
    )
