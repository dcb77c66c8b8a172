"""The web desk's news exchange pages: plans per partner (add, pause, resume), building a
package and previewing its items and files, approving, cancelling, sending and retrying it,
its deliveries and attempts, the exchange ledger and per-partner statistics.

Anyone signed in reads; editors change (a viewer gets 403 on every form). The calls are those
of `hoasen exchange` (see `hoasen.cli.exchange`), with the signed-in user's name as the
operator, and every change goes to the audit log. Refusals from the exchange (a schedule it
cannot read, a package not approved) are shown on the page in the exchange's own words. A plan
shows its secret's name and whether it is set, never the value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.delivery.transports import TRANSPORT_NAMES
from hoasen.desk import Desk
from hoasen.errors import HoasenError
from hoasen.exchange.outbox import SendResult
from hoasen.exchange.plans import (
    DEFAULT_MAX,
    IN_FORMATS,
    IN_TRANSPORTS,
    OUT_FORMATS,
    SCHEDULE_FORMS,
    transport_config,
)
from hoasen.store.exchange import PackageRow, PlanRow
from hoasen.store.ledger import DIRECTIONS as LEDGER_DIRECTIONS
from hoasen.store.ledger import LedgerRow
from hoasen.store.schema import utcnow
from hoasen.web.api_exchange_plans import download, package_file
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_page as _error
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)

STATS_DAYS = 365
RECENT_LEDGER = 15
LEDGER_LIMIT = 300
PREVIEW_MAX_BYTES = 2_000_000
"""An HTML digest up to this size is shown on the package page (in a sandboxed frame)."""
ATTENTION = ("built", "waiting", "failed")
"""Packages an editor has to act on: approve (built, waiting) or retry/cancel (failed)."""
_LIST = re.compile(r"[,;\n]+")
_ADDRESSES = re.compile(r"[,;\s]+")
_SECRET_NAME = re.compile(r"[A-Za-z0-9_.-]{0,120}")


@dataclass(frozen=True)
class PlanLine:
    """One plan as listed: its partner and its newest package (if any)."""

    plan: PlanRow
    partner_name: str
    partner_slug: str
    last: PackageRow | None


@dataclass(frozen=True)
class PackageLine:
    """One package as listed, with its plan's and partner's names."""

    package: PackageRow
    plan_name: str
    partner_name: str


def plan_url(plan: PlanRow | int) -> str:
    """A plan's page (by id: names may change)."""
    return f"/exchange/plans/{plan.id if isinstance(plan, PlanRow) else plan}"


def package_url(package: PackageRow | int) -> str:
    """A package's preview page."""
    return f"/exchange/packages/{package.id if isinstance(package, PackageRow) else package}"


def _split(text: str) -> list[str]:
    return [x.strip() for x in _LIST.split(text or "") if x.strip()]


def _names(desk: Desk) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """Partner id -> (name, slug) and plan id -> name."""
    partners = {p.id: (p.name, p.slug) for p in desk.partners.partners()}
    plans = {p.id: p.name for p in desk.exchange.planning.plans()}
    return partners, plans


def _package_lines(desk: Desk, rows: list[PackageRow]) -> list[PackageLine]:
    partners, plans = _names(desk)
    return [
        PackageLine(
            r,
            plans.get(r.plan_id, str(r.plan_id)),
            partners.get(r.partner_id, (str(r.partner_id), ""))[0],
        )
        for r in rows
    ]


def _ledger_lines(desk: Desk, rows: list[LedgerRow]) -> list[tuple[LedgerRow, str, str]]:
    """Ledger entries with their partner's name and slug ("" when unknown)."""
    partners, _plans = _names(desk)
    return [(e, *partners.get(e.partner_id or 0, ("", ""))) for e in rows]


# ---------------------------------------------------------------- the overview


