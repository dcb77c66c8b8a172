"""Multilingual gazetteer: canonical places, organisations and people with their names per language.

Entities live in editable CSV files (bundled under hoasen/data/gazetteer/, plus any a user adds),
one row per entity with names in vi/en/zh/ja/ko and aliases. Names are compared folded (case,
Vietnamese diacritics, width and punctuation ignored), so "Quảng Ninh", "Quang Ninh" and
"QUANG NINH" are one key, and `matches` finds every known name in a text with one trie walk.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from hoasen.errors import UsageError

LANGS = ("vi", "en", "zh", "ja", "ko")
TYPES = ("PER", "ORG", "LOC")
KIND_TYPES = {
    "country": "LOC",
    "province": "LOC",
    "region": "LOC",
    "city": "LOC",
    "organization": "ORG",
    "person": "PER",
}
STATUSES = ("current", "former")
REQUIRED_COLUMNS = ("id", "type", "kind")
OPTIONAL_COLUMNS = ("country", "status", "successor", "aliases", "notes")
# The country whose places a text in this language most likely means ("Hà Nam" in Vietnamese).
HOME_COUNTRY = {"vi": "VN", "zh": "CN", "ja": "JP", "ko": "KR"}
_KIND_RANK = {"country": 0, "province": 1, "city": 2, "region": 3, "organization": 4, "person": 5}
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
_LANG = re.compile(r"^[a-z]{2,3}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_MAX_ERRORS = 20
_TERMINAL = "\x00"
# Lookup retries without these words: "tỉnh Quảng Ninh", "Quang Ninh province", "the Hague".
_PREFIXES = ("tinh ", "thanh pho ", "tp ", "thu do ", "khu tu tri ", "dac khu ", "the ")
_SUFFIXES = (" province", " city", " prefecture", " region", "省", "市")
# Capitalised words that may stand beside a one-word name without being part of a longer name.
_FREE_NEIGHBOURS = frozenset(
    re.split(
        r"\s+",
        "the a an in at on of for from to by with and or but as into near after before during "
        "since until than via per said says told while when where if this that these those its "
        "his her their our mr mrs ms dr president minister premier king queen prince governor "
        "mayor tai o va cua voi cho tu den trong ngoai theo ve la nhu khi sau truoc nuoc tinh "
        "thanh pho huyen xa nha ong ba tong thong chu tich thu tuong bo truong dai su",
    )
)


@dataclass(frozen=True)
class Mention:
    """A named entity found in a text: `text[start:end]`, its type and the gazetteer id if known."""

    text: str
    type: str
    start: int
    end: int
    entity: str | None = None
    source: str = "gazetteer"


@dataclass(frozen=True)
class Entity:
    """One canonical place, organisation or person, with its names per language and aliases."""

    id: str
    type: str
    kind: str
    country: str
    names: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[tuple[str, str], ...] = ()
    status: str = "current"
    successor: str | None = None

    def __hash__(self) -> int:
        return hash(self.id)

    def name(self, language: str = "en") -> str:
        """The entity's name in `language`, else its English name, else any name it has."""
        return (
            self.names.get(language) or self.names.get("en") or next(iter(self.names.values()), "")
        )

    def all_names(self) -> Iterator[tuple[str, str]]:
        """Every (language, name) pair: the main names first, then the aliases."""
        yield from self.names.items()
        yield from self.aliases


@dataclass(frozen=True)
class _Entry:
    """One way of writing an entity, as indexed under its folded key."""

    entity: str
    lang: str
    surface: str
    capital: bool
    acronym: bool
    marked: str | None


# ---------------------------------------------------------------------------------- folding


def _fold_char(ch: str) -> str:
    """Fold one character: lower case, no Vietnamese diacritics, half width, '-' and '.' -> ' '."""
    if ch.isascii():
        if ch.isalnum():
            return ch.lower()
        return "'" if ch == "'" else ("&" if ch == "&" else " ")
    if "\u4e00" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7a3":
        return ch
    if ch in "đĐ":
        return "d"
    if ch in "\u2018\u2019\u02bc":
        return "'"
    category = unicodedata.category(ch)
    if category[0] in "PZ" or category == "Cc":
        return " "
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    kept = "".join(c for c in decomposed if not "\u0300" <= c <= "\u036f")
    return unicodedata.normalize("NFC", kept).replace("đ", "d")


