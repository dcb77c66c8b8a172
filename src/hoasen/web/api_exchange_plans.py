"""The news exchange's plans and packages in the REST API under /api/v1: plans (add, pause,
resume), packages built from them (build, preview with items and files, approve, cancel, send,
retry), each package's files as downloads, and per-partner statistics.

Anyone signed in reads; changing anything needs an editor (and, from a browser, the CSRF
token), and every change is written to the audit log under the caller's name, which is also
the operator the exchange records (who built, approved or sent a package). A plan names its
secret (a key in `exchange_secrets`); no answer ever carries a secret's value.

The calls are those of `hoasen exchange` (see `hoasen.cli.exchange`), so the API and the
command line refuse the same things in the same words: e.g. sending a package an editor has
not approved is a 400 saying so, and nothing is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from hoasen.desk import Desk
from hoasen.errors import ConfigError, NotFoundError, UsageError
from hoasen.exchange.outbox import SendResult
from hoasen.exchange.planning import ExchangePlans
from hoasen.exchange.plans import DEFAULT_MAX, transport_config
from hoasen.store.exchange import PACKAGE_STATUSES, PackageFile
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, MAX_LIMIT, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

PREFIX = "/api/v1"
router = APIRouter(prefix=PREFIX, dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
TAGS: list[str | Any] = ["exchange"]


# ---------------------------------------------------------------- request bodies


class SelectionBody(BaseModel):
    """Which articles a plan sends: the editors' picks first, then the period's articles that
    match every criterion given (any of the listed topics, entities, sources), newest first."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(default="", max_length=500, description="Search words")
    topics: list[str] = Field(default=[], max_length=50, description="Topic ids")
    entities: list[str] = Field(default=[], max_length=50, description="Entities, any name")
    sources: list[str] = Field(default=[], max_length=50, description="The office's sources")
    since_days: int | None = Field(
        default=None, description="Articles of the last N days (null: since the last package)"
    )
    min: int = Field(default=1, description="Fewer matching articles: no package")
    max: int = Field(default=DEFAULT_MAX, description="At most this many articles")
    picks: list[int] = Field(default=[], max_length=500, description="Article ids sent first")


class PlanCreate(BaseModel):
    """An exchange plan for a partner. The transport's target is `to` (a folder, e-mail
    addresses, a URL or sftp://user@host:port/path) and/or `config` (its settings, which win);
    `secret` is the name of a key in exchange_secrets, never its value."""

    model_config = ConfigDict(extra="forbid")

    partner: str = Field(min_length=1, max_length=300, description="Id, slug or any name")
    name: str = Field(min_length=1, max_length=120)
    direction: str = Field(default="out", description="out (the office sends) or in")
    schedule: str = Field(
        default="",
        max_length=200,
        description='e.g. "every 2 weeks on MON at 09:00"; empty: on demand',
    )
    selection: SelectionBody = SelectionBody()
    languages: list[str] = Field(default=["original"], max_length=20)
    machine_translate: bool = False
    format: str = Field(default="ninjs", max_length=40, description="ninjs, newsml, html...")
    transport: str = Field(default="folder", max_length=40, description="folder, email...")
    to: list[str] = Field(default=[], max_length=50)
    config: dict[str, Any] = Field(default={}, description="The transport's settings")
    secret: str = Field(default="", max_length=120, description="A secret's name")
    automatic: bool = Field(default=False, description="Send without an editor's approval")
    active: bool = True


# ---------------------------------------------------------------- helpers


def file_url(package_id: int, name: str) -> str:
    """Where the API serves one of a package's files."""
    return f"{PREFIX}/exchange/packages/{package_id}/files/{quote(name, safe='')}"


def package_file(planning: ExchangePlans, package_id: int, name: str) -> PackageFile:
    """One stored file of a package; NotFoundError naming the package's files otherwise."""
    row = planning.package(package_id)
    files = planning.rows.files(row.id)
    for found in files:
        if found.name == name:
            return found
    listed = ", ".join(f.name for f in files) or "none"
    raise NotFoundError(f"package {row.id} has no file {name!r} (its files: {listed})")


def download(found: PackageFile) -> Response:
    """A package file as an attachment with its media type (never shown inline: an HTML
    digest opened from the desk's own origin could otherwise act as the desk)."""
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in found.name) or "file"
    disposition = f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(found.name)}"
    return Response(
        found.data, media_type=found.media_type, headers={"Content-Disposition": disposition}
    )


