"""Loopback fakes of the social APIs the channel adapters post to (Facebook Graph, Telegram Bot
API, Mastodon, Zalo OA, Weibo), following each one's documented requests, replies and errors.
Each runs a real HTTP server on 127.0.0.1 in a thread (the pattern of translate_fakes) and
records what it received, so tests check the request shape: method, path, where the token
goes, required fields. Switches on each fake's state produce the documented failures: a refused
or expired token, a rate limit with its wait, a validation error.
"""

from __future__ import annotations

import html
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the fake saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, list[str]]
    raw: bytes
    json: Any = None  # parsed when the body is JSON
    form: dict[str, str] = field(default_factory=dict)  # parsed when form-encoded


@dataclass
class Answer:
    """What the fake answers."""

    status: int = 200
    body: Any = None  # JSON-able
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """`with FakeServer(handler) as srv: srv.url` — every request goes to `handler`; `slow`
    holds delays applied to the next answers after the handler ran (the request was processed
    but the reply comes late: a read timeout on the client's side)."""

    def __init__(self, handler: Callable[[Request], Answer]) -> None:
        self.handler = handler
        self.requests: list[Request] = []
        self.slow: list[float] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FakeServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _answer(self, request: Request) -> tuple[Answer, float]:
        with self._lock:
            self.requests.append(request)
            answer = self.handler(request)
            delay = self.slow.pop(0) if self.slow else 0.0
        return answer, delay

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
                parsed: Any = None
                form: dict[str, str] = {}
                if kind == "application/json":
                    try:
                        parsed = json.loads(raw)
                    except ValueError:
                        parsed = None
                elif kind == "application/x-www-form-urlencoded":
                    pairs = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
                    form = {k: v[-1] for k, v in pairs.items()}
                parts = urlsplit(self.path)
                request = Request(
                    self.command,
                    parts.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    parse_qs(parts.query),
                    raw,
                    parsed,
                    form,
                )
                answer, delay = server._answer(request)
                if delay:
                    time.sleep(delay)
                data = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in answer.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = _handle
            do_POST = _handle

        return Handler


# ------------------------------------------------------------------------------- Facebook


@dataclass
class FacebookFake:
    """Graph API POST /v24.0/{page-id}/feed (form-encoded, access_token in the body)."""

    page_id: str = "1234567890"
    token: str = "EAAGpagetoken123"
    expired: bool = False
    throttled: bool = False
    posts: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, req: Request) -> Answer:
        if req.method != "POST" or req.path != f"/v24.0/{self.page_id}/feed":
            return _fb_error(400, 2500, f"Unknown path components: {req.path}")
        if "access_token" in req.query:
            return _fb_error(400, 100, "fake: the token must not travel in the URL")
        if req.headers.get("content-type", "").split(";")[0] != "application/x-www-form-urlencoded":
            return _fb_error(400, 100, "fake: expected a form-encoded body")
        if req.form.get("access_token") != self.token:
            return _fb_error(400, 190, "Invalid OAuth access token - Cannot parse access token")
        if self.expired:
            return _fb_error(
                400,
                190,
                "Error validating access token: Session has expired on Friday, 01-May-26 "
                "10:00:00 PDT. The current time is Saturday, 02-May-26 09:00:00 PDT.",
                subcode=463,
            )
        if self.throttled:
            usage = {
                self.page_id: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 10,
                        "total_time": 10,
                        "estimated_time_to_regain_access": 5,
                    }
                ]
            }
            answer = _fb_error(400, 32, "Page request limit reached")
            answer.headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
            return answer
        message, link = req.form.get("message", ""), req.form.get("link")
        if not message and not link:
            return _fb_error(400, 100, "(#100) Missing message or attachment")
        if len(message) > 63206:
            return _fb_error(400, 100, "(#100) The message is too long")
        if link is not None and not link.startswith(("http://", "https://")):
            return _fb_error(400, 100, "(#100) The link URL is not properly formatted")
        post_id = f"{self.page_id}_{1000 + len(self.posts) + 1}"
        self.posts.append({"id": post_id, "message": message, "link": link or ""})
        return Answer(200, {"id": post_id})


def _fb_error(status: int, code: int, message: str, subcode: int | None = None) -> Answer:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    return Answer(status, {"error": error})


# ------------------------------------------------------------------------------- Telegram

