"""What each kind of job run does, given the worker's Desk: poll a source, analyse a batch,
build and deliver a report, run the exchange plans, publish due posts, send a campaign, check
agreements and permits, send an alert digest, prune old runs.

Each function is safe to repeat: the domain keeps its own keys (a URL is ingested once, a
report is registered once per run key, a post is sent once per post key, a delivery once per
idempotency key), so a run taken over from a killed worker finishes the work instead of doing
it twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hoasen.errors import NotFoundError
from hoasen.models import IngestReport
from hoasen.store.jobs import JobRun, NewRun

if TYPE_CHECKING:
    from hoasen.desk import Desk

QUEUE_OF = {
    "poll": "fetch",
    "analyse": "work",
    "report": "work",
    "alert-digest": "work",
    "alert-pending": "work",
    "exchange": "work",
    "posts": "work",
    "campaign": "work",
    "registers": "work",
    "deliveries": "work",
    "prune": "work",
}
KINDS = tuple(QUEUE_OF)
AGREEMENT_DAYS = 60  # agreements ending within this many days are flagged
PERMIT_DAYS = 30  # journalists' permits ending within this many days are flagged


@dataclass
class TaskContext:
    """What a task may use besides its Desk: the clock and a way to queue follow-up runs."""

    now: datetime
    follow_up: Callable[[NewRun], object]
    lock: Callable[[str], Any]  # a context manager holding a named lock between workers


Task = Callable[["Desk", JobRun, TaskContext], dict[str, Any]]


def poll(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Poll one source and ingest what it brings; the analysis is a follow-up run."""
    try:
        source = desk.store.get_source(run.args["source"])
    except NotFoundError:
        return {"skipped": "the source was removed"}
    last = source.last_polled.isoformat() if source.last_polled else "first"
    if run.args.get("last", last) != last:  # polled since this run was made (a repeat)
        return {"source": source.name, "skipped": "polled already"}
    report, outcomes = desk.fetch_due(names=[source.name], analyze=False)
    if report.article_ids and desk.settings.analyze_on_ingest:
        ctx.follow_up(
            NewRun(
                key=f"analyse:{run.key}",
                kind="analyse",
                queue=QUEUE_OF["analyse"],
                due=ctx.now,
                args={"ids": report.article_ids},
            )
        )
    elif report.article_ids:
        desk.analyze_new(report)  # no analysis: the alerts still look at the new articles
    outcome = outcomes[0] if outcomes else None
    return {
        "source": source.name,
        "ok": outcome.ok if outcome else True,
        "error": outcome.error if outcome else None,
        "ingested": report.ingested,
        "duplicates": report.duplicates,
        "skipped": report.skipped,
        "errors": len(report.errors),
    }


def analyse(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Analyse a batch of new articles (one batch at a time across workers: the story stage
    groups articles with those analysed before), then evaluate the alerts on them."""
    report = IngestReport(article_ids=[int(i) for i in run.args.get("ids", [])])
    with ctx.lock("analysis"):
        desk.analyze_new(report)
    return {
        "articles": len(report.article_ids),
        "analyzed": report.analyzed,
        "caught_up": report.caught_up,
        "errors": [f"{e.input}: {e.reason}" for e in report.errors][:20],
    }


def report(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Build (once) and deliver a scheduled report."""
    done = desk.schedules.run(int(run.args["schedule_id"]), _when(run.args["due"]))
    return _jsonable(done)


def alert_digest(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Send one alert's digest of the hits not sent yet."""
    sent = desk.alerts.send_digest(int(run.args["alert_id"]), _when(run.args["due"]))
    return {"hits": sent}


def alert_pending(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Deliver the hits whose delivery failed before (each once: keys and Message-IDs)."""
    done = desk.alerts.send_pending()
    if done.errors and not done.delivered:
        raise RuntimeError("; ".join(done.errors[:3]))  # retried later with a longer wait
    return {"delivered": done.delivered, "errors": done.errors[:20]}


def exchange(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Run the exchange plans whose time has come (each plan claims its own run)."""
    runs = desk.exchange.outbox.run_due(ctx.now)
    return {"plans": [r.as_json() for r in runs]}


def posts(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Publish the approved posts whose time has come (once per post key)."""
    results = desk.posts.send_due(ctx.now)
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    return {"posts": counts}


def campaign(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Send (or resume) a campaign: subscribers already sent to are skipped."""
    return desk.mailing.send(int(run.args["campaign_id"])).as_json()


def registers(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Flag agreements due for renewal and permits running out, on the desk's notification
    list (once per agreement end and per permit end; no person's name: every user sees it)."""
    today = date.fromisoformat(run.args["day"])
    flagged = 0
    for due in desk.partners.due(AGREEMENT_DAYS, today=today):
        a = due.agreement
        when = "ended" if due.days_left < 0 else f"ends in {due.days_left} days"
        flagged += desk.alerts.notify(
            key=f"agreement:{a.id}:{a.ends}",
            kind="register",
            title=f"Agreement with {due.partner.name} {when} ({a.ends})",
            body=f"{a.title}: renew it or mark it expired.",
            link=f"/partners/{due.partner.id}",
        )
    for flag in desk.registers.press.permits(PERMIT_DAYS, today=today):
        if flag.kind not in ("expiring", "expired") or flag.journalist.valid_to is None:
            continue
        j = flag.journalist
        when = "ended" if (flag.days_left or 0) < 0 else f"ends in {flag.days_left} days"
        flagged += desk.alerts.notify(
            key=f"permit:{j.id}:{j.valid_to}",
            kind="register",
            title=f"A foreign journalist's permit {when} ({j.valid_to})",
            body="See the press register for the group and the permit.",
            link="/registers/press",
        )
    return {"flagged": flagged}


def deliveries(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """One attempt at the due deliveries of one kind (report mail, exchange packages)."""
    kind = run.args.get("kind")
    if kind == "report":
        rows = desk.schedules.deliver_due()
        return {"attempted": len(rows), "sent": sum(1 for r in rows if r.status == "sent")}
    if kind == "exchange":
        return {"plans": [r.as_json() for r in desk.exchange.outbox.run_due(ctx.now)]}
    return {"skipped": f"no deliveries of kind {kind!r}"}


def prune(desk: Desk, run: JobRun, ctx: TaskContext) -> dict[str, Any]:
    """Delete finished runs older than `job_keep_days`."""
    before = ctx.now - timedelta(days=max(1, desk.settings.job_keep_days))
    return {"deleted": desk.jobs.runs.prune(before)}


TASKS: dict[str, Task] = {
    "poll": poll,
    "analyse": analyse,
    "report": report,
    "alert-digest": alert_digest,
    "alert-pending": alert_pending,
    "exchange": exchange,
    "posts": posts,
    "campaign": campaign,
    "registers": registers,
    "deliveries": deliveries,
    "prune": prune,
}


def office_zone(desk: Desk) -> ZoneInfo:
    """The office's time zone."""
    from hoasen.reports.period import zone

    return zone(desk.settings.office_timezone)


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _jsonable(value: Any) -> dict[str, Any]:
    as_json = getattr(value, "as_json", None)
    if callable(as_json):
        out = as_json()
        return out if isinstance(out, dict) else {"result": out}
    if hasattr(value, "__dataclass_fields__"):
        return {k: getattr(value, k) for k in value.__dataclass_fields__}
    return {"result": value}
