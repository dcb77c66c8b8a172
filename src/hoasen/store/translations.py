"""Reading and writing articles' translations: one row per article and language, its segments
in order (position 0 is the title) with where each came from and its QA flags."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store
from hoasen.store.schema import utcnow

STATES = ("draft", "reviewed", "approved")


@dataclass(frozen=True)
class StoredSegment:
    """One segment of a stored translation."""

    position: int
    paragraph: int
    source: str
    target: str
    origin: str
    flags: list[dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "paragraph": self.paragraph,
            "source": self.source,
            "target": self.target,
            "origin": self.origin,
            "flags": self.flags,
        }


@dataclass(frozen=True)
class StoredTranslation:
    """A translation of one article into one language, with its workflow state."""

    id: int
    article_id: int
    source_lang: str
    lang: str
    engine: str
    status: str
    title: str
    created_by: str
    created: datetime
    updated: datetime
    reviewed_by: str | None
    approved_by: str | None
    approved: datetime | None
    segments: list[StoredSegment] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        """How many segments carry an error or warning."""
        return sum(
            1 for s in self.segments if any(f["severity"] in ("error", "warning") for f in s.flags)
        )

    def text(self) -> str:
        """The translated body: segments joined, paragraphs separated by a blank line."""
        paragraphs: dict[int, list[str]] = {}
        for seg in self.segments:
            if seg.position == 0:
                continue
            paragraphs.setdefault(seg.paragraph, []).append(seg.target)
        return "\n\n".join(" ".join(p).strip() for _, p in sorted(paragraphs.items()))

    def as_json(self, with_segments: bool = True) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "id": self.id,
            "article_id": self.article_id,
            "from": self.source_lang,
            "to": self.lang,
            "engine": self.engine,
            "status": self.status,
            "title": self.title,
            "created_by": self.created_by,
            "created": self.created.isoformat(),
            "updated": self.updated.isoformat(),
            "reviewed_by": self.reviewed_by,
            "approved_by": self.approved_by,
            "approved": self.approved.isoformat() if self.approved else None,
            "flagged": self.flagged,
            "total": len(self.segments),
        }
        if with_segments:
            doc["segments"] = [s.as_json() for s in self.segments]
        return doc


@dataclass(frozen=True)
class NewSegment:
    """A segment to store."""

    paragraph: int
    source: str
    target: str
    origin: str
    flags: Sequence[dict[str, str]] = ()


class TranslationStore:
    """Articles' translations in one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def create(
        self,
        article_id: int,
        source_lang: str,
        lang: str,
        engine: str,
        segments: Sequence[NewSegment],
        created_by: str = "",
    ) -> int:
        """Store a new draft translation (the title is segment 0) and return its id."""
        t = schema.translations
        now = utcnow()
        title = segments[0].target if segments else ""
        with self.store.begin() as conn:
            inserted = conn.execute(
                insert(t).values(
                    article_id=article_id,
                    source_lang=source_lang,
                    lang=lang,
                    engine=engine,
                    status="draft",
                    title=title,
                    created_by=created_by,
                    created=now,
                    updated=now,
                )
            ).inserted_primary_key
            assert inserted is not None
            new_id = int(inserted[0])
            self._write_segments(conn, new_id, segments)
        return new_id

    def _write_segments(
        self, conn: Connection, translation_id: int, segments: Sequence[NewSegment]
    ) -> None:
        rows = [
            {
                "translation_id": translation_id,
                "position": n,
                "paragraph": s.paragraph,
                "source": s.source,
                "target": s.target,
                "origin": s.origin,
                "flags": json.dumps(list(s.flags), ensure_ascii=False),
            }
            for n, s in enumerate(segments)
        ]
        if rows:
            conn.execute(insert(schema.translation_segments), rows)

    def get(self, translation_id: int) -> StoredTranslation:
        """One translation with its segments, or NotFoundError."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.translations).where(schema.translations.c.id == translation_id)
            ).first()
            if row is None:
                raise NotFoundError(f"no translation with id {translation_id}")
            seg = schema.translation_segments
            segs = conn.execute(
                select(seg).where(seg.c.translation_id == translation_id).order_by(seg.c.position)
            ).all()
        return _translation(row, segs)

    def for_article(self, article_id: int) -> list[StoredTranslation]:
        """Every translation of an article (without segments), newest first."""
        t = schema.translations
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t).where(t.c.article_id == article_id).order_by(t.c.id.desc())
            ).all()
        return [_translation(r, ()) for r in rows]

    def listing(
        self, status: str | None = None, lang: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[StoredTranslation], int]:
        """Translations newest first (without segments) and how many match in all."""
        t = schema.translations
        query = select(t)
        count = select(func.count()).select_from(t)
        if status:
            query, count = query.where(t.c.status == status), count.where(t.c.status == status)
        if lang:
            query, count = query.where(t.c.lang == lang), count.where(t.c.lang == lang)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(t.c.id.desc()).limit(limit).offset(offset)).all()
            total = int(conn.execute(count).scalar_one())
        return [_translation(r, ()) for r in rows], total

    def approved(self, article_id: int, lang: str) -> StoredTranslation | None:
        """The newest approved translation of an article into a language, if any."""
        t = schema.translations
        with self.engine.connect() as conn:
            found = conn.execute(
                select(t.c.id)
                .where(t.c.article_id == article_id, t.c.lang == lang, t.c.status == "approved")
                .order_by(t.c.approved.desc(), t.c.id.desc())
                .limit(1)
            ).scalar()
        return self.get(int(found)) if found is not None else None

    def save_segments(
        self,
        translation_id: int,
        targets: dict[int, tuple[str, Sequence[dict[str, str]]]],
    ) -> None:
        """Replace the targets (and flags) of the given positions; the translation goes back to
        draft when an approved one is edited, so nothing changed ships unseen."""
        seg = schema.translation_segments
        t = schema.translations
        with self.store.begin() as conn:
            status = conn.execute(select(t.c.status).where(t.c.id == translation_id)).scalar()
            if status is None:
                raise NotFoundError(f"no translation with id {translation_id}")
            known = set(
                conn.execute(
                    select(seg.c.position).where(seg.c.translation_id == translation_id)
                ).scalars()
            )
            for position, (target, flags) in targets.items():
                if position not in known:
                    raise UsageError(f"translation {translation_id} has no segment {position}")
                conn.execute(
                    update(seg)
                    .where(seg.c.translation_id == translation_id, seg.c.position == position)
                    .values(
                        target=target,
                        origin="human",
                        flags=json.dumps(list(flags), ensure_ascii=False),
                    )
                )
            values: dict[str, Any] = {"updated": utcnow()}
            if 0 in targets:
                values["title"] = targets[0][0]
            if status != "draft":
                values.update(status="draft", reviewed_by=None, approved_by=None, approved=None)
            conn.execute(update(t).where(t.c.id == translation_id).values(**values))

    def set_status(self, translation_id: int, status: str, by: str) -> None:
        """Move a translation along draft → reviewed → approved (or back to draft)."""
        if status not in STATES:
            raise UsageError(f"status must be one of {', '.join(STATES)}, not {status!r}")
        t = schema.translations
        values: dict[str, Any] = {"status": status, "updated": utcnow()}
        if status == "reviewed":
            values["reviewed_by"] = by
        elif status == "approved":
            values.update(approved_by=by, approved=utcnow())
        else:
            values.update(reviewed_by=None, approved_by=None, approved=None)
        with self.store.begin() as conn:
            done = conn.execute(update(t).where(t.c.id == translation_id).values(**values))
            if done.rowcount == 0:
                raise NotFoundError(f"no translation with id {translation_id}")

    def delete(self, translation_id: int) -> None:
        """Remove a translation and its segments."""
        with self.store.begin() as conn:
            conn.execute(
                delete(schema.translation_segments).where(
                    schema.translation_segments.c.translation_id == translation_id
                )
            )
            done = conn.execute(
                delete(schema.translations).where(schema.translations.c.id == translation_id)
            )
            if done.rowcount == 0:
                raise NotFoundError(f"no translation with id {translation_id}")


def _translation(row: Any, segs: Sequence[Any]) -> StoredTranslation:
    return StoredTranslation(
        id=row.id,
        article_id=row.article_id,
        source_lang=row.source_lang,
        lang=row.lang,
        engine=row.engine,
        status=row.status,
        title=row.title,
        created_by=row.created_by,
        created=row.created,
        updated=row.updated,
        reviewed_by=row.reviewed_by,
        approved_by=row.approved_by,
        approved=row.approved,
        segments=[
            StoredSegment(
                position=s.position,
                paragraph=s.paragraph,
                source=s.source,
                target=s.target,
                origin=s.origin,
                flags=json.loads(s.flags),
            )
            for s in segs
        ],
    )
