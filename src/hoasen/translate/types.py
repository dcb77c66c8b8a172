"""What the translation desk's parts share: terms, a glossary for one language pair, QA flags
and translated segments. Plain data, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

TERM_STATUSES = ("preferred", "admitted", "forbidden")
SEVERITIES = ("error", "warning", "info")
TRANSLATION_STATES = ("draft", "reviewed", "approved")


def base_lang(lang: str) -> str:
    """'zh-Hans' -> 'zh', 'en-GB' -> 'en', 'vi' -> 'vi' (lower case)."""
    return re.split(r"[-_]", lang.strip(), maxsplit=1)[0].lower()


@dataclass(frozen=True)
class Term:
    """One name of a concept in one language, with its status."""

    concept: str
    lang: str  # BCP 47: vi, en, zh-Hans, zh-Hant, ja, ko...
    text: str
    status: str = "admitted"  # preferred / admitted / forbidden


@dataclass(frozen=True)
class GlossaryEntry:
    """One concept as a translator needs it for a language pair: the names it goes by in the
    source language, the one term to write in the target, and the target forms never to write."""

    concept: str
    sources: tuple[str, ...]  # source-language names, longest first
    target: str  # the preferred target term
    forbidden: tuple[str, ...] = ()  # forbidden target variants ("Ton Nghiep Le")
    admitted: tuple[str, ...] = ()  # other acceptable target forms
    type: str = "TERM"  # PER / LOC / ORG / TERM


@dataclass(frozen=True)
class Glossary:
    """The termbase as seen from one language pair."""

    source_lang: str
    target_lang: str
    entries: tuple[GlossaryEntry, ...] = ()

    def __len__(self) -> int:
        return len(self.entries)

    def pairs(self) -> list[tuple[str, str]]:
        """(source name, preferred target) for every source name, longest source first."""
        out = [(s, e.target) for e in self.entries for s in e.sources]
        return sorted(out, key=lambda p: -len(p[0]))


@dataclass(frozen=True)
class Flag:
    """One QA finding on a segment."""

    check: str  # names / forbidden / numbers / untranslated / language / length / markup / ...
    severity: str  # error / warning / info
    message: str

    def as_json(self) -> dict[str, str]:
        return {"check": self.check, "severity": self.severity, "message": self.message}


@dataclass
class Segment:
    """One source segment and its translation, with where the translation came from."""

    source: str
    target: str = ""
    origin: str = ""  # tm / engine:NAME / human
    flags: list[Flag] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "source": self.source,
            "target": self.target,
            "origin": self.origin,
            "flags": [f.as_json() for f in self.flags],
        }


def flags_json(flags: Iterable[Flag]) -> list[dict[str, str]]:
    """Flags as JSON objects."""
    return [f.as_json() for f in flags]


def longest_first(names: Sequence[str]) -> tuple[str, ...]:
    """Distinct non-empty names, longest first (so a longer name wins over its part)."""
    seen = dict.fromkeys(n.strip() for n in names if n.strip())
    return tuple(sorted(seen, key=lambda n: (-len(n), n)))
