"""Report language: gettext catalogs read straight from the .po files with Babel (no compile
step), and locale-aware numbers, percentages, dates, periods, language and country names."""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
REPORT_CATALOG = "report.po"
_DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMM yyyy"}
_KIND_NAMES = {
    "daily": "Daily report",
    "weekly": "Weekly report",
    "monthly": "Monthly report",
    "thematic": "Thematic report",
    "custom": "Report",
}


class CatalogTranslations(gettext.NullTranslations):
    """Translations held in a dict built from .po catalogs; unknown messages fall back to
    the (English) msgid, so an incomplete catalog never breaks a report."""

    def __init__(self, messages: Mapping[str, str], plurals: Mapping[str, tuple[str, ...]]) -> None:
        super().__init__()
        self._messages = dict(messages)
        self._plurals = dict(plurals)

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself."""
        return self._messages.get(message) or message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        """The plural form for `n` (catalog languages here use one form or English's two)."""
        forms = self._plurals.get(msgid1)
        if forms:
            return forms[0] if len(forms) == 1 or n == 1 else forms[1]
        return msgid1 if n == 1 else msgid2


def translations(lang: str) -> gettext.NullTranslations:
    """Every `*.po` catalog of `lang` merged into one translations object (read on each call:
    catalogs are small and nothing is cached process-wide); report.po wins conflicts."""
    messages: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    folder = LOCALE_DIR / lang / "LC_MESSAGES"
    # report.po is read last: where catalogs disagree, the report's own wording wins.
    paths = sorted(folder.glob("*.po"), key=lambda p: (p.name == REPORT_CATALOG, p.name))
    for path in paths if folder.is_dir() else []:
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, tuple | list):
                forms = tuple(str(s) for s in message.string or () if s)
                if forms:
                    plurals[str(message.id[0])] = forms
            elif message.string:
                messages[str(message.id)] = str(message.string)
    return CatalogTranslations(messages, plurals)


@cache
def _locale(lang: str) -> Locale:
    """The Babel locale of a report language (cached: parsing it per number or date cost a
    monthly report's 8,500-article appendix a third of a second)."""
    return Locale.parse(lang if lang in LANGUAGES else DEFAULT_LANGUAGE)


def fmt_number(x: float, lang: str) -> str:
    """An integer as is, a fraction to one decimal: vi 1.234,5 — en 1,234.5."""
    if isinstance(x, float) and not x.is_integer():
        return format_decimal(round(x, 1), format="#,##0.#", locale=_locale(lang))
    return format_decimal(int(x), format="#,##0", locale=_locale(lang))


def fmt_percent(percent: float, lang: str) -> str:
    """A percentage given in percent units (150.0 -> "150%"), to one decimal at most."""
    return fmt_number(round(percent, 1), lang) + "%"


def _as_date(iso: str, tz: str | None) -> date:
    """The calendar date of an ISO date or timestamp, in time zone `tz` when given."""
    if len(iso) <= 10:
        return date.fromisoformat(iso)
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if tz and moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(tz))
    return moment.date()


def fmt_date(iso: str, lang: str, tz: str | None = None) -> str:
    """An ISO date or timestamp as vi 02/11/2026 or en 2 Nov 2026 (timestamps shown in time
    zone `tz` when given, e.g. the office's)."""
    return _fmt_day(_as_date(iso, tz), lang)


@lru_cache(maxsize=4096)
def _fmt_day(day: date, lang: str) -> str:
    """One calendar day in the report language (cached: an appendix repeats few days)."""
    pattern = _DATE_PATTERNS.get(lang, _DATE_PATTERNS[DEFAULT_LANGUAGE])
    return format_date(day, pattern, locale=_locale(lang))


def fmt_datetime(iso: str, lang: str, tz: str | None = None) -> str:
    """An ISO timestamp as date and 24-hour time, in time zone `tz` when given."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if tz and moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(tz))
    return f"{fmt_date(moment.date().isoformat(), lang)} {moment:%H:%M}"


def fmt_period(doc: Mapping[str, Any], lang: str) -> str:
    """The report's period, "02/11/2026 – 08/11/2026" (one date for a one-day period)."""
    period = doc.get("period") or {}
    start, end = period.get("from"), period.get("to")
    if not start or not end:
        single = start or end
        return fmt_date(str(single), lang) if single else ""
    if start == end:
        return fmt_date(start, lang)
    return f"{fmt_date(start, lang)} – {fmt_date(end, lang)}"


def kind_name(kind: str, lang: str) -> str:
    """ "Weekly report" in the report language."""
    msgid = _KIND_NAMES.get(kind, _KIND_NAMES["custom"])
    return translations(lang).gettext(msgid)


@lru_cache(maxsize=4096)
def language_name(code: str, lang: str) -> str:
    """A language code's name in the report language ("zh" -> "Tiếng Trung"), else the code."""
    if not code:
        return ""
    if code == "unknown":
        return translations(lang).gettext("Unknown")
    name = _locale(lang).languages.get(code.split("-")[0].lower())
    return _capitalised(name) if name else code


@lru_cache(maxsize=4096)
def country_name(code: str, lang: str) -> str:
    """A country code's name in the report language ("CN" -> "Trung Quốc"), else the code."""
    if not code:
        return ""
    if code == "unknown":
        return translations(lang).gettext("Unknown")
    name = _locale(lang).territories.get(code.upper())
    return _capitalised(name) if name else code


def _capitalised(name: str) -> str:
    return name[:1].upper() + name[1:]
