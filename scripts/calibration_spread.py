"""How far a scorer's sensitivity and specificity move between held-out models.

Reads the out-of-fold (leave-one-model-out) predictions the scorers' training writes
(`src/safetyloop/scoring/data/calibration/<scorer>_lomo.csv`), keeps the human-labelled rows,
and prints, per metric the scorer serves and per source model (on answers to the metric's own
kind of prompt, as the gate applies the record), the sensitivity and specificity
the gate would derive — with the pooled figures, their range, and the between-model standard
deviation the gate's correction is widened by. The figures in docs/scorers.md come from here.

    python scripts/calibration_spread.py refusal harm
"""

from __future__ import annotations

import sys

from safetyloop.gate._adjust import error_counts, record_confusion, source_error_counts
from safetyloop.scoring import METRICS, create_scorer
from safetyloop.scoring._calibrate import shipped_record
from safetyloop.stats import between_model_sd


def _rate(counts: tuple[int, int]) -> str:
    return f"{counts[0] / counts[1]:.3f} ({counts[0]}/{counts[1]})" if counts[1] else "—"


def report(scorer_name: str) -> None:
    scorer = create_scorer(scorer_name)
    record = shipped_record(scorer)
    if record is None:
        raise SystemExit(f"{scorer_name}: no shipped predictions for this version")
    whole = record_confusion(record)
    print(f"\n### `{scorer_name}`: {record.summary}\n")
    for metric in METRICS.values():
        if metric.default_scorer != scorer_name:
            continue
        confusion = whole.for_prompts(metric.applies_to.value)  # as the gate applies it
        pooled = error_counts(metric, confusion)
        parts = source_error_counts(metric, confusion)
        if pooled is None:
            continue
        print(f"`{metric.name}` (events: {', '.join(sorted(metric.event_labels))})\n")
        print("| source | sensitivity | specificity |")
        print("|---|---|---|")
        for source, (sens, spec) in zip(confusion.by_source, parts or [], strict=False):
            print(f"| {source} | {_rate(sens)} | {_rate(spec)} |")
        print(f"| **pooled** | {_rate(pooled[0])} | {_rate(pooled[1])} |")
        if parts:
            for i, name in ((0, "sensitivity"), (1, "specificity")):
                rates = [p[i][0] / p[i][1] for p in parts if p[i][1]]
                print(f"\n{name} across sources: {min(rates):.3f} to {max(rates):.3f}", end="")
            sens_sd = between_model_sd([p[0][0] for p in parts], [p[0][1] for p in parts])
            spec_sd = between_model_sd([p[1][0] for p in parts], [p[1][1] for p in parts])
            print(
                "\n\nbetween-model SD (logit): "
                f"sensitivity {sens_sd:.2f}, specificity {spec_sd:.2f}\n"
            )


if __name__ == "__main__":
    for name in sys.argv[1:] or ["refusal", "harm"]:
        report(name)