@router.get("/exchange", response_class=HTMLResponse)
def exchange_page(
    request: Request, user: Viewer, desk: DeskDep, partner: str = "", done: str = ""
) -> HTMLResponse:
    """Packages to act on first, every plan (of one partner when asked) with its schedule,
    next run, format, transport and last package, recent ledger entries and the last twelve
    months per partner."""
    planning = desk.exchange.planning
    try:
        owner = desk.partners.partner(partner) if partner.strip() else None
    except HoasenError as exc:
        return _error(request, user, exc)
    owner_id = owner.id if owner is not None else None
    names = {p.id: p for p in desk.partners.partners()}
    lines = []
    for plan in planning.plans(owner_id):
        last = planning.rows.packages(plan_id=plan.id, limit=1)
        who = names.get(plan.partner_id)
        name, slug = (who.name, who.slug) if who else ("", "")
        lines.append(PlanLine(plan, name, slug, last[0] if last else None))
    attention = planning.rows.packages(partner_id=owner_id, status=ATTENTION)
    ledger = desk.exchange.outbox.ledger_rows.entries(partner_id=owner_id, limit=RECENT_LEDGER)
    stats = desk.exchange.outbox.stats(utcnow() - timedelta(days=STATS_DAYS))
    if owner is not None:
        stats = [s for s in stats if s.partner_id == owner.id]
    context = {
        "user": user,
        "owner": owner,
        "lines": lines,
        "attention": _package_lines(desk, attention),
        "ledger": _ledger_lines(desk, ledger),
        "stats": stats,
        "stats_days": STATS_DAYS,
        "done": done,
    }
    return render(request, "exchange.html", context)


@router.get("/exchange/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request, user: Viewer, desk: DeskDep, partner: str = "", direction: str = ""
) -> HTMLResponse:
    """What was sent to and received from partners, newest first, of one partner and
    direction when asked."""
    try:
        found = desk.exchange.outbox.ledger(partner.strip() or None, direction.strip() or None)
    except HoasenError as exc:
        return _error(request, user, exc)
    context = {
        "user": user,
        "ledger": _ledger_lines(desk, found[:LEDGER_LIMIT]),
        "partners": desk.partners.partners(),
        "partner": partner.strip(),
        "direction": direction.strip(),
        "directions": LEDGER_DIRECTIONS,
        "limit": LEDGER_LIMIT,
    }
    return render(request, "exchange_ledger.html", context)


