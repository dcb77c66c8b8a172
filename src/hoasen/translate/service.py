"""The translation desk's operations over one store: translate segments or an article (memory
first, then the engine with the termbase enforced, QA on every result), edit and approve stored
translations (approved segments enter the memory), and the termbase, memory and QA behind them.

What the Desk, the CLI and the web call; the parts it joins stay pure or keep their own tables.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.errors import UsageError
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.translations import NewSegment, StoredTranslation, TranslationStore
from hoasen.translate.enforce import Enforcer
from hoasen.translate.engines.registry import Engines
from hoasen.translate.memory import TranslationMemory
from hoasen.translate.qa import QA
from hoasen.translate.segment import split_paragraphs
from hoasen.translate.termbase import Termbase
from hoasen.translate.types import Flag, Glossary, Segment, base_lang

Progress = Callable[[int, int], None]
# A memory match this good is used as the translation, without asking an engine.
_EXACT = 1.0


@dataclass
class TranslateResult:
    """Segments translated from one language into another, with their QA flags."""

    engine: str
    source: str
    target: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def flagged(self) -> int:
        """Segments with an error or a warning."""
        return sum(1 for s in self.segments if _serious(s.flags))

    def as_json(self) -> dict[str, Any]:
        """The `hoasen translate --json` document."""
        return {
            "engine": self.engine,
            "from": self.source,
            "to": self.target,
            "segments": [s.as_json() for s in self.segments],
            "flagged": self.flagged,
            "total": len(self.segments),
        }


def _serious(flags: Sequence[Flag]) -> bool:
    return any(f.severity in ("error", "warning") for f in flags)


class TranslationDesk:
    """Translation, termbase, memory and QA over one store."""

    def __init__(self, store: Store, settings: Settings, gazetteer: Gazetteer) -> None:
        self.store = store
        self.settings = settings
        self.gazetteer = gazetteer
        self.engines = Engines(settings)
        self.records = TranslationStore(store)
        self._split_patterns: dict[tuple[str, ...], re.Pattern[str]] = {}

    @cached_property
    def termbase(self) -> Termbase:
        """The termbase: the gazetteer's entities plus the office's terms and overrides."""
        return Termbase(self.store, self.gazetteer)

    @cached_property
    def memory(self) -> TranslationMemory:
        """The translation memory of this store."""
        return TranslationMemory(self.store)

    @cached_property
    def checker(self) -> QA:
        """The QA checks (their matchers are built once per glossary)."""
        from hoasen.analyze.language import make_detector

        return QA(detector=make_detector(self.settings))

    def glossary(self, source: str, target: str) -> Glossary:
        """The termbase seen from one language pair (the termbase rebuilds it after a change)."""
        return self.termbase.glossary(source, target)

    # ---------------------------------------------------------------- translating

    def translate_segments(
        self,
        sources: Sequence[str],
        source: str,
        target: str,
        engine: str | None = None,
        termbase: bool = True,
        memory: bool = True,
        progress: Progress | None = None,
    ) -> TranslateResult:
        """Translate plain segments: an exact memory match first, else the engine (termbase
        names protected unless `termbase` is off), then QA on every segment."""
        source, target = _lang(source, "from"), _lang(target, "to")
        if base_lang(source) == base_lang(target):
            raise UsageError(f"the text is already in {target}: choose another --to language")
        # QA always checks the termbase's names; `termbase` only decides whether the engine is
        # made to keep them.
        glossary = self.glossary(source, target)
        segments = [Segment(s) for s in sources]
        todo: list[int] = []
        for n, seg in enumerate(segments):
            if not seg.source.strip():
                continue
            match = self._remembered(seg.source, source, target) if memory else None
            if match is not None:
                seg.target, seg.origin = match, "tm"
            else:
                todo.append(n)
        used = "tm" if not todo and segments else ""
        if todo:
            chosen = self.engines.for_pair(source, target, engine)
            used = getattr(chosen, "name", engine or "engine")
            texts = [segments[n].source for n in todo]
            done = 0

            def call(batch: list[str]) -> list[str]:
                nonlocal done
                out = chosen.translate(batch, source, target, glossary if termbase else None)
                done += len(batch)
                if progress is not None:
                    progress(min(done, len(texts)), len(texts))
                return out

            if termbase and len(glossary):
                for n, enforced in zip(
                    todo, Enforcer(glossary).translate(texts, call), strict=True
                ):
                    segments[n].target = enforced.target
                    segments[n].flags.extend(enforced.flags)
                    segments[n].origin = f"engine:{used}"
            else:
                for n, text in zip(todo, call(texts), strict=True):
                    segments[n].target, segments[n].origin = text, f"engine:{used}"
        for seg in segments:
            if seg.source.strip():
                seg.flags.extend(
                    self.checker.check_segment(seg.source, seg.target, source, target, glossary)
                )
        return TranslateResult(
            engine=used or (engine or ""), source=source, target=target, segments=segments
        )

    def _remembered(self, text: str, source: str, target: str) -> str | None:
        for match in self.memory.lookup(text, source, target, limit=1, min_score=_EXACT):
            if match.state == "approved":
                return match.target
        return None

    def translate_article(
        self,
        article_id: int,
        target: str,
        engine: str | None = None,
        termbase: bool = True,
        by: str = "",
        progress: Progress | None = None,
    ) -> StoredTranslation:
        """Translate a stored article (title, then its sentences paragraph by paragraph) and
        keep the result as a draft translation linked to it."""
        article = self.store.get_article(article_id)
        if not article.language:
            raise UsageError(f"article {article_id} has no known language: set it first")
        pieces = split_paragraphs(article.text, article.language)
        sources = [article.title or "", *(p.text for p in pieces)]
        paragraphs = [0, *(p.paragraph + 1 for p in pieces)]
        result = self.translate_segments(
            sources, article.language, target, engine, termbase, progress=progress
        )
        new_id = self.records.create(
            article_id,
            result.source,
            result.target,
            result.engine or "human",
            [
                NewSegment(
                    paragraph=paragraph,
                    source=seg.source,
                    target=seg.target,
                    origin=seg.origin,
                    flags=[f.as_json() for f in seg.flags],
                )
                for paragraph, seg in zip(paragraphs, result.segments, strict=True)
            ],
            created_by=by,
        )
        return self.records.get(new_id)

    # ---------------------------------------------------------------- editing

    def edit(self, translation_id: int, targets: dict[int, str]) -> StoredTranslation:
        """Save an editor's targets for some segments, QA them again, and return the result."""
        found = self.records.get(translation_id)
        by_position = {s.position: s for s in found.segments}
        glossary = self.glossary(found.source_lang, found.lang)
        checked: dict[int, tuple[str, Sequence[dict[str, str]]]] = {}
        for position, text in targets.items():
            seg = by_position.get(position)
            if seg is None:
                raise UsageError(f"translation {translation_id} has no segment {position}")
            flags = self.checker.check_segment(
                seg.source, text, found.source_lang, found.lang, glossary
            )
            checked[position] = (text, [f.as_json() for f in flags])
        self.records.save_segments(translation_id, checked)
        return self.records.get(translation_id)

    def set_status(self, translation_id: int, status: str, by: str) -> StoredTranslation:
        """Move a translation through draft → reviewed → approved; an approved translation's
        segments enter the memory (approved, attributed to `by`)."""
        found = self.records.get(translation_id)
        if status == "approved":
            empty = [
                s.position for s in found.segments if s.source.strip() and not s.target.strip()
            ]
            if empty:
                raise UsageError(
                    f"segments {', '.join(map(str, empty[:10]))} have no translation yet"
                )
        self.records.set_status(translation_id, status, by)
        if status == "approved":
            for seg in found.segments:
                if seg.source.strip() and seg.target.strip():
                    self.memory.add(
                        seg.source,
                        seg.target,
                        found.source_lang,
                        found.lang,
                        state="approved",
                        origin="human" if seg.origin in ("human", "tm") else seg.origin,
                        created_by=by,
                    )
        return self.records.get(translation_id)

    def suggestions(self, translation_id: int, position: int) -> dict[str, Any]:
        """What the editor is offered for one segment: memory matches (exact and fuzzy)."""
        found = self.records.get(translation_id)
        seg = next((s for s in found.segments if s.position == position), None)
        if seg is None:
            raise UsageError(f"translation {translation_id} has no segment {position}")
        matches = self.memory.lookup(seg.source, found.source_lang, found.lang, limit=5)
        return {
            "position": position,
            "source": seg.source,
            "memory": [m.as_json() for m in matches],
        }

    # ---------------------------------------------------------------- termbase and memory

    def list_terms(
        self, query: str | None = None, lang: str | None = None, limit: int = 50
    ) -> tuple[list[dict[str, Any]], int]:
        """Concepts (as JSON objects) matching a name in any language, and how many match."""
        found = self.termbase.concepts(query, lang, limit=limit)
        return [c.as_json() for c in found], self.termbase.count(query, lang)

    def add_term(
        self,
        concept: str,
        lang: str,
        text: str,
        status: str = "preferred",
        type: str = "TERM",
        note: str = "",
    ) -> str:
        """Add a term to a concept named by id or by one of its terms; a name the termbase does
        not know becomes a new office concept ("term.<slug>"). Returns the concept's id."""
        if not concept.strip() or not text.strip():
            raise UsageError("a term needs a concept (id or name) and its text")
        known = self.termbase.all()
        concept_id = concept if concept in known else None
        if concept_id is None:
            matches = self.termbase.concepts(concept, limit=None)
            exact = [
                c for c in matches if any(t.text.casefold() == concept.casefold() for t in c.terms)
            ]
            concept_id = exact[0].id if exact else None
        if concept_id is None:
            concept_id = _new_concept_id(concept, known)
            self.termbase.add_concept(concept_id, type, [(lang, text, status)], note=note)
            return concept_id
        self.termbase.add_term(concept_id, lang, text, status, note)
        return concept_id

    def import_terms(self, path: Path) -> dict[str, Any]:
        """Import a TBX-Basic or CSV file into the termbase: all of it or nothing."""
        return self.termbase.import_file(path).as_json()

    def import_terms_bytes(self, data: bytes, name: str) -> dict[str, Any]:
        """Import an uploaded TBX-Basic or CSV file's contents: all of it or nothing."""
        return self.termbase.import_bytes(data, name).as_json()

    def export_terms(self, path: Path, fmt: str = "tbx", everything: bool = False) -> int:
        """Write the termbase (the office's own concepts, or `everything` with the gazetteer's)
        as TBX-Basic or CSV; returns how many concepts were written."""
        scope = "all" if everything else "custom"
        data = self.termbase.export(fmt, scope)
        path.write_bytes(data)
        if everything:
            return self.termbase.count()
        rows = self.termbase.rows
        return len(rows.concepts()) if rows is not None else 0

    def suggest(self, name: str) -> dict[str, Any]:
        """Hán-Việt and pinyin forms of a Chinese name, with what the termbase already knows."""
        return self.termbase.suggest(name).as_json()

    def check_names(self, text: str, lang: str) -> list[dict[str, Any]]:
        """Forbidden name variants in a published text (no source needed), each with the
        preferred term to write instead: "Ton Nghiep Le" → "Sun Yeli". A forbidden name split
        by an administrative word, as machine translation does ("Phuc province Kien" for
        "Phuc Kien" = Fujian), is found too."""
        lang = _lang(lang, "lang")
        found: list[dict[str, Any]] = []
        concepts = self.termbase.all()
        for occ in self.termbase.find(text, lang):
            if occ.status == "forbidden":
                found.append(
                    _name_finding(occ.surface, occ.start, occ.end, concepts[occ.concept], lang)
                )
        taken = [(f["start"], f["end"]) for f in found]
        for concept, term in self.termbase.terms(lang):
            words = term.text.split()
            if term.status != "forbidden" or len(words) < 2:
                continue
            key = tuple(words)
            pattern = self._split_patterns.get(key)
            if pattern is None:
                pattern = self._split_patterns[key] = _split_name(words)
            for m in pattern.finditer(text):
                if not any(a < m.end() and m.start() < b for a, b in taken):
                    found.append(_name_finding(m.group(0), m.start(), m.end(), concept, lang))
        return sorted(found, key=lambda f: f["start"])

    def import_memory(self, path: Path, by: str = "") -> dict[str, Any]:
        """Import a TMX file into the memory: all of it or nothing."""
        return self.memory.import_tmx(path, created_by=by).as_json()

    def export_memory(self, path: Path) -> int:
        """Write the whole memory as TMX 1.4b; returns how many segment pairs."""
        data = self.memory.export_tmx()
        path.write_bytes(data)
        return sum(1 for _ in self.memory.repo.iter_entries(None, None))

    # ---------------------------------------------------------------- QA

    def check(
        self, sources: Sequence[str], targets: Sequence[str], source: str, target: str
    ) -> list[list[Flag]]:
        """QA of line-aligned sources and targets (missing or extra lines are flagged)."""
        source, target = _lang(source, "src-lang"), _lang(target, "tgt-lang")
        return self.checker.check_document(
            list(sources), list(targets), source, target, self.glossary(source, target)
        )


