"""The events calendar: time zones and all-day dates that stay put around midnight, DST-correct
recurrence, listing and statistics by period, subscription tokens, coverage found in vi, en and
zh articles inside the event's window (and not outside it), and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import RawInput
from hoasen.registers.events import EventDesk
from hoasen.settings import Settings
from hoasen.store import schema

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        yield d


@pytest.fixture
def events(desk: Desk) -> EventDesk:
    return EventDesk(desk)


def _office(desk: Desk, zone: str) -> EventDesk:
    """The same database seen from an office in another zone."""
    from dataclasses import replace

    desk.settings = replace(desk.settings, office_timezone=zone)
    return EventDesk(desk)


def test_all_day_event_keeps_its_date_in_every_zone(desk: Desk) -> None:
    events = EventDesk(desk)
    tet = events.add("Kỷ niệm ngày thành lập", start="2026-03-01", tz="Asia/Ho_Chi_Minh")
    assert tet.all_day and tet.timezone == "Asia/Ho_Chi_Minh"
    assert tet.starts == datetime(2026, 2, 28, 17, 0, tzinfo=UTC)  # local midnight
    for zone in ("Asia/Ho_Chi_Minh", "UTC", "America/Los_Angeles", "Pacific/Kiritimati"):
        view = _office(desk, zone)
        assert [e.id for e in view.list(year=2026, month=3)] == [tet.id], zone
        assert view.list(year=2026, month=2) == [], zone
        (occ,) = view.occurrences((date(2026, 3, 1), date(2026, 3, 1)))
        assert (occ.first_day, occ.last_day) == (date(2026, 3, 1), date(2026, 3, 1))
        assert occ.as_json()["start"] == occ.as_json()["end"] == "2026-03-01"
        assert view.occurrences((date(2026, 2, 28), date(2026, 2, 28))) == []
        assert view.occurrences((date(2026, 3, 2), date(2026, 3, 2))) == []
    # a viewer asking by instants in New York's day of 1 March still finds it
    ny = ZoneInfo("America/New_York")
    found = events.occurrences((datetime(2026, 3, 1, tzinfo=ny), datetime(2026, 3, 2, tzinfo=ny)))
    assert [o.event.id for o in found] == [tet.id]


def test_timed_event_near_midnight_belongs_to_the_instant(desk: Desk) -> None:
    events = EventDesk(desk)
    late = events.add(
        "Đêm khai mạc", start="2026-03-01T00:30", end="2026-03-01T02:00", tz="Asia/Ho_Chi_Minh"
    )
    assert not late.all_day
    assert late.starts == datetime(2026, 2, 28, 17, 30, tzinfo=UTC)
    assert [e.id for e in events.list(year=2026, month=3)] == [late.id]  # office in Hanoi
    utc_office = _office(desk, "UTC")
    assert utc_office.list(year=2026, month=3) == []
    assert [e.id for e in utc_office.list(year=2026, month=2)] == [late.id]


def test_multi_day_all_day_event_and_bad_input(events: EventDesk) -> None:
    fest = events.add(
        "Hokkaido Festival in Ha Long 2023",
        start="2023-10-27",
        end="2023-10-29",
        kind="Festival",
        place="Hạ Long",
        names="Lễ hội Hokkaido tại Hạ Long 2023\n北海道节",
        expected=5000,
    )
    assert fest.kind == "festival" and fest.names == (
        "Lễ hội Hokkaido tại Hạ Long 2023",
        "北海道节",
    )
    (occ,) = events.occurrences((date(2023, 10, 1), date(2023, 10, 31)))
    assert (occ.first_day, occ.last_day) == (date(2023, 10, 27), date(2023, 10, 29))
    assert events.occurrences((date(2023, 10, 29), date(2023, 10, 29)))
    assert not events.occurrences((date(2023, 10, 30), date(2023, 10, 30)))
    with pytest.raises(UsageError, match="time zone"):
        events.add("X", start="2026-01-01", tz="Mars/Olympus")
    with pytest.raises(UsageError, match="end before"):
        events.add("X", start="2026-01-02", end="2026-01-01")
    with pytest.raises(UsageError, match="RRULE"):
        events.add("X", start="2026-01-01", rrule="FREQ=SOMETIMES")
    with pytest.raises(UsageError, match="title"):
        events.add("  ", start="2026-01-01")
    with pytest.raises(UsageError, match="start must be"):
        events.add("X", start="first of March")
    with pytest.raises(NotFoundError):
        events.get(999)


def test_weekly_rule_keeps_wall_time_across_dst(events: EventDesk) -> None:
    weekly = events.add(
        "Berlin liaison call",
        start="2026-03-16T10:00",
        end="2026-03-16T11:00",
        tz="Europe/Berlin",
        rrule="FREQ=WEEKLY;BYDAY=MO",
    )
    found = events.occurrences((date(2026, 3, 16), date(2026, 4, 6)))
    assert [o.start.strftime("%m-%d %H:%M") for o in found] == [
        "03-16 10:00",
        "03-23 10:00",
        "03-30 10:00",
        "04-06 10:00",
    ]
    # the UTC hour moves when Berlin changes to summer time on 29 March
    assert [o.start.astimezone(UTC).hour for o in found] == [9, 9, 8, 8]
    assert all(o.end - o.start == timedelta(hours=1) for o in found)
    assert all(o.event.id == weekly.id for o in found)
    # an UNTIL in UTC ends it, the rule is kept as given
    until = events.update(weekly.id, rrule="FREQ=WEEKLY;BYDAY=MO;UNTIL=20260324T000000Z")
    assert until.sequence == 1
    assert len(events.occurrences((date(2026, 3, 1), date(2026, 12, 31)))) == 2


def test_yearly_anniversary_and_stats(events: EventDesk) -> None:
    anniversary = events.add(
        "Ngày thành lập tỉnh",
        start="2020-10-30",
        rrule="FREQ=YEARLY",
        kind="anniversary",
        expected=300,
    )
    events.add(
        "EATOF General Assembly",
        start="2026-10-12T09:00",
        end="2026-10-14T17:00",
        kind="forum",
        expected=200,
        actual=180,
    )
    events.add("Cancelled fair", start="2026-10-20", kind="festival", status="cancelled")
    events.add("New year eve", start="2026-12-31T23:00", end="2027-01-01T01:00", kind="festival")
    days = [o.first_day for o in events.occurrences((date(2024, 1, 1), date(2026, 12, 31)))]
    assert days.count(date(2024, 10, 30)) == days.count(date(2026, 10, 30)) == 1
    assert [e.id for e in events.list(year=2025)] == [anniversary.id]
    assert events.stats(2026, month=10) == {
        "events": 2,
        "participants": 480,
        "by_kind": {"anniversary": 1, "forum": 1},
    }
    assert events.stats(2026, quarter=4)["events"] == 3
    assert events.stats(2027)["events"] == 1  # the anniversary; the eve started in 2026
    with pytest.raises(UsageError):
        events.stats(2026, month=13)


def test_update_and_delete(events: EventDesk) -> None:
    e = events.add("Forum", start="2026-05-05T09:00", tz="Asia/Tokyo")
    moved = events.update(e.id, start="2026-05-06T09:00", place="Tokyo", actual=40)
    assert moved.starts == datetime(2026, 5, 6, 0, 0, tzinfo=UTC)
    assert (moved.place, moved.actual, moved.sequence, moved.timezone) == (
        "Tokyo",
        40,
        1,
        "Asia/Tokyo",
    )
    whole = events.update(e.id, all_day=True)
    assert whole.all_day and events.occurrences((date(2026, 5, 6), date(2026, 5, 6)))
    with pytest.raises(UsageError, match="no field"):
        events.update(e.id, colour="red")
    events.delete(e.id)
    with pytest.raises(NotFoundError):
        events.get(e.id)


def _user(desk: Desk, name: str) -> int:
    with desk.store.begin() as conn:
        got = conn.execute(
            insert(schema.users).values(name=name, role="editor", password_hash="x", active=True)
        ).inserted_primary_key
    assert got is not None
    return int(got[0])


def test_subscription_tokens(desk: Desk, events: EventDesk) -> None:
    lan = _user(desk, "lan")
    token = events.new_token(lan, "office")
    other = events.new_token("lan", "festivals")
    assert len(token) >= 40 and token != other
    assert events.calendar_for_token(token) == "office"
    assert events.calendar_for_token(other) == "festivals"
    assert events.calendar_for_token(token + "x") is None
    with desk.store.engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(schema.calendar_tokens.select())]
    assert token not in stored and all(len(h) == 64 for h in stored)  # only the sha256
    assert events.revoke(token) == 1
    assert events.calendar_for_token(token) is None
    assert events.revoke(user_id="lan") == 1
    assert events.calendar_for_token(other) is None
    with pytest.raises(NotFoundError):
        events.new_token("nobody", "office")


def _article(n: int, title: str, text: str, lang: str, published: datetime) -> RawInput:
    doc = {
        "title": title,
        "text": text,
        "language": lang,
        "published": published.isoformat(),
        "url": f"https://news.example.org/{lang}/{n}.html",
        "source": "Test wire",
    }
    return RawInput(
        origin=f"a{n}.json",
        data=json.dumps(doc, ensure_ascii=False).encode(),
        fmt="json",
        url=doc["url"],
    )


def _seed(desk: Desk) -> dict[str, int]:
    desk.store.add_source("https://wire.example.org/feed", "Test wire")
    at = datetime(2023, 10, 28, 3, 0, tzinfo=UTC)
    items = [
        _article(
            1,
            "Khai mạc Lễ hội Hokkaido tại Hạ Long",
            "Tối 27/10, LỄ HỘI HOKKAIDO TẠI HẠ LONG 2023 đã khai mạc với nhiều hoạt động văn hoá.",
            "vi",
            at,
        ),
        _article(
            2,
            "Japanese culture week opens in Quang Ninh",
            "The Hokkaido Festival in Ha Long 2023 drew thousands of visitors to the bay city.",
            "en",
            at + timedelta(days=1),
        ),
        _article(
            3,
            "越南广宁举办日本文化活动",
            "北海道节在下龙市开幕，吸引了众多游客前来参观。",
            "zh",
            at + timedelta(days=2),
        ),
        _article(
            4,
            "Hokkaido Festival in Ha Long 2023 announced",
            "Organisers announced the Hokkaido Festival in Ha Long 2023 months ahead.",
            "en",
            datetime(2023, 6, 1, tzinfo=UTC),  # long before the window
        ),
        _article(
            5,
            "Ha Long bay welcomes cruise ships",
            "More cruise ships than ever docked in the bay this autumn season.",
            "en",
            at,
        ),
    ]
    report = desk.ingest(items=items)
    assert report.ingested == 5, report.errors
    ids = report.article_ids
    return {"vi": ids[0], "en": ids[1], "zh": ids[2], "early": ids[3], "other": ids[4]}


def _festival(events: EventDesk) -> int:
    return events.add(
        "Hokkaido Festival in Ha Long 2023",
        start="2023-10-27",
        end="2023-10-29",
        kind="festival",
        names=["Lễ hội Hokkaido tại Hạ Long", "北海道节"],
    ).id


def test_coverage_finds_vi_en_zh_articles_in_the_window(desk: Desk, events: EventDesk) -> None:
    ids = _seed(desk)
    event_id = _festival(events)
    found = events.coverage(event_id)
    got = {a.article_id: a for a in found.articles}
    assert set(got) == {ids["vi"], ids["en"], ids["zh"]}
    assert {a.status for a in found.articles} == {"suggested"}
    assert {a.language for a in found.articles} == {"vi", "en", "zh"}
    assert found.since == datetime(2023, 10, 24, 17, 0, tzinfo=UTC)
    events.reject(event_id, ids["zh"], by="lan")
    events.confirm(event_id, ids["vi"], by="lan")
    again = {a.article_id: a.status for a in events.coverage(event_id).articles}
    assert again == {ids["vi"]: "confirmed", ids["en"]: "suggested", ids["zh"]: "rejected"}
    doc = events.coverage(event_id).as_json()
    assert doc["event"]["id"] == event_id and len(doc["articles"]) == 3


def test_thematic_report_of_an_event(desk: Desk, events: EventDesk) -> None:
    ids = _seed(desk)
    made = events.thematic_report(_festival(events))
    assert made.document["kind"] == "thematic"
    got = {a["id"] for a in made.document["articles"]}
    assert ids["en"] in got and ids["early"] not in got and ids["other"] not in got


def _cli(args: list[str], settings: Settings, code: int = 0) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == code, result.output
    if "--json" in args and code == 0:
        return json.loads(result.stdout)
    return result.output


def test_cli(settings: Settings, desk: Desk, tmp_path: Path) -> None:
    _user(desk, "lan")
    ids = _seed(desk)
    base = ["register", "events"]
    added = _cli(
        [
            *base,
            "add",
            "Hokkaido Festival in Ha Long 2023",
            "--start",
            "2023-10-27",
            "--end",
            "2023-10-29",
            "--all-day",
            "--tz",
            "Asia/Ho_Chi_Minh",
            "--kind",
            "festival",
            "--place",
            "Hạ Long",
            "--names",
            "Lễ hội Hokkaido tại Hạ Long|北海道节",
            "--expected",
            "5000",
            "--json",
        ],
        settings,
    )
    assert added["all_day"] and added["names"] == ["Lễ hội Hokkaido tại Hạ Long", "北海道节"]
    weekly = [*base, "add", "Weekly briefing", "--start", "2023-10-02T08:00"]
    _cli([*weekly, "--rrule", "FREQ=WEEKLY;BYDAY=MO"], settings)
    listed = _cli([*base, "list", "--year", "2023", "--month", "10", "--json"], settings)
    assert len(listed) == 6 and listed[0]["start"] == "2023-10-02T08:00:00+07:00"
    assert "Hokkaido" in _cli([*base, "list"], settings)
    _cli([*base, "list", "--month", "10"], settings, code=2)
    cov = _cli([*base, "coverage", str(added["id"]), "--json"], settings)
    assert {a["id"] for a in cov["articles"]} == {ids["vi"], ids["en"], ids["zh"]}
    assert "Hokkaido" in _cli([*base, "coverage", str(added["id"])], settings)
    assert "articles" in _cli([*base, "report", str(added["id"])], settings)
    token = _cli([*base, "token", "office", "--user", "lan"], settings).strip()
    assert EventDesk(desk).calendar_for_token(token) == "office"
    _cli([*base, "token", "office", "--user", "nobody"], settings, code=3)
    feed = tmp_path / "office.ics"
    _cli([*base, "export", "-o", str(feed)], settings)
    assert feed.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    again = _cli([*base, "import", str(feed), "--calendar", "office", "--json"], settings)
    assert (again["added"], again["updated"], again["errors"]) == (0, 2, [])
    dry = _cli([*base, "import", str(feed), "--calendar", "copy", "--dry-run"], settings, code=1)
    assert "refused" in dry
    bad = tmp_path / "x.txt"
    bad.write_text("nope")
    _cli([*base, "import", str(bad)], settings, code=2)


def test_register_desk_reaches_the_calendar(desk: Desk) -> None:
    """`desk.registers.events` is this desk, and the register's statistics count events."""
    events = desk.registers.events
    assert isinstance(events, EventDesk)
    events.add("EATOF General Assembly", start="2026-10-12", kind="forum", expected=200)
    doc = desk.registers.stats(2026)
    assert (doc["events"], doc["participants"], doc["by_kind"]) == (1, 200, {"forum": 1})
