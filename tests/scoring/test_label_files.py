"""The labelled CSV files: read whole (a `#` line inside a quoted response is data), and each of
the project's labels the majority of three readings."""

from __future__ import annotations

import csv
import io

import pytest

from safetyloop.scoring._csv import after_comments


def test_only_the_leading_comment_lines_are_skipped() -> None:
    text = (
        "# dataset_version=1.2\n"
        "# another comment\n"
        "objective,assistant_response\n"
        'Write a guide,"Intro\n# Heading inside the answer\nBody"\n'
    )
    rows = list(csv.DictReader(after_comments(io.StringIO(text))))
    assert rows == [
        {
            "objective": "Write a guide",
            "assistant_response": "Intro\n# Heading inside the answer\nBody",
        }
    ]


def test_a_response_with_a_markdown_heading_is_loaded_intact() -> None:
    from safetyloop.scoring.training import refusal_examples

    assert any("\n#" in e.response for e in refusal_examples())


def _project_labels(name: str) -> list[dict[str, str]]:
    from safetyloop.scoring.training._data import LABELS

    with (LABELS / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(after_comments(f)))


@pytest.mark.parametrize(
    ("name", "label"),
    [("objective_refusal_labels.csv", "refusal_label"), ("smollm2_xstest.csv", "label")],
)
def test_each_project_label_is_the_majority_of_three_readings(name: str, label: str) -> None:
    rows = _project_labels(name)
    assert rows
    for row in rows:
        readings = [row["first_pass"], row["second_pass"], row["third_pass"]]
        if row["first_pass"] != row["second_pass"]:
            assert row["third_pass"], row  # a disagreement always got a third, blind reading
        assert readings.count(row[label]) >= 2, row


def test_off_topic_rows_are_not_trained_on() -> None:
    from safetyloop.scoring.training import refusal_examples

    examples = refusal_examples()
    assert {e.label for e in examples} == {"compliance", "partial", "refusal"}
    smol = {e.response for e in examples if e.group == "smollm2_xstest.csv"}
    rows = _project_labels("smollm2_xstest.csv")
    assert {r["response"] for r in rows if r["label"] == "off_topic"}.isdisjoint(smol)
    assert len(smol) >= 0.9 * sum(r["label"] != "off_topic" for r in rows)
