"""WordPress: the REST API's `POST {site}/wp-json/wp/v2/posts` with a title, HTML content, a
status (publish or draft), optional categories and tags, authorised by HTTP Basic auth with the
user's name and an application password (the channel's secret).

Idempotency: WordPress has no idempotency key, so every post is created with a slug derived
from the post's key, and before creating one the adapter asks for a post with that slug
(`GET /wp-json/wp/v2/posts?slug=…&status=any`, drafts included): when it is there (an earlier
try that timed out after WordPress had it), that post is returned instead of a second one. A
retry is therefore safe and `idempotent` is True.

Documented refusals: 401 `incorrect_password` / `invalid_username` / `rest_cannot_create` (a
wrong or revoked application password, or no login) become TokenRefused; 403
`rest_cannot_create` (the user may not publish) and 400 `rest_invalid_param` (a bad status,
category or tag) are final; 429 and 5xx are transient.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from hoasen.delivery.types import DeliveryError
from hoasen.errors import UsageError
from hoasen.publish.channels.base import (
    ChannelAdapter,
    Post,
    Receipt,
    Settings,
    TokenRefused,
    brief,
    final,
    host_of,
    render,
    reply_json,
    retry_after,
    scrub,
)

LIMIT = 100_000  # WordPress takes long posts; the limit only guards against a runaway text
STATUSES = ("publish", "draft")
TITLE_CHARS = 120  # a title made from the text is cut here
API_PATH = "/wp-json/wp/v2/posts"

_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_LOGIN_CODES = {"incorrect_password", "invalid_username", "invalid_email", "rest_not_logged_in"}

log = logging.getLogger(__name__)


class WordPressChannel(ChannelAdapter):
    """Publishes a post on a WordPress site as a user with an application password."""

    kind = "wordpress"
    label = "WordPress"
    token_name = "the WordPress application password"
    idempotent = True  # the slug lookup before each create makes a retry safe

    _KEYS = ("site", "user", "status", "categories", "tags", "max_chars")

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"site": the site's address, "user": the WordPress user, "status": publish|draft,
        "categories"/"tags": lists of term ids ("3,5" on the command line), "max_chars"}."""
        s = Settings(config, self.kind, self._KEYS)
        return {
            "site": s.url("site", hint=" (the site's address, e.g. https://baothanhhoa.vn)"),
            "user": s.text("user", hint=" (the WordPress user the application password is of)"),
            "status": s.choice("status", "publish", STATUSES),
            "categories": _term_ids(config.get("categories"), "categories"),
            "tags": _term_ids(config.get("tags"), "tags"),
            "max_chars": s.integer("max_chars", LIMIT, 1, 10_000_000),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "WordPress site baothanhhoa.vn as editor (publish)"."""
        cfg = self.check(config)
        return f"WordPress site {host_of(cfg['site'])} as {cfg['user']} ({cfg['status']})"

    def limit(self, config: Mapping[str, Any]) -> int:
        """The most characters of text and link (max_chars, 100 000 by default)."""
        return int(self.check(config)["max_chars"])

    def body(self, post: Post, config: Mapping[str, Any]) -> dict[str, Any]:
        """The post's fields as the REST API takes them."""
        body: dict[str, Any] = {
            "title": title_of(post),
            "content": content_of(post),
            "status": config["status"],
            "slug": slug_for(post.key),
        }
        if config["categories"]:
            body["categories"] = list(config["categories"])
        if config["tags"]:
            body["tags"] = list(config["tags"])
        return body

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """The post published once: an existing post with the key's slug is returned as is,
        else a new one is created; the receipt holds its id and link."""
        cfg = self.checked(config)
        password = self.need_secret(secret)
        post = self.prepared(post, cfg)
        auth = _basic(cfg["user"], password)
        hidden = (password, auth)
        url = f"{cfg['site']}{API_PATH}"
        slug = slug_for(post.key)
        headers = {"Authorization": f"Basic {auth}"}
        found = self.call(
            client,
            "GET",
            url,
            secret=password,
            repeatable=True,
            what="the lookup of an earlier copy",
            params={"slug": slug, "status": "any", "context": "edit"},
            headers=headers,
        )
        existing = self._existing(found, slug, hidden)
        if existing is not None:
            log.info("WordPress on %s already has %s: %s", host_of(url), slug, existing.remote_id)
            return existing
        response = self.call(
            client,
            "POST",
            url,
            secret=password,
            repeatable=True,  # a retry finds the post by its slug first
            json=self.body(post, cfg),
            headers=headers,
        )
        receipt = self._created(response, hidden)
        log.info("posted to WordPress on %s: %s", host_of(url), receipt.remote_id)
        return receipt

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The lookup and the create request, the password masked."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        url = f"{cfg['site']}{API_PATH}"
        headers = {"Authorization": f"Basic <{cfg['user']}:application password>"}
        lookup = f"{url}?slug={slug_for(post.key)}&status=any&context=edit"
        return (
            "WordPress (dry run, nothing sent)\n"
            + render("GET", lookup, None, headers)
            + "\n(then, when no post has that slug)\n"
            + render("POST", url, self.body(post, cfg), headers)
        )

    # ------------------------------------------------------------------------- replies

    def _existing(
        self, response: httpx.Response, slug: str, hidden: tuple[str, ...]
    ) -> Receipt | None:
        """The post the lookup found, or None; the lookup's refusals as for a create."""
        if response.status_code == 200:
            try:
                items = response.json()
            except ValueError:
                items = None
            if not isinstance(items, list):
                raise self.rejected(
                    200,
                    "the post lookup did not answer a list",
                    hidden[0],
                    transient=True,
                    what="the lookup",
                )
            for item in items:
                if isinstance(item, dict) and item.get("slug") == slug and item.get("id"):
                    return _receipt(item)
            return None
        raise self._failure(response, hidden, "the lookup")

    def _created(self, response: httpx.Response, hidden: tuple[str, ...]) -> Receipt:
        data = reply_json(response)
        if response.status_code in (200, 201) and data.get("id"):
            return _receipt(data)
        if 200 <= response.status_code < 300:
            # A retry looks the slug up first, so asking again cannot post twice.
            raise self.rejected(
                response.status_code, "the reply held no post id", hidden[0], transient=True
            )
        raise self._failure(response, hidden, "the post")

    def _failure(self, response: httpx.Response, hidden: tuple[str, ...], what: str) -> Exception:
        """The error for a refused request, in words, never with the password in it."""
        status = response.status_code
        if 300 <= status < 400:
            return self.redirected(response)
        data = reply_json(response)
        code = str(data.get("code") or "")
        detail = brief(data.get("message") or response.reason_phrase)
        params = (
            (data.get("data") or {}).get("params") if isinstance(data.get("data"), dict) else None
        )
        if isinstance(params, dict) and params:
            detail += " (" + "; ".join(f"{k}: {brief(v, 120)}" for k, v in params.items()) + ")"
        label = f"{status} {code}".strip()
        if status == 401 or code in _LOGIN_CODES:
            refused = self.refused(label, detail, hidden[0])
            return TokenRefused(scrub(str(refused), *hidden))
        if status == 403:
            return final(
                scrub(
                    f"WordPress refused {what} ({label}): {detail}; the user needs a role that "
                    "may publish posts (Author or above)",
                    *hidden,
                )
            )
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"))
            return self.throttled(label, detail, wait, hidden[0])
        if status == 404 and code in ("rest_no_route", ""):
            return final(
                f"WordPress: no REST API at this site (404 {code}): check the channel's site "
                "and that /wp-json/ is reachable"
            )
        transient = status >= 500 or status == 408
        error = self.rejected(label, detail, hidden[0], transient=transient, what=what)
        return DeliveryError(scrub(str(error), *hidden), transient=transient)


def slug_for(key: str) -> str:
    """The post's slug from its key: readable, lower-case, with a short hash of the whole key
    so two keys that read alike never share a slug."""
    readable = _SLUG_UNSAFE.sub("-", key.lower()).strip("-")[:80].strip("-")
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"hoasen-{readable}-{digest}" if readable else f"hoasen-{digest}"


def title_of(post: Post) -> str:
    """The post's title, else its first line cut to TITLE_CHARS."""
    if post.title and post.title.strip():
        return post.title.strip()
    first = post.text.strip().split("\n", 1)[0].strip()
    return first if len(first) <= TITLE_CHARS else first[: TITLE_CHARS - 1].rstrip() + "…"


def content_of(post: Post) -> str:
    """The post's HTML: the image, the text's paragraphs (escaped), then the link."""
    parts: list[str] = []
    if post.image_url:
        parts.append(f'<figure><img src="{html.escape(post.image_url)}" alt="" /></figure>')
    for paragraph in _PARAGRAPHS.split(post.text.strip()):
        if paragraph.strip():
            lines = "<br />".join(html.escape(line.strip()) for line in paragraph.splitlines())
            parts.append(f"<p>{lines}</p>")
    if post.link:
        link = html.escape(post.link.strip())
        parts.append(f'<p><a href="{link}">{link}</a></p>')
    return "\n".join(parts)


def _receipt(data: Mapping[str, Any]) -> Receipt:
    details = {k: str(data[k]) for k in ("slug", "status") if data.get(k)}
    return Receipt(str(data["id"]), url=str(data.get("link") or "") or None, details=details)


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _term_ids(value: Any, key: str) -> list[int]:
    """Category or tag ids from a list of numbers or "3,5"; UsageError for anything else."""
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if isinstance(items, int) and not isinstance(items, bool):
        items = [items]
    if not isinstance(items, list | tuple):
        raise UsageError(f"wordpress channel: {key!r} must be term ids such as 3,5")
    out: list[int] = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not text.isdigit() or int(text) < 1:
            raise UsageError(
                f"wordpress channel: {key!r} must be term ids such as 3,5, not {item!r}"
            )
        out.append(int(text))
    return out
