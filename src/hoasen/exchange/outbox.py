"""Sending packages to partners through the shared delivery queue, the sent side of the
exchange ledger, the scheduler's `run_due`, and per-partner statistics.

A package goes out as one delivery keyed `exchange-package-<id>`: sending it twice (a repeated
task, a double click) finds the same delivery and sends nothing new. Its files come from the
database, so a retry on any worker sends the same bytes. Once the delivery is sent, the package
is `sent` and the ledger has one `sent` entry with its items [article_id, version, language],
attempts, bytes and checksum; when it fails for good, the package is `failed`, the ledger entry
says why, and none of its articles counts as sent (they may go in a later package).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Payload, Target
from hoasen.errors import HoasenError, NotFoundError, UsageError
from hoasen.exchange.packages import package_payload
from hoasen.exchange.planning import BuildResult, ExchangePlans, PackageRef, PlanRef
from hoasen.exchange.stats import PartnerExchange, exchange_stats
from hoasen.store.delivery import AttemptRow, DeliveryRow
from hoasen.store.exchange import PackageRow, PlanRow
from hoasen.store.ledger import DIRECTIONS, LedgerRow, LedgerStore

KIND = "exchange"


@dataclass
class SendResult:
    """What a send did. `status`: sent, failed, already-sent, needs-approval, waiting (for
    translations), in-progress (another worker has it) or nothing (no package to send)."""

    status: str
    package: PackageRow | None
    message: str
    delivery: DeliveryRow | None = None
    ledger: LedgerRow | None = None
    build: BuildResult | None = None

    def as_json(self) -> dict[str, Any]:
        """The result as the CLI's JSON document."""
        return {
            "status": self.status,
            "message": self.message,
            "package": self.package.as_json() if self.package else None,
            "delivery": self.delivery.as_json() if self.delivery else None,
            "ledger": self.ledger.as_json() if self.ledger else None,
            "notes": self.build.notes if self.build else [],
        }


@dataclass
class DueRun:
    """One plan run by `run_due`: what it did, or the error that stopped it."""

    plan: str
    result: SendResult | None
    error: str = ""

    def as_json(self) -> dict[str, Any]:
        """The run as JSON."""
        return {
            "plan": self.plan,
            "result": self.result.as_json() if self.result else None,
            "error": self.error,
        }


