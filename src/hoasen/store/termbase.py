"""Reading and writing the termbase's own rows: concepts and their terms per language.

The termbase shares its concepts with the gazetteer (a gazetteer entity's id is its concept id),
so these tables hold only what the office added or changed: office terms (titles, bodies,
programmes), and per-term overrides of the gazetteer's names (a new preferred English name, a
variant marked forbidden). `hoasen.translate.termbase.Termbase` merges them with the gazetteer
and the bundled office terms; this module only keeps the rows consistent:

- a term's status is preferred, admitted or forbidden, and a concept has at most one preferred
  term per language (making a term preferred demotes the previous one to admitted);
- `replace` swaps the rows of many concepts in one transaction, so an import either lands
  whole or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, or_, select, update

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow
from hoasen.translate.types import TERM_STATUSES

CONCEPT_TYPES = ("PER", "LOC", "ORG", "TERM")
ORIGINS = ("user", "import", "suggest")
_CONCEPT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9._-]{0,119}$")
_LANG_TAG = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")
_CHUNK = 500


@dataclass(frozen=True)
class StoredTerm:
    """One term row."""

    id: int
    concept_id: str
    lang: str
    text: str
    status: str
    note: str = ""
    origin: str = "user"
    created: datetime | None = None


@dataclass(frozen=True)
class StoredConcept:
    """One concept row and its term rows."""

    id: str
    type: str
    subject: str = ""
    note: str = ""
    entity_id: str | None = None
    terms: tuple[StoredTerm, ...] = ()
    created: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class TermRow:
    """A term to write (no id yet)."""

    lang: str
    text: str
    status: str
    note: str = ""
    origin: str = "import"


@dataclass(frozen=True)
class ConceptRows:
    """A concept with the complete set of term rows it should have after `replace`."""

    id: str
    type: str
    subject: str = ""
    note: str = ""
    entity_id: str | None = None
    terms: tuple[TermRow, ...] = field(default_factory=tuple)


def check_concept_id(concept_id: str) -> str:
    """The id unchanged, or UsageError when it is not a plain id ('term.chairman', 'vn.ha-noi'):
    a letter, then letters, digits, '.', '-' or '_' (an XML name, as TBX needs)."""
    if not _CONCEPT_ID.match(concept_id or ""):
        raise UsageError(
            f"concept id {concept_id!r} must start with a letter and hold only letters, digits, "
            "'.', '-' or '_' (at most 120), e.g. term.provincial-chairman"
        )
    return concept_id


def check_type(value: str) -> str:
    """The concept type in capitals, or UsageError."""
    upper = (value or "").strip().upper()
    if upper not in CONCEPT_TYPES:
        raise UsageError(f"concept type {value!r} is not one of {', '.join(CONCEPT_TYPES)}")
    return upper


def check_status(value: str) -> str:
    """A term status in lower case, or UsageError."""
    lower = (value or "").strip().lower()
    if lower not in TERM_STATUSES:
        raise UsageError(f"term status {value!r} is not one of {', '.join(TERM_STATUSES)}")
    return lower


def check_lang(tag: str) -> str:
    """A canonical termbase language tag ('vi', 'en', 'zh-Hans'), or UsageError.

    Callers normalise first (`hoasen.translate.termbase.canonical_lang`); this only guards the
    table against anything else.
    """
    if not _LANG_TAG.match(tag or ""):
        raise UsageError(f"language {tag!r} is not a tag such as vi, en, zh-Hans, zh-Hant, ja")
    return tag


def check_text(text: str) -> str:
    """A term's text with outer spaces removed; UsageError when empty or multi-line."""
    clean = (text or "").strip()
    if not clean:
        raise UsageError("a term cannot be empty")
    if "\n" in clean or "\r" in clean:
        raise UsageError(f"a term is one line: {clean[:40]!r}")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in clean):
        raise UsageError(f"a term cannot hold control characters: {clean[:40]!r}")
    if len(clean) > 500:
        raise UsageError(f"a term is at most 500 characters: {clean[:40]!r}...")
    return clean


