"""Background ingest jobs: a row in `ingest_jobs` per submission, run one at a time by a worker
thread that the app owns (so a slow fetch or a big upload never holds up a request)."""

from __future__ import annotations

import json
import logging
import queue
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import func, insert, select, update

from hoasen.desk import Desk
from hoasen.errors import HoasenError, NotFoundError
from hoasen.models import IngestReport, ItemError
from hoasen.store import schema
from hoasen.store.db import _new_id
from hoasen.store.schema import utcnow

log = logging.getLogger(__name__)

KINDS = ("fetch", "upload")
STATUSES = ("queued", "running", "done", "failed")
INTERRUPTED = "interrupted: the server stopped while this job ran; submit it again"


@dataclass(frozen=True)
class Job:
    """One ingest job as stored."""

    id: int
    kind: str
    status: str
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: str | None
    submitted_by: int | None
    created: datetime
    started: datetime | None
    finished: datetime | None

    def public_input(self) -> dict[str, Any]:
        """What was submitted, without the server's private upload folder."""
        return {k: v for k, v in self.input.items() if k != "folder"}


class JobRunner:
    """Queues ingest jobs in the database and runs them in one worker thread.

    The thread starts on the first submission (or `start()` from the app's lifespan) and stops
    with `stop()`; jobs left queued by a stopped server run again, running ones are failed.
    """

    def __init__(self, desk: Desk, upload_root: Path | None = None) -> None:
        self.desk = desk
        self.upload_root = upload_root
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Start the worker (once); pick up jobs an earlier server left behind."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            for job_id in self._recover():
                self._queue.put(job_id)
            self._thread = threading.Thread(
                target=self._work, name="hoasen-ingest-jobs", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job in hand and stop the worker (queued jobs stay queued)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and thread.is_alive():
            self._queue.put(None)
            thread.join(timeout)

    def wait_idle(self) -> None:
        """Block until every submitted job has been run (for tests and shutdown)."""
        self._queue.join()

    # ---------------------------------------------------------------- submitting

    def new_upload_folder(self) -> Path:
        """A fresh private folder for one upload's files (the job removes it when done)."""
        root = self.upload_root
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="hoasen-upload-", dir=root))

    def submit_fetch(
        self,
        urls: Sequence[str],
        feeds: Sequence[str],
        source: str | None,
        submitted_by: int | None,
    ) -> Job:
        """Queue fetching pages and feeds."""
        payload = {"urls": list(urls), "feeds": list(feeds), "source": source}
        return self._submit("fetch", payload, submitted_by)

    def submit_upload(
        self, folder: Path, files: Sequence[str], source: str | None, submitted_by: int | None
    ) -> Job:
        """Queue ingesting uploaded files already saved in `folder`."""
        payload = {"files": list(files), "source": source, "folder": str(folder)}
        return self._submit("upload", payload, submitted_by)

    def _submit(self, kind: str, payload: Mapping[str, Any], submitted_by: int | None) -> Job:
        with self.desk.store.begin() as conn:
            job_id = _new_id(
                conn.execute(
                    insert(schema.ingest_jobs).values(
                        status="queued",
                        kind=kind,
                        input=json.dumps(payload, ensure_ascii=False),
                        submitted_by=submitted_by,
                        created=utcnow(),
                    )
                )
            )
        self.start()
        self._queue.put(job_id)
        return self.get(job_id)

    # ---------------------------------------------------------------- reading

    def get(self, job_id: int) -> Job:
        """One job by id."""
        j = schema.ingest_jobs
        with self.desk.store.engine.connect() as conn:
            row = conn.execute(select(j).where(j.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no ingest job {job_id}")
        return _job(row._mapping)

    def recent(
        self, limit: int, offset: int = 0, submitted_by: int | None = None
    ) -> tuple[list[Job], int]:
        """The newest jobs first (only one user's when `submitted_by` is given), and the count."""
        j = schema.ingest_jobs
        where = [j.c.submitted_by == submitted_by] if submitted_by is not None else []
        with self.desk.store.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(j).where(*where)).scalar()
            rows = conn.execute(
                select(j).where(*where).order_by(j.c.id.desc()).limit(limit).offset(offset)
            ).all()
        return [_job(r._mapping) for r in rows], int(total or 0)

    # ---------------------------------------------------------------- running

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                if job_id is None:
                    return
                self._run(job_id)
            except Exception:  # e.g. the database went away: keep serving the next jobs
                log.exception("ingest job %s could not be run", job_id)
            finally:
                self._queue.task_done()

    def _run(self, job_id: int) -> None:
        job = self.get(job_id)
        if job.status != "queued":
            return
        self._update(job_id, status="running", started=utcnow())
        try:
            report = self._ingest(job)
        except HoasenError as exc:
            self._update(job_id, status="failed", error=str(exc), finished=utcnow())
        except Exception as exc:  # the worker must outlive any one job; the log keeps the trace
            log.exception("ingest job %s failed", job_id)
            error = f"internal error ({type(exc).__name__}); see the server log"
            self._update(job_id, status="failed", error=error, finished=utcnow())
        else:
            result = json.dumps(report.as_json(), ensure_ascii=False)
            self._update(job_id, status="done", result=result, finished=utcnow())
        finally:
            folder = job.input.get("folder")
            if folder:
                shutil.rmtree(folder, ignore_errors=True)

    def _ingest(self, job: Job) -> IngestReport:
        source = job.input.get("source")
        if job.kind == "fetch":
            return self.desk.ingest(
                feeds=job.input.get("feeds", []), urls=job.input.get("urls", []), source_name=source
            )
        if job.kind == "upload":
            folder = Path(job.input["folder"])
            if not folder.is_dir():
                raise NotFoundError("the uploaded files are gone (server restarted); upload again")
            report = self.desk.ingest(paths=[folder], source_name=source)
            report.errors = [_relative(e, folder) for e in report.errors]
            return report
        raise NotFoundError(f"unknown job kind {job.kind!r}")

    def _update(self, job_id: int, **values: Any) -> None:
        j = schema.ingest_jobs
        with self.desk.store.begin() as conn:
            conn.execute(update(j).where(j.c.id == job_id).values(**values))

    def _recover(self) -> list[int]:
        """Fail jobs a stopped server left running; return the queued ones, oldest first."""
        j = schema.ingest_jobs
        with self.desk.store.begin() as conn:
            conn.execute(
                update(j)
                .where(j.c.status == "running")
                .values(status="failed", error=INTERRUPTED, finished=utcnow())
            )
            rows = conn.execute(select(j.c.id).where(j.c.status == "queued").order_by(j.c.id))
            return [int(i) for i in rows.scalars()]


def install_jobs(app: FastAPI, desk: Desk, upload_root: Path | None = None) -> JobRunner:
    """Give the app its job runner (`app.state.jobs`), started and stopped with the app's
    lifespan (a runner not yet started starts on the first submission)."""
    runner = JobRunner(desk, upload_root)
    app.state.jobs = runner
    inner: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        async with inner(a) as state:
            runner.start()
            try:
                yield state
            finally:
                runner.stop()

    app.router.lifespan_context = lifespan
    return runner


async def get_jobs(request: Request) -> JobRunner:
    """FastAPI dependency: the app's job runner (made on first use when the app has none)."""
    runner = getattr(request.app.state, "jobs", None)
    if not isinstance(runner, JobRunner):
        runner = JobRunner(request.app.state.desk)
        request.app.state.jobs = runner
    return runner


def _relative(error: ItemError, folder: Path) -> ItemError:
    """An item error naming the uploaded file rather than the server's private folder."""
    prefix = str(folder) + "/"
    if error.input.startswith(prefix):
        return ItemError(error.input[len(prefix) :], error.reason)
    return error


def _job(m: Any) -> Job:
    return Job(
        id=int(m["id"]),
        kind=m["kind"],
        status=m["status"],
        input=json.loads(m["input"]),
        result=json.loads(m["result"]) if m["result"] else None,
        error=m["error"],
        submitted_by=m["submitted_by"],
        created=m["created"],
        started=m["started"],
        finished=m["finished"],
    )
