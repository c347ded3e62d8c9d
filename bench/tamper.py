"""Tampering with the audit record, measured (issue 20's goal: 100% of single- and multi-row
changes detected).

    python bench/tamper.py

Each change of `tests/tampering.py` (edit, delete, delete the last, insert, forge with
recomputed hashes, forged append, reorder, truncate; on results, scores, gate decisions, review
signatures and the audit entries; and a wiped record) is made with plain SQL on a fresh SQLite
store filled through the product, then `verify_audit` runs with the key and the witness, with
each alone, and with neither. Prints how many each caught.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.tampering import KEY, TAMPERS, Tamper, build  # noqa: E402

from safetyloop.governance.audit import verify_audit  # noqa: E402
from safetyloop.store import AUDIT_KEY_ENV, AUDIT_WITNESS_ENV  # noqa: E402

MODES = {
    "key and witness": (True, True),
    "key alone": (True, False),
    "witness alone": (False, True),
    "unanchored": (False, False),
}


def _caught(tamper: Tamper, key: bool, witness: bool) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'audit.db'}"
        built = build(url, Path(folder) / "witness.jsonl")
        tamper.apply(url, tamper.kind)
        if key:
            os.environ[AUDIT_KEY_ENV] = KEY.decode()
        try:
            report = verify_audit(url, witness=built.witness if witness else None)
        finally:
            os.environ.pop(AUDIT_KEY_ENV, None)
        return not report.ok


def main() -> None:
    os.environ.pop(AUDIT_KEY_ENV, None)
    os.environ.pop(AUDIT_WITNESS_ENV, None)
    single = [t for t in TAMPERS if not t.multi]
    multi = [t for t in TAMPERS if t.multi]
    for mode, (key, witness) in MODES.items():
        missed = [t.id for t in TAMPERS if not _caught(t, key, witness)]
        caught = len(TAMPERS) - len(missed)
        line = (
            f"tamper ({mode}): {caught} of {len(TAMPERS)} single- and multi-row changes detected "
            f"({len(single)} single-row, {len(multi)} multi-row)"
        )
        print(line + (f"; missed: {', '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