class TermStore:
    """The termbase rows of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- reading

    def concepts(
        self,
        ids: Sequence[str] | None = None,
        query: str | None = None,
        lang: str | None = None,
        type: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StoredConcept]:
        """Concept rows with their terms, by id. `query` matches an id or a term's text
        (a substring, case-insensitive for ASCII letters on SQLite; `Termbase.concepts` searches
        ignoring diacritics), `lang` keeps concepts with a term in that language."""
        c, t = schema.term_concepts.c, schema.terms.c
        stmt = select(schema.term_concepts).order_by(c.id)
        if type:
            stmt = stmt.where(c.type == check_type(type))
        if query:
            pattern = f"%{_escape_like(query.strip().lower())}%"
            matching = select(t.concept_id).where(func.lower(t.text).like(pattern, escape="\\"))
            stmt = stmt.where(or_(func.lower(c.id).like(pattern, escape="\\"), c.id.in_(matching)))
        if lang:
            stmt = stmt.where(c.id.in_(select(t.concept_id).where(t.lang == lang)))
        if offset:
            stmt = stmt.offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            if ids is not None:
                rows = []
                for part in _chunks(list(ids)):
                    rows += list(conn.execute(stmt.where(c.id.in_(part))))
            else:
                rows = list(conn.execute(stmt))
            terms = self._terms_of(conn, [r.id for r in rows])
        return [_concept(r, terms.get(r.id, ())) for r in rows]

    def concept(self, concept_id: str) -> StoredConcept | None:
        """One concept with its terms, or None."""
        found = self.concepts(ids=[concept_id])
        return found[0] if found else None

    def count(self) -> int:
        """How many concept rows there are."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(func.count()).select_from(schema.term_concepts)).scalar_one()
            )

    def terms(
        self,
        concept_id: str | None = None,
        lang: str | None = None,
        status: str | None = None,
    ) -> list[StoredTerm]:
        """Term rows, by concept, language and text."""
        t = schema.terms.c
        stmt = select(schema.terms).order_by(t.concept_id, t.lang, t.id)
        if concept_id is not None:
            stmt = stmt.where(t.concept_id == concept_id)
        if lang is not None:
            stmt = stmt.where(t.lang == lang)
        if status is not None:
            stmt = stmt.where(t.status == check_status(status))
        with self.engine.connect() as conn:
            return [_term(r) for r in conn.execute(stmt)]

    def term(self, term_id: int) -> StoredTerm:
        """One term row; NotFoundError when there is none."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(schema.terms).where(schema.terms.c.id == term_id)
            ).one_or_none()
        if row is None:
            raise NotFoundError(f"no term with id {term_id}")
        return _term(row)

    def version(self) -> tuple[int, int, str]:
        """(concepts, terms, newest change) — changes whenever any row is written, so a cached
        merged termbase knows when to rebuild."""
        c, t = schema.term_concepts.c, schema.terms.c
        with self.engine.connect() as conn:
            concepts, updated = conn.execute(select(func.count(), func.max(c.updated))).one()
            terms, newest, top = conn.execute(
                select(func.count(), func.max(t.created), func.max(t.id))
            ).one()
        return int(concepts), int(terms), f"{updated}|{newest}|{top}"

    @staticmethod
    def _terms_of(conn: Connection, concept_ids: Sequence[str]) -> dict[str, list[StoredTerm]]:
        t = schema.terms.c
        out: dict[str, list[StoredTerm]] = {}
        for part in _chunks(list(concept_ids)):
            stmt = select(schema.terms).where(t.concept_id.in_(part)).order_by(t.lang, t.id)
            for row in conn.execute(stmt):
                out.setdefault(row.concept_id, []).append(_term(row))
        return out

    # ---------------------------------------------------------------- concepts

    def add_concept(
        self,
        concept_id: str,
        type: str,
        subject: str = "",
        note: str = "",
        entity_id: str | None = None,
    ) -> StoredConcept:
        """Create a concept row; UsageError when the id is taken."""
        check_concept_id(concept_id)
        with self.store.begin() as conn:
            if _exists(conn, concept_id):
                raise UsageError(f"concept {concept_id!r} already exists")
            _insert_concept(conn, concept_id, check_type(type), subject, note, entity_id)
        return self._must(concept_id)

    def ensure_concept(
        self,
        conn: Connection,
        concept_id: str,
        type: str,
        entity_id: str | None = None,
    ) -> None:
        """Create the concept row inside `conn`'s transaction unless it exists (a gazetteer
        entity gets its row the first time one of its terms is overridden)."""
        if not _exists(conn, check_concept_id(concept_id)):
            _insert_concept(conn, concept_id, check_type(type), "", "", entity_id)

    def update_concept(self, concept_id: str, changes: Mapping[str, Any]) -> StoredConcept:
        """Change a concept's type, subject, note or entity_id; NotFoundError when absent."""
        allowed = {"type", "subject", "note", "entity_id"}
        unknown = set(changes) - allowed
        if unknown:
            raise UsageError(f"cannot change {', '.join(sorted(unknown))} of a concept")
        values = dict(changes)
        if "type" in values:
            values["type"] = check_type(values["type"])
        for key in ("subject", "note"):
            if key in values:
                values[key] = (values[key] or "").strip()
        values["updated"] = utcnow()
        c = schema.term_concepts.c
        with self.store.begin() as conn:
            result = conn.execute(
                update(schema.term_concepts).where(c.id == concept_id).values(**values)
            )
            if not result.rowcount:
                raise NotFoundError(f"no termbase concept {concept_id!r}")
        return self._must(concept_id)

    def delete_concept(self, concept_id: str) -> None:
        """Remove a concept row and its terms (a gazetteer entity falls back to its own names)."""
        c, t = schema.term_concepts.c, schema.terms.c
        with self.store.begin() as conn:
            conn.execute(delete(schema.terms).where(t.concept_id == concept_id))
            result = conn.execute(delete(schema.term_concepts).where(c.id == concept_id))
            if not result.rowcount:
                raise NotFoundError(f"no termbase concept {concept_id!r}")

    # ---------------------------------------------------------------- terms

    def add_term(
        self,
        concept_id: str,
        lang: str,
        text: str,
        status: str = "admitted",
        note: str = "",
        origin: str = "user",
        conn: Connection | None = None,
    ) -> StoredTerm:
        """Add a term to an existing concept, or change the status and note of the same
        (concept, language, text) when it is already there. A preferred term demotes the
        concept's other preferred term in that language to admitted."""
        lang, text, status = check_lang(lang), check_text(text), check_status(status)
        if origin not in ORIGINS:
            raise UsageError(f"term origin {origin!r} is not one of {', '.join(ORIGINS)}")
        if conn is None:
            with self.store.begin() as own:
                term_id = self._put_term(own, concept_id, lang, text, status, note, origin)
        else:
            term_id = self._put_term(conn, concept_id, lang, text, status, note, origin)
        return self.term(term_id) if conn is None else _term_in(conn, term_id)

    def update_term(self, term_id: int, changes: Mapping[str, Any]) -> StoredTerm:
        """Change a term's text, status or note (keeping one preferred per language)."""
        unknown = set(changes) - {"text", "status", "note"}
        if unknown:
            raise UsageError(f"cannot change {', '.join(sorted(unknown))} of a term")
        t = schema.terms.c
        with self.store.begin() as conn:
            row = conn.execute(select(schema.terms).where(t.id == term_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"no term with id {term_id}")
            values: dict[str, Any] = {}
            if "text" in changes:
                values["text"] = check_text(changes["text"])
                clash = conn.execute(
                    select(t.id).where(
                        t.concept_id == row.concept_id,
                        t.lang == row.lang,
                        t.text == values["text"],
                        t.id != term_id,
                    )
                ).first()
                if clash:
                    raise UsageError(
                        f"{row.concept_id} already has the {row.lang} term {values['text']!r}"
                    )
            if "status" in changes:
                values["status"] = check_status(changes["status"])
                if values["status"] == "preferred":
                    _demote(conn, row.concept_id, row.lang, keep=term_id)
            if "note" in changes:
                values["note"] = (changes["note"] or "").strip()
            if values:
                conn.execute(update(schema.terms).where(t.id == term_id).values(**values))
                _touch(conn, row.concept_id)
        return self.term(term_id)

    def delete_term(self, term_id: int) -> None:
        """Remove one term row; NotFoundError when there is none."""
        t = schema.terms.c
        with self.store.begin() as conn:
            row = conn.execute(select(t.concept_id).where(t.id == term_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"no term with id {term_id}")
            conn.execute(delete(schema.terms).where(t.id == term_id))
            _touch(conn, row.concept_id)

    def set_status(
        self, concept_id: str, lang: str, text: str, status: str, note: str | None = None
    ) -> StoredTerm:
        """Give (concept, language, text) this status, adding the row when needed."""
        t = schema.terms.c
        lang, text = check_lang(lang), check_text(text)
        with self.store.begin() as conn:
            row = conn.execute(
                select(t.id, t.note).where(
                    t.concept_id == concept_id, t.lang == lang, t.text == text
                )
            ).one_or_none()
            keep_note = note if note is not None else (row.note if row is not None else "")
            term_id = self._put_term(conn, concept_id, lang, text, check_status(status), keep_note)
        return self.term(term_id)

    # ---------------------------------------------------------------- bulk

    def replace(self, concepts: Iterable[ConceptRows]) -> tuple[int, int]:
        """Make each listed concept exactly as given (its row and its complete set of term
        rows), in one transaction: any problem and nothing changes. Concepts not listed are
        untouched. Returns (concepts, terms) written."""
        items = list(concepts)
        for item in items:
            _check_rows(item)
        c, t = schema.term_concepts.c, schema.terms.c
        written_terms = 0
        now = utcnow()
        with self.store.begin() as conn:
            for item in items:
                values = {
                    "type": item.type,
                    "subject": item.subject.strip(),
                    "note": item.note.strip(),
                    "entity_id": item.entity_id,
                    "updated": now,
                }
                if _exists(conn, item.id):
                    conn.execute(
                        update(schema.term_concepts).where(c.id == item.id).values(**values)
                    )
                    conn.execute(delete(schema.terms).where(t.concept_id == item.id))
                else:
                    conn.execute(
                        insert(schema.term_concepts).values(id=item.id, created=now, **values)
                    )
                if item.terms:
                    conn.execute(
                        insert(schema.terms),
                        [
                            {
                                "concept_id": item.id,
                                "lang": row.lang,
                                "text": row.text,
                                "status": row.status,
                                "note": row.note.strip(),
                                "origin": row.origin,
                                "created": now,
                            }
                            for row in item.terms
                        ],
                    )
                    written_terms += len(item.terms)
        return len(items), written_terms

    # ---------------------------------------------------------------- internals

    def _must(self, concept_id: str) -> StoredConcept:
        found = self.concept(concept_id)
        if found is None:
            raise NotFoundError(f"no termbase concept {concept_id!r}")
        return found

    def _put_term(
        self,
        conn: Connection,
        concept_id: str,
        lang: str,
        text: str,
        status: str,
        note: str,
        origin: str = "user",
    ) -> int:
        """Insert or update (concept, lang, text); returns the term id."""
        t = schema.terms.c
        if not _exists(conn, concept_id):
            raise NotFoundError(f"no termbase concept {concept_id!r}")
        existing = conn.execute(
            select(t.id).where(t.concept_id == concept_id, t.lang == lang, t.text == text)
        ).one_or_none()
        if status == "preferred":
            _demote(conn, concept_id, lang, keep=existing.id if existing else None)
        if existing is not None:
            term_id = int(existing.id)
            conn.execute(
                update(schema.terms)
                .where(t.id == term_id)
                .values(status=status, note=(note or "").strip())
            )
        else:
            term_id = _new_id(
                conn.execute(
                    insert(schema.terms).values(
                        concept_id=concept_id,
                        lang=lang,
                        text=text,
                        status=status,
                        note=(note or "").strip(),
                        origin=origin,
                        created=utcnow(),
                    )
                )
            )
        _touch(conn, concept_id)
        return term_id


def _exists(conn: Connection, concept_id: str) -> bool:
    c = schema.term_concepts.c
    return conn.execute(select(c.id).where(c.id == concept_id)).first() is not None


def _insert_concept(
    conn: Connection,
    concept_id: str,
    type: str,
    subject: str,
    note: str,
    entity_id: str | None,
) -> None:
    now = utcnow()
    conn.execute(
        insert(schema.term_concepts).values(
            id=concept_id,
            type=type,
            subject=(subject or "").strip(),
            note=(note or "").strip(),
            entity_id=entity_id,
            created=now,
            updated=now,
        )
    )


def _demote(conn: Connection, concept_id: str, lang: str, keep: int | None) -> None:
    """Every other preferred term of (concept, lang) becomes admitted."""
    t = schema.terms.c
    stmt = (
        update(schema.terms)
        .where(t.concept_id == concept_id, t.lang == lang, t.status == "preferred")
        .values(status="admitted")
    )
    if keep is not None:
        stmt = stmt.where(t.id != keep)
    conn.execute(stmt)


def _touch(conn: Connection, concept_id: str) -> None:
    c = schema.term_concepts.c
    conn.execute(update(schema.term_concepts).where(c.id == concept_id).values(updated=utcnow()))


def _term_in(conn: Connection, term_id: int) -> StoredTerm:
    row = conn.execute(select(schema.terms).where(schema.terms.c.id == term_id)).one()
    return _term(row)


def _check_rows(item: ConceptRows) -> None:
    """UsageError naming the concept when its rows are not a consistent set."""
    check_concept_id(item.id)
    check_type(item.type)
    seen: set[tuple[str, str]] = set()
    preferred: set[str] = set()
    for row in item.terms:
        check_lang(row.lang)
        check_status(row.status)
        if check_text(row.text) != row.text:
            raise UsageError(f"{item.id}: term {row.text!r} has spaces around it")
        if (row.lang, row.text) in seen:
            raise UsageError(f"{item.id}: the {row.lang} term {row.text!r} is listed twice")
        seen.add((row.lang, row.text))
        if row.status == "preferred":
            if row.lang in preferred:
                raise UsageError(f"{item.id}: two preferred {row.lang} terms")
            preferred.add(row.lang)


def _term(row: Any) -> StoredTerm:
    return StoredTerm(
        id=int(row.id),
        concept_id=row.concept_id,
        lang=row.lang,
        text=row.text,
        status=row.status,
        note=row.note or "",
        origin=row.origin or "user",
        created=row.created,
    )


def _concept(row: Any, terms: Iterable[StoredTerm]) -> StoredConcept:
    return StoredConcept(
        id=row.id,
        type=row.type,
        subject=row.subject or "",
        note=row.note or "",
        entity_id=row.entity_id,
        terms=tuple(terms),
        created=row.created,
        updated=row.updated,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _chunks(ids: Sequence[str]) -> Iterable[list[str]]:
    for at in range(0, len(ids), _CHUNK):
        yield list(ids[at : at + _CHUNK])


__all__ = [
    "CONCEPT_TYPES",
    "ConceptRows",
    "StoredConcept",
    "StoredTerm",
    "TermRow",
    "TermStore",
    "check_concept_id",
    "check_lang",
    "check_status",
    "check_text",
    "check_type",
]