def add_plan(desk: Desk, body: PlanCreate) -> dict[str, Any]:
    """Add the plan (the checks are the core's) and return it as shown."""
    planning = desk.exchange.planning
    try:
        choice = transport_config(body.transport, body.to)
        plan = planning.add_plan(
            body.partner,
            name=body.name,
            direction=body.direction,
            schedule=body.schedule,
            selection=body.selection.model_dump(),
            languages=body.languages,
            machine_translate=body.machine_translate,
            fmt=body.format,
            transport=choice.name,
            config={**choice.config, **body.config},
            secret=body.secret,
            automatic=body.automatic,
            active=body.active,
        )
    except ConfigError as exc:  # e.g. e-mail without SMTP settings: the request can't be done
        raise UsageError(str(exc)) from exc
    return planning.describe(plan)


def _details(desk: Desk, package_id: int) -> dict[str, Any]:
    """A package with its items, files (each with its download URL) and deliveries."""
    doc = desk.exchange.outbox.details(package_id)
    for f in doc["files"]:
        f["url"] = file_url(doc["id"], f["name"])
    return doc


def _sent(result: SendResult, desk: Desk) -> dict[str, Any]:
    """A send's result, with the package's details when there is one."""
    doc = result.as_json()
    if result.package is not None:
        doc["package"] = _details(desk, result.package.id)
    return doc


# ---------------------------------------------------------------- plans


@router.get("/exchange/plans", tags=TAGS)
def list_plans(
    desk: DeskDep,
    partner: Annotated[str | None, Query(max_length=300, description="Id, slug or name")] = None,
    direction: Annotated[str | None, Query(description="out or in")] = None,
) -> dict[str, Any]:
    """Exchange plans by name: partner, schedule and next run, selection, languages, format,
    where they go and the name of their secret (whether it is set, never its value)."""
    planning = desk.exchange.planning
    items = [planning.describe(p) for p in planning.plans(partner, direction)]
    return {"items": items, "total": len(items)}


@router.get("/exchange/plans/{plan}", tags=TAGS)
def get_plan(plan: str, desk: DeskDep) -> dict[str, Any]:
    """One plan (by id or name) with its packages, newest first."""
    planning = desk.exchange.planning
    doc = planning.describe(plan)
    doc["packages"] = [p.as_json() for p in planning.packages(plan=doc["id"])]
    return doc


