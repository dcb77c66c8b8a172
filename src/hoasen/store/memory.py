"""Reading and writing the translation memory (`tm_segments`): segment pairs with their
languages, quality state, origin, author and times.

Kept apart from `db.Store` but on the same engine. Lookups go by language *family*: a request
for zh finds zh, zh-Hans and zh-CN rows (never zh-Hant for zh-Hans); callers rank exact
language matches first. `source_key` is computed by the caller (`translate.memory.source_key`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, delete, func, insert, or_, select, update

from hoasen.errors import NotFoundError, UsageError
from hoasen.store import schema
from hoasen.store.db import Store, _new_id
from hoasen.store.schema import utcnow
from hoasen.translate.types import TRANSLATION_STATES, base_lang

_CHUNK = 500  # keys per IN (...) list
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")
_SCRIPTS = ("hans", "hant", "latn", "cyrl", "arab", "jpan", "kore")


def normalize_lang(lang: str) -> str:
    """A BCP 47 tag in its usual case: 'ZH-hans' -> 'zh-Hans', 'en_gb' -> 'en-GB'."""
    code = lang.strip()
    if not _LANG.match(code):
        raise UsageError(f"not a language code: {lang!r} (use vi, en, zh-Hans, en-GB ...)")
    parts = re.split(r"[-_]", code)
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.capitalize())
        elif len(part) == 2 and part.isalpha():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def _script(lang: str) -> str | None:
    for part in lang.lower().split("-")[1:]:
        if part in _SCRIPTS:
            return part
    return None


@lru_cache(maxsize=1024)
def same_family(wanted: str, stored: str) -> bool:
    """Whether a stored language serves a request: same base language, and no clash of
    scripts (zh-Hans never answers zh-Hant)."""
    if base_lang(wanted) != base_lang(stored):
        return False
    a, b = _script(wanted), _script(stored)
    return a is None or b is None or a == b


@dataclass(frozen=True)
class TMEntry:
    """One stored segment pair."""

    id: int
    source_lang: str
    target_lang: str
    source: str
    target: str
    source_key: str
    state: str
    origin: str
    created_by: str
    created: datetime
    updated: datetime
    note: str

    def as_json(self) -> dict[str, Any]:
        """JSON form for the CLI and the API."""
        out: dict[str, Any] = dict(self.__dict__)
        out.pop("source_key")
        out["created"] = self.created.isoformat()
        out["updated"] = self.updated.isoformat()
        return out


@dataclass(frozen=True)
class NewTMEntry:
    """A segment pair to store; `created`/`updated` default to now."""

    source_lang: str
    target_lang: str
    source: str
    target: str
    source_key: str
    state: str = "approved"
    origin: str = "human"
    created_by: str = ""
    note: str = ""
    created: datetime | None = None
    updated: datetime | None = None


def _entry(row: Any) -> TMEntry:
    m = row._mapping
    return TMEntry(
        id=int(m["id"]),
        source_lang=m["source_lang"],
        target_lang=m["target_lang"],
        source=m["source"],
        target=m["target"],
        source_key=m["source_key"],
        state=m["state"],
        origin=m["origin"],
        created_by=m["created_by"],
        created=m["created"],
        updated=m["updated"],
        note=m["note"],
    )


def _check(entry: NewTMEntry) -> NewTMEntry:
    """The entry with normalised languages; UsageError for a bad state, origin or language."""
    if entry.state not in TRANSLATION_STATES:
        raise UsageError(
            f"unknown state {entry.state!r} (use one of {', '.join(TRANSLATION_STATES)})"
        )
    if len(entry.origin) > 50:
        raise UsageError(f"origin {entry.origin[:60]!r} is longer than 50 characters")
    if len(entry.created_by) > 100:
        raise UsageError("created_by is longer than 100 characters")
    if len(entry.source_key) != 64:
        raise UsageError("source_key must be a 64-character hash")
    return NewTMEntry(
        normalize_lang(entry.source_lang),
        normalize_lang(entry.target_lang),
        entry.source,
        entry.target,
        entry.source_key,
        entry.state,
        entry.origin,
        entry.created_by,
        entry.note,
        entry.created,
        entry.updated,
    )


def _identity(e: NewTMEntry) -> tuple[str, str, str, str]:
    return (e.source_lang, e.target_lang, e.source, e.target)


def _row(e: NewTMEntry) -> dict[str, Any]:
    when = e.updated or utcnow()
    return {
        "source_lang": e.source_lang,
        "target_lang": e.target_lang,
        "source": e.source,
        "target": e.target,
        "source_key": e.source_key,
        "state": e.state,
        "origin": e.origin,
        "created_by": e.created_by,
        "created": e.created or when,
        "updated": when,
        "note": e.note,
    }


def _changes(e: NewTMEntry) -> dict[str, Any]:
    """What storing a pair again changes: its state, time and (when given) note."""
    values: dict[str, Any] = {"state": e.state, "updated": e.updated or utcnow()}
    if e.note:
        values["note"] = e.note
    return values


class MemoryStore:
    """The translation memory of one Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # ---------------------------------------------------------------- writing

    def add(self, entry: NewTMEntry) -> tuple[int, bool]:
        """Store one pair, or update the state (and note) of the same pair+source+target;
        returns (id, True when a new row was made)."""
        e = _check(entry)
        t = schema.tm_segments
        with self.store.begin() as conn:
            found = self._existing(conn, [e]).get(_identity(e))
            if found is not None:
                conn.execute(update(t).where(t.c.id == found).values(**_changes(e)))
                return found, False
            return _new_id(conn.execute(insert(t).values(**_row(e)))), True

    def add_many(self, entries: Iterable[NewTMEntry]) -> tuple[int, int]:
        """Store many pairs in one transaction (all or nothing); returns (added, updated).
        A pair given twice counts once, its later state winning."""
        checked = [_check(e) for e in entries]
        if not checked:
            return 0, 0
        t = schema.tm_segments
        with self.store.begin() as conn:
            existing = self._existing(conn, checked)
            updates: dict[int, NewTMEntry] = {}
            new: dict[tuple[str, str, str, str], NewTMEntry] = {}
            for e in checked:
                key = _identity(e)
                if key in existing:
                    updates[existing[key]] = e
                else:
                    new[key] = e
            for entry_id, e in updates.items():
                conn.execute(update(t).where(t.c.id == entry_id).values(**_changes(e)))
            rows = [_row(e) for e in new.values()]
            for at in range(0, len(rows), _CHUNK):
                conn.execute(insert(t), rows[at : at + _CHUNK])
        return len(new), len(updates)

    def _existing(
        self, conn: Connection, entries: Sequence[NewTMEntry]
    ) -> dict[tuple[str, str, str, str], int]:
        """Ids of stored rows with the same pair, source and target as any of `entries`."""
        c = schema.tm_segments.c
        keys = sorted({e.source_key for e in entries})
        out: dict[tuple[str, str, str, str], int] = {}
        for at in range(0, len(keys), _CHUNK):
            rows = conn.execute(
                select(c.id, c.source_lang, c.target_lang, c.source, c.target).where(
                    c.source_key.in_(keys[at : at + _CHUNK])
                )
            )
            for r in rows:
                out[(r.source_lang, r.target_lang, r.source, r.target)] = int(r.id)
        return out

    def set_state(self, entry_id: int, state: str) -> TMEntry:
        """Change one entry's quality state."""
        if state not in TRANSLATION_STATES:
            raise UsageError(f"unknown state {state!r}")
        t = schema.tm_segments
        with self.store.begin() as conn:
            done = conn.execute(
                update(t).where(t.c.id == entry_id).values(state=state, updated=utcnow())
            )
        if not done.rowcount:
            raise NotFoundError(f"no translation memory entry {entry_id}")
        return self.get(entry_id)

    def delete(self, entry_id: int) -> None:
        """Remove one entry."""
        t = schema.tm_segments
        with self.store.begin() as conn:
            done = conn.execute(delete(t).where(t.c.id == entry_id))
        if not done.rowcount:
            raise NotFoundError(f"no translation memory entry {entry_id}")

    def delete_all(self, source_lang: str | None = None, target_lang: str | None = None) -> int:
        """Remove every entry (of one language pair when given); returns how many."""
        t = schema.tm_segments
        with self.store.begin() as conn:
            done = conn.execute(delete(t).where(*self._pair(source_lang, target_lang)))
        return int(done.rowcount or 0)

    # ---------------------------------------------------------------- reading

    def get(self, entry_id: int) -> TMEntry:
        """One entry by id."""
        t = schema.tm_segments
        with self.engine.connect() as conn:
            row = conn.execute(select(t).where(t.c.id == entry_id)).first()
        if row is None:
            raise NotFoundError(f"no translation memory entry {entry_id}")
        return _entry(row)

    def exact(self, source_lang: str, target_lang: str, source_key: str) -> list[TMEntry]:
        """Entries of the language pair (by family) whose source has this key."""
        t = schema.tm_segments
        query = select(t).where(t.c.source_key == source_key, *self._pair(source_lang, target_lang))
        with self.engine.connect() as conn:
            rows = [_entry(r) for r in conn.execute(query.order_by(t.c.id))]
        return [
            r
            for r in rows
            if same_family(source_lang, r.source_lang) and same_family(target_lang, r.target_lang)
        ]

    def candidates(
        self,
        source_lang: str,
        target_lang: str,
        min_length: int,
        max_length: int,
        contains_any: Sequence[str] = (),
        limit: int = 20_000,
    ) -> list[tuple[int, str]]:
        """(id, source) of entries of the pair whose source is `min_length`..`max_length`
        characters long and, when words are given, contains one of them (case-insensitive for
        ASCII): the few a fuzzy lookup then scores. At most `limit`, in no particular order;
        read the chosen ones whole with `get_many`."""
        c = schema.tm_segments.c
        query = select(c.id, c.source, c.source_lang, c.target_lang).where(
            *self._pair(source_lang, target_lang),
            func.length(c.source) >= min_length,
            func.length(c.source) <= max_length,
        )
        if contains_any:
            query = query.where(
                or_(
                    *(
                        func.lower(c.source).contains(w.lower(), autoescape=True)
                        for w in contains_any
                    )
                )
            )
        with self.engine.connect() as conn:
            rows = conn.execute(query.limit(limit)).all()
        return [
            (int(r.id), r.source)
            for r in rows
            if same_family(source_lang, r.source_lang) and same_family(target_lang, r.target_lang)
        ]

    def get_many(self, ids: Sequence[int]) -> list[TMEntry]:
        """The entries with these ids (those that exist), in the order given."""
        t = schema.tm_segments
        found: dict[int, TMEntry] = {}
        with self.engine.connect() as conn:
            for at in range(0, len(ids), _CHUNK):
                part = list(ids[at : at + _CHUNK])
                found.update(
                    (e.id, e) for e in map(_entry, conn.execute(select(t).where(t.c.id.in_(part))))
                )
        return [found[i] for i in ids if i in found]

    def entries(
        self,
        source_lang: str | None = None,
        target_lang: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[TMEntry]:
        """Entries in id order, filtered by pair (family) and state."""
        return list(self.iter_entries(source_lang, target_lang, state, limit, offset))

    def iter_entries(
        self,
        source_lang: str | None = None,
        target_lang: str | None = None,
        state: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        batch: int = 1000,
    ) -> Iterator[TMEntry]:
        """Like `entries`, read in batches (for exporting a large memory)."""
        t = schema.tm_segments
        conditions = list(self._pair(source_lang, target_lang))
        if state is not None:
            conditions.append(t.c.state == state)
        last = 0
        given = 0
        skipped = 0
        while True:
            query = select(t).where(t.c.id > last, *conditions).order_by(t.c.id).limit(batch)
            with self.engine.connect() as conn:
                rows = [_entry(r) for r in conn.execute(query)]
            if not rows:
                return
            for r in rows:
                last = r.id
                if source_lang and not same_family(source_lang, r.source_lang):
                    continue
                if target_lang and not same_family(target_lang, r.target_lang):
                    continue
                if skipped < offset:
                    skipped += 1
                    continue
                if limit is not None and given >= limit:
                    return
                given += 1
                yield r

    def count(
        self,
        source_lang: str | None = None,
        target_lang: str | None = None,
        state: str | None = None,
    ) -> int:
        """How many entries (of a pair, family-wide; of a state)."""
        t = schema.tm_segments
        conditions = list(self._pair(source_lang, target_lang))
        if state is not None:
            conditions.append(t.c.state == state)
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(t).where(*conditions)
            return int(conn.execute(query).scalar_one())

    def pairs(self) -> list[tuple[str, str, int]]:
        """(source language, target language, entries) for every pair stored."""
        c = schema.tm_segments.c
        query = (
            select(c.source_lang, c.target_lang, func.count())
            .group_by(c.source_lang, c.target_lang)
            .order_by(c.source_lang, c.target_lang)
        )
        with self.engine.connect() as conn:
            return [(s, t, int(n)) for s, t, n in conn.execute(query)]

    @staticmethod
    def _pair(source_lang: str | None, target_lang: str | None) -> list[ColumnElement[bool]]:
        """SQL conditions for a language pair by family (script clashes are removed after)."""
        c = schema.tm_segments.c
        out: list[ColumnElement[bool]] = []
        for col, lang in ((c.source_lang, source_lang), (c.target_lang, target_lang)):
            if lang:
                base = base_lang(lang)
                out.append(or_(col == base, col.like(f"{base}-%")))
        return [and_(*out)] if out else []
