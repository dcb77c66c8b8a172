"""The scheduler's tick: read what is due from the domain tables and queue one keyed run for
each, then send again the runs whose message was lost.

What is due lives with the domain (sources' next poll, report schedules, exchange plans, the
post queue, campaigns being sent, alert digests), so it is edited in the desk like everything
else. Each run's key names what is due and when (source + its last poll, schedule + due time,
plan + due time...), so a tick repeated by two workers or after a restart makes nothing twice.
One worker ticks at a time (a lease in the database); if it dies another takes over.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from hoasen.jobs.queue import TaskQueue
from hoasen.jobs.tasks import QUEUE_OF, office_zone
from hoasen.store.jobs import JobRun, JobStore, NewRun

if TYPE_CHECKING:
    from hoasen.desk import Desk

log = logging.getLogger("hoasen.jobs")

LOCK = "scheduler"
REGISTERS_AT = time(7, 0)  # the daily check of agreements and permits, office time
DELIVERY_KINDS = ("report", "exchange")  # delivery-queue kinds whose retries runs pick up


@dataclass
class TickReport:
    """What one tick did."""

    ticked: bool = True  # False: another worker holds the scheduler's lease
    created: dict[str, int] = field(default_factory=dict)
    resent: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The tick as JSON (`hoasen jobs tick --json`)."""
        return {
            "ticked": self.ticked,
            "created": self.created,
            "resent": self.resent,
            "errors": self.errors,
        }


class Scheduler:
    """Queues what is due, for one Desk and one task queue."""

    def __init__(self, desk: Desk, runs: JobStore, queue: TaskQueue, holder: str) -> None:
        self.desk = desk
        self.runs = runs
        self.queue = queue
        self.holder = holder

    def tick(self, now: datetime, force: bool = False) -> TickReport:
        """Queue every due run (unless another worker is the scheduler now; `force` ticks
        anyway, which is safe: keys make a second tick a no-op)."""
        ttl = max(60.0, 3 * self.desk.settings.scheduler_interval)
        if not self.runs.lock(LOCK, self.holder, now, ttl) and not force:
            return TickReport(ticked=False)
        report = TickReport()
        wanted: list[NewRun] = []
        for name, collect in self._collectors():
            try:
                wanted.extend(collect(now))
            except Exception as exc:  # one broken collector must not stop the others
                log.exception("scheduler: %s failed", name)
                report.errors.append(f"{name}: {type(exc).__name__}: {exc}")
        for run in self.runs.create(wanted, now):
            self.queue.send(run.queue, run.id)
            report.created[run.kind] = report.created.get(run.kind, 0) + 1
        report.resent = self.resend(now)
        return report

    def resend(self, now: datetime) -> int:
        """Send again the runs whose message was lost (a worker killed holding it)."""
        stale = self.runs.to_resend(now, self.desk.settings.job_lease)
        for run in stale:
            self.queue.send(run.queue, run.id)
        self.runs.mark_sent([r.id for r in stale], now)
        return len(stale)

    def follow_up(self, run: NewRun, now: datetime) -> JobRun | None:
        """Create and queue a run now (a task's follow-up, e.g. analysing what a poll brought)."""
        made = self.runs.create([run], now)
        for r in made:
            self.queue.send(r.queue, r.id)
        return made[0] if made else None

    # ---------------------------------------------------------------- what is due

    def _collectors(self) -> list[tuple[str, Callable[[datetime], list[NewRun]]]]:
        return [
            ("sources", self._sources),
            ("reports", self._reports),
            ("alerts", self._digests),
            ("alert deliveries", self._alert_pending),
            ("exchange", self._exchange),
            ("posts", self._posts),
            ("campaigns", self._campaigns),
            ("deliveries", self._deliveries),
            ("daily", self._daily),
        ]

    def _sources(self, now: datetime) -> list[NewRun]:
        out = []
        for s in self.desk.store.list_sources():
            if s.is_due(now):
                last = s.last_polled.isoformat() if s.last_polled else "first"
                args = {"source": s.name, "last": last}
                out.append(_new("poll", f"poll:{s.id}:{last}", now, args))
        return out

    def _reports(self, now: datetime) -> list[NewRun]:
        return [
            _new("report", d.key, d.due, {"schedule_id": d.schedule_id, "due": d.due.isoformat()})
            for d in self.desk.schedules.due(now)
        ]

    def _digests(self, now: datetime) -> list[NewRun]:
        return [
            _new(
                "alert-digest",
                f"alert-digest:{alert_id}:{due.isoformat()}",
                due,
                {"alert_id": alert_id, "due": due.isoformat()},
            )
            for alert_id, due in self.desk.alerts.due_digests(now)
        ]

    def _alert_pending(self, now: datetime) -> list[NewRun]:
        """Hits whose delivery failed (the mail server was down): one run per set of them."""
        pending = self.desk.alerts.pending()
        if not pending:
            return []
        first = min(d for _, d in pending)
        return [_new("alert-pending", f"alert-pending:{_digest(pending)}", first, {})]

    def _exchange(self, now: datetime) -> list[NewRun]:
        due = self.desk.exchange.outbox.due_plans(now)
        if not due:
            return []
        first = min(d for _, d in due)
        return [_new("exchange", f"exchange:{_digest(due)}", first, {})]

    def _posts(self, now: datetime) -> list[NewRun]:
        due = self.desk.posts.due(now)
        if not due:
            return []
        first = min(d for _, d in due)
        return [_new("posts", f"posts:{_digest(due)}", first, {})]

    def _campaigns(self, now: datetime) -> list[NewRun]:
        """Campaign sends that stopped (the process sending them died): resumed by a worker;
        subscribers already sent to are skipped, a send still under way is left alone."""
        out = []
        for c in self.desk.mailing.stalled(self.desk.settings.job_lease, now):
            if c.started is not None:
                key = f"campaign:{c.id}:{c.started.isoformat()}"
                out.append(_new("campaign", key, c.started, {"campaign_id": c.id}))
        return out

    def _deliveries(self, now: datetime) -> list[NewRun]:
        """Retries of report mail and exchange deliveries (a server's temporary refusal, or a
        worker that died mid-send): one run per kind and set of due deliveries."""
        from hoasen.delivery.queue import DeliveryQueue

        queue = DeliveryQueue(self.desk.store, self.desk.settings, clock=lambda: now)
        out = []
        for kind in DELIVERY_KINDS:
            due = [(d.id, d.next_attempt or d.updated) for d in queue.due(kind)]
            if due:
                first = min(d for _, d in due)
                key = f"deliveries:{kind}:{_digest(due)}"
                out.append(_new("deliveries", key, first, {"kind": kind}))
        return out

    def _daily(self, now: datetime) -> list[NewRun]:
        local = now.astimezone(office_zone(self.desk))
        out = [_new("prune", f"prune:{local.date().isoformat()}", now, {})]
        if local.time() >= REGISTERS_AT:
            day = local.date().isoformat()
            out.append(_new("registers", f"registers:{day}", now, {"day": day}))
        return out


def _new(kind: str, key: str, due: datetime, args: dict[str, Any]) -> NewRun:
    return NewRun(key=key, kind=kind, queue=QUEUE_OF[kind], due=due, args=args)


def _digest(due: list[tuple[int, datetime]]) -> str:
    """A short stable name for a set of (id, due time) pairs."""
    text = ",".join(f"{i}@{d.isoformat()}" for i, d in sorted(due))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
