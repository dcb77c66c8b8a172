"""The publishing REST API under /api/v1: channels (the secret by name only) and the posts
queued on them. Reading needs a signed-in user; every change (add, enable, disable, draft,
approve, schedule, send the due posts) needs an editor and is written to the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.web.api import _ERRORS, _WRITE_ERRORS, editor
from hoasen.web.auth import Accounts, User
from hoasen.web.deps import api_user, get_accounts, get_desk

router = APIRouter(prefix="/api/v1", dependencies=[Depends(api_user)], responses=_ERRORS)

DeskDep = Annotated[Desk, Depends(get_desk)]
EditorDep = Annotated[User, Depends(editor)]
AccountsDep = Annotated[Accounts, Depends(get_accounts)]


class ChannelCreate(BaseModel):
    """A channel to register; it stays in dry run until enabled."""

    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(description="facebook, zalo, telegram, mastodon, weibo or wordpress")
    config: dict[str, Any] = Field(default={}, description="The adapter's settings, no secret")
    secret: str = Field(default="", max_length=120, description="NAME in exchange_secrets")
    language: str = Field(default="", max_length=16)
    per_day: int = Field(default=5, ge=1, le=50)
    window: str = Field(default="08:00-17:30", max_length=20, description="Office time")


class PostCreate(BaseModel):
    """A draft: from an article, a story, or a text."""

    channel: str = Field(min_length=1, max_length=120, description="Name or id")
    article: int | None = None
    story: int | None = None
    text: str = Field(default="", max_length=20_000)
    link: str = Field(default="", max_length=2_000)
    title: str = Field(default="", max_length=500)
    image: str = Field(default="", max_length=2_000)


class ScheduleRequest(BaseModel):
    """Which posts to schedule and from when (all approved unscheduled posts by default)."""

    channel: str = Field(min_length=1, max_length=120)
    posts: list[int] = Field(default=[], max_length=500)
    count: int | None = Field(default=None, ge=1, le=500)
    day: date | None = None
    at: datetime | None = None


@router.get("/channels", tags=["publishing"])
def list_channels(desk: DeskDep) -> dict[str, Any]:
    """Every channel: kind, enabled or dry run, quota, window, secret by name."""
    items = [c.as_json() for c in desk.posts.channels()]
    return {"items": items, "total": len(items)}


@router.post("/channels", status_code=201, tags=["publishing"], responses=_WRITE_ERRORS)
def create_channel(
    body: ChannelCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Register a channel (the adapter checks the config: a bad one is a 400)."""
    row = desk.posts.add_channel(
        body.name, body.kind, body.config, body.secret, body.language, body.per_day, body.window
    )
    accounts.audit(user.id, "channel.add", row.name, {"kind": row.kind})
    return row.as_json()


@router.get("/channels/{channel_id}/test", tags=["publishing"])
def test_channel(channel_id: int, desk: DeskDep) -> dict[str, Any]:
    """What a sample post would send on the channel, tokens masked; nothing is sent."""
    return desk.posts.test_channel(channel_id).as_json()


@router.post("/channels/{channel_id}/enable", tags=["publishing"], responses=_WRITE_ERRORS)
def enable_channel(
    channel_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Switch the channel on: due posts are really sent."""
    row = desk.posts.enable(channel_id)
    accounts.audit(user.id, "channel.enable", row.name, {})
    return row.as_json()


@router.post("/channels/{channel_id}/disable", tags=["publishing"], responses=_WRITE_ERRORS)
def disable_channel(
    channel_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Back to dry run: nothing is sent."""
    row = desk.posts.disable(channel_id)
    accounts.audit(user.id, "channel.disable", row.name, {})
    return row.as_json()


@router.get("/posts", tags=["publishing"])
def list_posts(
    desk: DeskDep,
    channel: Annotated[str | None, Query(max_length=120)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
) -> dict[str, Any]:
    """Posts (of one channel, in one status) by due time."""
    items = [p.as_json() for p in desk.posts.posts(channel, status)]
    return {"items": items, "total": len(items)}


@router.post("/posts", status_code=201, tags=["publishing"], responses=_WRITE_ERRORS)
def create_post(
    body: PostCreate, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Draft a post from an article, a story or a text."""
    posts = desk.posts
    if body.article is not None:
        post = posts.draft_article(body.channel, body.article, user.name)
    elif body.story is not None:
        post = posts.draft_story(body.channel, body.story, user.name)
    elif body.text.strip():
        post = posts.draft(
            body.channel,
            body.text,
            link=body.link,
            title=body.title,
            image=body.image,
            operator=user.name,
        )
    else:
        raise UsageError("give an article, a story or a text")
    accounts.audit(user.id, "post.draft", str(post.id), {"channel": post.channel_id})
    return post.as_json()


@router.post("/posts/{post_id}/approve", tags=["publishing"], responses=_WRITE_ERRORS)
def approve_post(
    post_id: int, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Approve a draft: only approved posts are sent."""
    [post] = desk.posts.approve([post_id], user.name)
    accounts.audit(user.id, "post.approve", str(post_id), {})
    return post.as_json()


@router.post("/posts/schedule", tags=["publishing"], responses=_WRITE_ERRORS)
def schedule_posts(
    body: ScheduleRequest, desk: DeskDep, user: EditorDep, accounts: AccountsDep
) -> dict[str, Any]:
    """Give posts due times in the channel's window (at most per_day a working day)."""
    rows = desk.posts.schedule(body.channel, body.posts, body.count, body.day, body.at)
    accounts.audit(user.id, "post.schedule", body.channel, {"posts": [p.id for p in rows]})
    return {"items": [p.as_json() for p in rows], "total": len(rows)}


@router.post("/posts/send-due", tags=["publishing"], responses=_WRITE_ERRORS)
def send_due(desk: DeskDep, user: EditorDep, accounts: AccountsDep) -> dict[str, Any]:
    """Send every approved post whose due time has passed, once."""
    results = desk.posts.send_due()
    accounts.audit(user.id, "post.send_due", "", {"posts": [r.post.id for r in results]})
    return {"items": [r.as_json() for r in results], "total": len(results)}
