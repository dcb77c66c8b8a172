"""iCalendar for the events calendar: a strict, folded, CRLF export with VTIMEZONEs; a round
trip into a fresh database giving the same events, times and recurrence; broken VEVENTs
reported while the rest import; dry runs writing nothing; floating times in the office zone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from icalendar import Calendar

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.registers.events import EventDesk
from hoasen.settings import Settings


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


def _fresh(settings: Settings, tmp_path: Path, name: str) -> Desk:
    return Desk(replace(settings, database_url=f"sqlite:///{tmp_path / name}"))


def _fill(events: EventDesk) -> None:
    events.add(
        "Hokkaido Festival in Ha Long 2023",
        start="2023-10-27",
        end="2023-10-29",
        kind="festival",
        place="Quảng trường 30/10, Hạ Long",
        organisers="Sở Văn hoá; Hokkaido",
        partners="JNTO",
        names=["Lễ hội Hokkaido tại Hạ Long 2023", "北海道节"],
        expected=5000,
        actual=6200,
        description="Văn hoá, ẩm thực và du lịch Hokkaido; hai ngày hội, nhiều hoạt động. " * 4,
    )
    events.add(
        "EATOF General Assembly",
        start="2026-10-12T09:00",
        end="2026-10-14T17:30",
        tz="Asia/Seoul",
        kind="forum",
        status="planned",
    )
    events.add(
        "Berlin liaison call",
        start="2026-03-16T10:00",
        end="2026-03-16T11:00",
        tz="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=10",
    )
    events.add("Ngày thành lập tỉnh", start="2020-10-30", rrule="FREQ=YEARLY", kind="anniversary")
    events.add("Other calendar", start="2026-01-01", calendar="festivals")


def test_export_is_strict_rfc5545(desk: Desk) -> None:
    events = EventDesk(desk)
    _fill(events)
    data = events.export_ics("office")
    lines = data.split(b"\r\n")
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)
    cal = Calendar.from_ical(data)
    assert cal["version"] == "2.0" and str(cal["prodid"]).startswith("-//hoasen//")
    tzids = {str(tz["tzid"]) for tz in cal.walk("VTIMEZONE")}
    assert {"Asia/Seoul", "Europe/Berlin"} <= tzids
    vevents = cal.walk("VEVENT")
    assert len(vevents) == 4  # the other calendar is not in this feed
    for v in vevents:
        assert not v.errors
        for prop in ("uid", "dtstamp", "dtstart", "summary", "sequence", "status"):
            assert v.get(prop) is not None, prop
    by_title = {str(v["summary"]): v for v in vevents}
    fest = by_title["Hokkaido Festival in Ha Long 2023"]
    assert fest.decoded("dtstart") == date(2023, 10, 27)
    assert fest.decoded("dtend") == date(2023, 10, 30)  # exclusive
    assert b"DTSTART;VALUE=DATE:20231027" in data
    assert b"DTSTART;TZID=Asia/Seoul:20261012T090000" in data
    assert str(by_title["EATOF General Assembly"]["status"]) == "TENTATIVE"
    assert by_title["Berlin liaison call"]["rrule"].to_ical() == b"FREQ=WEEKLY;COUNT=10;BYDAY=MO"
    assert fest["categories"].cats == ["festival"]


def test_round_trip_into_a_fresh_database(desk: Desk, settings: Settings, tmp_path: Path) -> None:
    events = EventDesk(desk)
    _fill(events)
    data = events.export_ics("office")
    with _fresh(settings, tmp_path, "copy.db") as other:
        copy = EventDesk(other)
        report = copy.import_ics(data, calendar="office")
        assert (len(report.added), report.updated, report.errors) == (4, [], [])
        keys = ("uid", "title", "kind", "starts", "ends", "all_day", "timezone", "rrule", "place",
                "organisers", "partners", "names", "expected", "actual", "description", "status",
                "sequence")  # fmt: skip
        before = [{k: e.as_json()[k] for k in keys} for e in events.list("office")]
        after = [{k: e.as_json()[k] for k in keys} for e in copy.list("office")]
        assert after == before
        period = (date(2020, 1, 1), date(2027, 12, 31))
        assert [o.as_json() | {"id": 0} for o in copy.occurrences(period, "office")] == [
            o.as_json() | {"id": 0} for o in events.occurrences(period, "office")
        ]
        # the same file again updates by UID and adds nothing
        again = copy.import_ics(data, calendar="office")
        assert (again.added, len(again.updated)) == ([], 4)


def test_broken_events_are_reported_and_the_rest_imported(desk: Desk) -> None:
    data = b"\r\n".join(
        [
            b"BEGIN:VCALENDAR",
            b"VERSION:2.0",
            b"PRODID:-//test//EN",
            b"BEGIN:VEVENT",
            b"UID:good-1",
            b"DTSTAMP:20260101T000000Z",
            b"DTSTART:20260301T083000",  # floating: the office's zone
            b"DTEND:20260301T100000",
            b"SUMMARY:Good one",
            b"END:VEVENT",
            b"BEGIN:VEVENT",
            b"UID:bad-date",
            b"DTSTAMP:20260101T000000Z",
            b"DTSTART;VALUE=DATE:2026-13-45",
            b"SUMMARY:Bad date",
            b"END:VEVENT",
            b"BEGIN:VEVENT",
            b"UID:no-start",
            b"DTSTAMP:20260101T000000Z",
            b"SUMMARY:No start",
            b"END:VEVENT",
            b"BEGIN:VEVENT",
            b"DTSTAMP:20260101T000000Z",
            b"DTSTART:20260302T083000Z",
            b"SUMMARY:No UID",
            b"END:VEVENT",
            b"BEGIN:VEVENT",
            b"UID:bad-rule",
            b"DTSTAMP:20260101T000000Z",
            b"DTSTART;TZID=Asia/Tokyo:20260302T083000",
            b"RRULE:FREQ=WEEKLY;BYDAY=XX",
            b"SUMMARY:Bad rule",
            b"END:VEVENT",
            b"BEGIN:VEVENT",
            b"UID:good-2",
            b"DTSTAMP:20260101T000000Z",
            b"DTSTART;VALUE=DATE:20260305",
            b"SUMMARY:All day",
            b"CATEGORIES:Conference",
            b"STATUS:CANCELLED",
            b"END:VEVENT",
            b"END:VCALENDAR",
            b"",
        ]
    )
    events = EventDesk(desk)
    dry = events.import_ics(data, calendar="office", dry_run=True)
    assert dry.dry_run and dry.added == ["good-1", "good-2"]
    assert events.list() == []  # nothing written
    report = events.import_ics(data, calendar="office")
    assert report.added == ["good-1", "good-2"]
    reasons = dict(report.errors)
    assert len(reasons) == 4
    assert any("DTSTART" in r for w, r in reasons.items() if "bad-date" in w)
    assert any("no DTSTART" in r for w, r in reasons.items() if "no-start" in w)
    assert "no UID" in reasons.values()
    assert any("RRULE" in r or "BYDAY" in r for w, r in reasons.items() if "bad-rule" in w)
    good = events.rows.by_uid("good-1")
    assert good is not None and good.timezone == "Asia/Ho_Chi_Minh"
    assert good.starts == datetime(2026, 3, 1, 1, 30, tzinfo=UTC)
    whole = events.rows.by_uid("good-2")
    assert (
        whole is not None
        and whole.all_day
        and (whole.kind, whole.status)
        == (
            "conference",
            "cancelled",
        )
    )
    assert report.as_json()["added"] == 2


def test_floating_times_follow_the_office_zone(settings: Settings, tmp_path: Path) -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:f\r\n"
        b"DTSTAMP:20260101T000000Z\r\nDTSTART:20260301T090000\r\nSUMMARY:F\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    berlin = replace(settings, office_timezone="Europe/Berlin")
    with Desk(berlin) as d:
        e = EventDesk(d)
        e.import_ics(data)
        found = e.rows.by_uid("f")
        assert found is not None and found.timezone == "Europe/Berlin"
        assert found.starts == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_not_a_calendar(desk: Desk) -> None:
    with pytest.raises(UsageError, match="iCalendar"):
        EventDesk(desk).import_ics(b"hello world")
