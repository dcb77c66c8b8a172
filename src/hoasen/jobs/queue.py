"""The task queue: Huey on an embedded SQLite file by default, on Redis when `queue_url` is
set (then workers on any number of machines share it).

A queue message carries only a job run's id (`job_runs`); the run's state lives in the
database, so the queue can lose or repeat a message without losing or repeating work. There
are two queues: `fetch` (polling sources: network-bound) and `work` (analysis, reports,
exchange, posts, campaigns, alerts), so a worker can be given only one of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey
from huey.api import Huey

from hoasen.errors import ConfigError
from hoasen.settings import Settings

QUEUES = ("fetch", "work")
TASK_NAME = "hoasen.run"

log = logging.getLogger(__name__)

Handler = Callable[[int], None]


def queue_file(settings: Settings) -> Path:
    """Where the embedded SQLite queue lives: `queue_file`, or next to a SQLite database."""
    if settings.queue_file:
        return Path(settings.queue_file)
    url = settings.database_url
    if url.startswith("sqlite:///") and url not in ("sqlite:///", "sqlite:///:memory:"):
        db = Path(url.removeprefix("sqlite:///"))
        return db.with_name(f"{db.stem}.queue{db.suffix or '.db'}")
    return Path("hoasen-queue.db")


def describe(settings: Settings) -> str:
    """Where the queue is, for messages (a Redis URL without its password)."""
    if not settings.queue_url:
        return f"sqlite:{queue_file(settings)}"
    parts = urlsplit(settings.queue_url)
    host = parts.hostname or "localhost"
    return f"{parts.scheme}://{host}:{parts.port or 6379}{parts.path}"


class TaskQueue:
    """The Huey instances of hoasen's queues, with the one task that runs a job run."""

    def __init__(self, settings: Settings, name: str = "hoasen") -> None:
        self.settings = settings
        self.name = name
        self.hueys: dict[str, Huey] = {q: self._huey(q) for q in QUEUES}
        self._handler: Handler | None = None
        self.tasks = {q: self._register(h) for q, h in self.hueys.items()}

    def _huey(self, queue: str) -> Huey:
        name = f"{self.name}.{queue}"
        common: dict[str, Any] = {"results": False, "utc": True}
        url = self.settings.queue_url
        if not url:
            path = queue_file(self.settings)
            path.parent.mkdir(parents=True, exist_ok=True)
            return SqliteHuey(name, filename=str(path), **common)
        scheme = urlsplit(url).scheme
        if scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(
                f"queue_url must be redis://HOST:PORT/DB (or rediss://, unix://), not {scheme!r}"
            )
        return RedisHuey(name, url=url, **common)

    def _register(self, huey: Huey) -> Any:
        def run(run_id: int) -> None:
            if self._handler is None:
                raise RuntimeError("this process only sends tasks; start `hoasen worker`")
            self._handler(run_id)

        return huey.task(name=TASK_NAME)(run)

    def handle_with(self, handler: Handler) -> None:
        """Run messages with `handler(run_id)` in this process (a worker)."""
        self._handler = handler

    def send(self, queue: str, run_id: int) -> None:
        """Put one message for a run on its queue."""
        if queue not in self.tasks:
            raise ConfigError(f"unknown queue {queue!r}; queues: {', '.join(QUEUES)}")
        self.tasks[queue](run_id)

    def depth(self) -> dict[str, int]:
        """Messages waiting on each queue."""
        return {q: int(h.pending_count()) for q, h in self.hueys.items()}

    def storage(self, queue: str = "work") -> Any:
        """The storage behind a queue (for locks kept in the queue's store)."""
        return self.hueys[queue].storage

    def flush(self) -> None:
        """Drop every waiting message (tests, and `hoasen jobs flush`)."""
        for huey in self.hueys.values():
            huey.flush()

    def close(self) -> None:
        """Close the queue's connections."""
        for huey in self.hueys.values():
            close = getattr(huey.storage, "close", None)
            if close is not None:
                close()
