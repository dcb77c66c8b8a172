"""Translation memory: segment pairs offered before any engine runs, exact matches first, then
fuzzy ones (rapidfuzz), and TMX 1.4b import and export.

Matching compares sources *normalised*: width folded (ＡＢＣ = ABC, ，= ,), case folded,
spaces collapsed, curly quotes and dashes made plain. An exact match has the same normalised
source (score 1.0 when the text is identical, 0.99 when only case, width or spacing differ).
Fuzzy scores compare sources with numbers and placeholders masked, so "366 visitors" still
finds "367 visitors" - each number that differs then costs 0.02 and keeps the match below 1.

TMX import is all or nothing: the whole file is parsed and checked first (safely: no DTD, no
entities, no network) and any fault is refused naming its line and element; only then are the
pairs stored, in one transaction. Inline markup in <seg> keeps its text: <hi> and <sub> text is
kept, the native codes of <bpt>, <ept>, <it> and <ut> are dropped, and a <ph> keeps its content
when that is a placeholder ({0}, %s) rather than markup.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree
from rapidfuzz import fuzz, process

from hoasen import __version__
from hoasen.errors import UsageError
from hoasen.store.db import Store
from hoasen.store.memory import MemoryStore, NewTMEntry, TMEntry, normalize_lang
from hoasen.translate.types import TRANSLATION_STATES

_STATE_RANK = {"approved": 0, "reviewed": 1, "draft": 2}
_PUNCT = str.maketrans(
    {
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u3001": ",",
        "\u3002": ".",
        "\u00a0": " ",
    }
)
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PLACEHOLDER = re.compile(
    r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>|\{\{?\s*[\w.:]*\s*\}\}?|%(?:\d+\$)?[sdif]|\$\{\w+\}"
    r"|⟦[^⟧]{0,40}⟧|\[\[[^\]]{0,40}\]\]"
)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FORM_CACHE = 50_000
#: Above this many candidates in the length window, fuzzy lookup also asks for shared words.
PREFILTER_AT = 5000


def normalize(text: str) -> str:
    """The form exact matching compares: NFKC (width), case folded, plain quotes and dashes,
    single spaces, no outer spaces."""
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT).casefold()
    return _SPACES.sub(" ", folded).strip()


def fuzzy_form(text: str) -> str:
    """The form fuzzy matching compares: `normalize`, numbers as '0', placeholders as '§'."""
    return _NUMBER.sub("0", _PLACEHOLDER.sub("§", normalize(text)))


def source_key(text: str) -> str:
    """The stored hash of a source's normalised form (sha256, hex)."""
    return hashlib.sha256(normalize(text).encode("utf-8")).hexdigest()


def _numbers(text: str) -> list[str]:
    return _NUMBER.findall(unicodedata.normalize("NFKC", text))


@dataclass(frozen=True)
class Match:
    """A memory entry offered for a segment, with its similarity (1.0 = exact)."""

    score: float
    source: str
    target: str
    state: str
    origin: str
    id: int
    source_lang: str = ""
    target_lang: str = ""

    def as_json(self) -> dict[str, Any]:
        """JSON form for `hoasen tm lookup --json` and the API."""
        return dict(self.__dict__)


@dataclass
class TMXImport:
    """What a TMX import stored."""

    added: int = 0
    updated: int = 0
    skipped: int = 0  # tuv pairs with an empty segment
    pairs: dict[str, int] = field(default_factory=dict)  # "vi-en" -> entries read

    def as_json(self) -> dict[str, Any]:
        """JSON form for `hoasen tm import --json`."""
        return dict(self.__dict__)


