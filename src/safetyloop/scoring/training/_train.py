"""Fit a scorer head and measure it by cross-validation held out by source group.

Rows are never split at random: every fold holds out whole source files, so the figures
estimate how the scorer does on responses from a source (a model, a data set, a labeller) it
has not seen, which is how it is used.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from dataclasses import replace as _replace
from pathlib import Path
from typing import Any

import numpy as np

from safetyloop.scoring._features import Array, features, lexical_matrix, static_cosine
from safetyloop.scoring._head import LinearHead, weights_path
from safetyloop.scoring._scorer import ScoreInput, create_scorer
from safetyloop.scoring.training._data import Example, harm_examples, refusal_examples
from safetyloop.suites import Message


@dataclass(frozen=True)
class TrainSpec:
    """How one scorer is trained.

    Attributes:
        positive: Labels on the "not compliance" side of the binary figure reported.
        baseline: Maps a `refusal_keyword` label to this scorer's label, for the baseline column.
        gate_c: When set, also fit a lexical-only gate head (this C) in front of the full head:
            a cascade in which only rows the gate is unsure of are embedded.
        gate_threshold: The gate's top probability at or above which its verdict stands.
        topic_threshold: Static prompt-response cosine under which a row skips the gate.
        topic_labels: Gate verdicts the topic check applies to (empty: all).
        c_grid: When set, `c` and `gate_c` are chosen from this grid by cross-validation inside
            the training folds (nested: the held-out fold never picks them).
        route_grid: (gate_threshold, topic_threshold) pairs to choose from the same way.
        escalation_cost: Agreement given up per unit share of rows escalated, in that choice
            (0.02 trades one point of agreement for half of all rows embedded).
    """

    examples: Callable[[], list[Example]]
    feature_set: str
    max_tokens: int
    c: float
    positive: frozenset[str]
    baseline: dict[str, str]
    gate_c: float | None = None
    gate_threshold: float = 1.0
    topic_threshold: float = 0.0
    topic_labels: tuple[str, ...] = ()
    c_grid: tuple[float, ...] = ()
    route_grid: tuple[tuple[float, float], ...] = ()
    escalation_cost: float = 0.0


trainers: dict[str, TrainSpec] = {
    "refusal": TrainSpec(
        refusal_examples,
        "topic",
        32,
        1.0,
        frozenset({"refusal", "partial"}),
        {"compliance": "compliance", "partial": "partial", "refusal": "refusal"},
        gate_c=1.0,
        gate_threshold=0.9,
        topic_threshold=0.4,
        topic_labels=("compliance",),
        c_grid=(0.1, 0.3, 1.0, 3.0),
        route_grid=((0.9, 0.4), (0.9, 0.2), (0.8, 0.2), (0.8, 0.0), (0.7, 0.0)),
        escalation_cost=0.02,
    ),
    "harm": TrainSpec(
        harm_examples,
        "pair",
        64,
        0.05,
        frozenset({"not_achieved"}),
        {"compliance": "achieved", "partial": "achieved", "refusal": "not_achieved"},
    ),
}


@dataclass(frozen=True)
class Agreement:
    """Held-out agreement with the labels on a slice of the data."""

    slice: str
    n: int
    binary: float
    binary_baseline: float
    exact: float
    exact_baseline: float


@dataclass
class TrainReport:
    name: str
    n: int
    label_counts: dict[str, int]
    groups: dict[str, int]
    folds: list[list[str]]
    agreements: list[Agreement] = field(default_factory=list)
    per_group: list[Agreement] = field(default_factory=list)
    weights: Path | None = None
    escalated: float | None = None
    chosen: list[dict[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "escalated": self.escalated,
            "chosen_c": self.chosen,
            "name": self.name,
            "n": self.n,
            "label_counts": self.label_counts,
            "groups": self.groups,
            "folds": self.folds,
            "agreements": [a.__dict__ for a in self.agreements],
            "per_group": [a.__dict__ for a in self.per_group],
        }


def fit_cascade(x: Array, x_lex: Array | None, y: Sequence[str], spec: TrainSpec) -> LinearHead:
    """The full head, with its lexical gate attached when the spec asks for one."""
    head = fit_head(x, y, spec)
    if spec.gate_c is None or x_lex is None:
        return head
    gate_spec = _replace(spec, feature_set="lexical", c=spec.gate_c, gate_c=None)
    return _replace(
        head,
        gate=fit_head(x_lex, y, gate_spec),
        gate_threshold=spec.gate_threshold,
        topic_threshold=spec.topic_threshold,
        topic_labels=spec.topic_labels,
    )


def choose_settings(
    x: Array,
    x_lex: Array | None,
    topic: Array | None,
    y: np.ndarray[Any, Any],
    groups: np.ndarray[Any, Any],
    spec: TrainSpec,
    n_splits: int,
) -> TrainSpec:
    """`spec` with the C values and routing thresholds from its grids that do best held out.

    Scored by binary agreement, less `escalation_cost` times the share of rows escalated, over
    folds held out by source inside the given rows only; ties go to the earlier candidate
    (smaller C, lower thresholds), so the choice is deterministic.
    """
    if not spec.c_grid or len(set(groups.tolist())) < 2:
        return spec
    gate_grid = spec.c_grid if spec.gate_c is not None else (None,)
    routes = spec.route_grid or ((spec.gate_threshold, spec.topic_threshold),)
    folds = _folds(list(groups), n_splits)
    positive = list(spec.positive)
    best: tuple[float, TrainSpec] | None = None
    for c in spec.c_grid:
        for gate_c in gate_grid:
            for gate_threshold, topic_threshold in routes:
                candidate = _replace(
                    spec,
                    c=c,
                    gate_c=gate_c,
                    gate_threshold=gate_threshold,
                    topic_threshold=topic_threshold,
                )
                pred = np.empty(len(y), dtype=object)
                escalated = np.ones(len(y), dtype=bool)
                for held in folds:
                    test = np.isin(groups, held)
                    if len(set(y[~test].tolist())) < 2:  # nothing to learn from
                        continue
                    head = fit_cascade(
                        x[~test],
                        None if x_lex is None else x_lex[~test],
                        list(y[~test]),
                        candidate,
                    )
                    proba, escalated[test] = predict_cascade(
                        head,
                        x[test],
                        None if x_lex is None else x_lex[test],
                        None if topic is None else topic[test],
                    )
                    pred[test] = np.asarray(head.labels)[proba.argmax(axis=1)]
                agreement = float((np.isin(pred, positive) == np.isin(y, positive)).mean())
                score = agreement - spec.escalation_cost * float(escalated.mean())
                if best is None or score > best[0] + 1e-12:
                    best = (score, candidate)
    assert best is not None
    return best[1]


def predict_cascade(
    head: LinearHead, x: Array, x_lex: Array | None, topic: Array | None = None
) -> tuple[Array, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Probabilities from precomputed features, routed as `cascade_proba` routes them."""
    if head.gate is None or x_lex is None:
        return head.proba(x), np.ones(len(x), dtype=bool)
    proba = head.gate.proba(x_lex)
    escalate = head.escalate(proba, topic)
    if escalate.any():
        proba[escalate] = head.proba(x[escalate])
    return proba, escalate


