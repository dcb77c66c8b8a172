"""Search result snippets: ~30 words of an article around its first match, matches in bold.

Cut in Python from the article's original text: tokens are folded and matched against the
query's folded words and CJK/Thai/Hangul runs, then mapped back to the original characters.
"""

from __future__ import annotations

import re

from hoasen.store.analyzer import _TOKEN, Analyzer, scan

SNIPPET_WORDS_BEFORE = 10
SNIPPET_WORDS_AFTER = 20
SNIPPET_CHARS_BEFORE = 20  # scripts without spaces
SNIPPET_CHARS_AFTER = 60
SNIPPET_SCAN_CHARS = 200_000
SNIPPET_PIECE_CHARS = 48  # a snippet is checked piece by piece for matches to highlight
SNIPPET_CHUNK_CHARS = 256  # text first folded to look for a match (then 512, 1024...)
_SPACES = re.compile(r"\s+")
_UNKNOWN: tuple[tuple[int, int], ...] = ((-1, -1),)  # a token not matched against the query yet


def snippet(analyzer: Analyzer, text: str, words: frozenset[str], runs: tuple[str, ...]) -> str:
    """~30 words (~80 characters of CJK/Thai) of `text` around the first match, matches in bold.

    Matching is done on folded tokens and mapped back to the original characters, so the
    snippet shows "Quảng Ninh" for the query "quang ninh".
    """
    return Snippets(analyzer, words, runs).snippet(text)


