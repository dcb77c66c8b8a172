"""Reading and writing the events calendar, its subscription tokens and the articles linked to
events (SQLAlchemy Core, on the Store's engine).

Validation, recurrence and iCalendar live in `hoasen.registers.events`; this module only
stores. Times are kept in UTC; an all-day event's `starts` is its local midnight in the event's
own zone and `ends` the (exclusive) local midnight after its last day, so its dates are read
back in that zone whatever the office's or viewer's zone is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

LINK_STATUSES = ("suggested", "confirmed", "rejected")
REGISTER = "event"  # the `register` value of this register's rows in register_links


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class EventRow:
    """One calendar entry as stored (times aware, in UTC; `names` one alternative a line)."""

    id: int
    uid: str
    calendar: str
    title: str
    kind: str
    starts: datetime
    ends: datetime | None
    all_day: bool
    timezone: str
    rrule: str
    place: str
    organisers: str
    partners: str
    names: tuple[str, ...]
    expected: int | None
    actual: int | None
    description: str
    status: str
    sequence: int
    created: datetime
    updated: datetime

    @property
    def participants(self) -> int:
        """The actual number of participants, else the expected one, else 0."""
        if self.actual is not None:
            return self.actual
        return self.expected or 0

    def as_json(self) -> dict[str, Any]:
        """The stored event as a JSON document (UTC instants in ISO form)."""
        return {
            "id": self.id,
            "uid": self.uid,
            "calendar": self.calendar,
            "title": self.title,
            "kind": self.kind,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat() if self.ends else None,
            "all_day": self.all_day,
            "timezone": self.timezone,
            "rrule": self.rrule,
            "place": self.place,
            "organisers": self.organisers,
            "partners": self.partners,
            "names": list(self.names),
            "expected": self.expected,
            "actual": self.actual,
            "description": self.description,
            "status": self.status,
            "sequence": self.sequence,
        }


@dataclass(frozen=True)
class LinkRow:
    """An article suggested for (or confirmed/rejected as) coverage of a register entry."""

    id: int
    entry_id: int
    article_id: int
    status: str
    decided_by: str


def _event(row: Any) -> EventRow:
    names = tuple(n.strip() for n in (row.names or "").splitlines() if n.strip())
    starts = _utc(row.starts)
    assert starts is not None
    return EventRow(
        id=row.id,
        uid=row.uid,
        calendar=row.calendar,
        title=row.title,
        kind=row.kind,
        starts=starts,
        ends=_utc(row.ends),
        all_day=bool(row.all_day),
        timezone=row.timezone,
        rrule=row.rrule,
        place=row.place,
        organisers=row.organisers,
        partners=row.partners,
        names=names,
        expected=row.expected,
        actual=row.actual,
        description=row.description,
        status=row.status,
        sequence=row.sequence,
        created=row.created,
        updated=row.updated,
    )


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    row = dict(values)
    if "names" in row and not isinstance(row["names"], str):
        row["names"] = "\n".join(row["names"])
    for key in ("starts", "ends"):
        if key in row:
            row[key] = _utc(row[key])
    return row


class EventStore:
    """Events, calendar subscription tokens and event coverage links in one database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- events

    def add(self, values: Mapping[str, Any]) -> EventRow:
        """Store a new event (validated by the caller); a UID already in use is a UsageError."""
        with self.store.begin() as conn:
            new_id = self.insert(values, conn)
        return self.get(new_id)

    def insert(self, values: Mapping[str, Any], conn: Connection) -> int:
        """Store a new event inside the caller's transaction (rolled back by it on error); its
        id. A UID already in use is a UsageError."""
        now = utcnow()
        try:
            new_id = conn.execute(
                insert(schema.events).values(**_values(values), created=now, updated=now)
            ).inserted_primary_key
        except IntegrityError as exc:
            raise UsageError(f"an event with UID {values.get('uid')!r} already exists") from exc
        assert new_id is not None
        return int(new_id[0])

    def update(self, event_id: int, values: Mapping[str, Any]) -> EventRow:
        """Change stored fields of an event (validated by the caller)."""
        t = schema.events
        with self.store.begin() as conn:
            done = conn.execute(
                update(t).where(t.c.id == event_id).values(**_values(values), updated=utcnow())
            ).rowcount
        if not done:
            raise NotFoundError(f"no event with id {event_id}")
        return self.get(event_id)

    def delete(self, event_id: int) -> None:
        """Delete an event and its coverage links."""
        t, links = schema.events, schema.register_links
        with self.store.begin() as conn:
            conn.execute(
                delete(links).where(links.c.register == REGISTER, links.c.entry_id == event_id)
            )
            gone = conn.execute(delete(t).where(t.c.id == event_id)).rowcount
        if not gone:
            raise NotFoundError(f"no event with id {event_id}")

    def get(self, event_id: int) -> EventRow:
        """The event with this id, or NotFoundError."""
        t = schema.events
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == event_id)).first()
        if row is None:
            raise NotFoundError(f"no event with id {event_id}")
        return _event(row)

    def by_uid(self, uid: str) -> EventRow | None:
        """The event with this iCalendar UID, if any."""
        t = schema.events
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.uid == uid)).first()
        return _event(row) if row is not None else None

    def events(
        self,
        calendar: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[EventRow]:
        """Events (of one calendar) that may touch [start, end): those starting before `end`
        and recurring, or ending (or starting) at or after `start`; by start. The caller
        checks each occurrence exactly (this is a coarse SQL cut, a day wider both ways)."""
        t = schema.events
        query = select(t).order_by(t.c.starts, t.c.id)
        if calendar is not None:
            query = query.where(t.c.calendar == calendar)
        if end is not None:
            query = query.where(t.c.starts < _utc(end))
        if start is not None:
            since = _utc(start)
            query = query.where(
                or_(
                    t.c.rrule != "",
                    t.c.starts >= since,
                    and_(t.c.ends.is_not(None), t.c.ends >= since),
                )
            )
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(query).all()]

    # ---------------------------------------------------------------- tokens

    def add_token(self, user_id: int, calendar: str, token_hash: str) -> None:
        """Keep the hash of a new subscription token."""
        with self.store.begin() as conn:
            conn.execute(
                insert(schema.calendar_tokens).values(
                    user_id=user_id, calendar=calendar, token_hash=token_hash, created=utcnow()
                )
            )

    def calendar_for_hash(self, token_hash: str) -> str | None:
        """The calendar a token hash opens, if it is known."""
        t = schema.calendar_tokens
        with self.engine.connect() as conn:
            return conn.execute(select(t.c.calendar).where(t.c.token_hash == token_hash)).scalar()

    def revoke(
        self,
        *,
        token_hash: str | None = None,
        user_id: int | None = None,
        calendar: str | None = None,
    ) -> int:
        """Delete one token (by hash) or a user's tokens (of one calendar); how many went."""
        t = schema.calendar_tokens
        query = delete(t)
        if token_hash is not None:
            query = query.where(t.c.token_hash == token_hash)
        if user_id is not None:
            query = query.where(t.c.user_id == user_id)
        if calendar is not None:
            query = query.where(t.c.calendar == calendar)
        if token_hash is None and user_id is None:
            raise UsageError("revoke needs a token or a user")
        with self.store.begin() as conn:
            return int(conn.execute(query).rowcount or 0)

    def user_id(self, name: str) -> int:
        """The id of the user called `name` (NotFoundError otherwise)."""
        t = schema.users
        with self.engine.connect() as conn:
            found = conn.execute(select(t.c.id).where(t.c.name == name)).scalar()
        if found is None:
            raise NotFoundError(f"no user named {name!r} (see `hoasen user list`)")
        return int(found)

    # ---------------------------------------------------------------- coverage links

    def suggest(self, event_id: int, article_ids: Sequence[int]) -> None:
        """Add `suggested` links for the articles not linked to the event yet (decisions
        already taken, confirmed or rejected, are kept)."""
        t = schema.register_links
        known = {link.article_id for link in self.links(event_id)}
        rows = [
            {"register": REGISTER, "entry_id": event_id, "article_id": a, "status": "suggested"}
            for a in dict.fromkeys(article_ids)
            if a not in known
        ]
        if rows:
            now = utcnow()
            with self.store.begin() as conn:
                conn.execute(insert(t), [{**r, "decided_by": "", "created": now} for r in rows])

    def links(self, event_id: int) -> list[LinkRow]:
        """The articles linked to an event, in the order they were linked."""
        t = schema.register_links
        query = select(t).where(t.c.register == REGISTER, t.c.entry_id == event_id).order_by(t.c.id)
        with self.engine.connect() as conn:
            return [
                LinkRow(r.id, r.entry_id, r.article_id, r.status, r.decided_by)
                for r in conn.execute(query).all()
            ]

    def decide(self, event_id: int, article_id: int, status: str, by: str) -> None:
        """Confirm or reject (or re-suggest) an article as coverage of an event."""
        if status not in LINK_STATUSES:
            raise UsageError(f"a link is {', '.join(LINK_STATUSES)}, not {status!r}")
        t = schema.register_links
        with self.store.begin() as conn:
            done = conn.execute(
                update(t)
                .where(
                    t.c.register == REGISTER,
                    t.c.entry_id == event_id,
                    t.c.article_id == article_id,
                )
                .values(status=status, decided_by=by)
            ).rowcount
            if not done:
                conn.execute(
                    insert(t).values(
                        register=REGISTER,
                        entry_id=event_id,
                        article_id=article_id,
                        status=status,
                        decided_by=by,
                        created=utcnow(),
                    )
                )
