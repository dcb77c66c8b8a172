"""Exchange plans: schedules in the office's time zone (DST, month ends), plan validation, and
the selection of a package's articles (picks first, min/max, no resend of a version already
sent, a changed article sent again, near-duplicates left out)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from exchange_helpers import (
    NOW,
    OTHER,
    PARTNER,
    SOURCE,
    Flaky,
    change,
    exchange_settings,
    partner,
    seed,
    tag,
    use_transports,
)
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.exchange.plans import Selection, parse_schedule, transport_config
from hoasen.settings import Settings
from hoasen.store import schema

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# ---------------------------------------------------------------- schedules


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("", ""),
        ("every 2 weeks on MON at 09:00", "every 2 weeks on MON at 09:00"),
        ("Every week on friday at 7:30", "every week on FRI at 07:30"),
        ("every day at 06:00", "every day at 06:00"),
        ("every 3 days at 23:59", "every 3 days at 23:59"),
        ("monthly on 31 at 08:00", "monthly on 31 at 08:00"),
    ],
)
def test_schedule_forms(text: str, canonical: str) -> None:
    assert parse_schedule(text).text == canonical


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("every fortnight", "every N days at HH:MM"),
        ("every 2 weeks on MOON at 09:00", "is not a day"),
        ("every day at 25:00", "not a time of day"),
        ("monthly on 32 at 08:00", "1 to 31"),
        ("every 0 days at 08:00", "1 to 366"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words):
        parse_schedule(text)


def test_fortnightly_keeps_its_rhythm_in_the_office_zone() -> None:
    s = parse_schedule("every 2 weeks on MON at 09:00")
    created = utc(2026, 3, 4, 3, 0)  # a Wednesday
    first = s.next_due(created, HCM, anchor=created)
    assert first == utc(2026, 3, 9, 2, 0)  # Monday 09:00 in Hanoi time (UTC+7)
    assert s.next_due(first, HCM, anchor=created) == utc(2026, 3, 23, 2, 0)
    # Asked late (a scheduler that was down), the rhythm stays the one counted from creation.
    assert s.next_due(utc(2026, 3, 25, 0, 0), HCM, anchor=created) == utc(2026, 4, 6, 2, 0)
    assert parse_schedule("").next_due(created, HCM) is None


def test_weekly_wall_clock_across_daylight_saving() -> None:
    s = parse_schedule("every week on MON at 09:00")
    before = s.next_due(utc(2026, 3, 20, 0, 0), BERLIN)
    assert before == utc(2026, 3, 23, 8, 0)  # 09:00 CET
    after = s.next_due(before, BERLIN)
    assert after == utc(2026, 3, 30, 7, 0)  # 09:00 CEST: the clock time stays
    assert after.astimezone(BERLIN).hour == 9


def test_gap_and_ambiguous_times() -> None:
    daily = parse_schedule("every day at 02:30")
    # 29 March 2026, Berlin: 02:30 does not exist; it runs just after the gap (03:30 CEST).
    gap = daily.next_due(utc(2026, 3, 28, 12, 0), BERLIN)
    assert gap == utc(2026, 3, 29, 1, 30)
    assert daily.next_due(gap, BERLIN) == utc(2026, 3, 30, 0, 30)
    # 25 October 2026: 02:30 happens twice; it runs once, at the first.
    first = daily.next_due(utc(2026, 10, 24, 12, 0), BERLIN)
    assert first == utc(2026, 10, 25, 0, 30)
    assert daily.next_due(first, BERLIN) == utc(2026, 10, 26, 1, 30)


def test_monthly_on_a_day_some_months_lack() -> None:
    s = parse_schedule("monthly on 31 at 08:00")
    runs = []
    when = utc(2027, 1, 1)
    for _ in range(5):
        when = s.next_due(when, HCM)  # type: ignore[assignment]
        runs.append(when.astimezone(HCM).date().isoformat())
    assert runs == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]
    leap = s.next_due(utc(2028, 2, 1), HCM)
    assert leap is not None and leap.astimezone(HCM).date().isoformat() == "2028-02-29"
    end_of_year = parse_schedule("monthly on 1 at 00:00").next_due(utc(2026, 12, 15), HCM)
    assert end_of_year == datetime(2027, 1, 1, tzinfo=HCM).astimezone(UTC)


def test_every_n_days_from_the_first_run() -> None:
    s = parse_schedule("every 3 days at 06:00")
    anchor = utc(2026, 5, 1, 0, 0)  # 07:00 in Hanoi: the first run is the next day
    first = s.next_due(anchor, HCM, anchor=anchor)
    assert first == utc(2026, 5, 1, 23, 0)
    assert s.next_due(first + timedelta(minutes=1), HCM, anchor=anchor) == utc(2026, 5, 4, 23, 0)


# ---------------------------------------------------------------- selection documents


def test_selection_document_is_checked() -> None:
    doc = Selection.from_json({"topics": "tourism, economy", "max": "20", "picks": [3, 1]})
    assert doc.topics == ("tourism", "economy") and doc.max == 20 and doc.picks == (3, 1)
    assert doc.min == 1 and doc.since_days is None
    for bad, words in (
        ({"min": 5, "max": 2}, "min"),
        ({"colour": "red"}, "unknown selection key"),
        ({"since_days": 0}, "since_days"),
        ({"max": "many"}, "whole number"),
        ({"picks": [1, 2, 3], "max": 2}, "picks"),
    ):
        with pytest.raises(UsageError, match=words):
            Selection.from_json(bad)


def test_transport_config_from_the_command_line() -> None:
    assert transport_config("folder", ["/srv/out"]).config == {"path": "/srv/out"}
    assert transport_config("email", ["a@x.org", "b@x.org"]).config == {
        "to": ["a@x.org", "b@x.org"]
    }
    assert transport_config("sftp", ["sftp://news@ftp.gxrb.example.cn:2222/in"]).config == {
        "host": "ftp.gxrb.example.cn",
        "user": "news",
        "port": 2222,
        "path": "/in",
    }
    assert transport_config("http", [], ["url=https://x.example/in"]).config == {
        "url": "https://x.example/in"
    }
    with pytest.raises(UsageError, match="KEY=VALUE"):
        transport_config("folder", [], ["nothing"])


# ---------------------------------------------------------------- plans on a desk


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    with Desk(exchange_settings(settings, tmp_path)) as d:
        partner(d)
        yield d


def _plan(desk: Desk, tmp_path: Path, name: str = "gx", **selection: object) -> object:
    return desk.exchange.planning.add_plan(
        "广西日报传媒集团",
        name=name,
        selection={"since_days": 30, **selection},
        transport="folder",
        config={"path": str(tmp_path / "out")},
    )


def test_plan_is_checked_and_stored(desk: Desk, tmp_path: Path) -> None:
    planning = desk.exchange.planning
    plan = planning.add_plan(
        PARTNER,
        name="Guangxi fortnightly",
        schedule="every 2 weeks on mon at 9:00",
        selection={"topics": ["tourism"], "entities": ["Quảng Tây"], "max": 20},
        languages=["original", "zh"],
        fmt="newsml",
        transport="folder",
        config={"path": str(tmp_path / "out")},
        secret="gx-folder",
    )
    assert plan.schedule == "every 2 weeks on MON at 09:00"
    assert plan.selection["entities"] == ["cn.guangxi"]  # any name, stored as the gazetteer id
    assert plan.languages == ("original", "zh") and plan.format == "newsml"
    assert plan.next_due is not None and plan.next_due.astimezone(HCM).hour == 9
    shown = planning.describe("Guangxi fortnightly")
    assert shown["secret"] == "gx-folder" and shown["secret_set"] is False
    assert shown["partner"]["slug"] == "guangxi-daily-media-group"
    assert "folder" in shown["destination"]
    assert planning.plan(plan.id).name == planning.plan("guangxi FORTNIGHTLY").name
    assert [p.name for p in planning.plans("Tập đoàn Truyền thông Báo Quảng Tây")] == [plan.name]


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"selection": {"topics": ["weather"]}}, "unknown topic"),
        ({"selection": {"entities": ["Atlantis"]}}, "unknown entity"),
        ({"selection": {"sources": ["Nowhere Daily"]}}, "Nowhere Daily"),
        ({"selection": {"picks": [999]}}, "not stored"),
        ({"fmt": "pdf"}, "unknown format"),
        ({"transport": "pigeon"}, "pigeon"),
        ({"config": {"path": "/x", "colour": "red"}}, "unknown setting"),
        ({"languages": ["Chinese!"]}, "unknown language"),
        ({"secret": "s3cr3t value!"}, "by its name"),
        ({"name": "12"}, "bare number"),
        ({"schedule": "sometimes"}, "cannot read the schedule"),
        ({"direction": "sideways"}, "out or in"),
    ],
)
def test_bad_plans_are_refused(
    desk: Desk, tmp_path: Path, changes: dict[str, object], words: str
) -> None:
    args: dict[str, object] = {
        "name": "bad",
        "transport": "folder",
        "config": {"path": str(tmp_path)},
        **changes,
    }
    with pytest.raises((UsageError, NotFoundError), match=words):
        desk.exchange.planning.add_plan(PARTNER, **args)  # type: ignore[arg-type]
    assert desk.exchange.planning.plans() == []


def test_plan_names_are_unique_and_partners_must_exist(desk: Desk, tmp_path: Path) -> None:
    _plan(desk, tmp_path)
    with pytest.raises(UsageError, match="already exists"):
        _plan(desk, tmp_path)
    with pytest.raises(NotFoundError, match="no partner"):
        desk.exchange.planning.add_plan("Xinhua", name="x", config={"path": str(tmp_path)})


def test_inbound_plans_are_stored_as_given(desk: Desk) -> None:
    plan = desk.exchange.planning.add_plan(
        PARTNER, name="gx in", direction="in", fmt="auto", transport="inbox", secret="gx-inbox"
    )
    assert plan.direction == "in" and plan.transport == "inbox" and plan.next_due is None
    with pytest.raises(UsageError, match="receives"):
        desk.exchange.planning.build(plan)
    with pytest.raises(UsageError, match="partner sends over"):
        desk.exchange.planning.add_plan(PARTNER, name="gx in2", direction="in", transport="pigeon")


def test_pause_resume_and_update(desk: Desk, tmp_path: Path) -> None:
    planning = desk.exchange.planning
    planning.add_plan(
        PARTNER, name="weekly", schedule="every week on MON at 09:00", config={"path": "x"}
    )
    assert planning.pause("weekly").active is False
    assert planning.plan("weekly").next_due is None
    resumed = planning.resume("weekly")
    assert resumed.active and resumed.next_due is not None
    changed = planning.update_plan("weekly", schedule="monthly on 1 at 08:00", automatic=True)
    assert changed.schedule == "monthly on 1 at 08:00" and changed.automatic
    assert changed.next_due is not None and changed.next_due.astimezone(HCM).day == 1
    with pytest.raises(UsageError, match="no setting"):
        planning.update_plan("weekly", colour="red")


def test_transport_checked_by_the_transport_itself(desk: Desk, tmp_path: Path) -> None:
    use_transports(desk, flaky=Flaky())
    with pytest.raises(UsageError, match="'to' is required"):
        desk.exchange.planning.add_plan(PARTNER, name="f", transport="flaky")
    plan = desk.exchange.planning.add_plan(
        PARTNER, name="f", transport="flaky", config={"to": "gx"}
    )
    assert plan.transport_config == {"to": "gx"}


# ---------------------------------------------------------------- selection on a desk


def _ids(desk: Desk, plan: object, cancel: bool = False) -> list[int]:
    """The articles of the plan's next package (cancelled afterwards when asked, so the next
    plan of the same partner may take them)."""
    planning = desk.exchange.planning
    result = planning.build(plan, "lan", now=NOW)  # type: ignore[arg-type]
    assert result.package is not None, result.notes
    if cancel:
        planning.cancel(result.package, "lan")
    return [i.article_id for i in planning.rows.items(result.package.id)]


def test_picks_first_then_newest_and_max(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 6)  # ids[0] is the newest
    plan = _plan(desk, tmp_path, picks=[ids[4]], max=3)
    assert _ids(desk, plan) == [ids[4], ids[0], ids[1]]


def test_too_few_articles_make_no_package(desk: Desk, tmp_path: Path) -> None:
    seed(desk, 2)
    plan = _plan(desk, tmp_path, min=3)
    result = desk.exchange.planning.build(plan, "lan", now=NOW)  # type: ignore[arg-type]
    assert result.package is None
    assert "only 2 articles" in result.message and "at least 3" in result.message
    assert desk.exchange.planning.packages() == []


def test_same_version_never_again_but_a_changed_article_goes(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 3)
    plan = _plan(desk, tmp_path)
    planning = desk.exchange.planning
    first = planning.build(plan, "lan", now=NOW)  # type: ignore[arg-type]
    assert first.package is not None
    # While the first package is on its way, its articles are not taken again.
    again = planning.build(plan, "lan", now=NOW)  # type: ignore[arg-type]
    assert again.package is None
    # Once sent (here marked so), the same versions never go again...
    planning.rows.set_status(first.package.id, "sent", ("built",))
    assert planning.build(plan, "lan", now=NOW).package is None  # type: ignore[arg-type]
    # ... but an article whose text changed is a new version and goes.
    change(desk, ids[1])
    assert _ids(desk, plan) == [ids[1]]
    # A cancelled package gives its articles back.
    pending = planning.packages(status="built")[0]
    planning.cancel(pending, "lan")
    assert _ids(desk, plan) == [ids[1]]


def test_near_duplicates_are_left_out(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 4)
    with desk.store.begin() as conn:
        conn.execute(
            update(schema.articles)
            .where(schema.articles.c.id == ids[1])
            .values(duplicate_of=ids[0])
        )
        conn.execute(
            update(schema.articles)
            .where(schema.articles.c.id == ids[3])
            .values(content_hash=desk.store.get_article(ids[2]).content_hash)
        )
    plan = _plan(desk, tmp_path)
    assert _ids(desk, plan) == [ids[0], ids[2]]


def test_topics_entities_sources_and_query(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 5)
    others = seed(desk, 2, start=50, offset=10)
    with desk.store.begin() as conn:
        source_id = desk.store.get_source(OTHER).id
        conn.execute(
            update(schema.articles)
            .where(schema.articles.c.id.in_(others))
            .values(source_id=source_id)
        )
    tag(desk, ids[0], topic="tourism")
    tag(desk, ids[2], topic="economy", entity="cn.guangxi")
    tag(desk, ids[3], entity="cn.guangxi")
    tag(desk, others[0], topic="tourism")

    def plan(name: str, **selection: object) -> list[int]:
        return _ids(desk, _plan(desk, tmp_path, name, **selection), cancel=True)

    # Any of a list's values; every list given together.
    assert plan("t", topics=["tourism", "economy"]) == [ids[0], ids[2], others[0]]
    assert plan("s", topics=["tourism"], sources=[SOURCE]) == [ids[0]]
    assert plan("o", sources=[OTHER]) == others
    assert plan("e", entities=["Guangxi"]) == [ids[2], ids[3]]
    assert plan("te", entities=["广西"], topics=["economy"]) == [ids[2]]
    words = desk.store.get_article(ids[4]).title.split(":")[1].strip()
    assert plan("q", query=f'"{words}"', sources=[SOURCE]) == [ids[4]]


def test_period_defaults_to_since_the_last_package(desk: Desk, tmp_path: Path) -> None:
    planning = desk.exchange.planning
    old = seed(desk, 2, days=20)  # 0.5 and 20.5 days before NOW
    plan = planning.add_plan(PARTNER, name="default period", config={"path": str(tmp_path)})
    first = planning.build(plan, "lan", now=NOW)
    assert first.package is not None and first.selected.ids == [old[0]]  # the last 14 days
    assert first.package.since == NOW - timedelta(days=14)
    later = NOW + timedelta(days=3)
    second = planning.build(plan, "lan", now=later)
    assert second.package is None
    assert planning.packages()[0].until == NOW
