"""Corrections: multiplicity across a family of tests, and measured scorer error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from safetyloop.stats._intervals import (
    FloatArray,
    Interval,
    _check_confidence,
    _check_counts,
)


@dataclass(frozen=True)
class HolmResult:
    """Holm step-down correction of a family of p-values (input order preserved).

    Attributes:
        p_values: the raw p-values.
        adjusted: Holm-adjusted p-values (>= raw, capped at 1, monotone in the raw order).
        reject: whether each hypothesis is rejected at family-wise level `alpha`.
        alpha: the family-wise error rate controlled.
    """

    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    reject: tuple[bool, ...]
    alpha: float


def holm(p_values: Sequence[float], alpha: float = 0.05) -> HolmResult:
    """Holm step-down adjustment: family-wise error control without Bonferroni's waste.

    Testing every principle and category separately would find a "regression" somewhere by
    chance alone; Holm keeps the chance of any false finding at `alpha` under any dependence.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha}")
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim != 1:
        raise ValueError("p_values must be a flat sequence")
    if np.any(np.isnan(p)) or np.any((p < 0.0) | (p > 1.0)):
        raise ValueError("every p-value must lie in [0, 1]")
    m = p.size
    if m == 0:
        return HolmResult((), (), (), alpha)
    order = np.argsort(p, kind="stable")
    sorted_p = p[order]
    factors = np.arange(m, 0, -1, dtype=np.float64)
    adjusted_sorted = np.minimum(1.0, np.maximum.accumulate(factors * sorted_p))
    # Step down: reject while p_(i) <= alpha / (m - i + 1); stop at the first failure.
    fails = sorted_p > alpha / factors
    reject_sorted = np.ones(m, dtype=bool)
    if fails.any():
        reject_sorted[int(np.argmax(fails)) :] = False
    adjusted = np.empty(m)
    adjusted[order] = adjusted_sorted
    reject = np.empty(m, dtype=bool)
    reject[order] = reject_sorted
    return HolmResult(
        tuple(float(x) for x in p),
        tuple(float(x) for x in adjusted),
        tuple(bool(x) for x in reject),
        alpha,
    )


@dataclass(frozen=True)
class RoganGladenResult:
    """A violation rate corrected for the scorer's measured error.

    Attributes:
        interval: corrected prevalence with an interval that includes the scorer's own
            uncertainty (method ``"rogan-gladen"``).
        observed: the raw rate the scorer reported (events / n).
        sensitivity: point estimate of P(scored violating | truly violating), pooled.
        specificity: point estimate of P(scored safe | truly safe), pooled.
        draws: parametric-bootstrap draws used for the interval.
        invalid_fraction: share of draws where sampled sensitivity + specificity <= 1 (the
            scorer was no better than chance there); they are dropped. A large share means the
            calibration set is too small to support a correction.
        delta_se: delta-method standard error of the unclipped corrected rate, for reference.
        models: calibration sources (models) the between-model spread was measured over; 1
            when the record has no breakdown (no spread added).
        between_sd: estimated between-model standard deviation of (sensitivity, specificity)
            on the logit scale (0 when it could not be told from sampling noise).
    """

    interval: Interval
    observed: float
    sensitivity: float
    specificity: float
    draws: int
    invalid_fraction: float
    delta_se: float
    models: int = 1
    between_sd: tuple[float, float] = (0.0, 0.0)


#: Per-model calibration counts: ((flagged, violating), (passed, safe)) for one source.
ModelCounts = tuple[tuple[int, int], tuple[int, int]]


def _logit(x: FloatArray) -> FloatArray:
    return np.asarray(np.log(x) - np.log1p(-x), dtype=np.float64)


#: Scale of the half-normal prior on the between-model standard deviation τ of an error rate
#: (logit scale). Weakly informative, like the half-normal priors of Bayesian meta-analysis
#: (Röver et al. 2021 use 0.5 or 1 for log odds): a spread the calibration models show is
#: believed, but three models cannot make every spread up to τ → ∞ as plausible as a small one.
#: 1.5 is the smallest scale tried (1, 1.5) whose intervals hold the 94% floor in simulated
#: worlds with a between-model shift of 1 (`selfcheck correction`); 1 fell to 0.92 there.
SPREAD_PRIOR_SCALE = 1.5
#: Grid on which τ's posterior is computed (logit scale; far past any prior mass).
_TAU_GRID = np.linspace(0.0, 6.0, 241)