def fold(text: str) -> str:
    """The comparison key of a name: folded characters, single spaces, no outer spaces."""
    return _fold_with_offsets(text)[0].strip()


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold `text`; also return, for each folded character, the index of its source character.
    Text whose characters each fold to one character (nearly all) goes through `str.translate`
    with the table of `_fold_table`; the rest, one character at a time."""
    if text and max(text) <= "\uffff":
        once = text.translate(_fold_table())
        if "\x00" not in once:  # no character folded to none or to several
            parts: list[str] = []
            keep: list[int] = []
            at = 0
            for run in _EXTRA_SPACES.finditer(once):  # spaces after a space, or leading
                parts.append(once[at : run.start()])
                keep.extend(range(at, run.start()))
                at = run.end()
            parts.append(once[at:])
            keep.extend(range(at, len(once)))
            return "".join(parts), keep
    return _fold_slowly(text)


_EXTRA_SPACES = re.compile(r"^ +|(?<= ) +")


def _fold_slowly(text: str) -> tuple[str, list[int]]:
    out: list[str] = []
    origin: list[int] = []
    last_space = True
    for index, ch in enumerate(text):
        folded = _fold_char(ch)
        for piece in folded:
            if piece == " ":
                if last_space:
                    continue
                last_space = True
            else:
                last_space = False
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


@cache
def _fold_table() -> dict[int, str]:
    """`_fold_char` over the Basic Multilingual Plane, for `str.translate`: each character's
    folded character, or NUL where it folds to none or several. Every character has an entry
    (a missing one costs `translate` an exception). Built once on first use (~0.1 s, ~6 MB),
    never changed."""
    table: dict[int, str] = {}
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF or code == 0:
            continue
        folded = _fold_char(chr(code))
        table[code] = folded if len(folded) == 1 else "\x00"
    table[0] = "\x00"  # a NUL in the text: fold it the slow way too
    return table


_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def _marked_form(text: str) -> str | None:
    """Lower-case letters with their diacritics, tone marks moved to the end of each word so
    'Hoà' and 'Hòa' agree; None when the text has no diacritics at all (plain ASCII letters)."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    if not any("\u0300" <= c <= "\u036f" or c == "đ" for c in decomposed):
        return None
    words: list[str] = []
    base: list[str] = []
    tones: list[str] = []
    for ch in decomposed + " ":
        if ch.isalnum() or "\u0300" <= ch <= "\u036f":
            (tones if ch in _TONES else base).append(ch)
        elif base or tones:
            words.append("".join(base) + "".join(tones))
            base, tones = [], []
    return " ".join(words)


def _is_wordy(ch: str) -> bool:
    """Letters and digits of space-separated scripts (CJK, kana and Hangul are not 'wordy')."""
    if not ch.isalnum():
        return False
    code = ord(ch)
    return not (0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7A3)


# Where a name may start in folded text: any character but a space, except a wordy one (see
# `_is_wordy`; folded text has no '_', so \w is isalnum there) right after another.
_WORDY = "[^\\W\u3040-\u30ff\u3400-\u9fff\uac00-\ud7a3]"
_NAME_START = re.compile(f"(?<!{_WORDY})[^ ]|(?!{_WORDY})[^ ]")


def _is_acronym(surface: str) -> bool:
    """'MIC', 'UBND', 'U.S.', 'TP.HCM': short all-capital names, matched only in capitals."""
    letters = [c for c in surface if c.isalpha()]
    return 2 <= len(letters) <= 7 and all(c.isupper() for c in letters) and " " not in surface


# ---------------------------------------------------------------------------------- gazetteer


