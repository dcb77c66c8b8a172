"""What the delegation and press registers share: entry statuses, countries resolved through the
gazetteer (an ISO code or a name in vi/en/zh), dates, numbers and the reporting periods of the
yearly, quarterly and monthly statistics."""

from __future__ import annotations

import calendar
import re
from datetime import date

from hoasen.analyze.gazetteer import Gazetteer, fold
from hoasen.errors import UsageError

STATUSES = ("planned", "confirmed", "held", "cancelled")
# Statuses counted in statistics: everything but cancelled, by start date in the period
COUNTED = ("planned", "confirmed", "held")


def country_of(gazetteer: Gazetteer, text: str) -> tuple[str, str]:
    """(ISO alpha-2 code, gazetteer entity id) of a country given by code or by any name the
    gazetteer knows ("CN", "China", "Trung Quốc", "中国"); UsageError when it is not a country."""
    value = text.strip()
    if not value:
        raise UsageError("a country is needed")
    if re.fullmatch(r"[A-Za-z]{2}", value):
        entity = gazetteer.get(f"country.{value.lower()}")
        if entity is not None:
            return entity.country.upper(), entity.id
    found = gazetteer.lookup(value)
    if found is not None:
        found = gazetteer.current(found)
        if found.kind == "country" and found.country:
            return found.country.upper(), found.id
    raise UsageError(f"unknown country {value!r} (use an ISO code like CN or a country's name)")


def day(value: str | date | None, name: str, required: bool = False) -> date | None:
    """A date from ISO text (2026-11-23) or a date; UsageError naming the field otherwise."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        if required:
            raise UsageError(f"{name} is needed")
        return None
    try:
        return date.fromisoformat(text[:10] if len(text) > 10 and text[10] in " T" else text)
    except ValueError as exc:
        raise UsageError(f"{name} must be a date like 2026-11-23, not {text!r}") from exc


def count(value: str | int | None, name: str) -> int:
    """A whole number of zero or more (empty: 0); UsageError otherwise."""
    if isinstance(value, int):
        number = value
    else:
        text = (value or "").strip()
        if not text:
            return 0
        try:
            number = int(float(text)) if re.fullmatch(r"\d+(\.0+)?", text) else int(text)
        except ValueError as exc:
            raise UsageError(f"{name} must be a number, not {text!r}") from exc
    if number < 0:
        raise UsageError(f"{name} cannot be negative")
    return number


def status_of(value: str | None, default: str = "held") -> str:
    """A known entry status (empty: `default`)."""
    status = (value or "").strip().lower() or default
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}; use {', '.join(STATUSES)}")
    return status


def items(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """A comma list (or sequence) as a tuple of distinct, stripped items."""
    if value is None:
        return ()
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(dict.fromkeys(p.strip() for p in parts if p.strip()))


def key(text: str) -> str:
    """The comparison key of a title or name (case and diacritics ignored)."""
    return fold(text)


def period(year: int, quarter: int | None = None, month: int | None = None) -> tuple[date, date]:
    """The first and last day of a year, one of its quarters or one of its months."""
    if quarter is not None and month is not None:
        raise UsageError("give a quarter or a month, not both")
    if not 1900 <= year <= 9999:
        raise UsageError(f"{year} is not a year")
    if quarter is not None:
        if not 1 <= quarter <= 4:
            raise UsageError("the quarter must be 1 to 4")
        first = 3 * quarter - 2
        return date(year, first, 1), date(year, first + 2, calendar.monthrange(year, first + 2)[1])
    if month is not None:
        if not 1 <= month <= 12:
            raise UsageError("the month must be 1 to 12")
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return date(year, 1, 1), date(year, 12, 31)
