"""The registers part of `hoasen demo`: delegations, a foreign press group and events taken from
the seed articles' facts (`data/sample/registers.json`), each linked to the seed article that
names it, and the coverage of the Hokkaido Festival in Ha Long.

What the seeds say, and what is demo data: seed 001 says Quang Ninh received the President of
Hungary, the King and Queen of Belgium and the King and Queen of Bhutan in 2025, without dates
or numbers of members — those are placeholders, listed in each entry's `placeholders` and
written in its notes. Seed 004 gives the Hokkaido Festival in Ha Long (16–19 November 2023) and
the 17th EATOF General Assembly (October 2022: the day is a placeholder); it gives no numbers of
participants, so none are recorded. It mentions press trips but names no Japanese one: the
Japanese press group is a placeholder as a whole, with no journalist recorded. No person is
named anywhere (the seeds name the heads of state by title only).

Idempotent: entries already in the register (same title and start, or the same event UID) are
left as they are, and links already made are kept, so a second run adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console

from hoasen.desk import Desk
from hoasen.errors import HoasenError, UsageError
from hoasen.registers.common import day, items, key, status_of

OFFICER = "hoasen demo"
DATA_FILE = "registers.json"
HOKKAIDO_UID = "hokkaido-festival-ha-long-2023@hoasen-demo"
EVENT_ZONE = "Asia/Ho_Chi_Minh"  # both events are in Quang Ninh


@dataclass
class RegistersLoad:
    """What one run added (all zero on a second run) and the Hokkaido Festival's event id."""

    delegations: int = 0
    press_groups: int = 0
    events: int = 0
    links: int = 0
    hokkaido_id: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        """Everything this run wrote."""
        return self.delegations + self.press_groups + self.events + self.links


def demo_registers() -> dict[str, Any]:
    """The bundled demo entries (`data/sample/registers.json`)."""
    from hoasen.demo import sample_dir

    data: dict[str, Any] = json.loads((sample_dir() / DATA_FILE).read_text(encoding="utf-8"))
    return data


def load_registers(desk: Desk, data: dict[str, Any] | None = None) -> RegistersLoad:
    """Load the demo delegations, press group and events into the registers (idempotent) and
    link each to the seed article that names it (when that article is in the database)."""
    data = data or demo_registers()
    done = RegistersLoad()
    for entry in data.get("delegations") or []:
        _delegation(desk, entry, done)
    for entry in data.get("press") or []:
        _press_group(desk, entry, done)
    for entry in data.get("events") or []:
        _event(desk, entry, done)
    return done


def _seed_article(desk: Desk, phrase: str) -> int | None:
    """The article holding `phrase` (a seed's wording), found through the search index."""
    if not phrase:
        return None
    try:
        hits = desk.search(f'"{phrase}"', limit=1, snippets=False)
    except UsageError:
        return None
    return hits[0].id if hits else None


def _delegation(desk: Desk, entry: dict[str, Any], done: RegistersLoad) -> None:
    delegations = desk.registers.delegations
    fields = {
        k: entry.get(k, "")
        for k in ("direction", "title", "country", "level", "purpose", "status", "notes")
    }
    fields.update(starts=entry["starts"], ends=entry.get("ends"), members=entry.get("members"))
    checked = delegations.check(fields)
    same = delegations.find(
        since=checked.values["starts"],
        until=checked.values["starts"],
        direction=checked.values["direction"],
    )
    found = next((d for d in same if key(d.title) == key(checked.values["title"])), None)
    if found is not None:
        delegation_id = found.id
    else:
        delegation_id = delegations.store(checked)
        done.delegations += 1
    article_id = _seed_article(desk, str(entry.get("phrase") or ""))
    if article_id is None:
        done.notes.append(f"no seed article found for {checked.values['title']!r}")
        return
    # The delegation register has no link method of its own: the register store's links
    # (register "delegation") hold the article, confirmed by the demo's officer.
    rows = desk.registers.rows
    if rows.suggest_link("delegation", delegation_id, article_id):
        done.links += 1
    for link in rows.links("delegation", entry_ids=[delegation_id]):
        if link.article_id == article_id and link.status != "confirmed":
            rows.decide_link(link.id, "confirmed", OFFICER)


