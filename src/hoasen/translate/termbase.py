"""The termbase: one concept model with the gazetteer, plus the office's own terms.

Three layers, merged per concept (see `concepts.merge`):

1. the **gazetteer**: every entity is a concept (its id is the concept id), its names per
   language are its terms (`name_xx` preferred, aliases admitted, garbled aliases and stripped
   Vietnamese exonyms forbidden: see `concepts.is_garbled` and `concepts.stripped_exonyms`);
2. the bundled **office terms** (data/termbase/office_terms.csv: titles, bodies, programmes,
   publications, with vi/en/zh terms);
3. the **database** rows (`store.termbase.TermStore`): terms the office added or changed. A
   stored term overrides the same (language, text) of the layers below; a stored preferred
   term demotes theirs to admitted. Removing stored rows brings the layers below back.

`Termbase` is what the desk, the CLI and the web call: listing and editing concepts, TBX/CSV
import and export (all or nothing), a `Glossary` for a language pair (for enforcement and QA),
`find` (terms in a text) and `suggest` (Hán-Việt and pinyin for a new Chinese name, with what
the termbase already knows). It caches the merged concepts and rebuilds them when the database
changes (checked at most every `max_age` seconds) or after its own writes.
"""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store
from hoasen.store.termbase import (
    ConceptRows,
    StoredConcept,
    TermRow,
    TermStore,
    check_concept_id,
    check_status,
    check_text,
    check_type,
)
from hoasen.translate import termfile
from hoasen.translate.concepts import (
    Concept,
    ConceptTerm,
    Override,
    canonical_lang,
    difference,
    entity_concept,
    merge,
    office_concepts,
    same_language,
)
from hoasen.translate.hanviet import Suggestion
from hoasen.translate.hanviet import suggest as suggest_name
from hoasen.translate.termfind import Occurrence, TermFinder, term_key
from hoasen.translate.types import Glossary, GlossaryEntry, longest_first

FORMATS = ("tbx", "csv")


@dataclass(frozen=True)
class ImportResult:
    """What an import did: concepts and terms in the file, and term rows stored (those that
    differ from the gazetteer and office layers)."""

    format: str
    concepts: int
    terms: int
    stored: int

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "concepts": self.concepts,
            "terms": self.terms,
            "stored": self.stored,
        }


