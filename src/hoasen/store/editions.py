"""Reading and writing editions (SQLAlchemy Core, on the Store's engine): series, their numbered
issues, each issue's ordered items, one text per item and language, and the status history.

The rules (which status may follow which, what a text needs to count as approved, frozen
published issues) live in `hoasen.publish.editions`; this module only stores. An issue's number
is assigned inside the insert's transaction (two editors at once clash on the unique constraint
and the loser retries once); status changes are conditional updates, written together with
their history row, so two editors never both move one issue.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow

STATUSES = ("draft", "review", "approved", "published")
ORIGINS = ("original", "translation", "editor")


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class SeriesRow:
    """One edition series: its language pair (first = main), layout and fixed texts."""

    id: int
    slug: str
    name: str
    languages: tuple[str, ...]
    layout: str
    masthead: str
    colophon: str
    description: str
    partner_id: int | None
    created: datetime

    def as_json(self) -> dict[str, Any]:
        """The series as the CLI's and API's JSON document."""
        return {
            "id": self.id,
            "slug": self.slug,
            "name": self.name,
            "languages": list(self.languages),
            "layout": self.layout,
            "masthead": self.masthead,
            "colophon": self.colophon,
            "description": self.description,
            "partner_id": self.partner_id,
            "created": self.created.isoformat(),
        }


@dataclass(frozen=True)
class IssueRow:
    """One numbered issue of a series."""

    id: int
    series_id: int
    number: int
    title: str
    issue_date: date | None
    status: str
    cover_image: str
    created: datetime
    created_by: str
    published: datetime | None
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The issue as JSON (without items and history)."""
        return {
            "id": self.id,
            "series_id": self.series_id,
            "number": self.number,
            "title": self.title,
            "issue_date": _iso(self.issue_date),
            "status": self.status,
            "cover_image": self.cover_image,
            "created": self.created.isoformat(),
            "created_by": self.created_by,
            "published": _iso(self.published),
            "updated": self.updated.isoformat(),
        }


@dataclass(frozen=True)
class ItemRow:
    """One item of an issue: a stored article, or a desk piece (`article_id` None)."""

    id: int
    issue_id: int
    position: int
    article_id: int | None
    section: str


@dataclass(frozen=True)
class TextRow:
    """One language's text of an item and where it came from."""

    item_id: int
    language: str
    title: str
    body: str
    origin: str  # original / translation / editor
    translation_id: int | None
    approved: bool
    approved_by: str
    updated: datetime

    def as_json(self) -> dict[str, Any]:
        """The text as JSON."""
        return {
            "language": self.language,
            "title": self.title,
            "body": self.body,
            "origin": self.origin,
            "translation_id": self.translation_id,
            "approved": self.approved,
            "approved_by": self.approved_by,
            "updated": self.updated.isoformat(),
        }


@dataclass(frozen=True)
class EventRow:
    """One status change of an issue: who, when, from what to what, and why."""

    at: datetime
    who: str
    from_status: str
    to_status: str
    note: str

    def as_json(self) -> dict[str, Any]:
        """The change as JSON."""
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "from": self.from_status,
            "to": self.to_status,
            "note": self.note,
        }


def _series(r: Any) -> SeriesRow:
    return SeriesRow(
        id=r.id,
        slug=r.slug,
        name=r.name,
        languages=tuple(x for x in (r.languages or "").split(",") if x),
        layout=r.layout,
        masthead=r.masthead or "",
        colophon=r.colophon or "",
        description=r.description or "",
        partner_id=r.partner_id,
        created=r.created,
    )


def _issue(r: Any) -> IssueRow:
    return IssueRow(
        id=r.id,
        series_id=r.series_id,
        number=r.number,
        title=r.title or "",
        issue_date=r.issue_date,
        status=r.status,
        cover_image=r.cover_image or "",
        created=r.created,
        created_by=r.created_by or "",
        published=r.published,
        updated=r.updated,
    )


def _item(r: Any) -> ItemRow:
    return ItemRow(r.id, r.issue_id, r.position, r.article_id, r.section or "")


def _text(r: Any) -> TextRow:
    return TextRow(
        item_id=r.item_id,
        language=r.language,
        title=r.title or "",
        body=r.body or "",
        origin=r.origin,
        translation_id=r.translation_id,
        approved=bool(r.approved),
        approved_by=r.approved_by or "",
        updated=r.updated,
    )


