"""Which engine translates which language pair, from settings.

`translate_engines` holds rules such as "zh-en=local", "vi-zh=deepl", "*=libretranslate" (the
most specific rule wins; `>` separates codes that carry a region or script: "zh-Hant>en=local").
When the chosen engine lacks the pair, the pair goes through English with the engines the rules
choose for each leg. `Engines` keeps one instance per engine name (so a local model loads once
per `Engines`); `engine_for` is the one-shot form. `ReportTranslator` adapts all this to the
reports' older `Translator` seam (titles that fail come back as None).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.errors import ConfigError, HoasenError, UsageError
from hoasen.translate.engines.base import (
    PIVOT_LANG,
    Engine,
    EngineError,
    Pivot,
    describe_pairs,
    pair_label,
    supports,
)
from hoasen.translate.types import Glossary, base_lang

if TYPE_CHECKING:
    from hoasen.settings import Settings

log = logging.getLogger(__name__)

ENGINE_NAMES = ("local", "libretranslate", "deepl", "openai")
ALIASES = {"libre": "libretranslate", "ollama": "openai", "llm": "openai", "argos": "local"}
HOW_TO_CONFIGURE = (
    "set translate_engines, e.g. HOASEN_TRANSLATE_ENGINES='zh-en=local,*=libretranslate' "
    "(engines: local, libretranslate, deepl, openai), or pass --engine; see docs/translation.md"
)


def canonical(name: str) -> str:
    """The engine name for a name or alias, or a UsageError listing the known ones."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in ENGINE_NAMES:
        raise UsageError(f"unknown translation engine {name!r} (known: {', '.join(ENGINE_NAMES)})")
    return key


def make_engine(settings: Settings, name: str) -> Engine:
    """A new engine instance from settings (a UsageError when it is not configured)."""
    key = canonical(name)
    if key == "local":
        from hoasen.translate.engines.local import LocalEngine

        return LocalEngine.from_settings(settings)
    if key == "libretranslate":
        from hoasen.translate.engines.libretranslate import LibreTranslateEngine

        return LibreTranslateEngine.from_settings(settings)
    if key == "deepl":
        from hoasen.translate.engines.deepl import DeepLEngine

        return DeepLEngine.from_settings(settings)
    from hoasen.translate.engines.openai import OpenAIEngine

    return OpenAIEngine.from_settings(settings)


@dataclass(frozen=True)
class Rule:
    """One `translate_engines` item: SOURCE-TARGET=ENGINE, * for any language."""

    source: str
    target: str
    engine: str

    def score(self, source: str, target: str) -> int | None:
        """How specifically the rule matches the pair (higher wins); None when it does not."""
        a, b = _lang_score(self.source, source), _lang_score(self.target, target)
        return None if a is None or b is None else a + b


def _lang_score(rule: str, lang: str) -> int | None:
    if rule == "*":
        return 0
    code = lang.strip().lower().replace("_", "-")
    if rule == code:
        return 2
    if rule == base_lang(code):
        return 1
    return None


def parse_rules(items: Sequence[str]) -> list[Rule]:
    """Rules from the setting's items; a ConfigError names an item that makes no sense."""
    rules: list[Rule] = []
    for raw in items:
        item = raw.strip()
        if not item:
            continue
        pair, sep, engine = item.partition("=")
        if not sep or not engine.strip():
            raise ConfigError(f"translate_engines: {item!r} is not SOURCE-TARGET=ENGINE")
        pair = pair.strip().lower().replace("_", "-")
        if pair == "*":
            source, target = "*", "*"
        elif ">" in pair:
            source, _, target = pair.partition(">")
        else:
            parts = pair.split("-")
            if len(parts) != 2:
                raise ConfigError(
                    f"translate_engines: {item!r}: write SOURCE-TARGET (zh-en), or SOURCE>TARGET "
                    "for codes with a region or script (zh-Hant>en)"
                )
            source, target = parts
        try:
            name = canonical(engine)
        except UsageError as exc:
            raise ConfigError(f"translate_engines: {item!r}: {exc}") from exc
        rules.append(Rule(source.strip() or "*", target.strip() or "*", name))
    return rules


@dataclass(frozen=True)
class EngineStatus:
    """Whether an engine is configured, and what it has."""

    name: str
    configured: bool
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "configured": self.configured, "detail": self.detail}


def available_engines(settings: Settings) -> list[EngineStatus]:
    """Each engine, whether its settings are filled in, and a line about it (no network)."""
    from hoasen.translate.engines.local_models import list_models

    models = [m for m in list_models(Path(settings.models_dir)) if m.usable]
    local = (
        f"{len(models)} model(s) in {settings.models_dir}: "
        + describe_pairs({p for m in models for p in m.pairs})
        if models
        else f"no model in {settings.models_dir} (copy .argosmodel files or model folders there)"
    )
    key = settings.deepl_api_key.strip()
    deepl = (
        f"{'free' if key.endswith(':fx') else 'pro'} API key set" if key else "set deepl_api_key"
    )
    return [
        EngineStatus("local", bool(models), local),
        EngineStatus(
            "libretranslate",
            bool(settings.libretranslate_url.strip()),
            settings.libretranslate_url.strip() or "set libretranslate_url",
        ),
        EngineStatus("deepl", bool(key), deepl),
        EngineStatus(
            "openai",
            bool(settings.openai_base_url.strip() and settings.openai_model.strip()),
            f"{settings.openai_base_url.strip()} model {settings.openai_model.strip()}"
            if settings.openai_base_url.strip()
            else "set openai_base_url and openai_model",
        ),
    ]