class Gazetteer:
    """Known entities and a trie over their folded names; build with `Gazetteer.load()`."""

    def __init__(self, entities: Iterable[Entity] = ()) -> None:
        self._entities: dict[str, Entity] = {}
        self._order: dict[str, int] = {}
        self._index: dict[str, list[_Entry]] = {}
        self._trie: dict[str, Any] = {}
        for entity in entities:
            self._put(entity)
        self._rebuild()

    # -- loading

    @classmethod
    def load(cls, paths: Sequence[Path] | None = None) -> Gazetteer:
        """The bundled entities plus those in `paths` (CSV files or folders of them).

        A user row with the id of a bundled entity replaces it. Bad rows raise UsageError naming
        the file and line; nothing is loaded then.
        """
        gazetteer = cls()
        parsed: list[tuple[str, int, Entity]] = []
        errors: list[str] = []
        bundled = resources.files("hoasen") / "data" / "gazetteer"
        for item in sorted(bundled.iterdir(), key=lambda p: p.name):
            if item.name.endswith(".csv"):
                label = f"hoasen/data/gazetteer/{item.name}"
                parsed += _parse(item.read_text(encoding="utf-8-sig"), label, errors)
        for path in _expand(paths or ()):
            parsed += _parse(_read(path), str(path), errors)
        gazetteer._commit(parsed, errors)
        return gazetteer

    def import_file(self, path: Path) -> int:
        """Add (or replace, by id) the entities of one CSV file; return how many rows it had.

        Every row is checked first; any bad row raises UsageError naming its line and problem,
        and then nothing from the file is added.
        """
        return self.import_text(_read(path), str(path))

    def import_text(self, text: str, label: str) -> int:
        """Like `import_file`, for CSV text already read (`label` names it in errors)."""
        errors: list[str] = []
        parsed = _parse(text, label, errors)
        self._commit(parsed, errors)
        return len(parsed)

    def _commit(self, parsed: list[tuple[str, int, Entity]], errors: list[str]) -> None:
        """Check successors and cross-file duplicates, then add everything or raise."""
        seen: dict[str, tuple[str, int]] = {}
        for label, line, entity in parsed:
            earlier = seen.get(entity.id)
            if earlier and earlier[0] == label:
                errors.append(
                    f"{label}: line {line}: id {entity.id!r} is already used on line {earlier[1]}"
                )
            seen[entity.id] = (label, line)
        known = set(self._entities) | set(seen)
        for label, line, entity in parsed:
            if entity.successor and entity.successor not in known:
                errors.append(
                    f"{label}: line {line}: successor {entity.successor!r} is not a known entity id"
                )
        if errors:
            shown = errors[:_MAX_ERRORS]
            more = len(errors) - len(shown)
            tail = f"\n... and {more} more" if more else ""
            raise UsageError("Bad gazetteer rows:\n" + "\n".join(shown) + tail)
        for _, _, entity in parsed:
            self._put(entity)
        self._rebuild()

    def _put(self, entity: Entity) -> None:
        self._entities.pop(entity.id, None)
        self._entities[entity.id] = entity
        self._order[entity.id] = len(self._order)

    def _rebuild(self) -> None:
        """Re-index every name (cheap: a few thousand keys)."""
        self._index = {}
        self._trie = {}
        for entity in self._entities.values():
            for lang, surface in entity.all_names():
                key = fold(surface)
                if not key:
                    continue
                entries = self._index.setdefault(key, [])
                if any(e.entity == entity.id and e.surface == surface for e in entries):
                    continue
                first = next((c for c in surface if c.isalpha()), "")
                entries.append(
                    _Entry(
                        entity.id,
                        lang,
                        surface,
                        first.isupper(),
                        _is_acronym(surface),
                        _marked_form(surface),
                    )
                )
                node = self._trie
                for ch in key:
                    node = node.setdefault(ch, {})
                node[_TERMINAL] = key

    # -- access

    def __len__(self) -> int:
        return len(self._entities)

    def __iter__(self) -> Iterator[Entity]:
        return iter(list(self._entities.values()))

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._entities

    def get(self, entity_id: str) -> Entity | None:
        """The entity with this id, or None when there is none."""
        return self._entities.get(entity_id)

    def current(self, entity: Entity) -> Entity:
        """Follow `successor` links to today's entity (a merged province -> the new province)."""
        seen = {entity.id}
        while entity.successor and entity.successor in self._entities:
            entity = self._entities[entity.successor]
            if entity.id in seen:
                break
            seen.add(entity.id)
        return entity

    def lookup(self, name: str, language: str | None = None) -> Entity | None:
        """The entity a name means, ignoring case and diacritics; None when no entity has it.

        When several entities share a name, one named so in `language` wins, then one in that
        language's home country ("Hà Nam" in Vietnamese is the Vietnamese province), then a
        current one, then a country over a province over a city.
        """
        key = fold(name)
        if not key:
            return None
        candidates = [key]
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                candidates.append(key[len(prefix) :].strip())
        for suffix in _SUFFIXES:
            if key.endswith(suffix):
                candidates.append(key[: -len(suffix)].strip())
        marked = _marked_form(name)
        for candidate in candidates:
            entries = self._index.get(candidate)
            if entries:
                exact = [e for e in entries if _marks_ok(e, marked)]
                return self._entities[self._best(exact or entries, _base_language(language))]
        return None

    def _best(self, entries: Sequence[_Entry], language: str | None) -> str:
        """The id of the most likely entity among entries that share one key."""
        ids = list(dict.fromkeys(e.entity for e in entries))
        if len(ids) == 1:
            return ids[0]
        home = HOME_COUNTRY.get(language or "")

        def score(entity_id: str) -> tuple[int, int, int, int, int]:
            entity = self._entities[entity_id]
            named = any(e.entity == entity_id and e.lang == language for e in entries)
            return (
                int(named),
                int(home is not None and entity.country == home),
                int(entity.status != "former"),
                -_KIND_RANK.get(entity.kind, 9),
                self._order[entity_id],
            )

        return max(ids, key=score)

    # -- scanning

    def matches(self, text: str, language: str | None = None) -> list[Mention]:
        """Every known name in `text`, leftmost-longest, as non-overlapping mentions.

        Alphabetic names must stand between word boundaries and start with a capital when the
        name does; acronyms must be in capitals; text written with diacritics must carry the
        name's own (tone placement aside); CJK names match anywhere. A one-word name
        right beside another capitalised word is taken as part of a longer unknown name
        ("South China Sea", "New Jersey", "Phạm Đức Long") and skipped.
        """
        folded, origin = _fold_with_offsets(text)
        language = _base_language(language)
        found: list[Mention] = []
        i = 0
        for start in _NAME_START.finditer(folded):  # no name starts inside a word
            if start.start() < i:
                continue
            hit = self._longest_at(text, folded, origin, start.start(), language)
            if hit is not None:
                found.append(hit[0])
                i = hit[1]
        return found

    def _longest_at(
        self, text: str, folded: str, origin: list[int], i: int, language: str | None
    ) -> tuple[Mention, int] | None:
        """The longest acceptable name starting at folded position i, and where it ends."""
        node = self._trie
        ends: list[tuple[int, str]] = []
        j = i
        size = len(folded)
        while j < size:
            nxt = node.get(folded[j])
            if nxt is None:
                break
            node = nxt
            j += 1
            key = node.get(_TERMINAL)
            if key is not None and not (
                _is_wordy(folded[j - 1]) and j < size and _is_wordy(folded[j])
            ):
                ends.append((j, key))
        for j, key in reversed(ends):
            start = origin[i]
            end = origin[j - 1] + 1
            surface = text[start:end]
            marked = _marked_form(surface)
            entries = [e for e in self._index[key] if _case_ok(e, surface) and _marks_ok(e, marked)]
            if not entries or _embedded(text, start, end, key, entries):
                continue
            entity = self._entities[self._best(entries, language)]
            return Mention(surface, entity.type, start, end, entity.id), j
        return None


