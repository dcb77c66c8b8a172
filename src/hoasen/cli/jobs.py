"""Commands of the work hoasen runs by itself: `hoasen worker` runs tasks (and the scheduler)
until stopped, `hoasen worker status` shows the queue's health, `hoasen jobs ...` lists runs,
retries a failed one or ticks the scheduler by hand (for cron, or a server without workers)."""

from datetime import datetime
from typing import Annotated

import typer

from hoasen.cli import JsonOpt, Table, _desk, _errors, _print_json, _settings, app, err, out
from hoasen.errors import UsageError

worker_app = typer.Typer(
    help="Run the task worker (polls, analysis, reports, exchange, posts, alerts).",
    invoke_without_command=True,
)
jobs_app = typer.Typer(
    help="Job runs: list, show, retry; tick the scheduler.", no_args_is_help=True
)
app.add_typer(worker_app, name="worker")
app.add_typer(jobs_app, name="jobs")


@worker_app.callback()
def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency", "-c", min=1, help="Tasks run at once (default: worker_concurrency)."
        ),
    ] = None,
    queues: Annotated[
        str,
        typer.Option("--queues", "-q", help="Queues to take tasks from: fetch, work or both."),
    ] = "fetch,work",
    no_scheduler: Annotated[
        bool,
        typer.Option("--no-scheduler", help="Only run tasks; never queue what is due."),
    ] = False,
    log_format: Annotated[
        str, typer.Option("--log-format", help="json (one object per line) or text.")
    ] = "json",
) -> None:
    """Run tasks from the queue until SIGTERM or Ctrl-C (finishing the ones in flight)."""
    if ctx.invoked_subcommand is not None:
        return
    from hoasen.jobs.logs import configure
    from hoasen.jobs.queue import describe
    from hoasen.jobs.worker import Worker

    with _errors():
        if log_format not in ("json", "text"):
            raise UsageError("--log-format is json or text")
        settings = _settings(ctx)
        configure(fmt=log_format)
        names = [q.strip() for q in queues.split(",") if q.strip()]
        runner = Worker(settings, concurrency=concurrency, queues=names, schedule=not no_scheduler)
        err.print(
            f"hoasen worker {runner.name} on {describe(settings)}: queues {', '.join(names)}, "
            f"{runner.concurrency} at once (Ctrl-C or SIGTERM stops it)",
            highlight=False,
        )
        runner.run()


@worker_app.command("status")
def worker_status(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """The queue's health: depth, the oldest waiting run, last success per task, workers."""
    with _desk(ctx) as desk:
        health = desk.jobs.health()
    if as_json:
        _print_json(health)
    else:
        _print_health(health)
    if not health["ok"]:
        raise typer.Exit(1)


def _print_health(health: dict[str, object]) -> None:
    state = "[green]ok[/green]" if health["ok"] else "[red]needs attention[/red]"
    out.print(f"Queue {health['queue']}: {state}", highlight=False)
    for problem in health["problems"]:  # type: ignore[attr-defined]
        out.print(f"  [yellow]![/yellow] {problem}", highlight=False)
    out.print(f"Waiting messages: {health['depth']}; runs: {health['runs']}", highlight=False)
    oldest = health["oldest_waiting"]
    if oldest:
        out.print(f"Oldest waiting: {oldest}", highlight=False)
    workers = health["workers"]
    out.print(f"Workers alive: {len(workers) if isinstance(workers, list) else 0}")
    for w in workers if isinstance(workers, list) else []:
        out.print(f"  {w['worker']}", highlight=False)
    table = Table("task", "last success", "last failure", "done")
    kinds = health["kinds"]
    for kind, d in kinds.items() if isinstance(kinds, dict) else []:
        table.add_row(kind, d["last_success"] or "-", d["last_failure"] or "-", str(d["done"]))
    out.print(table)


@jobs_app.command("tick")
def jobs_tick(
    ctx: typer.Context,
    at: Annotated[str | None, typer.Option("--at", help="As if it were this time (ISO).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Queue what is due now (safe to repeat: each run has a key); workers do the work."""
    with _desk(ctx) as desk:
        report = desk.jobs.tick(_instant(at))
    if as_json:
        _print_json(report.as_json())
        return
    made = ", ".join(f"{n} {k}" for k, n in sorted(report.created.items())) or "nothing new"
    out.print(f"Queued: {made}; sent again: {report.resent}.", highlight=False)
    for problem in report.errors:
        err.print(f"[yellow]warning:[/yellow] {problem}", highlight=False)


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="queued, running, done or failed.")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="poll, report, analyse...")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Most runs shown.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Recent job runs, newest first."""
    with _desk(ctx) as desk:
        runs = desk.jobs.list(status=status, kind=kind, limit=limit)
    if as_json:
        _print_json([r.as_json() for r in runs])
        return
    table = Table("id", "kind", "status", "due", "tries", "worker", "error")
    for r in runs:
        table.add_row(
            str(r.id),
            r.kind,
            r.status,
            r.due.isoformat(timespec="seconds"),
            str(r.attempts),
            r.worker or "",
            (r.error or "")[:60],
        )
    out.print(table)


@jobs_app.command("show")
def jobs_show(
    ctx: typer.Context,
    run_id: Annotated[int, typer.Argument(help="The run's id.")],
    as_json: JsonOpt = False,
) -> None:
    """One run with its arguments, result and error."""
    with _desk(ctx) as desk:
        run = desk.jobs.get(run_id)
    if as_json:
        _print_json(run.as_json())
        return
    for key, value in run.as_json().items():
        out.print(f"{key}: {value}", highlight=False)


@jobs_app.command("retry")
def jobs_retry(
    ctx: typer.Context, run_id: Annotated[int, typer.Argument(help="A failed run's id.")]
) -> None:
    """Queue a failed run again (its tries start over)."""
    with _desk(ctx) as desk:
        run = desk.jobs.retry(run_id)
    out.print(f"run {run.id} ({run.kind}) queued again", highlight=False)


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--at must be a time like 2026-12-03T07:30+07:00, not {value!r}") from exc
    if when.tzinfo is None:
        raise UsageError("--at needs a time zone, e.g. 2026-12-03T07:30+07:00")
    return when
