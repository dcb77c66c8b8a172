"""Reading and writing alerts, their hits and the desk's notification list (SQLAlchemy Core on
the Store's engine; tables `alerts`, `alert_hits`, `notifications` of migration 0012), plus the
few reads over the analysis tables that matching a batch of new articles needs.

The unique constraints do the bookkeeping that must hold under concurrency: one hit per alert and
article (`uq_alert_hits_alert_article`) and one notification per event key. Inserts that meet
them are answered "already there", never an error. Checks live in `hoasen.alerts`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

_CHUNK = 500  # ids per IN (...) list

A = schema.alerts
H = schema.alert_hits
N = schema.notifications


@dataclass(frozen=True)
class AlertRow:
    """One saved search or watch, as stored. `target` is the query, the entity id, the partner
    id or the topic id ("*" for a story spike); `telegram_chat` is "CHANNEL" or "CHANNEL:CHAT"
    (a configured Telegram channel, with an optional chat id instead of the channel's own)."""

    id: int
    name: str
    kind: str
    target: str
    language: str | None
    owner_id: int | None
    channels: tuple[str, ...]
    email: str | None
    telegram_chat: str | None
    mode: str
    digest_at: str
    spike_count: int
    spike_hours: int
    active: bool
    last_digest: datetime | None
    created: datetime
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The alert as the CLI's and API's JSON document."""
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "target": self.target,
            "language": self.language,
            "owner_id": self.owner_id,
            "channels": list(self.channels),
            "email": self.email,
            "telegram": self.telegram_chat,
            "mode": self.mode,
            "digest_at": self.digest_at,
            "spike_count": self.spike_count,
            "spike_hours": self.spike_hours,
            "active": self.active,
            "last_digest": self.last_digest.isoformat() if self.last_digest else None,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
        }


@dataclass(frozen=True)
class HitRow:
    """One article an alert matched (a story alert: the article that tipped the story)."""

    id: int
    alert_id: int
    article_id: int
    story_id: int | None
    matched: datetime
    sent: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The hit as JSON."""
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "article_id": self.article_id,
            "story_id": self.story_id,
            "matched": self.matched.isoformat(),
            "sent": self.sent.isoformat() if self.sent else None,
        }


@dataclass(frozen=True)
class NotificationRow:
    """One entry of the desk's notification list (`user_id` None: for every desk user)."""

    id: int
    key: str | None
    user_id: int | None
    kind: str
    title: str
    body: str
    link: str | None
    created: datetime
    read: datetime | None

    def as_json(self) -> dict[str, Any]:
        """The notification as JSON."""
        return {
            "id": self.id,
            "user_id": self.user_id,
            "kind": self.kind,
            "title": self.title,
            "body": self.body,
            "link": self.link,
            "created": self.created.isoformat(),
            "read": self.read.isoformat() if self.read else None,
        }


def _alert(row: Any) -> AlertRow:
    channels = tuple(c for c in str(row.channels or "").split(",") if c)
    values = {name: getattr(row, name) for name in AlertRow.__dataclass_fields__}
    values.update(channels=channels, active=bool(row.active))
    return AlertRow(**values)


def _hit(row: Any) -> HitRow:
    return HitRow(**{name: getattr(row, name) for name in HitRow.__dataclass_fields__})


def _notification(row: Any) -> NotificationRow:
    return NotificationRow(
        **{name: getattr(row, name) for name in NotificationRow.__dataclass_fields__}
    )


def _chunks(ids: Collection[int]) -> list[list[int]]:
    ordered = sorted({int(i) for i in ids})
    return [ordered[i : i + _CHUNK] for i in range(0, len(ordered), _CHUNK)]


def _in_language(column: Any, language: str | None) -> Any:
    """`column` is `language` or one of its regional forms (zh matches zh-Hant)."""
    if not language:
        return None
    lang = language.lower()
    return or_(func.lower(column) == lang, func.lower(column).like(lang + "-%"))


