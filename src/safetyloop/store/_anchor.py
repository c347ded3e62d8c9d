"""Where the audit chain is anchored outside the database: a key, and a witness file.

A hash chain kept in the same database as the rows it protects cannot see its own end cut off,
nor a forger who recomputes every hash. Two anchors close that gap, each optional:

- `SAFETYLOOP_AUDIT_KEY`: entries and the chain head are signed (HMAC-SHA256) as they are
  written; without the key nobody can sign a forged, rehashed or shortened chain.
- `SAFETYLOOP_AUDIT_WITNESS`: after each commit that appends, the new head (seq, hash) is
  appended to this file, which the operator keeps outside the database's reach; the chain must
  still contain every head the witness saw.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

from safetyloop.audit_chain import time_text
from safetyloop.errors import StorageError

#: Environment variable holding the key that signs entries and the head.
AUDIT_KEY_ENV = "SAFETYLOOP_AUDIT_KEY"
#: Environment variable naming the append-only witness file of chain heads.
AUDIT_WITNESS_ENV = "SAFETYLOOP_AUDIT_WITNESS"


@dataclass(frozen=True)
class Anchors:
    """The anchors a store writes to and a verification checks against (either may be absent)."""

    key: bytes | None = None
    witness: Path | None = None

    @classmethod
    def from_env(cls, witness: Path | None = None) -> Self:
        """The key from SAFETYLOOP_AUDIT_KEY; the witness given, else SAFETYLOOP_AUDIT_WITNESS."""
        key = os.environ.get(AUDIT_KEY_ENV, "")
        named = witness or (
            Path(os.environ[AUDIT_WITNESS_ENV]) if os.environ.get(AUDIT_WITNESS_ENV) else None
        )
        return cls(key=key.encode("utf-8") if key else None, witness=named)

    @property
    def names(self) -> list[str]:
        """Which anchors are present, for reports."""
        return [n for n, v in (("key", self.key), ("witness", self.witness)) if v is not None]


@dataclass(frozen=True)
class WitnessMark:
    """One line of the witness file: the chain's head after a commit."""

    seq: int
    head_hash: str
    line: int


def append_witness(path: Path, seq: int, head_hash: str, at: datetime) -> None:
    """Append the head as one JSON line (one `write` in append mode: lines never interleave)."""
    line = json.dumps({"seq": seq, "head_hash": head_hash, "at": time_text(at)}) + "\n"
    try:
        with path.open("a", encoding="utf-8") as out:
            out.write(line)
    except OSError as exc:
        raise StorageError(
            f"cannot append to the audit witness {path}: {exc.strerror}",
            hint=f"check {AUDIT_WITNESS_ENV} names a writable file in an existing folder",
        ) from exc


def read_witness(path: Path) -> list[WitnessMark]:
    """Every head the witness recorded; a missing or garbled witness is itself an error."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StorageError(
            f"cannot read the audit witness {path}: {exc}",
            hint=f"give the witness file the store appended to (--witness or {AUDIT_WITNESS_ENV})",
        ) from exc
    marks = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            marks.append(WitnessMark(int(row["seq"]), str(row["head_hash"]), number))
        except (ValueError, KeyError, TypeError) as exc:
            raise StorageError(
                f"{path}:{number}: not a witness line ({exc})",
                hint="the witness must hold one JSON head per line, as the store writes it",
            ) from exc
    return marks
