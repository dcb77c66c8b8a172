"""Zalo Official Account: an article is created (POST /v2.0/article/create, which answers a
processing token), verified (POST /v2.0/article/verify, which answers the article id once Zalo
has processed it) and broadcast to followers as a media message (POST /v2.0/oa/message with
recipient.target). The OA access token goes in the `access_token` header.

Zalo answers HTTP 200 with {"error": code, "message", "data"}: 0 is success, -216 a refused
access token, -32 the app's rate limit, -214 "article is being processed" (verify again after a
pause); anything else is final with Zalo's message. Zalo documents the article's title (150
characters), author (50) and description (300), not the body: the body is capped by max_chars
(2,000 by default) and the description is the text cut to 300 the same way.

Idempotency: none, so `idempotent` is False. The three steps are not one request: the adapter
remembers, per post key, the article it created (token, then id), so a retry of the same post
by this process verifies or broadcasts that article instead of creating another. A timeout
after the create or broadcast request was sent is final ("check the channel before retrying");
verify may be repeated freely.
"""

from __future__ import annotations

import html
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from hoasen.delivery.types import DeliveryError
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
    shorten,
)

DEFAULT_API = "https://openapi.zalo.me"
CREATE_PATH = "/v2.0/article/create"
VERIFY_PATH = "/v2.0/article/verify"
BROADCAST_PATH = "/v2.0/oa/message"

LIMIT = 2000  # hoasen's cap on the body: Zalo documents none
TITLE_MAX = 150
AUTHOR_MAX = 50
DESCRIPTION_MAX = 300

TOKEN_CODES = frozenset({-216})
RATE_CODES = frozenset({-32})
PROCESSING_CODE = -214
TARGET_KEYS = ("ages", "gender", "locations", "cities", "platform")
DEFAULT_TARGET = {"gender": "0"}  # 0: all followers, whatever their gender

_MEMORY = 256  # post keys whose article this adapter remembers

log = logging.getLogger(__name__)


class _Processing(Exception):
    """Zalo is still processing the article (-214): verify again later."""


