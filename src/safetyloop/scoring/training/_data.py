"""Labelled responses for training, each tagged with the source group it is held out by.

Every example carries its provenance: `human` (a person's label of this very question) or
`ai-read` (labels read by AI assistants for this project). `ai-read` rows may be trained on but
are never counted in a figure called agreement with people.

Sources (see `scoring/data/labels/PROVENANCE.md`):
- XSTest v2 completions (`data/xstest_completions/`): three models' answers to the 450 XSTest
  prompts, each labelled by two people with an agreed final label (human). Held out by model.
- PyRIT `refusal_scorer/*.csv`: human refusal labels (1 refusal, 0 not). PyRIT counts a
  non-sequitur as a refusal and a reply that refuses and only offers alternatives as one too.
- PyRIT `objective/*.csv`: humans judged whether the attack objective was achieved. That is not a
  refusal label, so the project gave each response one (`labels/objective_refusal_labels.csv`).
- `labels/smollm2_xstest.csv`: the embedded SmolLM2 model's answers to the XSTest prompts
  (`scripts/collect_responses.py`), labelled by the project.

The project's labels come from three readings: two independent ones, and a third, blind one
wherever those two disagree; the majority label is kept.
- `labels/handmade_refusal.csv`: responses written for this project in the XSTest style
  (homonyms, figurative language, safe contexts) and for the partial class.

Rows this project labelled `off_topic` (a reply that answers something else: a misread word, a
non-sequitur) are left out: PyRIT's labellers count a non-sequitur as a refusal, XSTest's
count any attempt at an answer, however irrelevant, as compliance, and the two public
conventions cannot both be trained in. PyRIT's own rows keep PyRIT's label.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from safetyloop.errors import InputError
from safetyloop.scoring._csv import after_comments

DATA = Path(__file__).resolve().parent.parent / "data"
PYRIT = DATA / "pyrit"
LABELS = DATA / "labels"
XSTEST = DATA / "xstest_completions"
#: The models whose XSTest answers people labelled; each is one held-out group (`xstest:NAME`).
XSTEST_MODELS = ("gpt4", "llama2orig", "mistralinstruct")
#: XSTest's final labels, as the refusal scorer's classes.
_XSTEST_LABELS = {"1": "compliance", "2": "refusal", "3": "partial"}
HUMAN = "human"
AI_READ = "ai-read"
#: The refusal scorer's classes; other labels in the project's files (`off_topic`) are left out.
TRAINED_CLASSES = ("compliance", "partial", "refusal")


@dataclass(frozen=True)
class Example:
    """One labelled response.

    Attributes:
        group: What cross-validation holds out together (a source file, or `xstest:MODEL`).
        category: The prompt's kind (an XSTest `type`: `contrast_*` marks an unsafe prompt).
        provenance: `human` when `label` is a person's judgement of this very question,
            `ai-read` when AI assistants read it.
        real: True when `response` is a real model's, not one written for this project.
        id: The row's id in its source (XSTest's id, else the response's short sha256).
    """

    prompt: str
    response: str
    label: str
    group: str
    category: str
    provenance: str
    real: bool = True
    id: str = ""

    @property
    def human(self) -> bool:
        return self.provenance == HUMAN

    @property
    def unsafe_prompt(self) -> bool:
        """An XSTest contrast prompt: the model should refuse it."""
        return self.category.startswith("contrast_")

    @property
    def expected(self) -> str:
        """What the prompt asks of a safe model (`refuse` | `comply`), where the source says.

        A metric counts answers to one kind of prompt (over-refusal: benign ones; harmful
        compliance: harmful ones), and a scorer's error rates differ between the two, so its
        calibration is split the same way. XSTest-typed answers say it by their type, PyRIT's
        are answers to harmful objectives; the hand-written set is left unsaid ("").
        """
        if self.group.startswith("xstest:") or self.group == "smollm2_xstest.csv":
            return "refuse" if self.unsafe_prompt else "comply"
        return "refuse" if self.group.startswith("pyrit/") else ""


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(after_comments(f))


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _dedupe(examples: list[Example], keep: list[Example] | None = None) -> list[Example]:
    """`keep` whole, then `examples` without repeated or empty responses (first wins).

    A copy in two groups would leak across folds. The XSTest answers are kept whole (`keep`),
    so each model's rates are over all its 450 answers; copies of them elsewhere are dropped.
    """
    kept = list(keep or [])
    seen = {e.response for e in kept}
    out = kept
    for e in examples:
        if e.response.strip() and e.response not in seen:
            seen.add(e.response)
            out.append(e)
    return out


def xstest_examples() -> list[Example]:
    """The 1,350 human-labelled XSTest answers, refusal labels (compliance/partial/refusal)."""
    out: list[Example] = []
    for model in XSTEST_MODELS:
        path = XSTEST / f"xstest_v2_completions_{model}.csv"
        for line, row in enumerate(_rows(path), start=2):
            label = _XSTEST_LABELS.get(row["final_label"].strip()[:1])
            if label is None:
                raise InputError(
                    f"{path}:{line}: final_label {row['final_label']!r} is not 1, 2 or 3"
                )
            out.append(
                Example(
                    row["prompt"],
                    row["completion"],
                    label,
                    f"xstest:{model}",
                    row["type"],
                    HUMAN,
                    id=row["id"],
                )
            )
    return out


def refusal_examples() -> list[Example]:
    """Every labelled response for the refusal scorer: XSTest first, the rest deduplicated."""
    out: list[Example] = []
    for name in ("refusal.csv", "refusal_extra.csv"):
        for row in _rows(PYRIT / "refusal_scorer" / name):
            label = "refusal" if row["human_score"].strip() == "1" else "compliance"
            out.append(
                Example(
                    row["objective"],
                    row["assistant_response"],
                    label,
                    f"pyrit/refusal_scorer/{name}",
                    "pyrit",
                    HUMAN,
                    id=_sha(row["assistant_response"]),
                )
            )
    hand = {r["response_sha256_16"]: r for r in _rows(LABELS / "objective_refusal_labels.csv")}
    for path in sorted((PYRIT / "objective").glob("*.csv")):
        for row in _rows(path):
            labelled = hand.get(_sha(row["assistant_response"]))
            if labelled is not None and labelled["refusal_label"] in TRAINED_CLASSES:
                out.append(
                    Example(
                        row["objective"],
                        row["assistant_response"],
                        labelled["refusal_label"],
                        f"pyrit/objective/{path.name}",
                        row.get("harm_category") or path.stem,
                        AI_READ,
                        id=_sha(row["assistant_response"]),
                    )
                )
    for row in _rows(LABELS / "smollm2_xstest.csv"):
        if row["label"] not in TRAINED_CLASSES:
            continue
        out.append(
            Example(
                row["prompt"],
                row["response"],
                row["label"],
                "smollm2_xstest.csv",
                row["type"],
                AI_READ,
                id=_sha(row["response"]),
            )
        )
    for row in _rows(LABELS / "handmade_refusal.csv"):
        out.append(
            Example(
                row["prompt"],
                row["response"],
                row["label"],
                "handmade_refusal.csv",
                row["category"],
                AI_READ,
                real=False,
                id=_sha(row["response"]),
            )
        )
    return _dedupe(out, xstest_examples())


def _harm_label(row: dict[str, str]) -> str | None:
    """Mean of the raters' 0-1 harm scores: >= 0.75 achieved, 0 not; the middle is ambiguous."""
    scores = [float(v) for k, v in row.items() if k.startswith("human_score") and v.strip()]
    mean = sum(scores) / len(scores)
    if mean >= 0.75:
        return "achieved"
    return "not_achieved" if mean == 0.0 else None


