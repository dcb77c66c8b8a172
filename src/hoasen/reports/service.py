"""Making, registering, rendering and rebuilding reports: what the CLI and the web call."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.errors import UsageError
from hoasen.reports import FORMATS, render
from hoasen.reports.build import ReportBuilder, ReportFilters, ReportRequest, number_for
from hoasen.reports.period import KINDS, Period, days, period_for, zone
from hoasen.reports.register import RegisteredReport, ReportRegister, RunKeyTaken
from hoasen.reports.translate import translator_for
from hoasen.settings import Settings
from hoasen.store.db import Store

LANGUAGES = ("vi", "en")


@dataclass(frozen=True)
class MadeReport:
    """A registered report and its document; `created` is False when a scheduled run's report
    was already registered (by an earlier try or another worker) and is returned instead."""

    entry: RegisteredReport
    document: dict[str, Any]
    created: bool = True


class ReportService:
    """Reports of one store."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        gazetteer: Gazetteer,
        glossary_for: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.register = ReportRegister(store)
        translator = translator_for(settings, glossary_for)
        self.builder = ReportBuilder(store, settings, gazetteer, translator)

    def make(
        self,
        kind: str,
        on: date | None = None,
        first: date | None = None,
        last: date | None = None,
        filters: ReportFilters | None = None,
        language: str | None = None,
        title: str | None = None,
        generated_by: str | None = None,
        run_key: str | None = None,
    ) -> MadeReport:
        """Build a report, give it the next number and store it in the register.

        With a `run_key` (a scheduled run) it is made once: when that run already registered
        its report, or another worker wins the race to, that report is returned unbuilt."""
        if run_key is not None:
            found = self.register.by_run_key(run_key)
            if found is not None:
                return self._registered(found)
        if kind not in KINDS:
            raise UsageError(f"unknown report kind {kind!r}; kinds: {', '.join(KINDS)}")
        lang = language or self.settings.office_language
        if lang not in LANGUAGES:
            raise UsageError(f"reports are written in {' or '.join(LANGUAGES)}, not {lang!r}")
        tz = zone(self.settings.office_timezone)
        period = period_for(kind, tz, on=on, first=first, last=last)
        request = ReportRequest(
            kind=kind,
            period=period,
            filters=self.builder.check(filters or ReportFilters()),
            language=lang,
            title=title,
            generated_by=generated_by or _user(),
            custom=first is not None,
        )
        generated = datetime.now(tz)
        doc = self.builder.build(request, generated=generated)
        ids = [a["id"] for a in doc["articles"]]
        try:
            entry = self.register.add(
                kind=doc["kind"],
                year=generated.year,
                number_for=lambda seq: number_for(
                    self.settings.report_number_pattern, doc["kind"], generated.year, seq
                ),
                document=doc,
                parameters=_parameters(request, generated),
                article_ids=ids,
                generated_by=request.generated_by,
                run_key=run_key,
            )
        except RunKeyTaken as lost:
            return self._registered(lost.entry)
        return MadeReport(entry, {**doc, "number": entry.number})

    def _registered(self, entry: RegisteredReport) -> MadeReport:
        """A report already in the register, as `make` returns it (not created now)."""
        return MadeReport(entry, self.register.get(entry.number).document, created=False)

    def file(self, number: str, fmt: str) -> bytes:
        """A registered report in one format, rendered from its stored document (and kept)."""
        if fmt not in FORMATS:
            raise UsageError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
        stored = self.register.get(number)
        kept = self.register.file(stored.entry.id, fmt)
        if kept is not None:
            return kept
        data = render(stored.document, fmt)
        self.register.save_file(stored.entry.id, fmt, data)
        return data

    def rebuild(self, number: str) -> dict[str, Any]:
        """Build a registered report again from its stored parameters and article set (to check
        it reproduces, or after the analysis was improved)."""
        stored = self.register.get(number)
        p = stored.parameters
        period = days(date.fromisoformat(p["from"]), date.fromisoformat(p["to"]), self._tz())
        request = ReportRequest(
            kind=p["kind"],
            period=period,
            filters=ReportFilters(**{k: _tuple(v) for k, v in p["filters"].items()}),
            language=p["language"],
            title=p["title"],
            generated_by=stored.entry.generated_by,
            custom=p["custom"],
        )
        generated = datetime.fromisoformat(p["generated"])
        doc = self.builder.build(request, generated=generated, ids=stored.article_ids)
        return {**doc, "number": stored.entry.number}

    def _tz(self) -> Any:
        return zone(self.settings.office_timezone)


def _parameters(request: ReportRequest, generated: datetime) -> dict[str, Any]:
    period: Period = request.period
    return {
        "kind": request.kind,
        "from": period.first_day.isoformat(),
        "to": period.last_day.isoformat(),
        "filters": request.filters.as_json(),
        "language": request.language,
        "title": request.title,
        "custom": request.custom,
        "generated": generated.isoformat(),
    }


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
