"""Translation engines behind one interface (`base.Engine`), chosen per language pair from
settings (`registry`): `local` (CTranslate2 over models in `models_dir`, offline),
`libretranslate`, `deepl` and `openai` (any OpenAI-compatible chat completions server).

The engine modules are imported on first use, so importing this package stays cheap.
"""

from hoasen.translate.engines.base import (
    Engine,
    EngineError,
    MissingModelError,
    Pivot,
    language_name,
    supports,
)
from hoasen.translate.engines.local_models import LocalModel, list_models
from hoasen.translate.engines.registry import (
    ENGINE_NAMES,
    Engines,
    EngineStatus,
    ReportTranslator,
    available_engines,
    engine_for,
    make_engine,
    parse_rules,
    report_translator,
)

__all__ = [
    "ENGINE_NAMES",
    "Engine",
    "EngineError",
    "EngineStatus",
    "Engines",
    "LocalModel",
    "MissingModelError",
    "Pivot",
    "ReportTranslator",
    "available_engines",
    "engine_for",
    "language_name",
    "list_models",
    "make_engine",
    "parse_rules",
    "report_translator",
    "supports",
]
