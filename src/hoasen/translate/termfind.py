"""Finding termbase terms in a text, fast enough for 10,000 segments.

The text is folded one character to one character (lower case, Vietnamese diacritics off, full
width to half width, punctuation to spaces) with `str.translate`, so offsets stay those of the
text; all terms of a language are compiled into one trie-shaped regular expression, so the scan
runs in the regex engine rather than character by character in Python. Each hit is then checked
the way the gazetteer checks its names:

- Latin-script terms stand between word boundaries; a proper name (PER/LOC/ORG) that starts with
  a capital matches only capitalised text, an acronym only capitals; office terms (TERM) match
  in any case ("chủ tịch UBND tỉnh");
- text written with diacritics must carry the term's own ("Quảng Ninh" is not the forbidden
  unmarked "Quang Ninh", "Bí" is not "Bỉ"); unmarked text matches a marked term but the hit is
  not `exact`;
- a one-word capitalised name inside a longer run of capitalised words ("Long" in "Phạm Đức
  Long") is skipped;
- CJK terms match anywhere, exactly (after width folding).

Offsets refer to the NFC form of the text (the form every hoasen text is stored in).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from hoasen.analyze.gazetteer import _FREE_NEIGHBOURS, fold
from hoasen.translate.concepts import STATUS_RANK, Concept, same_language, strip_marks

_END = "\x00"
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]")
# A letter or digit of a space-separated script (CJK, kana and Hangul are not).
_WORDY = r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3\uf900-\ufaff]"
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
_WORD_BEFORE = re.compile(r"(\w+)[ \t]+$")
_WORD_AFTER = re.compile(r"^[ \t]+(\w+)")


@dataclass(frozen=True)
class Occurrence:
    """A term of a concept found in a text: `text[start:end]` (NFC) is `surface`."""

    concept: str
    type: str
    lang: str  # the matched term's language
    surface: str
    start: int
    end: int
    term: str  # the term as the termbase spells it
    status: str  # preferred / admitted / forbidden
    exact: bool = True  # False when the text lacks the term's diacritics (or has foreign ones)
    others: tuple[str, ...] = ()  # other concepts with the same term

    def as_json(self) -> dict[str, Any]:
        return {
            "concept": self.concept,
            "type": self.type,
            "lang": self.lang,
            "text": self.surface,
            "start": self.start,
            "end": self.end,
            "term": self.term,
            "status": self.status,
            "exact": self.exact,
            "others": list(self.others),
        }


@dataclass(frozen=True)
class _Entry:
    order: int
    concept: str
    type: str
    lang: str
    term: str
    status: str
    capital: bool
    acronym: bool
    marked: str | None


# ---------------------------------------------------------------------------------- folding


def _fold_char(ch: str) -> str:
    """One character folded to one character (the character itself when that is impossible)."""
    if ch in "\u2018\u2019\u02bc'":
        return "'"
    if ch == "&":
        return "&"
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category[0] in "PZS" or category == "Cc":
        return " "
    base = strip_marks(unicodedata.normalize("NFKC", ch)).casefold()
    if len(base) == 1:
        return base
    lower = ch.lower()
    return lower if len(lower) == 1 else ch


@cache
def _table() -> dict[int, str]:
    """str.translate table for the characters that fold (ASCII, Latin, punctuation, width)."""
    ranges = [
        (0x20, 0x250),
        (0x1E00, 0x1F00),
        (0x2000, 0x2070),
        (0x3000, 0x3020),
        (0xFF01, 0xFF66),
    ]
    table: dict[int, str] = {}
    for low, high in ranges:
        for code in range(low, high):
            ch = chr(code)
            folded = _fold_char(ch)
            if folded != ch:
                table[code] = folded
    for code in range(0, 0x20):
        table[code] = " "
    return table


def fold_text(text: str) -> str:
    """`text` folded character for character (same length, same offsets)."""
    return text.translate(_table())


def term_key(term: str) -> str:
    """The folded key of a term: folded, single spaces, no outer spaces."""
    return " ".join(fold_text(unicodedata.normalize("NFC", term)).split())


def marks_key(text: str) -> str | None:
    """Lower-case letters with their diacritics, each word's tone mark last (so 'Hoà' and
    'Hòa' agree); None when the text has no diacritics at all."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    if not any(unicodedata.combining(c) or c == "đ" for c in decomposed):
        return None
    words: list[str] = []
    base: list[str] = []
    tones: list[str] = []
    for ch in decomposed + " ":
        if ch.isalnum() or unicodedata.combining(ch):
            (tones if ch in _TONES else base).append(ch)
        elif base or tones:
            words.append("".join(base) + "".join(tones))
            base, tones = [], []
    return " ".join(words)


def _is_acronym(term: str) -> bool:
    letters = [c for c in term if c.isalpha()]
    return 2 <= len(letters) <= 7 and all(c.isupper() for c in letters) and " " not in term


# ---------------------------------------------------------------------------------- trie regex


def _trie(keys: Iterable[str]) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key in keys:
        node = root
        for ch in key:
            node = node.setdefault(ch, {})
        node[_END] = True
    return root


def _pattern(node: dict[str, Any]) -> str:
    """A regex matching exactly the trie's keys, greedy (longest first, shorter on
    backtracking). A space in a key matches a run of spaces."""
    branches = []
    for ch in sorted(c for c in node if c != _END):
        head = " +" if ch == " " else re.escape(ch)
        branches.append(head + _pattern(node[ch]))
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        return ("(?:" + body + ")?") if len(branches) > 1 or len(body) > 1 else body + "?"
    return body


