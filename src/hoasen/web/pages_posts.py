"""The web desk's publishing pages: channels (kind, dry run or enabled, quota, window, secret by
name only) and the post queue per channel with due times and statuses. Anyone signed in reads
them; editors add channels, test them (a dry run, nothing sent), switch them on and off, draft
posts from an article or a text, approve, schedule and send the due posts now."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.publish.channels import PUBLISH_KINDS
from hoasen.publish.posts import ChannelTest
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import csrf_protect, get_accounts, get_desk, page_require, page_user
from hoasen.web.pages_render import error_status as _status
from hoasen.web.pages_render import render
from hoasen.web.pages_render import see_other as _see

router = APIRouter(include_in_schema=False)

Viewer = Annotated[User, Depends(page_user)]
Editor = Annotated[User, Depends(page_require("editor"))]
DeskDep = Annotated[Desk, Depends(get_desk)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]
Csrf = Depends(csrf_protect)


def parse_config(text: str) -> dict[str, Any]:
    """KEY=VALUE lines (or comma-free pairs) as a channel config; numbers and true/false as
    such. UsageError for a line without '='."""
    config: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"settings are KEY=VALUE lines, not {line.strip()!r}")
        value = value.strip()
        parsed: Any = value
        if value.lower() in ("true", "false"):
            parsed = value.lower() == "true"
        elif value.lstrip("-").isdigit() and key.strip() != "chat_id":
            parsed = int(value)
        config[key.strip()] = parsed
    return config


def _channels(
    request: Request,
    user: User,
    desk: Desk,
    error: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
    test: ChannelTest | None = None,
) -> HTMLResponse:
    context = {
        "user": user,
        "channels": desk.posts.channels(),
        "kinds": PUBLISH_KINDS,
        "error": error,
        "form": form or {},
        "test": test,
    }
    return render(request, "channels.html", context, status)


@router.get("/channels", response_class=HTMLResponse)
def channels_page(request: Request, user: Viewer, desk: DeskDep) -> HTMLResponse:
    """Every channel with its state, quota, window and secret name."""
    return _channels(request, user, desk)


@router.post("/channels", response_class=HTMLResponse, dependencies=[Csrf])
def add_channel(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    name: Annotated[str, Form(max_length=120)],
    kind: Annotated[str, Form(max_length=20)],
    config: Annotated[str, Form(max_length=5_000)] = "",
    secret: Annotated[str, Form(max_length=120)] = "",
    language: Annotated[str, Form(max_length=16)] = "",
    per_day: Annotated[int, Form(ge=1, le=50)] = 5,
    window: Annotated[str, Form(max_length=20)] = "08:00-17:30",
) -> Response:
    """Register a channel (in dry run until enabled)."""
    form = {
        "name": name,
        "kind": kind,
        "config": config,
        "secret": secret,
        "language": language,
        "per_day": str(per_day),
        "window": window,
    }
    try:
        row = desk.posts.add_channel(
            name, kind, parse_config(config), secret, language, per_day, window
        )
    except HoasenError as exc:
        return _channels(request, user, desk, str(exc), form, _status(exc))
    accounts.audit(user.id, "channel.add", row.name, {"kind": row.kind})
    return _see("/channels")


@router.post("/channels/{channel_id}/test", response_class=HTMLResponse, dependencies=[Csrf])
def test_channel(request: Request, channel_id: int, user: Editor, desk: DeskDep) -> Response:
    """Show what a sample post would send; nothing is sent."""
    try:
        test = desk.posts.test_channel(channel_id)
    except HoasenError as exc:
        return _channels(request, user, desk, str(exc), status=_status(exc))
    return _channels(request, user, desk, test=test)


@router.post("/channels/{channel_id}/enable", response_class=HTMLResponse, dependencies=[Csrf])
def enable_channel(
    request: Request, channel_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Switch a channel on: due posts are really sent."""
    try:
        row = desk.posts.enable(channel_id)
    except HoasenError as exc:
        return _channels(request, user, desk, str(exc), status=_status(exc))
    accounts.audit(user.id, "channel.enable", row.name, {})
    return _see("/channels")