# Words machine translation moves into the middle of a two-syllable name ("tỉnh Phúc Kiến" →
# "Phuc province Kien").
_ADMIN_WORDS = r"(?:province|city|district|county|prefecture|region|town|commune|ward)"


def _split_name(words: Sequence[str]) -> re.Pattern[str]:
    """Matches a name with an administrative word inside it, between any two of its words."""
    parts = [re.escape(w) for w in words]
    gaps = [
        r"\s+".join(parts[:cut]) + rf"\s+{_ADMIN_WORDS}\s+" + r"\s+".join(parts[cut:])
        for cut in range(1, len(parts))
    ]
    return re.compile(r"\b(?:" + "|".join(gaps) + r")\b", re.IGNORECASE)


def _name_finding(surface: str, start: int, end: int, concept: Any, lang: str) -> dict[str, Any]:
    preferred = concept.preferred(lang)
    return {
        "text": surface,
        "start": start,
        "end": end,
        "concept": concept.id,
        "preferred": preferred.text if preferred else None,
        "message": f"{surface!r} is a forbidden form"
        + (f"; write {preferred.text!r}" if preferred else ""),
    }


def _new_concept_id(name: str, known: Mapping[str, Any]) -> str:
    """A fresh "term.<slug>" id for an office concept named `name`."""
    from hoasen.analyze.gazetteer import fold

    slug = re.sub(r"[^a-z0-9]+", "-", fold(name)).strip("-")[:60]
    if not slug:  # a name in Chinese, Japanese or Korean only
        slug = hashlib.sha1(name.encode("utf-8")).hexdigest()[:10]
    candidate, n = f"term.{slug}", 2
    while candidate in known:
        candidate, n = f"term.{slug}-{n}", n + 1
    return candidate


def _lang(code: str, what: str) -> str:
    code = (code or "").strip()
    if not code or len(base_lang(code)) not in (2, 3) or not base_lang(code).isalpha():
        raise UsageError(f"--{what} needs a language code such as vi, en, zh, ja or ko")
    return code
