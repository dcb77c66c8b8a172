"""The demo's registers (`hoasen.demo_registers`): the seeds' delegations, press trip and events
loaded on a fresh database holding the five seed articles, each linked to the seed naming it;
a second run adds nothing; no person is named; the printed summary line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from rich.console import Console

from hoasen.demo import sample_dir
from hoasen.demo_registers import coverage_count, demo_registers, load_registers, show_registers
from hoasen.desk import Desk
from hoasen.settings import Settings


@pytest.fixture
def desk(settings: Settings) -> Iterator[Desk]:
    with Desk(settings) as d:
        report = d.ingest(paths=[sample_dir() / "seeds"])  # the five seeds only: fast
        assert report.ingested == 5 and not report.errors
        yield d


def _article_titled(desk: Desk, words: str) -> int:
    (hit,) = [a for a in desk.store.list_articles() if words in (a.title or "")]
    return hit.id


def test_demo_registers_load_once_and_link_the_seeds(desk: Desk) -> None:
    first = load_registers(desk)
    assert (first.delegations, first.press_groups, first.events) == (3, 1, 2)
    assert first.links == 5 and first.notes == []
    second = load_registers(desk)
    assert second.added == 0 and second.notes == []
    assert second.hokkaido_id == first.hokkaido_id is not None

    regs = desk.registers
    delegations = regs.delegations.find()
    assert {d.country for d in delegations} == {"HU", "BE", "BT"}
    assert {d.direction for d in delegations} == {"incoming"}
    assert all(d.head_id is None for d in delegations)  # the seeds name nobody
    assert all("placeholder" in d.notes for d in delegations)
    year = regs.stats(2025)
    assert (year["delegations"], year["delegates"]) == (3, 75)
    assert year["by_country"].keys() == {"BE", "BT", "HU"}
    (group,) = regs.press.groups()
    assert group.country == "JP" and regs.press.journalists() == []

    # The seed naming the three visits (seed 001) is confirmed for each delegation.
    seed_001 = _article_titled(desk, "Resolution on integration")
    links = regs.rows.links("delegation")
    assert {(lk.article_id, lk.status) for lk in links} == {(seed_001, "confirmed")}
    assert len(links) == 3

    # Events with the seeds' dates; the festival's coverage is seed 004, confirmed.
    festival = regs.events.get(first.hokkaido_id)
    assert festival.title == "Hokkaido Festival in Ha Long 2023" and festival.all_day
    assert [e.id for e in regs.events.list(year=2023, month=11)] == [festival.id]
    assert [e.title for e in regs.events.list(year=2022, month=10)] == [
        "17th EATOF General Assembly"
    ]
    seed_004 = _article_titled(desk, "Spreading Quang Ninh values")
    coverage = regs.events.coverage(festival.id)
    assert [(a.article_id, a.status) for a in coverage.articles] == [(seed_004, "confirmed")]
    assert coverage_count(desk, festival.id) == 1
    assert regs.events.stats(2023, month=11)["events"] == 1

    # ... and the monthly report of November 2023 shows it.
    made = desk.reports.make("monthly", on=date(2023, 11, 20), language="en", generated_by="t")
    (event,) = made.document["registers"]["events"]
    assert (event["from"], event["to"], event["coverage"]) == ("2023-11-16", "2023-11-19", 1)


def test_demo_registers_name_nobody_and_mark_placeholders() -> None:
    data = demo_registers()
    for entry in [*data["delegations"], *data["press"], *data["events"]]:
        assert (sample_dir() / "seeds" / entry["seed"]).is_file()
        assert not {"head", "name", "journalists"} & entry.keys()
        for placeholder in entry["placeholders"]:
            assert placeholder in entry
        if entry["placeholders"]:
            assert "placeholder" in (entry.get("notes") or entry.get("description"))
    seeds = {p.name: p.read_text(encoding="utf-8") for p in (sample_dir() / "seeds").iterdir()}
    for entry in [*data["delegations"], *data["events"]]:
        assert entry["phrase"] in seeds[entry["seed"]]
    assert json.dumps(data, ensure_ascii=False)


def test_demo_prints_the_registers_line(desk: Desk) -> None:
    console = Console(record=True, width=400)
    show_registers(desk, console)
    show_registers(desk, console)
    lines = console.export_text().splitlines()
    assert len(lines) == 2 and lines[0] == lines[1]
    event_id = load_registers(desk).hokkaido_id
    assert lines[0] == (
        "Registers: 3 delegations (75 delegates), 1 press group, 2 events; coverage of the "
        f"Hokkaido Festival: 1 article (`hoasen register events coverage {event_id}`)."
    )
