"""An audit's record: figures per family as JSON, Markdown and one plot per family.

The JSON is the record (`reward show` reads it back, a later audit compares with it); the
Markdown and the PNGs are rendered from it, so they cannot disagree.
"""

from __future__ import annotations

import base64
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from safetyloop.errors import InputError
from safetyloop.evidence import Measurement
from safetyloop.reward._metrics import FamilyResult

SCHEMA = 1


@dataclass(frozen=True)
class AuditReport:
    """A reward model's audit: what was probed, how, and each family's figures."""

    model: str
    model_version: str
    seed: int
    limit: int
    created_at: datetime
    families: tuple[FamilyResult, ...]
    schema: int = SCHEMA
    notes: tuple[str, ...] = field(default=())

    def family(self, name: str) -> FamilyResult | None:
        return next((f for f in self.families if f.family == name), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        for fam, result in zip(data["families"], self.families, strict=True):
            fam["confounded_by"] = list(result.confounded_by)
        return data


def save(report: AuditReport | dict[str, Any], path: Path) -> None:
    """Write the JSON record (atomically: a reader never sees half a file)."""
    data = report.to_dict() if isinstance(report, AuditReport) else report
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    tmp.replace(path)


def load(path: Path) -> dict[str, Any]:
    """A saved audit's JSON, checked for the fields a reader relies on."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such audit file") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}:1: an audit record is a JSON object")
    for key in ("model", "families", "schema"):
        if key not in data:
            raise InputError(f"{path}:1: field {key!r} is missing: not a reward audit record")
    if data["schema"] != SCHEMA:
        raise InputError(f"{path}:1: field 'schema' is {data['schema']!r}, expected {SCHEMA}")
    return data


def _pct(interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "—"
    return f"{interval['point']:.1%} [{interval['low']:.1%}, {interval['high']:.1%}]"


def _num(interval: dict[str, Any] | None) -> str:
    if interval is None:
        return "—"
    return f"{interval['point']:+.3f} [{interval['low']:+.3f}, {interval['high']:+.3f}]"


def verdict(fam: dict[str, Any]) -> str:
    """The trivial-baseline verdict in words."""
    if fam["confounded_by"]:
        return "uninformative: solved by " + ", ".join(fam["confounded_by"])
    beating = [b["rule"] for b in fam["baselines"] if b["beats_chance"] and not b["intended"]]
    if beating:
        return "partly confounded: " + ", ".join(beating) + " beat chance"
    return "no trivial rule beats chance"


def markdown(data: dict[str, Any], plots: dict[str, str]) -> str:
    """The audit as Markdown; `plots` maps a family to its image's relative path."""
    lines = [
        f"# Reward-model audit: `{data['model']}`",
        "",
        f"Version `{data['model_version']}`, seed {data['seed']}, at most {data['limit']} "
        f"source prompts a family, {data['created_at']}.",
        "",
        "Flip rate: share of probes where the model prefers the worse answer (a tie counts "
        "where the answers differ in content, not in length, flattery or format), with "
        "a 95% cluster-bootstrap interval over source prompts. Gain: reward the worse answer "
        "gains (model units; per 100 added words where it is longer), 95% t interval over "
        "sources.",
        "",
        "| family | taxonomy | pairs | errors | flip rate | gain | gain / 100 words | "
        "trivial baselines |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for fam in data["families"]:
        lines.append(
            f"| {fam['family']} | {fam['taxonomy']} | {fam['pairs']} | {fam['errors']} | "
            f"{_pct(fam['flip_rate'])} | {_num(fam['gain'])} | "
            f"{_num(fam['gain_per_100_words'])} | {verdict(fam)} |"
        )
    for note in data.get("notes", []):
        lines += ["", f"- {note}"]
    for fam in data["families"]:
        lines += ["", f"## {fam['family']} ({fam['taxonomy']})", "", fam["description"] + ".", ""]
        lines += ["| rule | accuracy | p (vs chance) | verdict |", "|---|---|---|---|"]
        for b in fam["baselines"]:
            tag = "solves" if b["solves"] else "beats chance" if b["beats_chance"] else "chance"
            own = " (the intended manipulation)" if b["intended"] else ""
            lines.append(
                f"| {b['rule']} | {_pct(b['accuracy'])} | {b['p_value']:.3g} | {tag}{own} |"
            )
        if fam["family"] in plots:
            lines += ["", f"![{fam['family']}]({plots[fam['family']]})"]
    return "\n".join(lines) + "\n"


def plot_family(fam: dict[str, Any], path: Path) -> None:
    """A histogram of the family's margins (better minus worse); the failed side shaded."""
    # Imported here: matplotlib costs ~0.4 s that other commands should not pay.
    import matplotlib

    matplotlib.use("Agg")  # files only: never a window
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6))
    try:
        margins = fam["margins"] or [0.0]
        ax.hist(margins, bins=30, color="#1f4e79")
        ax.axvspan(min(min(margins), 0.0) - 1e-9, 0.0, color="#c62828", alpha=0.12)
        ax.axvline(0.0, color="#c62828", lw=1)
        ax.set_xlabel("reward margin (better − worse; position: first shown − second)")
        ax.set_ylabel("pairs")
        ax.set_title(f"{fam['family']}: flip rate {_pct(fam['flip_rate'])}", fontsize=9)
        fig.tight_layout()
        fig.savefig(path, dpi=90)
    finally:
        plt.close(fig)


def html(data: dict[str, Any], plots: dict[str, bytes]) -> str:
    """The audit as one self-contained HTML page (plots embedded)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("safetyloop.reward", "templates"),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = _pct
    env.filters["num"] = _num
    return env.get_template("report.html.j2").render(
        data=data,
        verdict=verdict,
        plots={k: base64.b64encode(v).decode("ascii") for k, v in plots.items()},
    )


def write_report(data: dict[str, Any], folder: Path) -> Path:
    """`report.md`, `report.html` (self-contained) and one PNG a family in `folder`; the
    Markdown's path."""
    folder.mkdir(parents=True, exist_ok=True)
    plots = {}
    for fam in data["families"]:
        name = f"{fam['family']}.png"
        plot_family(fam, folder / name)
        plots[fam["family"]] = name
    out = folder / "report.md"
    out.write_text(markdown(data, plots), "utf-8")
    images = {family: (folder / name).read_bytes() for family, name in plots.items()}
    (folder / "report.html").write_text(html(data, images), "utf-8")
    return out


def measurements(data: dict[str, Any]) -> list[Measurement]:
    """Each family's flip rate of a stored audit record as evidence (`reward_flip:<family>`,
    source `reward`), for the risk report's claims."""
    at = datetime.fromisoformat(data["created_at"])
    return [
        Measurement(
            metric=f"reward_flip:{f['family']}",
            value=f["flip_rate"]["point"],
            low=f["flip_rate"]["low"],
            high=f["flip_rate"]["high"],
            n=f["pairs"] - f["errors"],
            source="reward",
            run_id=data["run_id"],
            measured_at=at,
            method=f["flip_rate"]["method"],
        )
        for f in data["families"]
        if f["flip_rate"] is not None
    ]
