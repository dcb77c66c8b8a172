"""The jobs desk: what the CLI and the web ask about the work hoasen runs by itself (health,
runs, retry) and a tick of the scheduler by hand (`hoasen jobs tick`, e.g. from cron)."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hoasen.jobs.queue import TaskQueue, describe
from hoasen.jobs.scheduler import Scheduler, TickReport
from hoasen.store.jobs import STATUSES, JobRun, JobStore

if TYPE_CHECKING:
    from hoasen.desk import Desk

BEAT_PREFIX = "worker:"


class JobsDesk:
    """Runs, queue and workers of one Desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.runs = JobStore(desk.store)

    @cached_property
    def queue(self) -> TaskQueue:
        """The task queue (opened on first use: reading runs needs no queue)."""
        return TaskQueue(self.desk.settings)

    def close(self) -> None:
        """Close the queue's connections if they were opened."""
        if "queue" in self.__dict__:
            self.queue.close()

    def tick(self, now: datetime | None = None) -> TickReport:
        """Queue what is due now, as a worker's scheduler would (keys make it safe to repeat)."""
        holder = f"{socket.gethostname()}:{os.getpid()}:tick"
        scheduler = Scheduler(self.desk, self.runs, self.queue, holder)
        return scheduler.tick(now or datetime.now(UTC), force=True)

    def list(
        self, status: str | None = None, kind: str | None = None, limit: int = 100
    ) -> list[JobRun]:
        """Runs, newest first."""
        if status is not None and status not in STATUSES:
            from hoasen.errors import UsageError

            raise UsageError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
        return self.runs.recent(status=status, kind=kind, limit=limit)

    def get(self, run_id: int) -> JobRun:
        """One run."""
        return self.runs.get(run_id)

    def retry(self, run_id: int) -> JobRun:
        """Queue a failed run again and send it."""
        run = self.runs.retry(run_id, datetime.now(UTC))
        self.queue.send(run.queue, run.id)
        return run

    def health(self, now: datetime | None = None, depth: bool = True) -> dict[str, Any]:
        """Queue depth, the oldest waiting run, the last success per task kind, live workers.
        `ok` is False when a run has waited longer than a lease or no worker is alive while
        work waits."""
        now = now or datetime.now(UTC)
        counts = self.runs.counts()
        oldest = self.runs.oldest_waiting()
        waited = (now - oldest.due).total_seconds() if oldest else 0.0
        workers = [
            {"worker": holder, "seen_until": until.isoformat()}
            for _, holder, until in self.runs.holders(BEAT_PREFIX, now)
        ]
        queue_depth: dict[str, int] | None = None
        problems: list[str] = []
        if depth:
            try:
                queue_depth = self.queue.depth()
            except Exception as exc:  # the queue's server is down: say so, don't fail
                problems.append(f"queue unreachable: {type(exc).__name__}: {exc}")
        if counts["queued"] and not workers:
            problems.append("work is waiting and no worker is running (start `hoasen worker`)")
        if oldest and waited > self.desk.settings.job_lease:
            problems.append(f"the oldest waiting run has waited {int(waited)} s")
        return {
            "ok": not problems,
            "problems": problems,
            "queue": describe(self.desk.settings),
            "depth": queue_depth,
            "runs": counts,
            "oldest_waiting": None
            if oldest is None
            else {
                "id": oldest.id,
                "key": oldest.key,
                "due": oldest.due.isoformat(),
                "waited_seconds": int(waited),
            },
            "kinds": {
                kind: {k: v.isoformat() if isinstance(v, datetime) else v for k, v in d.items()}
                for kind, d in sorted(self.runs.last_per_kind().items())
            },
            "workers": workers,
        }
