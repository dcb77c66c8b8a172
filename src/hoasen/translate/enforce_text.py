"""Text work for name enforcement (`hoasen.translate.enforce`): finding glossary names in a
source segment, and counting, normalising and putting back terms in a translation.

Source names in CJK scripts match exactly; Latin-script names match whole words, folded (case,
Vietnamese diacritics, runs of spaces and hyphens), so "Quang Ninh" finds "Quảng Ninh". In the
target, a term is counted longest first and a placeholder's seams are repaired: words the
engine echoed ("tỉnh [1]" for "tỉnh Phúc Kiến"), articles ("of the Guangxi Zhuang Autonomous
Region", no "the" before a person), spacing and sentence-initial capitals.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hoasen.translate.types import GlossaryEntry, base_lang

_CJK_CHAR = re.compile(
    "[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u312f\u3130-\u318f\u3400-\u4dbf"
    "\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f\U00020000-\U0002ffff]"
)
NO_SPACE_LANGS = frozenset({"zh", "ja", "th", "lo", "km", "my"})
SENTENCE_END = re.compile(r"(?:^|[.!?…:]['\"”’»)\]]*\s+)['\"“‘«(\[]*$")
_ARTICLE_BEFORE = re.compile(r"(?:^|(?<=\s))(?:the|The|THE)\s+$")
# English names that take "the" after a preposition ("of the Guangxi Zhuang Autonomous
# Region", "in the United States"), and the prepositions after which it goes in.
_THE_WORDS = frozenset(
    re.split(
        r"\s+",
        "region republic kingdom states union islands emirates federation nations party "
        "committee council assembly ministry department bank organization organisation "
        "association agency commission group corporation administration army navy congress "
        "senate parliament",
    )
)
_PREPOSITION_BEFORE = re.compile(
    r"(?:^|(?<=\s))(?:of|in|to|from|at|by|with|for|into|on|across|throughout|within)\s+$"
)


def is_cjk(text: str) -> bool:
    """True when `text` has a Han, kana or Hangul character (so it is matched exactly)."""
    return bool(_CJK_CHAR.search(text))


# ---------------------------------------------------------------------------------- folding


def _fold_char(ch: str) -> str:
    """Lower case without diacritics ('Ả' -> 'a', 'Đ' -> 'd'), one character in, one out."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0]
    low = base.lower()
    return low if len(low) == 1 else base


