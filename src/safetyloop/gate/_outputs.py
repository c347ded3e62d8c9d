"""One output path for every format: `render(decision, fmt)`; formats register by name.

The built-ins are below; a plugin adds a format through the `safetyloop.output_formats`
entry-point group (a function `Decision -> str`).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from jinja2 import Environment, PackageLoader, StrictUndefined

from safetyloop._registry import Registry, callables
from safetyloop.gate._model import Decision, Status

Renderer = Callable[[Decision], str]

#: Every output format of a gate decision.
OUTPUT_FORMATS: Registry[Renderer] = Registry(
    "output format",
    "safetyloop.output_formats",
    accept=callables("a renderer (decision) -> str"),
)


def output_format(name: str) -> Callable[[Renderer], Renderer]:
    """Register `fn(decision) -> str` as the output format `name`."""

    def register(fn: Renderer) -> Renderer:
        return OUTPUT_FORMATS.register(name, fn)

    return register


def output_formats() -> list[str]:
    """Every output format's name, sorted (plugins are not imported to list them)."""
    return OUTPUT_FORMATS.names()


def render(decision: Decision, fmt: str) -> str:
    """Render a decision as `json`, `markdown`, `junit`, `html` or a plugin's format."""
    return OUTPUT_FORMATS.get(fmt)(decision)


def _env(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("safetyloop.gate", "templates"),
        undefined=StrictUndefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda x: f"{x:.1%}"
    env.filters["rate"] = lambda x: f"{x:.3f}"
    env.filters["short"] = lambda x: str(x)[:12]
    env.filters["cell"] = _markdown_cell
    return env


def _markdown_cell(value: object) -> str:
    """Text that cannot break a Markdown table or inject HTML into a pull request."""
    text = str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return text.replace("<", "&lt;").replace(">", "&gt;")


@output_format("json")
def to_json(decision: Decision) -> str:
    body = decision.model_dump(mode="json")
    body["findings"] = [f.model_dump(mode="json") for f in decision.findings]
    return json.dumps(body, indent=2)


@output_format("markdown")
def to_markdown(decision: Decision) -> str:
    return _env(False).get_template("decision.md.j2").render(d=decision)


@output_format("html")
def to_html(decision: Decision) -> str:
    return _env(True).get_template("decision.html.j2").render(d=decision)


@output_format("junit")
def to_junit(decision: Decision) -> str:
    """One test case per principle: PASS passes, WARN is skipped with its reasons, BLOCK and
    NOT MEASURED fail (a CI dashboard never shows a principle nothing measured as green)."""
    failed = {Status.BLOCK, Status.NOT_MEASURED}
    suite = ET.Element(
        "testsuite",
        name="safetyloop-gate",
        tests=str(len(decision.principles)),
        failures=str(sum(p.status in failed for p in decision.principles)),
        skipped=str(sum(p.status == Status.WARN for p in decision.principles)),
        timestamp=decision.decided_at.isoformat(),
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", name="run_id", value=decision.run_id)
    ET.SubElement(props, "property", name="decision", value=decision.decision.value)
    for key, value in decision.lineage.items():
        ET.SubElement(props, "property", name=key, value=json.dumps(value, sort_keys=True))
    for p in decision.principles:
        case = ET.SubElement(suite, "testcase", classname=f"safetyloop.{p.id}", name=p.name)
        text = "\n".join(f"[{f.status}] {f.principle}/{f.rule}: {f.message}" for f in p.findings)
        notes = [f"[note] {c.metric}: {a.note}" for c in p.criteria for a in c.adjustments]
        text = "\n".join([text, *notes]) if notes else text
        if p.status in failed:
            failure = ET.SubElement(
                case, "failure", message=f"{p.id} {p.status}", type=p.status.value
            )
            failure.text = text
        elif p.status == Status.WARN:
            reasons = [f for f in p.findings if f.status == Status.WARN]
            skipped = ET.SubElement(
                case,
                "skipped",
                message=f"{p.id} WARN: " + "; ".join(f"{f.rule}: {f.message}" for f in reasons),
            )
            skipped.text = text
        ET.SubElement(case, "system-out").text = f"{p.status}\n{text}"
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)
