"""Facebook Page: the Graph API's POST /{page-id}/feed with `message` and `link`, as the Page
(a Page access token with pages_manage_posts).

Errors come as {"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}: code 190
or 102 is a refused token, 4/17/32/613/80001 are rate limits (the wait is read from the
X-Business-Use-Case-Usage header's estimated_time_to_regain_access, in minutes), 1/2/341 are
temporary, 506 is a duplicate post; anything else is a final refusal with Facebook's message.

Idempotency: the Graph API has no idempotency key, so `idempotent` is False: a timeout after
the request was sent is final ("check the channel before retrying") and the caller's ledger is
the only guard against posting twice. The token travels in the form body, never in the URL.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from hoasen.errors import UsageError
from hoasen.publish.channels.base import (
    ChannelAdapter,
    Post,
    Receipt,
    Settings,
    brief,
    final,
    host_of,
    render,
    reply_json,
    retry_after,
    scrub,
)

DEFAULT_API = "https://graph.facebook.com"
DEFAULT_VERSION = "v24.0"
LIMIT = 63206  # characters of a post's message

TOKEN_CODES = frozenset({102, 190})
RATE_CODES = frozenset({4, 17, 32, 613, 80001})
TEMPORARY_CODES = frozenset({1, 2, 341})
DUPLICATE_CODE = 506
BLOCKED_CODE = 368

_PAGE_ID = re.compile(r"^\d{1,30}$")
_VERSION = re.compile(r"^v\d{1,2}\.\d{1,2}$")

log = logging.getLogger(__name__)


class FacebookChannel(ChannelAdapter):
    """Publishes a message with a link on a Facebook Page."""

    kind = "facebook"
    label = "Facebook"
    token_name = "the Facebook Page access token"
    idempotent = False

    _KEYS = ("page_id", "api_url", "api_version", "max_chars")

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"page_id": digits, "api_url", "api_version": "v24.0", "max_chars": ≤ 63,206}."""
        s = Settings(config, self.kind, self._KEYS)
        page_id = s.text("page_id", hint=" (the Page's numeric id)")
        if not _PAGE_ID.match(page_id):
            raise UsageError(
                f"facebook channel: 'page_id' must be the Page's numeric id: {page_id!r}"
            )
        version = s.text("api_version", DEFAULT_VERSION)
        if not _VERSION.match(version):
            raise UsageError(
                f"facebook channel: 'api_version' must look like {DEFAULT_VERSION}: {version!r}"
            )
        return {
            "page_id": page_id,
            "api_url": s.url("api_url", DEFAULT_API),
            "api_version": version,
            "max_chars": s.integer("max_chars", LIMIT, 1, LIMIT),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "Facebook Page 123 (graph.facebook.com, v24.0)"."""
        cfg = self.check(config)
        return f"Facebook Page {cfg['page_id']} ({host_of(cfg['api_url'])}, {cfg['api_version']})"

    def limit(self, config: Mapping[str, Any]) -> int:
        """63,206 characters, or less when max_chars says so."""
        return int(self.check(config)["max_chars"])

    def visible(self, post: Post, config: Mapping[str, Any]) -> str:
        """The message: the title (when any) over the text. The link goes in its own field."""
        return "\n\n".join(p.strip() for p in (post.title or "", post.text) if p.strip())

    def form(self, post: Post, config: Mapping[str, Any]) -> dict[str, str]:
        """The feed parameters, without the token."""
        fields = {"message": self.visible(post, config)}
        if post.link and post.link.strip():
            fields["link"] = post.link.strip()
        return fields

    def url(self, cfg: Mapping[str, Any]) -> str:
        """The Page's feed edge."""
        return f"{cfg['api_url']}/{cfg['api_version']}/{cfg['page_id']}/feed"

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """One POST to the Page's feed; the receipt holds the post id and its URL."""
        cfg = self.checked(config)
        token = self.need_secret(secret)
        post = self.prepared(post, cfg)
        fields = self.form(post, cfg)
        if not fields["message"] and "link" not in fields:
            raise final("Facebook: a post needs a message or a link")
        response = self.call(
            client,
            "POST",
            self.url(cfg),
            secret=token,
            repeatable=False,
            data={**fields, "access_token": token},
        )
        receipt = self._receipt(response, token)
        log.info("posted to Facebook Page %s: %s", cfg["page_id"], receipt.remote_id)
        return receipt

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The feed request, the token masked."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        body = {**self.form(post, cfg), "access_token": "<page access token>"}
        return "Facebook (dry run, nothing sent)\n" + render("POST", self.url(cfg), body)

    def _receipt(self, response: httpx.Response, token: str) -> Receipt:
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirected(response)
        data = reply_json(response)
        if 200 <= status < 300 and data.get("id"):
            post_id = str(data["id"])
            return Receipt(post_id, url=_post_url(post_id))
        raw = data.get("error")
        error: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        detail = error.get("error_user_msg") or error.get("message") or response.reason_phrase
        shown = code if code is not None else status
        if code in TOKEN_CODES or (code is None and status == 401):
            raise self.refused(shown, detail, token)
        if code in RATE_CODES or status == 429:
            raise self.throttled(shown, detail, _regain(response.headers), token)
        if code == DUPLICATE_CODE:
            raise final(
                scrub(
                    f"Facebook refused a duplicate post (506): {brief(detail)}; it may already "
                    "be on the Page",
                    token,
                )
            )
        if code == BLOCKED_CODE:
            raise final(
                scrub(
                    f"Facebook has blocked posting for now (368): {brief(detail)}; "
                    "an operator should check the Page before trying again",
                    token,
                )
            )
        if code in TEMPORARY_CODES or status >= 500:
            raise self.rejected(shown, detail, token, transient=True)
        if 200 <= status < 300:
            raise final(
                f"Facebook answered {status} without a post id: it may have been posted; "
                "check the channel before retrying"
            )
        raise self.rejected(shown, detail, token, transient=False)


def _post_url(post_id: str) -> str:
    """https://www.facebook.com/PAGE/posts/POST for a "PAGE_POST" id."""
    page, _, post = post_id.partition("_")
    if page and post:
        return f"https://www.facebook.com/{page}/posts/{post}"
    return f"https://www.facebook.com/{post_id}"


def _regain(headers: httpx.Headers) -> float | None:
    """Seconds until Facebook lets the app call again, from X-Business-Use-Case-Usage
    (estimated_time_to_regain_access, minutes), else Retry-After; None when neither says."""
    waits: list[float] = []
    try:
        usage = json.loads(headers.get("X-Business-Use-Case-Usage") or "{}")
    except ValueError:
        usage = {}
    for entries in usage.values() if isinstance(usage, dict) else []:
        for entry in entries if isinstance(entries, list) else []:
            minutes = entry.get("estimated_time_to_regain_access") if isinstance(entry, dict) else 0
            if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
                waits.append(float(minutes) * 60.0)
    if waits:
        return max(waits)
    return retry_after(headers.get("Retry-After"))
