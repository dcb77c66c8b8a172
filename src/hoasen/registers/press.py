"""The foreign press register: groups of foreign journalists received by the province, each
journalist's accreditation (permit number, authority, dates, permitted areas and topics), and
the articles they published, suggested from the monitored sources and confirmed by an officer.

Permits are watched: `permits` flags those ending soon (or already ended) and coverage dated
outside the permit's validity, which the office must raise with the accrediting authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer, fold
from hoasen.errors import UsageError
from hoasen.registers.common import COUNTED, country_of, day, items, key, status_of
from hoasen.store.db import Store
from hoasen.store.listing import ArticleFilters, find_articles
from hoasen.store.registers import JournalistRow, LinkRow, PressGroupRow, RegisterStore

LINK_DECISIONS = ("confirmed", "rejected")


@dataclass(frozen=True)
class CheckedJournalist:
    """One press-register row that passed every check: its group, person and permit."""

    group: dict[str, Any]
    person: dict[str, Any]
    permit: dict[str, Any]

    @property
    def group_identity(self) -> tuple[str, date]:
        """What makes rows belong to one group: its title and start date."""
        return (key(self.group["title"]), self.group["starts"])

    @property
    def identity(self) -> tuple[str, date, str]:
        """What makes two rows the same journalist: the group and the person's name."""
        return (*self.group_identity, key(self.person["name"]))


