"""Who is signed in: argon2 passwords for people, hashed bearer tokens for machines, CSRF.

A session cookie (signed, HttpOnly, SameSite=strict) names the user; each session carries a
CSRF token every form must send back (missing or wrong: 403). Requests with a bearer token
carry no ambient credentials, so they need no CSRF token. Roles come from the governance roles
file on every request: a user it does not list may read, never act.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Request

from safetyloop.errors import InputError, SafetyloopError
from safetyloop.governance import Roles, audit, load_roles
from safetyloop.store import Store
from safetyloop.store.web import WebUser, add_user, get_user, user_by_token
from safetyloop.web._config import WebConfig

_hasher = PasswordHasher()

#: Session keys.
USER_KEY = "user"
CSRF_KEY = "csrf"


class NotSignedIn(SafetyloopError):
    """The request needs a signed-in user (HTML: redirect to sign-in; JSON: 401)."""


class Forbidden(SafetyloopError):
    """The user may not do this: a missing CSRF token or a read-only account (403)."""


def new_token() -> str:
    """A machine token: 256 random bits, shown once and stored only as its hash."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens are random and long, so one SHA-256 suffices (no salt or stretching needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_account(
    store: Store,
    name: str,
    *,
    password: str | None = None,
    token: str | None = None,
    actor: str | None = None,
) -> WebUser:
    """Add a console account with a password (argon2id) or a machine token; audited as
    `console.user_added` by `actor` (default: who runs the command)."""
    if not name.strip():
        raise InputError("a console user needs a name")
    if (password is None) == (token is None):
        raise InputError("give a console user either a password or a token")
    if password is not None and len(password) < 8:
        raise InputError("a console password needs at least 8 characters")
    user = add_user(
        store,
        name,
        password_hash=_hasher.hash(password) if password is not None else None,
        token_hash=hash_token(token) if token is not None else None,
    )
    kind = "token" if token is not None else "password"
    audit.record(store, "console.user_added", {"user": name, "kind": kind}, actor=actor)
    return user


def check_password(store: Store, name: str, password: str) -> bool:
    """Whether `password` is `name`'s; the same work is done for an unknown name."""
    user = get_user(store, name)
    stored = user.password_hash if user else None
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


_DUMMY = _hasher.hash("not a password of anyone")


def signed_in(request: Request, store: Store) -> str:
    """The user making the request: a bearer token's, else the session's; else NotSignedIn."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = user_by_token(store, hash_token(header[7:].strip()))
        if user is None:
            raise NotSignedIn("the bearer token is not valid")
        request.state.bearer = True
        return user.name
    name = request.session.get(USER_KEY)
    if not isinstance(name, str) or get_user(store, name) is None:
        raise NotSignedIn("sign in to see this page")
    return name


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[CSRF_KEY] = token
    return token


def check_csrf(request: Request, sent: str | None) -> None:
    """Raise Forbidden unless the form sent the session's token (bearer requests need none)."""
    if getattr(request.state, "bearer", False):
        return
    expected = request.session.get(CSRF_KEY)
    if not (isinstance(expected, str) and sent and hmac.compare_digest(expected, sent)):
        raise Forbidden("the form's CSRF token is missing or wrong: reload the page and retry")


def roles_of(config: WebConfig, user: str) -> list[str]:
    """The user's roles in the roles file; none when the file or the user is missing."""
    try:
        roles: Roles = load_roles(config.roles)
    except InputError:
        return []
    return list(roles.root.get(user, []))


def acting_roles(config: WebConfig, user: str) -> list[str]:
    """The roles a user acts with; a user the roles file does not list is read-only (403)."""
    roles = load_roles(config.roles)
    if user not in roles.root:
        raise Forbidden(
            f"{user} is read-only: not in the roles file",
            hint="list the user with their roles in the governance roles file",
        )
    return roles.of(user)
