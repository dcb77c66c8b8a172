"""Termbase names in QA: a glossary's concepts found in a source and their terms checked in a
translation.

Source names match ignoring case and Vietnamese diacritics for Latin script ("Quang Ninh" finds
Quảng Ninh) at word boundaries, but not inside a longer run of capitalised words ("Jordan
Spieth"); CJK names match exactly (katakana and hangul as whole words). In the target a term
must carry its own diacritics (tone marks placed either way); a forbidden variant without
diacritics matches any, unless it folds like an allowed term ("Quang Ninh" vs "Quảng Ninh").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from hoasen.translate.types import Glossary, GlossaryEntry

# --------------------------------------------------------------------------- folding


def _fold_char(ch: str) -> str:
    """One character as names compare: lower case, no diacritics, half width, punctuation
    a space. Always one character, so a folded text keeps its offsets."""
    if ch in "đĐ":
        return "d"
    cat = unicodedata.category(ch)
    if cat[0] in "PZ" or cat in ("Cc", "Sm", "Sk"):
        return "'" if ch in "'\u2019" else " "
    base = unicodedata.normalize("NFKD", ch)
    kept = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    return kept if len(kept) == 1 else ch.lower()[:1] or ch


_FOLD = str.maketrans(
    {
        chr(cp): _fold_char(chr(cp))
        for ranges in ((0x20, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0x3000, 0x3040))
        for cp in range(*ranges)
    }
    | {chr(cp): _fold_char(chr(cp)) for cp in range(0xFF01, 0xFF5F)}
    | {"\t": " ", "\n": " ", "\r": " "}
)
_WIDTH = str.maketrans(
    {chr(cp): chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
)
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def fold(text: str) -> str:
    """Comparison form of a name: NFC, lower case, no diacritics, punctuation as spaces."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def _marks(text: str) -> str | None:
    """Lower-case letters with diacritics, tone marks moved to each word's end ('Hoà' = 'Hòa');
    None when the text has no diacritics at all."""
    nfd = unicodedata.normalize("NFD", text.casefold())
    if not any(unicodedata.combining(c) or c == "đ" for c in nfd):
        return None
    words = []
    for word in re.findall(r"[\w\u0300-\u036f]+", nfd):
        base = "".join(c for c in word if c not in _TONES)
        words.append(base + "".join(sorted(c for c in word if c in _TONES)))
    return " ".join(words)


def _is_cjk(text: str) -> bool:
    return any(
        "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7a3"
        for c in text
    )


