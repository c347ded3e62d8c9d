"""The console's attestation and critique forms: the attestation's review is queued, the
critique and its answer are recorded with the signed-in user, read-only users are refused."""

from __future__ import annotations

from collections.abc import Callable

from tests.web.conftest import Browser
from tests.web.console_project import ConsoleProject

from safetyloop.governance import SystemClock
from safetyloop.risk.records import list_critiques, record_report
from safetyloop.store import Store

ATTEST = {
    "control": "sandbox-egress",
    "pathways": "code-backdoors",
    "owner": "sam",
    "how": "egress is denied outside the allow-list",
    "expires": "2031-01-01T00:00",
}


def test_an_attestation_queues_its_review_which_the_attester_cannot_sign(
    as_user: Callable[[str | None], Browser],
) -> None:
    rita = as_user("rita")
    page = rita.client.get("/risk/v1").text
    assert 'action="/attestations"' in page and 'action="/critiques/answers"' in page
    made = rita.post("/attestations", ATTEST)
    assert made.status_code == 303, made.text
    item = made.headers["location"].rsplit("/", 1)[1]
    review = rita.client.get(f"/reviews/{item}.json").json()["item"]
    assert (review["rule"], review["status"], review["author"]) == (
        "control-attestation",
        "pending",
        "rita",
    )
    refused = rita.post(f"/reviews/{item}/approve", {"reason": "mine"})
    assert refused.status_code == 403, refused.text
    entries = rita.client.get("/audit.json").json()["entries"]
    assert any(e["actor"] == "rita" and e["action"].startswith("attestation") for e in entries)


def test_attestation_input_and_roles_are_checked(
    as_user: Callable[[str | None], Browser],
) -> None:
    bad = as_user("sam").post("/attestations", {**ATTEST, "pathways": "no-such-pathway"})
    assert bad.status_code == 400 and "no-such-pathway" in bad.text
    reader = as_user("rhea").post("/attestations", ATTEST)
    assert reader.status_code == 403 and "read-only" in reader.text
    assert as_user("sam").post("/attestations", ATTEST, csrf=False).status_code == 403


def test_a_critique_and_its_answer_are_recorded_with_the_users(
    project: ConsoleProject, as_user: Callable[[str | None], Browser]
) -> None:
    with Store(project.url) as store:
        report = record_report(
            store,
            report_id="rr-console",
            target_version="v1",
            status="weak",
            pathways={},
            figures={},
            sha256={},
            actor="dana",
            clock=SystemClock(),
        )
    assert as_user("rhea").post("/critiques", {"report": report.id, "text": "x"}).status_code == 403
    lee = as_user("lee")
    assert lee.post("/critiques", {"report": "rr-none", "text": "x"}).status_code == 400
    made = lee.post("/critiques", {"report": report.id, "text": "the sandbox claim is thin"})
    assert made.status_code == 303, made.text
    with Store(project.url) as store:
        [crit] = list_critiques(store, report.id)
    assert (crit.reviewer, crit.text) == ("lee", "the sandbox claim is thin")
    answered = as_user("dana").post(
        "/critiques/answers", {"critique": crit.id, "text": "added egress logs"}
    )
    assert answered.status_code == 303, answered.text
    with Store(project.url) as store:
        [crit] = list_critiques(store, report.id)
    assert [(a["by"], a["text"]) for a in crit.answers] == [("dana", "added egress logs")]