@router.post("/channels/{channel_id}/disable", response_class=HTMLResponse, dependencies=[Csrf])
def disable_channel(
    request: Request, channel_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Back to dry run."""
    try:
        row = desk.posts.disable(channel_id)
    except HoasenError as exc:
        return _channels(request, user, desk, str(exc), status=_status(exc))
    accounts.audit(user.id, "channel.disable", row.name, {})
    return _see("/channels")


def _posts(
    request: Request,
    user: User,
    desk: Desk,
    channel: str = "",
    error: str = "",
    notice: str = "",
    status: int = 200,
) -> HTMLResponse:
    posts = desk.posts
    chosen = None
    if channel:
        try:
            chosen = posts.channel(channel)
        except HoasenError as exc:
            error, status = str(exc), _status(exc)
    channels = posts.channels()
    context = {
        "user": user,
        "channel": chosen,
        "channels": channels,
        "names": {c.id: c.name for c in channels},
        "posts": posts.posts(chosen.id if chosen else None),
        "zone": posts.zone,
        "error": error,
        "notice": notice,
    }
    return render(request, "posts.html", context, status)


@router.get("/posts", response_class=HTMLResponse)
def posts_page(request: Request, user: Viewer, desk: DeskDep, channel: str = "") -> HTMLResponse:
    """The post queue (of one channel) by due time, with statuses and results."""
    return _posts(request, user, desk, channel)


def _back(channel: str) -> str:
    return f"/posts?channel={quote(channel, safe='')}" if channel else "/posts"


@router.post("/posts", response_class=HTMLResponse, dependencies=[Csrf])
def draft_post(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    channel: Annotated[str, Form(max_length=120)],
    article: Annotated[str, Form(max_length=20)] = "",
    text: Annotated[str, Form(max_length=20_000)] = "",
    link: Annotated[str, Form(max_length=2_000)] = "",
) -> Response:
    """Draft a post from an article id, or from a text."""
    try:
        if article.strip():
            if not article.strip().isdigit():
                raise UsageError(f"an article id is a number, not {article!r}")
            post = desk.posts.draft_article(channel, int(article), user.name)
        else:
            post = desk.posts.draft(channel, text, link=link, operator=user.name)
    except HoasenError as exc:
        return _posts(request, user, desk, channel, str(exc), status=_status(exc))
    accounts.audit(user.id, "post.draft", str(post.id), {"channel": post.channel_id})
    return _see(_back(channel))


@router.post("/posts/{post_id}/approve", response_class=HTMLResponse, dependencies=[Csrf])
def approve_post(
    request: Request, post_id: int, user: Editor, desk: DeskDep, accounts: AccountsDep
) -> Response:
    """Approve a draft for sending."""
    try:
        [post] = desk.posts.approve([post_id], user.name)
    except HoasenError as exc:
        return _posts(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "post.approve", str(post.id), {})
    return _see(_back(str(post.channel_id)))


@router.post("/posts/schedule", response_class=HTMLResponse, dependencies=[Csrf])
def schedule_posts(
    request: Request,
    user: Editor,
    desk: DeskDep,
    accounts: AccountsDep,
    channel: Annotated[str, Form(max_length=120)],
) -> Response:
    """Spread the channel's approved posts without a due time over its window."""
    try:
        rows = desk.posts.schedule(channel)
    except HoasenError as exc:
        return _posts(request, user, desk, channel, str(exc), status=_status(exc))
    accounts.audit(user.id, "post.schedule", channel, {"posts": [p.id for p in rows]})
    return _see(_back(channel))


@router.post("/posts/send-due", response_class=HTMLResponse, dependencies=[Csrf])
def send_due(request: Request, user: Editor, desk: DeskDep, accounts: AccountsDep) -> Response:
    """Send every due approved post now (dry-run channels: recorded, nothing sent)."""
    try:
        results = desk.posts.send_due()
    except HoasenError as exc:
        return _posts(request, user, desk, error=str(exc), status=_status(exc))
    accounts.audit(user.id, "post.send_due", "", {"posts": [r.post.id for r in results]})
    counts: dict[str, int] = {}
    for r in results:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    notice = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "No posts due."
    return _posts(request, user, desk, notice=notice)
