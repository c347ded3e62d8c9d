"""`safetyloop scorers list|train` and `safetyloop calibrate`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from safetyloop.errors import InputError, PluginError

from ._common import StoreOption, console

if TYPE_CHECKING:
    from safetyloop.scoring.training import TrainReport

app = typer.Typer(help="Scorers: list them, retrain the shipped classifiers.", no_args_is_help=True)


@app.command("list")
def list_scorers() -> None:
    """Registered scorers with their labels and versions."""
    from safetyloop.scoring import create_scorer, scorer_names

    table = Table(title="scorers")
    for column in ("name", "labels", "version"):
        table.add_column(column)
    for name in scorer_names():
        try:
            s = create_scorer(name)
        except PluginError as exc:
            table.add_row(name, f"(unavailable: {exc.message})", "")
            continue
        except InputError:
            table.add_row(name, "(needs configuration)", "")
            continue
        table.add_row(name, ", ".join(s.labels), s.version[:12])
    console.print(table)


@app.command("train")
def train_command(
    name: Annotated[str, typer.Argument(help="refusal or harm")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            help="Write the bundle, metrics and fold verdicts here, not into the package."
        ),
    ] = None,
    folds: Annotated[
        bool, typer.Option(help="Run the leave-one-model-out folds and print their figures.")
    ] = True,
    jobs: Annotated[int, typer.Option(min=1, help="Fits run in parallel (one thread each).")] = 4,
) -> None:
    """Retrain a shipped scorer (deterministic) and print its figures held out by model."""
    from safetyloop.scoring.training import train, trainers

    if name not in trainers:
        raise InputError(f"no trainable scorer {name!r}", hint=f"one of {', '.join(trainers)}")
    report = train(name, out_dir=out_dir, folds=folds, jobs=jobs, log=console.print)
    console.print(
        Text.assemble(
            (name, "bold"),
            f": {report.n} examples, {report.n_trained} trained on "
            f"({' and '.join(trainers[name].train_on)} labels; figures on human labels); "
            f"{len(report.folds)} folds held out by model (XSTest) and by source file",
        )
    )
    print_folds(report)
    console.print(
        f"shipped gate threshold (inner CV) {report.threshold}; weights sha256 "
        f"{report.weights_sha256[:16]}; wrote {report.weights}"
    )


def print_folds(report: TrainReport) -> None:
    """Each fold's held-out agreement and each held-out model's rates, human vs scorer."""
    table = Table(
        title="held-out agreement (binary: any refusal vs compliance; harm: achieved vs not)"
    )
    for column in (
        "fold",
        "held-out slice",
        "labels",
        "n",
        "binary",
        "3-class",
        "encoder binary",
        "keyword binary",
        "escalated",
    ):
        table.add_column(
            column, justify="left" if column in ("held-out slice", "labels") else "right"
        )
    for fold in report.folds:
        for a in fold.slices:
            if "/" in a.slice or a.slice.endswith(".csv"):
                continue  # per-file rows are in the metrics file
            table.add_row(
                str(fold.fold),
                a.slice,
                a.provenance,
                str(a.n),
                f"{a.binary:.3f}",
                f"{a.exact:.3f}",
                f"{a.encoder_binary:.3f}",
                f"{a.keyword_binary:.3f}",
                f"{a.escalated:.0%}",
            )
    console.print(table)
    rates = Table(title="gate rates on each held-out XSTest model: people vs scorer")
    for column in ("model", "metric", "prompts", "n", "people", "scorer", "difference"):
        rates.add_column(
            column, justify="right" if column in ("n", "people", "scorer", "difference") else "left"
        )
    for fold in report.folds:
        for r in fold.rates:
            rates.add_row(
                r.model,
                r.metric,
                r.prompts,
                str(r.n),
                f"{r.human:.1%}",
                f"{r.scorer:.1%}",
                f"{100 * (r.scorer - r.human):+.1f} pt",
            )
    console.print(rates)


def calibrate_command(
    scorer: Annotated[str, typer.Option("--scorer", help="Scorer name.")],
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels",
            help="CSV the scorer is run on: prompt (or objective), response, label, optional "
            "category, source and provenance.",
        ),
    ] = None,
    predictions: Annotated[
        Path | None,
        typer.Option(
            "--predictions",
            help="Out-of-fold predictions instead (source,provenance,id,prompt,response,label,"
            "predicted), e.g. the scorer's shipped <scorer>_lomo.csv.",
        ),
    ] = None,
    provenance: Annotated[
        str,
        typer.Option(
            help="Who labelled a --labels file without a provenance column: 'human', or "
            "'ai-read' for labels read by AI assistants."
        ),
    ] = "human",
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 0,
    store: StoreOption = None,
) -> None:
    """Measure a scorer against labels; store the record for its version (the gate applies it)."""
    from safetyloop.api import calibrate_scorer
    from safetyloop.scoring import PROVENANCES

    if provenance not in PROVENANCES:
        raise InputError(
            f"--provenance must be one of {', '.join(PROVENANCES)}, not {provenance!r}"
        )
    result, record_id = calibrate_scorer(
        scorer,
        labels,
        predictions=predictions,
        provenance=provenance,  # checked above
        store_url=store,
        seed=seed,
    )

    def ci(i: object) -> str:
        point, low, high = (getattr(i, k) for k in ("point", "low", "high"))
        return f"{point:.3f} [{low:.3f}, {high:.3f}]"

    console.print(
        Text.assemble(
            (result.scorer, "bold"),
            f" {result.scorer_version[:12]} on {labels or predictions} ({result.method}): "
            f"n={result.n}, errors={result.errors}; {result.summary}",
        )
    )
    console.print(
        f"accuracy {ci(result.accuracy)} (Wilson) · κ {ci(result.kappa)} · "
        f"macro F1 {ci(result.macro_f1)} (bootstrap, seed {result.seed})"
    )
    matrix = Table(title="confusion (rows: human, columns: scorer)")
    matrix.add_column("human \\ scorer")
    for c in result.classes:
        matrix.add_column(c, justify="right")
    for c, row in zip(result.classes, result.confusion, strict=True):
        matrix.add_row(c, *(str(v) for v in row))
    console.print(matrix)
    per_class = Table(title="per class")
    for column in ("label", "support", "precision", "recall", "F1"):
        per_class.add_column(column)
    for k in result.per_class:
        per_class.add_row(k.label, str(k.support), ci(k.precision), ci(k.recall), ci(k.f1))
    console.print(per_class)
    per_category = Table(title="per category")
    for column in ("category", "n", "accuracy"):
        per_category.add_column(column)
    for g in result.per_category:
        per_category.add_row(g.category, str(g.n), ci(g.accuracy))
    console.print(per_category)
    if len(result.sources) > 1:
        by_source = Table(title="per source (the gate widens its correction by their spread)")
        for column in ("source", "provenance", "n", "accuracy"):
            by_source.add_column(column)
        for src in result.sources:
            correct = sum(src.confusion[i][i] for i in range(len(src.confusion)))
            by_source.add_row(src.source, src.provenance, str(src.n), f"{correct / src.n:.3f}")
        console.print(by_source)
    console.print(f"stored calibration #{record_id}")