def _press_group(desk: Desk, entry: dict[str, Any], done: RegistersLoad) -> None:
    """A press group without journalists (the seeds name none); not linked to an article, as no
    seed reports this trip."""
    press = desk.registers.press
    starts = day(entry["starts"], "the start date", required=True)
    assert starts is not None
    if press.find_group(entry["title"], starts) is not None:
        return
    desk.registers.rows.add_group(
        {
            "title": entry["title"],
            "country": entry["country"],
            "outlets": items(entry.get("outlets")),
            "starts": starts,
            "ends": day(entry.get("ends"), "the end date"),
            "officer": "",
            "programme": "",
            "status": status_of(entry.get("status")),
            "notes": entry.get("notes", ""),
        }
    )
    done.press_groups += 1


def _event(desk: Desk, entry: dict[str, Any], done: RegistersLoad) -> None:
    events = desk.registers.events
    event = events.rows.by_uid(entry["uid"])
    if event is None:
        event = events.add(
            entry["title"],
            start=entry["start"],
            end=entry.get("end"),
            all_day=True,
            tz=EVENT_ZONE,
            kind=entry.get("kind", ""),
            place=entry.get("place", ""),
            organisers=entry.get("organisers", ""),
            partners=entry.get("partners", ""),
            names=entry.get("names") or (),
            expected=entry.get("expected"),
            description=entry.get("description", ""),
            status=entry.get("status", "held"),
            uid=entry["uid"],
        )
        done.events += 1
    if entry["uid"] == HOKKAIDO_UID:
        done.hokkaido_id = event.id
    events.coverage(event.id)  # suggestions from the articles of the event's window
    article_id = _seed_article(desk, str(entry.get("phrase") or ""))
    if article_id is None:
        done.notes.append(f"no seed article found for {event.title!r}")
        return
    # The seed is dated when hoasen first saw it (it carries no date), outside the event's
    # window, so the officer links it by hand: confirming adds the link when it is new.
    known = {link.article_id: link.status for link in events.rows.links(event.id)}
    if known.get(article_id) != "confirmed":
        events.confirm(event.id, article_id, by=OFFICER)
        if article_id not in known:
            done.links += 1


def coverage_count(desk: Desk, event_id: int) -> int:
    """Articles linked to an event and not rejected."""
    return sum(
        1 for link in desk.registers.events.rows.links(event_id) if link.status != "rejected"
    )


def show_registers(desk: Desk, console: Console) -> None:
    """Load the demo registers and print their figures and the festival's coverage."""
    try:
        loaded = load_registers(desk)
    except HoasenError as exc:  # the demo goes on without the registers part
        console.print(f"[bold]Registers[/bold]: skipped ({exc})", highlight=False)
        return
    registers = desk.registers
    delegations = registers.delegations.find()
    groups = registers.press.groups()
    events = registers.events.list()

    def count(n: int, word: str) -> str:
        return f"{n} {word}" if n == 1 else f"{n} {word}s"

    delegates = sum(d.members for d in delegations)
    line = (
        f"[bold]Registers[/bold]: {count(len(delegations), 'delegation')} "
        f"({count(delegates, 'delegate')}), {count(len(groups), 'press group')}, "
        f"{count(len(events), 'event')}"
    )
    if loaded.hokkaido_id is not None:
        found = coverage_count(desk, loaded.hokkaido_id)
        line += (
            f"; coverage of the Hokkaido Festival: {count(found, 'article')} "
            f"(`hoasen register events coverage {loaded.hokkaido_id}`)"
        )
    console.print(line + ".", highlight=False)
    for note in loaded.notes:
        console.print(f"  note: {note}", highlight=False)
