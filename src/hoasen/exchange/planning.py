"""Exchange plans and the packages built from them: what goes to each partner, when, in which
languages and format, and the editor's approval before anything leaves (sending is in
`outbox`).

A package is built from the plan's selection (see `select`) and previewed: its items and files
are stored with it. Only approved translations are ever written into a package; with
`machine_translate`, a missing translation is made by machine (termbase enforced) and the
package waits (status `waiting`) until an editor has approved it in the translation desk; it is
then rebuilt with the approved text. A package is sent only once an editor approved it, unless
its plan is automatic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from hoasen.analyze.topics import Taxonomy
from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Target
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.exchange.compose import PackageComposer, Waiting
from hoasen.exchange.packages import PackageMeta
from hoasen.exchange.plans import (
    DEFAULT_SINCE_DAYS,
    IN_TRANSPORTS,
    ORIGINAL,
    Selection,
    check_direction,
    check_format,
    check_languages,
    check_name,
    check_secret,
    parse_schedule,
)
from hoasen.exchange.select import Selected, select_articles
from hoasen.store.exchange import ExchangeStore, PackageFile, PackageItem, PackageRow, PlanRow
from hoasen.store.partners import PartnerRow, PartnerStore
from hoasen.store.schema import utcnow

if TYPE_CHECKING:
    from hoasen.desk import Desk

PlanRef = PlanRow | str | int
PackageRef = PackageRow | int


@dataclass
class BuildResult:
    """What a build made: the package (None when too few articles matched) and why not."""

    package: PackageRow | None
    selected: Selected
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        """One line in words."""
        if self.package is None:
            return self.notes[-1] if self.notes else "no package built"
        what = f"package {self.package.id} (sequence {self.package.sequence})"
        if self.package.status == "waiting":
            return f"built {what}: it waits for approval of its machine translations"
        return f"built {what}: {len(self.selected.articles)} articles"


class ExchangePlans:
    """Plans and packages over one Desk; `queue` is the delivery queue transports are checked
    with (by default one over the desk's store and settings)."""

    def __init__(
        self,
        desk: Desk,
        queue: DeliveryQueue | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.desk = desk
        self.rows = ExchangeStore(desk.store)
        self.partners = PartnerStore(desk.store)
        self.clock = clock
        self.composer = PackageComposer(desk, self.rows, self.tz)
        if queue is not None:
            self.queue = queue

    @cached_property
    def queue(self) -> DeliveryQueue:
        """The shared delivery queue."""
        return DeliveryQueue(self.desk.store, self.desk.settings, clock=self.clock)

    @property
    def tz(self) -> ZoneInfo:
        """The office's time zone (schedules and digests are in it)."""
        return ZoneInfo(self.desk.settings.office_timezone)

    # ---------------------------------------------------------------- plans

    def add_plan(
        self,
        partner: str | int,
        *,
        name: str,
        direction: str = "out",
        schedule: str = "",
        selection: Mapping[str, Any] | None = None,
        languages: Sequence[str] | str = (ORIGINAL,),
        machine_translate: bool = False,
        fmt: str = "ninjs",
        transport: str = "folder",
        config: Mapping[str, Any] | None = None,
        secret: str = "",
        automatic: bool = False,
        active: bool = True,
    ) -> PlanRow:
        """Make a plan for a partner (id, slug or any of its names). Everything is checked
        first: the schedule, selection (topics, entities, sources, picks), languages, format,
        and the transport's settings by the transport itself; the secret is only named."""
        owner = self.desk.partners.partner(partner)
        values = self._checked(
            {
                "name": name,
                "direction": direction,
                "schedule": schedule,
                "selection": selection or {},
                "languages": languages,
                "machine_translate": machine_translate,
                "format": fmt,
                "transport": transport,
                "transport_config": config or {},
                "secret": secret,
                "automatic": automatic,
                "active": active,
            }
        )
        now = self.clock()
        values["next_due"] = self._next_due(values, now, now)
        return self.rows.add_plan({**values, "partner_id": owner.id, "created": now})

    def update_plan(self, plan: PlanRef, **changes: Any) -> PlanRow:
        """Change a plan: any of add_plan's keywords (`config` for the transport's settings).
        A new schedule, or a paused plan resumed, is due next from now."""
        row = self.plan(plan)
        if "fmt" in changes:
            changes["format"] = changes.pop("fmt")
        if "config" in changes:
            changes["transport_config"] = changes.pop("config")
        known = set(_PLAN_KEYS)
        unknown = sorted(set(changes) - known)
        if unknown:
            raise UsageError(f"a plan has no setting {', '.join(unknown)}")
        current = {key: getattr(row, key) for key in _PLAN_KEYS}
        merged = self._checked({**current, **changes})
        values = {k: v for k, v in merged.items() if k in changes or k == "transport_config"}
        if {"schedule", "active"} & set(changes):
            values["next_due"] = self._next_due(merged, self.clock(), row.created)
        return self.rows.update_plan(row.id, values)

    def pause(self, plan: PlanRef) -> PlanRow:
        """Stop a plan's scheduled runs (it can still be built and sent by hand)."""
        return self.update_plan(plan, active=False)

    def resume(self, plan: PlanRef) -> PlanRow:
        """Run a paused plan on its schedule again, next due from now."""
        return self.update_plan(plan, active=True)

    def plans(
        self, partner: str | int | None = None, direction: str | None = None
    ) -> list[PlanRow]:
        """Every plan (or a partner's), by name."""
        owner = self.desk.partners.partner(partner) if partner is not None else None
        if direction is not None:
            direction = check_direction(direction)
        return self.rows.plans(partner_id=owner.id if owner else None, direction=direction)

    def plan(self, ref: PlanRef) -> PlanRow:
        """A plan by row (read again: it may have changed), id or name; NotFoundError when
        none."""
        if isinstance(ref, PlanRow):
            return self.rows.plan(ref.id)
        if isinstance(ref, int) or str(ref).strip().isdigit():
            return self.rows.plan(int(ref))
        found = self.rows.plan_named(str(ref).strip())
        if found is None:
            raise NotFoundError(f"no exchange plan named {ref!r} (see `hoasen exchange plan list`)")
        return found

    def partner_of(self, row: PlanRow | PackageRow) -> PartnerRow:
        """The partner of a plan or package."""
        return self.partners.partner(row.partner_id)

    def describe(self, plan: PlanRef) -> dict[str, Any]:
        """A plan as shown: its document plus the partner, where it goes in words and whether
        its secret is set (never the secret itself)."""
        row = self.plan(plan)
        partner = self.partner_of(row)
        doc = row.as_json()
        doc["partner"] = {"id": partner.id, "slug": partner.slug, "name": partner.name}
        doc["destination"] = self._destination(row)
        doc["secret_set"] = self._secret_set(row.secret) if row.secret else None
        local = row.next_due.astimezone(self.tz) if row.next_due else None
        doc["next_due_local"] = local.isoformat() if local else None  # in office_timezone
        return doc

    def _destination(self, row: PlanRow) -> str:
        if row.direction == "in":
            return f"received over {row.transport}"
        try:
            return self.queue.transport(row.transport).describe(row.transport_config)
        except HoasenError as exc:
            return f"{row.transport}: {exc}"

    def _secret_set(self, name: str) -> bool:
        try:
            self.desk.settings.secret(name)
        except HoasenError:
            return False
        return True

    def _checked(self, values: dict[str, Any]) -> dict[str, Any]:
        """Plan values validated and normalised (see add_plan)."""
        out = dict(values)
        out["name"] = check_name(str(values["name"]))
        direction = out["direction"] = check_direction(str(values["direction"]))
        out["schedule"] = parse_schedule(values.get("schedule")).text
        selection = Selection.from_json(values.get("selection") or {})
        out["selection"] = self._resolve(selection).as_json()
        out["languages"] = check_languages(values.get("languages") or ())
        out["format"] = check_format(str(values["format"]), direction)
        out["secret"] = check_secret(str(values.get("secret") or ""))
        transport = str(values["transport"]).strip().lower()
        config: Mapping[str, Any] = dict(values.get("transport_config") or {})
        if direction == "out":  # the transport checks its own settings (unknown names too)
            config = self.queue.check(Target(transport, config, out["secret"])).config
        elif transport not in IN_TRANSPORTS:
            raise UsageError(f"a partner sends over {', '.join(IN_TRANSPORTS)}, not {transport!r}")
        out["transport"], out["transport_config"] = transport, dict(config)
        for flag in ("machine_translate", "automatic", "active"):
            out[flag] = bool(values.get(flag))
        if direction == "in" and out["automatic"]:
            raise UsageError("automatic applies to plans that send (direction out)")
        return out

    def _resolve(self, selection: Selection) -> Selection:
        """Topic ids checked, entity names made gazetteer ids, sources and picks checked."""
        desk = self.desk
        if selection.topics:
            path = desk.settings.topics_taxonomy
            known = set(Taxonomy.load(Path(path) if path else None).ids)
            for topic in selection.topics:
                if topic not in known:
                    shown = ", ".join(sorted(known))
                    raise UsageError(f"unknown topic {topic!r}; topics: {shown}")
        entities = []
        for name in selection.entities:
            found = desk.pipeline.gazetteer.get(name) or desk.pipeline.gazetteer.lookup(name)
            if found is None:
                raise UsageError(f"unknown entity {name!r} (see `hoasen gazetteer list`)")
            entities.append(desk.pipeline.gazetteer.current(found).id)
        for name in selection.sources:
            desk.store.get_source(name)
        stored = {a.id for a in desk.store.get_articles(list(selection.picks))}
        missing = [str(i) for i in selection.picks if i not in stored]
        if missing:
            raise NotFoundError(f"picked articles not stored: {', '.join(missing)}")
        return replace(selection, entities=tuple(dict.fromkeys(entities)))

    def _next_due(
        self, values: Mapping[str, Any], now: datetime, anchor: datetime
    ) -> datetime | None:
        if values["direction"] != "out" or not values["active"]:
            return None
        return parse_schedule(values["schedule"]).next_due(now, self.tz, anchor=anchor)

    def advance(self, plan: PlanRow, now: datetime) -> datetime | None:
        """When a plan run at `now` is due next."""
        return parse_schedule(plan.schedule).next_due(now, self.tz, anchor=plan.created)

    # ---------------------------------------------------------------- packages

    def build(self, plan: PlanRef, operator: str = "", now: datetime | None = None) -> BuildResult:
        """Build the plan's next package for preview (nothing is sent). With fewer matching
        articles than the selection's `min`, no package is made and the result says why."""
        row = self.plan(plan)
        if row.direction != "out":
            raise UsageError(f"plan {row.name!r} receives from the partner: nothing to build")
        now = now or self.clock()
        selection = Selection.from_json(row.selection)
        since, until = self._period(row, selection, now)
        found = select_articles(self.desk, self.rows, selection, row.partner_id, since, until)
        result = BuildResult(None, found, list(found.notes))
        needed = max(1, selection.min)
        if len(found.articles) < needed:
            result.notes.append(
                f"only {len(found.articles)} articles to send (the plan needs at least "
                f"{needed}): no package built"
            )
            return result
        composition = self.composer.compose(row, found.articles, operator, machine=True)
        result.notes += composition.notes
        if not composition.entries and not composition.waiting:
            result.notes.append("no article is available in the plan's languages: no package")
            return result
        values = {
            "plan_id": row.id,
            "partner_id": row.partner_id,
            "status": "waiting" if composition.waiting else "built",
            "format": row.format,
            "since": since,
            "until": until,
            "built": now,
            "built_by": operator,
            "bytes": 0,
            "checksum": "",
            "error": "",
        }

        def make(
            package_id: int, sequence: int
        ) -> tuple[list[PackageItem], list[PackageFile], str]:
            meta = self.composer.meta(row, package_id, sequence, now)
            built = self.composer.files(composition, meta)
            return built.items, built.files, built.checksum

        result.package = self.rows.add_package(values, make)
        if composition.waiting:
            result.notes.append(self.waiting_note(result.package.id))
        return result

    def _period(
        self, row: PlanRow, selection: Selection, now: datetime
    ) -> tuple[datetime, datetime]:
        """[since, until) of a build: since_days back, else since the last package, else 14
        days back."""
        if selection.since_days is not None:
            return now - timedelta(days=selection.since_days), now
        last = self.rows.last_package(row.id, ("built", "waiting", "approved", "sending", "sent"))
        if last is not None and last.until is not None and last.until < now:
            return last.until, now
        return now - timedelta(days=DEFAULT_SINCE_DAYS), now

    def meta(self, package: PackageRow) -> PackageMeta:
        """What the files of a stored package say about it."""
        plan = self.rows.plan(package.plan_id)
        return self.composer.meta(plan, package.id, package.sequence, package.built, package.format)

    def package(self, ref: PackageRef) -> PackageRow:
        """A package by row (read again: it may have changed) or id."""
        return self.rows.package(ref.id if isinstance(ref, PackageRow) else int(ref))

    def packages(
        self,
        plan: PlanRef | None = None,
        partner: str | int | None = None,
        status: str | None = None,
    ) -> list[PackageRow]:
        """Packages newest first, of a plan, partner and status when given."""
        plan_id = self.plan(plan).id if plan is not None else None
        owner = self.desk.partners.partner(partner) if partner is not None else None
        return self.rows.packages(
            plan_id=plan_id, partner_id=owner.id if owner else None, status=status
        )

    def waiting_for(self, package: PackageRef) -> list[Waiting]:
        """The package's translations that are not approved (yet)."""
        return self.composer.waiting_for(self.package(package))

    def waiting_note(self, package: PackageRef) -> str:
        """The words saying which translations a package waits for ("" when none)."""
        missing = self.waiting_for(package)
        if not missing:
            return ""
        listed = ", ".join(
            f"#{w.translation_id} (article {w.article_id}, {w.language}, {w.status})"
            for w in missing
        )
        return (
            f"waiting for an editor to approve machine translations {listed} "
            "(`hoasen translations`); unapproved text is never sent"
        )

    def refresh(self, package: PackageRef) -> PackageRow:
        """A waiting package rebuilt with its translations once every one of them is approved
        (it is then `built`); unchanged while some still wait."""
        row = self.package(package)
        if row.status != "waiting" or self.waiting_for(row):
            return row
        built = self.composer.rebuild(row)
        self.rows.replace_contents(row.id, built.items, built.files, built.checksum)
        return self.rows.set_status(row.id, "built", ("waiting",)) or self.rows.package(row.id)

    def approve(
        self, package: PackageRef, operator: str, now: datetime | None = None
    ) -> PackageRow:
        """An editor lets a package go (recorded with their name and the time). A package
        waiting for translations is approved only once they are all approved."""
        if not operator.strip():
            raise UsageError("approving a package needs the editor's name (--operator)")
        row = self.refresh(self.package(package))
        if row.status == "approved":
            return row
        if row.status == "waiting":
            raise UsageError(f"package {row.id} cannot be approved yet: {self.waiting_note(row)}")
        if row.status != "built":
            raise UsageError(f"package {row.id} is {row.status}: only a built package is approved")
        done = self.rows.set_status(
            row.id, "approved", ("built",), approved=now or self.clock(), approved_by=operator
        )
        if done is None:
            raise UsageError(f"package {row.id} changed meanwhile; look at it again")
        return done

    def cancel(self, package: PackageRef, operator: str = "") -> PackageRow:
        """Drop a package that has not gone (its articles may go in a later package)."""
        row = self.package(package)
        if row.status == "cancelled":
            return row
        allowed = ("built", "waiting", "approved", "failed")
        if row.status not in allowed:
            raise UsageError(f"package {row.id} is {row.status}: it can no longer be cancelled")
        who = f"cancelled by {operator}" if operator else "cancelled"
        done = self.rows.set_status(row.id, "cancelled", allowed, error=who)
        if done is None:
            raise UsageError(f"package {row.id} changed meanwhile; look at it again")
        return done


_PLAN_KEYS = (
    "name",
    "direction",
    "schedule",
    "selection",
    "languages",
    "machine_translate",
    "format",
    "transport",
    "transport_config",
    "secret",
    "automatic",
    "active",
)
