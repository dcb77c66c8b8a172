"""Commands of publishing channels and their posts: `hoasen channels ...` (add, test, list,
enable, disable) and `hoasen posts ...` (schedule drafts from articles, stories or text, list,
approve, send those due). A channel stays in dry run until enabled; no output carries a
channel's secret, only its name."""

import getpass
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from hoasen.cli import JsonOpt, Table, _desk, _print_json, app, out
from hoasen.errors import UsageError

if TYPE_CHECKING:
    from rich.table import Table as RichTable

    from hoasen.store.posts import PostRow

channels_app = typer.Typer(
    help="Publishing channels: pages, accounts, sites.", no_args_is_help=True
)
posts_app = typer.Typer(
    help="Posts on the channels: draft, approve, schedule, send.", no_args_is_help=True
)
app.add_typer(channels_app, name="channels")
app.add_typer(posts_app, name="posts")

# hoasen.publish.channels.PUBLISH_KINDS, written out so the help needs no channel adapters (and
# httpx) loaded; tests/test_cli_startup.py checks the two agree.
PUBLISH_KINDS = ("facebook", "zalo", "telegram", "mastodon", "weibo", "wordpress")

ChannelArg = Annotated[str, typer.Argument(help="The channel's name or id.")]


def _operator() -> str:
    """Who runs the command, for the approval record."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _config(pairs: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs as a config; a value that reads as JSON (a number, true, a list) is one."""
    config: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--config takes KEY=VALUE, not {pair!r}")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        config[key.strip()] = parsed if isinstance(parsed, int | float | bool | list) else value
    return config


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--at must be a time like 2026-05-04T09:30, not {value!r}") from exc


def _post_table(rows: "list[PostRow]", names: dict[int, str]) -> "RichTable":
    table = Table("id", "channel", "status", "due", "source", "text", "result")
    for p in rows:
        result = p.remote_url or p.remote_id or p.error
        if p.dry_run:
            result = "dry run"
        table.add_row(
            str(p.id),
            names.get(p.channel_id, str(p.channel_id)),
            p.status,
            p.due.isoformat(timespec="minutes") if p.due else "",
            p.source,
            p.text[:60],
            result[:80],
        )
    return table


@channels_app.command("add")
def channels_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short unique name, e.g. fb-baothanhhoa.")],
    kind: Annotated[str, typer.Option("--kind", help=" | ".join(PUBLISH_KINDS))],
    config: Annotated[
        list[str] | None, typer.Option("--config", help="KEY=VALUE setting (repeatable).")
    ] = None,
    secret: Annotated[
        str, typer.Option("--secret", help="NAME of the token in exchange_secrets.")
    ] = "",
    language: Annotated[str, typer.Option("--language", help="The channel's language.")] = "",
    per_day: Annotated[int, typer.Option("--per-day", help="Most posts a day.")] = 5,
    window: Annotated[
        str, typer.Option("--window", help="Posting hours, office time.")
    ] = "08:00-17:30",
    as_json: JsonOpt = False,
) -> None:
    """Register a channel; it stays in dry run until `channels enable`."""
    with _desk(ctx) as desk:
        row = desk.posts.add_channel(
            name, kind, _config(config or []), secret, language, per_day, window
        )
    if as_json:
        _print_json(row.as_json())
        return
    out.print(f"Added channel {row.id}: {row.name} ({row.kind}), in dry run", highlight=False)


@channels_app.command("test")
def channels_test(ctx: typer.Context, name: ChannelArg, as_json: JsonOpt = False) -> None:
    """Show what a sample post would send on the channel; nothing is sent."""
    with _desk(ctx) as desk:
        test = desk.posts.test_channel(name)
    if as_json:
        _print_json(test.as_json())
        return
    out.print(test.where, highlight=False)
    out.print(test.request, highlight=False, markup=False)