def _is_gap(ch: str) -> bool:
    """Characters that separate words in a name and fold to one space (space, hyphen, dash)."""
    return ch.isspace() or ch in "-‐‑–—_"


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """`text` folded (lower case, no diacritics, each run of spaces/hyphens one space) and, for
    each folded character, the index of the original character it came from (plus one final
    entry, len(text)), so a match in the folded text maps back to the original."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if unicodedata.combining(ch):
            continue  # a decomposed diacritic: dropped like a precomposed one
        if _is_gap(ch):
            if out and out[-1] == " ":
                continue
            out.append(" ")
        else:
            out.append(_fold_char(ch))
        offsets.append(i)
    offsets.append(len(text))
    return "".join(out), offsets


def fold(text: str) -> str:
    """The folded key of a Latin-script name ("Quảng  Ninh" -> "quang ninh")."""
    return fold_with_offsets(text.strip())[0].strip()


# ---------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class Span:
    """One glossary name found in a source segment: `source[start:end]` is `surface`."""

    start: int
    end: int
    surface: str
    entry: GlossaryEntry

    @property
    def concept(self) -> str:
        return self.entry.concept

    @property
    def term(self) -> str:
        return self.entry.target


class NameFinder:
    """Finds glossary names in source text, longest first, without overlaps.

    CJK names are looked up exactly at every position (except against the middle dot of a
    transliterated foreign name); Latin-script names by their folded key at
    word starts, ending at a word end. When several entries share a source name the first entry
    in the glossary wins (the termbase lists its preferred concept first)."""

    def __init__(self, entries: Sequence[GlossaryEntry]) -> None:
        self._exact: dict[str, GlossaryEntry] = {}
        self._folded: dict[str, tuple[GlossaryEntry, bool]] = {}
        for entry in entries:
            if not entry.target.strip():
                continue
            for name in entry.sources:
                name = name.strip()
                if not name:
                    continue
                if is_cjk(name):
                    self._exact.setdefault(name, entry)
                else:
                    key = fold(name)
                    if key:
                        has_capital = any(c.isupper() for c in name)
                        self._folded.setdefault(key, (entry, has_capital))
        self._exact_lengths = sorted({len(k) for k in self._exact}, reverse=True)
        self._folded_lengths = sorted({len(k) for k in self._folded}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._exact or self._folded)

    def find(self, text: str) -> list[Span]:
        """Every glossary name in `text`, in text order; a longer match beats any it overlaps."""
        candidates: list[Span] = []
        if self._exact:
            for i in range(len(text)):
                for length in self._exact_lengths:
                    entry = self._exact.get(text[i : i + length])
                    if entry is not None and not _in_foreign_name(text, i, i + length):
                        candidates.append(Span(i, i + length, text[i : i + length], entry))
                        break
        if self._folded:
            folded, offsets = fold_with_offsets(text)
            for j in range(len(folded)):
                if folded[j] == " " or (j and folded[j - 1].isalnum()):
                    continue
                for length in self._folded_lengths:
                    end = j + length
                    if end > len(folded) or (end < len(folded) and folded[end].isalnum()):
                        continue
                    hit = self._folded.get(folded[j:end])
                    if hit is None:
                        continue
                    start, stop = offsets[j], offsets[end - 1] + 1
                    surface = text[start:stop]
                    if hit[1] and not any(c.isupper() for c in surface):
                        continue  # "nice" is not the city of Nice
                    candidates.append(Span(start, stop, surface, hit[0]))
                    break
        candidates.sort(key=lambda s: (-(s.end - s.start), s.start))
        taken: list[Span] = []
        for span in candidates:
            if all(span.end <= t.start or span.start >= t.end for t in taken):
                taken.append(span)
        return sorted(taken, key=lambda s: s.start)


_NAME_DOTS = "·•‧・"


def _in_foreign_name(text: str, start: int, end: int) -> bool:
    """True when a CJK match touches the middle dot of a transliterated foreign name: 萨尔瓦多
    (El Salvador) inside 萨尔瓦多·阿连德 (Salvador Allende) is no place name."""
    before = text[start - 1] if start else ""
    after = text[end] if end < len(text) else ""
    return (bool(before) and before in _NAME_DOTS) or (bool(after) and after in _NAME_DOTS)


# ---------------------------------------------------------------------------------- target text


def term_pattern(term: str, spaced: bool, loose: bool = False) -> str:
    """A regex for `term` in target text: whole words when the target writes spaces; a
    lower-case first letter may be capitalised (sentence start); `loose` also allows any case
    (with re.IGNORECASE) and any spacing."""
    if loose:
        parts = [re.escape(w) for w in term.split()]
        body = r"\s+".join(parts)
    else:
        body = re.escape(term)
        first = term[:1]
        if first.islower() and first.upper() != first:
            body = f"[{re.escape(first)}{re.escape(first.upper())}]" + re.escape(term[1:])
    if spaced:
        body = rf"(?<![^\W_]){body}(?![^\W_])"
    return body


def count_terms(text: str, terms: Sequence[str], spaced: bool) -> Counter[str]:
    """How often each term occurs in `text`, longest first and without overlaps (so "Guangxi"
    inside "Guangxi Zhuang Autonomous Region" is not counted twice)."""
    counts: Counter[str] = Counter()
    taken: list[tuple[int, int]] = []
    for term in sorted(set(terms), key=lambda t: (-len(t), t)):
        counts[term] += 0
        for m in re.finditer(term_pattern(term, spaced), text):
            if all(m.end() <= a or m.start() >= b for a, b in taken):
                taken.append((m.start(), m.end()))
                counts[term] += 1
    return counts


def capitalise(term: str) -> str:
    return term[:1].upper() + term[1:] if term[:1].islower() else term


def _drop_echo(left: str, right: str, term: str) -> tuple[str, str]:
    """Remove words the engine wrote next to a placeholder that repeat the term's own first or
    last words ("tỉnh [1]" with "tỉnh Phúc Kiến", "the [1]" with "the Hague", "[1] Province"
    with "Fujian Province")."""
    words = term.split()
    for k in range(len(words), 0, -1):
        phrase = r"\s+".join(re.escape(w) for w in words[:k])
        m = re.search(rf"(?:^|(?<=[\s(\"“'‘«]))(?:{phrase})\s*$", left, re.IGNORECASE)
        if m:
            left = left[: m.start()]
            break
    for k in range(len(words), 0, -1):
        phrase = r"\s+".join(re.escape(w) for w in words[-k:])
        m = re.match(rf"\s*(?:{phrase})(?![^\W_])", right, re.IGNORECASE)
        if m:
            right = right[m.end() :]
            break
    return left, right


def drop_loose_echoes(text: str, term: str, body: str) -> str:
    """Words the engine repeated beside a copied term: "Hong Kong Kong" -> "Hong Kong",
    "Tỉnh tỉnh Phúc Kiến" -> "tỉnh Phúc Kiến" (case is fixed afterwards)."""
    words = term.split()
    for k in range(len(words), 0, -1):
        tail = r"\s+".join(re.escape(w) for w in words[-k:])
        text = re.sub(rf"({body})(?:\s+{tail}(?![^\W_]))+", r"\1", text, flags=re.IGNORECASE)
        head = r"\s+".join(re.escape(w) for w in words[:k])
        text = re.sub(rf"(?<![^\W_])(?:{head}\s+)+({body})", r"\1", text, flags=re.IGNORECASE)
    return text


def _takes_the(term: str) -> bool:
    """True for an English name used with "the" ("United States", "Communist Party of China");
    False when it already has one."""
    words = term.split()
    if not words or words[0].lower() == "the":
        return False
    return any(w.lower() in _THE_WORDS for w in words if w[:1].isupper())


def normalise_term(text: str, term: str, spaced: bool) -> str:
    """Every occurrence of `term` in any case or spacing written exactly (capitalised at
    sentence start), with words the engine echoed beside it removed; an all-lower-case
    occurrence of a capitalised one-word term is left alone (a common word, not the name)."""
    body = term_pattern(term, spaced, loose=True)
    if spaced:
        text = drop_loose_echoes(text, term, body)
    one_capitalised_word = len(term.split()) == 1 and any(c.isupper() for c in term)
    for m in reversed(list(re.finditer(body, text, re.IGNORECASE))):
        if one_capitalised_word and not any(c.isupper() for c in m.group(0)):
            continue  # "nice weather" is not the city of Nice
        left = text[: m.start()]
        fixed = m.group(0) if m.group(0) in (term, capitalise(term)) else term
        if SENTENCE_END.search(left):
            fixed = capitalise(fixed)
        text = left + fixed + text[m.end() :]
    return text


def normalise_terms(text: str, spans: Sequence[Span], target_lang: str) -> str:
    """`normalise_term` for the term of every span, longest first."""
    spaced = base_lang(target_lang) not in NO_SPACE_LANGS
    for term in sorted({s.term for s in spans}, key=lambda t: (-len(t), t)):
        text = normalise_term(text, term, spaced)
    return text


def put_back(text: str, start: int, end: int, term: str, target_lang: str, kind: str = "") -> str:
    """`text` with `text[start:end]` (a placeholder or stand-in) replaced by `term`, fixing the
    seams: echoed words, no "the" before a person's name, "the" after a preposition before a
    name that takes it (English), spacing, and a capital at sentence start."""
    left, right = text[:start], text[end:]
    spaced = base_lang(target_lang) not in NO_SPACE_LANGS
    if spaced:
        left, right = _drop_echo(left, right, term)
        if kind == "PER" and base_lang(target_lang) == "en":
            m = _ARTICLE_BEFORE.search(left)
            if m:
                left = left[: m.start()]
        elif (
            base_lang(target_lang) == "en" and _takes_the(term) and _PREPOSITION_BEFORE.search(left)
        ):
            left += "the "
        if SENTENCE_END.search(left):
            term = capitalise(term)
        if left and (left[-1].isalnum() or left[-1] in ",;"):
            left += " "
        if right and right[0].isalnum():
            right = " " + right
    else:
        if left.endswith(" ") and (not left.strip() or is_cjk(left.rstrip()[-1])):
            left = left.rstrip(" ")
        if right.startswith(" ") and (not right.strip() or is_cjk(right.lstrip()[0])):
            right = right.lstrip(" ")
    return left + term + right
