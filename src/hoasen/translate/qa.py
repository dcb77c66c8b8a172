"""QA checks on a translated segment, machine or human: termbase names, numbers, untranslated or
wrong-language text, length outliers, markup and placeholders, and missing or extra segments.

Severities: an **error** is something to fix before publishing (a forbidden name, a number
missing or changed, an empty or untranslated target, a lost placeholder or tag); a **warning**
asks an editor to look (a preferred name not found, a rounded number, a number the source does
not have, an odd length, unbalanced brackets); **info** is a hint. Segments "flagged" are those
with an error or a warning (`is_flagged`).

Names: a glossary concept is found in the source ignoring case and Vietnamese diacritics for
Latin script ("Quang Ninh" finds Quảng Ninh), exactly for CJK. The target must then carry the
preferred or an admitted term, diacritics included ("Quang Ninh" in a Vietnamese target is not
"Quảng Ninh"); a forbidden variant anywhere in the target is an error. Numbers: see
`qa_numbers`. `QA` builds each glossary's matcher once and keeps it for that glossary object.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from hoasen.analyze.language import LanguageDetector
from hoasen.translate.qa_names import GlossaryMatcher, fold
from hoasen.translate.qa_numbers import compare_numbers, extract_numbers
from hoasen.translate.types import Flag, Glossary, base_lang

__all__ = [
    "NAME_CHECKS",
    "QA",
    "GlossaryMatcher",
    "check_document",
    "check_segment",
    "fold",
    "is_flagged",
]

#: Checks whose flags the false-alarm measure counts (see eval/qa.py).
NAME_CHECKS = ("names", "forbidden")
_CJK_LANGS = frozenset(("zh", "ja", "ko"))
#: Length of a translation per English letter, in weighted units (see `_units`; NTREX medians).
_DENSITY = {"en": 1.0, "vi": 1.1, "zh": 0.9, "ja": 0.92, "ko": 1.0}
_LENGTH_FACTOR = 2.5  # how far from the typical ratio a segment may be before a warning
_MIN_LENGTH_UNITS = 60
_MIN_LANG_LETTERS = 40  # language ID only on targets this long (in letters)
_MAX_CACHED = 8


def is_flagged(flags: Sequence[Flag]) -> bool:
    """True when a segment has an error or a warning (info alone does not count)."""
    return any(f.severity in ("error", "warning") for f in flags)


# --------------------------------------------------------------------------- markup

_WORDCH = "A-Za-z0-9_\u00c0-\u024f\u1e00-\u1eff"  # letters of hashtags and handles (not CJK)
_MARKUP = re.compile(
    r"(?P<tag></?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>)"
    r"|(?P<url>(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&*+,;=%()]*[A-Za-z0-9\-_~/#=&%])"
    r"|(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?P<ph>\{\{\s*[\w.]+\s*\}\}|\{\d+\}|\{[A-Za-z_]\w*\}|%(?:\d+\$)?[sdif]|%\([a-z_]+\)[sdif]"
    r"|\$\{\w+\}|⟦[^⟧]{1,40}⟧|\[\[[^\]]{1,40}\]\]|__[A-Z0-9_]{2,40}__)"
    rf"|(?P<hash>(?<![\w&])#[A-Za-z\u00c0-\u024f\u1e00-\u1eff][{_WORDCH}]*)"
    rf"|(?P<at>(?<![\w.])@[{_WORDCH}]+)"
)
_TAG_NAME = re.compile(r"</?([A-Za-z][\w:-]*)[^>]*?(/?)>")
_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"), ("（", "）"), ("【", "】"), ("《", "》"))
_MARKUP_SEVERITY = {"tag": "error", "url": "error", "email": "error", "ph": "error"}
_MARKUP_WORD = {
    "tag": "tag",
    "url": "link",
    "email": "e-mail address",
    "ph": "placeholder",
    "hash": "hashtag",
    "at": "@mention",
}


def _markup_tokens(text: str) -> Counter[tuple[str, str]]:
    out: Counter[tuple[str, str]] = Counter()
    if not any(c in text for c in "<{%$⟦[_#@.") or not text:
        return out
    for m in _MARKUP.finditer(text):
        kind = m.lastgroup or ""
        token = m.group()
        if kind == "tag":
            t = _TAG_NAME.match(token)
            token = (
                f"<{'/' if token.startswith('</') else ''}{t.group(1).lower()}{t.group(2)}>"
                if t
                else token
            )
        out[(kind, token)] += 1
    return out


def check_markup(source: str, target: str) -> list[Flag]:
    """Tags, links, e-mail addresses, placeholders, hashtags and @mentions on one side only;
    brackets (a warning) and quotation marks (info) the source pairs and the target does not."""
    flags: list[Flag] = []
    src, tgt = _markup_tokens(source), _markup_tokens(target)
    if src or tgt:
        for (kind, token), count in sorted((src - tgt).items()):
            word = _MARKUP_WORD[kind]
            more = f" ({count}×)" if count > 1 else ""
            severity = _MARKUP_SEVERITY.get(kind, "warning")
            flags.append(
                Flag("markup", severity, f"{word} {token} is missing from the target{more}")
            )
        for (kind, token), _count in sorted((tgt - src).items()):
            word = _MARKUP_WORD[kind]
            severity = _MARKUP_SEVERITY.get(kind, "warning")
            flags.append(
                Flag("markup", severity, f"{word} {token} in the target is not in the source")
            )
    for left, right in _BRACKETS:
        if left not in target and right not in target and left not in source:
            continue
        s_ok = source.count(left) == source.count(right)
        t_ok = target.count(left) == target.count(right)
        if s_ok and not t_ok:
            flags.append(
                Flag("markup", "warning", f"unbalanced brackets {left}{right} in the target")
            )
    if _quotes_paired(source) and not _quotes_paired(target):
        # info only: a quotation often runs over several segments and human translations
        # split it differently (NTREX: 1.2% of segments)
        flags.append(Flag("markup", "info", "quotation marks do not pair up in the target"))
    return flags


def _quotes_paired(text: str) -> bool:
    """Double quotes (any style, counted together) and corner brackets come in pairs."""
    if not any(c in text for c in '"“”„「」『』'):
        return True
    doubles = sum(text.count(c) for c in '"“”„')
    return (
        doubles % 2 == 0
        and text.count("「") == text.count("」")
        and text.count("『") == text.count("』")
    )


# --------------------------------------------------------------------------- language


@dataclass(frozen=True)
class _Scripts:
    letters: int
    latin: int
    han: int
    kana: int
    hangul: int
    vi_marks: int


_VI_LETTERS = (
    "ăâđêôơưĂÂĐÊÔƠƯ"
    + "".join(chr(cp) for cp in range(0x1EA0, 0x1EFA))
    + "àáảãạèéẻẽẹìíỉĩịòóỏõọùúủũụỳýỷỹỵÀÁÃÈÉÌÍÒÓÕÙÚÝ"
)
_KANA_RE = re.compile("[\u3040-\u30ff\uff66-\uff9f]")
_HAN_RE = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_HANGUL_RE = re.compile("[\uac00-\ud7af\u1100-\u11ff]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
_VI_RE = re.compile(f"[{_VI_LETTERS}]")
_LETTER_RE = re.compile(r"[^\W\d_]")


def _scripts(text: str) -> _Scripts:
    """Letters of `text` by script (counted by regular expressions: fast on long texts)."""
    return _Scripts(
        len(_LETTER_RE.findall(text)),
        len(_LATIN_RE.findall(text)),
        len(_HAN_RE.findall(text)),
        len(_KANA_RE.findall(text)),
        len(_HANGUL_RE.findall(text)),
        len(_VI_RE.findall(text)),
    )


def _norm_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


_NAMES = {"en": "English", "vi": "Vietnamese", "zh": "Chinese", "ja": "Japanese", "ko": "Korean"}


def _lang_name(lang: str) -> str:
    return _NAMES.get(lang, lang)


# --------------------------------------------------------------------------- QA


class QA:
    """Runs every check; keeps each glossary's matcher (by object) and a language detector.

    `detector` judges Latin-script targets that script counts cannot settle (built on first
    need when None); `languages` is False to skip language identification altogether.
    """

    def __init__(self, detector: LanguageDetector | None = None, languages: bool = True) -> None:
        self._detector = detector
        self._use_languages = languages
        self._matchers: dict[int, tuple[Glossary, GlossaryMatcher]] = {}

    def matcher(self, glossary: Glossary) -> GlossaryMatcher:
        """The matcher for this glossary object, built once."""
        cached = self._matchers.get(id(glossary))
        if cached is not None and cached[0] is glossary:
            return cached[1]
        if len(self._matchers) >= _MAX_CACHED:
            self._matchers.pop(next(iter(self._matchers)))
        built = GlossaryMatcher(glossary)
        self._matchers[id(glossary)] = (glossary, built)
        return built

    def check_segment(
        self,
        source: str,
        target: str,
        src_lang: str,
        tgt_lang: str,
        glossary: Glossary | None = None,
    ) -> list[Flag]:
        """Every QA flag for one source segment and its translation."""
        src, tgt = base_lang(src_lang), base_lang(tgt_lang)
        if not target.strip():
            if source.strip():
                return [Flag("empty", "error", "the target is empty")]
            return []
        if not source.strip():
            return [Flag("extra", "warning", "the source segment is empty but the target is not")]
        flags: list[Flag] = []
        if glossary is not None and glossary.entries:
            flags += self.check_names(source, target, glossary)
        flags += self.check_numbers(source, target, src, tgt)
        flags += self.check_language(source, target, src, tgt)
        flags += self.check_length(source, target, src, tgt)
        flags += check_markup(source, target)
        return flags

    def check_document(
        self,
        sources: Sequence[str],
        targets: Sequence[str],
        src_lang: str,
        tgt_lang: str,
        glossary: Glossary | None = None,
    ) -> list[list[Flag]]:
        """Flags per segment, aligned by position; a segment with no counterpart is flagged
        missing (no target) or extra (no source). The list is as long as the longer side."""
        out: list[list[Flag]] = []
        n_src, n_tgt = len(sources), len(targets)
        for i in range(max(n_src, n_tgt)):
            if i >= n_tgt:
                out.append(
                    [
                        Flag(
                            "missing",
                            "error",
                            f"no translation: the target has {n_tgt} segments, the source {n_src}",
                        )
                    ]
                )
            elif i >= n_src:
                out.append(
                    [
                        Flag(
                            "extra",
                            "error",
                            f"target segment with no source: the target has {n_tgt} "
                            f"segments, the source {n_src}",
                        )
                    ]
                )
            else:
                out.append(self.check_segment(sources[i], targets[i], src_lang, tgt_lang, glossary))
        return out

    # -- the checks

    def check_names(self, source: str, target: str, glossary: Glossary) -> list[Flag]:
        """Forbidden variants in the target (errors); source concepts whose preferred or
        admitted target term is absent (warnings)."""
        matcher = self.matcher(glossary)
        flags: list[Flag] = []
        seen: set[str] = set()
        for entry, ids, surface in matcher.concepts(source):
            if entry is None or entry.concept in seen:
                continue
            seen.add(entry.concept)
            if any(matcher.allowed_spans(target, matcher.entries[i]) for i in ids):
                continue
            if surface.casefold() in target.casefold():
                continue  # kept as written in the source (CNN, Facebook): a translator's choice
            # Places and organisations go by short forms, stand for governments and turn into
            # verbs (UK = Anh, Washington = 米国, 推特 = tweeted): a hint only. People and the
            # office's own terms have one right form: a warning.
            severity = "info" if entry.type in ("LOC", "ORG") else "warning"
            flags.append(
                Flag(
                    "names",
                    severity,
                    f"“{surface}” should be translated as “{entry.target}”, which the target lacks",
                )
            )
        for entry, _variant, written in matcher.forbidden(target):
            flags.append(
                Flag(
                    "forbidden",
                    "error",
                    f"“{written}” is a forbidden form of “{entry.target}”; write “{entry.target}”",
                )
            )
        return flags

    def check_numbers(self, source: str, target: str, src_lang: str, tgt_lang: str) -> list[Flag]:
        """Numbers missing, changed, rounded or added (see `qa_numbers`)."""
        if not (_HAS_NUMBER.search(source) or _DIGIT.search(target)):
            return []
        issues = compare_numbers(
            extract_numbers(source, src_lang), extract_numbers(target, tgt_lang)
        )
        return [Flag("numbers", i.severity, i.message()) for i in issues]

    def check_language(self, source: str, target: str, src_lang: str, tgt_lang: str) -> list[Flag]:
        """Untranslated (target = source, or in the source's script) and wrong-language targets."""
        if src_lang != tgt_lang and _norm_text(source) == _norm_text(target):
            s = _scripts(source)
            if s.letters < 12 and (s.han + s.kana + s.hangul) < 4:
                return []  # a name, a number, a short title: the same in both languages
            if s.latin >= 12 and self._use_languages:
                guess = self.detector.detect(source)
                if guess.language not in (None, src_lang, tgt_lang) and guess.confidence >= 0.5:
                    return []  # a quotation in a third language, kept as written
            return [Flag("untranslated", "error", "the target is the source text, untranslated")]
        t = _scripts(target)
        if t.letters < 8:
            return []
        cjk = 3 * (t.han + t.kana + t.hangul)
        weighted = t.letters + 2 * (t.han + t.kana + t.hangul)
        if tgt_lang in _CJK_LANGS:
            own = 3 * {"zh": t.han, "ja": t.han + t.kana, "ko": t.hangul}[tgt_lang]
            if own / weighted < 0.2 and t.letters >= 20:
                return [self._wrong(src_lang, tgt_lang, "is mostly in Latin script")]
            if tgt_lang == "ja" and t.han >= 20 and t.kana == 0:
                return [Flag("language", "warning", "the target reads as Chinese, not Japanese")]
            if tgt_lang == "zh" and t.kana >= 3 and t.kana * 10 >= t.han:
                return [Flag("language", "warning", "the target reads as Japanese, not Chinese")]
            return []
        if cjk / weighted >= 0.5 and t.letters >= 10:
            return [
                self._wrong(src_lang, tgt_lang, "is mostly in Chinese, Japanese or Korean script")
            ]
        if t.latin < _MIN_LANG_LETTERS or not self._use_languages:
            return []
        if tgt_lang == "vi" and t.vi_marks * 12 >= t.latin:
            return []  # Vietnamese letters all over: Vietnamese
        if tgt_lang != "vi" and t.vi_marks * 12 >= t.latin and src_lang == "vi":
            return [self._wrong(src_lang, tgt_lang, "is in Vietnamese")]
        if tgt_lang == "en" and t.vi_marks == 0 and _looks_english(target):
            return []  # English function words all over: English
        guess = self.detector.detect(target)
        if guess.language and guess.language != tgt_lang and guess.confidence >= 0.6:
            if guess.language == src_lang:
                return [self._wrong(src_lang, tgt_lang, f"is in {_lang_name(src_lang)}")]
            return [
                Flag(
                    "language",
                    "warning",
                    f"the target reads as {_lang_name(guess.language)}, not {_lang_name(tgt_lang)}",
                )
            ]
        return []

    def _wrong(self, src_lang: str, tgt_lang: str, what: str) -> Flag:
        return Flag("language", "error", f"the target {what}, not {_lang_name(tgt_lang)}")

    @property
    def detector(self) -> LanguageDetector:
        """The language detector, built on first use (loading its models takes seconds)."""
        if self._detector is None:
            from hoasen.analyze.language import LinguaDetector
            from hoasen.settings import DEFAULT_LANGUAGES

            self._detector = LinguaDetector(DEFAULT_LANGUAGES)
        return self._detector

    def check_length(self, source: str, target: str, src_lang: str, tgt_lang: str) -> list[Flag]:
        """A target far shorter or longer than translations run, lengths counted in English
        letters' worth (a Han character weighs 3, hangul 2.3, kana 1.8: NTREX medians)."""
        s_units, t_units = _units(source), _units(target)
        if max(s_units, t_units) < _MIN_LENGTH_UNITS:
            return []  # short lines vary too much ("And I did." = 然后我就在电话里和她道别了。)
        ratio = (t_units / _DENSITY.get(tgt_lang, 1.0)) / (s_units / _DENSITY.get(src_lang, 1.0))
        s_len, t_len = len(source.strip()), len(target.strip())
        if ratio < 1 / _LENGTH_FACTOR:
            return [
                Flag(
                    "length",
                    "warning",
                    f"the target is unusually short ({t_len} characters for {s_len})",
                )
            ]
        if ratio > _LENGTH_FACTOR:
            return [
                Flag(
                    "length",
                    "warning",
                    f"the target is unusually long ({t_len} characters for {s_len})",
                )
            ]
        return []


def _units(text: str) -> float:
    """Length of a text in English letters' worth."""
    text = text.strip()
    return (
        len(text)
        + 2.0 * len(_HAN_RE.findall(text))
        + 0.8 * len(_KANA_RE.findall(text))
        + 1.3 * len(_HANGUL_RE.findall(text))
    )


#: Cheap test: can this text hold a number a translation must carry? (digits, kanji numbers
#: with a place unit, or a scale word after a number word).
_HAS_NUMBER = re.compile(
    r"[0-9０-９]|[〇零一二两兩三四五六七八九][十百千万萬亿億兆]|[十百千][一二两兩三四五六七八九]"
    r"|(?i:thousand|million|billion|trillion|nghìn|ngàn|triệu|tỷ|tỉ)"
)
_DIGIT = re.compile(r"[0-9０-９]")
_EN_WORDS = frozenset(
    (
        *("the", "of", "and", "to", "in", "a", "is", "was", "for", "on", "that", "with"),
        *("said", "as", "by", "at", "from", "it", "his", "her", "their", "be", "has"),
        *("have", "had", "are", "were", "will", "would", "not", "this", "an", "or"),
        *("but", "who", "which", "after", "its"),
    )
)


def _looks_english(text: str) -> bool:
    """Cheap check before language ID: English function words make up a good share."""
    words = re.findall(r"[a-z']+", text.lower())
    return len(words) >= 6 and sum(w in _EN_WORDS for w in words) * 7 >= len(words)


def check_segment(
    source: str,
    target: str,
    src_lang: str,
    tgt_lang: str,
    glossary: Glossary | None = None,
) -> list[Flag]:
    """QA flags for one segment (a fresh `QA`: reuse a `QA` instance for many segments)."""
    return QA().check_segment(source, target, src_lang, tgt_lang, glossary)


def check_document(
    sources: Sequence[str],
    targets: Sequence[str],
    src_lang: str,
    tgt_lang: str,
    glossary: Glossary | None = None,
) -> list[list[Flag]]:
    """QA flags for line-aligned source and target segments (see `QA.check_document`)."""
    return QA().check_document(sources, targets, src_lang, tgt_lang, glossary)