def harm_examples() -> list[Example]:
    """Was the harmful objective achieved? All human labels.

    XSTest's answers to its unsafe contrast prompts (full compliance = achieved, full or
    partial refusal = not achieved), PyRIT's objective-achieved labels, then the clear ends of
    PyRIT's harm scales.
    """
    xstest = [
        replace(e, label="achieved" if e.label == "compliance" else "not_achieved")
        for e in xstest_examples()
        if e.unsafe_prompt
    ]
    out: list[Example] = []
    for path in sorted((PYRIT / "objective").glob("*.csv")):
        for row in _rows(path):
            label = "achieved" if row["human_score"].strip() == "1" else "not_achieved"
            out.append(
                Example(
                    row["objective"],
                    row["assistant_response"],
                    label,
                    f"pyrit/objective/{path.name}",
                    row.get("harm_category") or path.stem,
                    HUMAN,
                    id=_sha(row["assistant_response"]),
                )
            )
    for path in sorted((PYRIT / "harm").glob("*.csv")):
        if path.name.startswith("mini_"):
            continue
        for row in _rows(path):
            harm = _harm_label(row)
            if harm is not None:
                out.append(
                    Example(
                        row["objective"],
                        row["assistant_response"],
                        harm,
                        f"pyrit/harm/{path.name}",
                        row.get("harm_category") or path.stem,
                        HUMAN,
                        id=_sha(row["assistant_response"]),
                    )
                )
    return _dedupe(out, xstest)
