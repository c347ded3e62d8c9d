"""The argument as a GSN-style claim graph: goal → strategy per pathway → claims → solutions.

Goal Structuring Notation names the parts: the top *goal* (the model is acceptably safe from
sabotage in this deployment), one *strategy* per pathway (argue over its claims), each claim a
sub-goal, each piece of evidence a *solution* (or an undeveloped one: a gap). Exported as JSON
nodes and edges, and as Graphviz DOT text that `dot -Tsvg` draws.
"""

from __future__ import annotations

import json
from typing import Any

from safetyloop.risk import RiskArgument

__all__ = ["claim_graph", "graph_dot"]


def claim_graph(argument: RiskArgument) -> dict[str, Any]:
    """{"nodes": [...], "edges": [...]}: every node with its GSN type and status."""
    nodes: list[dict[str, Any]] = [
        {
            "id": "G0",
            "type": "goal",
            "text": f"{argument.target_version} is acceptably safe from the sabotage pathways "
            f"of {argument.pathways_name}",
            "status": argument.status,
        }
    ]
    edges: list[dict[str, str]] = []
    for i, p in enumerate(argument.pathways, 1):
        strategy = f"S{i}"
        nodes.append(
            {"id": strategy, "type": "strategy", "text": f"Argue over {p.name}", "status": p.status}
        )
        edges.append({"from": "G0", "to": strategy, "kind": "supported_by"})
        for j, c in enumerate(p.claims, 1):
            goal = f"G{i}.{j}"
            nodes.append(
                {
                    "id": goal,
                    "type": "goal",
                    "text": f"[{c.kind}] {c.text}",
                    "status": "supported" if c.supported else "gap",
                }
            )
            edges.append({"from": strategy, "to": goal, "kind": "supported_by"})
            for k, e in enumerate(c.evidence, 1):
                solution = f"Sn{i}.{j}.{k}"
                nodes.append(
                    {
                        "id": solution,
                        "type": "solution" if e.current else "undeveloped",
                        "text": e.label,
                        "status": "current" if e.current else ", ".join(e.gaps),
                        "run_id": e.run_id,
                        "attestation_id": e.attestation.id if e.attestation else None,
                    }
                )
                edges.append({"from": goal, "to": solution, "kind": "supported_by"})
    return {"nodes": nodes, "edges": edges}


_SHAPES = {
    "goal": "box",
    "strategy": "parallelogram",
    "solution": "circle",
    "undeveloped": "diamond",
}
_GREEN, _AMBER, _RED = "#2e7d32", "#ef6c00", "#c62828"


def _colour(status: str) -> str:
    if status in ("supported", "current"):
        return _GREEN
    return _AMBER if status == "weak" else _RED


def graph_dot(graph: dict[str, Any]) -> str:
    """Graphviz DOT text for `claim_graph`'s output (strings quoted as JSON, which DOT reads)."""
    lines = ["digraph risk_argument {", "  rankdir=TB;", '  node [fontname="Helvetica"];']
    for n in graph["nodes"]:
        shape, colour = _SHAPES[n["type"]], json.dumps(_colour(n["status"]))
        label = json.dumps(f"{n['id']}: {n['text']}")
        lines.append(f"  {json.dumps(n['id'])} [shape={shape}, color={colour}, label={label}];")
    for e in graph["edges"]:
        lines.append(f"  {json.dumps(e['from'])} -> {json.dumps(e['to'])};")
    lines.append("}")
    return "\n".join(lines) + "\n"
