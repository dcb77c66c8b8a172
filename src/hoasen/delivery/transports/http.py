"""The HTTP push transport (httpx): one signed POST per file to a partner's endpoint."""

from __future__ import annotations

import hashlib
import hmac
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from hoasen.delivery.transports.common import (
    check_payload,
    checked,
    files_left,
    final_error,
    header,
    nothing_left,
    only_keys,
    plural,
    scrub,
    text_setting,
)
from hoasen.delivery.types import Ack, DeliveryError, Payload, PayloadFile
from hoasen.errors import UsageError
from hoasen.settings import Settings

TRANSIENT_HTTP = frozenset({408, 425, 429})
# Characters a file name keeps in an HTTP header; the rest are percent-encoded (UTF-8).
_HEADER_SAFE = " !#$&'()*+,-.:;=@[]^_`{|}~"

# Headers the transport sets itself: a payload cannot override them.
_OWN_HEADERS = frozenset(
    {
        "content-type",
        "content-length",
        "host",
        "user-agent",
        "idempotency-key",
        "x-hoasen-file",
        "x-hoasen-signature",
        "transfer-encoding",
        "connection",
    }
)


class HttpTransport:
    """POSTs each file to a URL (a partner's ingest endpoint), signed with HMAC-SHA256 of the
    body when a secret is given, with a per-file idempotency key so a retry is recognised."""

    name = "http"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"url": http(s) URL}; no credentials in the URL (they belong in a named secret)."""
        only_keys(config, ("url",), self.name)
        url = text_setting(config, "url", self.name)
        parts = urlsplit(url)
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise UsageError(f"http transport: 'url' must be an http:// or https:// URL: {url!r}")
        if parts.username or parts.password:
            raise UsageError(
                "http transport: no user or password in the URL: the signing key goes in a "
                "named secret (exchange_secrets)"
            )
        if any(c.isspace() for c in url):
            raise UsageError(f"http transport: 'url' must not contain spaces: {url!r}")
        return {"url": url}

    def describe(self, config: Mapping[str, Any]) -> str:
        """The URL (any user or password in it masked)."""
        return f"HTTP POST of each file to {_redact_url(str(config.get('url', '?')))}"

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        """POST the files not yet done, in order; each 2xx reply acknowledges its file."""
        url = checked(self, config)["url"]
        check_payload(payload)
        todo = files_left(payload, done)
        if not todo:
            return nothing_left(payload)
        common = {k: v for k, v in payload.headers.items() if k.lower() not in _OWN_HEADERS}
        key = header(payload.headers, "Idempotency-Key")
        last = 0
        with httpx.Client(
            timeout=self.settings.http_timeout,
            headers={"User-Agent": self.settings.http_user_agent},
            follow_redirects=False,
            trust_env=False,
        ) as client:
            for f in todo:
                name = quote(f.name, safe=_HEADER_SAFE)
                headers = dict(common)
                headers["Content-Type"] = f.media_type or "application/octet-stream"
                headers["X-Hoasen-File"] = name
                if key:
                    headers["Idempotency-Key"] = f"{key}/{name}"
                if secret:
                    headers["X-Hoasen-Signature"] = "sha256=" + sign(secret, f.data)
                last = self._post(client, url, f, headers, secret)
                ack(f.name)
        return f"{plural(len(todo), 'file')} posted to {url} (last reply {last})"

    def _post(
        self, client: httpx.Client, url: str, f: PayloadFile, headers: dict[str, str], secret: str
    ) -> int:
        try:
            response = client.post(url, content=f.data, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryError(
                f"{url} did not answer within {self.settings.http_timeout:g} s ({f.name})"
            ) from exc
        except httpx.TransportError as exc:
            if _cert_error(exc):
                raise final_error(f"the TLS certificate of {url} is not trusted: {exc}") from exc
            raise DeliveryError(
                scrub(f"cannot reach {url}: {exc or type(exc).__name__}", secret)
            ) from exc
        except (UnicodeError, ValueError, httpx.InvalidURL) as exc:
            raise final_error(scrub(f"cannot post {f.name!r} to {url}: {exc}", secret)) from exc
        status = response.status_code
        if 200 <= status < 300:
            return status
        reply = " ".join(response.text[:200].split())
        text = scrub(f"{url} answered {status} to {f.name!r}: {reply or '(no text)'}", secret)
        if 300 <= status < 400:
            where = response.headers.get("Location", "?")
            raise final_error(f"{url} redirects to {where} (status {status}): configure that URL")
        raise DeliveryError(text, transient=status in TRANSIENT_HTTP or status >= 500)


def sign(secret: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of the body under the secret: the X-Hoasen-Signature value after sha256=."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _cert_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _redact_url(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc="********@" + host))
