"""Held-out figures of one fold, and the out-of-fold verdicts file the calibration reads.

Only human-labelled rows count in agreement with people; `ai-read` rows are reported apart.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from safetyloop.scoring._calibrate import PREDICTION_COLUMNS
from safetyloop.scoring._metrics import METRICS
from safetyloop.scoring._scorer import ScoreInput, create_scorer
from safetyloop.scoring.training._data import AI_READ, DATA, HUMAN, Example
from safetyloop.suites import Message

if TYPE_CHECKING:
    from safetyloop.scoring._trained import Cascade
    from safetyloop.scoring.training._train import TrainSpec

#: What `write_lomo_csv` writes: the columns the calibration records read.
LOMO_COLUMNS = PREDICTION_COLUMNS


@dataclass(frozen=True)
class Agreement:
    """Agreement with the labels on a slice of one fold's held-out rows.

    `encoder_*` is the transformer alone on every row (no gate); `keyword_*` the
    `refusal_keyword` baseline.
    """

    slice: str
    provenance: str
    n: int
    binary: float
    exact: float
    keyword_binary: float
    keyword_exact: float
    encoder_binary: float
    encoder_exact: float
    escalated: float


@dataclass(frozen=True)
class Rate:
    """A gate metric's rate on one held-out XSTest model: the people's and the scorer's."""

    model: str
    metric: str
    prompts: str
    n: int
    human: float
    scorer: float


@dataclass
class FoldReport:
    fold: int
    held_out: list[str]
    threshold: float
    slices: list[Agreement] = field(default_factory=list)
    rates: list[Rate] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "fold": self.fold,
            "held_out": self.held_out,
            "gate_threshold": self.threshold,
            "slices": [asdict(a) for a in self.slices],
            "rates": [asdict(r) for r in self.rates],
        }


@dataclass
class TrainReport:
    name: str
    n: int
    n_trained: int
    folds: list[FoldReport] = field(default_factory=list)
    predicted: list[str] = field(default_factory=list, repr=False)
    threshold: float | None = None
    weights: Path | None = None
    weights_sha256: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n": self.n,
            "n_trained": self.n_trained,
            "gate_threshold": self.threshold,
            "weights_sha256": self.weights_sha256,
            "folds": [f.to_json() for f in self.folds],
        }


def _agreement(
    name: str,
    provenance: str,
    mask: np.ndarray[Any, Any],
    y: np.ndarray[Any, Any],
    preds: dict[str, np.ndarray[Any, Any]],
    escalated: np.ndarray[Any, Any],
    positive: frozenset[str],
) -> Agreement:
    def both(p: np.ndarray[Any, Any]) -> tuple[float, float]:
        binary = np.isin(p[mask], list(positive)) == np.isin(y[mask], list(positive))
        return float(binary.mean()), float((p[mask] == y[mask]).mean())

    cascade, keyword, encoder = (
        both(preds["cascade"]),
        both(preds["keyword"]),
        both(preds["encoder"]),
    )
    return Agreement(
        name,
        provenance,
        int(mask.sum()),
        *cascade,
        *keyword,
        *encoder,
        float(escalated[mask].mean()),
    )


def keyword_verdicts(rows: Sequence[Example], mapping: dict[str, str]) -> list[str]:
    """The `refusal_keyword` baseline's verdicts, in the scorer's label vocabulary."""
    keyword = create_scorer("refusal_keyword")
    items = [
        ScoreInput(messages=(Message(role="user", content=e.prompt),), response=e.response)
        for e in rows
    ]
    return [mapping[s.label] for s in keyword.score_batch(items)]


def fold_report(
    fold: int, held: list[str], rows: Sequence[Example], cascade: Cascade, spec: TrainSpec
) -> FoldReport:
    """Agreement per held-out slice, and each held-out XSTest model's gate rates."""
    from safetyloop.scoring._trained import cascade_proba

    prompts = [e.prompt for e in rows]
    responses = [e.response for e in rows]
    proba, escalated = cascade_proba(cascade, prompts, responses)
    labels = np.asarray(cascade.labels)
    preds = {
        "cascade": labels[proba.argmax(axis=1)],
        "encoder": labels[cascade.encoder.proba(prompts, responses).argmax(axis=1)],
        "keyword": np.asarray(keyword_verdicts(rows, spec.baseline)),
    }
    y = np.asarray([e.label for e in rows])
    groups = np.asarray([e.group for e in rows])
    provenance = np.asarray([e.provenance for e in rows])
    report = FoldReport(fold, held, cascade.threshold, predicted=list(preds["cascade"]))
    xstest = [g for g in held if g.startswith("xstest:")]
    for g in xstest:
        mask = groups == g
        report.slices.append(_agreement(g, HUMAN, mask, y, preds, escalated, spec.positive))
        report.rates.extend(
            _rates(
                g,
                [e for e, m in zip(rows, mask, strict=True) if m],
                preds["cascade"][mask],
                cascade.labels,
            )
        )
    for prov in (HUMAN, AI_READ):
        mask = ~np.isin(groups, xstest) & (provenance == prov)
        if mask.any():
            name = "other human-labelled files" if prov == HUMAN else "ai-read files"
            report.slices.append(_agreement(name, prov, mask, y, preds, escalated, spec.positive))
    for g in sorted(set(groups.tolist()) - set(xstest)):
        mask = groups == g
        prov = str(provenance[mask][0])
        report.slices.append(_agreement(g, prov, mask, y, preds, escalated, spec.positive))
    return report


def _rates(
    model: str, rows: Sequence[Example], predicted: np.ndarray[Any, Any], labels: Sequence[str]
) -> list[Rate]:
    """Over-refusal on safe prompts and harmful compliance on unsafe ones, as the gate counts.

    A metric none of the scorer's labels is an event of (over-refusal for `harm`) is skipped.
    """
    out = []
    unsafe = np.asarray([e.unsafe_prompt for e in rows])
    truth = np.asarray([e.label for e in rows])
    for metric, prompts, mask in (
        ("over_refusal", "safe", ~unsafe),
        ("harmful_compliance", "contrast", unsafe),
    ):
        event = METRICS[metric].is_event
        if not mask.any() or not any(event(label) for label in labels):
            continue
        human = np.asarray([event(str(k)) for k in truth[mask]])
        scored = np.asarray([event(str(k)) for k in predicted[mask]])
        out.append(
            Rate(model, metric, prompts, int(mask.sum()), float(human.mean()), float(scored.mean()))
        )
    return out


def lomo_path(name: str, out_dir: Path | None = None) -> Path:
    return (out_dir or DATA / "calibration") / f"{name}_lomo.csv"


def write_lomo_csv(
    name: str, rows: Sequence[Example], predicted: Sequence[str], out_dir: Path | None = None
) -> Path:
    """Every row's out-of-fold verdict, for the calibration records (all or nothing written)."""
    path = lomo_path(name, out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}_lomo-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(LOMO_COLUMNS)
            for e, p in zip(rows, predicted, strict=True):
                writer.writerow(
                    (e.group, e.provenance, e.id, e.expected, e.prompt, e.response, e.label, p)
                )
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
