"""Mastodon: POST /api/v1/statuses on the account's instance with `status`, `visibility` and
`language`, authorised by `Authorization: Bearer <token>`.

Idempotency: Mastodon honours an `Idempotency-Key` header (the post's key): a repeated request
with the same key returns the status already created instead of posting again. Instances keep
keys for about an hour, so `idempotent` is True and an ambiguous failure (a timeout after the
request was sent) is transient; a retry more than an hour later is no longer covered.

The limit is 500 characters by default; instances can raise it (max_chars). Every URL counts as
23 characters whatever its length, as Mastodon counts.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from hoasen.publish.channels.base import (
    ChannelAdapter,
    Post,
    Receipt,
    Settings,
    final,
    host_of,
    render,
    reply_json,
    retry_after,
)

LIMIT = 500
URL_LENGTH = 23  # characters a URL counts for, whatever its length
VISIBILITIES = ("public", "unlisted", "private", "direct")

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_KEY_SAFE = re.compile(r"^[\x21-\x7e]{1,200}$")

log = logging.getLogger(__name__)


class MastodonChannel(ChannelAdapter):
    """Posts a status on a Mastodon account."""

    kind = "mastodon"
    label = "Mastodon"
    token_name = "the Mastodon access token"
    idempotent = True

    _KEYS = ("base_url", "visibility", "max_chars", "language")

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"base_url": the instance, "visibility", "max_chars": 500 by default, "language"}."""
        s = Settings(config, self.kind, self._KEYS)
        return {
            "base_url": s.url("base_url", hint=" (the instance, e.g. https://mastodon.social)"),
            "visibility": s.choice("visibility", "public", VISIBILITIES),
            "max_chars": s.integer("max_chars", LIMIT, 1, 100_000),
            "language": s.text("language", ""),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "Mastodon account on mastodon.social (public posts)"."""
        cfg = self.check(config)
        return f"Mastodon account on {host_of(cfg['base_url'])} ({cfg['visibility']} posts)"

    def limit(self, config: Mapping[str, Any]) -> int:
        """The instance's status limit: 500 unless max_chars says otherwise."""
        return int(self.check(config)["max_chars"])

    def measure(self, text: str) -> float:
        """Characters, every URL counting 23."""
        return len(_URL.sub("x" * URL_LENGTH, text))

    def body(self, post: Post, config: Mapping[str, Any]) -> dict[str, Any]:
        """The status parameters."""
        body: dict[str, Any] = {
            "status": self.visible(post, config),
            "visibility": config["visibility"],
        }
        language = _language(post.language or config.get("language") or "")
        if language:
            body["language"] = language
        return body

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """One status, sent with the post's Idempotency-Key; the receipt holds its id and URL."""
        cfg = self.checked(config)
        token = self.need_secret(secret)
        post = self.prepared(post, cfg)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": idempotency_key(post)}
        response = self.call(
            client,
            "POST",
            f"{cfg['base_url']}/api/v1/statuses",
            secret=token,
            repeatable=True,
            json=self.body(post, cfg),
            headers=headers,
        )
        receipt = self._receipt(response, token)
        log.info("posted to Mastodon on %s: %s", host_of(cfg["base_url"]), receipt.remote_id)
        return receipt

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The status request, the token masked."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        headers = {
            "Authorization": "Bearer <access token>",
            "Idempotency-Key": idempotency_key(post),
        }
        url = f"{cfg['base_url']}/api/v1/statuses"
        return "Mastodon (dry run, nothing sent)\n" + render(
            "POST", url, self.body(post, cfg), headers
        )

    def _receipt(self, response: httpx.Response, token: str) -> Receipt:
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirected(response)
        data = reply_json(response)
        if 200 <= status < 300 and data.get("id"):
            return Receipt(str(data["id"]), url=data.get("url") or data.get("uri") or None)
        detail = data.get("error") or response.reason_phrase
        if data.get("error_description"):
            detail = f"{detail}: {data['error_description']}"
        if status == 401:
            raise self.refused(401, detail, token)
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = retry_after(response.headers.get("X-RateLimit-Reset"))
            raise self.throttled(429, detail, wait, token)
        if status >= 500 or status == 408:
            raise self.rejected(status, detail, token, transient=True)
        if 200 <= status < 300:
            # The Idempotency-Key makes asking again safe: the instance answers with the status.
            raise self.rejected(status, "the reply held no status id", token, transient=True)
        if status == 404:
            raise final(
                f"Mastodon: no statuses API at this base_url (404): {detail}; "
                "check the instance address"
            )
        raise self.rejected(status, detail, token, transient=False)


def idempotency_key(post: Post) -> str:
    """The post's key as an Idempotency-Key header value (printable ASCII, else its sha256)."""
    key = post.key.strip()
    if _KEY_SAFE.match(key):
        return key
    return "sha256-" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def _language(tag: str) -> str:
    """The ISO 639 code of a language tag ("zh-Hans" → "zh"), or "" when it is not one."""
    primary = tag.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if _LANGUAGE.match(primary) else ""
