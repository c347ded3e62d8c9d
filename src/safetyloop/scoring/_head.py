"""A linear softmax head stored as plain JSON (no pickle): the trained scorers' lexical gate."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from safetyloop.scoring._features import Array

WEIGHTS_DIR = Path(__file__).parent / "weights"
_DIGITS = 7  # significant digits: rounding absorbs float noise, so retraining is byte-identical


@dataclass(frozen=True)
class LinearHead:
    """Standardise, then softmax(x @ coef.T + intercept). Binary heads have one coef row.

    Attributes:
        labels: Class labels, in the order of the probability columns.
        feature_set: Which features the head expects (the gate: "lexical").
        max_tokens: Tokens of each text an embedding would see (0: none).
    """

    labels: tuple[str, ...]
    feature_set: str
    max_tokens: int
    mean: Array
    scale: Array
    coef: Array
    intercept: Array

    def proba(self, x: Array) -> Array:
        z = (x - self.mean) / self.scale
        logits = z @ self.coef.T + self.intercept
        if self.coef.shape[0] == 1:  # binary logistic regression: column is the second label
            logits = np.hstack([np.zeros_like(logits), logits])
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return np.asarray(e / e.sum(axis=1, keepdims=True), dtype=np.float64)

    def to_json(self) -> str:
        return json.dumps(self._body(), separators=(",", ":")) + "\n"

    def _body(self) -> dict[str, Any]:
        def r(a: Array) -> Any:
            return np.vectorize(lambda v: float(f"{v:.{_DIGITS}g}"))(a).tolist()

        return {
            "labels": list(self.labels),
            "feature_set": self.feature_set,
            "max_tokens": self.max_tokens,
            "mean": r(self.mean),
            "scale": r(self.scale),
            "coef": r(self.coef),
            "intercept": r(self.intercept),
        }

    @classmethod
    def from_json(cls, text: str) -> LinearHead:
        return cls._from_body(json.loads(text))

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> LinearHead:
        return cls(
            labels=tuple(body["labels"]),
            feature_set=body["feature_set"],
            max_tokens=int(body["max_tokens"]),
            mean=np.asarray(body["mean"], dtype=np.float64),
            scale=np.asarray(body["scale"], dtype=np.float64),
            coef=np.asarray(body["coef"], dtype=np.float64),
            intercept=np.asarray(body["intercept"], dtype=np.float64),
        )


def bundle_path(name: str) -> Path:
    """The shipped bundle folder of a trained scorer."""
    return WEIGHTS_DIR / name
