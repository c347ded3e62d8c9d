"""Hostile input files and the commands that read them, shared by the fuzz test and its bench.

`hostile_inputs()` is a Hypothesis strategy of (command arguments, file suffix, file bytes):
values shaped like suites, constitutions, incidents and label files, serialised as YAML, JSONL,
CSV or JSON, then damaged (truncated, deepened, alias-bombed, undecodable, ...). `HAND_WRITTEN`
holds the cases issue 20 found by hand. `run_case` runs one through `main()` in process, bounded
in time, and says how it ended; a case passes when it exits 0 (the file happened to be valid)
or 2 with `file:line` in its message.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from tests.cli.invoking import Invoked

_TRAFFIC = (
    "incident",
    "blast-radius",
    "inc-none",
    "--target",
    "openai:m@http://127.0.0.1:9/v1",  # never reached: the traffic log is read first
    "--traffic",
    "{f}",
    "--store",
    "{store}",
)
# Per suffix, the commands that read such a file; `{f}` is the file, `{store}` a scratch store.
COMMANDS: dict[str, tuple[tuple[str, ...], ...]] = {
    ".yaml": (
        ("validate", "{f}"),
        ("suites", "show", "{f}"),
        ("plan", "-c", "{f}"),
        ("incident", "add", "{f}", "--store", "{store}"),
    ),
    ".jsonl": (("validate", "{f}"), ("suites", "show", "{f}"), _TRAFFIC),
    ".csv": (
        ("validate", "{f}"),
        ("suites", "show", "{f}"),
        ("calibrate", "--scorer", "refusal", "--labels", "{f}", "--store", "{store}"),
        ("calibrate", "--scorer", "refusal", "--predictions", "{f}", "--store", "{store}"),
    ),
    ".json": (("incident", "add", "{f}", "--store", "{store}"),),
}

# Keys of the real schemas, so generated files get past the first checks now and then.
_KEYS = (
    "id",
    "prompt",
    "messages",
    "role",
    "content",
    "expected",
    "category",
    "metadata",
    "name",
    "version",
    "principles",
    "criteria",
    "metric",
    "threshold",
    "suites",
    "targets",
    "kind",
    "model",
    "date",
    "title",
    "severity",
    "response",
    "label",
    "<<",
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(["refuse", "comply", "user", "2026-13-45", "2026-01-02", "critical", "*a"]),
    st.text(max_size=12),
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(_KEYS), st.text(max_size=6)), inner, max_size=5),
    ),
    max_leaves=24,
)


_MESSAGES = st.lists(
    st.fixed_dictionaries(
        {"role": st.sampled_from(["user", "assistant", "system", "bot"]), "content": _SCALARS}
    ),
    max_size=3,
)
# Records shaped like suite cases, so that some files are valid and the rest fail past parsing.
_CASES = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text(min_size=1, max_size=8),
            "prompt": st.text(max_size=30),
            "expected": st.sampled_from(["refuse", "comply"]),
        },
        optional={
            "messages": _MESSAGES,
            "category": _SCALARS,
            "metadata": _VALUES,
        },
    ),
    min_size=1,
    max_size=5,
)


@dataclass(frozen=True)
class HostileFile:
    """One input: the command that reads it (with `{f}`, `{store}` slots) and the file."""

    name: str
    args: tuple[str, ...]
    suffix: str
    content: bytes


def _serialise(value: Any, suffix: str) -> str:
    if suffix == ".yaml":
        return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)
    if suffix == ".json":
        return json.dumps(value)
    rows = value if isinstance(value, list) else [value]
    if suffix == ".jsonl":
        return "".join(json.dumps(row) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.writer(out)
    if rows and all(
        isinstance(row, dict) for row in rows
    ):  # a header, then cells (JSON if not text)
        header = list(dict.fromkeys(key for row in rows for key in row))
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(row.get(key, "")) for key in header])
        return out.getvalue()
    for row in rows:
        writer.writerow(row if isinstance(row, list) else [row])
    return out.getvalue()


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _deep(depth: int, suffix: str) -> str:
    if suffix == ".csv":
        return 'id,messages,expected\na,"' + "[" * depth + "]" * depth + '",refuse\n'
    if suffix == ".jsonl":
        inner = "[" * depth + "]" * depth
        return f'{{"id": "a", "prompt": "p", "expected": "refuse", "metadata": {inner}}}\n'
    if suffix == ".json":
        return '{"title": ' + "[" * depth + "]" * depth + "}"
    return "name: x\nmetadata: " + "[" * depth + "]" * depth + "\n"


def _bomb(fanout: int, levels: int) -> str:
    lines = [f"- &l0 [{', '.join(['x'] * fanout)}]"]
    for level in range(1, levels):
        lines.append(f"- &l{level} [{', '.join([f'*l{level - 1}'] * fanout)}]")
    return "\n".join(lines) + "\n"


@st.composite
def hostile_inputs(draw: st.DrawFn) -> HostileFile:
    """A generated file, damaged one way or another, and a command that reads it."""
    suffix = draw(st.sampled_from(sorted(COMMANDS)))
    args = draw(st.sampled_from(COMMANDS[suffix]))
    damage = draw(
        st.sampled_from(
            ["none"] * 4  # undamaged, a quarter of the time: some are valid, most fail later
            + ["truncate", "bytes", "deep", "bomb", "bad_utf8", "control", "bigint", "binary"]
        )
    )
    text = _serialise(draw(st.one_of(_VALUES, _CASES)), suffix)
    data = text.encode("utf-8")
    if damage == "truncate" and data:
        data = data[: draw(st.integers(0, len(data) - 1))]
    elif damage == "bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
    elif damage == "deep":
        data = _deep(draw(st.integers(60, 3000)), suffix).encode()
    elif damage == "bomb":
        data = _bomb(draw(st.integers(2, 12)), draw(st.integers(2, 12))).encode()
    elif damage == "bad_utf8":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xe2\x82", b"\x80"]))
    elif damage == "control":
        data = data + b"\nname: 'a\x01\x07b'\n"
    elif damage == "bigint":
        data = b'[{"id": "a", "prompt": "p", "expected": "refuse", "n": ' + b"9" * 5000 + b"}]\n"
    elif damage == "binary":
        data = draw(st.binary(min_size=1, max_size=256))
    return HostileFile(f"generated-{damage}", args, suffix, data)


_SUITE = ("suites", "show", "{f}")
_CONSTITUTION = ("plan", "-c", "{f}")
_INCIDENT = ("incident", "add", "{f}", "--store", "{store}")
_LABELS = ("calibrate", "--scorer", "refusal", "--labels", "{f}", "--store", "{store}")
_PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + bytes(range(256))

#: The hostile files issue 20 found by hand (each was a traceback or a hang).
HAND_WRITTEN: tuple[HostileFile, ...] = (
    HostileFile("deep constitution", _CONSTITUTION, ".yaml", _deep(20_000, ".yaml").encode()),
    HostileFile("deep suite yaml", _SUITE, ".yaml", ("- " * 5000 + "x\n").encode()),
    HostileFile("deep suite jsonl", _SUITE, ".jsonl", _deep(100_000, ".jsonl").encode()),
    HostileFile("deep incident", _INCIDENT, ".yaml", _deep(20_000, ".yaml").encode()),
    HostileFile("deep incident json", _INCIDENT, ".json", _deep(100_000, ".json").encode()),
    HostileFile("deep traffic log", _TRAFFIC, ".jsonl", _deep(100_000, ".jsonl").encode()),
    HostileFile("binary traffic log", _TRAFFIC, ".jsonl", _PNG),
    HostileFile("deep csv messages", ("validate", "{f}"), ".csv", _deep(100_000, ".csv").encode()),
    HostileFile("date in constitution", _CONSTITUTION, ".yaml", b"name: 2026-13-45\n"),
    HostileFile("date in suite", _SUITE, ".yaml", b"- id: 2026-13-45\n  prompt: p\n"),
    HostileFile("date in incident", _INCIDENT, ".yaml", b"title: t\ndate: 2026-13-45\n"),
    HostileFile(
        "date in targets", ("validate", "{f}"), ".yaml", b"targets:\n  a: {kind: 2026-13-45}\n"
    ),
    HostileFile(
        "csv messages object",
        _SUITE,
        ".csv",
        b'id,messages,expected\na,"{""role"": ""user""}",refuse\n',
    ),
    HostileFile(
        "csv messages number", ("validate", "{f}"), ".csv", b"id,messages,expected\na,7,x\n"
    ),
    HostileFile("binary labels", _LABELS, ".csv", _PNG),
    HostileFile("binary suite", _SUITE, ".jsonl", _PNG),
    HostileFile("binary constitution", _CONSTITUTION, ".yaml", _PNG),
    HostileFile("alias bomb validate", ("validate", "{f}"), ".yaml", _bomb(9, 10).encode()),
    HostileFile("alias bomb show", _SUITE, ".yaml", _bomb(9, 10).encode()),
    HostileFile("self alias", _SUITE, ".yaml", b"- &a [1, *a]\n"),
    HostileFile(
        "latin-1 suite", _SUITE, ".csv", "id,prompt,expected\na,café,refuse\n".encode("latin-1")
    ),
    HostileFile("latin-1 yaml", _CONSTITUTION, ".yaml", "name: café\n".encode("latin-1")),
    HostileFile("utf-16 jsonl", _SUITE, ".jsonl", '{"id": "a"}\n'.encode("utf-16")),
    HostileFile("control char", _CONSTITUTION, ".yaml", b"name: '\x00'\n"),
    HostileFile("bad int tag", _SUITE, ".yaml", b"- id: !!int nope\n"),
    HostileFile("python tag", _SUITE, ".yaml", b"- !!python/object:os.system {}\n"),
)

#: Hostile arguments: exit 2 with one line, no traceback.
HOSTILE_ARGS: tuple[tuple[str, ...], ...] = (
    ("runs", "list", "--store", "notaurl"),
    ("run", "--sample", "0"),
    ("runs", "list", "--store", "postgresql+nodriver://u@h/db"),
)


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so no `except Exception` in the code swallows it."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (SIGALRM; Linux and macOS)."""

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass(frozen=True)
class Outcome:
    """How one case ended: `ok` (exit 0), `located` (exit 2, file:line), `unlocated` (exit 2
    without it), `exit` (another code), `traceback` or `hang`."""

    kind: str
    detail: str


def run_case(
    run: Callable[..., Invoked], args: tuple[str, ...], file: Path | None, seconds: float
) -> Outcome:
    """One command through `run` (the `invoke` fixture or `invoke_once`), bounded in time."""
    store = f"sqlite:///{(file or Path('.')).parent / 'fuzz.db'}"
    argv = [part.format(f=file, store=store) for part in args]
    try:
        with time_bound(seconds):
            result = run(*argv)
    except Hang:
        return Outcome("hang", " ".join(argv))
    except Exception as exc:  # what a user would see as a traceback
        return Outcome("traceback", f"{' '.join(argv)}: {type(exc).__name__}: {exc}"[:500])
    text = " ".join(f"{result.out} {result.err}".split())
    if "Traceback" in text:
        return Outcome("traceback", text[-500:])
    if result.code == 0:
        return Outcome("ok", "")
    if result.code != 2:
        return Outcome("exit", f"{' '.join(argv)} → {result.code}: {text[:300]}")
    if file is None or re.search(re.escape(str(file)) + r":\d+", text):
        return Outcome("located", "")
    return Outcome("unlocated", f"{' '.join(argv)}: {text[:300]}")
