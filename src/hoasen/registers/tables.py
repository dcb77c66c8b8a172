"""Spreadsheets in and out of the registers: CSV and XLSX import of delegations, of foreign
journalists (one journalist a row, grouped by the group's title and start) and of events, and
CSV/XLSX export of any list (an export's header reads back as an import's).

An import is all or nothing. First the header is read, and a column holding data the office
must not keep (passport, ID card / CCCD / CMND, date of birth, home address, phone) refuses the
whole file, naming the column. Then every row is checked (dates, order of dates, country,
numbers, duplicates of the register or of another row) and, unless all are clean, nothing is
written and the report lists each bad row with its number and reason. `dry_run` checks only.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from hoasen.errors import HoasenError, UsageError
from hoasen.registers.delegations import CheckedDelegation, DelegationDesk
from hoasen.registers.events import CheckedEvent, EventDesk, local_days, zone_of
from hoasen.registers.press import CheckedJournalist, PressDesk
from hoasen.store.events import EventRow
from hoasen.store.registers import DelegationRow, JournalistRow, PersonRow, PressGroupRow

C = TypeVar("C")

# Headers (folded: lower case, no diacritics, single spaces) naming data never kept
FORBIDDEN = (
    "passport",
    "ho chieu",
    "id card",
    "identity card",
    "identity number",
    "national id",
    "cccd",
    "cmnd",
    "can cuoc",
    "chung minh",
    "date of birth",
    "birth date",
    "birthdate",
    "birthday",
    "dob",
    "ngay sinh",
    "nam sinh",
    "home address",
    "address",
    "dia chi",
    "noi o",
    "phone",
    "telephone",
    "mobile",
    "dien thoai",
    "sdt",
)

DELEGATION_COLUMNS = {
    "direction": ("direction", "huong", "chieu", "loai doan"),
    "title": ("title", "delegation", "ten doan", "doan"),
    "country": ("country", "quoc gia", "nuoc"),
    "organisation": ("organisation", "organization", "co quan", "to chuc"),
    "head": ("head", "head of delegation", "truong doan"),
    "head_role": ("head role", "head_role", "chuc vu", "chuc vu truong doan"),
    "level": ("level", "cap"),
    "members": ("members", "delegates", "so thanh vien", "so nguoi", "thanh vien"),
    "starts": ("starts", "start", "from", "tu ngay", "ngay bat dau"),
    "ends": ("ends", "end", "to", "den ngay", "ngay ket thuc"),
    "purpose": ("purpose", "purposes", "muc dich"),
    "agreement": ("agreement", "agreement id", "thoa thuan"),
    "status": ("status", "trang thai"),
    "documents": ("documents", "tai lieu"),
    "notes": ("notes", "ghi chu"),
}
PRESS_COLUMNS = {
    "group": ("group", "title", "doan", "ten doan", "doan phong vien"),
    "country": ("country", "quoc gia"),
    "outlet": ("outlet", "co quan bao chi", "bao", "media"),
    "name": ("name", "journalist", "ho ten", "ho va ten", "phong vien"),
    "role": ("role", "chuc danh", "chuc vu"),
    "nationality": ("nationality", "quoc tich"),
    "starts": ("starts", "start", "from", "tu ngay"),
    "ends": ("ends", "end", "to", "den ngay"),
    "officer": ("officer", "can bo huong dan"),
    "status": ("status", "trang thai"),
    "permit_number": ("permit number", "permit_number", "permit", "so giay phep"),
    "permit_authority": ("permit authority", "permit_authority", "authority", "co quan cap"),
    "valid_from": ("valid from", "valid_from", "hieu luc tu"),
    "valid_to": ("valid to", "valid_to", "hieu luc den"),
    "areas": ("areas", "dia ban"),
    "topics": ("topics", "chu de", "noi dung"),
}
EVENT_COLUMNS = {
    "title": ("title", "event", "name", "ten su kien", "su kien", "ten"),
    "kind": ("kind", "type", "loai", "loai su kien"),
    "start": ("start", "starts", "from", "bat dau", "thoi gian bat dau", "tu ngay"),
    "end": ("end", "ends", "to", "ket thuc", "thoi gian ket thuc", "den ngay"),
    "all_day": ("all day", "all_day", "ca ngay"),
    "timezone": ("timezone", "time zone", "tz", "mui gio"),
    "rrule": ("rrule", "recurrence", "lap lai"),
    "place": ("place", "location", "venue", "dia diem"),
    "organisers": ("organisers", "organizers", "organiser", "don vi to chuc", "ban to chuc"),
    "partners": ("partners", "doi tac", "don vi phoi hop"),
    "names": ("names", "other names", "ten khac"),
    "expected": ("expected", "expected participants", "du kien", "so nguoi du kien"),
    "actual": ("actual", "participants", "thuc te", "so nguoi tham du"),
    "description": ("description", "mo ta", "noi dung"),
    "status": ("status", "trang thai"),
    "calendar": ("calendar", "lich"),
}


@dataclass
class ImportReport:
    """What an import found and did: `errors` (row number, reason) per bad row; `imported`
    stays 0 unless every row was clean and it was not a dry run."""

    register: str
    rows: int = 0
    imported: int = 0
    dry_run: bool = False
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row passed."""
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON document."""
        return {
            "register": self.register,
            "rows": self.rows,
            "imported": self.imported,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "errors": [{"row": n, "reason": r} for n, r in self.errors],
        }


def _norm(header: str) -> str:
    text = unicodedata.normalize("NFKD", header.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and rows of a CSV (UTF-8, BOM allowed) or XLSX file (first sheet), cells as
    text, dates as ISO; empty rows dropped."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                table = [[_cell(c) for c in row] for row in csv.reader(handle)]
        elif suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                sheet = book.worksheets[0]
                table = [[_cell(c) for c in row] for row in sheet.iter_rows(values_only=True)]
            finally:
                book.close()
        else:
            raise UsageError(f"{path.name}: give a .csv or .xlsx file")
    except FileNotFoundError as exc:
        raise UsageError(f"no such file: {path}") from exc
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read {path.name}: {exc}") from exc
    if not table:
        raise UsageError(f"{path.name} is empty")
    return table[0], table[1:]


def refuse_personal(headers: Sequence[str]) -> None:
    """UsageError naming the first column that holds data the office must not keep."""
    for header in headers:
        folded = f" {_norm(header)} "
        if any(f" {word} " in folded for word in FORBIDDEN):
            raise UsageError(
                f"column {header!r} holds personal data the office must not keep "
                "(passport, ID card, date of birth, home address, phone): remove it and retry"
            )


def _columns(headers: Sequence[str], known: dict[str, tuple[str, ...]]) -> dict[int, str]:
    """Which field each column is; an unknown header is a UsageError naming it."""
    names = {alias: name for name, aliases in known.items() for alias in aliases}
    found: dict[int, str] = {}
    for index, header in enumerate(headers):
        if not header.strip():
            continue
        name = names.get(_norm(header)) or names.get(header.strip().lower())
        if name is None:
            raise UsageError(f"unknown column {header!r}; known: {', '.join(known)}")
        if name in found.values():
            raise UsageError(f"two columns mean {name}")
        found[index] = name
    return found


def _entries(path: Path, known: dict[str, tuple[str, ...]]) -> list[tuple[int, dict[str, str]]]:
    headers, rows = read_table(path)
    refuse_personal(headers)
    columns = _columns(headers, known)
    out = []
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(cell.strip() for cell in row):
            continue
        out.append((number, {name: row[i] if i < len(row) else "" for i, name in columns.items()}))
    return out


def _check_all(
    entries: list[tuple[int, dict[str, str]]],
    check: Callable[[dict[str, str]], C],
    identity: Callable[[C], Any],
    exists: Callable[[C], bool],
    report: ImportReport,
) -> list[C]:
    """The rows that pass `check`, are not repeated in the file and are not in the register;
    the others go to the report with their row number."""
    checked: list[C] = []
    seen: dict[Any, int] = {}
    for number, entry in entries:
        try:
            item = check(entry)
        except HoasenError as exc:
            report.errors.append((number, str(exc)))
            continue
        ident = identity(item)
        if ident in seen:
            report.errors.append((number, f"duplicate of row {seen[ident]}"))
            continue
        seen[ident] = number
        if exists(item):
            report.errors.append((number, "already in the register"))
            continue
        checked.append(item)
    return checked


def import_delegations(desk: DelegationDesk, path: Path, dry_run: bool = False) -> ImportReport:
    """Import a delegation register file, all rows or none (see the module's docstring)."""
    entries = _entries(path, DELEGATION_COLUMNS)
    report = ImportReport("delegations", rows=len(entries), dry_run=dry_run)
    checked: list[CheckedDelegation] = _check_all(
        entries, desk.check, lambda c: c.identity, desk.exists, report
    )
    if report.ok and not dry_run:
        with desk.rows.transaction() as conn:
            for item in checked:
                desk.store(item, conn)
        report.imported = len(checked)
    return report


def import_press(desk: PressDesk, path: Path, dry_run: bool = False) -> ImportReport:
    """Import a press register file, one journalist a row; groups are made from the group
    title and start date of their rows. All rows or none."""
    entries = _entries(path, PRESS_COLUMNS)
    report = ImportReport("press", rows=len(entries), dry_run=dry_run)
    checked: list[CheckedJournalist] = _check_all(
        entries, desk.check, lambda c: c.identity, desk.exists, report
    )
    if report.ok and not dry_run:
        report.imported = desk.store_rows(checked)
    return report


def import_events(
    desk: EventDesk, path: Path, dry_run: bool = False, calendar: str = "office"
) -> ImportReport:
    """Import an events file, one event a row (`calendar` for rows naming none); a row with the
    title and start of a registered event, or of another row, is a duplicate. All or none."""
    entries = _entries(path, EVENT_COLUMNS)
    report = ImportReport("events", rows=len(entries), dry_run=dry_run)
    checked: list[CheckedEvent] = _check_all(
        entries, lambda e: desk.check(e, calendar), lambda c: c.identity, desk.exists, report
    )
    if report.ok and not dry_run:
        report.imported = desk.store_rows(checked)
    return report


# ---------------------------------------------------------------- export

DELEGATION_EXPORT = (
    "id",
    "direction",
    "title",
    "country",
    "organisation",
    "level",
    "members",
    "starts",
    "ends",
    "purpose",
    "status",
    "agreement_id",
    "notes",
)


def delegation_table(
    rows: Iterable[DelegationRow], people: dict[int, PersonRow], with_people: bool
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a delegation list; the head's name and role only `with_people`."""
    header = list(DELEGATION_EXPORT) + (["head", "head_role"] if with_people else [])
    out = []
    for d in rows:
        doc = d.as_json()
        doc["purpose"] = ", ".join(d.purpose)
        line = [doc[name] for name in DELEGATION_EXPORT]
        if with_people:
            head = people.get(d.head_id) if d.head_id is not None else None
            line += [head.name if head else "", head.role if head else ""]
        out.append(line)
    return header, out


PRESS_GROUP_EXPORT = ("group", "country", "outlet", "starts", "ends", "officer", "status")
PRESS_PEOPLE_EXPORT = (
    "name",
    "role",
    "nationality",
    "permit_number",
    "permit_authority",
    "valid_from",
    "valid_to",
    "areas",
    "topics",
)


def press_table(
    groups: Iterable[PressGroupRow],
    journalists: Iterable[JournalistRow],
    people: dict[int, PersonRow],
    with_people: bool,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of a press list: one group a row with its number of journalists, or
    `with_people` one journalist a row (name, role, permit: personal data) as the import reads
    it; a group without journalists still has its row."""
    if not with_people:
        header = [*PRESS_GROUP_EXPORT, "journalists"]
        members = list(journalists)
        out = []
        for g in groups:
            n = sum(1 for j in members if j.group_id == g.id)
            out.append([*_group_cells(g, ", ".join(g.outlets)), n])
        return header, out
    by_group: dict[int | None, list[JournalistRow]] = {}
    for j in journalists:
        by_group.setdefault(j.group_id, []).append(j)
    lines = []
    for g in groups:
        found: list[JournalistRow | None] = [*by_group.get(g.id, [])]
        for one in found or [None]:
            person = people.get(one.person_id) if one is not None else None
            line = _group_cells(g, person.outlet if person else ", ".join(g.outlets))
            if one is None:
                lines.append([*line, *[""] * len(PRESS_PEOPLE_EXPORT)])
                continue
            permit = [
                person.name if person else "",
                person.role if person else "",
                (person.nationality or "") if person else "",
                one.permit_number,
                one.permit_authority,
                one.valid_from.isoformat() if one.valid_from else "",
                one.valid_to.isoformat() if one.valid_to else "",
                ", ".join(one.areas),
                ", ".join(one.topics),
            ]
            lines.append([*line, *permit])
    return [*PRESS_GROUP_EXPORT, *PRESS_PEOPLE_EXPORT], lines


def _group_cells(g: PressGroupRow, outlet: str) -> list[Any]:
    ends = g.ends.isoformat() if g.ends else ""
    return [g.title, g.country or "", outlet, g.starts.isoformat(), ends, g.officer, g.status]


EVENT_EXPORT = tuple(EVENT_COLUMNS)


def event_table(rows: Iterable[EventRow]) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of an event list as the import reads them: all-day events by their
    first and last day, timed ones in wall time of their zone; names separated by |."""
    out = []
    for e in rows:
        if e.all_day:
            first, last = local_days(e)
            start, end = first.isoformat(), last.isoformat()
        else:
            zone = zone_of(e.timezone)
            start = _wall(e.starts.astimezone(zone))
            end = _wall(e.ends.astimezone(zone)) if e.ends else ""
        doc: dict[str, Any] = {
            "title": e.title,
            "kind": e.kind,
            "start": start,
            "end": end,
            "all_day": "yes" if e.all_day else "no",
            "timezone": e.timezone,
            "rrule": e.rrule,
            "place": e.place,
            "organisers": e.organisers,
            "partners": e.partners,
            "names": " | ".join(e.names),
            "expected": e.expected,
            "actual": e.actual,
            "description": e.description,
            "status": e.status,
            "calendar": e.calendar,
        }
        out.append([doc[name] for name in EVENT_EXPORT])
    return list(EVENT_EXPORT), out


def _wall(moment: datetime) -> str:
    """Local wall time as ISO text without offset (the zone is in its own column)."""
    return moment.replace(tzinfo=None).isoformat(timespec="seconds" if moment.second else "minutes")


STATS_HEADER = ["section", "key", "value"]
STATS_TOTALS = (
    "delegations",
    "delegates",
    "press_delegations",
    "journalists",
    "events",
    "participants",
)


def stats_table(doc: Mapping[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The statistics of `RegisterDesk.stats` as a table, one row per figure: (section, key,
    value). The period is in section `period`, the totals in `totals`; a breakdown
    (`incoming`, `by_country` ...) gives a row per key and figure, as section `by_country`,
    key `LA delegations`. Other numbers the events register adds are totals too."""
    lines: list[list[Any]] = [
        ["period", "year", doc.get("year")],
        ["period", "quarter", doc.get("quarter")],
        ["period", "month", doc.get("month")],
        ["period", "from", doc.get("from")],
        ["period", "to", doc.get("to")],
        ["period", "counted_statuses", ", ".join(doc.get("counted_statuses") or [])],
    ]
    done = {"year", "quarter", "month", "from", "to", "counted_statuses"}
    names = [n for n in STATS_TOTALS if n in doc]
    names += [n for n, v in doc.items() if n not in done and n not in names and _number(v)]
    for name in names:
        lines.append(["totals", name, doc[name]])
    for section, part in doc.items():
        if section in done or not isinstance(part, Mapping):
            continue
        for name, value in part.items():
            if isinstance(value, Mapping):
                for figure, number in value.items():
                    lines.append([section, f"{name} {figure}", number])
            else:
                lines.append([section, str(name), value])
    return list(STATS_HEADER), lines


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def write_table(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> int:
    """Write a table as CSV (UTF-8 with BOM, for spreadsheet programs) or XLSX, by the file's
    suffix; dates are ISO text. Returns the number of rows."""
    suffix = path.suffix.lower()
    cells = [["" if v is None else v for v in row] for row in rows]
    if suffix == ".csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(cells)
        path.write_text(buffer.getvalue(), encoding="utf-8-sig")
    elif suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(list(header))
        for row in cells:
            sheet.append(list(row))
        book.save(path)
    else:
        raise UsageError(f"{path.name}: export to a .csv or .xlsx file")
    return len(cells)
