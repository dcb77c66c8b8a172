"""The seam for machine translation of foreign titles in reports.

No offline translation model exists in the package registries, so translation goes through
engine adapters (an office's own server, a cloud API...). None ships yet: with the
`translation_engine` setting empty, reports show titles in the original only. An adapter
implements `Translator` and is registered in `ENGINES`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from hoasen.errors import UsageError
from hoasen.settings import Settings


class Translator(Protocol):
    """Translates short texts (titles) from one language into another."""

    name: str

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str | None]:
        """One translation per text; None where the engine could not translate it."""
        ...


ENGINES: dict[str, Callable[[Settings], Translator]] = {}


def translator_for(settings: Settings) -> Translator | None:
    """The configured engine, None when translation is off, or a clear error for a bad name."""
    name = settings.translation_engine.strip()
    if not name:
        return None
    factory = ENGINES.get(name)
    if factory is None:
        known = ", ".join(sorted(ENGINES)) or "none installed"
        raise UsageError(f"unknown translation engine {name!r} (known: {known})")
    return factory(settings)
