"""The HTTP side of the API engines: one httpx client per engine with a timeout, and retries
with exponential backoff on 429 and 5xx that respect Retry-After. Delays go through an
injectable `sleep`, so tests run without waiting."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from hoasen.translate.engines.base import EngineError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class RetryPolicy:
    """How often and how long to wait before trying a request again."""

    retries: int = 3  # tries after the first one
    base_delay: float = 0.5  # seconds before the first retry; doubles each time
    max_delay: float = 30.0  # no single wait is longer (Retry-After included)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt` (0-based)."""
        wanted = parse_retry_after(retry_after)
        if wanted is None:
            wanted = self.base_delay * (2**attempt)
        return max(0.0, min(self.max_delay, wanted))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_text(response: httpx.Response) -> str:
    """The server's own explanation: JSON "error"/"message"/"detail", or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return response.text.strip()[:200]
    if isinstance(data, dict):
        for key in ("error", "message", "detail"):
            value = data.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail")
            if value:
                return str(value)[:300]
    return response.text.strip()[:200]


class ApiClient:
    """Requests to one translation API, with retries; errors become EngineError.

    `explain(response)` turns a final non-2xx reply into the engine's own EngineError (each API
    words its errors differently); retries are exhausted before a 429 or 5xx gets there.
    """

    def __init__(
        self,
        engine: str,
        label: str,
        base_url: str,
        *,
        explain: Callable[[httpx.Response, int], EngineError],
        headers: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.explain = explain
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self._client = httpx.Client(
            headers=dict(headers or {}), timeout=timeout, transport=transport, trust_env=False
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def url(self, path: str) -> str:
        """The full URL of an API path."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send the request, retrying 429 and 5xx; a 2xx reply or an EngineError."""
        url = self.url(path)
        attempt = 0
        while True:
            try:
                response = self._client.request(
                    method, url, json=json, params=params, headers=headers
                )
            except httpx.TimeoutException as exc:
                raise EngineError(
                    f"{self.label} did not answer within {self.timeout:g} s ({url}); the server "
                    "may be overloaded or the text too long: try again later or raise "
                    "translate_timeout",
                    kind="timeout",
                    engine=self.engine,
                ) from exc
            except httpx.HTTPError as exc:
                raise EngineError(
                    f"cannot reach {self.label}: {exc}",
                    kind="connection",
                    engine=self.engine,
                ) from exc
            if response.is_success:
                return response
            if response.status_code in RETRY_STATUSES and attempt < self.retry.retries:
                self.retry.sleep(self.retry.delay(attempt, response.headers.get("Retry-After")))
                attempt += 1
                continue
            raise self.explain(response, attempt + 1)

    def json(self, response: httpx.Response) -> Any:
        """The reply's JSON, or an EngineError saying the server answered something else."""
        try:
            return response.json()
        except ValueError as exc:
            raise EngineError(
                f"{self.label} answered {response.request.url} with something that is not JSON",
                kind="server",
                engine=self.engine,
            ) from exc


def common_error(
    label: str, engine: str, response: httpx.Response, tries: int, *, key_setting: str = ""
) -> EngineError:
    """The usual wording for an API error status; engines handle their special codes first."""
    status = response.status_code
    why = error_text(response)
    detail = f": {why}" if why else ""
    if status in (401, 403):
        fix = f"; check {key_setting}" if key_setting else ""
        return EngineError(
            f"{label} refused the API key ({status}){detail}{fix}",
            kind="auth",
            engine=engine,
            status=status,
        )
    if status == 429:
        return EngineError(
            f"{label} is rate limiting requests (429) and still was after {tries} tries{detail}; "
            "wait a while and try again, or send fewer requests",
            kind="rate_limit",
            engine=engine,
            status=status,
        )
    if status >= 500:
        return EngineError(
            f"{label} had a server error ({status}) after {tries} tries{detail}",
            kind="server",
            engine=engine,
            status=status,
        )
    return EngineError(
        f"{label} refused the request ({status}){detail}",
        kind="request",
        engine=engine,
        status=status,
    )