class ZaloChannel(ChannelAdapter):
    """Publishes an article on a Zalo OA and broadcasts it to the OA's followers."""

    kind = "zalo"
    label = "Zalo"
    token_name = "the Zalo OA access token"
    idempotent = False

    _KEYS = (
        "oa",
        "api_url",
        "author",
        "cover_url",
        "target",
        "comments",
        "max_chars",
        "verify_attempts",
        "verify_wait",
    )

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self.sleep = sleep
        self._articles: OrderedDict[str, dict[str, str]] = OrderedDict()

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"oa": the OA's name, "api_url", "author" (≤ 50, the OA's name by default),
        "cover_url" (used when a post has no image), "target" (broadcast targeting: ages,
        gender, locations, cities, platform codes; all followers by default), "comments",
        "max_chars", "verify_attempts", "verify_wait" (seconds)}."""
        s = Settings(config, self.kind, self._KEYS)
        oa = s.text("oa", hint=" (the Official Account's name, shown as the default author)")
        author = s.text("author", oa)
        if len(author) > AUTHOR_MAX:
            if "author" in config:
                raise UsageError(f"zalo channel: 'author' has at most {AUTHOR_MAX} characters")
            author = author[:AUTHOR_MAX].rstrip()
        cover = s.text("cover_url", "")
        if cover and not cover.lower().startswith(("https://", "http://")):
            raise UsageError(f"zalo channel: 'cover_url' must be an image's URL: {cover!r}")
        return {
            "oa": oa,
            "api_url": s.url("api_url", DEFAULT_API),
            "author": author,
            "cover_url": cover,
            "target": _target(config.get("target")),
            "comments": s.flag("comments", True),
            "max_chars": s.integer("max_chars", LIMIT, 1, 100_000),
            "verify_attempts": s.integer("verify_attempts", 5, 1, 30),
            "verify_wait": s.number("verify_wait", 2.0, 0.0, 60.0),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "Zalo OA 'Name': article + broadcast (openapi.zalo.me)"."""
        cfg = self.check(config)
        return f"Zalo OA {cfg['oa']!r}: article + broadcast ({host_of(cfg['api_url'])})"

    def limit(self, config: Mapping[str, Any]) -> int:
        """The article body's cap: max_chars, 2,000 by default."""
        return int(self.check(config)["max_chars"])

    def article(self, post: Post, cfg: Mapping[str, Any]) -> dict[str, Any]:
        """The article/create body; UsageError when the post lacks a title or a cover."""
        title = (post.title or "").strip()
        if not title:
            raise UsageError("Zalo articles need a title: give the post one")
        cover = (post.image_url or "").strip() or cfg["cover_url"]
        if not cover:
            raise UsageError(
                "Zalo articles need a cover image: give the post an image_url or set the "
                "channel's cover_url"
            )
        text = post.text.strip()
        paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
        content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
        if post.link and post.link.strip():
            link = html.escape(post.link.strip())
            content += f'<p><a href="{link}">{link}</a></p>'
        return {
            "type": "normal",
            "title": _cap(title, TITLE_MAX),
            "author": cfg["author"],
            "cover": {"cover_type": "photo", "photo_url": cover, "status": "show"},
            "description": _cap(text or title, DESCRIPTION_MAX),
            "body": [{"type": "text", "content": content}],
            "status": "show",
            "comment": "show" if cfg["comments"] else "hide",
        }

    def broadcast(self, article_id: str, cfg: Mapping[str, Any]) -> dict[str, Any]:
        """The oa/message body broadcasting the article to the target followers."""
        element = {"media_type": "article", "attachment_id": article_id}
        return {
            "recipient": {"target": dict(cfg["target"])},
            "message": {
                "attachment": {
                    "type": "template",
                    "payload": {"template_type": "media", "elements": [element]},
                }
            },
        }

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """Create, verify and broadcast; the receipt holds the article id (and the message id)."""
        cfg = self.checked(config)
        token = self.need_secret(secret)
        post = self.prepared(post, cfg)
        try:
            article = self.article(post, cfg)
        except UsageError as exc:
            raise final(str(exc)) from None
        memo = self._articles.get(post.key) or {}
        if not memo.get("token"):
            data = self._step(client, cfg, CREATE_PATH, article, token, "the article", False)
            article_token = str(data.get("token") or "")
            if not article_token:
                raise final(
                    "Zalo created the article but sent no token back: check the OA's articles "
                    "before retrying"
                )
            memo = self._remember(post.key, {"token": article_token})
        if not memo.get("article_id"):
            memo["article_id"] = self._verify(client, cfg, memo["token"], token)
        article_id = memo["article_id"]
        what = f"the broadcast of article {article_id}"
        body = self.broadcast(article_id, cfg)
        data = self._step(client, cfg, BROADCAST_PATH, body, token, what, False)
        self._articles.pop(post.key, None)
        message_id = str(data.get("message_id") or "")
        log.info("published Zalo article %s (broadcast %s)", article_id, message_id or "?")
        return Receipt(article_id, details={"article_id": article_id, "message_id": message_id})

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The three requests, the token masked; UsageError when the post lacks title or cover."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        headers = {"access_token": "<OA access token>"}
        base = cfg["api_url"]
        steps = [
            render("POST", base + CREATE_PATH, self.article(post, cfg), headers),
            render("POST", base + VERIFY_PATH, {"token": "<token from step 1>"}, headers),
            render("POST", base + BROADCAST_PATH, self.broadcast("<id from step 2>", cfg), headers),
        ]
        numbered = [f"{n}. {step}" for n, step in enumerate(steps, 1)]
        return "Zalo (dry run, nothing sent)\n" + "\n".join(numbered)

    # ------------------------------------------------------------------------- steps

    def _remember(self, key: str, memo: dict[str, str]) -> dict[str, str]:
        self._articles[key] = memo
        self._articles.move_to_end(key)
        while len(self._articles) > _MEMORY:
            self._articles.popitem(last=False)
        return memo

    def _verify(
        self, client: httpx.Client, cfg: Mapping[str, Any], article_token: str, token: str
    ) -> str:
        """The article id, asking again while Zalo is still processing the article."""
        for attempt in range(cfg["verify_attempts"]):
            if attempt:
                self.sleep(cfg["verify_wait"])
            try:
                body = {"token": article_token}
                data = self._step(client, cfg, VERIFY_PATH, body, token, "the article check", True)
            except _Processing:
                continue
            article_id = str(data.get("id") or "")
            if not article_id:
                raise final("Zalo verified the article but sent no article id back")
            return article_id
        raise DeliveryError(
            f"Zalo was still processing the article after {cfg['verify_attempts']} checks; "
            "nothing was broadcast yet, and a retry checks the same article again"
        )

    def _step(
        self,
        client: httpx.Client,
        cfg: Mapping[str, Any],
        path: str,
        body: Mapping[str, Any],
        token: str,
        what: str,
        repeatable: bool,
    ) -> dict[str, Any]:
        """One Zalo call; its `data` on success, else the right DeliveryError."""
        response = self.call(
            client,
            "POST",
            cfg["api_url"] + path,
            secret=token,
            repeatable=repeatable,
            what=what,
            json=body,
            headers={"access_token": token},
        )
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirected(response)
        reply = reply_json(response)
        if status == 429:
            wait = retry_after(response.headers.get("Retry-After"))
            raise self.throttled(429, reply.get("message"), wait, token)
        if status >= 500 or status == 408:
            raise self.rejected(status, reply.get("message"), token, transient=True, what=what)
        code = reply.get("error")
        detail = reply.get("message") or response.reason_phrase
        if not isinstance(code, int) or isinstance(code, bool):
            if repeatable:
                raise self.rejected(status, "unreadable reply", token, transient=True, what=what)
            raise final(
                f"Zalo answered {status} to {what} without a result code: it may have been "
                "done; check the OA before retrying"
            )
        if code == 0:
            data = reply.get("data")
            return data if isinstance(data, dict) else {}
        if code in TOKEN_CODES:
            raise self.refused(code, detail, token)
        if code in RATE_CODES:
            raise self.throttled(code, detail, None, token)
        if code == PROCESSING_CODE:
            if path == VERIFY_PATH:
                raise _Processing()
            raise self.rejected(code, detail, token, transient=True, what=what)
        raise final(scrub(f"Zalo refused {what} ({code}): {brief(detail)}", token))


def _cap(text: str, size: int) -> str:
    """`text` cut to `size` characters at a sentence or word boundary, closed with "…"."""
    text = " ".join(text.split())
    if len(text) <= size:
        return text
    return shorten(text, lambda t: len(t) <= size)


def _target(value: Any) -> dict[str, str]:
    """The broadcast target: known keys only, values as Zalo's code strings ("1,2")."""
    if value is None:
        return dict(DEFAULT_TARGET)
    if not isinstance(value, Mapping):
        raise UsageError("zalo channel: 'target' must be a table (ages, gender, cities…)")
    unknown = sorted(str(k) for k in value if k not in TARGET_KEYS)
    if unknown:
        raise UsageError(
            f"zalo channel: unknown target {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(TARGET_KEYS)})"
        )
    target: dict[str, str] = {}
    for key, code in value.items():
        if isinstance(code, bool) or not isinstance(code, int | str | list):
            raise UsageError(f"zalo channel: target {key!r} must be a code or a list of codes")
        codes = code if isinstance(code, list) else [code]
        target[str(key)] = ",".join(str(c).strip() for c in codes)
    return target or dict(DEFAULT_TARGET)