def _case_ok(entry: _Entry, surface: str) -> bool:
    """Acronyms match only in capitals; capitalised names only when the text capitalises them."""
    if entry.acronym:
        letters = [c for c in surface if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters)
    if entry.capital:
        first = next((c for c in surface if c.isalpha()), "")
        return first.isupper()
    return True


def _marks_ok(entry: _Entry, marked: str | None) -> bool:
    """Text written with diacritics must carry the name's own ('Bí' is not 'Bỉ'); unmarked text
    matches any name, and marked text may match a foreign name written without them."""
    if marked is None:
        return True
    if entry.marked is None:
        return entry.lang != "vi"
    return entry.marked == marked


_WORD_BEFORE = re.compile(r"(\w+)[ \t]+$")
_WORD_AFTER = re.compile(r"^[ \t]+(\w+)")


def _embedded(text: str, start: int, end: int, key: str, entries: Sequence[_Entry]) -> bool:
    """True when a one-word cased name sits inside a longer run of capitalised words."""
    if " " in key or not any(e.capital and not e.acronym for e in entries):
        return False
    if not _is_wordy(key[0]):
        return False
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    after = _WORD_AFTER.search(text[end : end + 40])
    for match in (before, after):
        if match is None:
            continue
        word = match.group(1)
        if word[:1].isupper() and fold(word) not in _FREE_NEIGHBOURS and not word.isupper():
            return True
    return False


def _base_language(language: str | None) -> str | None:
    """'zh-CN' -> 'zh', 'VI' -> 'vi'; None stays None."""
    if not language:
        return None
    return language.replace("_", "-").split("-", 1)[0].lower()


# ---------------------------------------------------------------------------------- CSV input