class Termbase:
    """The merged termbase of one database (or of the bundled layers alone, `store=None`)."""

    def __init__(
        self,
        store: Store | None,
        gazetteer: Gazetteer | None = None,
        office: Sequence[Concept] | None = None,
        max_age: float = 2.0,
    ) -> None:
        self.store = store
        self.rows = TermStore(store) if store is not None else None
        if gazetteer is None:
            gazetteer = _gazetteer_for(store)
        self.gazetteer = gazetteer
        self._office = list(office) if office is not None else office_concepts()
        self.max_age = max_age
        self._base: dict[str, Concept] | None = None
        self._concepts: dict[str, Concept] = {}
        self._version: object = None
        self._checked = 0.0
        self._glossaries: dict[tuple[str, str], Glossary] = {}
        self._finders: dict[str, TermFinder] = {}
        self._by_zh: dict[str, str] | None = None

    # ---------------------------------------------------------------- the merged view

    def base(self) -> dict[str, Concept]:
        """The gazetteer's and the office's concepts, without the database."""
        if self._base is None:
            base: dict[str, Concept] = {c.id: c for c in self._office}
            for entity in self.gazetteer:
                base[entity.id] = entity_concept(entity)
            self._base = base
        return self._base

    def all(self) -> dict[str, Concept]:
        """Every concept by id (office terms, gazetteer entities, then the database's own)."""
        now = time.monotonic()
        if self._version is not None and now - self._checked < self.max_age:
            return self._concepts
        self._checked = now
        version = self.rows.version() if self.rows is not None else "bundled"
        if version != self._version:
            self._concepts = self._merge()
            self._version = version
            self._glossaries.clear()
            self._finders.clear()
            self._by_zh = None
        return self._concepts

    def refresh(self) -> None:
        """Forget the cached view (the next call reads the database again)."""
        self._version = None

    def _merge(self) -> dict[str, Concept]:
        base = self.base()
        stored = self.rows.concepts() if self.rows is not None else []
        overrides = {c.id: _override(c) for c in stored}
        out: dict[str, Concept] = {}
        for concept_id, concept in base.items():
            merged = merge(concept, concept_id, overrides.get(concept_id))
            if merged is not None:
                out[concept_id] = merged
        for concept_id, override in overrides.items():
            if concept_id not in base:
                merged = merge(None, concept_id, override)
                if merged is not None:
                    out[concept_id] = merged
        return out

    def __len__(self) -> int:
        return len(self.all())

    # ---------------------------------------------------------------- reading

    def concepts(
        self,
        query: str | None = None,
        lang: str | None = None,
        type: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> list[Concept]:
        """Concepts in termbase order. `query` matches an id or any term, ignoring case and
        diacritics ("Quang Ninh" finds Quảng Ninh); `lang` keeps concepts with a term in that
        language; `type` is PER, LOC, ORG or TERM."""
        found = self._filter(query, lang, type)
        end = None if limit is None else offset + limit
        return found[offset:end]

    def count(
        self, query: str | None = None, lang: str | None = None, type: str | None = None
    ) -> int:
        """How many concepts `concepts` would list without a limit."""
        return len(self._filter(query, lang, type))

    def _filter(self, query: str | None, lang: str | None, type: str | None) -> list[Concept]:
        items = list(self.all().values())
        if type:
            wanted = check_type(type)
            items = [c for c in items if c.type == wanted]
        if lang:
            tag = canonical_lang(lang)
            items = [c for c in items if c.in_lang(tag)]
        if query and query.strip():
            key = term_key(query)
            raw = query.strip().lower()
            items = [
                c
                for c in items
                if raw in c.id.lower() or any(key in term_key(t.text) for t in c.terms)
            ]
        return items

    def concept(self, concept_id: str) -> Concept:
        """One concept; NotFoundError when there is none."""
        found = self.all().get(concept_id)
        if found is None:
            raise NotFoundError(f"no termbase concept {concept_id!r}")
        return found

    def terms(self, lang: str) -> list[tuple[Concept, ConceptTerm]]:
        """(concept, term) for every term in `lang` (any script of it)."""
        tag = canonical_lang(lang)
        return [(c, t) for c in self.all().values() for t in c.terms if same_language(t.lang, tag)]

    # ---------------------------------------------------------------- editing

    def _rows(self) -> TermStore:
        if self.rows is None:
            raise UsageError("this termbase has no database to write to")
        return self.rows

    def add_concept(
        self,
        concept_id: str,
        type: str = "TERM",
        terms: Sequence[tuple[str, str, str]] = (),
        subject: str = "",
        note: str = "",
    ) -> Concept:
        """A new concept of the office with its terms, as (lang, text, status); UsageError when
        the id is taken (by the gazetteer, the office terms or the database)."""
        check_concept_id(concept_id)
        if concept_id in self.all():
            raise UsageError(f"concept {concept_id!r} already exists")
        rows = [
            TermRow(canonical_lang(lang), check_text(text), check_status(status), origin="user")
            for lang, text, status in terms
        ]
        self._rows().replace(
            [ConceptRows(concept_id, check_type(type), subject, note, None, tuple(rows))]
        )
        return self._changed(concept_id)

    def update_concept(self, concept_id: str, **changes: Any) -> Concept:
        """Change a concept's type, subject or note (a gazetteer or office concept gets a row)."""
        concept = self.concept(concept_id)
        self._ensure_row(concept)
        self._rows().update_concept(concept_id, changes)
        return self._changed(concept_id)

    def delete_concept(self, concept_id: str) -> Concept | None:
        """Remove the database's rows of a concept; returns what is left (the gazetteer's or
        office's concept as bundled), or None when the concept was the database's alone."""
        self._rows().delete_concept(concept_id)
        self.refresh()
        return self.all().get(concept_id)

    def add_term(
        self, concept_id: str, lang: str, text: str, status: str = "admitted", note: str = ""
    ) -> Concept:
        """Add a term to a concept, or set the status and note of the same (language, text).
        A preferred term demotes the concept's other preferred term in that language."""
        concept = self.concept(concept_id)
        self._ensure_row(concept)
        self._rows().add_term(concept_id, canonical_lang(lang), text, status, note)
        return self._changed(concept_id)

    def set_status(self, concept_id: str, lang: str, text: str, status: str) -> Concept:
        """Give a term of the concept this status (a gazetteer or office term gets an
        overriding row): "Ton Nghiep Le" forbidden, "Sun Yeli" preferred..."""
        concept = self.concept(concept_id)
        tag, clean = canonical_lang(lang), check_text(unicodedata.normalize("NFC", text))
        current = next((t for t in concept.in_lang(tag) if t.text == clean), None)
        self._ensure_row(concept)
        self._rows().set_status(
            concept_id, tag, clean, status, note=current.note if current else None
        )
        return self._changed(concept_id)

    def update_term(self, term_id: int, **changes: Any) -> Concept:
        """Change a stored term's text, status or note (by its row id)."""
        term = self._rows().update_term(term_id, changes)
        return self._changed(term.concept_id)

    def delete_term(self, term_id: int) -> Concept | None:
        """Remove a stored term row; a gazetteer or office term it overrode comes back."""
        term = self._rows().term(term_id)
        self._rows().delete_term(term_id)
        self.refresh()
        return self.all().get(term.concept_id)

    def _ensure_row(self, concept: Concept) -> None:
        rows = self._rows()
        if rows.concept(concept.id) is None:
            with rows.store.begin() as conn:
                rows.ensure_concept(conn, concept.id, concept.type, concept.entity_id)

    def _changed(self, concept_id: str) -> Concept:
        self.refresh()
        return self.concept(concept_id)

    # ---------------------------------------------------------------- files

    def import_file(self, path: Path | str) -> ImportResult:
        """Import a TBX-Basic or CSV file (by extension, else by content); all or nothing."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"{path}: cannot read ({exc.strerror})") from None
        return self.import_bytes(data, path.name)

    def import_bytes(
        self, data: bytes, name: str = "termbase", format: str | None = None
    ) -> ImportResult:
        """Import file contents. Each concept in the file is replaced by the file's version:
        its type, subject and note, and its terms (stored as the differences from the gazetteer
        and office layers). Any problem anywhere refuses the whole file."""
        fmt = format or termfile.detect_format(data, name)
        if fmt not in FORMATS:
            raise UsageError(f"unknown termbase format {fmt!r}: use tbx or csv")
        parsed = termfile.read_tbx(data, name) if fmt == "tbx" else termfile.read_csv(data, name)
        base = self.base()
        items: list[ConceptRows] = []
        for item in parsed:
            below = base.get(item.id)
            wanted = item.concept(item.type or (below.type if below else "TERM"))
            rows = difference(below, wanted)
            items.append(
                ConceptRows(
                    id=wanted.id,
                    type=wanted.type,
                    subject=wanted.subject if not below or wanted.subject != below.subject else "",
                    note=wanted.note if not below or wanted.note != below.note else "",
                    entity_id=below.entity_id if below else None,
                    terms=tuple(TermRow(t.lang, t.text, t.status, t.note, "import") for t in rows),
                )
            )
        _, stored = self._rows().replace(items)
        self.refresh()
        return ImportResult(fmt, len(parsed), sum(len(p.terms) for p in parsed), stored)

    def export(self, format: str = "tbx", scope: str = "all") -> bytes:
        """The termbase as TBX-Basic or CSV bytes. `scope` all: every concept as the desk sees
        it (gazetteer, office terms and the database merged); custom: only concepts the
        database changes or adds."""
        if format not in FORMATS:
            raise UsageError(f"unknown termbase format {format!r}: use tbx or csv")
        concepts = list(self.all().values())
        if scope == "custom":
            stored = {c.id for c in self.rows.concepts()} if self.rows is not None else set()
            concepts = [c for c in concepts if c.id in stored]
        elif scope != "all":
            raise UsageError(f"unknown export scope {scope!r}: use all or custom")
        return termfile.write_tbx(concepts) if format == "tbx" else termfile.write_csv(concepts)

    # ---------------------------------------------------------------- use

    def glossary(self, source_lang: str, target_lang: str) -> Glossary:
        """The termbase as seen from one language pair, for enforcement and QA.

        An entry per concept that has a name in the source language and a preferred (else an
        admitted) term in the target: `sources` are all its source-language names (preferred,
        admitted and forbidden alike: a garbled source still names the concept; zh-Hans and
        zh-Hant together), longest first; `target` the term to write; `forbidden` the target
        variants never to write; `admitted` the other acceptable target forms.
        """
        src, tgt = canonical_lang(source_lang), canonical_lang(target_lang)
        concepts = self.all()
        cached = self._glossaries.get((src, tgt))
        if cached is not None:
            return cached
        entries: list[GlossaryEntry] = []
        for concept in concepts.values():
            sources = [t.text for t in concept.terms if same_language(t.lang, src)]
            if not sources:
                continue
            target = concept.preferred(tgt)
            if target is None:
                continue
            wanted = concept.in_lang(tgt)
            entries.append(
                GlossaryEntry(
                    concept=concept.id,
                    sources=longest_first(sources),
                    target=target.text,
                    forbidden=tuple(t.text for t in wanted if t.status == "forbidden"),
                    admitted=tuple(
                        t.text for t in wanted if t.status != "forbidden" and t.text != target.text
                    ),
                    type=concept.type,
                )
            )
        glossary = Glossary(src, tgt, tuple(entries))
        self._glossaries[(src, tgt)] = glossary
        return glossary

    def finder(self, lang: str) -> TermFinder:
        """The compiled matcher for one language (built once per termbase version)."""
        tag = canonical_lang(lang)
        concepts = self.all()
        key = tag.split("-")[0]
        finder = self._finders.get(key)
        if finder is None:
            finder = self._finders[key] = TermFinder(concepts.values(), tag)
        return finder

    def find(self, text: str, lang: str) -> list[Occurrence]:
        """The termbase's terms in a text written in `lang`: concept, offsets (NFC), the term
        matched and its status (a forbidden variant shows as such)."""
        return self.finder(lang).find(text)

    def suggest(self, name: str, kind: str | None = None) -> Suggestion:
        """Hán-Việt and pinyin for a Chinese name, with the terms the termbase already has for
        it (`known`, every language) when a concept has this very name in Chinese."""
        name = unicodedata.normalize("NFC", (name or "").strip())
        if not name:
            raise UsageError("give a Chinese name to suggest readings for")
        suggestion = suggest_name(name, kind, self._lookup)
        concept = self._concept_named(name)
        if concept is None:
            return suggestion
        known = tuple(t.as_term(concept.id) for t in concept.terms)
        return replace(suggestion, known=known, concept=concept.id)

    def _concept_named(self, zh: str) -> Concept | None:
        concepts = self.all()
        if self._by_zh is None:
            index: dict[str, str] = {}
            for concept in concepts.values():
                for term in concept.terms:
                    if term.lang.startswith("zh") and term.status != "forbidden":
                        index.setdefault(term.text, concept.id)
            self._by_zh = index
        concept_id = self._by_zh.get(zh)
        return concepts.get(concept_id) if concept_id else None

    def _lookup(self, zh: str) -> dict[str, str] | None:
        concept = self._concept_named(zh)
        if concept is None:
            return None
        out = {"type": concept.type}
        for lang in ("vi", "en"):
            term = concept.preferred(lang)
            if term is not None:
                out[lang] = term.text
        return out


def _override(stored: StoredConcept) -> Override:
    return Override(
        type=stored.type,
        subject=stored.subject,
        note=stored.note,
        entity_id=stored.entity_id,
        terms=[ConceptTerm(t.lang, t.text, t.status, t.note, t.origin, t.id) for t in stored.terms],
    )


def _gazetteer_for(store: Store | None) -> Gazetteer:
    """The bundled gazetteer, plus the files imported into this database."""
    if store is None:
        return Gazetteer.load()
    from hoasen.analyze.pipeline import gazetteer_for  # the pipeline module is heavy

    return gazetteer_for(store)


__all__ = ["FORMATS", "ImportResult", "Termbase"]
