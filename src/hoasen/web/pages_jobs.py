"""The desk's tasks page: the queue's health (waiting messages, the oldest waiting run, live
workers, the last success of each task kind) and the recent runs with their results and errors.
Anyone signed in reads it; an editor retries a failed run (audited)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError
from hoasen.jobs.tasks import KINDS
from hoasen.store.jobs import STATUSES
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


async def _page(
    request: Request,
    user: User,
    desk: Desk,
    status: str = "",
    kind: str = "",
    error: str = "",
    code: int = 200,
) -> HTMLResponse:
    def read() -> tuple[dict[str, object], list[object]]:
        runs = desk.jobs.list(status=status or None, kind=kind or None, limit=200)
        return desk.jobs.health(), list(runs)

    health, runs = await anyio.to_thread.run_sync(read)
    context = {
        "user": user,
        "health": health,
        "runs": runs,
        "statuses": STATUSES,
        "kinds": KINDS,
        "status": status,
        "kind": kind,
        "error": error,
    }
    return render(request, "jobs.html", context, code)


@router.get("/jobs", response_class=HTMLResponse)
async def jobs_page(
    request: Request, user: Viewer, desk: DeskDep, status: str = "", kind: str = ""
) -> HTMLResponse:
    """Health and recent runs (filtered by status or kind)."""
    if status not in ("", *STATUSES):
        status = ""
    if kind not in ("", *KINDS):
        kind = ""
    return await _page(request, user, desk, status, kind)


@router.post("/jobs/{run_id}/retry", response_class=HTMLResponse, dependencies=[Csrf])
async def retry_run(
    request: Request, run_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Queue a failed run again."""
    try:
        run = await anyio.to_thread.run_sync(desk.jobs.retry, run_id)
    except HoasenError as exc:
        return await _page(request, user, desk, error=str(exc), code=_status(exc))
    accounts.audit(user.id, "job.retry", run.key, {"kind": run.kind})
    return _see("/jobs?status=queued")
