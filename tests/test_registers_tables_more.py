"""Events CSV/XLSX import (Vietnamese headers; every bad row named with its reason, nothing
written until all are clean, the dry run writes nothing), press and events export to CSV/XLSX
read back into a fresh database as the same entries, the `hoasen register` commands, and the
web download links of the press and events lists (journalists for a registrar only)."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from openpyxl import Workbook, load_workbook
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.registers.tables import (
    event_table,
    import_events,
    import_press,
    press_table,
    read_table,
    write_table,
)
from hoasen.settings import Settings, load_settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

HEADER = ["Tên sự kiện", "Loại", "Bắt đầu", "Kết thúc", "Múi giờ", "Lặp lại", "Địa điểm"]
HEADER += ["Tên khác", "Dự kiến", "Trạng thái"]
GOOD = [
    ["Hokkaido Festival", "festival", "2026-03-14", "2026-03-15", "", "", "Ha Long"],
    ["EATOF General Assembly", "forum", "2026-05-20T09:00", "2026-05-20T17:30",
     "Asia/Ho_Chi_Minh", "", "Ha Long"],
    ["Weekly briefing", "other", "2026-01-05T10:00", "2026-01-05T11:00", "Europe/Paris",
     "FREQ=WEEKLY;BYDAY=MO", "Paris"],
]  # fmt: skip
EXTRA = [["Lễ hội|Hokkaido 祭り", "1200", "planned"], ["", "300", ""], ["", "", "confirmed"]]


def _rows(rows: list[list[Any]], extra: list[list[Any]]) -> list[list[Any]]:
    return [r + e for r, e in zip(rows, extra, strict=True)]


def _settings(folder: Path) -> Settings:
    folder.mkdir(exist_ok=True)
    return load_settings(
        config_path=folder / "none.toml",
        env={},
        database_url=f"sqlite:///{folder / 'test.db'}",
        analyze_on_ingest=False,
    )


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    if path.suffix == ".xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for row in [header, *rows]:
            sheet.append(row)
        book.save(path)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *rows])
    return path


def _events(desk: Desk) -> list[tuple[Any, ...]]:
    return sorted(
        (e.title, e.kind, e.starts, e.ends, e.all_day, e.timezone, e.rrule, e.place, e.names,
         e.expected, e.actual, e.status, e.calendar)
        for e in desk.registers.events.list()
    )  # fmt: skip


def _cli(args: list[str], settings: Settings, code: int = 0) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    if "--json" in args:
        return json.loads(result.stdout)
    return result.output


# ---------------------------------------------------------------- events import


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_clean_events_file_is_imported(desk: Desk, tmp_path: Path, suffix: str) -> None:
    path = _write(tmp_path / f"events{suffix}", HEADER, _rows(GOOD, EXTRA))
    events = desk.registers.events
    dry = import_events(events, path, dry_run=True)
    assert dry.ok and dry.rows == 3 and dry.imported == 0 and not events.list()
    report = import_events(events, path)
    assert report.ok and report.imported == 3, report.errors
    found = {e.title: e for e in events.list()}
    festival = found["Hokkaido Festival"]
    assert festival.all_day and festival.names == ("Lễ hội", "Hokkaido 祭り")
    assert festival.expected == 1200 and festival.status == "planned"
    assembly = found["EATOF General Assembly"]
    assert assembly.starts.hour == 2 and assembly.timezone == "Asia/Ho_Chi_Minh"
    assert found["Weekly briefing"].rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert len(events.occurrences((date(2026, 1, 1), date(2026, 1, 31)))) == 4
    again = import_events(events, path)
    assert not again.ok and again.imported == 0
    assert all("already in the register" in reason for _, reason in again.errors)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_bad_events_file_imports_nothing_and_names_every_row(
    desk: Desk, tmp_path: Path, suffix: str
) -> None:
    desk.registers.events.add("Known fair", start="2026-06-01")
    bad = [
        ["Fine", "forum", "2026-04-01", "", "", "", "", "", "", ""],
        ["Bad date", "", "2026-13-01", "", "", "", "", "", "", ""],
        ["Backwards", "", "2026-04-05T10:00", "2026-04-05T09:00", "", "", "", "", "", ""],
        ["Nowhere", "", "2026-04-06T10:00", "", "Mars/Olympus", "", "", "", "", ""],
        ["Bad rule", "", "2026-04-07", "", "", "FREQ=SOMETIMES", "", "", "", ""],
        ["Many", "", "2026-04-08", "", "", "", "", "", "lots", ""],
        ["Known fair", "", "2026-06-01", "", "", "", "", "", "", ""],
        ["fine", "", "2026-04-01", "", "", "", "", "", "", ""],
        ["Odd status", "", "2026-04-09", "", "", "", "", "", "", "maybe"],
    ]
    path = _write(tmp_path / f"bad{suffix}", HEADER, bad)
    report = import_events(desk.registers.events, path)
    assert report.imported == 0 and report.rows == 9
    reasons = dict(report.errors)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "start" in reasons[3]
    assert "end before it starts" in reasons[4]
    assert "time zone" in reasons[5]
    assert "RRULE" in reasons[6]
    assert "expected participants must be a number" in reasons[7]
    assert "already in the register" in reasons[8]
    assert "duplicate of row 2" in reasons[9]
    assert "maybe" in reasons[10]
    assert [e.title for e in desk.registers.events.list()] == ["Known fair"]


def test_events_import_refuses_personal_and_unknown_columns(desk: Desk, tmp_path: Path) -> None:
    from hoasen.errors import UsageError

    phone = _write(tmp_path / "p.csv", ["title", "start", "Điện thoại"], [["A", "2026-01-01", "1"]])
    with pytest.raises(UsageError, match="personal data"):
        import_events(desk.registers.events, phone)
    odd = _write(tmp_path / "o.csv", ["title", "start", "colour"], [["A", "2026-01-01", "red"]])
    with pytest.raises(UsageError, match="unknown column 'colour'"):
        import_events(desk.registers.events, odd)


# ---------------------------------------------------------------- export round trips


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_events_export_reads_back_as_the_same_events(
    desk: Desk, tmp_path: Path, suffix: str
) -> None:
    events = desk.registers.events
    assert import_events(events, _write(tmp_path / "in.csv", HEADER, _rows(GOOD, EXTRA))).ok
    events.add("Lantern night", start="2026-02-11T19:00:30", tz="Asia/Tokyo", actual=40)
    out = tmp_path / f"events{suffix}"
    header, lines = event_table(events.list())
    assert write_table(out, header, lines) == 4
    with Desk(_settings(tmp_path / "fresh")) as fresh:
        report = import_events(fresh.registers.events, out)
        assert report.ok and report.imported == 4, report.errors
        assert _events(fresh) == _events(desk)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_press_export_with_people_reads_back(desk: Desk, tmp_path: Path, suffix: str) -> None:
    press = desk.registers.press
    crew = [
        press.check({"group": "Asian crews", "country": "JP", "outlet": outlet, "name": name,
                     "role": "reporter", "nationality": nationality, "starts": "2026-03-11",
                     "ends": "2026-03-14", "permit_number": f"P-{name[:3]}",
                     "valid_from": "2026-03-10", "valid_to": "2026-03-20",
                     "areas": "Ha Long, Cat Ba", "topics": "tourism"})
        for name, outlet, nationality in (("Sato Yuki", "NHK", "JP"), ("Kim Min-ji", "KBS", "KR"))
    ]  # fmt: skip
    press.store_rows(crew)
    groups = press.groups()
    members = press.journalists()
    people = desk.registers.rows.people([j.person_id for j in members])
    out = tmp_path / f"press{suffix}"
    write_table(out, *press_table(groups, members, people, True))
    bare_header, bare = press_table(groups, members, {}, False)
    assert "name" not in bare_header and bare == [
        ["Asian crews", "JP", "NHK, KBS", "2026-03-11", "2026-03-14", "", "held", 2]
    ]
    with Desk(_settings(tmp_path / "fresh")) as fresh:
        report = import_press(fresh.registers.press, out)
        assert report.ok and report.imported == 2, report.errors
        again = fresh.registers.press
        assert [g.as_json() | {"id": 0} for g in again.groups()] == [
            g.as_json() | {"id": 0} for g in groups
        ]
        fresh_people = fresh.registers.rows.people([j.person_id for j in again.journalists()])
        strip = {"id", "person_id", "group_id"}

        def same(rows: Any, who: Any) -> list[Any]:
            return sorted(
                (json.dumps(who[j.person_id].as_json() | {"id": 0}),
                 json.dumps({k: v for k, v in j.as_json().items() if k not in strip}))
                for j in rows
            )  # fmt: skip

        assert same(again.journalists(), fresh_people) == same(members, people)


# ---------------------------------------------------------------- CLI


def test_cli_events_import_and_export_by_suffix(settings: Settings, tmp_path: Path) -> None:
    good = _write(tmp_path / "events.xlsx", HEADER, _rows(GOOD, EXTRA))
    dry = _cli(["register", "events", "import", str(good), "--dry-run", "--json"], settings)
    assert dry["ok"] and dry["imported"] == 0 and dry["dry_run"]
    assert "Imported 3 rows" in _cli(["register", "events", "import", str(good)], settings)
    bad = _write(tmp_path / "bad.csv", HEADER, [["X", "", "tomorrow", *[""] * 7]])
    doc = _cli(["register", "events", "import", str(bad), "--json"], settings, code=1)
    assert not doc["ok"] and doc["errors"][0]["row"] == 2
    assert "row 2:" in _cli(["register", "events", "import", str(bad)], settings, code=1)
    _cli(["register", "events", "import", str(tmp_path / "x.txt")], settings, code=2)

    out = tmp_path / "out.csv"
    text = _cli(["register", "events", "export", "-o", str(out), "--year", "2026",
                 "--month", "5"], settings)  # fmt: skip
    assert "Wrote 2 events" in text  # the weekly briefing recurs in May
    header, rows = read_table(out)
    assert header[0] == "title"
    assert sorted(r[0] for r in rows) == ["EATOF General Assembly", "Weekly briefing"]
    _cli(["register", "events", "export", "-o", str(tmp_path / "all.xlsx")], settings)
    assert len(read_table(tmp_path / "all.xlsx")[1]) == 3
    ics = tmp_path / "cal.ics"
    _cli(["register", "events", "export", "-o", str(ics)], settings)
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
    _cli(["register", "events", "export", "-o", str(ics), "--year", "2026"], settings, code=2)
    _cli(["register", "events", "export", "-o", str(tmp_path / "x.pdf")], settings, code=2)


def test_cli_press_export(settings: Settings, tmp_path: Path) -> None:
    with Desk(settings) as desk:
        desk.registers.press.add(group="NHK crew", outlet="NHK", name="Sato Yuki",
                                 nationality="JP", starts="2025-03-11")  # fmt: skip
        desk.registers.press.add(group="KBS crew", outlet="KBS", name="Kim Min-ji",
                                 nationality="KR", starts="2026-03-11")  # fmt: skip
    out = tmp_path / "press.xlsx"
    assert "1 press groups" in _cli(
        ["register", "press", "export", "-o", str(out), "--year", "2026"], settings
    )
    header, rows = read_table(out)
    assert "name" not in header and rows[0][0] == "KBS crew"
    assert "Kim Min-ji" not in str(rows)
    _cli(["register", "press", "export", "-o", str(out), "--with-people"], settings)
    header, rows = read_table(out)
    assert sorted(r[header.index("name")] for r in rows) == ["Kim Min-ji", "Sato Yuki"]
    with Desk(settings) as desk:
        audit = desk.registers.rows.audit_entries(str(out))
    assert [a["action"] for a in audit] == ["register.press.export"]


# ---------------------------------------------------------------- web


@pytest.fixture
def site(settings: Settings) -> Iterator[tuple[Any, Accounts, Desk]]:
    desk = Desk(settings)
    desk.registers.press.add(
        group="NHK crew", outlet="NHK", name="Sato Yuki", nationality="JP",
        starts="2026-03-11", permit_number="J-7777",
    )  # fmt: skip
    desk.registers.events.add("Hokkaido Festival", start="2026-03-14", end="2026-03-15")
    desk.registers.events.add("Spring forum", start="2026-04-02T09:00")
    accounts = Accounts(
        desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    application = create_app(settings, desk, accounts=accounts)
    yield application, accounts, desk
    application.state.jobs.stop()
    desk.close()


def _get(site: tuple[Any, Accounts, Desk], role: str, urls: list[str]) -> list[httpx.Response]:
    application, accounts, _ = site
    user, _ = accounts.add_user(f"{role}-user", role)
    cookies = {"hoasen_lang": "en", "hoasen_session": accounts.start_session(user).token}

    async def go() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application),
            base_url="http://desk.test",
            cookies=cookies,
        ) as client:
            return [await client.get(url) for url in urls]

    return asyncio.run(go())


def test_web_downloads_of_press_and_events(site: tuple[Any, Accounts, Desk]) -> None:
    urls = [
        "/registers/press.csv?year=2026",
        "/registers/press.xlsx",
        "/registers/events.csv?year=2026&month=3",
        "/registers/events.xlsx",
        "/registers/press",
        "/registers/events?year=2026&month=3",
    ]
    press_csv, press_xlsx, events_csv, events_xlsx, press_page, events_page = _get(
        site, "viewer", urls
    )
    for answer in (press_csv, press_xlsx, events_csv, events_xlsx):
        assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    assert "NHK crew" in press_csv.text and "Sato Yuki" not in press_csv.text
    assert "J-7777" not in press_csv.text
    rows = list(csv.reader(io.StringIO(events_csv.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["title", "kind", "start"]
    assert [r[0] for r in rows[1:]] == ["Hokkaido Festival"]
    book = load_workbook(io.BytesIO(events_xlsx.content), read_only=True)
    titles = [r[0] for r in book.worksheets[0].iter_rows(values_only=True)][1:]
    assert titles == ["Hokkaido Festival", "Spring forum"]
    book = load_workbook(io.BytesIO(press_xlsx.content), read_only=True)
    assert list(book.worksheets[0].iter_rows(values_only=True))[1][0] == "NHK crew"
    assert "/registers/press.csv?year=" in press_page.text
    assert "/registers/events.xlsx?year=2026&amp;month=3" in events_page.text
    registrar = _get(site, "registrar", ["/registers/press.csv"])[0]
    assert "Sato Yuki" in registrar.text and "J-7777" in registrar.text
    _, _, desk = site
    person = desk.registers.press.journalists()[0].person_id
    reads = desk.registers.rows.audit_entries(f"person:{person}")
    assert [r["user"] for r in reads] == ["registrar-user"]
