"""The audit log: the chain, every kind of tampering on SQLite and PostgreSQL, concurrent
appends, the CLI end to end, and the entries that runs and gates write.

PostgreSQL tests use the server on 127.0.0.1:5432 (trust auth) with a database of their own,
dropped afterwards; they are skipped, with the reason, only when no server answers.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from tests.cli.invoking import invoke_once
from tests.constitutions import write_one_principle
from tests.governance.govhelpers import MIN_SAMPLES

from safetyloop.api import RunRequest, gate, run
from safetyloop.errors import StorageError
from safetyloop.governance import (
    GENESIS_HASH,
    AuditEntry,
    FixedClock,
    SystemClock,
    chain_entry,
    current_actor,
    verify,
)
from safetyloop.governance.audit import export_audit, read_export, verify_audit
from safetyloop.store import Store, _audit

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


# fixtures ---------------------------------------------------------------------------------
@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


def _fill(url: str, n: int = 5) -> list[AuditEntry]:
    clock = FixedClock(T0)
    with Store(url) as store:
        for i in range(1, n + 1):
            store.append_audit("alice", "run.started", {"run_id": f"r{i}", "n": i}, clock)
            clock.advance(timedelta(minutes=1, microseconds=7))
        return store.audit_entries()


def _sql(url: str, statement: str, **params: Any) -> None:
    engine: Engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _json_param(url: str) -> str:
    """A JSON bind: PostgreSQL needs the cast; SQLite would turn `CAST(... AS JSON)` into 0."""
    return "CAST(:payload AS JSON)" if url.startswith("postgresql") else ":payload"


def _broken_at(url: str) -> tuple[int | None, str]:
    result = verify_audit(store_url=url)
    assert not result.ok
    return result.first_bad_seq, result.reason or ""


# the chain, pure --------------------------------------------------------------------------
def test_a_chain_builds_and_verifies() -> None:
    first = chain_entry(None, "alice", "run.started", {"run_id": "a"}, T0)
    second = chain_entry(first, "bob", "gate.decided", {"run_id": "a"}, T0 + timedelta(hours=1))
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.entry_hash)
    assert verify([first, second]).model_dump() == {
        "ok": True,
        "count": 2,
        "first_bad_seq": None,
        "reason": None,
        "head_hash": second.entry_hash,
    }
    assert verify([]).ok and verify([]).head_hash == GENESIS_HASH


def test_any_edited_field_breaks_its_entry() -> None:
    entries = [chain_entry(None, "alice", "run.started", {"x": 1}, T0)]
    for i in range(2, 5):
        entries.append(chain_entry(entries[-1], "alice", "run.started", {"x": i}, T0))
    for change in (
        {"actor": "mallory"},
        {"action": "run.finished"},
        {"at": T0 + timedelta(seconds=1)},
        {"payload_hash": "f" * 64},
    ):
        forged = [*entries[:2], entries[2].model_copy(update=change), *entries[3:]]
        result = verify(forged)
        assert (result.ok, result.first_bad_seq) == (False, 3), change
        assert "modified" in (result.reason or "")


def test_a_reordered_list_is_named_as_reordered() -> None:
    entries = [chain_entry(None, "a", "x", {"i": 0}, T0)]
    for i in range(1, 4):
        entries.append(chain_entry(entries[-1], "a", "x", {"i": i}, T0))
    result = verify([entries[0], entries[2], entries[1], entries[3]])
    assert result.first_bad_seq == 3 and "reordered" in (result.reason or "")


def test_clocks_are_utc_and_a_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(T0)
    assert clock.now() == T0
    assert clock.advance(timedelta(days=2)) == T0 + timedelta(days=2)
    clock.set(datetime(2031, 1, 1, 13, tzinfo=UTC))
    assert clock.now().year == 2031
    assert SystemClock().now().tzinfo is not None
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2030, 1, 1))


def test_the_actor_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYLOOP_ACTOR", "carol")
    assert current_actor() == "carol"
    monkeypatch.delenv("SAFETYLOOP_ACTOR")
    assert current_actor()  # the OS user (or "unknown")


# tampering, on both databases ---------------------------------------------------------------
def test_a_stored_chain_round_trips_and_verifies(db_url: str) -> None:
    entries = _fill(db_url)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[1].at == T0 + timedelta(minutes=1, microseconds=7)
    result = verify_audit(store_url=db_url)
    assert (result.ok, result.count, result.head_hash) == (True, 5, entries[-1].entry_hash)


def test_an_edited_payload_is_caught(db_url: str) -> None:
    _fill(db_url)
    _sql(
        db_url,
        f"UPDATE audit_log SET payload = {_json_param(db_url)} WHERE seq = 3",
        payload=json.dumps({"run_id": "forged", "n": 3}),
    )
    seq, reason = _broken_at(db_url)
    assert seq == 3 and "payload" in reason


def test_an_edited_actor_is_caught(db_url: str) -> None:
    _fill(db_url)
    _sql(db_url, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 4")
    seq, reason = _broken_at(db_url)
    assert seq == 4 and "modified entry" in reason


def test_a_deleted_entry_is_caught(db_url: str) -> None:
    _fill(db_url)
    _sql(db_url, "DELETE FROM audit_log WHERE seq = 3")
    seq, reason = _broken_at(db_url)
    assert seq == 3 and "deleted" in reason


def test_a_forged_row_appended_is_caught(db_url: str) -> None:
    entries = _fill(db_url)
    _sql(
        db_url,
        "INSERT INTO audit_log (seq, actor, at, action, payload, payload_hash, prev_hash, "
        f"entry_hash) VALUES (6, 'mallory', :at, 'gate.decided', {_json_param(db_url)}, "
        ":ph, :prev, :eh)",
        at=T0 + timedelta(hours=1),
        payload=json.dumps({}),
        ph=chain_entry(None, "m", "x", {}, T0).payload_hash,
        prev=entries[-1].entry_hash,
        eh="e" * 64,
    )
    seq, reason = _broken_at(db_url)
    assert seq == 6 and "modified entry" in reason


def test_a_consistent_forgery_inserted_mid_chain_breaks_the_next_entry(db_url: str) -> None:
    """A forger who knows the algorithm can make one self-consistent entry; the entry that had
    to be renumbered to make room for it then fails."""
    entries = _fill(db_url)
    _sql(db_url, "UPDATE audit_log SET seq = -seq WHERE seq >= 3")
    _sql(db_url, "UPDATE audit_log SET seq = 1 - seq WHERE seq < 0")
    forged = chain_entry(entries[1], "mallory", "gate.decided", {"decision": "PASS"}, T0)
    _sql(
        db_url,
        "INSERT INTO audit_log (seq, actor, at, action, payload, payload_hash, prev_hash, "
        f"entry_hash) VALUES (:seq, :actor, :at, :action, {_json_param(db_url)}, :ph, :prev, :eh)",
        seq=forged.seq,
        actor=forged.actor,
        at=forged.at,
        action=forged.action,
        payload=json.dumps(forged.payload),
        ph=forged.payload_hash,
        prev=forged.prev_hash,
        eh=forged.entry_hash,
    )
    seq, reason = _broken_at(db_url)
    assert seq == 4 and "modified entry" in reason


def test_two_swapped_rows_are_caught(db_url: str) -> None:
    entries = _fill(db_url)
    columns = "actor = :actor, at = :at, action = :action, payload_hash = :payload_hash, "
    columns += f"prev_hash = :prev_hash, entry_hash = :entry_hash, payload = {_json_param(db_url)}"
    for seq, other in ((2, entries[2]), (3, entries[1])):
        _sql(
            db_url,
            f"UPDATE audit_log SET {columns} WHERE seq = :seq",
            seq=seq,
            actor=other.actor,
            at=other.at,
            action=other.action,
            payload_hash=other.payload_hash,
            prev_hash=other.prev_hash,
            entry_hash=other.entry_hash,
            payload=json.dumps(other.payload),
        )
    seq, _ = _broken_at(db_url)
    assert seq == 2


# concurrency ------------------------------------------------------------------------------
def _race(url: str, writers: int, each: int) -> list[AuditEntry]:
    stores = [Store(url) for _ in range(writers)]  # migrate first, one at a time
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(store: Store, who: str) -> None:
        try:
            start.wait()
            for i in range(each):
                store.append_audit(who, "review.approved", {"i": i}, SystemClock())
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, f"writer{n}")) for n, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for s in stores:
        s.close()
    assert not errors, errors
    with Store(url) as store:
        return store.audit_entries()


def test_concurrent_appends_on_postgresql_make_one_valid_chain(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_audit, "AUDIT_ATTEMPTS", 1)  # the lock, not a retry, must do it
    entries = _race(pg_url, writers=2, each=50)
    assert [e.seq for e in entries] == list(range(1, 101))
    assert verify(entries).ok
    assert {e.actor for e in entries} == {"writer0", "writer1"}


def test_concurrent_appends_on_sqlite_make_one_valid_chain(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_audit, "AUDIT_ATTEMPTS", 1)
    entries = _race(f"sqlite:///{tmp_path / 'race.db'}", writers=2, each=25)
    assert [e.seq for e in entries] == list(range(1, 51))
    assert verify(entries).ok


# the CLI, end to end ----------------------------------------------------------------------
def test_audit_verify_and_export_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    entries = _fill(url, n=3)

    done = invoke_once("audit", "verify", "--store", url, cwd=tmp_path)
    assert done.code == 0, done.err
    assert "3 entries" in done.out

    bundle = tmp_path / "audit.jsonl"
    done = invoke_once(
        "audit", "export", str(bundle), "--as", "auditor", "--store", url, cwd=tmp_path
    )
    assert done.code == 0, done.err
    lines = [json.loads(line) for line in bundle.read_text(encoding="utf-8").splitlines()]
    assert [line["kind"] for line in lines] == ["entry"] * 3 + ["signoff"]
    signoff = lines[-1]
    assert (signoff["exporter"], signoff["count"]) == ("auditor", 3)
    assert signoff["head_hash"] == entries[-1].entry_hash
    exported, _ = read_export(bundle)
    assert exported == entries and verify(exported).ok  # the bundle verifies on its own

    _sql(url, "UPDATE audit_log SET payload = :payload WHERE seq = 2", payload='{"n": 99}')
    done = invoke_once("audit", "verify", "--store", url, cwd=tmp_path)
    assert done.code == 1
    assert "entry 2" in done.err and "payload" in done.err
    done = invoke_once("audit", "export", str(tmp_path / "x.jsonl"), "--store", url, cwd=tmp_path)
    assert done.code == 1 and "refusing to sign it off" in " ".join(done.err.split())


def test_export_writes_into_a_missing_folder_only_with_mkdir(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _fill(url, n=1)
    bundle = tmp_path / "exports" / "audit.jsonl"
    export = ["audit", "export", str(bundle), "--store", url]
    refused = invoke_once(*export, cwd=tmp_path)
    assert refused.code == 2 and "pass --mkdir" in refused.err
    assert not bundle.parent.exists()
    assert invoke_once(*export, "--mkdir", cwd=tmp_path).code == 0 and bundle.is_file()


def test_export_refuses_a_broken_chain_from_python(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    _fill(url, n=2)
    _sql(url, "DELETE FROM audit_log WHERE seq = 1")
    with pytest.raises(StorageError, match="entry 1 is missing"):
        export_audit(tmp_path / "out.jsonl", store_url=url)


# runs and gates write their entries -----------------------------------------------------------


def test_a_run_and_its_gate_are_audited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFETYLOOP_ACTOR", "release-bot")
    constitution = write_one_principle(tmp_path, "audit-check", min_samples=MIN_SAMPLES)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    clock = FixedClock(T0)
    info = run(
        RunRequest(
            target="python:tests.cli.cli_doubles:simulated_complier",
            constitution=constitution,
            sample=3,
            store_url=url,
        ),
        clock=clock,
    )
    clock.advance(timedelta(minutes=5))
    decision = gate(info.id, store_url=url, clock=clock)
    with Store(url) as store:
        chained = store.audit_entries()
    # every result, score and gate decision is digested into the chain as it is written
    covering = [e.action for e in chained if e.actor == "safetyloop-store"]
    assert covering == ["result.recorded"] * 3 + ["score.recorded"] * 3 + ["decision.recorded"]
    assert verify_audit(store_url=url).rows == 3 + 3 + 1
    entries = [e for e in chained if e.actor != "safetyloop-store"]
    assert [e.action for e in entries] == ["run.started", "run.finished", "gate.decided"]
    assert {e.actor for e in entries} == {"release-bot"}
    assert [e.at for e in entries] == [T0, T0, T0 + timedelta(minutes=5)]
    run_payload = {
        "run_id": info.id,
        "plan_hash": info.plan_hash,
        "target_version": info.target_version,
        "constitution_hash": info.constitution_hash,
    }
    assert entries[0].payload == entries[1].payload == run_payload
    assert entries[2].payload == {
        "run_id": info.id,
        "decision": decision.decision.value,
        "constitution_hash": info.constitution_hash,
    }
    assert verify(chained).ok
