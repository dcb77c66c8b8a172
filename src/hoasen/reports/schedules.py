"""Report schedules: a daily, weekly or monthly report built at a time in the office time zone,
rendered in its formats, e-mailed to its recipients and registered, each exactly once.

The scheduler asks `due(now)` for what is due and runs each `DueReport` (keyed by schedule and
due instant) with `run`, which is safe to repeat after a crash at any point: the report is made
once per key (`reports.run_key` is unique), and each recipient's mail is one delivery in the
shared delivery queue keyed by run and recipient, so it is sent once, retried with backoff when
the server has trouble, and every attempt is recorded. Transient failures left queued are
retried by `deliver_due`, which the scheduler's tick calls.
"""

from __future__ import annotations

import builtins
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Payload, PayloadFile, Target
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.mail.outgoing import check_address
from hoasen.reports import EXTENSIONS, FORMATS
from hoasen.reports.build import ReportFilters
from hoasen.reports.period import zone
from hoasen.reports.schedule_times import (
    SCHEDULE_KINDS,
    aware,
    following,
    latest,
    parse_at,
    parse_day,
    parse_weekday,
    period_day,
)
from hoasen.reports.service import LANGUAGES
from hoasen.store.delivery import DeliveryRow
from hoasen.store.schedules import ScheduleRow, ScheduleStore

if TYPE_CHECKING:
    from hoasen.desk import Desk

KIND = "report"  # the delivery queue's kind for scheduled report mail
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
}
_FILTER_KEYS = ("query", "topics", "entities", "partners", "countries", "languages", "sources")
_EDITABLE = (
    "name", "kind", "at", "weekday", "day", "language", "formats", "recipients", "filters",
    "enabled",
)  # fmt: skip
_TO = ":to:"


@dataclass(frozen=True)
class DueReport:
    """One scheduled report that is due: the schedule and the instant (UTC) it was due at."""

    schedule_id: int
    due: datetime

    @property
    def key(self) -> str:
        """The run's idempotency key: the same schedule and instant, the same key."""
        return f"report:{self.schedule_id}:{self.due.isoformat()}"


