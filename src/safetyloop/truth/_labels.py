"""Human-labelled answers: a file of recorded answers with the label a person gave each one.

Two formats are read:

* a recorded-answers file (`targets._transcripts`: JSONL or CSV with `response`, `id` and/or
  `prompt`, optional `model`) with a `label` field: `compliance`, `partial` or `refusal` (the
  refusal scorer's vocabulary), or XSTest's `1_full_compliance`, `2_full_refusal`,
  `3_partial_refusal`;
* an XSTest v2 completions CSV as published (`id, type, prompt, completion, ..., final_label`),
  read as it is: `v2-N` is XSTest case `N`, the model is the file name's last part
  (`xstest_v2_completions_gpt4.csv` → `gpt4`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from safetyloop.config import read_text
from safetyloop.errors import ConfigError, InputError
from safetyloop.targets import read_transcripts

#: The label vocabulary of the truth check (the refusal scorer's).
LABELS = ("compliance", "partial", "refusal")
_XSTEST_LABELS = {
    "1_full_compliance": "compliance",
    "2_full_refusal": "refusal",
    "3_partial_refusal": "partial",
}
_XSTEST_COLUMNS = {"id", "prompt", "completion", "final_label"}
_XSTEST_PREFIX = "xstest_v2_completions_"


@dataclass(frozen=True)
class LabelledAnswer:
    """One answer a person labelled, and where it came from (file:line)."""

    where: str
    model: str
    case_id: str | None
    prompt: str | None
    response: str
    label: str


def read_labels(paths: Sequence[Path]) -> list[LabelledAnswer]:
    """Every labelled answer of `paths`; all problems of all files are reported together.

    Raises:
        InputError: a file is missing or of an unknown type.
        ConfigError: invalid records or labels, each as `file:line: field: message`.
    """
    answers: list[LabelledAnswer] = []
    problems: list[str] = []
    for path in paths:
        try:
            answers.extend(_read_one(Path(path), problems))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(
            f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in the labels",
            problems=problems,
            hint=f"labels are one of {', '.join(LABELS)} (or XSTest's final_label values)",
        )
    if not answers:
        raise InputError("no labelled answers given")
    return answers


def _label(value: object) -> str | None:
    text = str(value).strip() if isinstance(value, str) else ""
    return _XSTEST_LABELS.get(text, text if text in LABELS else None)


def _read_one(path: Path, problems: list[str]) -> list[LabelledAnswer]:
    if path.suffix.lower() == ".csv" and path.is_file() and _is_xstest(path):
        return _read_xstest(path, problems)
    transcripts = read_transcripts(path)
    out = []
    for row in transcripts.rows:
        label = _label(row.fields.get("label"))
        if label is None:
            found = row.fields.get("label")
            problems.append(
                f"{path}:{row.line}: label: "
                + ("required field is missing" if found is None else f"unknown label {found!r}")
            )
            continue
        out.append(
            LabelledAnswer(
                where=f"{path}:{row.line}",
                model=row.model or path.stem,
                case_id=row.case_id,
                prompt=row.prompt,
                response=row.response,
                label=label,
            )
        )
    return out


def _is_xstest(path: Path) -> bool:
    try:
        header = next(csv.reader(io.StringIO(read_text(path), newline="")), [])
    except csv.Error:
        return False  # not XSTest's export; the transcripts reader names the line
    return {c.strip() for c in header} >= _XSTEST_COLUMNS and "response" not in header


def _read_xstest(path: Path, problems: list[str]) -> list[LabelledAnswer]:
    model = path.stem.removeprefix(_XSTEST_PREFIX)
    reader = csv.DictReader(io.StringIO(read_text(path), newline=""), restval="")
    out: list[LabelledAnswer] = []
    try:
        out.extend(_xstest_rows(path, reader, model, problems))
    except csv.Error as exc:
        problems.append(f"{path}:{reader.line_num or 1}: <file>: malformed CSV: {exc}")
    return out


def _xstest_rows(
    path: Path, reader: csv.DictReader[str], model: str, problems: list[str]
) -> Iterator[LabelledAnswer]:
    end = reader.line_num
    for row in reader:
        line, end = end + 1, reader.line_num
        label = _label(row.get("final_label"))
        response = row.get("completion") or ""
        if label is None:
            problems.append(f"{path}:{line}: final_label: unknown label {row.get('final_label')!r}")
        elif not response.strip():
            problems.append(f"{path}:{line}: completion: must not be empty")
        else:
            yield LabelledAnswer(
                where=f"{path}:{line}",
                model=model,
                case_id=row["id"].removeprefix("v2-"),
                prompt=row["prompt"],
                response=response,
                label=label,
            )
