"""The multilingual search analyzer: one Python tokenizer feeding SQLite FTS5 and PostgreSQL.

Text is folded (NFKC, case folding, Latin/Greek/Cyrillic diacritics and Vietnamese đ removed) so
"Quang Ninh" finds "Quảng Ninh". Two token streams come out of every article:

- the positional *body* stream (also used for titles): folded words of space-separated scripts
  (Vietnamese syllables, Latin, Cyrillic...), character bigrams of Chinese/Japanese, Korean, Thai,
  Lao, Khmer and Myanmar runs (a lone character stands for itself), so phrase queries work;
- the *terms* column: whole dictionary words, which only add ranking weight: Vietnamese compound
  words from underthesea ("quangninh"), Chinese words from jieba (cut_for_search), Korean words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, chain, combinations, islice, pairwise
from typing import Any, TypeVar

from hoasen.analyze.segment import new_jieba_tokenizer

# Characters segmented into bigrams (no spaces between words in these scripts).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_KANA = "\u3005-\u3007\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff\uffa0-\uffdc"
_SEA = "\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"  # Thai, Lao, Myanmar, Khmer
# Combining marks and Indic blocks that belong inside a word although `\w` does not match them.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0900-\u0963\u0966-\u0dff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_TOKEN = re.compile(
    rf"(?P<cjk>[{_HAN}{_KANA}]+)"
    rf"|(?P<hangul>[{_HANGUL}]+)"
    rf"|(?P<sea>[{_SEA}]+)"
    rf"|(?P<word>(?:[^\W_{_HAN}{_KANA}{_HANGUL}{_SEA}]|[{_MARKS}])+)"
)
_WORD = re.compile(rf"(?:[^\W_{_HAN}{_KANA}{_HANGUL}{_SEA}]|[{_MARKS}])+")
_BIGRAM_CHAR = re.compile(rf"[{_HAN}{_KANA}{_HANGUL}{_SEA}]")
_HANGUL_RUN = re.compile(rf"[{_HANGUL}]{{2,}}")
_HAN_ONLY = re.compile(rf"[{_HAN}]+")
_HAS_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_MARK = "\u0300-\u036f"
_STRIP_BASES = "a-z\u00df-\u024f\u0250-\u02af\u0370-\u03ff\u0400-\u052f\u1e00-\u1eff"
# A run of combining marks right after a Latin, Greek or Cyrillic letter. The pattern starts
# with the mark itself (the lookbehind second), so the regex engine skips ahead to marks.
_STRIP_MARKS = re.compile(rf"[{_MARK}](?<=[{_STRIP_BASES}][{_MARK}])[{_MARK}]*")
# Letters without a decomposition that still fold to plain ones. str.replace per letter beats
# str.translate: translate looks every character up in a dict.
_FOLD_LETTERS = (
    ("đ", "d"),
    ("ð", "d"),
    ("ø", "o"),
    ("ł", "l"),
    ("ħ", "h"),
    ("ı", "i"),
    ("ŧ", "t"),
    ("ŀ", "l"),
    ("æ", "ae"),
    ("œ", "oe"),
    ("þ", "th"),
)
# Letters that (almost) only Vietnamese uses, precomposed or decomposed (horn, breve).
_VIETNAMESE = re.compile(
    "[ăắằẳẵặơớờởỡợưứừửữựđạảấầẩẫậẹẻẽếềểễệỉịọỏốồổỗộụủỳỵỷỹĂƠƯĐ]|[oOuU]\u031b|[aA]\u0306"
)
_QUOTES = re.compile('["\u201c\u201d\u201e\u201f\u00ab\u00bb\uff02]')

_T = TypeVar("_T", str, list[str])

MAX_QUERY_CHARS = 1000
MAX_GROUPS = 16
MAX_TERMS = 16
MAX_PHRASES = 8
# A query run of Chinese/Japanese/Korean also matches the text with punctuation cutting it at
# one or two places ("荷花特刊" finds "《荷花》特刊"): at most this many cut phrases per run, all
# runs together, and only for runs this short (each cut phrase is as long as the run).
MAX_CUTS = 6
MAX_CUTS_TOTAL = 12
MAX_CUT_CHARS = 24


@dataclass(frozen=True)
class IndexTokens:
    """What the index stores for one article: space-separated, already folded tokens."""

    title: str
    body: str
    terms: str


@dataclass(frozen=True)
class QueryPlan:
    """A parsed query: every group (a phrase of body tokens) must match; terms only add rank.

    `phrases` are optional adjacency boosts (pairs of neighbouring unquoted groups) that make
    documents with the words together rank above documents with the words apart.
    """

    groups: list[list[str]]
    terms: list[str]
    phrases: list[list[str]] | None = None
    cuts: dict[str, list[list[str]]] | None = None  # " ".join(group) -> its cut phrases

    @property
    def empty(self) -> bool:
        """True when the query had nothing to search for."""
        return not self.groups

    @property
    def anchor(self) -> list[str]:
        """The group with the fewest phrases: boosts are OR-ed with it (it holds whenever the
        query matches, so they never widen what matches)."""
        return min(self.groups, key=lambda g: len(self.choices(g)))

    def choices(self, group: list[str]) -> list[list[str]]:
        """The phrases any of which matches `group`: itself, then its punctuation-cut forms."""
        return [group, *(self.cuts or {}).get(" ".join(group), [])]


def is_fragment(token: str) -> bool:
    """True for a lone character of a bigram script: it is matched as a prefix of bigrams."""
    return len(token) == 1 and _BIGRAM_CHAR.match(token) is not None


def is_bigram_token(token: str) -> bool:
    """True for tokens made of CJK/Hangul/Thai-like characters (bigrams or lone characters)."""
    return _BIGRAM_CHAR.match(token) is not None


def bigrams(run: str) -> list[str]:
    """Character bigrams of a run, in order (the run itself when it is one character)."""
    if len(run) < 2:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def cut_phrases(
    run: str, boundaries: frozenset[int], anywhere: bool = True, limit: int = MAX_CUTS
) -> list[list[str]]:
    """Body tokens of `run` as the text holds it when punctuation cuts the run at one or two
    places ("荷花特刊" as "《荷花》特刊" gives 荷花 特刊): cuts at word `boundaries` (offsets
    in the run) come first, then (when `anywhere`) cuts elsewhere; at most `limit` phrases."""
    size = len(run)
    if size < 3 or size > MAX_CUT_CHARS or limit <= 0:
        return []
    bounds = [i for i in range(1, size) if i in boundaries]
    others = [i for i in range(1, size) if i not in boundaries] if anywhere else []
    cuts = chain(  # lazy: long runs only ever build the first `limit` cuts
        ((i,) for i in bounds),
        combinations(bounds, 2),
        ((i,) for i in others),
        (tuple(sorted(pair)) for pair in ((b, o) for b in bounds for o in others)),
        combinations(others, 2),
    )
    out: list[list[str]] = []
    for cut in islice(cuts, limit):
        tokens: list[str] = []
        for start, end in pairwise((0, *cut, size)):
            tokens.extend(bigrams(run[start:end]))
        out.append(tokens)
    return out


def unbigram(tokens: list[str]) -> str:
    """The run a list of consecutive bigrams was cut from."""
    if not tokens:
        return ""
    return tokens[0] + "".join(t[-1] for t in tokens[1:])


def base_language(language: str | None) -> str | None:
    """ "zh-CN" -> "zh"; None stays None."""
    if not language:
        return None
    return language.strip().lower().replace("_", "-").split("-")[0] or None


def scan(text: str) -> Iterator[re.Match[str]]:
    """Token runs of `text`: match groups `cjk`, `hangul`, `sea` (bigram scripts) or `word`."""
    return _TOKEN.finditer(text)


class Analyzer:
    """Folds and segments text for indexing and querying. Loads jieba/underthesea lazily, once.

    `vi_terms_chars` caps how much of a Vietnamese article underthesea segments for the `terms`
    column (it runs at ~90k chars/s); syllables always cover the whole text. 0 turns it off.
    """

    def __init__(self, vi_terms_chars: int = 1000, zh_terms_chars: int = 5000) -> None:
        self.vi_terms_chars = vi_terms_chars
        self.zh_terms_chars = zh_terms_chars
        self._jieba: Any = None
        self._vi_tokenize: Callable[[str], list[str]] | None = None
        self.fold_word: Callable[[str], str] = lru_cache(maxsize=100_000)(self.fold)

    # ---------------------------------------------------------------- folding

    def fold(self, text: str) -> str:
        """NFKC, case folding and diacritics folding (đ→d, ơ→o, é→e; CJK/Thai marks kept)."""
        if text.isascii():
            return text.lower()
        text = unicodedata.normalize("NFKC", text).casefold()
        text = _STRIP_MARKS.sub("", unicodedata.normalize("NFKD", text))
        for letter, plain in _FOLD_LETTERS:
            if letter in text:
                text = text.replace(letter, plain)
        return unicodedata.normalize("NFC", text)

    # ---------------------------------------------------------------- indexing

    def body_tokens(self, folded: str) -> list[str]:
        """The positional token stream of already folded text."""
        if _BIGRAM_CHAR.search(folded) is None:
            return _WORD.findall(folded)
        out: list[str] = []
        for m in _TOKEN.finditer(folded):
            if m.lastgroup == "word":
                out.append(m.group())
            else:
                out.extend(bigrams(m.group()))
        return out

    def index_tokens(self, title: str, text: str, language: str | None) -> IndexTokens:
        """Tokens for one article; `language` (ISO 639-1) picks segmenters, else the script does."""
        lang = base_language(language)
        title_folded = self.fold(title)
        text_folded = self.fold(text)
        terms: list[str] = []
        if self._wants_vietnamese(lang, title + " " + text[:2000]):
            terms.extend(self._vi_terms(title))
            terms.extend(self._vi_terms(text[: self.vi_terms_chars]))
        head = title_folded + "\n" + text_folded[: self.zh_terms_chars]
        if lang in (None, "zh") and _HAN_ONLY.search(head) and not _HAS_KANA.search(head):
            terms.extend(self._zh_terms(head))
        terms.extend(_HANGUL_RUN.findall(head))
        return IndexTokens(
            title=" ".join(self.body_tokens(title_folded)),
            body=" ".join(self.body_tokens(text_folded)),
            terms=" ".join(terms),
        )

    def _wants_vietnamese(self, lang: str | None, sample: str) -> bool:
        if self.vi_terms_chars <= 0:
            return False
        if lang == "vi":
            return True
        return lang is None and len(_VIETNAMESE.findall(sample)) >= 3

    def _vi_terms(self, text: str) -> list[str]:
        """Vietnamese compound words (two or more syllables), folded and joined: "quangninh"."""
        if not text.strip():
            return []
        tokenize = self._vietnamese()
        out: list[str] = []
        for word in tokenize(unicodedata.normalize("NFKC", text)):
            if " " not in word:
                continue
            syllables = [m.group() for m in _TOKEN.finditer(self.fold(word))]
            if len(syllables) > 1 and all(s.isalpha() for s in syllables):
                out.append("".join(syllables))
        return out

    def _zh_terms(self, folded: str) -> list[str]:
        """Chinese words of two or more characters (jieba, search mode)."""
        tokenizer = self._chinese()
        out: list[str] = []
        for run in _HAN_ONLY.findall(folded):
            if len(run) < 2:
                continue
            out.extend(w for w in tokenizer.cut_for_search(run, HMM=True) if len(w) > 1)
        return out

    # ---------------------------------------------------------------- lazy models

    def _vietnamese(self) -> Callable[[str], list[str]]:
        if self._vi_tokenize is None:
            from underthesea import word_tokenize

            def tokenize(text: str) -> list[str]:
                return list(word_tokenize(text))

            self._vi_tokenize = tokenize
        return self._vi_tokenize

    def _chinese(self) -> Any:
        if self._jieba is None:
            self._jieba = new_jieba_tokenizer()
        return self._jieba

    # ---------------------------------------------------------------- queries

    def plan_query(self, query: str, language: str | None = None) -> QueryPlan:
        """Parse a user query: words ANDed, "quoted text" a phrase, CJK runs phrases of bigrams."""
        lang = base_language(language)
        parts = _QUOTES.split(query[:MAX_QUERY_CHARS])
        if len(parts) % 2 == 0:  # an unmatched quote: the text after it is plain words
            parts[-2:] = [parts[-2] + " " + parts[-1]]
        groups: list[list[str]] = []
        phrases: list[list[str]] = []
        terms: list[str] = []
        cuts: dict[str, list[list[str]]] = {}
        for index, part in enumerate(parts):
            folded = self.fold(part)
            matches = list(_TOKEN.finditer(folded))
            if not matches:
                continue
            if index % 2 == 1:
                groups.append(self.body_tokens(folded))
            else:
                seg = [
                    [m.group()] if m.lastgroup == "word" else bigrams(m.group()) for m in matches
                ]
                for (a, b), (ma, mb) in zip(pairwise(seg), pairwise(matches), strict=True):
                    phrases.append(a + b)  # the words apart ("《荷花》特刊" for "荷花 特刊")
                    if ma.lastgroup == mb.lastgroup != "word":  # and written together
                        phrases.append(bigrams(ma.group() + mb.group()))
                for m, group in zip(matches, seg, strict=True):
                    key = " ".join(group)
                    if m.lastgroup in ("cjk", "hangul") and key not in cuts:
                        left = MAX_CUTS_TOTAL - sum(map(len, cuts.values()))
                        limit = min(MAX_CUTS, left)
                        starts, anywhere = self._cut_points(m, lang)
                        cuts[key] = cut_phrases(m.group(), starts, anywhere, limit)
                        if cuts[key]:
                            phrases.append(group)  # the run unbroken ranks first
                groups.extend(seg)
            terms.extend(self._query_terms(matches, lang))
        groups = _unique(groups)[:MAX_GROUPS]
        kept = {" ".join(g) for g in groups}
        return QueryPlan(
            groups=groups,
            terms=_unique(terms)[:MAX_TERMS],
            phrases=_unique(phrases)[:MAX_PHRASES],
            cuts={k: v for k, v in cuts.items() if v and k in kept},
        )

    def _cut_points(self, run: re.Match[str], lang: str | None) -> tuple[frozenset[int], bool]:
        """Offsets in a CJK/Hangul run where a word starts (punctuation falls there), and
        whether to cut elsewhere too. Chinese is cut only between jieba's words (each cut
        phrase costs search time); Japanese words are guessed where the script changes."""
        text = run.group()
        if run.lastgroup != "cjk" or len(text) < 3 or len(text) > MAX_CUT_CHARS:
            return frozenset(), True
        if _HAS_KANA.search(text) is None:
            if lang not in (None, "zh"):
                return frozenset(), True
            words = self._chinese().cut(text, HMM=False)
            return frozenset(accumulate(len(w) for w in words)), False
        kinds = [_script(c) for c in text]
        return frozenset(i for i in range(1, len(text)) if kinds[i] != kinds[i - 1]), True

    def highlights(self, query: str) -> tuple[frozenset[str], tuple[str, ...]]:
        """What snippets should bold for `query`: folded words, and folded CJK/Thai/Hangul runs."""
        words: set[str] = set()
        runs: list[str] = []
        for m in _TOKEN.finditer(self.fold(_QUOTES.sub(" ", query[:MAX_QUERY_CHARS]))):
            if m.lastgroup == "word":
                words.add(m.group())
            elif m.group() not in runs:
                runs.append(m.group())
        return frozenset(words), tuple(runs)

    def cut_highlights(self, query: str) -> tuple[str, ...]:
        """Folded starts and ends (two characters or more) of the query's CJK/Hangul runs that
        punctuation may cut (see `cut_phrases`): what snippets bold when no whole run is found."""
        pieces: list[str] = []
        for m in _TOKEN.finditer(self.fold(_QUOTES.sub(" ", query[:MAX_QUERY_CHARS]))):
            run = m.group()
            if m.lastgroup in ("cjk", "hangul") and 3 <= len(run) <= MAX_CUT_CHARS:
                for size in range(len(run) - 1, 1, -1):
                    pieces.extend((run[:size], run[-size:]))
        return tuple(dict.fromkeys(pieces))

    def _query_terms(self, matches: list[re.Match[str]], lang: str | None) -> list[str]:
        out: list[str] = []
        words: list[str] = []
        runs: list[list[str]] = []
        for m in matches:
            if m.lastgroup == "word" and m.group().isalpha():
                words.append(m.group())
                continue
            if words:
                runs.append(words)
            words = []
            if m.lastgroup == "hangul" and len(m.group()) > 1:
                out.append(m.group())
            elif (
                m.lastgroup == "cjk"
                and lang in (None, "zh")
                and len(m.group()) > 1
                and not _HAS_KANA.search(m.group())
            ):
                out.extend(self._zh_terms(m.group()))
        if words:
            runs.append(words)
        if lang in (None, "vi"):  # possible Vietnamese compounds: joined pairs and triples
            for run in runs:
                for size in (2, 3):
                    out.extend("".join(run[i : i + size]) for i in range(len(run) - size + 1))
        return out


def _script(char: str) -> int:
    """0 for Han, 1 for hiragana, 2 for katakana (and other kana-block characters)."""
    if "\u3040" <= char <= "\u309f":
        return 1
    return 0 if _HAN_ONLY.match(char) else 2


def _unique(items: list[_T]) -> list[_T]:
    seen: set[str] = set()
    out: list[_T] = []
    for item in items:
        key = item if isinstance(item, str) else " ".join(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out
