"""A linear softmax head stored as plain JSON (no pickle) and versioned by the file's hash.

A head may carry a `gate`: a cheaper head over lexical features only. Rows the gate is at
least `gate_threshold` sure of take its verdict, unless the gate's verdict is one of
`topic_labels` (a compliance verdict: an off-topic reply is a refusal to people) and their
cheap static prompt-response cosine is under `topic_threshold`; only the rest pay for the
transformer pass (a cascade).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from safetyloop.scoring._features import Array

WEIGHTS_DIR = Path(__file__).parent / "weights"
_DIGITS = 7  # significant digits: rounding absorbs float noise, so retraining is byte-identical


@dataclass(frozen=True)
class LinearHead:
    """Standardise, then softmax(x @ coef.T + intercept). Binary heads have one coef row.

    Attributes:
        labels: Class labels, in the order of the probability columns.
        feature_set: Which features the head expects ("response" or "pair").
        max_tokens: Tokens of each text the embedding model sees.
        gate: Optional lexical-only head deciding the rows it is confident about.
        gate_threshold: The gate's top probability at or above which its verdict stands.
        topic_threshold: Rows whose `static_cosine` is under this go to the full head anyway.
        topic_labels: Gate verdicts that the topic check applies to (empty: every verdict).
    """

    labels: tuple[str, ...]
    feature_set: str
    max_tokens: int
    mean: Array
    scale: Array
    coef: Array
    intercept: Array
    gate: LinearHead | None = field(default=None)
    gate_threshold: float = 1.0
    topic_threshold: float = 0.0
    topic_labels: tuple[str, ...] = ()

    def escalate(self, gate_proba: Array, topic: Array | None) -> npt.NDArray[np.bool_]:
        """Rows the gate does not settle: unsure, or a topic-checked verdict that looks off-topic.

        `topic` is `static_cosine` of each row (None: no topic check).
        """
        out = np.asarray(gate_proba.max(axis=1) < self.gate_threshold)
        if self.topic_threshold > 0 and topic is not None:
            out = out | ((topic < self.topic_threshold) & self.topic_checked(gate_proba))
        return np.asarray(out, dtype=np.bool_)

    def topic_checked(self, gate_proba: Array) -> npt.NDArray[np.bool_]:
        """Rows whose gate verdict the topic check applies to."""
        if not self.topic_labels:
            return np.ones(len(gate_proba), dtype=np.bool_)
        verdict = np.asarray(self.labels)[gate_proba.argmax(axis=1)]
        return np.asarray(np.isin(verdict, list(self.topic_labels)), dtype=np.bool_)

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

        body: dict[str, Any] = {
            "labels": list(self.labels),
            "feature_set": self.feature_set,
            "max_tokens": self.max_tokens,
            "mean": r(self.mean),
            "scale": r(self.scale),
            "coef": r(self.coef),
            "intercept": r(self.intercept),
        }
        if self.gate is not None:
            body["gate"] = self.gate._body()
            body["gate_threshold"] = self.gate_threshold
            body["topic_threshold"] = self.topic_threshold
            if self.topic_labels:
                body["topic_labels"] = list(self.topic_labels)
        return body

    @classmethod
    def from_json(cls, text: str) -> LinearHead:
        return cls._from_body(json.loads(text))

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> LinearHead:
        gate = cls._from_body(body["gate"]) if "gate" in body else None
        if gate is not None and gate.labels != tuple(body["labels"]):
            raise ValueError("gate and head disagree on labels")
        return cls(
            labels=tuple(body["labels"]),
            feature_set=body["feature_set"],
            max_tokens=int(body["max_tokens"]),
            mean=np.asarray(body["mean"], dtype=np.float64),
            scale=np.asarray(body["scale"], dtype=np.float64),
            coef=np.asarray(body["coef"], dtype=np.float64),
            intercept=np.asarray(body["intercept"], dtype=np.float64),
            gate=gate,
            gate_threshold=float(body.get("gate_threshold", 1.0)),
            topic_threshold=float(body.get("topic_threshold", 0.0)),
            topic_labels=tuple(body.get("topic_labels", ())),
        )


def weights_path(name: str) -> Path:
    return WEIGHTS_DIR / f"{name}.json"


def load_head(path: Path) -> tuple[LinearHead, str]:
    """The head and the sha256 of its file (the scorer's version includes it)."""
    data = path.read_bytes()
    return LinearHead.from_json(data.decode("utf-8")), hashlib.sha256(data).hexdigest()
