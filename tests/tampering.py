"""Every way of tampering with the audit record, on every row kind the chain covers; shared by
`tests/governance/test_audit_tamper.py` and `bench/tamper.py`.

A store is filled through the product (a run's results and scores, gate decisions, a review with
two signatures), then changed behind its back with plain SQL, as someone with write access to
the database would: single rows edited, deleted, inserted; and multi-row forgeries that recompute
every hash after the change (which only the key and the witness can catch).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, delete, select, update
from sqlalchemy.engine import Connection

from safetyloop.audit_chain import AuditEntry, chain_entry
from safetyloop.engine import CaseResult
from safetyloop.governance import FixedClock
from safetyloop.governance._policy import load_policy
from safetyloop.governance.audit import record
from safetyloop.governance.reviews import Proposal, decide, queue
from safetyloop.scoring import Score
from safetyloop.store import Anchors, NewRun, Store
from safetyloop.store._governance_schema import ReviewSignatureRow
from safetyloop.store._schema import AuditHeadRow, AuditRow, GateDecisionRow, ResultRow, ScoreRow
from safetyloop.store.governance import governed

KEY = b"tamper-test-key"
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
#: Row kind → its table; "entry" is the audit log itself.
TABLES: dict[str, Table] = {
    "result": ResultRow.__table__,  # type: ignore[dict-item]
    "score": ScoreRow.__table__,  # type: ignore[dict-item]
    "decision": GateDecisionRow.__table__,  # type: ignore[dict-item]
    "signature": ReviewSignatureRow.__table__,  # type: ignore[dict-item]
    "entry": AuditRow.__table__,  # type: ignore[dict-item]
}
#: How verification names a row of each kind.
NOUN = {
    "result": "result",
    "score": "score",
    "decision": "gate decision",
    "signature": "review signature",
    "entry": "entry",
}
#: A content column to forge, per kind, and the forged value.
EDIT = {
    "result": ("response", "forged answer"),
    "score": ("confidence", 0.123),
    "decision": ("decision", "PASS"),
    "signature": ("reason", "forged reason"),
    "entry": ("actor", "mallory"),
}


@dataclass(frozen=True)
class Built:
    """A filled store and its anchors."""

    url: str
    witness: Path

    @property
    def anchors(self) -> Anchors:
        return Anchors(KEY, self.witness)


def build(url: str, witness: Path) -> Built:
    """A run with 4 results and 4 scores, 2 gate decisions, a review signed twice; all anchored."""
    clock = FixedClock(T0)
    with Store(url, anchors=Anchors(KEY, witness)) as store:
        run = store.create_run(
            NewRun(
                plan_hash="plan",
                target_name="bot",
                target_version="v1",
                constitution_hash="c",
                scorer_versions={"refusal": "r1"},
                suite_versions={},
                lineage={},
            ),
            [],
        )
        record(store, "run.started", {"run_id": run.id}, actor="alice", clock=clock)
        keys = [f"case/{i}" for i in range(4)]
        for k in keys:
            store.record_result(run.id, CaseResult(case_key=k, status="ok", response=f"a {k}"))
        verdicts = {k: Score(label="refused", confidence=0.9, explanation="ok") for k in keys}
        store.record_scores(run.id, "refusal", "r1", verdicts)
        for decision in ("BLOCK", "WARN"):
            store.record_gate_decision(run.id, decision, {"run_id": run.id, "why": decision})
        with governed(store) as tx:
            item = queue(
                tx,
                Proposal(rule="critical-warn", subject="s", summary="why", run_id=run.id),
                actor="gate-bot",
                policy=load_policy(),
                clock=clock,
            )
        assert item is not None
        for who, roles in (("rita", ["reviewer"]), ("sam", ["safety-lead"])):
            decide(
                store, item.id, actor=who, roles=roles, verdict="approve", reason="ok", clock=clock
            )
        record(store, "run.finished", {"run_id": run.id}, actor="alice", clock=clock)
    return Built(url, witness)


# plain-SQL access, as a tamperer has it ---------------------------------------------------------
def _sql(url: str, change: Callable[[Connection], None]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            change(connection)
    finally:
        engine.dispose()


def _pk(kind: str) -> Any:
    table = TABLES[kind]
    return table.c.seq if kind == "entry" else table.c.id


def _ids(url: str, kind: str) -> list[int]:
    out: list[int] = []
    _sql(url, lambda c: out.extend(c.scalars(select(_pk(kind)).order_by(_pk(kind)))))
    return out


def _row(url: str, kind: str, pk: int) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    _sql(
        url,
        lambda c: out.append(
            dict(c.execute(select(TABLES[kind]).where(_pk(kind) == pk)).mappings().one())
        ),
    )
    return out[0]


def _entries(url: str) -> list[AuditEntry]:
    with Store(url, anchors=Anchors()) as store:
        return store.audit_entries()


def _digest(url: str, kind: str, pk: int) -> str:
    with Store(url, anchors=Anchors()) as store:
        return next(r.digest for r in store.covered_rows() if (r.kind, r.id) == (kind, pk))


def _covering(entries: list[AuditEntry], kind: str, pk: int) -> int:
    """Index of the entry covering row (kind, pk)."""
    return next(
        i for i, e in enumerate(entries) if e.payload.get("row") == kind and e.payload["id"] == pk
    )


def _rewrite(url: str, entries: list[AuditEntry], start: int) -> None:
    """What a forger who knows the algorithm does: recompute every hash from `start` on, keep the
    signatures already stored (it cannot make new ones), point the head at the new end."""
    stale = {e.seq: e.mac for e in _entries(url)}
    chained = list(entries[:start])
    for e in entries[start:]:
        forged = chain_entry(chained[-1] if chained else None, e.actor, e.action, e.payload, e.at)
        chained.append(forged.model_copy(update={"mac": stale.get(forged.seq)}))
    head_table = AuditHeadRow.__table__

    def write(c: Connection) -> None:
        c.execute(delete(TABLES["entry"]))
        if chained:
            c.execute(TABLES["entry"].insert(), [e.model_dump() for e in chained])
            c.execute(
                update(head_table).values(seq=chained[-1].seq, head_hash=chained[-1].entry_hash)
            )
        else:
            c.execute(delete(head_table))

    _sql(url, write)


# the tampering -----------------------------------------------------------------------------------
def edit(url: str, kind: str) -> None:
    column, value = EDIT[kind]
    middle = _ids(url, kind)[1]
    _sql(
        url,
        lambda c: c.execute(
            update(TABLES[kind]).where(_pk(kind) == middle).values({column: value})
        ),
    )


def delete_middle(url: str, kind: str) -> None:
    middle = _ids(url, kind)[1]
    _sql(url, lambda c: c.execute(delete(TABLES[kind]).where(_pk(kind) == middle)))


def delete_last(url: str, kind: str) -> None:
    last = _ids(url, kind)[-1]
    _sql(url, lambda c: c.execute(delete(TABLES[kind]).where(_pk(kind) == last)))


def insert(url: str, kind: str) -> None:
    """A row copied under a new id (an entry: a self-consistent one slipped in mid-chain)."""
    if kind == "entry":
        entries = _entries(url)
        forged = chain_entry(entries[1], "mallory", "gate.decided", {"decision": "PASS"}, T0)
        _rewrite_raw(url, [*entries[:2], forged, *entries[2:]])
        return
    row = _row(url, kind, _ids(url, kind)[0])
    row["id"] = max(_ids(url, kind)) + 100
    for unique in ("case_key", "approver"):
        if unique in row:
            row[unique] = f"{row[unique]}-copy"
    _sql(url, lambda c: c.execute(TABLES[kind].insert(), [row]))


def _rewrite_raw(url: str, entries: list[AuditEntry]) -> None:
    """Store entries as given, renumbered in list order but not rehashed."""
    rows = [e.model_copy(update={"seq": i}).model_dump() for i, e in enumerate(entries, start=1)]

    def write(c: Connection) -> None:
        c.execute(delete(TABLES["entry"]))
        c.execute(TABLES["entry"].insert(), rows)

    _sql(url, write)


def forge_rehash(url: str, kind: str) -> None:
    """Edit a row, rewrite the digest that covers it, and rehash the chain from there on."""
    entries = _entries(url)
    if kind == "entry":
        at = 2
        entries[at] = entries[at].model_copy(update={"actor": "mallory"})
    else:
        edit(url, kind)
        middle = _ids(url, kind)[1]
        at = _covering(entries, kind, middle)
        payload = {**entries[at].payload, "digest": _digest(url, kind, middle)}
        entries[at] = entries[at].model_copy(update={"payload": payload})
    _rewrite(url, entries, at)


def forge_append(url: str, kind: str) -> None:
    """Insert a row and append an entry covering it, chained with correct hashes."""
    entries = _entries(url)
    if kind == "entry":
        extra = AuditEntry.model_validate(
            {**entries[-1].model_dump(), "actor": "mallory", "action": "gate.decided"}
        )
    else:
        insert(url, kind)
        new = _ids(url, kind)[-1]
        extra = entries[_covering(entries, kind, _ids(url, kind)[0])]
        payload = {
            **extra.payload,
            "id": new,
            "ref": f"{kind} {new}",
            "digest": _digest(url, kind, new),
        }
        extra = extra.model_copy(update={"payload": payload})
    _rewrite(url, [*entries, extra], len(entries))


def reorder(url: str, kind: str) -> None:
    """Swap the contents of two rows (their ids stay)."""
    first, second = _ids(url, kind)[:2]
    a, b = _row(url, kind, first), _row(url, kind, second)
    pk = "seq" if kind == "entry" else "id"
    unique = [c for c in ("case_key", "approver") if c in a]

    def swap(c: Connection) -> None:
        table = TABLES[kind]
        if unique:  # step aside first: (run, case) and (item, approver) are unique
            c.execute(update(table).where(_pk(kind) == first).values({u: "tmp" for u in unique}))
        c.execute(
            update(table).where(_pk(kind) == second).values({k: v for k, v in a.items() if k != pk})
        )
        c.execute(
            update(table).where(_pk(kind) == first).values({k: v for k, v in b.items() if k != pk})
        )

    _sql(url, swap)


def truncate(url: str, kind: str) -> None:
    """Cut the chain from the entry covering the kind's last row (an entry: the last three),
    delete the rows those entries covered, and point the head at the new end."""
    entries = _entries(url)
    cut = len(entries) - 3 if kind == "entry" else _covering(entries, kind, _ids(url, kind)[-1])
    gone = entries[cut:]

    def drop_rows(c: Connection) -> None:
        for e in gone:
            row_kind = e.payload.get("row")
            if row_kind in TABLES and row_kind != "entry":
                c.execute(delete(TABLES[row_kind]).where(_pk(row_kind) == e.payload["id"]))

    _sql(url, drop_rows)
    _rewrite(url, entries[:cut], cut)


def truncate_all(url: str, _kind: str) -> None:
    """Wipe the record: every covered row, every entry and the head."""

    def wipe(c: Connection) -> None:
        for table in TABLES.values():
            c.execute(delete(table))
        c.execute(delete(AuditHeadRow.__table__))

    _sql(url, wipe)


@dataclass(frozen=True)
class Tamper:
    """One way of tampering with one kind of row."""

    name: str
    kind: str
    apply: Callable[[str, str], None]
    #: Changes more than one row (a forgery that recomputes hashes, a swap, a cut).
    multi: bool
    #: Only a key or a witness can catch it: the unanchored chain is consistent afterwards.
    needs_anchor: bool

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.name}"


_OPS: list[tuple[str, Callable[[str, str], None], bool, bool]] = [
    ("edit", edit, False, False),
    ("delete", delete_middle, False, False),
    ("delete-last", delete_last, False, False),
    ("insert", insert, False, False),
    ("forge-with-rehash", forge_rehash, True, True),
    ("forge-append", forge_append, True, True),
    ("reorder", reorder, True, False),
    ("truncate", truncate, True, True),
]
TAMPERS = [
    Tamper(name, kind, op, multi, needs_anchor or (kind == "entry" and name == "delete-last"))
    for kind in ("result", "score", "decision", "signature", "entry")
    for name, op, multi, needs_anchor in _OPS
] + [Tamper("truncate-all", "all", truncate_all, True, True)]


def entries_json(url: str) -> str:
    """The stored chain as text (debugging a failing case)."""
    return json.dumps([e.model_dump(mode="json") for e in _entries(url)], indent=1)