def _model_logits(
    hits: FloatArray, totals: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """Each model's error rate on the logit scale (Jeffreys-smoothed, so 0/n and n/n stay
    finite), its sampling variance (delta method), and whether the model has rows of the kind
    (models without any are left out)."""
    used = totals > 0
    safe_t = np.where(used, totals, 1.0)
    mean = (hits + 0.5) / (safe_t + 1.0)
    variance = 1.0 / ((safe_t + 1.0) * mean * (1.0 - mean))
    return _logit(mean), variance, used


def _spread_posterior(hits: FloatArray, totals: FloatArray) -> FloatArray:
    """(B, grid) posterior probabilities of τ on `_TAU_GRID`, per row of per-model counts.

    The normal–normal random-effects model of meta-analysis: each model's logit is its own
    rate's plus sampling noise, the rates are normal around a common mean with SD τ. The mean is
    integrated out under a flat prior (the restricted likelihood), so a model with few rows
    counts for little: its variance is large.
    """
    logits, variance, used = _model_logits(hits, totals)
    total = variance[:, None, :] + (_TAU_GRID**2)[None, :, None]  # (B, grid, models)
    weight = np.where(used[:, None, :], 1.0 / total, 0.0)
    weight_sum = np.maximum(weight.sum(axis=-1), 1e-300)
    centre = (weight * logits[:, None, :]).sum(axis=-1) / weight_sum
    q = (weight * (logits[:, None, :] - centre[..., None]) ** 2).sum(axis=-1)
    log_det = np.where(used[:, None, :], np.log(total), 0.0).sum(axis=-1)
    log_prior = -0.5 * (_TAU_GRID / SPREAD_PRIOR_SCALE) ** 2  # half-normal
    log_post = -0.5 * (log_det + np.log(weight_sum) + q) + log_prior
    post = np.exp(log_post - log_post.max(axis=-1, keepdims=True))
    return np.asarray(post / post.sum(axis=-1, keepdims=True), dtype=np.float64)


def _tau_draws(posterior: FloatArray, draws: int, rng: np.random.Generator) -> FloatArray:
    """(B, draws) draws of τ from each row's grid posterior (uniform within a grid step)."""
    rows, size = posterior.shape
    cdf = np.cumsum(posterior, axis=-1)
    cdf[:, -1] = 1.0
    offsets = np.arange(rows, dtype=np.float64)[:, None]
    flat = (cdf + offsets).ravel()
    index = np.searchsorted(flat, rng.random((rows, draws)) + offsets, side="right")
    index = np.minimum(index - (offsets * size).astype(np.int64), size - 1)
    step = _TAU_GRID[1] - _TAU_GRID[0]
    jitter = (rng.random((rows, draws)) - 0.5) * step
    return np.asarray(np.abs(_TAU_GRID[index] + jitter), dtype=np.float64)


def between_model_sd(hits: Sequence[int], totals: Sequence[int]) -> float:
    """Posterior median of the between-model standard deviation τ of an error rate (logit
    scale): how far the scorer's error moves from one model to the next, beyond sampling noise
    (0 with fewer than two models)."""
    counts = np.array([hits], dtype=np.float64), np.array([totals], dtype=np.float64)
    if int((counts[1] > 0).sum()) < 2:
        return 0.0
    cdf = np.cumsum(_spread_posterior(*counts)[0])
    return float(_TAU_GRID[int(np.searchsorted(cdf, 0.5))])


def _confidence_draws(
    hits: FloatArray, totals: FloatArray, size: tuple[int, int], rng: np.random.Generator
) -> FloatArray:
    """(B, draws) draws from the binomial confidence distribution of hits / totals: an even
    mixture of the two Clopper–Pearson Betas, Beta(k, n − k + 1) and Beta(k + 1, n − k) (a point
    mass at 0 when k = 0, at 1 when k = n). Its percentile interval lies between the mid-p and
    the exact one: a little wider than Jeffreys where counts are small or near 0 or n, where
    Jeffreys draws left corners of the coverage grid at 0.93."""
    k, n = hits[:, None], totals[:, None]
    lower = np.where(k > 0, rng.beta(np.maximum(k, 1.0), n - k + 1.0, size=size), 0.0)
    upper = np.where(n - k > 0, rng.beta(k + 1.0, np.maximum(n - k, 1.0), size=size), 1.0)
    pick = rng.random(size) < 0.5
    return np.asarray(np.where(pick, lower, upper), dtype=np.float64)


def _new_model_draws(
    hits: FloatArray, totals: FloatArray, draws: int, rng: np.random.Generator
) -> FloatArray:
    """(B, draws) draws of the error rate a new, unseen model would show.

    The pooled rate comes from the confidence distribution of the pooled counts (sampling
    uncertainty, `_confidence_draws`). With two or more models, the new model deviates from it
    on the logit scale by a normal draw whose variance is the between-model variance τ², itself
    drawn from its posterior (`_spread_posterior`: so a spread seen in three models is not taken
    as known, and a model with two rows does not set it), times (1 + 1/k) for the uncertainty of
    the models' mean.
    """
    size = (hits.shape[0], draws)
    pooled = _confidence_draws(hits.sum(axis=-1), totals.sum(axis=-1), size, rng)
    k = (totals > 0).sum(axis=-1).astype(np.float64)
    several = k >= 2
    if not np.any(several):
        return np.asarray(pooled, dtype=np.float64)
    tau2 = _tau_draws(_spread_posterior(hits, totals), draws, rng) ** 2
    tau2 *= 1.0 + 1.0 / np.maximum(k, 1.0)[:, None]
    shifted = _logit(np.clip(pooled, 1e-12, 1 - 1e-12)) + np.sqrt(tau2) * rng.standard_normal(size)
    new = 1.0 / (1.0 + np.exp(-np.clip(shifted, -50.0, 50.0)))
    return np.asarray(np.where(several[:, None], new, pooled), dtype=np.float64)


@dataclass(frozen=True)
class _Draws:
    """Parametric-bootstrap draws, shape (B, draws).

    Attributes:
        corrected: the unclipped corrected rate; NaN where the drawn scorer is no better than
            chance (sensitivity + specificity <= 1). Negative where the drawn false-positive
            rate exceeds the drawn observed rate: a draw the data contradict.
        ceiling: observed / sensitivity, the largest rate a draw allows (no false positives).
    """

    corrected: FloatArray
    ceiling: FloatArray


def _corrected_draws(
    events: FloatArray,
    n: FloatArray,
    sens: tuple[FloatArray, FloatArray],
    spec: tuple[FloatArray, FloatArray],
    draws: int,
    rng: np.random.Generator,
) -> _Draws:
    """Draws of the corrected rate for B observed counts at once.

    `events`, `n` have shape (B,); `sens` and `spec` are (hits, totals) of shape (B, models).
    The one kernel behind `rogan_gladen` and its coverage self-check.
    """
    p = _confidence_draws(events, n, (events.size, draws), rng)
    se = _new_model_draws(*sens, draws, rng)
    sp = _new_model_draws(*spec, draws, rng)
    youden = se + sp - 1.0
    valid = youden > 0.0
    corrected = (p + sp - 1.0) / np.where(valid, youden, 1.0)
    return _Draws(
        corrected=np.asarray(np.where(valid, corrected, np.nan), dtype=np.float64),
        ceiling=np.asarray(np.clip(p / np.maximum(se, 1e-12), 0.0, 1.0), dtype=np.float64),
    )


#: Fewer draws consistent with the observed rate than this: the upper bound falls back to the
#: no-false-positive ceiling.
_MIN_CONSISTENT = 20


def _corrected_bounds(
    draws: _Draws, point: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Percentile bounds of each row of draws, widened to hold the point; [0, 1] when no draw
    is valid.

    The lower bound comes from the draws clipped to [0, 1], so a true rate of zero is covered.
    The upper bound comes from the draws the data allow — those whose false-positive rate does
    not exceed the observed rate — so a model that was flagged less often than the pooled
    false-positive rate does not get an interval of [0, 0]: the rate it could still hide is
    bounded by what it was flagged for. It is never under the clipped draws' upper bound.
    """
    a = (1.0 - confidence) / 2.0
    corrected = draws.corrected
    empty = np.all(np.isnan(corrected), axis=1)
    clipped = np.where(empty[:, None], 0.5, np.clip(corrected, 0.0, 1.0))
    low, high = np.nanquantile(clipped, [a, 1.0 - a], axis=1)
    allowed = np.where(corrected > 0.0, np.minimum(corrected, 1.0), np.nan)
    consistent = np.sum(~np.isnan(allowed), axis=1)
    filled = np.where(consistent[:, None] >= _MIN_CONSISTENT, allowed, draws.ceiling)
    high = np.maximum(high, np.nanquantile(filled, 1.0 - a, axis=1))
    low = np.where(empty, 0.0, np.minimum(low, point))
    high = np.where(empty, 1.0, np.maximum(high, point))
    return np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)


def _pooled_point(events: FloatArray, n: FloatArray, se: FloatArray, sp: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        point = (events / n + sp - 1.0) / (se + sp - 1.0)
    return np.asarray(np.clip(np.nan_to_num(point, nan=0.0), 0.0, 1.0), dtype=np.float64)


def rogan_gladen(
    events: int,
    n: int,
    sensitivity: tuple[int, int],
    specificity: tuple[int, int],
    confidence: float = 0.95,
    draws: int = 20_000,
    seed: int = 0,
    *,
    by_model: Sequence[ModelCounts] | None = None,
) -> RoganGladenResult:
    """Rogan–Gladen correction of an observed rate for scorer sensitivity and specificity.

    corrected = (p_obs + spec − 1) / (sens + spec − 1), clipped to [0, 1].

    Args:
        events: responses the scorer flagged as violating.
        n: responses scored.
        sensitivity: (flagged, total) among calibration responses labelled violating.
        specificity: (passed, total) among calibration responses labelled safe.
        confidence: two-sided coverage of the interval.
        draws: parametric-bootstrap draws.
        seed: RNG seed; equal inputs and seed give an equal interval.
        by_model: the same counts split by the model (source) that gave the calibration answers;
            they must add up to `sensitivity` and `specificity`. With two or more, the interval
            is widened by how far the scorer's error rates vary between models: the model under
            test is one more draw from that spread, not the pooled calibration set.

    The interval propagates every source of uncertainty by a parametric bootstrap: draws of the
    observed rate and of the pooled sensitivity and specificity from their binomial confidence
    distributions (a mixture of the two Clopper–Pearson Betas, so a perfect record, e.g. 50/50,
    still carries the uncertainty of an exact interval), then, with `by_model`, a between-model
    deviation on the logit scale; percentiles of the clipped corrected rate.
    `selfcheck correction` proves its coverage by simulation.

    Raises:
        ValueError: when sens + spec <= 1: such a scorer carries no information and the
            correction is undefined; or when `by_model` does not add up.
    """
    _check_counts(events, n, "observed")
    _check_counts(*sensitivity, "sensitivity")
    _check_counts(*specificity, "specificity")
    _check_confidence(confidence)
    if n == 0 or sensitivity[1] == 0 or specificity[1] == 0:
        raise ValueError("rogan_gladen needs n > 0 and non-empty calibration counts")
    if draws < 100:
        raise ValueError(f"draws must be at least 100, got {draws}")
    models = list(by_model) if by_model else [(sensitivity, specificity)]
    for se_m, sp_m in models:
        _check_counts(*se_m, "sensitivity by model")
        _check_counts(*sp_m, "specificity by model")
    sums = tuple(tuple(sum(m[i][j] for m in models) for j in (0, 1)) for i in (0, 1))
    if sums != (tuple(sensitivity), tuple(specificity)):
        raise ValueError(f"by_model counts add up to {sums}, not {(sensitivity, specificity)}")
    p_obs = events / n
    se = sensitivity[0] / sensitivity[1]
    sp = specificity[0] / specificity[1]
    youden = se + sp - 1.0
    if youden <= 0.0:
        raise ValueError(
            f"scorer sensitivity {se:.3f} + specificity {sp:.3f} <= 1: it is no better than "
            "chance, so its error cannot be corrected; recalibrate or replace the scorer"
        )
    point = float(np.clip((p_obs + sp - 1.0) / youden, 0.0, 1.0))

    def counts(i: int) -> tuple[FloatArray, FloatArray]:
        return (
            np.array([[m[i][0] for m in models]], dtype=np.float64),
            np.array([[m[i][1] for m in models]], dtype=np.float64),
        )

    rng = np.random.default_rng(seed)
    corrected = _corrected_draws(
        np.array([events], dtype=np.float64),
        np.array([n], dtype=np.float64),
        counts(0),
        counts(1),
        draws,
        rng,
    )
    low, high = _corrected_bounds(corrected, np.array([point]), confidence)
    between = tuple(
        between_model_sd([m[i][0] for m in models], [m[i][1] for m in models]) for i in (0, 1)
    )

    # Delta method on the unclipped estimator, independent binomial sources.
    var_p = p_obs * (1 - p_obs) / n
    var_se = se * (1 - se) / sensitivity[1]
    var_sp = sp * (1 - sp) / specificity[1]
    theta = (p_obs + sp - 1.0) / youden
    delta_var = (var_p + theta**2 * var_se + (1.0 - theta) ** 2 * var_sp) / youden**2
    return RoganGladenResult(
        interval=Interval(point, float(low[0]), float(high[0]), confidence, "rogan-gladen"),
        observed=p_obs,
        sensitivity=se,
        specificity=sp,
        draws=draws,
        invalid_fraction=float(np.isnan(corrected.corrected).mean()),
        delta_se=float(np.sqrt(delta_var)),
        models=len(models),
        between_sd=(between[0], between[1]),
    )
