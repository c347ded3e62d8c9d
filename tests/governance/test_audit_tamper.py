"""The anchored audit chain catches tampering with every row kind it covers (issue 20, item 3).

Results, scores, gate decisions, review signatures and the audit entries themselves are each
edited, deleted (the last one too), inserted, forged with recomputed hashes, reordered and cut
short, with plain SQL on SQLite and PostgreSQL (`tests/tampering.py`). With the key and the
witness every change is caught and the report names what the first broken link covers; without
them the single-row changes are still caught, and the forgeries that only an anchor can see pass
with the plain warning that the chain is unanchored.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from tests.tampering import KEY, NOUN, TAMPERS, Tamper, build, entries_json

from safetyloop.governance.audit import UNANCHORED, anchor_audit, verify_audit
from safetyloop.store import AUDIT_KEY_ENV, AUDIT_WITNESS_ENV, Anchors, Store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(autouse=True)
def no_anchors_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(AUDIT_KEY_ENV, raising=False)
    monkeypatch.delenv(AUDIT_WITNESS_ENV, raising=False)


def test_an_untouched_record_verifies_with_both_anchors(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build(db_url, tmp_path / "witness.jsonl")
    monkeypatch.setenv(AUDIT_KEY_ENV, KEY.decode())
    report = verify_audit(db_url, witness=built.witness)
    assert report.ok, report.reason
    assert report.anchors == ["key", "witness"] and report.notes == []
    assert report.rows == 4 + 4 + 2 + 2  # results, scores, decisions, signatures
    with Store(db_url, anchors=Anchors()) as store:
        actions = [e.action for e in store.audit_entries()]
    assert actions.count("result.recorded") == 4 and actions.count("score.recorded") == 4
    assert actions.count("decision.recorded") == 2 and actions.count("signature.recorded") == 2
    marks = built.witness.read_text(encoding="utf-8").splitlines()
    assert len(marks) > 5 and f'"seq": {len(actions)},' in marks[-1]


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.id)
def test_every_change_is_caught_with_the_key_and_the_witness(
    tamper: Tamper, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = build(db_url, tmp_path / "witness.jsonl")
    tamper.apply(db_url, tamper.kind)
    monkeypatch.setenv(AUDIT_KEY_ENV, KEY.decode())
    report = verify_audit(db_url, witness=built.witness)
    assert not report.ok, entries_json(db_url)
    assert report.reason and report.covers, report
    if tamper.kind in NOUN and tamper.kind != "entry" and not tamper.multi:
        assert report.covers.startswith(NOUN[tamper.kind]), report


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.id)
def test_the_key_alone_catches_every_change(
    tamper: Tamper, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    build(url, tmp_path / "witness.jsonl")
    tamper.apply(url, tamper.kind)
    monkeypatch.setenv(AUDIT_KEY_ENV, KEY.decode())
    report = verify_audit(url)
    assert not report.ok, report


def test_only_the_witness_tells_an_emptied_database_from_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wiping the runs too leaves nothing a key could vouch for; the witness still has heads."""
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    built = build(url, tmp_path / "witness.jsonl")
    [wipe] = [t for t in TAMPERS if t.name == "truncate-all"]
    wipe.apply(url, wipe.kind)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM runs"))
    engine.dispose()
    monkeypatch.setenv(AUDIT_KEY_ENV, KEY.decode())
    assert verify_audit(url).ok
    report = verify_audit(url, witness=built.witness)
    assert not report.ok and "witness recorded it" in (report.reason or "")


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.id)
def test_the_witness_alone_catches_every_change(tamper: Tamper, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    built = build(url, tmp_path / "witness.jsonl")
    tamper.apply(url, tamper.kind)
    report = verify_audit(url, witness=built.witness)
    assert not report.ok, report


@pytest.mark.parametrize("tamper", TAMPERS, ids=lambda t: t.id)
def test_unanchored_only_the_forgeries_an_anchor_sees_get_through(
    tamper: Tamper, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    build(url, tmp_path / "witness.jsonl")
    tamper.apply(url, tamper.kind)
    report = verify_audit(url)
    assert report.anchors == [] and report.notes == [UNANCHORED]
    assert report.ok is tamper.needs_anchor, report


def test_the_first_broken_link_names_the_row_it_covers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    build(url, tmp_path / "witness.jsonl")
    [score_edit] = [t for t in TAMPERS if t.id == "score-edit"]
    score_edit.apply(url, "score")
    report = verify_audit(url)
    assert report.covers is not None and report.covers.startswith("score 2 (run ")
    assert report.reason is not None and "was changed after entry" in report.reason
    assert report.first_bad_seq == 7  # run.started, 4 results, then the scores from seq 6


def test_a_store_written_without_the_key_is_anchored_by_audit_anchor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    built = build(url, tmp_path / "witness.jsonl")
    with Store(url, anchors=Anchors()) as store:  # a later append, without the key
        store.record_gate_decision(store.list_runs()[0].id, "PASS", {})
    monkeypatch.setenv(AUDIT_KEY_ENV, KEY.decode())
    report = verify_audit(url)
    assert not report.ok and "unsigned" in (report.reason or "")

    other = tmp_path / "plain.db"
    plain = f"sqlite:///{other}"
    with Store(plain, anchors=Anchors()) as store:
        store.record_gate_decision("r", "PASS", {})
    assert not verify_audit(plain).ok  # a key now, and an unsigned head
    _, head = anchor_audit(plain, witness=built.witness.with_name("w2.jsonl"))
    assert head is not None and head.mac is not None
    report = verify_audit(plain)
    assert report.ok and report.notes == [
        "1 entries were written without the key: the signed head covers them"
    ]


def test_the_command_line_reports_the_break_and_the_anchoring(tmp_path: Path) -> None:
    from tests.cli.invoking import invoke_once

    url = f"sqlite:///{tmp_path / 'audit.db'}"
    built = build(url, tmp_path / "witness.jsonl")
    done = invoke_once("audit", "verify", "--store", url, cwd=tmp_path)
    assert done.code == 0 and "anchored by nothing" in done.out
    assert "UNANCHORED" in done.err and "cannot be detected" in " ".join(done.err.split())

    keyed = {AUDIT_KEY_ENV: KEY.decode()}  # the CLI runs with a cleared SAFETYLOOP_* environment
    verify = ["audit", "verify", "--store", url]
    done = invoke_once(*verify, "--witness", str(built.witness), cwd=tmp_path, env=keyed)
    assert done.code == 0 and "anchored by key and witness" in done.out and not done.err

    [cut] = [t for t in TAMPERS if t.id == "result-delete-last"]
    cut.apply(url, "result")
    done = invoke_once(*verify, cwd=tmp_path, env=keyed)
    err = " ".join(done.err.split())
    assert done.code == 1 and "BROKEN at entry 5 (covers result 4 (run " in err, err
    assert "deleted" in err