class Engines:
    """Engines built from settings, one instance per name, chosen per language pair."""

    def __init__(
        self,
        settings: Settings,
        factory: Callable[[Settings, str], Engine] = make_engine,
    ) -> None:
        self.settings = settings
        self.rules = parse_rules(settings.translate_engines)
        self._factory = factory
        self._made: dict[str, Engine] = {}

    def get(self, name: str) -> Engine:
        """The engine called `name` (made on first use)."""
        key = canonical(name)
        if key not in self._made:
            self._made[key] = self._factory(self.settings, key)
        return self._made[key]

    def name_for(self, source: str, target: str) -> str | None:
        """The engine the rules choose for the pair, or None."""
        best: tuple[int, int, str] | None = None
        for order, rule in enumerate(self.rules):
            score = rule.score(source, target)
            if score is not None and (best is None or score > best[0]):
                best = (score, -order, rule.engine)
        return best[2] if best else None

    def for_pair(self, source: str, target: str, name: str | None = None) -> Engine:
        """The engine for source→target: `name` when given, else the rules' choice; through
        English when that engine lacks the pair. A UsageError when nothing is configured."""
        chosen = canonical(name) if name else self.name_for(source, target)
        if chosen is None:
            raise UsageError(
                f"no translation engine configured for {pair_label(source, target)}: "
                + HOW_TO_CONFIGURE
            )
        engine = self.get(chosen)
        if supports(engine, source, target) is not False:
            return engine
        pivot = self._pivot(source, target, chosen if name else None)
        if pivot is not None:
            return pivot
        missing = getattr(engine, "missing", None)
        if callable(missing):
            error = missing(source, target)
            if isinstance(error, EngineError):
                raise error
        offers = describe_pairs(engine.pairs())
        raise EngineError(
            f"the {chosen} engine does not translate {pair_label(source, target)}, directly or "
            f"through English (it offers {offers}); choose another engine for the pair in "
            "translate_engines",
            kind="pair",
            engine=chosen,
        )

    def _pivot(self, source: str, target: str, name: str | None) -> Pivot | None:
        via = PIVOT_LANG
        if base_lang(source) == via or base_lang(target) == via:
            return None
        legs: list[Engine] = []
        for s, t in ((source, via), (via, target)):
            leg_name = name or self.name_for(s, t)
            if leg_name is None:
                return None
            try:
                leg = self.get(leg_name)
            except HoasenError:
                return None
            if supports(leg, s, t) is False:
                return None
            legs.append(leg)
        return Pivot(legs[0], legs[1], via)


def engine_for(settings: Settings, source: str, target: str, name: str | None = None) -> Engine:
    """The engine for one language pair (a fresh `Engines`; keep one to reuse loaded models)."""
    return Engines(settings).for_pair(source, target, name)


AUTO = "auto"
_FATAL = {"quota", "auth", "rate_limit", "timeout", "connection", "missing_model", "pair", "config"}


class ReportTranslator:
    """The reports' `Translator` over the desk's engines: `translation_engine` names an engine,
    or "auto" for the `translate_engines` choice per pair. A title that fails comes back None;
    the report never fails because of translation."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        glossary_for: Callable[[str, str], Glossary] | None = None,
    ) -> None:
        self.engine_name = None if name.strip().lower() == AUTO else canonical(name)
        self.name = self.engine_name or AUTO
        self.engines = Engines(settings)
        self.glossary_for = glossary_for  # the termbase's names are kept when given

    def translate(self, texts: Sequence[str], source: str, target: str) -> list[str | None]:
        """One translation per title; None where it could not be translated."""
        try:
            engine = self.engines.for_pair(source, target, self.engine_name)
        except HoasenError as exc:
            log.warning("report titles %s not translated: %s", pair_label(source, target), exc)
            return [None] * len(texts)
        try:
            done = self._translate(engine, list(texts), source, target)
        except EngineError as exc:
            if exc.kind in _FATAL or len(texts) <= 1:
                log.warning("report titles %s not translated: %s", pair_label(source, target), exc)
                return [None] * len(texts)
            return [self._one(engine, t, source, target) for t in texts]  # find the bad title
        return [t.strip() or None for t in done]

    def _translate(self, engine: Engine, texts: list[str], source: str, target: str) -> list[str]:
        """The engine's titles, with the termbase's names kept when a glossary is at hand."""
        glossary = self.glossary_for(source, target) if self.glossary_for else None
        if glossary is None or not len(glossary):
            return engine.translate(texts, source, target)
        from hoasen.translate.enforce import Enforcer

        def call(batch: list[str]) -> list[str]:
            return engine.translate(batch, source, target, glossary)

        return [seg.target for seg in Enforcer(glossary).translate(texts, call)]

    def _one(self, engine: Engine, text: str, source: str, target: str) -> str | None:
        try:
            return self._translate(engine, [text], source, target)[0].strip() or None
        except HoasenError as exc:
            log.warning("report title not translated: %s", exc)
            return None


def report_translator(
    settings: Settings, name: str, glossary_for: Callable[[str, str], Glossary] | None = None
) -> ReportTranslator | None:
    """The adapter for `translation_engine = name`, or None when the name is no desk engine."""
    key = name.strip().lower()
    if key != AUTO and ALIASES.get(key, key) not in ENGINE_NAMES:
        return None
    return ReportTranslator(settings, name, glossary_for)