class TranslationMemory:
    """The translation memory of one Store: add, look up, import and export TMX."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.repo = MemoryStore(store)
        self._forms: OrderedDict[int, str] = OrderedDict()

    # ---------------------------------------------------------------- adding

    def add(
        self,
        source: str,
        target: str,
        source_lang: str,
        target_lang: str,
        state: str = "approved",
        origin: str = "human",
        created_by: str = "",
        note: str = "",
    ) -> int:
        """Store a segment pair with its state (an approved segment enters the memory as
        approved); the same pair+source+target again only updates state and time."""
        entry_id, _ = self.repo.add(
            new_entry(source, target, source_lang, target_lang, state, origin, created_by, note)
        )
        return entry_id

    def add_many(self, pairs: Iterable[NewTMEntry]) -> tuple[int, int]:
        """Store many pairs in one transaction; returns (added, updated)."""
        return self.repo.add_many(pairs)

    # ---------------------------------------------------------------- lookup

    def lookup(
        self,
        text: str,
        source_lang: str,
        target_lang: str,
        limit: int = 5,
        min_score: float = 0.75,
        states: Sequence[str] | None = None,
    ) -> list[Match]:
        """The best entries for `text`: exact matches (score 1.0, or 0.99 when only case,
        width or spacing differ) then fuzzy ones down to `min_score`; approved before reviewed
        before draft at equal score, then the newest."""
        if not 0 < min_score <= 1:
            raise UsageError("min_score must be above 0 and at most 1")
        if limit < 1 or not text.strip():
            return []
        src, tgt = normalize_lang(source_lang), normalize_lang(target_lang)
        wanted = set(states) if states else None
        found: dict[int, Match] = {}
        norm = normalize(text)
        for row in self.repo.exact(src, tgt, source_key(text)):
            if normalize(row.source) == norm and (wanted is None or row.state in wanted):
                score = 1.0 if row.source == text else 0.99
                found[row.id] = _match(row, score)
        if len(found) < limit:
            for match in self._fuzzy(text, src, tgt, limit, min_score, wanted):
                found.setdefault(match.id, match)
        ranked = sorted(
            found.values(),
            key=lambda m: (
                -m.score,
                (m.source_lang, m.target_lang) != (src, tgt),  # zh-Hans before zh for zh-Hans
                _STATE_RANK.get(m.state, 3),
                -m.id,
            ),
        )
        return ranked[:limit]

    def _fuzzy(
        self,
        text: str,
        src: str,
        tgt: str,
        limit: int,
        min_score: float,
        states: set[str] | None,
    ) -> list[Match]:
        """Fuzzy matches: candidates by length window (and, in a large memory, by a few of the
        query's longest words), scored with rapidfuzz on masked forms."""
        query = fuzzy_form(text)
        if not query:
            return []
        # ratio >= s needs the shorter/longer length ratio >= s / (2 - s); raw lengths differ a
        # little from normalised ones, hence the slack
        spread = min_score / (2 - min_score) * 0.9
        lo = max(1, int(len(text) * spread))
        hi = int(len(text) / spread) + 2
        rows = self.repo.candidates(src, tgt, lo, hi, limit=PREFILTER_AT + 1)
        if len(rows) > PREFILTER_AT:
            rows = self.repo.candidates(
                src, tgt, lo, hi, _rare_words(normalize(text)), limit=20 * PREFILTER_AT
            )
        if not rows:
            return []
        choices = {entry_id: self._form(entry_id, source) for entry_id, source in rows}
        hits = process.extract(
            query,
            choices,
            scorer=fuzz.ratio,
            score_cutoff=min_score * 100,
            limit=limit * 4,
        )
        scores = {entry_id: score / 100 for _, score, entry_id in hits}
        wanted_numbers = _numbers(text)
        norm = normalize(text)
        out: list[Match] = []
        for row in self.repo.get_many(list(scores)):
            if states and row.state not in states:
                continue
            value = scores[row.id]
            stored_numbers = _numbers(row.source)
            if stored_numbers != wanted_numbers:
                differ = sum(
                    1 for a, b in zip(wanted_numbers, stored_numbers, strict=False) if a != b
                ) + abs(len(wanted_numbers) - len(stored_numbers))
                value -= 0.02 * max(1, differ)
            if normalize(row.source) != norm:
                value = min(value, 0.98)  # an exact match is found by its key, not here
            value = round(value, 4)
            if value >= min_score:
                out.append(_match(row, value))
        return out

    def _form(self, entry_id: int, source: str) -> str:
        """A stored source's fuzzy form, cached by id (a stored source never changes)."""
        form = self._forms.get(entry_id)
        if form is None:
            form = fuzzy_form(source)
            self._forms[entry_id] = form
            if len(self._forms) > _FORM_CACHE:
                self._forms.popitem(last=False)
        return form

    # ---------------------------------------------------------------- TMX

    def import_tmx(
        self, data: bytes | Path, default_state: str = "approved", created_by: str = ""
    ) -> TMXImport:
        """Read a TMX file completely, refuse it whole on any fault, then store every pair."""
        label = str(data) if isinstance(data, Path) else "TMX"
        raw = data.read_bytes() if isinstance(data, Path) else data
        entries, report = read_tmx(raw, label, default_state, created_by)
        report.added, report.updated = self.repo.add_many(entries)
        return report

    def export_tmx(
        self,
        source_lang: str | None = None,
        target_lang: str | None = None,
        states: Sequence[str] | None = None,
    ) -> bytes:
        """The memory (or one pair, or some states) as a TMX 1.4b document."""
        rows = [
            r
            for r in self.repo.iter_entries(source_lang, target_lang)
            if not states or r.state in states
        ]
        return write_tmx(rows)


def new_entry(
    source: str,
    target: str,
    source_lang: str,
    target_lang: str,
    state: str = "approved",
    origin: str = "human",
    created_by: str = "",
    note: str = "",
    created: datetime | None = None,
    updated: datetime | None = None,
) -> NewTMEntry:
    """A checked pair to store (for `add_many`): XML-safe text, non-empty sides, times to the
    second (TMX keeps no finer)."""
    for side, value in (("source", source), ("target", target)):
        if not value.strip():
            raise UsageError(f"the {side} segment is empty")
        if _CONTROL.search(value):
            raise UsageError(f"the {side} segment holds control characters")
    now = datetime.now(UTC).replace(microsecond=0)
    return NewTMEntry(
        source_lang=source_lang,
        target_lang=target_lang,
        source=source,
        target=target,
        source_key=source_key(source),
        state=state,
        origin=origin,
        created_by=created_by,
        note=note,
        created=(created or now).replace(microsecond=0),
        updated=(updated or created or now).replace(microsecond=0),
    )


def _match(row: TMEntry, score: float) -> Match:
    return Match(
        score,
        row.source,
        row.target,
        row.state,
        row.origin,
        row.id,
        row.source_lang,
        row.target_lang,
    )


def _rare_words(norm: str) -> list[str]:
    """Three of the query's longest words (two-character pieces for CJK): a prefilter any
    close match is all but sure to share."""
    words = [w.strip(".,;:!?\"'()[]") for w in norm.split()]
    words = [w for w in words if len(w) >= 4 and not _NUMBER.fullmatch(w)]
    if not words:
        cjk = re.sub(r"\s|\W", "", norm)
        words = [cjk[i : i + 2] for i in range(0, max(0, len(cjk) - 1), max(1, len(cjk) // 3))]
    return sorted(set(words), key=lambda w: (-len(w), w))[:3]


# ==================================================================== TMX reading and writing

_TMX_DATE = "%Y%m%dT%H%M%SZ"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_INLINE_DROP = frozenset(("bpt", "ept", "it", "ut"))
_INLINE_ALLOWED = frozenset(("bpt", "ept", "it", "ut", "ph", "hi", "sub"))
_MAX_ERRORS = 20


class _TMXErrors:
    """Faults found while reading, each with its line; raised together at the end."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.items: list[str] = []

    def add(self, element: Any, message: str) -> None:
        line = getattr(element, "sourceline", None)
        where = f"line {line}: " if line else ""
        self.items.append(f"{self.label}: {where}{message}")

    def raise_any(self) -> None:
        if self.items:
            shown = self.items[:_MAX_ERRORS]
            more = len(self.items) - len(shown)
            tail = f"\n... and {more} more" if more else ""
            raise UsageError("TMX file refused, nothing imported:\n" + "\n".join(shown) + tail)


def _parser() -> etree.XMLParser:
    """An XML parser that resolves no entity, loads no DTD and never touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_tmx(
    data: bytes, label: str = "TMX", default_state: str = "approved", created_by: str = ""
) -> tuple[list[NewTMEntry], TMXImport]:
    """Every segment pair of a TMX document; UsageError naming each faulty line otherwise.

    A <tu> with several <tuv> gives one pair from its source language (the tu's srclang, else
    the header's, else its first tuv) to each other language.
    """
    if default_state not in TRANSLATION_STATES:
        raise UsageError(f"unknown state {default_state!r}")
    errors = _TMXErrors(label)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UsageError(
            f"TMX file refused, nothing imported:\n{label}: line {exc.lineno}: {exc.msg}"
        ) from exc
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and list(dtd.iterentities()):
        raise UsageError(
            f"TMX file refused, nothing imported:\n{label}: the document declares entities "
            "(not allowed in a TMX file)"
        )
    if root.tag != "tmx":
        errors.add(root, f"the root element is <{root.tag}>, not <tmx>")
        errors.raise_any()
    if not str(root.get("version", "")).startswith("1."):
        errors.add(root, f"unsupported TMX version {root.get('version')!r} (1.4 expected)")
    header = root.find("header")
    body = root.find("body")
    if header is None:
        errors.add(root, "no <header>")
    if body is None:
        errors.add(root, "no <body>")
    errors.raise_any()
    if header is None or body is None:  # reported just above
        raise UsageError("TMX file refused")
    header_src = header.get("srclang") or "*all*"
    entries: list[NewTMEntry] = []
    report = TMXImport()
    for tu in body:
        if not isinstance(tu.tag, str):
            continue
        if tu.tag != "tu":
            errors.add(tu, f"<{tu.tag}> in <body> (only <tu> is allowed)")
            continue
        _read_tu(tu, header_src, default_state, created_by, errors, entries, report)
    errors.raise_any()
    return entries, report


def _read_tu(
    tu: Any,
    header_src: str,
    default_state: str,
    created_by: str,
    errors: _TMXErrors,
    entries: list[NewTMEntry],
    report: TMXImport,
) -> None:
    """Check one <tu> and add its pairs to `entries`."""
    state, origin = default_state, "import"
    notes: list[str] = []
    variants: list[tuple[str, str, Any]] = []
    for child in tu:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "prop":
            kind, value = child.get("type", ""), (child.text or "").strip()
            if kind == "x-hoasen-state":
                if value not in TRANSLATION_STATES:
                    errors.add(child, f'unknown state {value!r} in <prop type="x-hoasen-state">')
                state = value
            elif kind == "x-hoasen-origin" and value:
                origin = value
        elif child.tag == "note":
            notes.append(child.text or "")
        elif child.tag == "tuv":
            lang = child.get(_XML_LANG) or child.get("lang")
            if not lang:
                errors.add(child, "<tuv> without xml:lang")
                continue
            try:
                lang = normalize_lang(lang)
            except UsageError:
                errors.add(child, f"<tuv> has a bad language code {lang!r}")
                continue
            segs = [c for c in child if c.tag == "seg"]
            if len(segs) != 1:
                errors.add(child, f'<tuv xml:lang="{lang}"> needs exactly one <seg>')
                continue
            text = _seg_text(segs[0], errors)
            variants.append((lang, text, child))
        else:
            errors.add(child, f"<{child.tag}> in <tu> (expected prop, note or tuv)")
    if len(variants) < 2:
        errors.add(tu, "<tu> needs at least two <tuv> (a source and a translation)")
        return
    created = _tmx_date(tu, "creationdate", errors)
    changed = _tmx_date(tu, "changedate", errors) or created
    src = tu.get("srclang") or header_src
    if src == "*all*":
        src = variants[0][0]
    try:
        src = normalize_lang(src)
    except UsageError:
        errors.add(tu, f"bad srclang {src!r}")
        return
    source = next(((lang, text) for lang, text, _ in variants if lang == src), None)
    if source is None:
        errors.add(tu, f"<tu> has no <tuv> in its source language {src}")
        return
    for lang, text, element in variants:
        if lang == src:
            continue
        if not source[1].strip() or not text.strip():
            report.skipped += 1
            continue
        pair = f"{src}-{lang}"
        report.pairs[pair] = report.pairs.get(pair, 0) + 1
        try:
            entries.append(
                new_entry(
                    source[1],
                    text,
                    src,
                    lang,
                    state if state in TRANSLATION_STATES else default_state,
                    origin[:50],
                    tu.get("creationid") or created_by,
                    "\n".join(notes),
                    created,
                    changed,
                )
            )
        except UsageError as exc:
            errors.add(element, str(exc))


def _seg_text(seg: Any, errors: _TMXErrors) -> str:
    """The text of a <seg>: inline codes dropped, highlighted and sub-flow text kept."""
    parts: list[str] = [seg.text or ""]
    for child in seg:
        if isinstance(child, etree._Entity):
            errors.add(child, "entity references are not allowed in <seg>")
        elif not isinstance(child.tag, str):
            pass
        elif child.tag not in _INLINE_ALLOWED:
            errors.add(child, f"<{child.tag}> is not allowed in <seg>")
        elif child.tag == "ph":
            code = "".join(child.itertext())
            if "<" not in code and ">" not in code:
                parts.append(code)  # {0}, %s: a placeholder the translation must keep
        elif child.tag in ("hi", "sub"):
            parts.append(_seg_text(child, errors))
        # bpt, ept, it, ut: native formatting codes, dropped from a plain-text memory
        parts.append(child.tail or "")
    return "".join(parts)


def _tmx_date(element: Any, name: str, errors: _TMXErrors) -> datetime | None:
    value = element.get(name)
    if not value:
        return None
    try:
        return datetime.strptime(value, _TMX_DATE).replace(tzinfo=UTC)
    except ValueError:
        errors.add(element, f"{name}={value!r} is not a TMX date (YYYYMMDDThhmmssZ)")
        return None


def write_tmx(entries: Sequence[TMEntry]) -> bytes:
    """A TMX 1.4b document holding `entries`, one <tu> (two <tuv>) each, with state, origin,
    author, times and note."""
    sources = {e.source_lang for e in entries}
    root = etree.Element("tmx", version="1.4")
    etree.SubElement(
        root,
        "header",
        creationtool="hoasen",
        creationtoolversion=__version__,
        segtype="sentence",
        **{"o-tmf": "hoasen"},
        adminlang="en",
        srclang=next(iter(sources)) if len(sources) == 1 else "*all*",
        datatype="plaintext",
        creationdate=datetime.now(UTC).strftime(_TMX_DATE),
    )
    body = etree.SubElement(root, "body")
    for e in entries:
        attrs = {
            "srclang": e.source_lang,
            "creationdate": _utc(e.created).strftime(_TMX_DATE),
            "changedate": _utc(e.updated).strftime(_TMX_DATE),
        }
        if e.created_by:
            attrs["creationid"] = e.created_by
        tu = etree.SubElement(body, "tu", **attrs)
        etree.SubElement(tu, "prop", type="x-hoasen-state").text = e.state
        etree.SubElement(tu, "prop", type="x-hoasen-origin").text = e.origin
        if e.note:
            etree.SubElement(tu, "note").text = e.note
        for lang, text in ((e.source_lang, e.source), (e.target_lang, e.target)):
            tuv = etree.SubElement(tu, "tuv", {_XML_LANG: lang})
            etree.SubElement(tuv, "seg").text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
