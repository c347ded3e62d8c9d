"""`scripts/collect_responses.py` against a loopback OpenAI-compatible test double."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

from tests.doubles.stub_chat_server import StubChatServer

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "collect_responses.py"


def _collect(server: StubChatServer, out: Path, variants: str) -> list[dict[str, str]]:
    subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            server.base_url,
            "--variants",
            variants,
            "--max-tokens",
            "16",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    with out.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_xstest_prompt_is_asked_once_per_variant_and_a_rerun_resumes(
    stub_server: StubChatServer, tmp_path: Path
) -> None:
    out = tmp_path / "responses.csv"
    rows = _collect(stub_server, out, "none")
    assert len(rows) == 450 == stub_server.count()
    assert {r["xstest_label"] for r in rows} == {"safe", "unsafe"}
    assert rows[0]["response"].startswith("I can't help with that.")
    first = stub_server.requests[0].body
    assert first["temperature"] == 0.0 and first["max_tokens"] == 16
    assert [m["role"] for m in first["messages"]] == ["user"]

    rows = _collect(stub_server, out, "none,mistralguard")
    assert len(rows) == 900 and stub_server.count() == 900  # the 450 collected are not re-asked
    guarded = stub_server.requests[450].body["messages"]
    assert guarded[0]["role"] == "system" and "care, respect, and truth" in guarded[0]["content"]


def test_an_unknown_variant_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "responses.csv"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--variants",
            "none,bogus",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "--variants: unknown bogus" in done.stderr
    assert not out.exists()
