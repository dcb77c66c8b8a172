"""`hoasen worker`: Huey consumers on hoasen's queues, a scheduler that ticks every
`scheduler_interval` seconds (one worker at a time), liveness beats for the health page, and
a graceful stop (finish the runs in flight, or give them back when that takes too long).

`hoasen serve --with-worker` runs the same thing in threads of the web server's process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from huey.consumer import Consumer

from hoasen.desk import Desk
from hoasen.errors import ConfigError
from hoasen.ingest.http import HostTurns
from hoasen.jobs.hosts import RedisHostTurns, SqliteHostTurns
from hoasen.jobs.queue import QUEUES, TaskQueue, queue_file
from hoasen.jobs.runner import RunHandler
from hoasen.jobs.scheduler import Scheduler
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.jobs import JobStore, NewRun

log = logging.getLogger("hoasen.jobs")

BEAT_PREFIX = "worker:"


class _Consumer(Consumer):
    """Huey's consumer without its own signal handlers: the Worker owns the process's signals
    (and may run in a thread of the web server, where handlers cannot be set)."""

    def _set_signal_handlers(self) -> None:
        return None


@contextlib.contextmanager
def alongside(settings: Settings, log_format: str = "json") -> Iterator[Worker]:
    """A worker in threads of this process while the block runs (`serve --with-worker`).

    uvicorn re-raises the SIGTERM or SIGINT that stopped it once it is done; a handler that
    only notes it keeps that from killing the process before the worker has stopped cleanly.
    """
    from hoasen.jobs.logs import configure

    configure(fmt=log_format)
    worker = Worker(settings)
    noted: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda n, _f: noted.append(n))
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def host_turns(settings: Settings, queue: TaskQueue) -> HostTurns:
    """The per-host politeness turns in the queue's own store."""
    if settings.queue_url:
        storage = queue.storage()
        return RedisHostTurns(storage.conn, queue.name)
    return SqliteHostTurns(queue_file(settings))


class Worker:
    """One worker process (or the in-process worker of `serve --with-worker`)."""

    def __init__(
        self,
        settings: Settings,
        concurrency: int | None = None,
        queues: Sequence[str] = QUEUES,
        schedule: bool = True,
        queue_name: str = "hoasen",
    ) -> None:
        unknown = [q for q in queues if q not in QUEUES]
        if unknown or not queues:
            raise ConfigError(f"unknown queue {', '.join(unknown)!r}; queues: {', '.join(QUEUES)}")
        self.settings = settings
        self.concurrency = max(1, concurrency or settings.worker_concurrency)
        self.queues = tuple(dict.fromkeys(queues))
        self.schedule = schedule
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.queue = TaskQueue(settings, queue_name)
        self.turns = host_turns(settings, self.queue)
        self.stopping = threading.Event()
        self._local = threading.local()
        # one database (its engine pools connections for every thread), one Desk per thread
        self.store = Store.open(settings.database_url)
        self.desk = self._new_desk()  # the loop thread's: scheduler, beats
        self.runs = JobStore(self.desk.store)
        self.scheduler = Scheduler(self.desk, self.runs, self.queue, f"{self.name}:scheduler")
        self.handler = RunHandler(self.desk_for_thread, self.runs, self._follow_up, self.name)
        self.queue.handle_with(self.handler)
        self.consumers = [
            _Consumer(
                self.queue.hueys[q],
                workers=self.concurrency,
                periodic=False,
                worker_type="thread",
                initial_delay=0.1,
                max_delay=2.0,
                backoff=1.5,
                check_worker_health=True,
                shutdown_timeout=max(5.0, settings.job_lease / 2),
            )
            for q in self.queues
        ]
        self._loop: threading.Thread | None = None

    # ---------------------------------------------------------------- desks per thread

    def _new_desk(self) -> Desk:
        return Desk(self.settings, store=self.store, turns=self.turns)

    def desk_for_thread(self) -> Desk:
        """This thread's Desk (models are not shared between threads)."""
        desk: Desk | None = getattr(self._local, "desk", None)
        if desk is None:
            desk = self._local.desk = self._new_desk()
        return desk

    def _follow_up(self, run: NewRun, now: datetime) -> object:
        return self.scheduler.follow_up(run, now)

    # ---------------------------------------------------------------- running

    def start(self) -> None:
        """Start the consumers and the scheduler/beat loop in background threads."""
        for consumer in self.consumers:
            consumer.start()
        self._loop = threading.Thread(target=self._loop_main, name="hoasen-scheduler", daemon=True)
        self._loop.start()
        log.info(
            "worker started",
            extra={
                "fields": {
                    "worker": self.name,
                    "queues": list(self.queues),
                    "concurrency": self.concurrency,
                    "scheduler": self.schedule,
                }
            },
        )

    def run(self) -> None:
        """Run until SIGTERM or SIGINT (a second one stops at once), then stop gracefully."""
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self.stopping.wait(1.0):
                pass
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
            self.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping.is_set():
            raise KeyboardInterrupt  # a second signal: stop now
        log.info("worker stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        self.stopping.set()

    def stop(self) -> None:
        """Finish the runs in flight (up to half a lease), give back the rest, and close."""
        self.stopping.set()
        for consumer in self.consumers:
            consumer.stop(graceful=True)
        released = self.handler.release_all()
        if self._loop is not None:
            self._loop.join(timeout=10)
        self.runs.unlock(f"{BEAT_PREFIX}{self.name}", self.name)
        self.store.close()
        self.queue.close()
        log.info("worker stopped", extra={"fields": {"worker": self.name, "released": released}})

    def _loop_main(self) -> None:
        """Tick the scheduler and beat every few seconds until stopped."""
        interval = max(1.0, self.settings.scheduler_interval)
        next_tick = 0.0
        while not self.stopping.is_set():
            clock = time.monotonic()
            now = datetime.now(UTC)
            try:
                self.runs.lock(f"{BEAT_PREFIX}{self.name}", self.name, now, 3 * max(interval, 5))
                if self.schedule and clock >= next_tick:
                    report = self.scheduler.tick(now)
                    next_tick = clock + interval
                    if report.ticked and (report.created or report.resent or report.errors):
                        log.info("scheduler tick", extra={"fields": report.as_json()})
                for consumer in self.consumers:
                    consumer.check_worker_health()
            except Exception:  # the database or queue is away for a moment: try again
                log.exception("scheduler loop failed; trying again")
            self.stopping.wait(min(interval, 5.0))

    def status(self) -> dict[str, Any]:
        """This worker's own view (name, queues, threads)."""
        return {
            "worker": self.name,
            "queues": list(self.queues),
            "concurrency": self.concurrency,
            "in_flight": sorted(self.handler.in_flight),
        }
