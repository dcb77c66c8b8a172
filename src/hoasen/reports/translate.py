"""The seam for machine translation of foreign titles in reports.

`translation_engine` names the engine: one of the translation desk's engines (`local`,
`libretranslate`, `deepl`, `openai`; see `hoasen.translate.engines`), `auto` for the
`translate_engines` choice per language pair, or an adapter registered in `ENGINES`. Empty:
reports show titles in the original only. A title the engine cannot translate stays untranslated
(None); the report itself never fails because of translation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hoasen.errors import UsageError
from hoasen.settings import Settings


class Translator(Protocol):
    """Translates short texts (titles) from one language into another."""

    name: str

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str | None]:
        """One translation per text; None where the engine could not translate it."""
        ...


ENGINES: dict[str, Callable[[Settings], Translator]] = {}


def translator_for(
    settings: Settings, glossary_for: Callable[[str, str], Any] | None = None
) -> Translator | None:
    """The configured engine, None when translation is off, or a clear error for a bad name.
    `glossary_for(source, target)` gives the termbase's glossary, so titles keep its names."""
    name = settings.translation_engine.strip()
    if not name:
        return None
    factory = ENGINES.get(name)
    if factory is None:
        from hoasen.translate.engines import ENGINE_NAMES, report_translator

        desk = report_translator(settings, name, glossary_for)
        if desk is not None:
            return desk
        known = ", ".join([*ENGINE_NAMES, "auto", *sorted(ENGINES)])
        raise UsageError(f"unknown translation engine {name!r} (known: {known})")
    return factory(settings)
