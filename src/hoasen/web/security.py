"""Security middleware: response headers (CSP and friends), the pre-login CSRF cookie, and a cap
on request body size. Plain ASGI, so streamed responses and downloads pass through untouched."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hoasen.web.deps import CSRF_COOKIE, NEW_CSRF_STATE

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
FORM_MARGIN = 1_000_000  # bytes allowed beyond the upload cap for the other form fields


def is_https(scope: Scope) -> bool:
    """True when the request came over HTTPS (the scheme uvicorn saw, proxy headers applied)."""
    return scope.get("scheme") == "https"


def cookie_header(
    name: str, value: str, secure: bool, max_age: int | None = None, http_only: bool = True
) -> bytes:
    """A Set-Cookie value: Path=/, SameSite=Lax, HttpOnly unless asked, Secure when asked."""
    cookie: SimpleCookie = SimpleCookie()
    cookie[name] = value
    morsel = cookie[name]
    morsel["path"] = "/"
    morsel["samesite"] = "Lax"
    if http_only:
        morsel["httponly"] = True
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString().encode("latin-1")


class SecurityMiddleware:
    """Adds the security headers to every response, sets the pre-login CSRF cookie a page asked
    for, and answers 413 to request bodies larger than `max_body` bytes."""

    def __init__(self, app: ASGIApp, max_body: int, secure_cookies: bool = False) -> None:
        self.app = app
        self.max_body = max_body
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await _too_large(send, self.max_body)
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        secure = self.secure_cookies or is_https(scope)
        received = 0
        started = refused = False

        async def limited_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    if not started and not refused:
                        refused = True  # answer now: the app may wrap the error as a 400
                        await _too_large(send, self.max_body)
                    raise BodyTooLarge(self.max_body)
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 has been sent; drop whatever the app answers after it
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in HEADERS.items():
                    if key.encode() not in present:
                        headers.append((key.encode(), value.encode()))
                new_csrf = state.get(NEW_CSRF_STATE)
                if new_csrf:
                    headers.append((b"set-cookie", cookie_header(CSRF_COOKIE, new_csrf, secure)))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            if not refused:
                raise


class BodyTooLarge(Exception):
    """The request body passed the size cap while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body larger than {limit} bytes")
        self.limit = limit


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(send: Send, limit: int) -> None:
    megabytes = max(1, limit // 1_000_000)
    body = json.dumps(
        {
            "error": {
                "status": 413,
                "code": "too_large",
                "message": f"the upload is too large: at most about {megabytes} MB",
                "reasons": [],
            }
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode(), v.encode()) for k, v in HEADERS.items()]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