_TG_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
_TG_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>")
_TG_ENTITY = re.compile(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


@dataclass
class TelegramFake:
    """Bot API POST /bot<token>/sendMessage (JSON) to a channel, parse_mode HTML."""

    token: str = "123456789:AAHtestTOKEN_abc-xyz"
    username: str = "hoasen_news"
    chat_id: int = -1001234567890
    retry_after: int | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, req: Request) -> Answer:
        m = re.match(r"^/bot([^/]+)/([A-Za-z]+)$", req.path)
        if not m:
            return Answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if m.group(1) != self.token:
            return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        if m.group(2).lower() != "sendmessage" or req.method != "POST":
            return Answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if self.retry_after is not None:
            return Answer(
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
            )
        body = req.json if isinstance(req.json, dict) else {}
        if body.get("chat_id") not in (f"@{self.username}", self.chat_id, str(self.chat_id)):
            return _tg_bad("chat not found")
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return _tg_bad("message text is empty")
        visible = text
        if body.get("parse_mode") == "HTML":
            problem, visible = _tg_parse_html(text)
            if problem:
                return _tg_bad(f"can't parse entities: {problem}")
        if len(visible.encode("utf-16-le")) // 2 > 4096:
            return _tg_bad("message is too long")
        options = body.get("link_preview_options")
        if options is not None and not isinstance(options, dict):
            return _tg_bad("can't parse link preview options")
        message_id = 100 + len(self.messages) + 1
        chat = {
            "id": self.chat_id,
            "title": "Hoa Sen",
            "username": self.username,
            "type": "channel",
        }
        message = {
            "message_id": message_id,
            "sender_chat": chat,
            "chat": chat,
            "date": 1767225600,
            "text": visible,
        }
        self.messages.append({**message, "request": body})
        return Answer(200, {"ok": True, "result": message})


def _tg_bad(description: str) -> Answer:
    return Answer(
        400, {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}
    )


def _tg_parse_html(text: str) -> tuple[str, str]:
    """(problem, visible text) of a Telegram HTML message: supported tags, escaped < and &."""
    for m in _TG_TAG.finditer(text):
        if m.group(2).lower() not in _TG_TAGS:
            return f'Unsupported start tag "{m.group(2)}" at byte offset {m.start()}', ""
    stripped = _TG_TAG.sub("", text)
    if "<" in stripped or ">" in stripped:
        return "unexpected character < or >", ""
    if _TG_ENTITY.search(stripped):
        return "unsupported entity: & must be escaped", ""
    return "", html.unescape(stripped)


# ------------------------------------------------------------------------------- Mastodon

_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@dataclass
class MastodonFake:
    """POST /api/v1/statuses with a Bearer token; dedupes on Idempotency-Key."""

    token: str = "mastodon-token-abc"
    max_chars: int = 500
    reset_in: float | None = None  # set: every request is rate-limited until then
    statuses: list[dict[str, Any]] = field(default_factory=list)
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __call__(self, req: Request) -> Answer:
        if req.method != "POST" or req.path != "/api/v1/statuses":
            return Answer(404, {"error": "Record not found"})
        if req.headers.get("authorization") != f"Bearer {self.token}":
            return Answer(401, {"error": "The access token is invalid"})
        if self.reset_in is not None:
            reset = datetime.now(UTC) + timedelta(seconds=self.reset_in)
            return Answer(
                429,
                {"error": "Too many requests"},
                {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
                },
            )
        key = req.headers.get("idempotency-key")
        if key and key in self.by_key:
            return Answer(200, self.by_key[key])
        body = req.json if isinstance(req.json, dict) else req.form
        text = str(body.get("status") or "")
        if not text.strip():
            return Answer(422, {"error": "Validation failed: Text can't be blank"})
        if len(_URL.sub("x" * 23, text)) > self.max_chars:
            return Answer(
                422,
                {"error": f"Validation failed: Text character limit of {self.max_chars} exceeded"},
            )
        visibility = body.get("visibility", "public")
        if visibility not in ("public", "unlisted", "private", "direct"):
            return Answer(422, {"error": f"'{visibility}' is not a valid visibility"})
        status_id = str(110_000_000_000_000_000 + len(self.statuses) + 1)
        status = {
            "id": status_id,
            "created_at": "2026-05-02T09:00:00.000Z",
            "uri": f"https://social.example/users/hoasen/statuses/{status_id}",
            "url": f"https://social.example/@hoasen/{status_id}",
            "content": f"<p>{html.escape(text)}</p>",
            "visibility": visibility,
            "language": body.get("language"),
        }
        self.statuses.append(status)
        if key:
            self.by_key[key] = status
        return Answer(200, status)


# ------------------------------------------------------------------------------------ Zalo