@dataclass
class ScheduleRun:
    """What one `run` did: the report (made now or found), and the recipients mailed now, mailed
    by an earlier try, still queued for a retry, and the errors (a recipient's, in words)."""

    schedule: str
    key: str
    number: str
    created: bool
    sent: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The run as the CLI's and API's JSON document."""
        return {
            "schedule": self.schedule,
            "key": self.key,
            "number": self.number,
            "created": self.created,
            "sent": list(self.sent),
            "already": list(self.already),
            "pending": list(self.pending),
            "errors": list(self.errors),
        }


def delivery_key(run_key: str, recipient: str) -> str:
    """The delivery queue's key of one recipient's mail of one run: the bare address hashed (so
    the key stays short, and a changed display name is still the same recipient)."""
    digest = hashlib.sha256(_bare(recipient).encode("utf-8")).hexdigest()[:16]
    return f"{run_key}{_TO}{digest}"


def _bare(address: str) -> str:
    """The addr-spec of an address, lower-cased (to spot the same recipient twice)."""
    found = re.search(r"<([^>]*)>\s*$", address)
    return (found.group(1) if found else address).strip().lower()


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(str(v).strip() for v in value if str(v).strip())


class ReportScheduleDesk:
    """Report schedules of one desk: manage them, say what is due, run a due report."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.rows = ScheduleStore(desk.store)
        self.queue = DeliveryQueue(desk.store, desk.settings)

    @property
    def zone(self) -> ZoneInfo:
        """The office time zone every schedule's time is read in."""
        return zone(self.settings.office_timezone)

    # ---------------------------------------------------------------- management

    def add(
        self,
        name: str,
        kind: str,
        at: str = "07:30",
        weekday: int | str | None = None,
        day: int | str | None = None,
        language: str | None = None,
        formats: Iterable[str] = ("pdf",),
        recipients: Iterable[str] = (),
        filters: ReportFilters | Mapping[str, Any] | None = None,
        created_by: str | None = None,
    ) -> ScheduleRow:
        """Check and store a new schedule (enabled); UsageError naming what is wrong."""
        values = self._checked(
            {
                "name": name,
                "kind": kind,
                "at": at,
                "weekday": weekday,
                "day": day,
                "language": language or self.settings.office_language,
                "formats": formats,
                "recipients": recipients,
                "filters": filters,
            }
        )
        return self.rows.add({**values, "enabled": True, "created_by": created_by or ""})

    def list(self) -> builtins.list[ScheduleRow]:
        """Every schedule, by name."""
        return self.rows.all()

    def get(self, ref: int | str) -> ScheduleRow:
        """A schedule by id or name; NotFoundError when there is none."""
        return self.rows.get(ref)

    def update(self, ref: int | str, **changes: Any) -> ScheduleRow:
        """Edit any of name, kind, at, weekday, day, language, formats, recipients, filters,
        enabled (None: unchanged); the schedule is checked as a whole again. A weekday or day
        the new kind does not use is dropped (unless given, which is an error)."""
        unknown = sorted(set(changes) - set(_EDITABLE))
        if unknown:
            raise UsageError(f"cannot change {', '.join(unknown)} of a report schedule")
        row = self.rows.get(ref)
        merged: dict[str, Any] = {key: getattr(row, key) for key in _EDITABLE}
        changes = {k: v for k, v in changes.items() if v is not None}
        merged.update(changes)
        kind = str(merged["kind"]).strip().lower()
        if kind != "weekly" and "weekday" not in changes:
            merged["weekday"] = None
        if kind != "monthly" and "day" not in changes:
            merged["day"] = None
        enabled = bool(merged.pop("enabled"))
        values = self._checked(merged)
        return self.rows.update(row.id, {**values, "enabled": enabled})

    def enable(self, ref: int | str) -> ScheduleRow:
        """Switch a schedule on: it builds its latest instant not built yet at the next tick."""
        return self.rows.update(self.rows.get(ref).id, {"enabled": True})

    def disable(self, ref: int | str) -> ScheduleRow:
        """Switch a schedule off: nothing is built until it is enabled again."""
        return self.rows.update(self.rows.get(ref).id, {"enabled": False})

    def remove(self, ref: int | str) -> ScheduleRow:
        """Delete a schedule; the reports it made stay in the register."""
        row = self.rows.get(ref)
        self.rows.remove(row.id)
        return row

    def _checked(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Every column of a schedule checked and normalised; UsageError naming the first
        thing wrong."""
        name = str(values.get("name") or "").strip()
        if not name or len(name) > 200:
            raise UsageError("a report schedule needs a name of 1 to 200 characters")
        if name.isdigit():
            raise UsageError(f"a schedule's name needs a letter ({name!r} reads as an id)")
        kind = str(values.get("kind") or "").strip().lower()
        if kind not in SCHEDULE_KINDS:
            raise UsageError(f"unknown schedule kind {kind!r}; kinds: {', '.join(SCHEDULE_KINDS)}")
        weekday, day = values.get("weekday"), values.get("day")
        if weekday is not None and kind != "weekly":
            raise UsageError("a weekday is only for weekly schedules")
        if day is not None and kind != "monthly":
            raise UsageError("a day of the month is only for monthly schedules")
        language = str(values.get("language") or "").strip().lower()
        if language not in LANGUAGES:
            raise UsageError(f"reports are written in {' or '.join(LANGUAGES)}, not {language!r}")
        if kind == "weekly":
            weekday = 0 if weekday is None else parse_weekday(weekday)
        if kind == "monthly":
            day = 1 if day is None else parse_day(day)
        return {
            "name": name,
            "kind": kind,
            "at": parse_at(str(values.get("at") or "07:30")),
            "weekday": weekday,
            "day": day,
            "language": language,
            "formats": self._formats(values.get("formats")),
            "recipients": self._recipients(values.get("recipients")),
            "filters": self._filters(values.get("filters")),
        }

    @staticmethod
    def _formats(value: Any) -> builtins.list[str]:
        formats: builtins.list[str] = []
        for fmt in _tuple(value):
            fmt = fmt.lower()
            if fmt not in FORMATS:
                raise UsageError(f"unknown report format {fmt!r}; formats: {', '.join(FORMATS)}")
            if fmt not in formats:
                formats.append(fmt)
        if not formats:
            raise UsageError(f"a schedule needs at least one format of {', '.join(FORMATS)}")
        return formats

    @staticmethod
    def _recipients(value: Any) -> builtins.list[str]:
        out: builtins.list[str] = []
        seen: set[str] = set()
        for item in _tuple(value):
            address = check_address(item)
            if _bare(address) not in seen:
                seen.add(_bare(address))
                out.append(address)
        return out

    def _filters(self, value: ReportFilters | Mapping[str, Any] | None) -> dict[str, Any]:
        """Filters as stored JSON (only those given), checked against the known topics,
        entities, partners and sources when there are any."""
        if value is None:
            return {}
        raw = value.as_json() if isinstance(value, ReportFilters) else dict(value)
        unknown = sorted(set(raw) - set(_FILTER_KEYS))
        if unknown:
            raise UsageError(
                f"unknown report filter {', '.join(unknown)}; filters: {', '.join(_FILTER_KEYS)}"
            )
        out: dict[str, Any] = {}
        for key in _FILTER_KEYS:
            if key == "query":
                if str(raw.get("query") or "").strip():
                    out["query"] = str(raw["query"]).strip()
            elif _tuple(raw.get(key)):
                out[key] = list(_tuple(raw.get(key)))
        if out:
            self.desk.reports.builder.check(filters_of(out))
        return out

    # ---------------------------------------------------------------- when

    def latest(self, schedule: ScheduleRow, now: datetime) -> datetime:
        """The schedule's latest instant at or before `now` (UTC)."""
        s = schedule
        return latest(s.kind, s.at, now, self.zone, s.weekday, s.day)

    def due(self, now: datetime) -> builtins.list[DueReport]:
        """For each enabled schedule, its latest instant at or before `now` when that was not
        built yet: a new schedule builds its latest instant at once, and after downtime only
        the latest missed instant is built, not a backlog."""
        out = []
        for s in self.rows.all(enabled=True):
            when = self.latest(s, now)
            if s.last_due is None or when > s.last_due:
                out.append(DueReport(s.id, when))
        return out

    def next_due(self, schedule: ScheduleRow, now: datetime) -> datetime | None:
        """When the schedule builds next (UTC): its latest instant if that is still to be built,
        else the next one; None while it is disabled."""
        s = schedule
        if not s.enabled:
            return None
        when = self.latest(s, now)
        if s.last_due is None or when > s.last_due:
            return when
        return following(s.kind, s.at, now, self.zone, s.weekday, s.day)

    def as_json(self, schedule: ScheduleRow, now: datetime | None = None) -> dict[str, Any]:
        """The schedule as JSON with when it builds next (UTC) and the office time zone."""
        doc = schedule.as_json()
        following_run = self.next_due(schedule, now or datetime.now(UTC))
        doc["next_due"] = following_run.isoformat() if following_run else None
        doc["timezone"] = self.settings.office_timezone
        return doc

    # ---------------------------------------------------------------- running

    def run(self, schedule_id: int, due: datetime, *, retry_failed: bool = False) -> ScheduleRun:
        """Make the report due at `due` once, render its formats and mail them to each
        recipient once; safe to repeat after a crash at any point. A recipient whose mail
        fails is reported in `errors` and does not stop the others; `retry_failed` gives mail
        that failed for good a new round of attempts (an operator's run by hand)."""
        schedule = self.rows.get(schedule_id)
        run_key = DueReport(schedule.id, aware(due, "the due time")).key
        made = self.desk.reports.make(
            schedule.kind,
            on=period_day(schedule.kind, due, self.zone),
            filters=filters_of(schedule.filters),
            language=schedule.language,
            generated_by=f"schedule:{schedule.name}"[:200],
            run_key=run_key,
        )
        number = made.entry.number
        result = ScheduleRun(schedule.name, run_key, number, made.created)
        deliveries: builtins.list[tuple[str, DeliveryRow, Payload]] = []
        if schedule.recipients:
            payload = self._payload(number, schedule.formats, schedule.language)
            for address in schedule.recipients:
                key = delivery_key(run_key, address)
                try:
                    row = self.queue.enqueue(
                        KIND, key, Target("email", {"to": [address]}), key, _keyed(payload, key)
                    )
                except HoasenError as exc:
                    result.errors.append(f"{address}: {exc}")
                    continue
                deliveries.append((address, row, _keyed(payload, key)))
        # The run is recorded once its report exists and its mail is queued: a crash after
        # this leaves the mail to a repeated run or to `deliver_due`, never sends it twice.
        self.rows.mark_run(schedule.id, aware(due), number)
        for address, row, keyed in deliveries:
            self._send(result, address, row, keyed, retry_failed)
        return result

    def run_now(
        self, ref: int | str, at: datetime | None = None, *, retry_failed: bool = True
    ) -> ScheduleRun:
        """Run a schedule by hand for its latest instant at or before `at` (default now), so
        running it twice runs the same instant once; enabled or not."""
        schedule = self.rows.get(ref)
        when = self.latest(schedule, at or datetime.now(self.zone))
        return self.run(schedule.id, when, retry_failed=retry_failed)

    def _send(
        self, result: ScheduleRun, address: str, row: DeliveryRow, payload: Payload, retry: bool
    ) -> None:
        """One attempt at one recipient's mail now, unless it was sent already."""
        if row.status == "sent":
            result.already.append(address)
            return
        if row.status == "failed" and not retry:
            result.errors.append(f"{address}: {row.error}")
            return
        if row.status == "failed":
            row = self.queue.retry(row.id)
        try:
            row = self.queue.attempt(row.id, payload, force=True)
        except HoasenError as exc:  # e.g. a setting gone bad between enqueue and send
            result.errors.append(f"{address}: {exc}")
            return
        if row.status == "sent":
            result.sent.append(address)
        elif row.status == "failed":
            result.errors.append(f"{address}: {row.error}")
        else:
            result.pending.append(address)
            if row.error:
                when = f"{row.next_attempt:%Y-%m-%d %H:%M} UTC" if row.next_attempt else "soon"
                result.errors.append(f"{address}: {row.error} (tried again from {when})")

    def deliveries(self, run_key: str, recipients: Sequence[str]) -> builtins.list[DeliveryRow]:
        """The mail deliveries of one run to these recipients (those queued so far)."""
        found = (self.queue.rows.by_key(delivery_key(run_key, a)) for a in recipients)
        return [row for row in found if row is not None]

    def deliver_due(self) -> builtins.list[DeliveryRow]:
        """One attempt at every scheduled-report mail whose retry is due (the scheduler's tick;
        also picks up mail a killed worker left half-sent)."""
        return self.queue.run_due({KIND: self.payload_for}, kind=KIND)

    def payload_for(self, ref: str) -> Payload:
        """What a queued delivery sends, rebuilt from its key: the run's report in the
        schedule's formats (NotFoundError when the report or schedule is gone)."""
        run_key, sep, _digest = ref.partition(_TO)
        prefix, _, rest = run_key.partition(":")
        schedule_id = rest.partition(":")[0]
        if not sep or prefix != "report" or not schedule_id.isdigit():
            raise NotFoundError(f"not a scheduled report delivery: {ref!r}")
        entry = self.desk.reports.register.by_run_key(run_key)
        if entry is None:
            raise NotFoundError(f"no report was registered for run {run_key!r}")
        schedule = self.rows.get(int(schedule_id))
        return _keyed(self._payload(entry.number, schedule.formats, schedule.language), ref)

    def _payload(self, number: str, formats: Sequence[str], language: str) -> Payload:
        """The report's files (rendered once, kept in the register) with subject and text."""
        stored = self.desk.reports.register.get(number)
        entry = stored.entry
        slug = re.sub(r"[^\w-]+", "-", number, flags=re.UNICODE).strip("-") or "report"
        files = tuple(
            PayloadFile(
                f"{entry.kind}-{entry.period_from}-{slug}.{EXTENSIONS[fmt]}",
                MEDIA_TYPES.get(fmt, "application/octet-stream"),
                self.desk.reports.file(number, fmt),
            )
            for fmt in formats
        )
        title = str(stored.document.get("title") or entry.title or entry.kind)
        period = f"{entry.period_from} – {entry.period_to}"
        office = self.settings.office_name
        if language == "vi":
            text = f"Kính gửi,\n\nĐính kèm báo cáo số {number} ({title}, {period}).\n\n{office}\n"
        else:
            text = f"Please find attached report {number} ({title}, {period}).\n\n{office}\n"
        return Payload(files, subject=f"{title} {number} ({period})", text=text)


def filters_of(stored: Mapping[str, Any]) -> ReportFilters:
    """Stored filter JSON as ReportFilters."""
    return ReportFilters(
        query=str(stored.get("query") or "").strip() or None,
        **{k: tuple(stored.get(k) or ()) for k in _FILTER_KEYS if k != "query"},
    )


def _keyed(payload: Payload, key: str) -> Payload:
    """The payload with the delivery's key as its Idempotency-Key, from which the e-mail
    transport makes a Message-ID that is the same on every retry of that delivery."""
    return Payload(
        payload.files,
        subject=payload.subject,
        text=payload.text,
        folder=payload.folder,
        headers={"Idempotency-Key": key},
    )
