"""Language identification: which configured language (ISO 639-1) an article is written in.

Lingua (restricted to the configured languages) judges Latin and Cyrillic texts. Scripts that
name their language outright are decided by counting characters first, because lingua is weak
on short Chinese vs Japanese: hangul -> ko, Thai -> th, kana -> ja, Han without kana -> zh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Protocol

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from hoasen.errors import ConfigError
from hoasen.settings import Settings

#: Characters of title + text looked at; news language is settled well within this.
PREFIX_CHARS = 1500
#: Share of letters a decisive script must reach before it overrules lingua. Low on purpose:
#: Thai or CJK news often carries Latin names ("BBC Scotland", "Champions League"), while
#: Latin-script news rarely has a fifth of its letters in Thai, hangul or Han.
_SCRIPT_SHARE = 0.2
#: How many Latin letters one Han, kana or hangul character weighs in those shares.
_CJK_WEIGHT = 3
#: Share of kana among Han + kana from which a CJK text is Japanese (Chinese uses almost none).
_KANA_SHARE = 0.05


@dataclass(frozen=True)
class LanguageGuess:
    """A detected language (ISO 639-1, 'zh' for Chinese) or None, with confidence 0..1."""

    language: str | None
    confidence: float


class LanguageDetector(Protocol):
    """Anything that guesses the language of a text; `name` is the engine and its version."""

    name: str

    def detect(self, text: str) -> LanguageGuess:
        """Best guess for `text`; LanguageGuess(None, 0.0) when it has no letters."""
        ...


@dataclass
class _ScriptCounts:
    letters: int = 0
    han: int = 0
    kana: int = 0
    hangul: int = 0
    thai: int = 0


def _count_scripts(text: str) -> _ScriptCounts:
    """Count letters by the scripts that identify a language on their own."""
    counts = _ScriptCounts()
    for ch in text:
        cp = ord(ch)
        if cp < 0x0E00:
            if ch.isalpha():
                counts.letters += 1
        elif cp <= 0x0E7F:
            counts.thai += 1  # Thai vowel and tone marks are not isalpha() but are Thai
            counts.letters += 1
        elif 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF or 0xFF66 <= cp <= 0xFF9F:
            if cp not in (0x30FB, 0x30FC):  # middle dot and long-vowel mark are shared
                counts.kana += 1
            counts.letters += 1
        elif 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F:
            counts.hangul += 1
            counts.letters += 1
        elif (
            0x4E00 <= cp <= 0x9FFF
            or 0x3400 <= cp <= 0x4DBF
            or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x2FFFF
        ):
            counts.han += 1
            counts.letters += 1
        elif ch.isalpha():
            counts.letters += 1
    return counts


def _prefix(text: str, limit: int = PREFIX_CHARS) -> str:
    """The first `limit` characters, cut back to a whitespace so no word is split."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", limit // 2, limit)
    return text[: cut if cut > 0 else limit]


class LinguaDetector:
    """lingua-language-detector restricted to the configured languages.

    Lingua's models load lazily, on the first text that needs them: only the languages its
    rule filter keeps for a text's alphabet, and only the n-gram sizes used for the text's
    length (trigrams alone from 120 characters). Preloading every configured language cost
    ~4 s of CPU on each start, although one Latin-script page needs ~0.1 s of it; the
    guesses are the same either way (the same models, read later). Loaded models stay
    cached in the process, so reuse one detector per run. `preload` loads every configured
    language's models up front (for timing detection alone, without the loading).
    """

    def __init__(self, languages: Sequence[str], preload: bool = False) -> None:
        codes: list[str] = []
        lingua_languages: list[Language] = []
        for raw in languages:
            code = raw.strip().lower()
            try:
                language = Language.from_iso_code_639_1(IsoCode639_1.from_str(code))
            except ValueError as exc:
                raise ConfigError(
                    f"unknown language code {raw!r} in settings.languages "
                    "(use ISO 639-1 codes such as vi, en, zh)"
                ) from exc
            if code not in codes:
                codes.append(code)
                lingua_languages.append(language)
        if not codes:
            raise ConfigError("settings.languages is empty: name at least one language")
        self.languages: tuple[str, ...] = tuple(codes)
        self.name = f"lingua-{version('lingua-language-detector')}"
        self._lingua = None
        if len(lingua_languages) >= 2:
            builder = LanguageDetectorBuilder.from_languages(*lingua_languages)
            if preload:
                builder = builder.with_preloaded_language_models()
            self._lingua = builder.build()

    def detect(self, text: str) -> LanguageGuess:
        """Best configured language for `text` (a bounded prefix is read) and its confidence."""
        sample = _prefix(text)
        counts = _count_scripts(sample)
        if counts.letters == 0:
            return LanguageGuess(None, 0.0)
        by_script = self._by_script(counts)
        if by_script is not None:
            return by_script
        if self._lingua is None:
            return LanguageGuess(self.languages[0], 1.0)
        values = self._lingua.compute_language_confidence_values(sample)
        if not values or values[0].value <= 0.0:
            return LanguageGuess(None, 0.0)
        best = values[0]
        return LanguageGuess(best.language.iso_code_639_1.name.lower(), round(best.value, 4))

    def _by_script(self, c: _ScriptCounts) -> LanguageGuess | None:
        """A guess from a language-specific script holding enough of the letters, if configured.

        A Han, kana or hangul character carries about a word's worth of text, so it weighs
        `_CJK_WEIGHT` Latin letters when shares are computed.
        """
        cjk = c.han + c.kana
        extra = (_CJK_WEIGHT - 1) * (cjk + c.hangul)
        letters = c.letters + extra
        candidates = [("th", c.thai, c.thai)]
        if c.hangul and c.hangul >= c.han:
            # Korean may mix in Hanja
            candidates.append(("ko", c.hangul, _CJK_WEIGHT * (c.hangul + c.han)))
        if cjk:
            code = "ja" if c.kana / cjk >= _KANA_SHARE else "zh"
            candidates.append((code, cjk, _CJK_WEIGHT * cjk))
        for code, own, weighted in candidates:
            fraction = weighted / letters
            if code in self.languages and own and fraction >= _SCRIPT_SHARE:
                # certain when the script holds half the letters, less so as Latin names grow
                return LanguageGuess(code, round(min(1.0, 0.5 + fraction), 4))
        return None


def make_detector(settings: Settings) -> LanguageDetector:
    """The detector for these settings (lingua over `settings.languages`)."""
    return LinguaDetector(settings.languages)