def _expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders become their *.csv files in name order."""
    out: list[Path] = []
    for path in paths:
        path = Path(path)
        out += sorted(path.glob("*.csv")) if path.is_dir() else [path]
    return out


def read_gazetteer_file(path: Path) -> str:
    """A gazetteer CSV file's text (UsageError in plain words when it cannot be read)."""
    return _read(path)


def _read(path: Path) -> str:
    """A CSV file's text, or UsageError in plain words when it cannot be read as UTF-8."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: gazetteer file not found") from None
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path}: not UTF-8 text (byte {exc.start}); save the file as UTF-8 CSV"
        ) from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read gazetteer file ({exc.strerror})") from None


def _parse(text: str, label: str, errors: list[str]) -> list[tuple[str, int, Entity]]:
    """Rows of one CSV text as entities; problems are appended to `errors` as 'label: line N'."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [
        h
        for h in header
        if h not in REQUIRED_COLUMNS and h not in OPTIONAL_COLUMNS and not _name_column(h)
    ]
    if missing or unknown or not any(_name_column(h) for h in header):
        problems = []
        if missing:
            problems.append("missing column(s) " + ", ".join(missing))
        if unknown:
            problems.append("unknown column(s) " + ", ".join(unknown))
        if not any(_name_column(h) for h in header):
            problems.append("no name_<language> column (e.g. name_vi, name_en)")
        errors.append(f"{label}: line 1: " + "; ".join(problems))
        return []
    reader.fieldnames = header
    out: list[tuple[str, int, Entity]] = []
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                errors.append(f"{label}: line {line}: more values than columns")
                continue
            cells = {k: (v or "").strip() for k, v in row.items()}
            if not any(cells.values()) or cells.get("id", "").startswith("#"):
                continue
            problem, entity = _entity(cells)
            if entity is None:
                errors.append(f"{label}: line {line}: {problem}")
            else:
                out.append((label, line, entity))
    except csv.Error as exc:
        errors.append(f"{label}: line {reader.line_num}: unreadable CSV ({exc})")
    return out


def _name_column(header: str) -> str | None:
    """'name_vi' -> 'vi'; anything else -> None."""
    if header.startswith("name_") and _LANG.match(header[5:]):
        return header[5:]
    return None


def _entity(cells: Mapping[str, str]) -> tuple[str, Entity | None]:
    """One validated entity from a row's cells, or the first problem found, in plain words."""
    entity_id = cells["id"]
    if not _ID.match(entity_id):
        return (
            f"id {entity_id!r} must be lower-case letters, digits, '.', '-' or '_' "
            "(e.g. vn.quang-ninh)",
            None,
        )
    kind = cells["kind"]
    if kind not in KIND_TYPES:
        return f"kind {kind!r} is not one of {', '.join(KIND_TYPES)}", None
    etype = cells["type"].upper()
    if etype not in TYPES:
        return f"type {cells['type']!r} is not one of PER, ORG, LOC", None
    if KIND_TYPES[kind] != etype:
        return f"kind {kind!r} needs type {KIND_TYPES[kind]}, not {etype}", None
    country = cells.get("country", "").upper()
    if country and not _COUNTRY.match(country):
        return f"country {cells['country']!r} must be a two-letter ISO code (e.g. VN)", None
    status = cells.get("status", "") or "current"
    if status not in STATUSES:
        return f"status {status!r} must be 'current' or 'former'", None
    successor = cells.get("successor", "") or None
    if successor == entity_id:
        return "an entity cannot be its own successor", None
    if status == "current" and successor:
        return "only a 'former' entity may name a successor", None
    names = {
        lang: value for column, value in cells.items() if (lang := _name_column(column)) and value
    }
    aliases: list[tuple[str, str]] = []
    for item in filter(None, (a.strip() for a in cells.get("aliases", "").split("|"))):
        lang, sep, alias = item.partition(":")
        lang, alias = lang.strip(), alias.strip()
        if not sep or not _LANG.match(lang) or not alias:
            return f"alias {item!r} must be written language:name (e.g. vi:Quang Ninh)", None
        aliases.append((lang, alias))
    if not names and not aliases:
        return "the row has no name in any language", None
    for lang, value in [*names.items(), *aliases]:
        if not fold(value):
            return f"name {value!r} ({lang}) has no letters or digits", None
    entity = Entity(entity_id, etype, kind, country, names, tuple(aliases), status, successor)
    return "", entity