class AlertStore:
    """Alerts, hits and notifications in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- alerts

    def add(self, values: Mapping[str, Any]) -> AlertRow:
        """Store a checked alert; the row as stored."""
        now = utcnow()
        row = dict(values)
        row["channels"] = ",".join(row.get("channels") or ("desk",))
        with self.engine.begin() as conn:
            new_id = conn.execute(
                insert(A).values(**row, created=now, updated=now).returning(A.c.id)
            ).scalar_one()
        return self.get(int(new_id))

    def get(self, alert_id: int) -> AlertRow:
        """The alert; NotFoundError when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(select(A).where(A.c.id == alert_id)).first()
        if row is None:
            raise NotFoundError(f"no alert {alert_id} (see `hoasen alerts list`)")
        return _alert(row)

    def listing(self, owner_id: int | None = None, active: bool | None = None) -> list[AlertRow]:
        """Alerts by id (of one owner, active or paused ones only, when asked)."""
        query = select(A).order_by(A.c.id)
        if owner_id is not None:
            query = query.where(A.c.owner_id == owner_id)
        if active is not None:
            query = query.where(A.c.active.is_(active))
        with self.engine.connect() as conn:
            return [_alert(r) for r in conn.execute(query)]

    def active(self) -> list[AlertRow]:
        """Every active alert: one query, the only one `evaluate` makes when there are none."""
        return self.listing(active=True)

    def update(self, alert_id: int, values: Mapping[str, Any]) -> AlertRow:
        """Change an alert's columns (only those given); the row after."""
        changes = dict(values)
        if "channels" in changes:
            changes["channels"] = ",".join(changes["channels"])
        if changes:
            with self.engine.begin() as conn:
                done = conn.execute(
                    update(A).where(A.c.id == alert_id).values(**changes, updated=utcnow())
                )
            if done.rowcount == 0:
                raise NotFoundError(f"no alert {alert_id} (see `hoasen alerts list`)")
        return self.get(alert_id)

    def advance_digest(self, alert_id: int, due: datetime) -> bool:
        """Set last_digest to `due` unless it is already there or later; True when changed."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(A)
                .where(A.c.id == alert_id, or_(A.c.last_digest.is_(None), A.c.last_digest < due))
                .values(last_digest=due)
            )
        return bool(done.rowcount)

    def delete(self, alert_id: int) -> None:
        """Remove an alert and its hits; NotFoundError when there is none."""
        with self.engine.begin() as conn:
            conn.execute(delete(H).where(H.c.alert_id == alert_id))
            done = conn.execute(delete(A).where(A.c.id == alert_id))
        if done.rowcount == 0:
            raise NotFoundError(f"no alert {alert_id} (see `hoasen alerts list`)")

    # ---------------------------------------------------------------- hits

    def add_hit(
        self, alert_id: int, article_id: int, story_id: int | None, matched: datetime
    ) -> int | None:
        """Record a hit; its id, or None when the alert already has this article (the unique
        constraint decides, so two workers evaluating the same batch record it once)."""
        values = {
            "alert_id": alert_id,
            "article_id": article_id,
            "story_id": story_id,
            "matched": matched,
        }
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(insert(H).values(**values).returning(H.c.id)).scalar_one()
        except IntegrityError:
            return None
        return int(new_id)

    def has_story_hit(self, alert_id: int, story_id: int) -> bool:
        """True when the alert already fired for this story."""
        query = select(H.c.id).where(H.c.alert_id == alert_id, H.c.story_id == story_id)
        with self.engine.connect() as conn:
            return conn.execute(query.limit(1)).first() is not None

    def unsent(self, alert_ids: Sequence[int], up_to: datetime | None = None) -> list[HitRow]:
        """Hits of these alerts not delivered yet (matched no later than `up_to`), oldest
        first."""
        if not alert_ids:
            return []
        query = select(H).where(H.c.alert_id.in_(list(alert_ids)), H.c.sent.is_(None))
        if up_to is not None:
            query = query.where(H.c.matched <= up_to)
        with self.engine.connect() as conn:
            return [_hit(r) for r in conn.execute(query.order_by(H.c.matched, H.c.id))]

    def mark_sent(self, hit_ids: Sequence[int], when: datetime) -> int:
        """Mark hits delivered (those not marked already); how many were marked."""
        marked = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(hit_ids):
                done = conn.execute(
                    update(H).where(H.c.id.in_(chunk), H.c.sent.is_(None)).values(sent=when)
                )
                marked += done.rowcount
        return marked

    def hits(self, alert_id: int, limit: int = 50) -> list[HitRow]:
        """The alert's latest hits, newest first."""
        query = select(H).where(H.c.alert_id == alert_id).order_by(H.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [_hit(r) for r in conn.execute(query)]

    def hit_counts(self) -> dict[int, tuple[int, int]]:
        """alert id -> (hits, of which not delivered yet)."""
        query = select(
            H.c.alert_id, func.count(), func.sum(case((H.c.sent.is_(None), 1), else_=0))
        ).group_by(H.c.alert_id)
        with self.engine.connect() as conn:
            return {int(a): (int(n), int(u or 0)) for a, n, u in conn.execute(query)}

    # ---------------------------------------------------------------- matching reads

    def fetched_since(self, since: datetime, limit: int = 5000) -> list[int]:
        """Ids of the articles stored since then, oldest first (a hand-run `alerts check`)."""
        art = schema.articles
        query = select(art.c.id).where(art.c.fetched >= since).order_by(art.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(query)]

    def in_language(self, ids: Collection[int], language: str | None) -> set[int]:
        """Those of `ids` whose article is in `language` (all of them when None)."""
        if not language:
            return {int(i) for i in ids}
        art = schema.articles
        found: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = select(art.c.id).where(
                    art.c.id.in_(chunk), _in_language(art.c.language, language)
                )
                found.update(int(r[0]) for r in conn.execute(query))
        return found

    def mentioning(self, ids: Collection[int], entity_ids: Collection[str]) -> set[int]:
        """Those of `ids` that mention any of these gazetteer entities."""
        if not entity_ids:
            return set()
        em = schema.entity_mentions
        found: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = select(em.c.article_id.distinct()).where(
                    em.c.article_id.in_(chunk), em.c.entity_id.in_(list(entity_ids))
                )
                found.update(int(r[0]) for r in conn.execute(query))
        return found

    def from_partner(self, ids: Collection[int], partner_id: int) -> set[int]:
        """Those of `ids` that came from one of the partner's sources."""
        art, src = schema.articles, schema.sources
        found: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = (
                    select(art.c.id)
                    .join(src, src.c.id == art.c.source_id)
                    .where(art.c.id.in_(chunk), src.c.partner_id == partner_id)
                )
                found.update(int(r[0]) for r in conn.execute(query))
        return found

    def with_topic(self, ids: Collection[int], topic: str) -> set[int]:
        """Those of `ids` tagged with the topic."""
        at = schema.article_topics
        found: set[int] = set()
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = select(at.c.article_id).where(
                    at.c.article_id.in_(chunk), at.c.topic == topic
                )
                found.update(int(r[0]) for r in conn.execute(query))
        return found

    def stories_of(self, ids: Collection[int]) -> dict[int, int]:
        """article id -> story id, for those of `ids` in a story."""
        sa = schema.story_articles
        found: dict[int, int] = {}
        with self.engine.connect() as conn:
            for chunk in _chunks(ids):
                query = select(sa.c.article_id, sa.c.story_id).where(sa.c.article_id.in_(chunk))
                found.update({int(a): int(s) for a, s in conn.execute(query)})
        return found

    def story_size(self, story_id: int, since: datetime, language: str | None = None) -> int:
        """How many of the story's articles (in `language`, when given) appeared since then
        (published, else fetched)."""
        sa, art = schema.story_articles, schema.articles
        when = func.coalesce(art.c.published, art.c.fetched)
        conditions = [sa.c.story_id == story_id, when >= since]
        lang = _in_language(art.c.language, language)
        if lang is not None:
            conditions.append(lang)
        query = (
            select(func.count())
            .select_from(sa.join(art, art.c.id == sa.c.article_id))
            .where(and_(*conditions))
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # ---------------------------------------------------------------- notifications

    def notify(
        self,
        key: str,
        user_id: int | None,
        kind: str,
        title: str,
        body: str = "",
        link: str | None = None,
    ) -> bool:
        """Add a notification once per `key`; True when it is new (False: it was already
        there, e.g. a delivery retried after a crash)."""
        values = {
            "key": key[:300],
            "user_id": user_id,
            "kind": kind,
            "title": title,
            "body": body,
            "link": link,
            "created": utcnow(),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(N).values(**values))
        except IntegrityError:
            return False
        return True

    @staticmethod
    def _for(user_id: int | None) -> Any:
        return None if user_id is None else or_(N.c.user_id == user_id, N.c.user_id.is_(None))

    def notifications(
        self, user_id: int | None = None, unread: bool = False, limit: int = 100
    ) -> list[NotificationRow]:
        """The newest notifications of one user plus those for everyone (`user_id` None:
        every notification, the operator's view)."""
        query = select(N).order_by(N.c.id.desc()).limit(limit)
        visible = self._for(user_id)
        if visible is not None:
            query = query.where(visible)
        if unread:
            query = query.where(N.c.read.is_(None))
        with self.engine.connect() as conn:
            return [_notification(r) for r in conn.execute(query)]

    def unread_count(self, user_id: int | None = None) -> int:
        """How many notifications the user has not read."""
        query = select(func.count()).select_from(N).where(N.c.read.is_(None))
        visible = self._for(user_id)
        if visible is not None:
            query = query.where(visible)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def notification(self, notification_id: int, user_id: int | None = None) -> NotificationRow:
        """One notification the user may see; NotFoundError otherwise."""
        query = select(N).where(N.c.id == notification_id)
        visible = self._for(user_id)
        if visible is not None:
            query = query.where(visible)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFoundError(f"no notification {notification_id}")
        return _notification(row)

    def mark_read(self, notification_ids: Sequence[int], when: datetime) -> int:
        """Mark notifications read (a notice for everyone is read for everyone); how many."""
        marked = 0
        with self.engine.begin() as conn:
            for chunk in _chunks(notification_ids):
                done = conn.execute(
                    update(N).where(N.c.id.in_(chunk), N.c.read.is_(None)).values(read=when)
                )
                marked += done.rowcount
        return marked

    def unread_ids(self, user_id: int | None = None) -> list[int]:
        """Ids of the user's unread notifications."""
        query = select(N.c.id).where(N.c.read.is_(None))
        visible = self._for(user_id)
        if visible is not None:
            query = query.where(visible)
        with self.engine.connect() as conn:
            return [int(r[0]) for r in conn.execute(query)]
