"""Running one job run in a worker: claim it, keep its lease alive while it runs, do the work
through the Desk, and record the outcome (done, retry later with a doubling wait, or failed).

A message for a run that is done, failed or held by a live worker is dropped: that is how a
repeated message (two schedulers, a restart, a lost acknowledgement) changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hoasen.errors import ConfigError, HoasenError, NotFoundError, UsageError
from hoasen.jobs.tasks import TASKS, TaskContext
from hoasen.store.jobs import JobRun, JobStore, NewRun

if TYPE_CHECKING:
    from hoasen.desk import Desk

log = logging.getLogger("hoasen.jobs")

RETRY_BASE = 30.0  # seconds before the first retry; doubles each time
FINAL = (ConfigError, UsageError, NotFoundError)  # retrying cannot help


class RunHandler:
    """Runs job runs for one worker (any of its threads)."""

    def __init__(
        self,
        desk_for_thread: Callable[[], Desk],
        runs: JobStore,
        follow_up: Callable[[NewRun, datetime], object],
        worker: str,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.desk_for_thread = desk_for_thread
        self.runs = runs
        self.follow_up = follow_up
        self.worker = worker
        self.clock = clock or (lambda: datetime.now(UTC))
        self.in_flight: dict[int, str] = {}  # run id -> holder, for a shutdown to release
        self._guard = threading.Lock()

    def holder(self) -> str:
        """This thread's name as a run holder: host:pid:thread."""
        return f"{self.worker}:{threading.current_thread().name}"

    def __call__(self, run_id: int) -> None:
        """Claim and run one run (a no-op when it is not ours to run)."""
        desk = self.desk_for_thread()
        lease = desk.settings.job_lease
        holder = self.holder()
        run = self.runs.claim(run_id, holder, self.clock(), lease)
        if run is None:
            log.debug("run skipped", extra={"fields": {"run": run_id, "worker": holder}})
            return
        with self._guard:
            self.in_flight[run.id] = holder
        stop = threading.Event()
        beat = threading.Thread(
            target=self._heartbeat, args=(run.id, holder, lease, stop), daemon=True
        )
        beat.start()
        started = time.monotonic()
        fields = {"run": run.id, "kind": run.kind, "key": run.key, "worker": holder}
        log.info("run started", extra={"fields": {**fields, "attempt": run.attempts}})
        try:
            self._execute(desk, run, holder, started, fields)
        finally:
            stop.set()
            beat.join()
            with self._guard:
                self.in_flight.pop(run.id, None)

    def _execute(
        self, desk: Desk, run: JobRun, holder: str, started: float, fields: dict[str, object]
    ) -> None:
        task = TASKS.get(run.kind)
        now = self.clock()
        if task is None:
            self.runs.fail(run.id, holder, now, f"unknown task kind {run.kind!r}", None)
            log.error("run failed", extra={"fields": {**fields, "error": "unknown kind"}})
            return
        ctx = TaskContext(
            now=now,
            follow_up=lambda new: self.follow_up(new, self.clock()),
            lock=lambda name: self.locked(name, holder, desk.settings.job_lease),
        )
        try:
            result = task(desk, run, ctx)
        except Exception as exc:  # any failure of the work: recorded on the run, retried
            reason = str(exc) if isinstance(exc, HoasenError) else f"{type(exc).__name__}: {exc}"
            final = isinstance(exc, FINAL) or run.attempts >= desk.settings.job_attempts
            retry_at = (
                None
                if final
                else self.clock() + timedelta(seconds=RETRY_BASE * 2 ** (run.attempts - 1))
            )
            self.runs.fail(run.id, holder, self.clock(), reason, retry_at)
            seconds = round(time.monotonic() - started, 3)
            level = logging.ERROR if retry_at is None else logging.WARNING
            log.log(
                level,
                "run failed" if retry_at is None else "run will be retried",
                exc_info=not isinstance(exc, HoasenError),
                extra={"fields": {**fields, "error": reason, "seconds": seconds}},
            )
            return
        self.runs.finish(run.id, holder, self.clock(), result)
        seconds = round(time.monotonic() - started, 3)
        log.info("run done", extra={"fields": {**fields, "seconds": seconds, "result": result}})

    def _heartbeat(self, run_id: int, holder: str, lease: float, stop: threading.Event) -> None:
        """Renew the run's lease every third of it until the run ends."""
        while not stop.wait(max(1.0, lease / 3)):
            until = self.clock() + timedelta(seconds=lease)
            try:
                if not self.runs.renew(run_id, holder, until):
                    return
            except Exception:  # the database is away for a moment: the next beat tries again
                log.warning("lease renewal failed", extra={"fields": {"run": run_id}})

    @contextlib.contextmanager
    def locked(self, name: str, holder: str, ttl: float) -> Iterator[None]:
        """Hold a named lock between workers while the block runs (waiting for it)."""
        while not self.runs.lock(name, holder, self.clock(), ttl):
            time.sleep(0.2)
        try:
            yield
        finally:
            self.runs.unlock(name, holder)

    def release_all(self) -> int:
        """Give every run still in flight back to the queue (a shutdown that cannot wait)."""
        with self._guard:
            held = dict(self.in_flight)
        return sum(self.runs.release(i, h, self.clock()) for i, h in held.items())