def _trie_pattern(keys: Sequence[str], word: bool) -> re.Pattern[str] | None:
    """A regex matching any key, longest first, built as a trie so scanning stays fast. With
    `word`, matches stand between word boundaries and a space matches any run of spaces."""
    trie: dict[str, dict] = {}
    for key in keys:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    if not trie:
        return None

    def body(node: dict[str, dict]) -> str:
        parts = [
            (" +" if ch == " " and word else re.escape(ch)) + body(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not parts:
            return ""
        alt = parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"
        return f"(?:{alt})?" if "" in node else alt

    inner = body(trie)
    return re.compile(rf"(?<![\w])(?:{inner})(?![\w])" if word else f"(?:{inner})")


# --------------------------------------------------------------------------- glossary


@dataclass(frozen=True)
class _SourceName:
    entry: int
    surface: str
    capital: bool
    acronym: bool


class GlossaryMatcher:
    """Finds a glossary's concepts in source text and checks their terms in target text."""

    def __init__(self, glossary: Glossary) -> None:
        self.glossary = glossary
        self.entries = glossary.entries
        self._latin: dict[str, list[_SourceName]] = {}
        self._cjk: dict[str, list[_SourceName]] = {}
        for n, entry in enumerate(glossary.entries):
            for surface in entry.sources:
                if not surface.strip():
                    continue
                letters = [c for c in surface if c.isalpha()]
                acronym = 2 <= len(letters) <= 7 and all(c.isupper() for c in letters)
                name = _SourceName(n, surface, letters[:1] != [] and letters[0].isupper(), acronym)
                if _is_cjk(surface):
                    self._cjk.setdefault(surface.translate(_WIDTH), []).append(name)
                else:
                    self._latin.setdefault(" ".join(fold(surface).split()), []).append(name)
        self._latin_rx = _trie_pattern(list(self._latin), word=True)
        self._cjk_rx = _trie_pattern(list(self._cjk), word=False)
        self._term_rx: dict[str, re.Pattern[str]] = {}
        self._contains: dict[str, list[GlossaryEntry]] = {}
        forbidden_latin: dict[str, list[tuple[int, str]]] = {}
        forbidden_cjk: dict[str, list[tuple[int, str]]] = {}
        for n, entry in enumerate(glossary.entries):
            for variant in entry.forbidden:
                if _is_cjk(variant):
                    forbidden_cjk.setdefault(variant.translate(_WIDTH), []).append((n, variant))
                elif variant.strip():
                    key = " ".join(fold(variant).split())
                    forbidden_latin.setdefault(key, []).append((n, variant))
        self._forbidden_latin = forbidden_latin
        self._forbidden_cjk = forbidden_cjk
        self._forbidden_latin_rx = _trie_pattern(list(forbidden_latin), word=True)
        self._forbidden_cjk_rx = _trie_pattern(list(forbidden_cjk), word=False)

    def concepts(self, source: str) -> list[tuple[GlossaryEntry | None, list[int], str]]:
        """Concepts named in the source: (entry, candidate entry indexes, surface as written).

        One name may belong to several concepts ("Georgia"); any of their terms will do.
        """
        found: list[tuple[GlossaryEntry | None, list[int], str]] = []
        text = unicodedata.normalize("NFC", source)
        if self._latin_rx is not None:
            folded = text.translate(_FOLD)
            for m in self._latin_rx.finditer(folded):
                surface = text[m.start() : m.end()]
                names = [
                    nm for nm in self._latin[" ".join(m.group().split())] if _case_ok(nm, surface)
                ]
                if names and not (
                    not all(nm.acronym for nm in names) and _embedded(text, m.start(), m.end())
                ):
                    ids = sorted({nm.entry for nm in names})
                    found.append((self.entries[ids[0]], ids, surface))
        if self._cjk_rx is not None:
            wide = text.translate(_WIDTH)
            for m in self._cjk_rx.finditer(wide):
                if _cjk_bounded(wide, m.start(), m.end()):
                    ids = sorted({nm.entry for nm in self._cjk[m.group()]})
                    found.append((self.entries[ids[0]], ids, m.group()))
        return found

    def allowed_spans(self, target: str, entry: GlossaryEntry) -> list[tuple[int, int]]:
        """Where the target carries the entry's preferred or an admitted term."""
        spans: list[tuple[int, int]] = []
        for term in (entry.target, *entry.admitted):
            spans += self._term_spans(target, term)
        return spans

    def _term_spans(self, target: str, term: str) -> list[tuple[int, int]]:
        if not term.strip():
            return []
        if _is_cjk(term):
            wide, want = target.translate(_WIDTH), term.translate(_WIDTH)
            spans, at = [], wide.find(want)
            while at >= 0:  # any occurrence will do: 미국인, 英国人 carry the name
                spans.append((at, at + len(want)))
                at = wide.find(want, at + 1)
            return spans
        rx = self._term_rx.get(term)
        if rx is None:
            words = [re.escape(w) for w in fold(term).split()]
            rx = re.compile(r"(?<![\w])" + " +".join(words) + r"(?![\w])")
            self._term_rx[term] = rx
        text = unicodedata.normalize("NFC", target)
        marked = _marks(term)
        return [
            (m.start(), m.end())
            for m in rx.finditer(text.translate(_FOLD))
            if marked is None or _marks(text[m.start() : m.end()]) == marked
        ]

    def forbidden(self, target: str) -> list[tuple[GlossaryEntry, str, str]]:
        """(entry, forbidden variant, text as written) for each forbidden variant in the target.

        A variant without diacritics matches any diacritics, unless it folds like one of the
        concept's allowed terms ("Quang Ninh" vs "Quảng Ninh"): then only the unmarked form.
        """
        hits: list[tuple[GlossaryEntry, str, str, int, int]] = []
        text = unicodedata.normalize("NFC", target)
        if self._forbidden_latin_rx is not None:
            for m in self._forbidden_latin_rx.finditer(text.translate(_FOLD)):
                surface = text[m.start() : m.end()]
                for n, variant in self._forbidden_latin[" ".join(m.group().split())]:
                    entry = self.entries[n]
                    if _forbidden_form_ok(variant, surface, entry):
                        hits.append((entry, variant, surface, m.start(), m.end()))
        if self._forbidden_cjk_rx is not None:
            wide = text.translate(_WIDTH)
            for m in self._forbidden_cjk_rx.finditer(wide):  # anywhere, compounds included
                for n, variant in self._forbidden_cjk[m.group()]:
                    hits.append((self.entries[n], variant, m.group(), m.start(), m.end()))
        out: list[tuple[GlossaryEntry, str, str]] = []
        for entry, variant, surface, start, end in hits:
            inside = any(
                a <= start and end <= b
                for e in self._containers(variant)
                for a, b in self.allowed_spans(text, e)
            )
            if not inside:
                out.append((entry, variant, surface))
        return out

    def _containers(self, variant: str) -> list[GlossaryEntry]:
        """Entries with an allowed term that contains this forbidden variant ("Kien" inside
        "Phuc Kien"): a variant found inside such a term is no fault."""
        found = self._contains.get(variant)
        if found is None:
            key = " ".join(fold(variant).split()) if not _is_cjk(variant) else variant
            found = [
                e
                for e in self.entries
                for t in (e.target, *e.admitted)
                if key in (t if _is_cjk(variant) else " ".join(fold(t).split()))
                and _marks(t) != _marks(variant)
            ]
            self._contains[variant] = found
        return found


#: Capitalised words that may stand beside a name without making it part of a longer one.
_FREE_NEIGHBOURS = frozenset(
    [
        "the",
        "a",
        "an",
        "in",
        "at",
        "on",
        "of",
        "for",
        "from",
        "to",
        "by",
        "with",
        "and",
        "or",
        "but",
        "as",
        "into",
        "near",
        "after",
        "before",
        "during",
        "since",
        "until",
        "than",
        "via",
        "per",
        "said",
        "says",
        "told",
        "while",
        "when",
        "where",
        "if",
        "this",
        "that",
        "these",
        "those",
        "its",
        "his",
        "her",
        "their",
        "our",
        "mr",
        "mrs",
        "ms",
        "dr",
        "president",
        "minister",
        "premier",
        "king",
        "queen",
        "prince",
        "governor",
        "mayor",
        "secretary",
        "chairman",
        "general",
        "both",
        "all",
        "tai",
        "o",
        "va",
        "cua",
        "voi",
        "cho",
        "tu",
        "den",
        "trong",
        "ngoai",
        "theo",
        "ve",
        "la",
        "nhu",
        "khi",
        "sau",
        "truoc",
        "nuoc",
        "tinh",
        "thanh",
        "pho",
        "huyen",
        "xa",
        "nha",
        "ong",
        "ba",
        "tong",
        "thong",
        "chu",
        "tich",
        "thu",
        "tuong",
        "bo",
        "truong",
        "dai",
        "su",
    ]
)
_WORD_BEFORE = re.compile(r"([^\W\d_][\w'’-]*)[ \t]+$")
_WORD_AFTER = re.compile(r"[ \t]+([^\W\d_][\w-]*)")


def _embedded(text: str, start: int, end: int) -> bool:
    """True when a name stands inside a longer run of capitalised words ("Jordan Spieth",
    "South China Morning Post", "Los Angeles Lakers"): part of another name."""
    if text[end : end + 2] in ("'s", "’s") and text[end + 2 : end + 3] == " ":
        after = _WORD_AFTER.match(text, end + 2)
    else:
        after = _WORD_AFTER.match(text, end)
    before = _WORD_BEFORE.search(text, max(0, start - 40), start)
    for match in (before, after):
        if match is None:
            continue
        word = match.group(1)
        if word[:1].isupper() and not word.isupper() and fold(word).strip() not in _FREE_NEIGHBOURS:
            return True
    return False


def _is_kana(ch: str) -> bool:
    return "\u30a0" <= ch <= "\u30ff" or "\uff66" <= ch <= "\uff9f"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7a3"


def _cjk_bounded(text: str, start: int, end: int) -> bool:
    """Katakana and hangul names are whole words: クチン is not inside ワクチン, 인도 not inside
    인도적 (hangul may take a particle after it: 인도는). Han names match anywhere."""
    first, last = text[start], text[end - 1]
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    if _is_kana(first) and before and _is_kana(before):
        return False
    if _is_kana(last) and after and _is_kana(after):
        return False
    if _is_hangul(first) and before and _is_hangul(before):
        return False
    return not (
        _is_hangul(last) and after and _is_hangul(after) and not _KO_PARTICLE.match(text, end)
    )


_KO_PARTICLE = re.compile(
    "(?:에서|에게|으로|까지|부터|처럼|보다|이나|과의|와의|은|는|이|가|을|를|의|에|와|과|로|도|만|측|쪽)"
    "(?![가-힣])"
)


def _case_ok(name: _SourceName, surface: str) -> bool:
    """Acronyms only in capitals; a capitalised name only where the text capitalises it."""
    letters = [c for c in surface if c.isalpha()]
    if name.acronym:
        return all(c.isupper() for c in letters)
    return not name.capital or (bool(letters) and letters[0].isupper())


def _forbidden_form_ok(variant: str, surface: str, entry: GlossaryEntry) -> bool:
    """Whether the text `surface` really is the forbidden `variant` (diacritics considered)."""
    want = _marks(variant)
    if want is not None:
        return _marks(surface) == want
    key = " ".join(fold(variant).split())
    collides = any(" ".join(fold(t).split()) == key for t in (entry.target, *entry.admitted))
    return not collides or _marks(surface) is None
