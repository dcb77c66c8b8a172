"""Reading and writing publishing channels and their posts (SQLAlchemy Core, on the Store's
engine; tables `channels` and `posts` of migration 0010).

Checks (a channel's config, a post's text, the schedule) live in `hoasen.publish.posts`; this
module only stores. A channel keeps the *name* of its secret, never the secret itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

POST_STATUSES = ("draft", "approved", "sending", "sent", "failed", "cancelled")
# Posts that still take a place in a day's quota (a failed or cancelled one frees it).
COUNTED = ("draft", "approved", "sending", "sent")


@dataclass(frozen=True)
class ChannelRow:
    """One configured channel (a Facebook page, a Telegram channel, a WordPress site...)."""

    id: int
    name: str
    kind: str
    config: dict[str, Any]
    secret: str  # the name of the secret in exchange_secrets, never its value
    enabled: bool  # False: dry run, nothing is sent
    language: str
    per_day: int
    window: str
    created: datetime
    updated: datetime

    @property
    def dry_run(self) -> bool:
        """True while the channel is not enabled: posts are rehearsed, nothing is sent."""
        return not self.enabled

    def as_json(self) -> dict[str, Any]:
        """The channel as the CLI's and API's JSON document (the secret by name only)."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "config": dict(self.config),
            "secret": self.secret,
            "enabled": self.enabled,
            "dry_run": self.dry_run,
            "language": self.language,
            "per_day": self.per_day,
            "window": self.window,
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True)
class PostRow:
    """One post queued on a channel."""

    id: int
    channel_id: int
    key: str
    text: str
    title: str
    link: str
    image_url: str
    language: str
    source: str
    status: str
    due: datetime | None
    created: datetime
    created_by: str
    approved: datetime | None
    approved_by: str
    sent: datetime | None
    attempts: int
    remote_id: str
    remote_url: str
    dry_run: bool
    error: str

    def as_json(self) -> dict[str, Any]:
        """The post as JSON."""

        def when(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "channel_id": self.channel_id,
            "key": self.key,
            "text": self.text,
            "title": self.title,
            "link": self.link,
            "image_url": self.image_url,
            "language": self.language,
            "source": self.source,
            "status": self.status,
            "due": when(self.due),
            "created": when(self.created),
            "created_by": self.created_by,
            "approved": when(self.approved),
            "approved_by": self.approved_by,
            "sent": when(self.sent),
            "attempts": self.attempts,
            "remote_id": self.remote_id,
            "remote_url": self.remote_url,
            "dry_run": self.dry_run,
            "error": self.error,
        }


def _channel(row: Any) -> ChannelRow:
    return ChannelRow(
        id=row.id,
        name=row.name,
        kind=row.kind,
        config=json.loads(row.config or "{}"),
        secret=row.secret,
        enabled=bool(row.enabled),
        language=row.language,
        per_day=row.per_day,
        window=row.window,
        created=row.created,
        updated=row.updated,
    )


def _post(row: Any) -> PostRow:
    return PostRow(**{name: getattr(row, name) for name in PostRow.__dataclass_fields__})


