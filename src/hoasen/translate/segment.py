"""Sentence and paragraph splitting for translation, with nothing to download.

Engines translate best one sentence at a time, and translation memory matches sentences, so
text is cut at sentence ends: `。！？` in Chinese and Japanese, `. ! ?` followed by a space and a
word that is not lower case elsewhere. A full stop does not end a sentence after a known
abbreviation ("Mr.", "TP.", "PGS.TS."), initials ("U.S.", "e.g."), a single letter, a decimal
("3.5" has no space) or a German ordinal ("3. Oktober"); nothing is cut inside matched brackets
or quotes. Joining the pieces gives back the text, whitespace aside. Thai and Lao, which mark no
sentence ends, stay whole.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from hoasen.translate.types import base_lang

# Sentence-final punctuation. CJK marks end a sentence without a following space.
_LATIN_END = ".!?…"
_CJK_END = "。！？｡"
_ENDS = _LATIN_END + _CJK_END + "!?"
# What may follow the final mark and still belong to the sentence: closing quotes, brackets.
_CLOSERS = "\"'”’»」』）)]】》〉›"
# Openers and the closer each expects. “ closes „ (German) and opens otherwise.
_PAIRS = {
    "(": ")",
    "[": "]",
    "{": "}",
    "（": "）",
    "【": "】",
    "《": "》",
    "〈": "〉",
    "「": "」",
    "『": "』",
    "“": "”",
    "‘": "’",
    "«": "»",
    "„": "“",
    "‹": "›",
}
_MAX_PROTECTED = 400  # a "quote" longer than this is more likely an unmatched mark

# Abbreviations after which a full stop does not end a sentence (exact case). One list for every
# language: a mislabelled article still splits well, and over-joining is the safe mistake.
_ABBREVIATIONS = frozenset(
    " ".join(
        (
            "Mr Mrs Ms Mx Dr Prof Sr Jr St Mt Gen Gov Sen Rep Lt Col Capt Sgt Maj Adm Cmdr Hon Rev",
            "Pres Amb Brig Inc Ltd Co Corp Bros vs etc approx dept est fig Fig no No nos Nos vol",
            "Vol p pp Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Ave Blvd Rd ca cf al Dept",
            "Univ Assn",
            "TP Tp tp Q P TS ThS PGS GS TSKH BS KS LS CN TT TX Th NXB Nxb tr Tr Đ đ ĐC Đc",  # vi
            "M Mme Mlle MM Me Pr Ste av bd janv févr avr juil déc",  # fr
            "Hr Nr bzw usw vgl Str Okt Dez Mio Mrd Abs Art ggf evtl",  # de
            "Sra Srta Dra Ud Uds Dña pág núm",  # es
            "г гг т е д др ул им млн млрд тыс руб долл проф акад см стр вв ок ср",  # ru
        )
    ).split(" ")
)
_INITIALS = re.compile(r"^(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")
_NO_SPLIT_LANGS = {"th", "lo", "km", "my"}
_CJK_LANGS = {"zh", "ja"}
_CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")


class Sentence(NamedTuple):
    """One sentence and the index of the paragraph it belongs to (0-based, non-empty ones)."""

    paragraph: int
    text: str


def split_sentences(text: str, lang: str = "") -> list[str]:
    """The sentences of `text`, stripped, in order; blank lines always end a sentence."""
    out: list[str] = []
    for block in re.split(r"\n[ \t\r\f\v]*\n\s*", text):
        if block.strip():
            out += _split_block(block, base_lang(lang) if lang else "")
    return out


def split_paragraphs(text: str, lang: str = "") -> list[Sentence]:
    """Every line of `text` is a paragraph; its sentences, with the paragraph's index."""
    out: list[Sentence] = []
    index = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        out += [Sentence(index, s) for s in split_sentences(line, lang)]
        index += 1
    return out


def _split_block(text: str, lang: str) -> list[str]:
    if lang in _NO_SPLIT_LANGS:
        return [" ".join(text.split())] if text.strip() else []
    protected = _protected_spans(text)
    cuts: list[int] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch not in _ENDS:
            i += 1
            continue
        start = i
        while i < n and text[i] in _ENDS:
            i += 1
        while i < n and text[i] in _CLOSERS:
            i += 1
        if _is_boundary(text, start, i, lang) and not _inside(i, protected):
            cuts.append(i)
    pieces: list[str] = []
    prev = 0
    for cut in [*cuts, n]:
        piece = text[prev:cut].strip()
        if piece:
            pieces.append(piece)
        prev = cut
    return pieces


def _is_boundary(text: str, start: int, end: int, lang: str) -> bool:
    """Whether the punctuation run text[start:end] (marks plus closers) ends a sentence."""
    marks = text[start:end].rstrip(_CLOSERS)
    rest = text[end:]
    if any(m in _CJK_END for m in marks):
        return True
    if not rest.strip():
        return False  # end of text: nothing to cut
    if not rest[0].isspace():
        # "3.5", "baoquangninh.vn", "TP.HCM": no space, no cut, except "!" or "?" right before a
        # Chinese or Japanese character in those languages.
        return lang in _CJK_LANGS and set(marks) <= set("!?") and bool(_CJK_CHAR.match(rest[0]))
    following = rest.lstrip()[0]
    if following.islower():
        return False
    if marks != ".":
        return True  # "!", "?", "...", "?!"
    token = _token_before(text, start)
    if not token:
        return True
    if token.isdigit():
        return not (lang == "de" and len(token) <= 2)  # "am 3. Oktober"
    last = token.rsplit(".", 1)[-1]
    if last in _ABBREVIATIONS or token in _ABBREVIATIONS:
        return False
    if len(last) == 1 and last.isalpha():
        return False  # an initial: "J. Smith", "Nguyễn Văn A."
    return not _INITIALS.match(token)  # "U.S", "e.g", "v.v", "т.е"


def _token_before(text: str, pos: int) -> str:
    """The word (with inner dots) that ends at `pos`, without opening punctuation."""
    j = pos
    while j > 0 and not text[j - 1].isspace():
        j -= 1
    return text[j:pos].lstrip("\"'“‘«„(（[【《「『")


def _protected_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of matched brackets and quotes, short enough to trust: no cut inside."""
    spans: list[tuple[int, int]] = []
    stack: list[tuple[str, int]] = []  # (expected closer, position)
    for i, ch in enumerate(text):
        if stack and ch == stack[-1][0]:
            _closer, start = stack.pop()
            if i - start <= _MAX_PROTECTED:
                spans.append((start, i + 1))
            continue
        if ch == '"':
            before = text[i - 1] if i else " "
            if before.isspace() or before in _PAIRS:
                stack.append(('"', i))
            else:
                # a closing straight quote: close the nearest one still open
                for k in range(len(stack) - 1, -1, -1):
                    if stack[k][0] == '"':
                        start = stack[k][1]
                        del stack[k:]
                        if i - start <= _MAX_PROTECTED:
                            spans.append((start, i + 1))
                        break
            continue
        if ch in _PAIRS:
            stack.append((_PAIRS[ch], i))
        elif ch in ")]}）】》〉」』”»›":
            # a closer without its opener on top: close the nearest matching opener, if any
            for k in range(len(stack) - 1, -1, -1):
                if stack[k][0] == ch:
                    start = stack[k][1]
                    del stack[k:]
                    if i - start <= _MAX_PROTECTED:
                        spans.append((start, i + 1))
                    break
    return spans


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a cut at `pos` would fall strictly inside a protected span."""
    return any(start < pos < end for start, end in spans)
