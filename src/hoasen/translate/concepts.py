"""The termbase's concept model, shared with the gazetteer.

A concept is one thing with names: a gazetteer entity (its id is the concept id; its names per
language are its terms) or an office term (a title, a body, a programme: "Chủ tịch UBND tỉnh" =
"Chairman of the Provincial People's Committee"). Each term has a language (BCP 47: vi, en,
zh-Hans, zh-Hant, ja, ko) and a status:

- **preferred**: the one form to write in that language (at most one per concept and language);
- **admitted**: acceptable, recognised in sources, but not what the desk writes;
- **forbidden**: a known wrong form. Never written; QA flags it in a translation.

Where the gazetteer's names come from: `name_xx` is preferred, an alias is admitted — except an
alias that is a *garbling* (see `is_garbled`), which is forbidden. The gazetteer keeps such
aliases ("en:Ton Nghiep Le" for Sun Yeli) so that the recogniser links them to the entity; the
termbase knows them as what a careless translation writes and QA must catch.

Plain data and pure functions: no database here.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from hoasen.analyze.gazetteer import Entity
from hoasen.errors import UsageError
from hoasen.translate.types import TERM_STATUSES, Term, base_lang

STATUS_RANK = {"preferred": 0, "admitted": 1, "forbidden": 2}
_HANT_REGIONS = frozenset({"TW", "HK", "MO"})
_LANG = re.compile(r"^[a-z]{2,3}$")
_SCRIPT = re.compile(r"^[A-Za-z]{4}$")
_REGION = re.compile(r"^([A-Za-z]{2}|[0-9]{3})$")


def canonical_lang(tag: str) -> str:
    """The termbase's form of a language tag: the language, plus the script for Chinese.

    'zh', 'zh-CN', 'zh-SG', 'zh-hans' -> 'zh-Hans'; 'zh-TW', 'zh-HK', 'zh-Hant-TW' -> 'zh-Hant';
    'en-GB' -> 'en' (the office does not keep regional variants apart); 'VI' -> 'vi'.
    UsageError for anything that is not a language tag.
    """
    parts = [p for p in re.split(r"[-_]", (tag or "").strip()) if p]
    if not parts or not _LANG.match(parts[0].lower()):
        raise UsageError(f"{tag!r} is not a language tag such as vi, en, zh-Hans, ja, ko")
    lang = parts[0].lower()
    script = next((p.title() for p in parts[1:] if _SCRIPT.match(p)), None)
    region = next((p.upper() for p in parts[1:] if _REGION.match(p)), None)
    if lang == "zh":
        if script not in ("Hans", "Hant"):
            script = "Hant" if region in _HANT_REGIONS else "Hans"
        return f"zh-{script}"
    return f"{lang}-{script}" if script and lang != "vi" else lang


def same_language(a: str, b: str) -> bool:
    """Whether two canonical tags are one language for matching ('zh-Hans' ~ 'zh-Hant')."""
    return base_lang(a) == base_lang(b)


@dataclass(frozen=True)
class ConceptTerm:
    """One term of a concept, with where it comes from.

    `origin`: gazetteer / office (the bundled office terms) / derived (converted to traditional
    characters) / user / import / suggest (rows of the database). `id` is the database row's id
    when the term is stored there.
    """

    lang: str
    text: str
    status: str = "admitted"
    note: str = ""
    origin: str = "user"
    id: int | None = None

    def as_term(self, concept: str) -> Term:
        """The shared `Term` form."""
        return Term(concept=concept, lang=self.lang, text=self.text, status=self.status)

    def as_json(self) -> dict[str, Any]:
        return {
            "lang": self.lang,
            "text": self.text,
            "status": self.status,
            "note": self.note,
            "origin": self.origin,
            "id": self.id,
        }


@dataclass(frozen=True)
class Concept:
    """One concept and its terms (ordered: language, then preferred, admitted, forbidden)."""

    id: str
    type: str  # PER / LOC / ORG / TERM
    terms: tuple[ConceptTerm, ...] = ()
    subject: str = ""
    note: str = ""
    entity_id: str | None = None
    origin: str = "termbase"  # gazetteer / office / termbase

    def in_lang(self, lang: str, exact: bool = True) -> list[ConceptTerm]:
        """Its terms in `lang` (canonical tag); `exact=False` takes zh-Hant for zh-Hans too."""
        if exact:
            return [t for t in self.terms if t.lang == lang]
        return [t for t in self.terms if same_language(t.lang, lang)]

    def preferred(self, lang: str) -> ConceptTerm | None:
        """The preferred term in `lang`, else its first admitted term, else None."""
        candidates = [t for t in self.in_lang(lang) if t.status != "forbidden"]
        return min(candidates, key=lambda t: STATUS_RANK[t.status]) if candidates else None

    def langs(self) -> list[str]:
        return list(dict.fromkeys(t.lang for t in self.terms))

    def label(self, lang: str = "en") -> str:
        """A name to show: preferred in `lang`, else English, else Vietnamese, else any."""
        for candidate in (lang, "en", "vi"):
            term = self.preferred(candidate)
            if term:
                return term.text
        return self.terms[0].text if self.terms else self.id

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "subject": self.subject,
            "note": self.note,
            "entity": self.entity_id,
            "origin": self.origin,
            "terms": [t.as_json() for t in self.terms],
        }


def sort_terms(terms: Iterable[ConceptTerm]) -> tuple[ConceptTerm, ...]:
    """Language order (vi, en, zh-Hans, zh-Hant, ja, ko, others), then status, then as given."""
    order = {lang: i for i, lang in enumerate(("vi", "en", "zh-Hans", "zh-Hant", "ja", "ko"))}
    items = list(terms)
    return tuple(
        sorted(
            items,
            key=lambda t: (order.get(t.lang, 99), t.lang, STATUS_RANK.get(t.status, 9)),
        )
    )


# ---------------------------------------------------------------------------------- garbling


def strip_marks(text: str) -> str:
    """The text without combining diacritics ('Tôn Nghiệp Lễ' -> 'Ton Nghiep Le', 'Đ' -> 'D')."""
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", kept).replace("đ", "d").replace("Đ", "D")


def _squash(text: str) -> str:
    """Letters and digits only, case-folded, marks off: 'Ha Noi' and 'Hanoi' agree."""
    return "".join(c for c in strip_marks(text).casefold() if c.isalnum())


def is_garbled(entity: Entity, lang: str, alias: str) -> bool:
    """Whether an alias is a garbling to forbid in its language (the termbase's rule).

    An alias is garbled when it is another name of the entity with its diacritics stripped
    (that name carries marks, the alias carries none, and they agree letter for letter), and

    - the alias is Vietnamese: Vietnamese is never written without its marks ("Ton Nghiep Le"
      or "Quang Ninh" in a Vietnamese text), unless the entity is foreign and the alias is its
      main name in another language borrowed as it is ("Hong Kong" beside "Hồng Kông"), or
    - the alias is in another language, the entity is not Vietnamese (its Vietnamese name is an
      exonym: a Sino-Vietnamese reading or a Vietnamese transcription), and the entity's own
      name in that language is something else: "Ton Nghiep Le" is the Vietnamese reading of
      孙业礼 with the marks lost, not his English name (Sun Yeli).

    Vietnamese entities keep their unmarked forms in other languages ("Quang Ninh" is the
    English name), and a spacing variant of the preferred name stays admitted ("Ha Noi" beside
    "Hanoi").
    """
    if strip_marks(alias) != alias:
        return False
    key = alias.casefold().split()
    marked = [n for _, n in entity.all_names() if strip_marks(n) != n]
    if not any(strip_marks(n).casefold().split() == key for n in marked):
        return False
    if base_lang(lang) == "vi":
        # A foreign entity's name borrowed as it is ("Hong Kong" beside "Hồng Kông") is not a
        # stripped Vietnamese name.
        foreign = {_squash(n) for other, n in entity.names.items() if base_lang(other) != "vi"}
        return entity.country == "VN" or _squash(alias) not in foreign
    if entity.country == "VN":
        return False
    own = entity.names.get(base_lang(lang))
    return not (own and _squash(own) == _squash(alias))


def stripped_exonyms(entity: Entity) -> list[str]:
    """English forms to forbid for a foreign entity: its Vietnamese names without their marks
    ("Ton Nghiep Le", "Phuc Kien", "Quang Tay"), the garbling a vi->en translation produces.

    Only names of two words or more (a stripped one-word name such as "Duc" or "Anh" is also a
    common Vietnamese given name), only for entities that are not Vietnamese, and never a form
    that is one of the entity's English names.
    """
    if entity.country == "VN":
        return []
    english = {_squash(n) for lang, n in entity.all_names() if base_lang(lang) == "en"}
    out: list[str] = []
    for lang, name in entity.all_names():
        if base_lang(lang) != "vi":
            continue
        stripped = strip_marks(name)
        if stripped == name or len(stripped.split()) < 2 or _squash(stripped) in english:
            continue
        if stripped not in out:
            out.append(stripped)
    return out


# ---------------------------------------------------------------------------------- zh-Hant


@cache
def _s2t_table() -> dict[str, str]:
    """Simplified -> traditional for characters with exactly one traditional form (Unihan
    kTraditionalVariant); characters with several (后, 发, 干, 台...) are left out."""
    path = resources.files("hoasen") / "data" / "unihan" / "s2t.tsv"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            simple, _, traditional = line.partition("\t")
            table[simple] = traditional
    return table


@cache
def _ambiguous() -> frozenset[str]:
    path = resources.files("hoasen") / "data" / "unihan" / "s2t_ambiguous.txt"
    return frozenset(
        c
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for c in line.strip()
    )


def to_traditional(text: str) -> str | None:
    """`text` in traditional characters, character by character; None when a character has
    several traditional forms (后 -> 後 or 后) and the right one cannot be told without context."""
    table, ambiguous = _s2t_table(), _ambiguous()
    if any(c in ambiguous for c in text):
        return None
    return "".join(table.get(c, c) for c in text)


def with_traditional(terms: Sequence[ConceptTerm]) -> list[ConceptTerm]:
    """The terms plus zh-Hant forms derived from the zh-Hans ones where the concept has none."""
    out = list(terms)
    if any(t.lang == "zh-Hant" and t.status != "forbidden" for t in terms):
        return out
    have = {t.text for t in terms if t.lang == "zh-Hant"}
    for term in terms:
        if term.lang != "zh-Hans" or term.status == "forbidden":
            continue
        converted = to_traditional(term.text)
        if converted is None or converted in have:
            continue
        have.add(converted)
        out.append(
            ConceptTerm(
                "zh-Hant",
                converted,
                term.status,
                note="converted from zh-Hans character by character",
                origin="derived",
            )
        )
    return out


# ---------------------------------------------------------------------------------- gazetteer


def entity_concept(entity: Entity) -> Concept:
    """A gazetteer entity as a concept: `name_xx` preferred, aliases admitted, garbled aliases
    forbidden, zh as zh-Hans (plus derived zh-Hant)."""
    terms: dict[tuple[str, str], ConceptTerm] = {}
    for lang, name in entity.names.items():
        tag = canonical_lang(lang)
        terms.setdefault((tag, name), ConceptTerm(tag, name, "preferred", origin="gazetteer"))
    for lang, alias in entity.aliases:
        tag = canonical_lang(lang)
        status = "forbidden" if is_garbled(entity, lang, alias) else "admitted"
        terms.setdefault((tag, alias), ConceptTerm(tag, alias, status, origin="gazetteer"))
    for garbling in stripped_exonyms(entity):
        terms.setdefault(
            ("en", garbling),
            ConceptTerm(
                "en",
                garbling,
                "forbidden",
                note="the Vietnamese name without its marks, not an English name",
                origin="derived",
            ),
        )
    return Concept(
        id=entity.id,
        type=entity.type,
        terms=sort_terms(with_traditional(list(terms.values()))),
        subject=entity.kind,
        entity_id=entity.id,
        origin="gazetteer",
    )


# ---------------------------------------------------------------------------------- office terms

OFFICE_COLUMNS = ("id", "type", "subject", "vi", "en", "zh", "admitted", "forbidden", "note")


def office_concepts(text: str | None = None, label: str = "office_terms.csv") -> list[Concept]:
    """The bundled office terms (or those of `text`, in the same CSV layout).

    Columns: id, type, subject, vi, en, zh (preferred terms), admitted and forbidden
    ('lang:term|lang:term'), note. UsageError names the line of a bad row.
    """
    if text is None:
        path = resources.files("hoasen") / "data" / "termbase" / "office_terms.csv"
        text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in OFFICE_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"{label}: line 1: missing column(s) {', '.join(missing)}")
    out: list[Concept] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        if not cells.get("id") or cells["id"].startswith("#"):
            continue
        if cells["id"] in seen:
            raise UsageError(f"{label}: line {line}: concept {cells['id']!r} is listed twice")
        seen.add(cells["id"])
        terms: list[ConceptTerm] = []
        for lang in ("vi", "en", "zh"):
            if cells.get(lang):
                terms.append(
                    ConceptTerm(canonical_lang(lang), cells[lang], "preferred", origin="office")
                )
        for status in ("admitted", "forbidden"):
            for item in filter(None, (p.strip() for p in cells.get(status, "").split("|"))):
                lang, sep, term = item.partition(":")
                if not sep or not term.strip():
                    raise UsageError(f"{label}: line {line}: {item!r} must be lang:term")
                terms.append(
                    ConceptTerm(canonical_lang(lang), term.strip(), status, origin="office")
                )
        if not terms:
            raise UsageError(f"{label}: line {line}: no term")
        kind = cells.get("type", "").upper() or "TERM"
        if kind not in ("PER", "LOC", "ORG", "TERM"):
            raise UsageError(f"{label}: line {line}: type {kind!r} is not PER, LOC, ORG or TERM")
        out.append(
            Concept(
                id=cells["id"],
                type=kind,
                terms=sort_terms(with_traditional(terms)),
                subject=cells.get("subject", ""),
                note=cells.get("note", ""),
                origin="office",
            )
        )
    return out


# ---------------------------------------------------------------------------------- merging


@dataclass
class Override:
    """What the database says about one concept: its row (when there is one) and its terms."""

    type: str | None = None
    subject: str | None = None
    note: str | None = None
    entity_id: str | None = None
    terms: list[ConceptTerm] = field(default_factory=list)


def merge(base: Concept | None, concept_id: str, override: Override | None) -> Concept | None:
    """A base concept (gazetteer or office) with the database's rows laid over it.

    A stored term replaces the base term with the same language and text (its status and
    note); a stored preferred term demotes the base's preferred term in that language to
    admitted. A concept with no base is the stored rows alone.
    """
    if override is None:
        return base
    stored = {(t.lang, t.text): t for t in override.terms}
    stored_preferred = {t.lang for t in override.terms if t.status == "preferred"}
    terms: list[ConceptTerm] = []
    for term in base.terms if base else ():
        if (term.origin == "derived" and term.lang == "zh-Hant") or (
            term.lang,
            term.text,
        ) in stored:
            continue
        if term.status == "preferred" and term.lang in stored_preferred:
            term = replace(term, status="admitted")
        terms.append(term)
    terms = with_traditional([*terms, *override.terms])
    if not terms and base is None:
        return Concept(
            id=concept_id,
            type=override.type or "TERM",
            subject=override.subject or "",
            note=override.note or "",
            entity_id=override.entity_id,
        )
    return Concept(
        id=concept_id,
        type=override.type or (base.type if base else "TERM"),
        terms=sort_terms(terms),
        subject=override.subject if override.subject else (base.subject if base else ""),
        note=override.note if override.note else (base.note if base else ""),
        entity_id=override.entity_id or (base.entity_id if base else None),
        origin=base.origin if base else "termbase",
    )


def difference(base: Concept | None, wanted: Concept) -> list[ConceptTerm]:
    """The term rows to store so that `merge(base, rows)` gives `wanted`'s terms: those the base
    lacks or has with another status or note. (A base term the wanted concept lacks cannot be
    removed; it stays as the base has it.)"""
    have = {(t.lang, t.text): t for t in base.terms} if base else {}
    rows: list[ConceptTerm] = []
    for term in wanted.terms:
        old = have.get((term.lang, term.text))
        if old is None or old.status != term.status or old.note != term.note:
            rows.append(term)
    return rows


__all__ = [
    "TERM_STATUSES",
    "Concept",
    "ConceptTerm",
    "Override",
    "canonical_lang",
    "difference",
    "entity_concept",
    "is_garbled",
    "merge",
    "office_concepts",
    "same_language",
    "sort_terms",
    "strip_marks",
    "stripped_exonyms",
    "to_traditional",
]