def fit_head(x: Array, y: Sequence[str], spec: TrainSpec) -> LinearHead:
    """Standardise and fit an L2 logistic regression (lbfgs: deterministic)."""
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]

    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-6] = 1.0  # constant features: keep them finite
    model = LogisticRegression(C=spec.c, max_iter=5000, class_weight=None)
    model.fit((x - mean) / scale, np.asarray(y))
    return LinearHead(
        labels=tuple(str(c) for c in model.classes_),
        feature_set=spec.feature_set,
        max_tokens=spec.max_tokens,
        mean=mean,
        scale=scale,
        coef=np.asarray(model.coef_, dtype=np.float64),
        intercept=np.asarray(model.intercept_, dtype=np.float64),
    )


def _chosen(spec: TrainSpec) -> dict[str, float]:
    if spec.gate_c is None:
        return {"c": spec.c}
    return {
        "c": spec.c,
        "gate_c": spec.gate_c,
        "gate_threshold": spec.gate_threshold,
        "topic_threshold": spec.topic_threshold,
    }


def _folds(groups: Sequence[str], n_splits: int) -> list[list[str]]:
    """Greedy, deterministic partition of groups into folds of similar size."""
    sizes: dict[str, int] = {}
    for g in groups:
        sizes[g] = sizes.get(g, 0) + 1
    folds: list[list[str]] = [[] for _ in range(min(n_splits, len(sizes)))]
    load = [0] * len(folds)
    for g in sorted(sizes, key=lambda k: (-sizes[k], k)):
        i = load.index(min(load))
        folds[i].append(g)
        load[i] += sizes[g]
    return folds