@dataclass
class ZaloFake:
    """Zalo OA v2.0 article/create, article/verify and oa/message (broadcast); the access
    token in an `access_token` header; HTTP 200 with {"error", "message", "data"} always."""

    token: str = "zalo-oa-access-token"
    processing_rounds: int = 0  # verify answers -214 this many times per article first
    broadcast_limited: int = 0  # the next broadcasts answer -32
    articles: dict[str, dict[str, Any]] = field(default_factory=dict)
    broadcasts: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, req: Request) -> Answer:
        if req.method != "POST":
            return _zalo(-209, "Not supported this api")
        if "access_token" in req.query or req.headers.get("access_token") != self.token:
            return _zalo(-216, "Access token is invalid")
        body = req.json
        if not isinstance(body, dict):
            return _zalo(-201, "body is invalid!")
        if req.path == "/v2.0/article/create":
            return self._create(body)
        if req.path == "/v2.0/article/verify":
            return self._verify(body)
        if req.path == "/v2.0/oa/message":
            return self._broadcast(body)
        return _zalo(-209, "Not supported this api")

    def _create(self, body: dict[str, Any]) -> Answer:
        if body.get("type") != "normal":
            return _zalo(-201, "type is invalid!")
        for name, cap in (("title", 150), ("author", 50), ("description", 300)):
            value = body.get(name)
            if not isinstance(value, str) or not value.strip():
                return _zalo(-201, f"{name} is invalid!")
            if len(value) > cap:
                return _zalo(-210, "Parameter exceeds allowable limit")
        cover = body.get("cover")
        if not isinstance(cover, dict) or cover.get("cover_type") != "photo":
            return _zalo(-201, "cover is invalid!")
        if not str(cover.get("photo_url", "")).startswith("http"):
            return _zalo(-201, "photo_url is invalid!")
        items = body.get("body")
        if not isinstance(items, list) or not items or items[0].get("type") != "text":
            return _zalo(-201, "body is invalid!")
        if body.get("status") not in ("show", "hide"):
            return _zalo(-201, "status is invalid!")
        n = len(self.articles) + 1
        token = f"article-token-{n}"
        self.articles[token] = {**body, "id": f"art{n:04d}", "checks": 0, "verified": False}
        return _zalo(0, "Success", {"token": token})

    def _verify(self, body: dict[str, Any]) -> Answer:
        article = self.articles.get(str(body.get("token")))
        if article is None:
            return _zalo(-201, "token is invalid!")
        if article["checks"] < self.processing_rounds:
            article["checks"] += 1
            return _zalo(-214, "Article is being processed")
        article["verified"] = True
        return _zalo(0, "Success", {"id": article["id"]})

    def _broadcast(self, body: dict[str, Any]) -> Answer:
        target = (body.get("recipient") or {}).get("target")
        if not isinstance(target, dict) or not target:
            return _zalo(-201, "recipient is invalid!")
        attachment = (body.get("message") or {}).get("attachment") or {}
        payload = attachment.get("payload") or {}
        elements = payload.get("elements") or [{}]
        if attachment.get("type") != "template" or payload.get("template_type") != "media":
            return _zalo(-201, "attachment is invalid!")
        verified = {a["id"] for a in self.articles.values() if a["verified"]}
        if elements[0].get("media_type") != "article" or elements[0].get("attachment_id") not in (
            verified
        ):
            return _zalo(-201, "attachment_id is invalid!")
        if self.broadcast_limited:
            self.broadcast_limited -= 1
            return _zalo(-32, "Your application reached limit call api")
        message_id = f"msg{len(self.broadcasts) + 1:04d}"
        self.broadcasts.append({**body, "message_id": message_id})
        return _zalo(0, "Success", {"message_id": message_id})


def _zalo(code: int, message: str, data: dict[str, Any] | None = None) -> Answer:
    body: dict[str, Any] = {"error": code, "message": message}
    if data is not None:
        body["data"] = data
    return Answer(200, body)


# ------------------------------------------------------------------------------------ Weibo


@dataclass
class WeiboFake:
    """POST /2/statuses/share.json (form-encoded: access_token, status with a safe-domain link)."""

    token: str = "2.00weiboTOKENxyz"
    safe_domain: str = "baothanhhoa.vn"
    expired: bool = False
    throttled: bool = False
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, req: Request) -> Answer:
        if req.path != "/2/statuses/share.json":
            return _weibo(404, 10020, "Request Api not found!", req.path)
        if req.method != "POST":
            return _weibo(400, 10021, "HTTP method is not suported for this request!", req.path)
        if "access_token" in req.query:
            return _weibo(400, 10017, "fake: the token must not travel in the URL", req.path)
        form = req.form
        if form.get("access_token") != self.token:
            return _weibo(401, 21332, "invalid_access_token", req.path)
        if self.expired:
            return _weibo(401, 21327, "expired_token", req.path)
        if self.throttled:
            return _weibo(403, 10023, "User requests out of rate limit!", req.path)
        text = form.get("status")
        if not text:
            return _weibo(400, 10016, "Miss required parameter (status), see doc.", req.path)
        hosts = [(urlsplit(u).hostname or "") for u in _URL.findall(text)]
        if not any(h == self.safe_domain or h.endswith("." + self.safe_domain) for h in hosts):
            return _weibo(400, 10017, "text not find domain!", req.path)
        if math.ceil(sum(0.5 if ord(c) < 128 else 1 for c in text)) > 140:
            return _weibo(
                400, 20012, "Text too long, please input text less than 140 characters!", req.path
            )
        if self.statuses and self.statuses[-1]["text"] == text:
            return _weibo(400, 20019, "Repeated weibo text!", req.path)
        n = 4_990_000_000_000_000 + len(self.statuses) + 1
        status = {
            "created_at": "Sat May 02 09:00:00 +0800 2026",
            "id": n,
            "idstr": str(n),
            "mid": str(n),
            "text": text,
            "user": {"id": 5612345678, "idstr": "5612345678", "screen_name": "hoasen"},
        }
        self.statuses.append(status)
        return Answer(200, status)


def _weibo(status: int, code: int, error: str, path: str) -> Answer:
    return Answer(status, {"error": error, "error_code": code, "request": path})
