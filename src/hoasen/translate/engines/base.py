"""What every translation engine is: the `Engine` protocol, its errors in plain words, and the
`Pivot` that chains two engines through English when no engine has the direct pair.

An engine takes segments and gives back one translation per segment, in order: a plain segment
in, a plain segment out. Names are enforced around the engine (`translate.enforce`), so an
engine's own glossary support is a bonus, never relied on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

from hoasen.errors import HoasenError
from hoasen.translate.types import Glossary, base_lang

PIVOT_LANG = "en"

# Plain names for prompts and messages; Babel's names are used for anything else.
LANGUAGE_NAMES = {
    "vi": "Vietnamese",
    "en": "English",
    "zh": "Chinese",
    "zh-hans": "Simplified Chinese",
    "zh-hant": "Traditional Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "fr": "French",
    "de": "German",
    "ru": "Russian",
    "es": "Spanish",
    "sv": "Swedish",
    "th": "Thai",
    "id": "Indonesian",
    "lo": "Lao",
    "km": "Khmer",
}

ERROR_KINDS = (
    "quota",  # the account's character allowance is used up
    "rate_limit",  # 429 after every retry
    "timeout",  # no answer in time
    "auth",  # bad or missing key (401/403)
    "pair",  # the engine does not translate this language pair
    "server",  # 5xx or a reply that makes no sense
    "request",  # the engine refused the request as malformed (400)
    "connection",  # the server cannot be reached
    "missing_model",  # no local model installed for the pair
    "config",  # the engine is not configured
)


class EngineError(HoasenError):
    """An engine could not translate; the message says why and what to do, in plain words."""

    exit_code = 1

    def __init__(
        self, message: str, *, kind: str = "server", engine: str = "", status: int | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.engine = engine
        self.status = status

    @property
    def retryable(self) -> bool:
        """Whether trying the same request later might work (rate limit, timeout, server)."""
        return self.kind in {"rate_limit", "timeout", "server", "connection"}


class MissingModelError(EngineError):
    """No local model for a language pair: names the file to install and the folder to put it in."""

    exit_code = 2

    def __init__(self, message: str, *, source: str, target: str, models_dir: Path) -> None:
        super().__init__(message, kind="missing_model", engine="local")
        self.source = source
        self.target = target
        self.models_dir = models_dir


class Engine(Protocol):
    """A machine translation engine."""

    name: str

    def pairs(self) -> set[tuple[str, str]] | None:
        """The (source, target) base-language pairs it translates; None when any pair may work."""
        ...

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        """One translation per segment, in order. Raises EngineError when it cannot."""
        ...


def pair_label(source: str, target: str) -> str:
    """'zh→en'."""
    return f"{source}→{target}"


def language_name(code: str) -> str:
    """An English name for a language code, for prompts and messages ("vi" -> "Vietnamese")."""
    key = code.strip().lower().replace("_", "-")
    if key in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[key]
    base = base_lang(code)
    if base in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[base]
    try:
        from babel import Locale

        name = Locale("en").languages.get(base)
    except (ImportError, ValueError):  # pragma: no cover - Babel is a dependency
        name = None
    return str(name) if name else code


def supports(engine: Engine, source: str, target: str) -> bool | None:
    """True/False when the engine says whether it has the pair, None when it cannot tell."""
    try:
        pairs = engine.pairs()
    except EngineError:
        return None  # a server that cannot list its languages may still translate
    if pairs is None:
        return None
    return (base_lang(source), base_lang(target)) in pairs


def describe_pairs(pairs: set[tuple[str, str]] | None, limit: int = 12) -> str:
    """'zh→en, en→vi' (sorted, shortened), or 'any pair'."""
    if pairs is None:
        return "any pair"
    if not pairs:
        return "none"
    items = [pair_label(s, t) for s, t in sorted(pairs)]
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def translate_nonblank(
    texts: Sequence[str],
    run: Callable[[list[str]], list[str]],
    engine: str,
) -> list[str]:
    """Call `run` on the non-blank segments only (blank ones come back empty) and check that it
    returned one translation per segment."""
    keep = [i for i, t in enumerate(texts) if t.strip()]
    out = [""] * len(texts)
    if not keep:
        return out
    done = run([texts[i] for i in keep])
    if len(done) != len(keep):
        raise EngineError(
            f"{engine} returned {len(done)} translations for {len(keep)} segments",
            kind="server",
            engine=engine,
        )
    for i, t in zip(keep, done, strict=True):
        out[i] = t
    return out


def batches(texts: Sequence[str], size: int, max_chars: int = 0) -> list[list[str]]:
    """Consecutive batches of at most `size` segments (and `max_chars` characters, when set)."""
    out: list[list[str]] = []
    current: list[str] = []
    chars = 0
    for t in texts:
        if current and (len(current) >= size or (max_chars and chars + len(t) > max_chars)):
            out.append(current)
            current, chars = [], 0
        current.append(t)
        chars += len(t)
    if current:
        out.append(current)
    return out


class Pivot:
    """Two engines chained through a pivot language (English): source→en, then en→target. The
    glossary is not passed on (it is for source→target; enforcement happens around the pivot)."""

    def __init__(self, first: Engine, second: Engine, via: str = PIVOT_LANG) -> None:
        self.first = first
        self.second = second
        self.via = via
        both = first.name if first.name == second.name else f"{first.name}+{second.name}"
        self.name = f"{both} via {via}"

    def pairs(self) -> set[tuple[str, str]] | None:
        one, two = self.first.pairs(), self.second.pairs()
        if one is None or two is None:
            return None
        return {(s, t) for s, v in one if v == self.via for w, t in two if w == self.via and s != t}

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        middle = self.first.translate(texts, source, self.via)
        return self.second.translate(middle, self.via, target)
