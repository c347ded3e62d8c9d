"""`safetyloop user add`: a person's password or a machine's token, refused cleanly when bad."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.invoking import Invoke

from safetyloop.store import Store
from safetyloop.store.web import get_user, user_by_token
from safetyloop.web import hash_token
from safetyloop.web._auth import check_password


def test_user_add_stores_a_hash_never_the_secret(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SAFETYLOOP_WEB_PASSWORD", "correct horse battery")
    code, out, _ = invoke("user", "add", "rita", "--store", url).flat
    assert code == 0 and "added console user rita" in out
    code, _, err = invoke("user", "add", "rita", "--store", url).flat
    assert code == 2 and "a console user named 'rita' already exists" in err
    monkeypatch.setenv("SAFETYLOOP_WEB_PASSWORD", "short")
    code, _, err = invoke("user", "add", "sam", "--store", url).flat
    assert code == 2 and "at least 8 characters" in err
    code, out, _ = invoke("user", "add", "ci-bot", "--token", "--store", url).flat
    assert code == 0
    token = out.split("token (shown once): ")[1].split()[0]
    with Store(url) as store:
        rita, bot = get_user(store, "rita"), user_by_token(store, hash_token(token))
        assert get_user(store, "sam") is None  # nothing half-written
        assert rita is not None and rita.password_hash is not None
        assert rita.password_hash.startswith("$argon2id$")
        assert "correct horse" not in rita.password_hash
        assert check_password(store, "rita", "correct horse battery")
        assert not check_password(store, "rita", "correct horse")
        assert bot is not None and bot.name == "ci-bot" and bot.token_hash != token
        added = [e.payload for e in store.audit_entries() if e.action == "console.user_added"]
    assert added == [{"user": "rita", "kind": "password"}, {"user": "ci-bot", "kind": "token"}]
