"""What every target that talks HTTP to a provider shares: the key read from the environment at
request time, masking of keys and URL credentials, one client with bounded timeouts, and the
mapping of transport failures and HTTP statuses to `TargetError` kinds the runner retries."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from safetyloop._redact import redact, secret_values
from safetyloop.suites import Message
from safetyloop.targets._target import (
    DEFAULT_KEY_ENVS,
    GenerateParams,
    Target,
    TargetError,
    TargetResponse,
)
from safetyloop.targets._tools import ToolSpec

#: Seconds to wait for an answer (and for connecting) unless `timeout_s` says otherwise.
DEFAULT_TIMEOUT_S = 120.0
CONNECT_TIMEOUT_S = 10.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def error_for_status(response: httpx.Response, secrets: Sequence[str]) -> TargetError:
    """A non-200 answer as an error: 429 and 5xx/408 retryable (with Retry-After), the rest not."""
    status = response.status_code
    # a provider may echo the key it refused (or a header) back in its body
    detail = redact(response.text, secrets)[:300]
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if status == 429:
        return TargetError(
            "rate_limit", detail, retryable=True, retry_after=retry_after, status=status
        )
    if status >= 500 or status == 408:
        return TargetError(
            "server",
            f"HTTP {status}: {detail}",
            retryable=True,
            retry_after=retry_after,
            status=status,
        )
    return TargetError("client", f"HTTP {status}: {detail}", retryable=False, status=status)


class HttpTarget(Target):
    """A provider behind HTTP. The key is read from the environment variable `api_key_env` at
    request time and never stored in the configuration (so never in hashes, logs or reports);
    credentials in the base URL are used for requests but masked in the configuration, and
    every error is redacted before it is raised. Every request has a read timeout
    (`timeout_s`): like the key, it is not configuration — it changes how long we wait, not
    what is answered."""

    #: The environment variable holding the key unless `api_key_env` names another.
    default_key_env: ClassVar[str]

    def __init__(self, name: str, params: dict[str, Any], base_url: str) -> None:
        self._base_url = base_url.rstrip("/")
        config = {
            "model": str(params["model"]),
            "base_url": redact(self._base_url),
            "api_key_env": str(params.get("api_key_env", self.default_key_env)),
        }
        super().__init__(name, config)
        self.max_concurrency = int(params.get("concurrency", 4))
        self.timeout_s = float(params.get("timeout_s", DEFAULT_TIMEOUT_S))
        self._client: httpx.AsyncClient | None = None

    def secrets(self) -> tuple[str, ...]:
        """The keys from the environment and the password in the base URL, if any."""
        try:
            password = httpx.URL(self._base_url).password
        except httpx.InvalidURL:
            password = None
        names = (self.config["api_key_env"], *DEFAULT_KEY_ENVS)
        return (*secret_values(names), *([password] if password else []))

    @abstractmethod
    def _headers(self) -> dict[str, str]:
        """The request headers, the key among them (read now, from the environment)."""

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            timeout = httpx.Timeout(self.timeout_s, connect=min(CONNECT_TIMEOUT_S, self.timeout_s))
            self._client = httpx.AsyncClient(timeout=timeout)
        return self._client

    async def generate(self, messages: Sequence[Message], params: GenerateParams) -> TargetResponse:
        return await self._complete(messages, None, params)

    async def generate_with_tools(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec], params: GenerateParams
    ) -> TargetResponse:
        return await self._complete(messages, tools, params)

    @abstractmethod
    async def _complete(
        self, messages: Sequence[Message], tools: Sequence[ToolSpec] | None, params: GenerateParams
    ) -> TargetResponse:
        """One request: the answer, with the calls the model asked for when `tools` is given."""

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        """POST `body` to `base_url + path`; a 200 answer, or a `TargetError` of the right kind."""
        try:
            response = await self._http().post(
                f"{self._base_url}{path}", json=body, headers=self._headers()
            )
        except httpx.TimeoutException as exc:
            message = redact(str(exc), self.secrets()) or "request timed out"
            raise TargetError("timeout", message, retryable=True) from exc
        except httpx.TransportError as exc:
            message = f"connection failed: {redact(str(exc), self.secrets())}"
            raise TargetError("server", message, retryable=True) from exc
        if response.status_code != 200:
            raise error_for_status(response, self.secrets())
        return response

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