@router.post("/exchange/plans", status_code=201, tags=TAGS, responses=_WRITE_ERRORS)
def create_plan(
    body: PlanCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Add a plan for a partner. Everything is checked first (schedule, selection, languages,
    format, the transport's settings); a refusal is a 400 saying what is wrong."""
    doc = add_plan(desk, body)
    accounts.audit(user.id, "exchange.plan.add", doc["name"], {"partner": doc["partner"]["slug"]})
    return doc


@router.post("/exchange/plans/{plan}/pause", tags=TAGS, responses=_WRITE_ERRORS)
def pause_plan(plan: str, desk: DeskDep, user: EditorDep, accounts: AccountsDep) -> dict[str, Any]:
    """Stop a plan's scheduled runs (it can still be built and sent by hand)."""
    planning = desk.exchange.planning
    row = planning.pause(plan)
    accounts.audit(user.id, "exchange.plan.pause", row.name, {"plan": row.id})
    return planning.describe(row)


@router.post("/exchange/plans/{plan}/resume", tags=TAGS, responses=_WRITE_ERRORS)
def resume_plan(plan: str, desk: DeskDep, user: EditorDep, accounts: AccountsDep) -> dict[str, Any]:
    """Run a paused plan on its schedule again, next due from now."""
    planning = desk.exchange.planning
    row = planning.resume(plan)
    accounts.audit(user.id, "exchange.plan.resume", row.name, {"plan": row.id})
    return planning.describe(row)


@router.post(
    "/exchange/plans/{plan}/build",
    tags=TAGS,
    responses={**_WRITE_ERRORS, 201: {"description": "A package was built"}},
)
def build_package(
    plan: str, response: Response, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Build the plan's next package to preview it; nothing is sent. 201 with the package
    (items, files) when one was built; 200 with `package: null` and the reason when too few
    articles matched."""
    planning = desk.exchange.planning
    row = planning.plan(plan)
    result = planning.build(row, user.name)
    package = _details(desk, result.package.id) if result.package else None
    if result.package is not None:
        response.status_code = 201
        accounts.audit(user.id, "exchange.build", str(result.package.id), {"plan": row.name})
    return {
        "message": result.message,
        "notes": result.notes,
        "selected": result.selected.ids,
        "package": package,
    }


# ---------------------------------------------------------------- packages


@router.get("/exchange/packages", tags=TAGS)
def list_packages(
    desk: DeskDep,
    plan: Annotated[str | None, Query(max_length=300, description="Id or name")] = None,
    partner: Annotated[str | None, Query(max_length=300, description="Id, slug or name")] = None,
    status: Annotated[str | None, Query(description=", ".join(PACKAGE_STATUSES))] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> dict[str, Any]:
    """Packages newest first, of a plan, partner and status when given."""
    if status is not None and status not in PACKAGE_STATUSES:
        raise UsageError(f"status must be one of {', '.join(PACKAGE_STATUSES)}, not {status!r}")
    rows = desk.exchange.planning.packages(plan=plan, partner=partner, status=status)[:limit]
    return {"items": [r.as_json() for r in rows], "total": len(rows)}


@router.get("/exchange/packages/{package_id}", tags=TAGS)
def get_package(package_id: int, desk: DeskDep) -> dict[str, Any]:
    """A package's preview: plan, partner, items (article, language, headline), files (name,
    type, size, download URL), deliveries with their attempts and errors, its ledger entry,
    and what it waits for."""
    return _details(desk, package_id)


@router.get(
    "/exchange/packages/{package_id}/files/{name}",
    tags=TAGS,
    response_class=Response,
    responses={200: {"description": "The file's bytes, as an attachment"}},
)
def get_package_file(package_id: int, name: str, desk: DeskDep) -> Response:
    """One of a package's files, exactly as it is (or was) sent."""
    return download(package_file(desk.exchange.planning, package_id, name))


@router.post("/exchange/packages/{package_id}/approve", tags=TAGS, responses=_WRITE_ERRORS)
def approve_package(
    package_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """An editor lets a built package go (recorded with their name and the time). A package
    waiting for machine translations is approved only once they are all approved."""
    row = desk.exchange.planning.approve(package_id, user.name)
    accounts.audit(user.id, "exchange.approve", str(row.id), {"plan": row.plan_id})
    return _details(desk, row.id)


@router.post("/exchange/packages/{package_id}/cancel", tags=TAGS, responses=_WRITE_ERRORS)
def cancel_package(
    package_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Cancel a package that has not gone (its articles may go in a later one)."""
    row = desk.exchange.planning.cancel(package_id, user.name)
    accounts.audit(user.id, "exchange.cancel", str(row.id), {"plan": row.plan_id})
    return _details(desk, row.id)


@router.post("/exchange/packages/{package_id}/send", tags=TAGS, responses=_WRITE_ERRORS)
def send_package(
    package_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Send an approved package (a failed one is tried again). A package not approved is
    refused with a 400 unless its plan is automatic; one already sent is not sent again.
    `status` says what happened: sent, failed (with the error), already-sent, in-progress."""
    result = desk.exchange.outbox.send(package_id, user.name, wait=False)
    accounts.audit(user.id, "exchange.send", str(package_id), {"status": result.status})
    return _sent(result, desk)


@router.post("/exchange/packages/{package_id}/retry", tags=TAGS, responses=_WRITE_ERRORS)
def retry_package(
    package_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Send a failed package again; refused (400) when its articles went in a later package:
    cancel it then."""
    result = desk.exchange.outbox.retry(package_id, user.name, wait=False)
    accounts.audit(user.id, "exchange.retry", str(package_id), {"status": result.status})
    return _sent(result, desk)


# ---------------------------------------------------------------- statistics


@router.get("/exchange/stats", tags=TAGS)
def get_stats(
    desk: DeskDep,
    since: Annotated[datetime | None, Query(description="From this moment (ISO)")] = None,
    until: Annotated[datetime | None, Query(description="Up to this moment (ISO)")] = None,
) -> dict[str, Any]:
    """Per partner and direction, what was really sent or received in [since, until): packages,
    items (an article in a language), articles, by language and by topic."""
    items = [s.as_json() for s in desk.exchange.outbox.stats(since, until)]
    return {"items": items, "total": len(items)}
