"""The news exchange's REST API under /api/v1: the partners' inbox and the exchange ledger.

`POST /exchange/inbox/{partner}` is for partners' machines, not people: no session, API token
or CSRF token, but an HMAC-SHA256 signature of the raw body with the key of the partner's
inbound plan (`X-Hoasen-Signature: sha256=<hex>`). It answers 404 for an unknown partner or one
without an inbox plan, 413 for a body over `web_upload_max_mb`, 401 for a missing or wrong
signature, 409 for an idempotency key reused for another body, 422 (with the reasons) for a
refused document, 201 when new articles were stored and 200 otherwise (all already stored, or
the replay of an `Idempotency-Key`). Every document that passes the signature is in the ledger.

`GET /exchange/ledger` lists the ledger for any signed-in user.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from hoasen.desk import Desk
from hoasen.exchange.receive import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    BadSignature,
    ReceivedDocument,
)
from hoasen.web.api import _ERRORS, MAX_LIMIT
from hoasen.web.deps import ApiError, api_user, get_desk
from hoasen.web.errors import ErrorBody, error_response

PREFIX = "/api/v1"

# Authenticated routes (the ledger): any signed-in user or API token.
router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)], responses=_ERRORS)
# The inbox: authenticated by the partner's signature only (no session, token or CSRF).
inbox_router = APIRouter(prefix=PREFIX)

DeskDep = Annotated[Desk, Depends(get_desk)]

_INBOX_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (400, "The Idempotency-Key is not 1-200 visible ASCII characters"),
        (401, "X-Hoasen-Signature is missing or does not match the body"),
        (404, "No such partner, or the partner has no inbox plan"),
        (409, "The Idempotency-Key was used before for another document"),
        (413, "The document is larger than web_upload_max_mb"),
        (422, "The document was refused (not well-formed, not valid, no articles)"),
    )
}


def _answer(doc: ReceivedDocument) -> JSONResponse:
    """201 when this request stored new articles, 200 otherwise; 422 for a refused one."""
    if doc.status != "received":
        return error_response(
            422,
            f"the document was refused (ledger entry {doc.ledger_id})",
            "refused",
            doc.errors,
        )
    created = doc.new > 0 and not doc.replayed
    return JSONResponse(doc.as_json(), status_code=201 if created else 200)


@inbox_router.post(
    "/exchange/inbox/{partner}",
    tags=["exchange"],
    status_code=201,
    responses={200: {"description": "Already stored, or an idempotent replay"}, **_INBOX_ERRORS},
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "One document: ninjs 1.x-3.x (an object or a list), NewsML-G2 "
            "(newsItem or newsMessage), Atom/RSS or JSON Feed; told apart by its content.",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/xml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def post_inbox(
    partner: str,
    request: Request,
    desk: DeskDep,
    x_hoasen_signature: Annotated[
        str | None,
        Header(description="sha256=<hex HMAC-SHA256 of the raw body with the partner's key>"),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Header(description="Optional: a resend with the same key returns the first result"),
    ] = None,
) -> JSONResponse:
    """Receive one partner document, signed with the partner's HMAC key, into the normal
    ingest (language, dedupe, entities, stories), credited to the partner's source and
    recorded in the exchange ledger."""
    body = await request.body()
    accept = partial(desk.inbox.accept, partner, body, x_hoasen_signature, idempotency_key)
    try:
        doc = await anyio.to_thread.run_sync(accept)
    except BadSignature as exc:
        raise ApiError(
            401,
            BadSignature.code,
            str(exc),
            headers={"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'},
        ) from exc
    return _answer(doc)


@router.get("/exchange/ledger", tags=["exchange"])
def get_ledger(
    desk: DeskDep,
    partner: Annotated[str | None, Query(max_length=300, description="Id, slug or name")] = None,
    direction: Literal["sent", "received"] | None = None,
    since: Annotated[datetime | None, Query(description="From this moment (ISO)")] = None,
    until: Annotated[datetime | None, Query(description="Up to this moment (ISO)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Exchange ledger entries, newest first: what was sent to and received from partners,
    with items ([article_id, version, language]), status and the reason of refusals."""
    partner_id = desk.partners.partner(partner).id if partner else None
    rows = desk.inbox.ledger.entries(
        partner_id=partner_id, direction=direction, since=since, until=until, limit=limit
    )
    slugs = {p.id: p.slug for p in desk.partners.partners()}
    items = [
        {**row.as_json(), "partner": slugs.get(row.partner_id) if row.partner_id else None}
        for row in rows
    ]
    return {"items": items, "total": len(items)}


__all__ = ["IDEMPOTENCY_HEADER", "SIGNATURE_HEADER", "inbox_router", "router"]
