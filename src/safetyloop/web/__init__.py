"""The web console: every page of the store a person needs, with sign-in, roles and CSRF.

`create_app(WebConfig(...))` builds the FastAPI app `safetyloop serve` runs; every page has a
JSON twin (`.json`, or `Accept: application/json`) built from the same data function, and
every mutation calls the governance function the CLI calls, as the signed-in user.
"""

from safetyloop.web._app import create_app
from safetyloop.web._auth import add_account, hash_token, new_token
from safetyloop.web._config import WebConfig

__all__ = ["WebConfig", "add_account", "create_app", "hash_token", "new_token"]