class Snippets:
    """Cuts the snippets of one search: remembers which tokens match (articles repeat their
    words) and skips, a chunk at a time, text whose folded form holds no query word.

    `pieces` (parts of CJK runs that punctuation may cut apart) are looked for only in texts
    where no whole run is found."""

    def __init__(
        self,
        analyzer: Analyzer,
        words: frozenset[str],
        runs: tuple[str, ...],
        pieces: tuple[str, ...] = (),
    ) -> None:
        self.fallback = Snippets(analyzer, words, (*runs, *pieces)) if pieces else None
        self.fold = analyzer.fold
        self.fold_word = analyzer.fold_word
        self.words = words
        self.runs = runs
        self.needles = (*words, *runs)  # a matching token folds to a text holding one of them
        self._ranges: dict[tuple[str, bool], tuple[tuple[int, int], ...]] = {}

    def snippet(self, text: str) -> str:
        """The snippet of one article text (see `snippet`)."""
        if not text:
            return ""
        head = text[:SNIPPET_SCAN_CHARS]
        found = self._first_hit(head)
        if found is None and self.fallback is not None:
            return self.fallback.snippet(text)
        if found is None:  # the match is in the title (or a dictionary word): show the opening
            opening = next(scan(head), None)
            if opening is None:
                return _clean(text[: SNIPPET_CHARS_AFTER * 2])
            token, hit_start = opening, opening.start()
        else:
            token, hit_start = found
        if token.lastgroup == "word":
            start = max(
                _tokens_before(head, token),
                _word_boundary(text, hit_start - 6 * SNIPPET_WORDS_BEFORE),
            )
            end = _tokens_after(head, token, hit_start + 10 * SNIPPET_WORDS_AFTER)
        else:
            start = max(0, hit_start - SNIPPET_CHARS_BEFORE)
            end = hit_start + SNIPPET_CHARS_AFTER
        return self._render(text, start, end)

    def _first_hit(self, head: str) -> tuple[re.Match[str], int] | None:
        """The first token of `head` that matches, and where its match starts.

        Chunks (each twice the last) end after a space, so no token straddles two; a chunk
        whose folded text holds no query word nor run has no matching token and is not
        tokenized.
        """
        at, size = 0, SNIPPET_CHUNK_CHARS
        while at < len(head) and self.needles:
            end = head.find(" ", at + size) + 1 or len(head)
            size *= 2  # a text without a match is folded in a few calls
            found = self._hit_in(head, at, end, self.fold(head[at:end]))
            if found is not None:
                return found
            at = end
        return None

    def _hit_in(
        self, head: str, at: int, end: int, folded: str
    ) -> tuple[re.Match[str], int] | None:
        """The first matching token of head[at:end] (whose folded text is `folded`).

        A long piece holding a query word is halved (at a space: no token straddles the cut,
        and folding does not reach across a space) until the half holding the first match is
        short enough to tokenize.
        """
        if not any(needle in folded for needle in self.needles):
            return None
        if end - at > SNIPPET_CHUNK_CHARS:
            middle = head.find(" ", at + (end - at) // 2, end - 1) + 1
            if at < middle < end:
                first = self._hit_in(head, at, middle, self.fold(head[at:middle]))
                if first is not None:
                    return first
                return self._hit_in(head, middle, end, self.fold(head[middle:end]))
        known = self._ranges.get
        for m in _TOKEN.finditer(head, at, end):
            ranges = known((m.group(), m.lastgroup == "word"), _UNKNOWN)
            if ranges is _UNKNOWN:
                ranges = self._token_ranges(m)
            if ranges:
                return m, m.start() + ranges[0][0]
        return None

    def _token_ranges(self, m: re.Match[str]) -> tuple[tuple[int, int], ...]:
        """Ranges of `m` (a token of the original text) that match the query, relative to it."""
        key = (m.group(), m.lastgroup == "word")
        ranges = self._ranges.get(key)
        if ranges is None:
            ranges = self._ranges[key] = self._match(*key)
        return ranges

    def _match(self, token: str, is_word: bool) -> tuple[tuple[int, int], ...]:
        if is_word:
            if not self.words:
                return ()
            folded = self.fold_word(token)
            if folded in self.words or any(w in self.words for w in folded.split()):
                return ((0, len(token)),)
            return ()
        if not self.runs:
            return ()
        folded = self.fold_word(token)
        out: list[tuple[int, int]] = []
        for run in self.runs:
            at = folded.find(run)
            while at >= 0:
                if len(folded) == len(token):
                    out.append((at, at + len(run)))
                else:  # folding changed the length (half-width kana...): mark the whole run
                    out.append((0, len(token)))
                    break
                at = folded.find(run, at + len(run))
        return tuple(sorted(out))

    def _render(self, text: str, start: int, end: int) -> str:
        """text[start:end] with matches wrapped in ** (neighbouring matches share one pair)."""
        end = min(end, len(text))
        window = text[start:end]
        hits: list[tuple[int, int]] = []
        known = self._ranges.get
        a, size = 0, len(window)
        while a < size and self.needles:
            # a piece whose folded text holds no query word has no matching token (pieces end
            # after a space, and no token nor folding reaches across one)
            b = window.find(" ", a + SNIPPET_PIECE_CHARS) + 1 or size
            folded = self.fold(window[a:b])
            if any(needle in folded for needle in self.needles):
                for m in _TOKEN.finditer(window, a, b):
                    ranges = known((m.group(), m.lastgroup == "word"), _UNKNOWN)
                    if ranges is _UNKNOWN:
                        ranges = self._token_ranges(m)
                    if ranges:
                        at = m.start()
                        hits.extend((at + s, at + e) for s, e in ranges)
            a = b
        merged: list[list[int]] = []
        for s, e in sorted(hits):
            if merged and (s <= merged[-1][1] or not window[merged[-1][1] : s].strip()):
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        pieces: list[str] = []
        at = 0
        for s, e in merged:
            pieces.append(window[at:s])
            pieces.append(f"**{_clean(window[s:e])}**")
            at = e
        pieces.append(window[at:])
        out = _clean("".join(pieces))
        if start > 0:
            out = "… " + out
        if end < len(text):
            out += " …"
        return out


def _tokens_before(text: str, token: re.Match[str]) -> int:
    """Start of the token SNIPPET_WORDS_BEFORE tokens before `token` (or of the first one),
    looking back no further than needed: the caller caps the snippet at ~60 characters."""
    back = max(0, token.start() - 8 * SNIPPET_WORDS_BEFORE)  # before the cap's reach
    back = text.rfind(" ", 0, back) + 1  # after a space: tokens there are whole
    starts = [m.start() for m in token.re.finditer(text, back, token.start())]
    if len(starts) >= SNIPPET_WORDS_BEFORE:
        return starts[-SNIPPET_WORDS_BEFORE]
    if back > 0 and token.re.search(text, 0, back) is not None:
        return 0  # the token wanted starts before `back`, further back than the cap
    return starts[0] if starts else token.start()


def _tokens_after(text: str, token: re.Match[str], cap: int) -> int:
    """End of the token SNIPPET_WORDS_AFTER tokens after `token` (or of the last one), at
    most `cap`."""
    end = token.end()
    for count, m in enumerate(token.re.finditer(text, token.end()), 1):
        end = m.end()
        if count >= SNIPPET_WORDS_AFTER or end >= cap:
            break
    return min(end, cap)


def _word_boundary(text: str, at: int) -> int:
    """`at`, moved forward to the start of a word when it falls inside one."""
    if at <= 0:
        return 0
    space = text.find(" ", at, at + 20)
    return at if space < 0 else space + 1


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
