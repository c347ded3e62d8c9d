"""Secrets never stored or printed: a distinctive key planted everywhere a user can put one
(the environment, a custom `api_key_env`, the base URL's `user:key@`, a provider echoing it back
in its 401 body) is found zero times in the store file, the reports and the captured output."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.invoking import Invoke
from tests.constitutions import one_principle
from tests.doubles.stub_chat_server import StubChatServer, status

from safetyloop._redact import MASK, redact

KEY = "sk-test-PLANTED-9f8e7d"
CONSTITUTION = one_principle("secrets", threshold=0.6, min_samples=3)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET http://u:pw@host/v1 failed", f"GET http://{MASK}@host/v1 failed"),
        ("https://token@host:8443/x", f"https://{MASK}@host:8443/x"),
        ("Authorization: Bearer abc.def-123", f"Authorization: Bearer {MASK}"),
        ("http://host/v1?api_key=abc&x=1", f"http://host/v1?api_key={MASK}&x=1"),
        ("no secret here: user@example.com", "no secret here: user@example.com"),
    ],
)
def test_redact_masks_credentials_in_text(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_redact_masks_every_given_secret_but_not_trivial_ones() -> None:
    assert redact(f"bad key {KEY}!", [KEY, "ab"]) == f"bad key {MASK}!"
    assert redact("a cab", ["ab"]) == "a cab"


def _echoing_401(server: StubChatServer) -> None:
    """A provider that quotes the key (and the header it came in) back in its refusal."""
    body = f'{{"error": {{"message": "Incorrect API key provided: {KEY}. Bearer {KEY}"}}}}'
    server.always(status(401, body=body))


@pytest.mark.parametrize("via", ["spec", "targets_file"])
def test_a_planted_key_is_never_stored_or_printed(
    via: str,
    tmp_path: Path,
    stub_server: StubChatServer,
    invoke: Invoke,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _echoing_401(stub_server)
    url = stub_server.base_url.replace("http://", f"http://user:{KEY}@")
    constitution = tmp_path / "c.yaml"
    constitution.write_text(CONSTITUTION, encoding="utf-8")
    if via == "spec":
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        target = ["--target", f"openai:m@{url}"]
    else:
        monkeypatch.setenv("MY_PROVIDER_KEY", KEY)
        targets = tmp_path / "targets.yaml"
        targets.write_text(
            "targets:\n  - name: t\n    kind: openai\n"
            f"    params: {{model: m, base_url: '{url}', api_key_env: MY_PROVIDER_KEY}}\n",
            encoding="utf-8",
        )
        target = ["--target", "t", "--targets-file", str(targets)]
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    ran = invoke(
        "run", "-c", str(constitution), "--sample", "3", "--attempts", "1", *target, *store
    )
    assert "3 errors" in ran.out, (ran.out, ran.err)
    run_id = ran.out.split("run ", 1)[1].split()[0]
    assert stub_server.count() == 3
    shown = invoke("runs", "show", run_id, *store)
    assert "Incorrect API key provided" in shown.out, shown.out
    reports = [tmp_path / f"report.{ext}" for ext in ("json", "md", "xml", "html")]
    outputs = [a for path in reports for a in ("-o", str(path))]
    gated = invoke("gate", run_id, "-c", str(constitution), *outputs, *store)
    listed = invoke("runs", "list", *store)

    printed = [ran, shown, gated, listed]
    found = {
        "store": db.read_bytes().count(KEY.encode()),
        "reports": sum(path.read_bytes().count(KEY.encode()) for path in reports),
        "output": sum((r.out + r.err).count(KEY) for r in printed),
    }
    assert found == {"store": 0, "reports": 0, "output": 0}
