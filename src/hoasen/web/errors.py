"""One JSON error body for the whole API, whatever went wrong.

Every error under /api/ answers `{"error": {"status", "code", "message", "reasons"}}`; pages
(everything else) keep Starlette's own responses unless the app passes a page handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from hoasen.errors import (
    ConfigError,
    HoasenError,
    InputRejected,
    NotFoundError,
    StoreError,
    UsageError,
)
from hoasen.web.auth import AuthError, RateLimited
from hoasen.web.deps import ApiError

__all__ = ["ApiError", "ErrorBody", "error_response", "install_error_handlers"]

API_PREFIX = "/api/"

PageHandler = Callable[[Request, Exception], Awaitable[Response]]

# Domain error -> (HTTP status, code). Checked in order: the first matching class wins.
_DOMAIN: tuple[tuple[type[HoasenError], int, str], ...] = (
    (RateLimited, 429, "rate_limited"),
    (AuthError, 401, "unauthorized"),
    (NotFoundError, 404, "not_found"),
    (InputRejected, 422, "rejected"),
    (UsageError, 400, "bad_request"),
    (StoreError, 503, "store_unavailable"),
    (ConfigError, 500, "config_error"),
)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ErrorDetail(BaseModel):
    """What went wrong, in plain words, with the reasons when there are several."""

    status: int
    code: str
    message: str
    reasons: list[str] = []


class ErrorBody(BaseModel):
    """The body of every API error response."""

    error: ErrorDetail


def code_for(status: int) -> str:
    """The machine-readable code of an HTTP status."""
    if status in _CODES:
        return _CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_response(
    status: int,
    message: str,
    code: str | None = None,
    reasons: Sequence[str] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The consistent JSON error response."""
    body = ErrorBody(
        error=ErrorDetail(
            status=status, code=code or code_for(status), message=message, reasons=list(reasons)
        )
    )
    return JSONResponse(body.model_dump(), status_code=status, headers=dict(headers or {}))


def domain_status(exc: HoasenError) -> tuple[int, str]:
    """(HTTP status, code) of a domain error."""
    for cls, status, code in _DOMAIN:
        if isinstance(exc, cls):
            return status, code
    status = int(getattr(exc, "http_status", 400))
    return status, str(getattr(exc, "code", None) or code_for(status))


def is_api(request: Request) -> bool:
    """True for requests to the REST API (they always get JSON errors)."""
    return request.url.path.startswith(API_PREFIX)


def install_error_handlers(app: FastAPI, page_handler: PageHandler | None = None) -> None:
    """Answer every API error with the JSON error body; `page_handler` (when given) answers
    errors of pages, which otherwise keep FastAPI's default responses."""

    async def on_api_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ApiError):
            raise TypeError(f"unexpected exception {exc!r}")
        if not is_api(request) and page_handler is not None:
            return await page_handler(request, exc)
        return error_response(exc.status, exc.message, exc.code, exc.reasons, exc.headers)

    async def on_domain_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HoasenError):
            raise TypeError(f"unexpected exception {exc!r}")
        if not is_api(request) and page_handler is not None:
            return await page_handler(request, exc)
        status, code = domain_status(exc)
        reason = getattr(exc, "reason", None)
        headers = _retry_after(exc)
        return error_response(status, str(exc), code, [reason] if reason else [], headers)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise TypeError(f"unexpected exception {exc!r}")
        if not is_api(request):
            if page_handler is not None:
                return await page_handler(request, exc)
            return await http_exception_handler(request, exc)
        message, code, reasons = _from_detail(exc.status_code, exc.detail)
        return error_response(exc.status_code, message, code, reasons, exc.headers)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            raise TypeError(f"unexpected exception {exc!r}")
        if not is_api(request):
            if page_handler is not None:
                return await page_handler(request, exc)
            return await request_validation_exception_handler(request, exc)
        reasons = [_validation_reason(e) for e in exc.errors()]
        return error_response(422, "the request is not valid", "invalid_request", reasons)

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(HoasenError, on_domain_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_invalid)


def _from_detail(status: int, detail: Any) -> tuple[str, str, list[str]]:
    """(message, code, reasons) from an HTTPException's detail (a string or a dict)."""
    if isinstance(detail, Mapping):
        message = str(detail.get("message") or HTTPStatus(status).phrase)
        code = str(detail.get("code") or code_for(status))
        reasons = [str(r) for r in detail.get("reasons") or ()]
        return message, code, reasons
    if detail is None or detail == "":
        return HTTPStatus(status).phrase, code_for(status), []
    return str(detail), code_for(status), []


def _validation_reason(error: Mapping[str, Any]) -> str:
    """`query.limit: Input should be less than or equal to 500` from one Pydantic error."""
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "request"
    return f"{where}: {error.get('msg', 'invalid value')}"


def _retry_after(exc: Exception) -> dict[str, str]:
    """A Retry-After header for errors that say when to come back (rate limits)."""
    seconds = getattr(exc, "retry_after", None)
    if isinstance(seconds, int | float) and seconds > 0:
        return {"Retry-After": str(int(seconds + 0.999))}
    return {}