class PostStore:
    """Channels and posts in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- channels

    def add_channel(self, values: Mapping[str, Any]) -> ChannelRow:
        """Store a new channel; UsageError when the name is taken."""
        row = dict(values)
        row["config"] = json.dumps(row.get("config") or {}, ensure_ascii=False, sort_keys=True)
        now = utcnow()
        try:
            with self.store.begin() as conn:
                new_id = conn.execute(
                    insert(schema.channels).values(**row, created=now, updated=now)
                ).inserted_primary_key
        except IntegrityError:
            raise UsageError(f"a channel named {values['name']!r} already exists") from None
        assert new_id is not None
        return self.channel(int(new_id[0]))

    def channel(self, ref: int | str) -> ChannelRow:
        """A channel by id or name; NotFoundError when there is none."""
        c = schema.channels
        text = str(ref).strip()
        where = c.c.id == int(text) if text.isdigit() else c.c.name == text
        with self.engine.connect() as conn:
            row = conn.execute(select(c).where(where)).first()
            if row is None and text.isdigit():
                row = conn.execute(select(c).where(c.c.name == text)).first()
        if row is None:
            raise NotFoundError(f"no channel {text!r}; see `hoasen channels list`")
        return _channel(row)

    def channels(self) -> list[ChannelRow]:
        """Every channel, by name."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(schema.channels).order_by(schema.channels.c.name)).all()
        return [_channel(r) for r in rows]

    def update_channel(self, channel_id: int, **values: Any) -> ChannelRow:
        """Change a channel's columns (enabled, per_day, window...)."""
        if "config" in values:
            values["config"] = json.dumps(values["config"], ensure_ascii=False, sort_keys=True)
        with self.store.begin() as conn:
            conn.execute(
                update(schema.channels)
                .where(schema.channels.c.id == channel_id)
                .values(**values, updated=utcnow())
            )
        return self.channel(channel_id)

    # ---------------------------------------------------------------- posts

    def add_post(self, values: Mapping[str, Any]) -> PostRow:
        """Store a new post (its key must be new)."""
        with self.store.begin() as conn:
            new_id = conn.execute(
                insert(schema.posts).values(**values, created=utcnow())
            ).inserted_primary_key
        assert new_id is not None
        return self.post(int(new_id[0]))

    def post(self, post_id: int) -> PostRow:
        """One post; NotFoundError when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(schema.posts).where(schema.posts.c.id == post_id)).first()
        if row is None:
            raise NotFoundError(f"no post {post_id}")
        return _post(row)

    def posts(
        self,
        channel_id: int | None = None,
        statuses: Sequence[str] = (),
        ids: Sequence[int] = (),
        limit: int = 500,
    ) -> list[PostRow]:
        """Posts (of one channel, in some statuses), by due time then id; unscheduled last."""
        p = schema.posts
        query = select(p).order_by(p.c.due.is_(None), p.c.due, p.c.id).limit(limit)
        if channel_id is not None:
            query = query.where(p.c.channel_id == channel_id)
        if statuses:
            query = query.where(p.c.status.in_(list(statuses)))
        if ids:
            query = query.where(p.c.id.in_(list(ids)))
        with self.engine.connect() as conn:
            return [_post(r) for r in conn.execute(query).all()]

    def active_from(self, channel_id: int, source: str) -> PostRow | None:
        """A post of this channel from `source` that is not failed or cancelled, if any."""
        p = schema.posts
        query = select(p).where(
            p.c.channel_id == channel_id, p.c.source == source, p.c.status.in_(list(COUNTED))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(p.c.id)).first()
        return _post(row) if row is not None else None

    def due_times(self, channel_id: int, start: datetime, end: datetime) -> list[datetime]:
        """Due times of the channel's counted posts in [start, end)."""
        p = schema.posts
        query = select(p.c.due).where(
            p.c.channel_id == channel_id,
            p.c.status.in_(list(COUNTED)),
            p.c.due >= start,
            p.c.due < end,
        )
        with self.engine.connect() as conn:
            return [r[0] for r in conn.execute(query).all()]

    def due_posts(self, now: datetime) -> list[PostRow]:
        """Approved (or retrying) posts whose due time has come, oldest due first."""
        p = schema.posts
        query = (
            select(p)
            .where(p.c.status.in_(["approved", "sending"]), p.c.due.is_not(None), p.c.due <= now)
            .order_by(p.c.due, p.c.id)
        )
        with self.engine.connect() as conn:
            return [_post(r) for r in conn.execute(query).all()]

    def update_post(self, post_id: int, *, only_from: Sequence[str] = (), **values: Any) -> bool:
        """Change a post's columns; with `only_from`, only while its status is one of those
        (so two workers never both move it). True when the row changed."""
        p = schema.posts
        where = p.c.id == post_id
        if only_from:
            where = and_(where, p.c.status.in_(list(only_from)))
        with self.store.begin() as conn:
            result = conn.execute(update(p).where(where).values(**values))
        return bool(result.rowcount)