def _compile(keys: Sequence[str], word: bool) -> re.Pattern[str] | None:
    if not keys:
        return None
    body = _pattern(_trie(keys))
    if word:
        return re.compile(rf"(?<!{_WORDY})(?:{body})(?!{_WORDY})")
    return re.compile(body)


# ---------------------------------------------------------------------------------- finder


class TermFinder:
    """All terms of one language (any script of it: zh-Hans and zh-Hant together), compiled
    once; `find` returns the terms in a text, leftmost-longest, without overlaps."""

    def __init__(self, concepts: Iterable[Concept], lang: str) -> None:
        self.lang = lang
        self._entries: dict[str, list[_Entry]] = {}
        order = 0
        for concept in concepts:
            for term in concept.terms:
                if not same_language(term.lang, lang):
                    continue
                key = term_key(term.text)
                if not key:
                    continue
                letters = [c for c in term.text if c.isalpha()]
                self._entries.setdefault(key, []).append(
                    _Entry(
                        order,
                        concept.id,
                        concept.type,
                        term.lang,
                        term.text,
                        term.status,
                        bool(letters) and letters[0].isupper() and concept.type != "TERM",
                        _is_acronym(term.text),
                        marks_key(term.text),
                    )
                )
            order += 1
        latin = [k for k in self._entries if not _CJK.match(k[0])]
        cjk = [k for k in self._entries if _CJK.match(k[0])]
        self._latin = _compile(latin, word=True)
        self._cjk = _compile(cjk, word=False)
        self._latin_trie = _trie(latin)

    def __len__(self) -> int:
        return len(self._entries)

    def find(self, text: str) -> list[Occurrence]:
        """Every term in `text` (NFC offsets), in text order, without overlaps."""
        text = unicodedata.normalize("NFC", text)
        found: list[Occurrence] = []
        if self._latin is not None:
            found += self._scan_latin(text)
        if self._cjk is not None:
            wide = fold_text(text)
            for m in self._cjk.finditer(wide):
                hit = self._choose(text, m.start(), m.end(), " ".join(m.group().split()))
                if hit is not None:
                    found.append(hit)
        found.sort(key=lambda o: (o.start, -o.end))
        out: list[Occurrence] = []
        for occurrence in found:
            if out and occurrence.start < out[-1].end:
                continue
            out.append(occurrence)
        return out

    def _scan_latin(self, text: str) -> list[Occurrence]:
        assert self._latin is not None
        folded = fold_text(text)
        out: list[Occurrence] = []
        at = 0
        while True:
            m = self._latin.search(folded, at)
            if m is None:
                return out
            hit = self._choose(text, m.start(), m.end(), " ".join(m.group().split()))
            if hit is None:
                hit = self._shorter(text, folded, m.start(), m.end())
            if hit is None:
                at = m.start() + 1
                continue
            out.append(hit)
            at = hit.end

    def _shorter(self, text: str, folded: str, start: int, longest: int) -> Occurrence | None:
        """The longest acceptable term at `start` shorter than the one the regex found."""
        node = self._latin_trie
        ends: list[int] = []
        j = start
        while j < longest:
            ch = folded[j]
            if ch == " " and j > start and folded[j - 1] == " ":
                j += 1
                continue
            nxt = node.get(ch)
            if nxt is None:
                break
            node = nxt
            j += 1
            if _END in node and (j >= len(folded) or not re.match(_WORDY, folded[j])):
                ends.append(j)
        for end in reversed(ends[:-1] if ends and ends[-1] == longest else ends):
            hit = self._choose(text, start, end, " ".join(folded[start:end].split()))
            if hit is not None:
                return hit
        return None

    def _choose(self, text: str, start: int, end: int, key: str) -> Occurrence | None:
        """The best term for `text[start:end]`, or None when none of them fits the text."""
        entries = self._entries.get(key)
        if not entries:
            return None
        surface = text[start:end]
        marked = marks_key(surface)
        fitting: list[tuple[tuple[int, int, int], _Entry, bool]] = []
        for entry in entries:
            if not _case_ok(entry, surface):
                continue
            if marked is not None and entry.marked is not None and entry.marked != marked:
                continue
            if marked is not None and entry.marked is None and entry.lang == "vi":
                continue  # 'Quảng Ninh' in the text is not the unmarked 'Quang Ninh'
            exact = marked == entry.marked
            rank = (0 if exact else 1, STATUS_RANK.get(entry.status, 9), entry.order)
            fitting.append((rank, entry, exact))
        if not fitting:
            return None
        if _embedded(text, start, end, key, [e for _, e, _ in fitting]):
            return None
        fitting.sort(key=lambda item: item[0])
        _, best, exact = fitting[0]
        others = tuple(dict.fromkeys(e.concept for _, e, _ in fitting if e.concept != best.concept))
        return Occurrence(
            best.concept,
            best.type,
            best.lang,
            surface,
            start,
            end,
            best.term,
            best.status,
            exact,
            others,
        )


def _case_ok(entry: _Entry, surface: str) -> bool:
    if entry.acronym:
        letters = [c for c in surface if c.isalpha()]
        return bool(letters) and all(c.isupper() for c in letters)
    if entry.capital:
        first = next((c for c in surface if c.isalpha()), "")
        return first.isupper() or not first.isalpha()
    return True


def _embedded(text: str, start: int, end: int, key: str, entries: Sequence[_Entry]) -> bool:
    """True when a one-word capitalised name sits inside a longer run of capitalised words."""
    if " " in key or _CJK.match(key[:1]) or not any(e.capital and not e.acronym for e in entries):
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


__all__ = ["Occurrence", "TermFinder", "fold_text", "marks_key", "term_key"]
