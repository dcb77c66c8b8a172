"""Telegram: the Bot API's sendMessage to a channel (chat_id "@name" or "-100…"), parse_mode
HTML, with a link preview of the post's link.

Idempotency: the Bot API has no idempotency key, so `idempotent` is False: a request that timed
out after it was sent may have posted, that failure is final ("check the channel before
retrying") and the caller's ledger (the delivery queue's key) is the only guard against posting
twice. A 429 carries `parameters.retry_after`, passed on as RateLimited.retry_after.

The token sits in the URL path (/bot<token>/sendMessage), so messages here name only the host,
transport exceptions are never chained, and a filter on the "httpx" logger masks the token in
httpx's own "HTTP Request: POST …" log lines.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from typing import Any

import httpx

from hoasen.errors import UsageError
from hoasen.publish.channels.base import (
    MASK,
    ChannelAdapter,
    Post,
    Receipt,
    Settings,
    final,
    host_of,
    render,
    reply_json,
    retry_after,
    utf16_length,
)

DEFAULT_API = "https://api.telegram.org"
LIMIT = 4096  # characters of a message after entity parsing (Telegram counts UTF-16 units)

_CHAT = re.compile(r"^(?:@[A-Za-z][A-Za-z0-9_]{3,31}|-?\d{1,20})$")
_TOKEN_SHAPE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_TOKEN_IN_PATH = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")

log = logging.getLogger(__name__)


class _MaskBotToken(logging.Filter):
    """Masks /bot<token> in a log record's text (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/bot" in text:
            masked = _TOKEN_IN_PATH.sub("/bot" + MASK, text)
            if masked != text:
                record.msg, record.args = masked, ()
        return True


def _mask_httpx_log() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _MaskBotToken) for f in logger.filters):
        logger.addFilter(_MaskBotToken())


_mask_httpx_log()


