"""The delivery queue: enqueue a payload for a destination under an idempotency key, try it
over its transport, retry transient failures with exponential backoff, and record each attempt.

Exchange packages use it now; campaigns and channel posts use the same queue with their own
`kind`. The payload itself is not stored here: the caller hands it over (or a loader per kind
rebuilds it from the caller's own tables), so a retry in another process sends the same bytes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from hoasen.delivery.types import DeliveryError, Payload, Target, Transport
from hoasen.errors import ConfigError, HoasenError, UsageError
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.delivery import AttemptRow, DeliveryRow, DeliveryStore
from hoasen.store.schema import utcnow

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600.0  # seconds: no retry waits longer than an hour

PayloadLoader = Callable[[str], Payload]


class DeliveryQueue:
    """Queued deliveries of one store, over the transports the settings configure."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        transports: Mapping[str, Transport] | None = None,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rows = DeliveryStore(store)
        self.settings = settings
        self._transports = dict(transports or {})
        self.clock = clock
        self.sleep = sleep

    def transport(self, name: str) -> Transport:
        """The transport called `name` (built from the settings on first use)."""
        if name not in self._transports:
            from hoasen.delivery.transports import make_transport

            self._transports[name] = make_transport(name, self.settings)
        return self._transports[name]

    def check(self, target: Target) -> Target:
        """The target with its config normalised by its transport; UsageError if it is wrong."""
        config = self.transport(target.transport).check(target.config)
        return Target(target.transport, config, target.secret)

    def enqueue(
        self, kind: str, ref: str, target: Target, key: str, payload: Payload | None = None
    ) -> DeliveryRow:
        """Queue one delivery; an existing delivery with the same key is returned unchanged,
        so enqueueing twice (a repeated task, a double click) never sends twice."""
        target = self.check(target)
        transport = self.transport(target.transport)
        row, _new = self.rows.add(
            {
                "key": key,
                "kind": kind,
                "ref": ref,
                "transport": target.transport,
                "destination": transport.describe(target.config),
                "config": dict(target.config),
                "secret": target.secret,
                "max_attempts": max(1, self.settings.delivery_attempts),
                "bytes": payload.size if payload else 0,
                "checksum": payload.checksum if payload else "",
            }
        )
        return row

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after `attempts` failed tries: delivery_backoff doubled each time."""
        base = max(0.0, self.settings.delivery_backoff)
        return float(min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1)))

    def attempt(self, delivery_id: int, payload: Payload, *, force: bool = False) -> DeliveryRow:
        """Try a delivery once if it is due (or `force`) and no other worker has it.

        A transient error queues it again after the backoff, or fails it when its attempts are
        used up; a final error (or a missing secret) fails it at once. Returns the row after.
        """
        now = self.clock()
        if not self.rows.claim(delivery_id, now, force=force):
            return self.rows.get(delivery_id)
        row = self.rows.get(delivery_id)
        number = row.attempts + 1
        attempt_id = self.rows.start_attempt(delivery_id, number, now)
        done = set(row.progress)

        def ack(name: str) -> None:
            done.add(name)
            ordered = tuple(f.name for f in payload.files if f.name in done)
            self.rows.acknowledge(delivery_id, ordered)

        try:
            secret = self.settings.secret(row.secret) if row.secret else ""
            receipt = self.transport(row.transport).deliver(
                payload, row.config, secret, frozenset(done), ack
            )
        except DeliveryError as exc:
            final = not exc.transient or number >= row.max_attempts
            wait = self.backoff(number)
            message = str(exc)
            if final and exc.transient:
                message = f"{message} (gave up after {number} attempts)"
            log.warning("delivery %s attempt %s failed: %s", delivery_id, number, message)
            return self.rows.finish_attempt(
                delivery_id,
                attempt_id,
                self.clock(),
                ok=False,
                error=message,
                next_attempt=self.clock() + timedelta(seconds=wait),
                final=final,
            )
        except (ConfigError, UsageError) as exc:
            return self.rows.finish_attempt(
                delivery_id, attempt_id, self.clock(), ok=False, error=str(exc), final=True
            )
        log.info("delivery %s sent: %s", delivery_id, receipt)
        return self.rows.finish_attempt(
            delivery_id, attempt_id, self.clock(), ok=True, receipt=receipt
        )

    def deliver(self, delivery_id: int, payload: Payload) -> DeliveryRow:
        """Try until the delivery is sent or has failed for good, waiting the backoff between
        attempts (the operator's "send now"); another worker's claim is left alone."""
        row = self.attempt(delivery_id, payload, force=True)
        while row.status == "queued":
            wait = (row.next_attempt - self.clock()).total_seconds() if row.next_attempt else 0
            if wait > 0:
                self.sleep(wait)
            row = self.attempt(delivery_id, payload, force=True)
        return row

    def run_due(
        self, loaders: Mapping[str, PayloadLoader], kind: str | None = None
    ) -> list[DeliveryRow]:
        """One attempt at every due delivery whose kind has a payload loader (the scheduler's
        tick); a payload that cannot be rebuilt fails that delivery with the reason."""
        out: list[DeliveryRow] = []
        for row in self.rows.due(self.clock(), kind):
            loader = loaders.get(row.kind)
            if loader is None:
                continue
            try:
                payload = loader(row.ref)
            except HoasenError as exc:
                out.append(self.fail(row.id, f"cannot rebuild what to send: {exc}"))
                continue
            out.append(self.attempt(row.id, payload))
        return out

    def due(self, kind: str | None = None) -> list[DeliveryRow]:
        """The deliveries whose next attempt is due now (what `run_due` would try)."""
        return self.rows.due(self.clock(), kind)

    def fail(self, delivery_id: int, reason: str) -> DeliveryRow:
        """Mark a delivery failed without trying it (its payload is gone), with the reason."""
        now = self.clock()
        if not self.rows.claim(delivery_id, now, force=True):
            return self.rows.get(delivery_id)
        row = self.rows.get(delivery_id)
        attempt_id = self.rows.start_attempt(delivery_id, row.attempts + 1, now)
        return self.rows.finish_attempt(
            delivery_id, attempt_id, now, ok=False, error=reason, final=True
        )

    def retry(self, delivery_id: int) -> DeliveryRow:
        """Queue a failed delivery again for a fresh round of attempts."""
        return self.rows.requeue(delivery_id, max(1, self.settings.delivery_attempts))

    def get(self, delivery_id: int) -> DeliveryRow:
        """One delivery."""
        return self.rows.get(delivery_id)

    def for_ref(self, ref: str) -> list[DeliveryRow]:
        """The deliveries of one thing (e.g. "package:12")."""
        return self.rows.for_ref(ref)

    def attempts(self, delivery_id: int) -> list[AttemptRow]:
        """The attempts of one delivery."""
        return self.rows.attempts(delivery_id)

    def listing(self, kind: str | None = None, status: str | None = None) -> list[DeliveryRow]:
        """The latest deliveries, newest first."""
        return self.rows.listing(kind, status)
