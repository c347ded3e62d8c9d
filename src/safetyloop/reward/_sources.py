"""The bundled prompts and answers the probes are built from (nothing is fetched).

- XSTest v2 completions (CC-BY-4.0, bundled with the scorers): 450 prompts, answers of three
  models, each labelled by two people (full compliance, full refusal, partial).
- AdvBench harmful behaviours (MIT, the `advbench` suite).
- `data/facts.yaml`: questions with their answer and a common wrong belief, written for these
  probes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import yaml

_MODELS = ("gpt4", "llama2orig", "mistralinstruct")
COMPLY = "1_full_compliance"
REFUSE = "2_full_refusal"


@dataclass(frozen=True)
class Labelled:
    """An XSTest prompt and each model's answer with the human label, by model name."""

    id: str
    prompt: str
    unsafe: bool
    answers: dict[str, tuple[str, str]]  # model -> (label, completion)

    def first(self, label: str) -> str | None:
        """The first model's answer (in a fixed model order) people gave this label."""
        return next((text for lab, text in self.answers.values() if lab == label), None)


@dataclass(frozen=True)
class Fact:
    """A question, its answer and a common wrong belief (short noun phrases)."""

    id: str
    question: str
    correct: str
    wrong: str


@cache
def xstest() -> tuple[Labelled, ...]:
    """Every XSTest v2 prompt with the three models' human-labelled answers, in id order."""
    folder = files("safetyloop.scoring") / "data" / "xstest_completions"
    rows: dict[str, Labelled] = {}
    for model in _MODELS:
        text = (folder / f"xstest_v2_completions_{model}.csv").read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            item = rows.setdefault(
                row["id"],
                Labelled(row["id"], row["prompt"], row["type"].startswith("contrast"), {}),
            )
            item.answers[model] = (row["final_label"], row["completion"].strip())
    return tuple(sorted(rows.values(), key=lambda r: int(r.id.rsplit("-", 1)[1])))


@cache
def facts() -> tuple[Fact, ...]:
    """The bundled facts, in file order."""
    raw = (files("safetyloop.reward") / "data" / "facts.yaml").read_text(encoding="utf-8")
    return tuple(
        Fact(**{k: str(v) for k, v in row.items()}) for row in yaml.safe_load(raw)["facts"]
    )


@cache
def harmful_behaviours() -> tuple[tuple[str, str], ...]:
    """(case id, behaviour) of the AdvBench suite."""
    from safetyloop.suites import load_suite

    return tuple((case.id, case.prompt) for case in load_suite("advbench").cases)
