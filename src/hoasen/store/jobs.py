"""Reads and writes of the job tables: keyed runs (queued → running → done/failed) with leases,
named locks between workers, and the figures the health page shows.

Every change of a run's state is one conditional UPDATE, so two workers holding a copy of the
same queue message never both run it: the first claim wins, the second finds it taken.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store
from hoasen.store.schema_jobs import job_locks, job_runs

STATUSES = ("queued", "running", "done", "failed")


@dataclass(frozen=True)
class JobRun:
    """One keyed run of a task as stored."""

    id: int
    key: str
    kind: str
    queue: str
    args: dict[str, Any]
    status: str
    due: datetime
    not_before: datetime | None
    enqueued: datetime | None
    started: datetime | None
    finished: datetime | None
    lease_until: datetime | None
    worker: str | None
    attempts: int
    error: str | None
    result: dict[str, Any] | None
    created: datetime

    def as_json(self) -> dict[str, Any]:
        """JSON form for `hoasen jobs list --json` and the API."""
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.isoformat() if isinstance(value, datetime) else value
        return out


@dataclass(frozen=True)
class NewRun:
    """A run the scheduler wants to exist: its key makes it unique."""

    key: str
    kind: str
    queue: str
    due: datetime
    args: dict[str, Any]


class JobStore:
    """The job tables of one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- creating

    def create(self, runs: Sequence[NewRun], now: datetime) -> list[JobRun]:
        """Insert the runs whose key is new (one at a time: a key another scheduler inserted
        first is skipped) and return those inserted, marked as sent to the queue now."""
        made: list[JobRun] = []
        if not runs:
            return made
        keys = [r.key for r in runs]
        with self.engine.connect() as conn:
            known = set(conn.scalars(select(job_runs.c.key).where(job_runs.c.key.in_(keys))))
        for run in runs:
            if run.key in known:
                continue
            values = {
                "key": run.key,
                "kind": run.kind,
                "queue": run.queue,
                "args": json.dumps(run.args, sort_keys=True),
                "status": "queued",
                "due": run.due,
                "enqueued": now,
                "attempts": 0,
                "created": now,
            }
            try:
                with self.engine.begin() as conn:
                    new_id = conn.execute(insert(job_runs).values(**values)).inserted_primary_key
            except IntegrityError:
                continue  # another scheduler made it between our look and our insert
            assert new_id is not None
            made.append(self.get(int(new_id[0])))
        return made

    # ---------------------------------------------------------------- reading

    def get(self, run_id: int) -> JobRun:
        """One run by id."""
        with self.engine.connect() as conn:
            row = conn.execute(select(job_runs).where(job_runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no job run {run_id}")
        return _run(row)

    def by_key(self, key: str) -> JobRun | None:
        """The run with this key, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(select(job_runs).where(job_runs.c.key == key)).mappings().first()
        return None if row is None else _run(row)

    def recent(
        self,
        status: str | None = None,
        kind: str | None = None,
        limit: int = 100,
    ) -> list[JobRun]:
        """Runs, newest first, optionally of one status or kind."""
        query = select(job_runs).order_by(job_runs.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(job_runs.c.status == status)
        if kind is not None:
            query = query.where(job_runs.c.kind == kind)
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(query).mappings()]

    def open_keys(self, prefix: str) -> set[str]:
        """Keys of the queued or running runs whose key starts with `prefix`."""
        query = select(job_runs.c.key).where(
            job_runs.c.key.startswith(prefix, autoescape=True),
            job_runs.c.status.in_(("queued", "running")),
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    def to_resend(self, now: datetime, lease: float) -> list[JobRun]:
        """Runs whose queue message is presumed lost: queued and not taken for a lease's time
        (or a retry whose wait is over), or running with a lease that ran out."""
        stale = now - timedelta(seconds=lease)
        c = job_runs.c
        query = select(job_runs).where(
            or_(
                and_(
                    c.status == "queued",
                    or_(
                        and_(c.not_before.is_(None), c.enqueued < stale),
                        and_(c.not_before.is_not(None), c.not_before <= now, c.enqueued < now),
                    ),
                ),
                and_(c.status == "running", c.lease_until < now),
            )
        )
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(query.order_by(c.due)).mappings()]

    def mark_sent(self, run_ids: Sequence[int], now: datetime) -> None:
        """Record that a queue message was sent for these runs now."""
        if run_ids:
            with self.engine.begin() as conn:
                conn.execute(
                    update(job_runs).where(job_runs.c.id.in_(run_ids)).values(enqueued=now)
                )

    # ---------------------------------------------------------------- running

    def claim(self, run_id: int, worker: str, now: datetime, lease: float) -> JobRun | None:
        """Take a run for `worker` when it is queued (and its retry wait is over) or its last
        holder's lease ran out; None when it is done, failed or held by a live worker."""
        c = job_runs.c
        until = now + timedelta(seconds=lease)
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(job_runs)
                .where(
                    c.id == run_id,
                    or_(
                        and_(
                            c.status == "queued",
                            or_(c.not_before.is_(None), c.not_before <= now),
                        ),
                        and_(c.status == "running", c.lease_until < now),
                    ),
                )
                .values(
                    status="running",
                    worker=worker,
                    started=now,
                    lease_until=until,
                    attempts=c.attempts + 1,
                )
            ).rowcount
        return self.get(run_id) if taken else None

    def renew(self, run_id: int, worker: str, until: datetime) -> bool:
        """Extend a held run's lease; False when the worker no longer holds it."""
        c = job_runs.c
        with self.engine.begin() as conn:
            done = conn.execute(
                update(job_runs)
                .where(c.id == run_id, c.worker == worker, c.status == "running")
                .values(lease_until=until)
            ).rowcount
        return bool(done)

    def finish(self, run_id: int, worker: str, now: datetime, result: dict[str, Any]) -> bool:
        """Mark a held run done with its result summary."""
        c = job_runs.c
        with self.engine.begin() as conn:
            done = conn.execute(
                update(job_runs)
                .where(c.id == run_id, c.worker == worker, c.status == "running")
                .values(
                    status="done",
                    finished=now,
                    lease_until=None,
                    error=None,
                    result=json.dumps(result, sort_keys=True, default=str),
                )
            ).rowcount
        return bool(done)

    def fail(
        self, run_id: int, worker: str, now: datetime, error: str, retry_at: datetime | None
    ) -> bool:
        """Record a failed attempt: queued again for `retry_at`, or failed for good."""
        c = job_runs.c
        values: dict[str, Any] = {"error": error[:2000], "lease_until": None}
        if retry_at is None:
            values.update(status="failed", finished=now)
        else:
            values.update(status="queued", not_before=retry_at, enqueued=now)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(job_runs)
                .where(c.id == run_id, c.worker == worker, c.status == "running")
                .values(**values)
            ).rowcount
        return bool(done)

    def release(self, run_id: int, worker: str, now: datetime) -> bool:
        """Give a held run back to the queue untouched (a worker shutting down)."""
        c = job_runs.c
        with self.engine.begin() as conn:
            done = conn.execute(
                update(job_runs)
                .where(c.id == run_id, c.worker == worker, c.status == "running")
                .values(
                    status="queued",
                    worker=None,
                    lease_until=None,
                    enqueued=now,
                    attempts=c.attempts - 1,
                )
            ).rowcount
        return bool(done)

    def retry(self, run_id: int, now: datetime) -> JobRun:
        """Queue a failed run again by hand (its attempts start over)."""
        run = self.get(run_id)
        if run.status != "failed":
            raise UsageError(f"job run {run_id} is {run.status}: only a failed run is retried")
        with self.engine.begin() as conn:
            conn.execute(
                update(job_runs)
                .where(job_runs.c.id == run_id)
                .values(status="queued", attempts=0, not_before=None, enqueued=now, error=None)
            )
        return self.get(run_id)

    def prune(self, before: datetime) -> int:
        """Delete finished runs older than `before`; the number deleted."""
        c = job_runs.c
        with self.engine.begin() as conn:
            return conn.execute(
                delete(job_runs).where(c.status.in_(("done", "failed")), c.finished < before)
            ).rowcount

    # ---------------------------------------------------------------- locks

    def lock(self, name: str, holder: str, now: datetime, ttl: float) -> bool:
        """Take (or renew, for the same holder) a named lock for `ttl` seconds; False when
        another holder's lock has not run out yet."""
        until = now + timedelta(seconds=ttl)
        c = job_locks.c
        with self.engine.begin() as conn:
            taken = conn.execute(
                update(job_locks)
                .where(c.name == name, or_(c.holder == holder, c.until < now))
                .values(holder=holder, until=until)
            ).rowcount
        if taken:
            return True
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(job_locks).values(name=name, holder=holder, until=until))
        except IntegrityError:
            return False  # held by another, whose lease has not run out
        return True

    def holders(self, prefix: str, now: datetime) -> list[tuple[str, str, datetime]]:
        """(name, holder, until) of the live locks whose name starts with `prefix`."""
        c = job_locks.c
        query = (
            select(c.name, c.holder, c.until)
            .where(c.name.startswith(prefix, autoescape=True), c.until >= now)
            .order_by(c.name)
        )
        with self.engine.connect() as conn:
            return [(n, h, u) for n, h, u in conn.execute(query).all()]

    def unlock(self, name: str, holder: str) -> None:
        """Release a named lock held by `holder`."""
        c = job_locks.c
        with self.engine.begin() as conn:
            conn.execute(delete(job_locks).where(c.name == name, c.holder == holder))

    # ---------------------------------------------------------------- health

    def counts(self) -> dict[str, int]:
        """Runs per status."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(job_runs.c.status, func.count()).group_by(job_runs.c.status)
            ).all()
        found = {status: int(n) for status, n in rows}
        return {s: found.get(s, 0) for s in STATUSES}

    def oldest_waiting(self) -> JobRun | None:
        """The queued run that has been due the longest."""
        query = (
            select(job_runs)
            .where(job_runs.c.status == "queued")
            .order_by(job_runs.c.due, job_runs.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _run(row)

    def last_per_kind(self) -> dict[str, dict[str, Any]]:
        """Per task kind: the last success, the last failure and the runs done."""
        c = job_runs.c
        query = select(
            c.kind,
            func.max(c.finished).filter(c.status == "done"),
            func.max(c.finished).filter(c.status == "failed"),
            func.count().filter(c.status == "done"),
        ).group_by(c.kind)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            kind: {"last_success": ok, "last_failure": bad, "done": int(n)}
            for kind, ok, bad, n in rows
        }


def _run(row: Any) -> JobRun:
    return JobRun(
        id=row["id"],
        key=row["key"],
        kind=row["kind"],
        queue=row["queue"],
        args=json.loads(row["args"] or "{}"),
        status=row["status"],
        due=row["due"],
        not_before=row["not_before"],
        enqueued=row["enqueued"],
        started=row["started"],
        finished=row["finished"],
        lease_until=row["lease_until"],
        worker=row["worker"],
        attempts=row["attempts"],
        error=row["error"],
        result=json.loads(row["result"]) if row["result"] else None,
        created=row["created"],
    )