class ExchangeOutbox:
    """Sending, the ledger and statistics, over the plans and packages of `planning`."""

    def __init__(self, planning: ExchangePlans) -> None:
        self.planning = planning
        self.rows = planning.rows
        self.ledger_rows = LedgerStore(planning.desk.store)

    @property
    def queue(self) -> DeliveryQueue:
        """The delivery queue (the planning's, so a test's transports apply to both)."""
        return self.planning.queue

    @property
    def clock(self) -> Callable[[], datetime]:
        """The clock of the planning."""
        return self.planning.clock

    # ---------------------------------------------------------------- sending

    def payload(self, package: PackageRef) -> Payload:
        """What is delivered for a package, rebuilt from its stored files."""
        row = self.planning.package(package)
        return package_payload(
            self.planning.meta(row), self.rows.items(row.id), self.rows.files(row.id)
        )

    def send(
        self,
        ref: PlanRef | PackageRef,
        operator: str = "",
        now: datetime | None = None,
        *,
        wait: bool = True,
    ) -> SendResult:
        """Send a package (a number) or a plan (a name). A plan sends its approved package,
        else builds one and sends it if the plan is automatic; otherwise it says the package
        needs an editor's approval. A package not approved is never sent unless its plan is
        automatic; one already sent is not sent again.

        `wait` (the CLI) tries until sent or failed for good, sleeping the backoff; without it
        (the web desk) one attempt is made now and the retries are left to `run_due`."""
        if isinstance(ref, PackageRow):
            return self._send_package(ref, operator, wait)
        if isinstance(ref, PlanRow):
            return self._send_plan(ref, operator, now, wait)
        if isinstance(ref, int) or str(ref).strip().isdigit():
            return self._send_package(self.planning.package(int(ref)), operator, wait)
        return self._send_plan(self.planning.plan(ref), operator, now, wait)

    def _send_plan(
        self, plan: PlanRow, operator: str, now: datetime | None, wait: bool = True
    ) -> SendResult:
        if plan.direction != "out":
            raise UsageError(f"plan {plan.name!r} receives from the partner: nothing to send")
        approved = self.rows.packages(plan_id=plan.id, status="approved")
        if approved:
            return self._send_package(approved[-1], operator, wait)
        pending = self.rows.packages(plan_id=plan.id, status=("built", "waiting"))
        if pending:
            package = self.planning.refresh(pending[-1]) if plan.automatic else pending[-1]
            if plan.automatic and package.status == "built":
                return self._deliver(package, plan, operator, ("built",), wait)
            return self._held(package, plan)
        build = self.planning.build(plan, operator, now)
        if build.package is None:
            return SendResult("nothing", None, build.message, build=build)
        if plan.automatic and build.package.status == "built":
            result = self._deliver(build.package, plan, operator, ("built",), wait)
        else:
            result = self._held(build.package, plan)
        result.build = build
        return result

    def _held(self, package: PackageRow, plan: PlanRow) -> SendResult:
        """A package that may not go yet, and why."""
        if package.status == "waiting":
            return SendResult("waiting", package, self.planning.waiting_note(package))
        return SendResult(
            "needs-approval",
            package,
            f"package {package.id} of plan {plan.name!r} needs an editor's approval before it "
            f"is sent: hoasen exchange approve {package.id}",
        )

    def _send_package(self, package: PackageRow, operator: str, wait: bool = True) -> SendResult:
        plan = self.rows.plan(package.plan_id)
        if package.status == "sent":
            when = package.sent.isoformat() if package.sent else "earlier"
            return SendResult(
                "already-sent",
                package,
                f"package {package.id} was sent {when}; nothing is sent again",
                delivery=self._delivery(package),
                ledger=self.ledger_rows.for_package(package.id),
            )
        if package.status == "cancelled":
            raise UsageError(f"package {package.id} was cancelled; it is never sent")
        if package.status == "failed":
            return self.retry(package, operator, wait=wait)
        if package.status == "sending":
            delivery = self._delivery(package)
            if delivery is not None and delivery.status in ("sent", "failed"):
                return self._settle(package, delivery, operator)
            return SendResult("in-progress", package, f"package {package.id} is being sent")
        if package.status == "waiting":
            package = self.planning.refresh(package)
            if package.status == "waiting":
                raise UsageError(f"package {package.id} {self.planning.waiting_note(package)}")
        if package.status == "built" and not plan.automatic:
            raise UsageError(
                f"package {package.id} needs an editor's approval first (hoasen exchange "
                f"approve {package.id}); only an automatic plan sends unapproved packages"
            )
        return self._deliver(package, plan, operator, ("built", "approved"), wait)

    def retry(self, package: PackageRef, operator: str = "", *, wait: bool = True) -> SendResult:
        """Send a failed package again (a fresh round of attempts), unless its articles have
        gone, or are going, in a later package: then cancel it instead."""
        row = self.planning.package(package)
        if row.status != "failed":
            raise UsageError(f"package {row.id} is {row.status}: only a failed one is retried")
        mine = {(i.article_id, i.version) for i in self.rows.items(row.id)}
        taken = mine & (
            self.rows.sent_versions(row.partner_id) | self.rows.pending_articles(row.partner_id)
        )
        if taken:
            shown = ", ".join(str(a) for a, _v in sorted(taken)[:10])
            raise UsageError(
                f"articles {shown} of package {row.id} went in a later package: cancel this one "
                f"(hoasen exchange cancel {row.id}) rather than send them twice"
            )
        return self._deliver(row, self.rows.plan(row.plan_id), operator, ("failed",), wait)

    def _deliver(
        self,
        package: PackageRow,
        plan: PlanRow,
        operator: str,
        expect: tuple[str, ...],
        wait: bool = True,
    ) -> SendResult:
        """Queue the package's one delivery (or find it), claim the package and try until the
        delivery is sent or has failed for good."""
        payload = self.payload(package)
        target = Target(plan.transport, plan.transport_config, plan.secret)
        key = f"exchange-package-{package.id}"
        delivery = self.queue.enqueue(KIND, f"package:{package.id}", target, key, payload)
        claimed = self.rows.set_status(package.id, "sending", expect, error="")
        if claimed is None:
            now = self.planning.package(package.id)
            return SendResult("in-progress", now, f"package {package.id} is {now.status}")
        if delivery.status == "failed":
            delivery = self.queue.retry(delivery.id)
        if wait:
            delivery = self.queue.deliver(delivery.id, payload)
        else:
            delivery = self.queue.attempt(delivery.id, payload, force=True)
        return self._settle(claimed, delivery, operator)

    def _settle(self, package: PackageRow, delivery: DeliveryRow, operator: str) -> SendResult:
        """Mark the package and the ledger after its delivery ended (sent or failed)."""
        if delivery.status == "sent":
            row = self.rows.set_status(
                package.id, "sent", ("sending",), sent=delivery.sent, error=""
            )
            row = row or self.rows.package(package.id)
            entry = self._record(row, delivery, operator)
            words = f"sent package {row.id} (sequence {row.sequence}): {delivery.receipt}"
            return SendResult("sent", row, words, delivery, entry)
        if delivery.status == "failed":
            row = self.rows.set_status(package.id, "failed", ("sending",), error=delivery.error)
            row = row or self.rows.package(package.id)
            entry = self._record(row, delivery, operator)
            words = f"package {row.id} was not sent: {delivery.error}"
            return SendResult("failed", row, words, delivery, entry)
        words = f"package {package.id} is being sent"
        if delivery.status == "queued" and delivery.next_attempt is not None:
            words = (
                f"package {package.id} is queued: attempt {delivery.attempts} failed "
                f"({delivery.error}); the next is due {delivery.next_attempt:%Y-%m-%d %H:%M} UTC"
            )
        return SendResult("in-progress", package, words, delivery)

    def _record(self, package: PackageRow, delivery: DeliveryRow, operator: str) -> LedgerRow:
        """The package's sent entry in the ledger, made or brought up to date."""
        status = "sent" if delivery.status == "sent" else "failed"
        error = "" if status == "sent" else delivery.error
        existing = self.ledger_rows.for_package(package.id)
        if existing is not None:
            if existing.status == "sent":
                return existing
            return self.ledger_rows.update(
                existing.id,
                status=status,
                attempts=delivery.attempts,
                error=error,
                delivery_id=delivery.id,
                operator=operator or existing.operator,
            )
        items = self.rows.items(package.id)
        return self.ledger_rows.record(
            {
                "direction": "sent",
                "partner_id": package.partner_id,
                "plan_id": package.plan_id,
                "package_id": package.id,
                "delivery_id": delivery.id,
                "sequence": package.sequence,
                "format": package.format,
                "transport": delivery.transport,
                "origin": delivery.destination,
                "items": [[i.article_id, i.version, i.language] for i in items],
                "n_items": len(items),
                "languages": [i.language for i in items],
                "attempts": delivery.attempts,
                "status": status,
                "bytes": package.bytes,
                "checksum": package.checksum,
                "operator": operator,
                "error": error,
            }
        )

    def _delivery(self, package: PackageRow) -> DeliveryRow | None:
        found = self.queue.for_ref(f"package:{package.id}")
        return found[-1] if found else None

    # ---------------------------------------------------------------- the scheduler's tick

    def due_plans(self, now: datetime) -> list[tuple[int, datetime]]:
        """(plan id, due time) of the active outgoing plans whose next run has come: what the
        task scheduler hands to `run_due`."""
        return [(p.id, p.next_due) for p in self.rows.due_plans(now) if p.next_due is not None]

    def run_due(self, now: datetime | None = None, operator: str = "scheduler") -> list[DueRun]:
        """Run every active outgoing plan whose time has come (build, and send when the plan
        is automatic), moving its next run on first so two schedulers never run it twice;
        then one attempt at every exchange delivery left queued (e.g. by a worker that died)."""
        now = now or self.clock()
        out: list[DueRun] = []
        for plan in self.rows.due_plans(now):
            assert plan.next_due is not None
            if not self.rows.claim_run(
                plan.id, plan.next_due, self.planning.advance(plan, now), now
            ):
                continue
            try:
                out.append(DueRun(plan.name, self._send_plan(plan, operator, now)))
            except HoasenError as exc:
                out.append(DueRun(plan.name, None, str(exc)))
        for delivery in self.queue.run_due({KIND: self._load}, kind=KIND):
            package = self._package_of(delivery)
            if package is not None and package.status == "sending":
                self._settle(package, delivery, operator)
        return out

    def _load(self, ref: str) -> Payload:
        package = self._package_of_ref(ref)
        if package is None:
            raise NotFoundError(f"no package for delivery {ref!r}")
        return self.payload(package)

    def _package_of(self, delivery: DeliveryRow) -> PackageRow | None:
        return self._package_of_ref(delivery.ref)

    def _package_of_ref(self, ref: str) -> PackageRow | None:
        kind, _, number = ref.partition(":")
        if kind != "package" or not number.isdigit():
            return None
        try:
            return self.rows.package(int(number))
        except NotFoundError:
            return None

    # ---------------------------------------------------------------- what was exchanged

    def details(self, package: PackageRef) -> dict[str, Any]:
        """A package with its plan, partner, items, files, deliveries (and their attempts), its
        ledger entry and what it waits for: `hoasen exchange package show`."""
        row = self.planning.package(package)
        plan = self.rows.plan(row.plan_id)
        partner = self.planning.partner_of(row)
        doc = row.as_json()
        doc["plan"] = {"id": plan.id, "name": plan.name, "automatic": plan.automatic}
        doc["partner"] = {"id": partner.id, "slug": partner.slug, "name": partner.name}
        doc["folder"] = self.planning.meta(row).folder
        doc["note"] = self.planning.waiting_note(row) if row.status == "waiting" else ""
        doc["items"] = [i.as_json() for i in self.rows.items(row.id)]
        doc["files"] = [f.as_json() for f in self.rows.files(row.id)]
        doc["deliveries"] = [
            {**d.as_json(), "attempts_made": [a.as_json() for a in attempts]}
            for d, attempts in self.deliveries(row)
        ]
        entry = self.ledger_rows.for_package(row.id)
        doc["ledger"] = entry.as_json() if entry else None
        return doc

    def deliveries(self, package: PackageRef) -> list[tuple[DeliveryRow, list[AttemptRow]]]:
        """A package's deliveries with their attempts, oldest first."""
        row = self.planning.package(package)
        return [(d, self.queue.attempts(d.id)) for d in self.queue.for_ref(f"package:{row.id}")]

    def ledger(
        self,
        partner: str | int | None = None,
        direction: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[LedgerRow]:
        """Ledger entries newest first, of a partner and direction (sent / received)."""
        if direction is not None and direction not in DIRECTIONS:
            raise UsageError(f"direction must be {' or '.join(DIRECTIONS)}, not {direction!r}")
        owner = self.planning.desk.partners.partner(partner) if partner is not None else None
        return self.ledger_rows.entries(
            partner_id=owner.id if owner else None, direction=direction, since=since, until=until
        )

    def stats(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[PartnerExchange]:
        """Per partner and direction: packages, items, articles, by language and by topic."""
        return exchange_stats(self.planning.desk.store, since, until)
