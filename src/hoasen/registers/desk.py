"""The register desk: one door to the office's registers (delegations, foreign press, events),
their yearly statistics, and the privacy duties over the people named in them.

Privacy: a person's record is read through `person`, which writes an audit-log row naming the
viewer; `export_person` hands over everything held about a person (a subject access request);
`erase_person` blanks the person's name, role, outlet and nationality and keeps the row, so the
entries naming them, and every yearly count, stay as they were.
"""

from __future__ import annotations

import importlib
from functools import cached_property
from typing import TYPE_CHECKING, Any

from hoasen.registers.common import COUNTED, period
from hoasen.registers.delegations import DelegationDesk
from hoasen.registers.press import PressDesk
from hoasen.store.registers import PersonRow, RegisterStore

if TYPE_CHECKING:
    from hoasen.desk import Desk


class RegisterDesk:
    """Delegations, press and events of one Desk, with statistics and people's data."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.rows = RegisterStore(desk.store)

    @cached_property
    def delegations(self) -> DelegationDesk:
        """Incoming and outgoing delegations."""
        return DelegationDesk(self.rows, self.desk.pipeline.gazetteer, lambda: self.desk.partners)

    @cached_property
    def press(self) -> PressDesk:
        """Foreign press groups, journalists, permits and coverage."""
        return PressDesk(self.rows, self.desk.store, self.desk.pipeline.gazetteer)

    @cached_property
    def events(self) -> Any:
        """The events calendar (`hoasen.registers.events.EventDesk(desk)`), imported on first
        use; ImportError while that module does not exist."""
        events = importlib.import_module("hoasen.registers.events")
        return events.EventDesk(self.desk)

    # ---------------------------------------------------------------- statistics

    def stats(
        self,
        year: int,
        quarter: int | None = None,
        month: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The register's figures for a year, a quarter or a month.

        Counted: entries whose start date falls in the period and whose status is planned,
        confirmed or held; cancelled entries never count. Delegates are the delegations'
        `members`; journalists those of the counted press groups. Events and participants come
        from `self.events.stats(year, quarter=, month=)` (a dict with "events" and
        "participants", any other keys are merged) when the events register exists, else 0;
        `extra` is merged last.
        """
        start, end = period(year, quarter, month)
        doc: dict[str, Any] = {
            "year": year,
            "quarter": quarter,
            "month": month,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "counted_statuses": list(COUNTED),
        }
        figures = self.delegations.figures(start, end)
        press = self.press.figures(start, end)
        doc.update(
            {
                "delegations": figures.pop("delegations"),
                "delegates": figures.pop("delegates"),
                "press_delegations": press.pop("press_delegations"),
                "journalists": press.pop("journalists"),
                "events": 0,
                "participants": 0,
            }
        )
        doc.update(figures)
        doc.update(press)
        doc.update(self._event_stats(year, quarter, month))
        doc.update(extra or {})
        return doc

    def _event_stats(self, year: int, quarter: int | None, month: int | None) -> dict[str, Any]:
        try:
            events = self.events
        except ImportError:
            return {}
        stats = getattr(events, "stats", None)
        if stats is None:
            return {}
        found = stats(year, quarter=quarter, month=month)
        return {k: v for k, v in dict(found).items() if k not in ("year", "quarter", "month")}

    # ---------------------------------------------------------------- people

    def person(self, person_id: int, viewer: str) -> PersonRow:
        """A person's record; the read is written to the audit log with the viewer's name."""
        found = self.rows.person(person_id)
        self.rows.audit(viewer or "unknown", "register.person.read", f"person:{person_id}")
        return found

    def export_person(self, person_id: int, viewer: str = "") -> dict[str, Any]:
        """Everything held about a person: the record, the delegations they head, their
        accreditations with their groups, and who read or changed the record (audited)."""
        found = self.rows.person(person_id)
        headed = self.rows.delegations(head_id=person_id)
        accreditations = []
        for j in self.rows.journalists(person_id=person_id):
            doc = j.as_json()
            doc["group"] = self.rows.group(j.group_id).as_json() if j.group_id else None
            doc["articles"] = [
                lk.as_json() for lk in self.rows.links("journalist", entry_ids=[j.id])
            ]
            accreditations.append(doc)
        self.rows.audit(viewer or "unknown", "register.person.export", f"person:{person_id}")
        return {
            "person": found.as_json(),
            "delegations_headed": [d.as_json() for d in headed],
            "accreditations": accreditations,
            "access_log": self.rows.audit_entries(f"person:{person_id}"),
        }

    def erase_person(self, person_id: int, operator: str) -> PersonRow:
        """Blank a person's data on request and mark them erased; nothing else is removed, so
        the entries naming them and the statistics stay the same. Audited."""
        with self.rows.transaction() as conn:
            self.rows.erase_person(person_id, conn)
            self.rows.audit(
                operator or "unknown", "register.person.erase", f"person:{person_id}", conn=conn
            )
        return self.rows.person(person_id)