class EditionStore:
    """The edition tables of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- series

    def add_series(self, values: Mapping[str, Any]) -> SeriesRow:
        """Store a new series; a slug or name already taken is a UsageError."""
        s = schema.edition_series
        try:
            with self.store.begin() as conn:
                taken = conn.execute(
                    select(s.c.id).where(func.lower(s.c.name) == str(values["name"]).lower())
                ).first()
                if taken is not None:
                    raise UsageError(f"there is already a series called {values['name']!r}")
                new_id = _new_id(conn.execute(insert(s).values(**values)))
        except IntegrityError as exc:
            raise UsageError(f"there is already a series with the slug {values['slug']!r}") from exc
        return self.series(int(new_id))

    def series(self, series_id: int) -> SeriesRow:
        """One series by id."""
        s = schema.edition_series
        with self.engine.connect() as conn:
            row = conn.execute(select(s).where(s.c.id == series_id)).first()
        if row is None:
            raise NotFoundError(f"no edition series {series_id}")
        return _series(row)

    def find_series(self, ref: str) -> SeriesRow | None:
        """A series by slug or name (any case), or None."""
        s = schema.edition_series
        key = ref.strip()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(s).where((s.c.slug == key.lower()) | (func.lower(s.c.name) == key.lower()))
            ).first()
        return _series(row) if row is not None else None

    def series_list(self) -> list[SeriesRow]:
        """Every series, by name."""
        s = schema.edition_series
        with self.engine.connect() as conn:
            return [_series(r) for r in conn.execute(select(s).order_by(s.c.name, s.c.id))]

    # ---------------------------------------------------------------- issues

    def add_issue(
        self, series_id: int, title: str, issue_date: date | None, created_by: str
    ) -> IssueRow:
        """Store the series' next issue (number = the highest + 1) as a draft, with its first
        history row; a clash with an issue numbered at the same moment is retried once."""
        i = schema.edition_issues
        for attempt in (1, 2):
            try:
                with self.store.begin() as conn:
                    last = conn.execute(
                        select(func.max(i.c.number)).where(i.c.series_id == series_id)
                    ).scalar()
                    now = utcnow()
                    new_id = _new_id(
                        conn.execute(
                            insert(i).values(
                                series_id=series_id,
                                number=int(last or 0) + 1,
                                title=title,
                                issue_date=issue_date,
                                status="draft",
                                created=now,
                                created_by=created_by,
                                updated=now,
                            )
                        )
                    )
                    conn.execute(
                        insert(schema.edition_events).values(
                            issue_id=new_id, at=now, who=created_by, to_status="draft"
                        )
                    )
                return self.issue(int(new_id))
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def issue(self, issue_id: int) -> IssueRow:
        """One issue by id."""
        i = schema.edition_issues
        with self.engine.connect() as conn:
            row = conn.execute(select(i).where(i.c.id == issue_id)).first()
        if row is None:
            raise NotFoundError(f"no edition issue {issue_id}")
        return _issue(row)

    def issue_numbered(self, series_id: int, number: int) -> IssueRow | None:
        """A series' issue by its number, or None."""
        i = schema.edition_issues
        with self.engine.connect() as conn:
            row = conn.execute(
                select(i).where(i.c.series_id == series_id, i.c.number == number)
            ).first()
        return _issue(row) if row is not None else None

    def issues(
        self, series_id: int | None = None, status: Sequence[str] | None = None
    ) -> list[IssueRow]:
        """Issues, newest first (of one series, in some statuses, when asked)."""
        i = schema.edition_issues
        query = select(i).order_by(i.c.series_id, i.c.number.desc())
        if series_id is not None:
            query = query.where(i.c.series_id == series_id)
        if status:
            query = query.where(i.c.status.in_(list(status)))
        with self.engine.connect() as conn:
            return [_issue(r) for r in conn.execute(query)]

    def set_status(
        self,
        issue_id: int,
        from_status: str,
        to_status: str,
        who: str,
        note: str = "",
        published: datetime | None = None,
    ) -> IssueRow:
        """Move an issue from `from_status` to `to_status` and record it; a UsageError when
        someone else changed it first."""
        i = schema.edition_issues
        now = utcnow()
        values: dict[str, Any] = {"status": to_status, "updated": now}
        if published is not None:
            values["published"] = published
        with self.store.begin() as conn:
            done = conn.execute(
                update(i).where(i.c.id == issue_id, i.c.status == from_status).values(**values)
            ).rowcount
            if done != 1:
                raise UsageError(f"issue {issue_id} is no longer {from_status}: reload it")
            conn.execute(
                insert(schema.edition_events).values(
                    issue_id=issue_id,
                    at=now,
                    who=who,
                    from_status=from_status,
                    to_status=to_status,
                    note=note,
                )
            )
        return self.issue(issue_id)

    def events(self, issue_id: int) -> list[EventRow]:
        """An issue's status history, oldest first."""
        e = schema.edition_events
        with self.engine.connect() as conn:
            rows = conn.execute(select(e).where(e.c.issue_id == issue_id).order_by(e.c.id))
            return [EventRow(r.at, r.who, r.from_status, r.to_status, r.note) for r in rows]

    def touch(self, issue_id: int) -> None:
        """Mark an issue as changed now."""
        i = schema.edition_issues
        with self.store.begin() as conn:
            conn.execute(update(i).where(i.c.id == issue_id).values(updated=utcnow()))

    # ---------------------------------------------------------------- items

    def add_item(self, issue_id: int, article_id: int | None, section: str = "") -> ItemRow:
        """Append an item at the end of an issue."""
        t = schema.edition_items
        with self.store.begin() as conn:
            last = conn.execute(
                select(func.max(t.c.position)).where(t.c.issue_id == issue_id)
            ).scalar()
            new_id = _new_id(
                conn.execute(
                    insert(t).values(
                        issue_id=issue_id,
                        position=int(last or 0) + 1,
                        article_id=article_id,
                        section=section,
                    )
                )
            )
        return self.item(int(new_id))

    def item(self, item_id: int) -> ItemRow:
        """One item by id."""
        t = schema.edition_items
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == item_id)).first()
        if row is None:
            raise NotFoundError(f"no edition item {item_id}")
        return _item(row)

    def items(self, issue_id: int) -> list[ItemRow]:
        """An issue's items in order."""
        t = schema.edition_items
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.issue_id == issue_id).order_by(t.c.position, t.c.id)
            )
            return [_item(r) for r in rows]

    def reorder(self, issue_id: int, item_ids: Sequence[int]) -> None:
        """Number the issue's items 1, 2, 3... in the order given."""
        t = schema.edition_items
        with self.store.begin() as conn:
            for n, item_id in enumerate(item_ids, start=1):
                conn.execute(
                    update(t).where(t.c.id == item_id, t.c.issue_id == issue_id).values(position=n)
                )

    def remove_item(self, item_id: int) -> None:
        """Delete an item and its texts, then close the gap in the positions."""
        found = self.item(item_id)
        with self.store.begin() as conn:
            conn.execute(
                delete(schema.edition_texts).where(schema.edition_texts.c.item_id == item_id)
            )
            conn.execute(delete(schema.edition_items).where(schema.edition_items.c.id == item_id))
        self.reorder(found.issue_id, [i.id for i in self.items(found.issue_id)])

    # ---------------------------------------------------------------- texts

    def texts(self, item_ids: Sequence[int]) -> dict[int, dict[str, TextRow]]:
        """Item id -> language -> text, for the items given."""
        x = schema.edition_texts
        out: dict[int, dict[str, TextRow]] = {i: {} for i in item_ids}
        if not item_ids:
            return out
        with self.engine.connect() as conn:
            for r in conn.execute(select(x).where(x.c.item_id.in_(list(item_ids)))):
                out.setdefault(r.item_id, {})[r.language] = _text(r)
        return out

    def put_text(
        self,
        item_id: int,
        language: str,
        *,
        title: str,
        body: str,
        origin: str,
        translation_id: int | None = None,
        approved: bool = False,
        approved_by: str = "",
    ) -> None:
        """Write an item's text in one language (replacing the one there)."""
        x = schema.edition_texts
        values = {
            "title": title,
            "body": body,
            "origin": origin,
            "translation_id": translation_id,
            "approved": approved,
            "approved_by": approved_by,
            "updated": utcnow(),
        }
        with self.store.begin() as conn:
            done = conn.execute(
                update(x).where(x.c.item_id == item_id, x.c.language == language).values(**values)
            ).rowcount
            if not done:
                conn.execute(insert(x).values(item_id=item_id, language=language, **values))

    def set_approved(self, item_id: int, language: str, approved: bool, by: str) -> None:
        """Mark one text approved (by `by`) or not."""
        x = schema.edition_texts
        with self.store.begin() as conn:
            conn.execute(
                update(x)
                .where(x.c.item_id == item_id, x.c.language == language)
                .values(approved=approved, approved_by=by if approved else "", updated=utcnow())
            )