@router.get("/exchange/partners/{ref}/plans", response_class=HTMLResponse)
def partner_plans(request: Request, ref: str, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """A partner's plans as a fragment of its page (loaded there with HTMX)."""
    try:
        owner = desk.partners.partner(ref)
    except HoasenError as exc:
        return _error(request, user, exc)
    planning = desk.exchange.planning
    context = {"user": user, "owner": owner, "plans": planning.plans(owner.id)}
    return render(request, "exchange_partner_plans.html", context)


# ---------------------------------------------------------------- plans


@router.get("/exchange/plans/new", response_class=HTMLResponse)
def new_plan_page(request: Request, user: Editor, desk: DeskDep, partner: str = "") -> Response:
    """The form to add a plan (for a partner when `partner` is given)."""
    return _plan_form(request, user, desk, {"partner": partner.strip()})


def _plan_form(
    request: Request,
    user: User,
    desk: Desk,
    form: dict[str, Any],
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    """The add-plan form, refilled and with the exchange's words after a refusal."""
    defaults = {
        "direction": "out",
        "languages": "original",
        "format": "ninjs",
        "transport": "folder",
        "min": "1",
        "max": str(DEFAULT_MAX),
    }
    context = {
        "user": user,
        "form": {**defaults, **{k: v for k, v in form.items() if v not in (None, "")}},
        "error": error,
        "partners": desk.partners.partners(),
        "formats": list(dict.fromkeys(OUT_FORMATS + IN_FORMATS)),
        "out_formats": OUT_FORMATS,
        "in_formats": IN_FORMATS,
        "transports": list(dict.fromkeys(TRANSPORT_NAMES + IN_TRANSPORTS)),
        "in_transports": IN_TRANSPORTS,
        "schedule_forms": SCHEDULE_FORMS,
        "exchange_dir": desk.settings.exchange_dir,
    }
    return render(request, "exchange_plan_form.html", context, status)


def _target(transport: str, target: str, sftp: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """The transport's name and settings from the form: `target` read as the CLI's --to
    (several e-mail addresses allowed), the separate SFTP fields winning over it."""
    name = transport.strip().lower()
    if name == "email":
        targets = [a for a in _ADDRESSES.split(target) if a]
    else:
        targets = [target.strip()] if target.strip() else []
    pairs = [f"{k}={v.strip()}" for k, v in sftp.items() if v.strip()] if name == "sftp" else []
    choice = transport_config(name, targets, pairs)
    return choice.name, choice.config


@router.post("/exchange/plans", response_class=HTMLResponse, dependencies=[Csrf])
def add_plan(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    partner: Annotated[str, Form(max_length=300)],
    name: Annotated[str, Form(max_length=200)],
    direction: Annotated[str, Form(max_length=10)] = "out",
    schedule: Annotated[str, Form(max_length=200)] = "",
    query: Annotated[str, Form(max_length=500)] = "",
    topics: Annotated[str, Form(max_length=2_000)] = "",
    entities: Annotated[str, Form(max_length=2_000)] = "",
    sources: Annotated[str, Form(max_length=2_000)] = "",
    since_days: Annotated[str, Form(max_length=10)] = "",
    min_items: Annotated[str, Form(max_length=10)] = "1",
    max_items: Annotated[str, Form(max_length=10)] = "",
    picks: Annotated[str, Form(max_length=2_000)] = "",
    languages: Annotated[str, Form(max_length=200)] = "original",
    machine_translate: Annotated[str, Form(max_length=10)] = "",
    fmt: Annotated[str, Form(max_length=40)] = "ninjs",
    transport: Annotated[str, Form(max_length=40)] = "folder",
    target: Annotated[str, Form(max_length=2_000)] = "",
    sftp_host: Annotated[str, Form(max_length=300)] = "",
    sftp_user: Annotated[str, Form(max_length=200)] = "",
    sftp_port: Annotated[str, Form(max_length=10)] = "",
    sftp_path: Annotated[str, Form(max_length=1_000)] = "",
    secret: Annotated[str, Form(max_length=200)] = "",
    automatic: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Add a plan; a refusal (schedule, selection, transport...) is shown on the form."""
    sftp = {"host": sftp_host, "user": sftp_user, "port": sftp_port, "path": sftp_path}
    form = {
        "partner": partner,
        "name": name,
        "direction": direction,
        "schedule": schedule,
        "query": query,
        "topics": topics,
        "entities": entities,
        "sources": sources,
        "since_days": since_days,
        "min": min_items,
        "max": max_items,
        "picks": picks,
        "languages": languages,
        "machine_translate": bool(machine_translate),
        "format": fmt,
        "transport": transport,
        "target": target,
        # refilled only when it looks like a name: a value typed here by mistake is not echoed
        "secret": secret if _SECRET_NAME.fullmatch(secret.strip()) else "",
        "automatic": bool(automatic),
        **{f"sftp_{k}": v for k, v in sftp.items()},
    }
    selection = {
        "query": query.strip(),
        "topics": _split(topics),
        "entities": _split(entities),
        "sources": _split(sources),
        "since_days": since_days.strip() or None,
        "min": min_items.strip() or 1,
        "max": max_items.strip() or DEFAULT_MAX,
        "picks": _split(picks),
    }
    planning = desk.exchange.planning
    try:
        kind, config = _target(transport, target, sftp)
        plan = planning.add_plan(
            partner.strip(),
            name=name,
            direction=direction,
            schedule=schedule,
            selection=selection,
            languages=_split(languages) or ["original"],
            machine_translate=bool(machine_translate),
            fmt=fmt,
            transport=kind,
            config=config,
            secret=secret,
            automatic=bool(automatic),
        )
    except HoasenError as exc:  # also a ConfigError, e.g. e-mail without SMTP settings
        return _plan_form(request, user, desk, form, str(exc), _status(exc))
    owner = planning.partner_of(plan)
    accounts.audit(user.id, "exchange.plan.add", plan.name, {"partner": owner.slug})
    return _see(plan_url(plan) + "?done=added")


@router.get("/exchange/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(
    request: Request, plan_id: int, user: Viewer, desk: DeskDep, done: str = ""
) -> HTMLResponse:
    """A plan's settings (its secret by name only) and its packages, with the build button."""
    try:
        desk.exchange.planning.plan(plan_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    return _plan(request, user, desk, plan_id, done=done)


def _plan(
    request: Request,
    user: User,
    desk: Desk,
    plan_id: int,
    *,
    done: str = "",
    error: str = "",
    notes: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    planning = desk.exchange.planning
    doc = planning.describe(plan_id)
    context = {
        "user": user,
        "plan": doc,
        "url": plan_url(plan_id),
        "packages": planning.packages(plan=plan_id),
        "done": done,
        "error": error,
        "notes": notes or [],
    }
    return render(request, "exchange_plan.html", context, status)


def _plan_change(
    request: Request, plan_id: int, user: User, desk: Desk, accounts: Accounts, action: str
) -> Response:
    """Pause or resume a plan."""
    planning = desk.exchange.planning
    try:
        planning.plan(plan_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        row = planning.pause(plan_id) if action == "pause" else planning.resume(plan_id)
    except HoasenError as exc:
        return _plan(request, user, desk, plan_id, error=str(exc), status=_status(exc))
    accounts.audit(user.id, f"exchange.plan.{action}", row.name, {"plan": row.id})
    return _see(plan_url(row) + ("?done=paused" if action == "pause" else "?done=resumed"))


@router.post("/exchange/plans/{plan_id}/pause", response_class=HTMLResponse, dependencies=[Csrf])
def pause_plan(
    request: Request, plan_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Stop the plan's scheduled runs (it can still be built and sent by hand)."""
    return _plan_change(request, plan_id, user, desk, accounts, "pause")


@router.post("/exchange/plans/{plan_id}/resume", response_class=HTMLResponse, dependencies=[Csrf])
def resume_plan(
    request: Request, plan_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Run the paused plan on its schedule again, next due from now."""
    return _plan_change(request, plan_id, user, desk, accounts, "resume")


@router.post("/exchange/plans/{plan_id}/build", response_class=HTMLResponse, dependencies=[Csrf])
def build_package(
    request: Request, plan_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Build the plan's next package and go to its preview; nothing is sent. When too few
    articles match, the plan's page says why."""
    planning = desk.exchange.planning
    try:
        row = planning.plan(plan_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        result = planning.build(row, user.name)
    except HoasenError as exc:
        return _plan(request, user, desk, plan_id, error=str(exc), status=_status(exc))
    if result.package is None:
        return _plan(request, user, desk, plan_id, error=result.message, notes=result.notes[:-1])
    accounts.audit(user.id, "exchange.build", str(result.package.id), {"plan": row.name})
    return _see(package_url(result.package) + "?done=built")


# ---------------------------------------------------------------- packages


@router.get("/exchange/packages/{package_id}", response_class=HTMLResponse)
def package_page(
    request: Request, package_id: int, user: Viewer, desk: DeskDep, done: str = ""
) -> HTMLResponse:
    """A package's preview: items with their articles, files to download (an HTML digest
    shown in a sandboxed frame), status, approval, deliveries with their attempts, and the
    buttons its status allows."""
    try:
        desk.exchange.planning.package(package_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    return _package(request, user, desk, package_id, done=done)


def _package(
    request: Request,
    user: User,
    desk: Desk,
    package_id: int,
    *,
    done: str = "",
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    doc = desk.exchange.outbox.details(package_id)
    digest = ""
    for f in doc["files"]:
        f["url"] = f"{package_url(package_id)}/files/{quote(f['name'], safe='')}"
        if f["name"] == "digest.html" and f["bytes"] <= PREVIEW_MAX_BYTES:
            found = package_file(desk.exchange.planning, package_id, f["name"])
            digest = found.data.decode("utf-8", errors="replace")
    context = {
        "user": user,
        "pkg": doc,
        "url": package_url(package_id),
        "digest": digest,
        "actions": _actions(doc),
        "done": done,
        "error": error,
    }
    return render(request, "exchange_package.html", context, status)


def _actions(doc: dict[str, Any]) -> list[str]:
    """The buttons a package's status allows (sending an unapproved package is left to an
    automatic plan: the exchange would refuse it)."""
    status = doc["status"]
    if status == "built":
        return ["approve", "send", "cancel"] if doc["plan"]["automatic"] else ["approve", "cancel"]
    if status == "waiting":
        return ["approve", "cancel"]
    if status == "approved":
        return ["send", "cancel"]
    if status == "failed":
        return ["retry", "cancel"]
    if status == "sending":
        return ["send"]  # settles a delivery that ended meanwhile; sends nothing twice
    return []


@router.get("/exchange/packages/{package_id}/files/{name}")
def package_file_download(
    request: Request, package_id: int, name: str, user: Viewer, desk: DeskDep
) -> Response:
    """One of the package's files, exactly as it is (or was) sent, as a download."""
    try:
        return download(package_file(desk.exchange.planning, package_id, name))
    except HoasenError as exc:
        return _error(request, user, exc)


def _package_action(
    request: Request,
    package_id: int,
    user: User,
    desk: Desk,
    accounts: Accounts,
    action: str,
) -> Response:
    """Approve, cancel, send or retry a package, then show it again; a refusal is shown on
    its page in the exchange's words."""
    planning, outbox = desk.exchange.planning, desk.exchange.outbox
    try:
        planning.package(package_id)
    except HoasenError as exc:
        return _error(request, user, exc)
    try:
        if action == "approve":
            done = planning.approve(package_id, user.name).status
        elif action == "cancel":
            done = planning.cancel(package_id, user.name).status
        else:
            sent: SendResult = (
                outbox.send(package_id, user.name, wait=False)
                if action == "send"
                else outbox.retry(package_id, user.name, wait=False)
            )
            done = sent.status
    except HoasenError as exc:
        return _package(request, user, desk, package_id, error=str(exc), status=_status(exc))
    accounts.audit(user.id, f"exchange.{action}", str(package_id), {"status": done})
    return _see(f"{package_url(package_id)}?done={quote(done)}")


@router.post(
    "/exchange/packages/{package_id}/approve", response_class=HTMLResponse, dependencies=[Csrf]
)
def approve_package(
    request: Request, package_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Let the package go (recorded with the editor's name and the time)."""
    return _package_action(request, package_id, user, desk, accounts, "approve")


@router.post(
    "/exchange/packages/{package_id}/cancel", response_class=HTMLResponse, dependencies=[Csrf]
)
def cancel_package(
    request: Request, package_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Drop a package that has not gone (its articles may go in a later one)."""
    return _package_action(request, package_id, user, desk, accounts, "cancel")


@router.post(
    "/exchange/packages/{package_id}/send", response_class=HTMLResponse, dependencies=[Csrf]
)
def send_package(
    request: Request, package_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Send the approved package now (tried until it is sent or has failed for good)."""
    return _package_action(request, package_id, user, desk, accounts, "send")


@router.post(
    "/exchange/packages/{package_id}/retry", response_class=HTMLResponse, dependencies=[Csrf]
)
def retry_package(
    request: Request, package_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Send a failed package again (refused when its articles went in a later package)."""
    return _package_action(request, package_id, user, desk, accounts, "retry")
