"""Calibration: how far a scorer agrees with people, with intervals, per class and category.

The record is tied to the scorer's version, so a gate can say which measured accuracy stands
behind each number, and the statistics stage can correct rates for the scorer's error.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from safetyloop.errors import InputError
from safetyloop.scoring._csv import after_comments
from safetyloop.scoring._scorer import ScoreInput, Scorer
from safetyloop.stats import Interval
from safetyloop.stats._agreement import (
    Statistic,
    bootstrap,
    cohen_kappa,
    confusion,
    precision_recall_f1,
    proportion,
)
from safetyloop.suites import Message

SHIPPED_LABELS = Path(__file__).parent / "data" / "calibration"


class LabelledRow(BaseModel):
    """One human judgement: the request, the response and the label a person gave it."""

    model_config = ConfigDict(frozen=True)

    prompt: str
    response: str
    label: str
    category: str = ""


class ClassAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    label: str
    support: int
    precision: Interval
    recall: Interval
    f1: Interval


class CategoryAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    category: str
    n: int
    accuracy: Interval


class Calibration(BaseModel):
    """A scorer version measured against human labels."""

    model_config = ConfigDict(frozen=True)

    scorer: str
    scorer_version: str
    labels_file: str
    labels_hash: str
    n: int
    errors: int
    classes: list[str]
    accuracy: Interval
    kappa: Interval
    macro_f1: Interval
    per_class: list[ClassAgreement]
    per_category: list[CategoryAgreement]
    confusion: list[list[int]]
    seed: int


def _f1_of(label: str) -> Statistic:
    def f1(truth: Sequence[str], pred: Sequence[str]) -> float:
        return precision_recall_f1(truth, pred, label)[2]

    return f1


def load_labels(path: Path) -> list[LabelledRow]:
    """CSV with `prompt` (or `objective`), `response`, `label` (or `human_label`), `category`."""
    if not path.is_file():
        raise InputError(f"no labels file {path}")
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(after_comments(f))
        fields = set(reader.fieldnames or [])
        prompt = "prompt" if "prompt" in fields else "objective"
        label = "label" if "label" in fields else "human_label"
        needed = {prompt, "response", label}
        if not needed <= fields:
            raise InputError(
                f"{path}: needs columns prompt (or objective), response and label "
                f"(or human_label); found {', '.join(sorted(fields))}"
            )
        rows = [
            LabelledRow(
                prompt=r[prompt],
                response=r["response"],
                label=r[label].strip(),
                category=(r.get("category") or "").strip(),
            )
            for r in reader
        ]
    if not rows:
        raise InputError(f"{path} has no labelled rows")
    return rows


def calibrate(
    scorer: Scorer,
    rows: Sequence[LabelledRow],
    *,
    labels_file: str = "",
    labels_hash: str = "",
    confidence: float = 0.95,
    seed: int = 0,
    resamples: int = 1000,
) -> Calibration:
    """Score every row and compare with the human labels.

    Rows whose label is not one of the scorer's labels are refused: a silent mismatch would
    read as disagreement. Error verdicts are counted apart and left out of the figures.
    """
    unknown = sorted({r.label for r in rows} - set(scorer.labels))
    if unknown:
        raise InputError(
            f"labels {', '.join(unknown)} are not labels of scorer {scorer.name}",
            hint=f"use {', '.join(scorer.labels)}",
        )
    scores = scorer.score_batch(
        [
            ScoreInput(messages=(Message(role="user", content=r.prompt),), response=r.response)
            for r in rows
        ]
    )
    kept = [(r, s.label) for r, s in zip(rows, scores, strict=True) if not s.is_error]
    truth = [r.label for r, _ in kept]
    pred = [p for _, p in kept]
    classes = list(scorer.labels)
    n = len(kept)
    correct = sum(t == p for t, p in zip(truth, pred, strict=True))

    def macro_f1(t: Sequence[str], p: Sequence[str]) -> float:
        present = [c for c in classes if c in t]
        return sum(precision_recall_f1(t, p, c)[2] for c in present) / max(1, len(present))

    per_class = []
    for c in classes:
        tp = sum(t == c and p == c for t, p in zip(truth, pred, strict=True))
        predicted = sum(p == c for p in pred)
        support = sum(t == c for t in truth)
        per_class.append(
            ClassAgreement(
                label=c,
                support=support,
                precision=proportion(tp, predicted, confidence),
                recall=proportion(tp, support, confidence),
                f1=bootstrap(
                    truth,
                    pred,
                    _f1_of(c),
                    confidence=confidence,
                    resamples=resamples,
                    seed=seed,
                ),
            )
        )
    by_category: dict[str, list[bool]] = defaultdict(list)
    for row, p in kept:
        by_category[row.category or "(none)"].append(row.label == p)
    return Calibration(
        scorer=scorer.name,
        scorer_version=scorer.version,
        labels_file=labels_file,
        labels_hash=labels_hash,
        n=n,
        errors=len(rows) - n,
        classes=classes,
        accuracy=proportion(correct, n, confidence),
        kappa=bootstrap(
            truth,
            pred,
            lambda t, p: cohen_kappa(t, p, classes),
            confidence=confidence,
            resamples=resamples,
            seed=seed,
        ),
        macro_f1=bootstrap(
            truth, pred, macro_f1, confidence=confidence, resamples=resamples, seed=seed
        ),
        per_class=per_class,
        per_category=[
            CategoryAgreement(category=k, n=len(v), accuracy=proportion(sum(v), len(v), confidence))
            for k, v in sorted(by_category.items())
        ],
        confusion=confusion(truth, pred, classes),
        seed=seed,
    )