@channels_app.command("list")
def channels_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the channels: kind, enabled or dry run, quota, window, secret by name."""
    with _desk(ctx) as desk:
        rows = desk.posts.channels()
    if as_json:
        _print_json([c.as_json() for c in rows])
        return
    if not rows:
        out.print("No channels.")
        return
    table = Table("id", "name", "kind", "state", "per day", "window", "language", "secret")
    for c in rows:
        state = "enabled" if c.enabled else "dry run"
        table.add_row(
            str(c.id), c.name, c.kind, state, str(c.per_day), c.window, c.language, c.secret
        )
    out.print(table)


@channels_app.command("enable")
def channels_enable(ctx: typer.Context, name: ChannelArg) -> None:
    """Switch a channel on: due posts are really sent from now on."""
    with _desk(ctx) as desk:
        row = desk.posts.enable(name)
    out.print(f"{row.name} is enabled: due posts will be sent.", highlight=False)


@channels_app.command("disable")
def channels_disable(ctx: typer.Context, name: ChannelArg) -> None:
    """Put a channel back in dry run: nothing is sent."""
    with _desk(ctx) as desk:
        row = desk.posts.disable(name)
    out.print(f"{row.name} is in dry run: nothing will be sent.", highlight=False)


@posts_app.command("schedule")
def posts_schedule(
    ctx: typer.Context,
    channel: ChannelArg,
    article: Annotated[
        list[int] | None, typer.Option("--article", help="Draft from this article (repeatable).")
    ] = None,
    story: Annotated[
        list[int] | None, typer.Option("--story", help="Draft from this story (repeatable).")
    ] = None,
    edition_item: Annotated[
        list[int] | None,
        typer.Option("--edition-item", help="Draft from this edition item (repeatable)."),
    ] = None,
    text: Annotated[str | None, typer.Option("--text", help="Draft this text.")] = None,
    link: Annotated[str, typer.Option("--link", help="The link of the --text post.")] = "",
    at: Annotated[
        str | None, typer.Option("--at", help="Due time (office time unless it says).")
    ] = None,
    day: Annotated[
        str | None, typer.Option("--day", help="First day to fill (YYYY-MM-DD).")
    ] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve them at once.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Draft posts and give them due times in the channel's window; with none given, schedule
    the channel's approved posts that have no due time yet."""
    operator = _operator()
    with _desk(ctx) as desk:
        posts = desk.posts
        made = [posts.draft_article(channel, a, operator).id for a in article or []]
        made += [posts.draft_story(channel, s, operator).id for s in story or []]
        made += [posts.draft_edition_item(channel, i, operator).id for i in edition_item or []]
        if text:
            made.append(posts.draft(channel, text, link=link, operator=operator).id)
        if approve and made:
            posts.approve(made, operator)
        first = date.fromisoformat(day) if day else None
        rows = posts.schedule(channel, posts=made, day=first, at=_when(at))
        names = {c.id: c.name for c in posts.channels()}
    if as_json:
        _print_json([p.as_json() for p in rows])
        return
    if not rows:
        out.print("Nothing to schedule.")
        return
    out.print(_post_table(rows, names))


@posts_app.command("list")
def posts_list(
    ctx: typer.Context,
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="draft, approved, sending, sent, failed...")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List posts with their due times and statuses."""
    with _desk(ctx) as desk:
        rows = desk.posts.posts(channel, status)
        names = {c.id: c.name for c in desk.posts.channels()}
    if as_json:
        _print_json([p.as_json() for p in rows])
        return
    if not rows:
        out.print("No posts.")
        return
    out.print(_post_table(rows, names))


@posts_app.command("approve")
def posts_approve(
    ctx: typer.Context,
    ids: Annotated[list[int], typer.Argument(help="The posts' ids.")],
) -> None:
    """Approve draft posts: only approved posts are ever sent."""
    with _desk(ctx) as desk:
        rows = desk.posts.approve(ids, _operator())
    out.print(f"Approved {len(rows)} posts.", highlight=False)


@posts_app.command("send-due")
def posts_send_due(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send every approved post whose due time has passed, once (dry-run channels: recorded,
    nothing sent)."""
    with _desk(ctx) as desk:
        results = desk.posts.send_due()
    if as_json:
        _print_json([r.as_json() for r in results])
        return
    if not results:
        out.print("No posts due.")
        return
    for r in results:
        message = r.message.splitlines()[0] if r.message else ""
        out.print(f"post {r.post.id}: {r.outcome} {message}".rstrip(), highlight=False)
