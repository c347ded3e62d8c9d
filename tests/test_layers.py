"""The package's layers, held: a stage imports only the stages before it (ARCHITECTURE.md).

stats (pure, under everything) → config → suites → targets → engine → scoring → store → gate →
governance → redteam → incidents → api → cli, with the stages the issue does not name placed
where their code sits. Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "safetyloop"

#: Importable from every layer: they import nothing but each other.
FOUNDATION = {"errors", "_hashing", "_redact", "_registry", "clock", "audit_chain", "evidence"}

#: Lowest first. Stages the issue names keep its order (gate, then governance, red teaming and
#: incidents, which build on each other in that order); `safeguards` sits under the gate that
#: checks it, and `releases`, `truth` and `report` over the API they call.
LAYERS = [
    # pure numbers in, numbers out: it imports nothing of the package, so every stage may use
    # it (scoring's calibration reports agreement with intervals). The list places it
    # after scoring, the stage whose output it mostly reads; ranked there, that use would be an
    # upward import although no cycle can arise.
    "stats",
    "config",
    "suites",
    "targets",
    "engine",
    "scoring",
    "safeguards",
    "store",
    # tool-using agents: episodes through the engine's caller, defences built on safeguards'
    # checks and scorers, runs kept in the store (which holds them as JSON, never importing
    # agentic); the gate (its `agentic` rule) and incidents read its records, never the reverse
    "agentic",
    # capability elicitation and sabotage evaluations run in agentic's environments and sandbox;
    # the reward audit scores reward models; the gate reads all three (thresholds, metrics)
    "capability",
    "sabotage",
    "reward",
    "gate",
    "governance",
    "redteam",
    "incidents",
    # the risk report argues from every record below it and opens debt when evidence goes stale;
    # interop imports and exports other tools' logs (Inspect) into and out of the store
    "risk",
    "interop",
    "api",
    "releases",
    "truth",
    "report",
    # the web console serves everything the CLI shows, over the same functions
    "web",
    "cli",
    "__main__",
]
RANK = {name: i for i, name in enumerate(LAYERS)}


def _stage(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def _imports(path: Path) -> Iterator[tuple[str, int]]:
    """Every `safetyloop.<stage>` a module imports, anywhere in it, with the line."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "safetyloop":
                yield from ((alias.name, node.lineno) for alias in node.names)
            elif node.module.startswith("safetyloop."):
                yield node.module.split(".")[1], node.lineno
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("safetyloop."):
                    yield alias.name.split(".")[1], node.lineno


def _edges() -> set[tuple[str, str, str]]:
    """(importer stage, imported stage, where) for every import across stages."""
    out = set()
    for path in PACKAGE.rglob("*.py"):
        stage = _stage(path)
        for imported, line in _imports(path):
            if imported != stage:
                out.add((stage, imported, f"{path.relative_to(PACKAGE)}:{line}"))
    return out


def test_every_stage_has_a_place() -> None:
    stages = {_stage(p) for p in PACKAGE.rglob("*.py")} - {"__init__"}
    assert stages - FOUNDATION - set(LAYERS) == set()


def test_the_foundation_imports_only_the_foundation() -> None:
    wrong = [where for src, dst, where in _edges() if src in FOUNDATION and dst not in FOUNDATION]
    assert wrong == []


def test_no_stage_imports_a_stage_above_it() -> None:
    upward = sorted(
        (src, dst, where)
        for src, dst, where in _edges()
        if src in RANK and dst in RANK and RANK[dst] > RANK[src]
    )
    assert upward == []


def test_the_store_imports_nothing_above_it() -> None:
    """The store is the bottom of persistence: no governance, gate, red team or incident."""
    imported = {dst for src, dst, _ in _edges() if src == "store"}
    assert imported <= FOUNDATION | {"config", "suites", "targets", "engine", "scoring"}


def test_only_the_store_touches_the_database() -> None:
    """SQLAlchemy and Alembic appear only under store/ (migrations included)."""
    outside = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in PACKAGE.rglob("*.py")
        if _stage(path) != "store"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else [a.name for a in node.names]
        )
        if name.split(".")[0] in {"sqlalchemy", "alembic"}
    ]
    assert outside == []