class TelegramChannel(ChannelAdapter):
    """Posts to a Telegram channel through a bot that is an administrator of it."""

    kind = "telegram"
    label = "Telegram"
    token_name = "the Telegram bot token"
    idempotent = False

    _KEYS = ("chat_id", "api_url", "link_preview", "silent")

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """{"chat_id": "@channel" or "-100…", "api_url", "link_preview": bool, "silent": bool}."""
        s = Settings(config, self.kind, self._KEYS)
        chat = s.text("chat_id", hint=" (the channel's @username or its numeric id, -100…)")
        if not _CHAT.match(chat):
            raise UsageError(
                f"telegram channel: 'chat_id' must be @username or a numeric id, not {chat!r}"
            )
        return {
            "chat_id": chat,
            "api_url": s.url("api_url", DEFAULT_API),
            "link_preview": s.flag("link_preview", True),
            "silent": s.flag("silent", False),
        }

    def describe(self, config: Mapping[str, Any]) -> str:
        """ "Telegram channel @name (api.telegram.org)"."""
        cfg = self.check(config)
        return f"Telegram channel {cfg['chat_id']} ({host_of(cfg['api_url'])})"

    def limit(self, config: Mapping[str, Any]) -> int:
        """4,096: a message's limit after entity parsing."""
        return LIMIT

    def measure(self, text: str) -> float:
        """UTF-16 code units, as Telegram counts."""
        return utf16_length(text)

    def visible(self, post: Post, config: Mapping[str, Any]) -> str:
        """Title, text and link, one blank line apart: the message as readers see it."""
        parts = (post.title or "", post.text, post.link or "")
        return "\n\n".join(p.strip() for p in parts if p.strip())

    def body(self, post: Post, config: Mapping[str, Any]) -> dict[str, Any]:
        """The sendMessage parameters: the title in bold, text and link HTML-escaped."""
        parts = []
        if post.title and post.title.strip():
            parts.append(f"<b>{html.escape(post.title.strip(), quote=False)}</b>")
        for part in (post.text, post.link or ""):
            if part.strip():
                parts.append(html.escape(part.strip(), quote=False))
        body: dict[str, Any] = {
            "chat_id": config["chat_id"],
            "text": "\n\n".join(parts),
            "parse_mode": "HTML",
        }
        if not config["link_preview"]:
            body["link_preview_options"] = {"is_disabled": True}
        elif post.link:
            body["link_preview_options"] = {"url": post.link.strip(), "prefer_large_media": True}
        if config["silent"]:
            body["disable_notification"] = True
        return body

    def send(
        self, post: Post, config: Mapping[str, Any], secret: str, client: httpx.Client
    ) -> Receipt:
        """One sendMessage; the receipt holds the message id and its t.me link."""
        cfg = self.checked(config)
        token = self.need_secret(secret)
        if not _TOKEN_SHAPE.match(token):
            raise final(
                "the Telegram bot token is malformed (expected digits, a colon, then letters): "
                "check the channel's secret"
            )
        post = self.prepared(post, cfg)
        url = f"{cfg['api_url']}/bot{token}/sendMessage"
        response = self.call(
            client, "POST", url, secret=token, repeatable=False, json=self.body(post, cfg)
        )
        receipt = self._receipt(response, cfg, token)
        log.info("posted to Telegram %s: message %s", cfg["chat_id"], receipt.remote_id)
        return receipt

    def dry_run(self, post: Post, config: Mapping[str, Any]) -> str:
        """The sendMessage request, the token masked."""
        cfg = self.check(config)
        post = self.fit(post, cfg)
        url = f"{cfg['api_url']}/bot<bot token>/sendMessage"
        return "Telegram (dry run, nothing sent)\n" + render("POST", url, self.body(post, cfg))

    def _receipt(self, response: httpx.Response, cfg: Mapping[str, Any], token: str) -> Receipt:
        status = response.status_code
        if 300 <= status < 400:
            raise self.redirected(response)
        data = reply_json(response)
        result = data.get("result")
        if status == 200 and data.get("ok") is True and isinstance(result, dict):
            message_id = result.get("message_id")
            if message_id is None:
                raise final("Telegram accepted the message but sent no message id back")
            chat = result.get("chat") if isinstance(result.get("chat"), dict) else {}
            return Receipt(
                str(message_id),
                url=_message_url(chat or {}, cfg["chat_id"], message_id),
                details={"chat_id": str((chat or {}).get("id", cfg["chat_id"]))},
            )
        code = data.get("error_code", status)
        detail = data.get("description") or response.reason_phrase
        raw = data.get("parameters")
        params: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if status == 429 or code == 429:
            wait = params.get("retry_after")
            seconds = (
                float(wait)
                if isinstance(wait, int | float) and not isinstance(wait, bool)
                else retry_after(response.headers.get("Retry-After"))
            )
            raise self.throttled(429, detail, seconds, token)
        if status in (401, 404):  # 404: the Bot API's answer to a token it does not know
            raise self.refused(status, detail, token)
        if status == 403:
            raise final(
                f"Telegram refused the bot in {cfg['chat_id']} (403): {detail}; make the bot "
                "an administrator of the channel with the right to post"
            )
        if params.get("migrate_to_chat_id"):
            raise final(
                f"Telegram: the chat moved (400): set chat_id to {params['migrate_to_chat_id']}"
            )
        if status >= 500 or status == 408:
            raise self.rejected(status, detail, token, transient=True)
        if 200 <= status < 300:
            raise final(
                f"Telegram answered {status} but its reply could not be read: it may have been "
                "posted; check the channel before retrying"
            )
        raise self.rejected(code, detail, token, transient=False)


def _message_url(chat: Mapping[str, Any], chat_id: str, message_id: Any) -> str | None:
    """https://t.me/name/ID for a public channel, https://t.me/c/NNN/ID for a private one."""
    username = chat.get("username") or (chat_id[1:] if chat_id.startswith("@") else "")
    if username:
        return f"https://t.me/{username}/{message_id}"
    numeric = str(chat.get("id", chat_id))
    if numeric.startswith("-100"):
        return f"https://t.me/c/{numeric[4:]}/{message_id}"
    return None
