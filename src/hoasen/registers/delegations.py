"""The delegation register: foreign delegations received by the province (incoming) and the
province's delegations abroad (outgoing), with their head, level, number of members, dates,
purposes, programme and the cooperation agreement they come under.

`check` turns one entry given as text (a form, a CLI call or a spreadsheet row) into stored
values or a UsageError saying what is wrong, so the import can check every row before writing
any. The yearly report figures ("39 delegations with 1,011 international delegates") come from
`figures`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.errors import NotFoundError, UsageError
from hoasen.registers.common import COUNTED, count, country_of, day, items, key, status_of
from hoasen.store.registers import ActivityRow, DelegationRow, RegisterStore

if TYPE_CHECKING:
    from hoasen.registers.partners import PartnerDesk

DIRECTIONS = {
    "incoming": "incoming",
    "in": "incoming",
    "vao": "incoming",
    "doan vao": "incoming",
    "outgoing": "outgoing",
    "out": "outgoing",
    "ra": "outgoing",
    "doan ra": "outgoing",
}
LEVELS = ("head-of-state", "ministerial", "provincial", "department", "local", "other")


@dataclass(frozen=True)
class CheckedDelegation:
    """A delegation entry that passed every check: its row and its head (None: no head)."""

    values: dict[str, Any]
    head: dict[str, Any] | None

    @property
    def identity(self) -> tuple[str, str, date]:
        """What makes two entries the same delegation: direction, title and start date."""
        return (self.values["direction"], key(self.values["title"]), self.values["starts"])


class DelegationDesk:
    """Delegations over one store; countries resolve through the gazetteer."""

    def __init__(
        self,
        rows: RegisterStore,
        gazetteer: Gazetteer,
        partners: Callable[[], PartnerDesk] | None = None,
    ) -> None:
        self.rows = rows
        self.gazetteer = gazetteer
        self._partners = partners

    def check(self, entry: Mapping[str, Any]) -> CheckedDelegation:
        """Validate one entry of text fields (direction, title, country, organisation, head,
        head_role, level, members, starts, ends, purpose, agreement, status, documents, notes).
        Raises UsageError with the first problem found."""
        text = {k: ("" if v is None else v) for k, v in entry.items()}
        direction = DIRECTIONS.get(key(str(text.get("direction", "")))) or ""
        if not direction:
            raise UsageError(
                f"direction must be incoming or outgoing, not {text.get('direction', '')!r}"
            )
        title = str(text.get("title", "")).strip()
        if not title:
            raise UsageError("a delegation needs a title")
        country, entity_id = country_of(self.gazetteer, str(text.get("country", "")))
        organisation = str(text.get("organisation", "")).strip()
        if organisation:
            org = self.gazetteer.lookup(organisation)
            if org is not None and org.type == "ORG":
                entity_id = org.id
        starts = day(text.get("starts"), "the start date", required=True)
        ends = day(text.get("ends"), "the end date")
        assert starts is not None
        if ends is not None and ends < starts:
            raise UsageError(f"the end date ({ends}) is before the start date ({starts})")
        level = str(text.get("level", "")).strip().lower()
        if len(level) > 20:
            raise UsageError(f"level {level!r} is too long (e.g. {', '.join(LEVELS)})")
        values: dict[str, Any] = {
            "direction": direction,
            "title": title,
            "country": country,
            "organisation": organisation,
            "entity_id": entity_id,
            "level": level,
            "members": count(text.get("members"), "members"),
            "starts": starts,
            "ends": ends,
            "purpose": items(text.get("purpose")),
            "agreement_id": self._agreement(text.get("agreement")),
            "status": status_of(str(text.get("status", ""))),
            "documents": str(text.get("documents", "")).strip(),
            "notes": str(text.get("notes", "")).strip(),
        }
        head_name = str(text.get("head", "")).strip()
        head = None
        if head_name:
            head = {
                "name": head_name,
                "role": str(text.get("head_role", "")).strip()[:200],
                "outlet": "",
                "nationality": country if direction == "incoming" else "VN",
            }
        return CheckedDelegation(values, head)

    def _agreement(self, value: Any) -> int | None:
        text = "" if value is None else str(value).strip()
        if not text:
            return None
        if self._partners is None:
            raise UsageError("agreements cannot be checked here")
        number = count(text, "the agreement id")
        try:
            return self._partners().agreement(number).id
        except NotFoundError as exc:
            raise UsageError(f"no agreement with id {number}") from exc

    def exists(self, checked: CheckedDelegation) -> bool:
        """Whether the register already holds this delegation (same direction, title, start)."""
        same_day = self.rows.delegations(
            since=checked.values["starts"],
            until=checked.values["starts"],
            direction=checked.values["direction"],
        )
        return any(key(d.title) == key(checked.values["title"]) for d in same_day)

    def add(self, **fields: Any) -> DelegationRow:
        """Record one delegation (fields as in `check`); a duplicate is a UsageError."""
        checked = self.check(fields)
        if self.exists(checked):
            raise UsageError(f"the delegation {checked.values['title']!r} is already recorded")
        return self.delegation(self.store(checked))

    def store(self, checked: CheckedDelegation, conn: Any = None) -> int:
        """Write a checked delegation (and its head) in `conn`'s transaction; returns its id."""
        with self.rows.transaction(conn) as c:
            head_id = self.rows.add_person(checked.head, c) if checked.head else None
            return self.rows.add_delegation({**checked.values, "head_id": head_id}, c)

    def delegation(self, delegation_id: int) -> DelegationRow:
        """One delegation by id (NotFoundError when there is none)."""
        return self.rows.delegation(delegation_id)

    def find(
        self,
        since: date | None = None,
        until: date | None = None,
        direction: str | None = None,
        status: str | None = None,
    ) -> list[DelegationRow]:
        """Delegations starting in [since, until], oldest first, optionally of one direction
        or status."""
        if direction is not None and direction not in ("incoming", "outgoing"):
            raise UsageError("direction must be incoming or outgoing")
        found = self.rows.delegations(since=since, until=until, direction=direction)
        return [d for d in found if status is None or d.status == status]

    def add_activity(
        self, delegation_id: int, on: str | date, description: str, at: str = "", place: str = ""
    ) -> ActivityRow:
        """Add an item to a delegation's programme (dated within the visit when it has dates)."""
        found = self.delegation(delegation_id)
        when = day(on, "the date", required=True)
        assert when is not None
        last = found.ends or found.starts
        if not found.starts <= when <= last:
            raise UsageError(f"{when} is outside the delegation's dates ({found.starts}..{last})")
        at = at.strip()
        if at and not _clock(at):
            raise UsageError(f"the time must be hours and minutes (HH:MM), not {at!r}")
        if not description.strip():
            raise UsageError("a programme item needs a description")
        if len(description.strip()) > 2_000 or len(place.strip()) > 300:
            raise UsageError("the description or the place is too long")
        values = {
            "delegation_id": delegation_id,
            "on": when,
            "at": at,
            "place": place.strip(),
            "description": description.strip(),
        }
        new_id = self.rows.add_activity(values)
        return next(a for a in self.rows.activities(delegation_id) if a.id == new_id)

    def activities(self, delegation_id: int) -> list[ActivityRow]:
        """A delegation's programme, in order."""
        self.delegation(delegation_id)
        return self.rows.activities(delegation_id)

    def figures(self, start: date, end: date) -> dict[str, Any]:
        """Delegations and delegates starting in [start, end], cancelled ones left out: totals,
        per direction, and by country, purpose and level ({"delegations", "delegates"} each)."""
        counted = [d for d in self.find(since=start, until=end) if d.status in COUNTED]
        out: dict[str, Any] = {
            "delegations": len(counted),
            "delegates": sum(d.members for d in counted),
        }
        for direction in ("incoming", "outgoing"):
            mine = [d for d in counted if d.direction == direction]
            out[direction] = {"delegations": len(mine), "delegates": sum(d.members for d in mine)}
        out["by_country"] = _tally(counted, lambda d: [d.country or ""])
        out["by_purpose"] = _tally(counted, lambda d: list(d.purpose) or [""])
        out["by_level"] = _tally(counted, lambda d: [d.level])
        out["by_status"] = dict(sorted(Counter(d.status for d in counted).items()))
        return out


def _clock(text: str) -> bool:
    """Whether `text` is a time of day written HH:MM (00:00 to 23:59)."""
    hours, sep, minutes = text.partition(":")
    return (
        sep == ":"
        and len(hours) == 2
        and len(minutes) == 2
        and hours.isdigit()
        and minutes.isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    )


def _tally(
    rows: list[DelegationRow], keys: Callable[[DelegationRow], list[str]]
) -> dict[str, dict[str, int]]:
    """{key: {"delegations", "delegates"}}; an entry with several purposes counts in each, an
    empty key is shown as "unspecified"."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        for name in keys(row):
            slot = out.setdefault(name or "unspecified", {"delegations": 0, "delegates": 0})
            slot["delegations"] += 1
            slot["delegates"] += row.members
    return dict(sorted(out.items()))