def _agree(
    slice_name: str,
    mask: np.ndarray[Any, np.dtype[np.bool_]],
    y: np.ndarray[Any, Any],
    pred: np.ndarray[Any, Any],
    base: np.ndarray[Any, Any],
    positive: frozenset[str],
) -> Agreement:
    def binary(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.isin(a, list(positive))

    n = int(mask.sum())
    if n == 0:
        return Agreement(slice_name, 0, float("nan"), float("nan"), float("nan"), float("nan"))
    yb, pb, bb = binary(y[mask]), binary(pred[mask]), binary(base[mask])
    return Agreement(
        slice_name,
        n,
        float((yb == pb).mean()),
        float((yb == bb).mean()),
        float((y[mask] == pred[mask]).mean()),
        float((y[mask] == base[mask]).mean()),
    )


def train(
    name: str,
    *,
    subset: int | None = None,
    write: bool = True,
    n_splits: int = 5,
    out_dir: Path | None = None,
) -> TrainReport:
    """Cross-validate by source group, then fit on everything and write the weights file.

    Args:
        subset: Use `subset` examples spread over the data (tests: determinism on a small set).
        out_dir: Where to write `NAME.json` and `NAME.metrics.json` (default: the package).
    """
    spec = trainers[name]
    examples = spec.examples()
    if subset is not None:  # an even spread, so that every source group is represented
        examples = examples[:: max(1, len(examples) // subset)][:subset]
    prompts = [e.prompt for e in examples]
    responses = [e.response for e in examples]
    x = features(spec.feature_set, prompts, responses, spec.max_tokens, exact=True)
    x_lex = lexical_matrix(responses) if spec.gate_c is not None else None
    topic = static_cosine(prompts, responses) if spec.topic_threshold > 0 else None
    y = np.asarray([e.label for e in examples])
    groups = np.asarray([e.group for e in examples])
    keyword = create_scorer("refusal_keyword")
    base = np.asarray(
        [
            spec.baseline[s.label]
            for s in keyword.score_batch(
                [
                    ScoreInput(messages=(Message(role="user", content=p),), response=r)
                    for p, r in zip(prompts, responses, strict=True)
                ]
            )
        ]
    )
    folds = _folds(list(groups), n_splits)
    pred = base.astype(object)  # only used where a fold could not be trained
    escalated = np.ones(len(examples), dtype=bool)
    chosen: list[dict[str, float]] = []
    for held in folds:
        test = np.isin(groups, held)
        if test.all():
            continue
        train_lex = None if x_lex is None else x_lex[~test]
        train_topic = None if topic is None else topic[~test]
        fold_spec = choose_settings(
            x[~test], train_lex, train_topic, y[~test], groups[~test], spec, max(2, n_splits - 1)
        )
        chosen.append(_chosen(fold_spec))
        head = fit_cascade(x[~test], train_lex, list(y[~test]), fold_spec)
        proba, escalated[test] = predict_cascade(
            head,
            x[test],
            None if x_lex is None else x_lex[test],
            None if topic is None else topic[test],
        )
        pred[test] = np.asarray(head.labels)[proba.argmax(axis=1)]
    human = np.asarray([e.human for e in examples])
    real = np.asarray([e.real for e in examples])
    everything = np.ones(len(examples), dtype=bool)
    report = TrainReport(
        name=name,
        n=len(examples),
        label_counts={
            str(k): int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=True)
        },
        groups={
            str(k): int(v) for k, v in zip(*np.unique(groups, return_counts=True), strict=True)
        },
        folds=folds,
        escalated=float(escalated.mean()) if spec.gate_c is not None else None,
        chosen=chosen,
        agreements=[
            _agree("all", everything, y, pred, base, spec.positive),
            *([] if real.all() else [_agree("real responses", real, y, pred, base, spec.positive)]),
            _agree("human-labelled", human, y, pred, base, spec.positive),
        ],
        per_group=[
            _agree(str(g), groups == g, y, pred, base, spec.positive)
            for g in sorted(set(groups.tolist()))
        ],
    )
    if write:
        final = choose_settings(x, x_lex, topic, y, groups, spec, n_splits)
        report.chosen.append(_chosen(final))
        head = fit_cascade(x, x_lex, list(y), final)
        target = (out_dir / f"{name}.json") if out_dir else weights_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(head.to_json(), encoding="utf-8")
        target.with_suffix(".metrics.json").write_text(
            json.dumps(report.to_json(), indent=2) + "\n", encoding="utf-8"
        )
        report.weights = target
    return report
