"""The demo's sample dates: six weeks of coverage before the day it runs, with a weekly rhythm
and a few growing stories (`make run` should show what the dashboard and reports are for)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hoasen.demo import DEMO_DAYS, GROWING, VARIANTS, demo_schedule, sample_dir, sample_items
from hoasen.models import RawInput

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def _local_days(times: list[datetime]) -> list[date]:
    return [t.astimezone(HCM).date() for t in times]


def test_schedule_spans_six_weeks_with_a_weekly_rhythm() -> None:
    now = datetime.now(UTC)
    today = now.astimezone(HCM).date()
    count = 24 * VARIANTS
    times = demo_schedule(count, now, "Asia/Ho_Chi_Minh")
    assert len(times) == count and times == demo_schedule(count, now, "Asia/Ho_Chi_Minh")
    assert all(t.utcoffset() == timedelta(0) for t in times)
    assert max(times) < now
    days = _local_days(times)
    assert today - timedelta(days=DEMO_DAYS) <= min(days) and max(days) == today
    assert len(set(days)) >= 25  # spread out, not one bar
    per_day = Counter(days)
    weekday = [per_day[d] for d in set(days) if d.weekday() < 5]
    weekend = [per_day[d] for d in set(days) if d.weekday() >= 5]
    assert sum(weekday) > 4 * sum(weekend)
    assert per_day[today] < max(per_day.values())  # today is a day like others, not all of it


def test_the_newest_stories_grow_toward_today() -> None:
    today = date(2026, 12, 2)  # a Wednesday, the demo run at 15:00 office time
    now = datetime(2026, 12, 2, 15, tzinfo=HCM)
    times = demo_schedule(24 * VARIANTS, now, "Asia/Ho_Chi_Minh")
    for story in range(24 - GROWING, 24):
        days = _local_days(times[story * VARIANTS : (story + 1) * VARIANTS])
        per_day = Counter(days)
        first, last = min(days), max(days)
        assert last == today and per_day[last] > per_day[first]
        assert (last - first).days >= 3


def test_sample_items_carry_their_dates_as_hints() -> None:
    now = datetime.now(UTC)
    items = list(sample_items(sample_dir(), now, "Asia/Ho_Chi_Minh"))
    dated = [x for x in items if isinstance(x, RawInput) and "published" in x.hints]
    assert len(dated) == 24 * VARIANTS
    assert {x.hints["published_source"] for x in dated} == {"input"}
    # the bytes do not change with the day, so a later run skips what it stored
    later = sample_items(sample_dir(), now + timedelta(days=3), "UTC")
    assert [x.data for x in items if isinstance(x, RawInput)] == [
        x.data for x in later if isinstance(x, RawInput)
    ]