@dataclass(frozen=True)
class PermitFlag:
    """A permit that needs attention: `expiring` / `expired` (days_left), or `coverage-outside`
    (an article linked to the journalist published outside the permit's dates)."""

    journalist: JournalistRow
    name: str
    kind: str
    days_left: int | None = None
    article_id: int | None = None
    published: date | None = None

    def as_json(self) -> dict[str, Any]:
        """The flag as a JSON document."""
        return {
            "journalist_id": self.journalist.id,
            "name": self.name,
            "permit_number": self.journalist.permit_number,
            "valid_from": _iso(self.journalist.valid_from),
            "valid_to": _iso(self.journalist.valid_to),
            "kind": self.kind,
            "days_left": self.days_left,
            "article_id": self.article_id,
            "published": _iso(self.published),
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


class PressDesk:
    """Press groups, journalists and their coverage over one store."""

    def __init__(self, rows: RegisterStore, store: Store, gazetteer: Gazetteer) -> None:
        self.rows = rows
        self.store = store
        self.gazetteer = gazetteer

    def check(self, entry: Mapping[str, Any]) -> CheckedJournalist:
        """Validate one journalist row of text fields: group, country, outlet, name, role,
        nationality, starts, ends, officer, status, permit_number, permit_authority,
        valid_from, valid_to, areas, topics. Raises UsageError with the first problem."""
        text = {k: ("" if v is None else str(v)) for k, v in entry.items()}
        title = text.get("group", "").strip()
        if not title:
            raise UsageError("a journalist row needs the group's title")
        name = text.get("name", "").strip()
        if not name:
            raise UsageError("a journalist row needs the journalist's name")
        nationality = None
        if text.get("nationality", "").strip():
            nationality = country_of(self.gazetteer, text["nationality"])[0]
        country_text = text.get("country", "").strip()
        country = country_of(self.gazetteer, country_text)[0] if country_text else nationality
        if country is None:
            raise UsageError("a country (or the journalist's nationality) is needed")
        starts = day(text.get("starts"), "the start date", required=True)
        ends = day(text.get("ends"), "the end date")
        assert starts is not None
        if ends is not None and ends < starts:
            raise UsageError(f"the end date ({ends}) is before the start date ({starts})")
        valid_from = day(text.get("valid_from"), "the permit's first day")
        valid_to = day(text.get("valid_to"), "the permit's last day")
        if valid_from and valid_to and valid_to < valid_from:
            raise UsageError(f"the permit ends ({valid_to}) before it starts ({valid_from})")
        outlet = text.get("outlet", "").strip()
        return CheckedJournalist(
            group={
                "title": title,
                "country": country,
                "outlets": items(outlet),
                "starts": starts,
                "ends": ends,
                "officer": text.get("officer", "").strip()[:120],
                "status": status_of(text.get("status")),
            },
            person={
                "name": name,
                "role": text.get("role", "").strip()[:200],
                "outlet": outlet[:300],
                "nationality": nationality or country,
            },
            permit={
                "permit_number": text.get("permit_number", "").strip()[:80],
                "permit_authority": text.get("permit_authority", "").strip(),
                "valid_from": valid_from,
                "valid_to": valid_to,
                "areas": items(text.get("areas")),
                "topics": items(text.get("topics")),
            },
        )

    def find_group(self, title: str, starts: date) -> PressGroupRow | None:
        """The group with this title (case and diacritics ignored) starting on this day."""
        same_day = self.rows.groups(since=starts, until=starts)
        return next((g for g in same_day if key(g.title) == key(title)), None)

    def exists(self, checked: CheckedJournalist) -> bool:
        """Whether the register already has this journalist in this group."""
        group = self.find_group(checked.group["title"], checked.group["starts"])
        if group is None:
            return False
        ids = [j.person_id for j in self.rows.journalists(group_ids=[group.id])]
        names = {key(p.name) for p in self.rows.people(ids).values()}
        return key(checked.person["name"]) in names

    def store_rows(self, checked: list[CheckedJournalist], conn: Any = None) -> int:
        """Write checked rows in one transaction: a group per (title, start) made from its first
        row, its outlets those of all its rows. Returns the number of journalists written."""
        with self.rows.transaction(conn) as c:
            groups: dict[tuple[str, date], int] = {}
            outlets: dict[tuple[str, date], tuple[str, ...]] = {}
            for row in checked:
                outlets[row.group_identity] = items(
                    [*outlets.get(row.group_identity, ()), *row.group["outlets"]]
                )
            for row in checked:
                ident = row.group_identity
                if ident not in groups:
                    known = self.find_group(row.group["title"], row.group["starts"])
                    groups[ident] = (
                        known.id
                        if known is not None
                        else self.rows.add_group({**row.group, "outlets": outlets[ident]}, c)
                    )
                person_id = self.rows.add_person(row.person, c)
                self.rows.add_journalist(
                    {**row.permit, "person_id": person_id, "group_id": groups[ident]}, c
                )
        return len(checked)

    def add(self, **fields: Any) -> JournalistRow:
        """Record one journalist (fields as in `check`), making the group when it is new."""
        checked = self.check(fields)
        if self.exists(checked):
            raise UsageError(f"{checked.person['name']!r} is already in that group")
        self.store_rows([checked])
        group = self.find_group(checked.group["title"], checked.group["starts"])
        assert group is not None
        return self.rows.journalists(group_ids=[group.id])[-1]

    def groups(
        self, since: date | None = None, until: date | None = None, status: str | None = None
    ) -> list[PressGroupRow]:
        """Press groups starting in [since, until], oldest first."""
        return [g for g in self.rows.groups(since, until) if status is None or g.status == status]

    def group(self, group_id: int) -> PressGroupRow:
        """One press group by id (NotFoundError when there is none)."""
        return self.rows.group(group_id)

    def journalists(self, group_ids: list[int] | None = None) -> list[JournalistRow]:
        """Journalists of some groups (all when None)."""
        return self.rows.journalists(group_ids=group_ids)

    def figures(self, start: date, end: date) -> dict[str, Any]:
        """Press groups starting in [start, end] (cancelled left out) and their journalists."""
        counted = [g for g in self.groups(start, end) if g.status in COUNTED]
        members = self.rows.journalists(group_ids=[g.id for g in counted]) if counted else []
        by_country: dict[str, dict[str, int]] = {}
        per_group = {g.id: g for g in counted}
        for g in counted:
            slot = by_country.setdefault(g.country or "", {"groups": 0, "journalists": 0})
            slot["groups"] += 1
        for j in members:
            group = per_group[j.group_id] if j.group_id is not None else None
            if group is not None:
                by_country[group.country or ""]["journalists"] += 1
        return {
            "press_delegations": len(counted),
            "journalists": len(members),
            "press_by_country": dict(sorted(by_country.items())),
        }

    # ---------------------------------------------------------------- permits

    def permits(self, days: int = 30, today: date | None = None) -> list[PermitFlag]:
        """Permits ending within `days` of `today` (or ended while their group is not over),
        and linked articles (not rejected) published outside a permit's dates."""
        if days < 0:
            raise UsageError("the number of days must be zero or more")
        today = today or date.today()
        every = self.rows.journalists()
        people = self.rows.people([j.person_id for j in every])
        flags: list[PermitFlag] = []
        for j in every:
            name = people[j.person_id].name if j.person_id in people else ""
            if j.valid_to is not None:
                left = (j.valid_to - today).days
                if 0 <= left <= days:
                    flags.append(PermitFlag(j, name, "expiring", days_left=left))
                elif left < 0 and left >= -days:
                    flags.append(PermitFlag(j, name, "expired", days_left=left))
        by_id = {j.id: j for j in every}
        links = self.rows.links("journalist", entry_ids=list(by_id))
        articles = {a.id: a for a in self.store.get_articles([lk.article_id for lk in links])}
        for link in links:
            j = by_id[link.entry_id]
            art = articles.get(link.article_id)
            if link.status == "rejected" or art is None:
                continue
            when = (art.published or art.fetched).date()
            early = j.valid_from is not None and when < j.valid_from
            late = j.valid_to is not None and when > j.valid_to
            if early or late:
                name = people[j.person_id].name if j.person_id in people else ""
                flags.append(
                    PermitFlag(j, name, "coverage-outside", article_id=art.id, published=when)
                )
        return sorted(flags, key=lambda f: (f.kind, f.days_left or 0, f.journalist.id))

    # ---------------------------------------------------------------- coverage

    def suggest_coverage(self, group_id: int, after_days: int = 30) -> list[LinkRow]:
        """Suggest, for each journalist of a group, the articles published from the group's
        start to `after_days` after its end whose byline names the journalist or whose byline
        or source names their outlet. New suggestions only (a rejected one never returns)."""
        group = self.group(group_id)
        members = self.rows.journalists(group_ids=[group_id])
        people = self.rows.people([j.person_id for j in members])
        last = (group.ends or group.starts) + timedelta(days=after_days)
        filters = ArticleFilters(
            since=datetime.combine(group.starts, time.min, UTC),
            until=datetime.combine(last, time.max, UTC),
        )
        found, _ = find_articles(self.store, filters, limit=5000)
        for j in members:
            person = people.get(j.person_id)
            if person is None or person.erased is not None:
                continue
            name, outlet = fold(person.name), fold(person.outlet)
            for art in found:
                byline = fold(art.author or "")
                source = fold(art.source_name or "")
                if (name and name in byline) or (outlet and (outlet in byline or outlet in source)):
                    self.rows.suggest_link("journalist", j.id, art.id)
        return self.rows.links("journalist", entry_ids=[j.id for j in members])

    def coverage_links(self, journalist_ids: list[int]) -> list[LinkRow]:
        """The articles linked to these journalists (suggested, confirmed or rejected)."""
        return self.rows.links("journalist", entry_ids=journalist_ids)

    def decide(self, link_id: int, status: str, officer: str) -> LinkRow:
        """An officer confirms or rejects a suggested article."""
        if status not in LINK_DECISIONS:
            raise UsageError(f"a link is {' or '.join(LINK_DECISIONS)}, not {status!r}")
        if not officer.strip():
            raise UsageError("say which officer decides")
        return self.rows.decide_link(link_id, status, officer.strip())
