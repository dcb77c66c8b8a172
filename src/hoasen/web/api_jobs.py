"""The health endpoint and job runs under /api/v1. `GET /api/v1/health` answers without signing
in (for a load balancer or a monitor: 200 when healthy, 503 when work waits with no worker or
has waited longer than a lease); it names no worker to an anonymous caller. Listing runs needs
a signed-in user; retrying a failed run needs an editor and is written to the audit log."""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from hoasen.desk import Desk
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", responses=_ERRORS)
public = APIRouter(prefix="/api/v1")

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Signed = [Depends(api_user)]


@public.get("/health", summary="Queue and worker health (no sign-in needed)")
async def health(request: Request, desk: DeskDep) -> JSONResponse:
    """Queue depth, the oldest waiting run, the last success per task kind and the number of
    live workers; 503 when something needs attention."""
    doc: dict[str, Any] = await anyio.to_thread.run_sync(desk.jobs.health)
    doc["workers"] = len(doc["workers"])
    return JSONResponse(doc, status_code=200 if doc["ok"] else 503)


@router.get("/jobs", dependencies=Signed, summary="Recent job runs")
def list_runs(
    desk: DeskDep,
    status: Annotated[str | None, Query(description="queued, running, done or failed")] = None,
    kind: Annotated[str | None, Query(description="poll, analyse, report...")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    """Runs newest first, with their keys, attempts, results and errors."""
    return [r.as_json() for r in desk.jobs.list(status=status, kind=kind, limit=limit)]


@router.get("/jobs/workers", dependencies=Signed, summary="Full health, with the workers")
def workers(desk: DeskDep) -> dict[str, Any]:
    """The health document with every live worker named."""
    return desk.jobs.health()


@router.get("/jobs/{run_id}", dependencies=Signed, summary="One job run")
def get_run(run_id: int, desk: DeskDep) -> dict[str, Any]:
    """One run."""
    return desk.jobs.get(run_id).as_json()


@router.post(
    "/jobs/{run_id}/retry", dependencies=Signed, responses=_WRITE_ERRORS, summary="Retry a run"
)
def retry_run(run_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep) -> dict[str, Any]:
    """Queue a failed run again (its attempts start over)."""
    run = desk.jobs.retry(run_id)
    accounts.audit(user.id, "job.retry", run.key, {"kind": run.kind})
    return run.as_json()
