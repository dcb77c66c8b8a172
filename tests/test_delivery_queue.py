"""The delivery queue: idempotency keys, retries with backoff, resumption after acknowledged
files, final errors, claims between workers; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hoasen.delivery.queue import DeliveryQueue
from hoasen.delivery.types import Ack, DeliveryError, Payload, PayloadFile, Target
from hoasen.errors import UsageError
from hoasen.settings import Settings
from hoasen.store.db import Store


@dataclass
class Flaky:
    """A transport double: fails `failures` times (transiently unless `final`), can fail after
    the first file, and records what it received."""

    failures: int = 0
    final: bool = False
    fail_after_first: bool = False
    name: str = "flaky"
    received: list[str] = field(default_factory=list)
    calls: int = 0
    secrets: list[str] = field(default_factory=list)

    def check(self, config: Mapping[str, Any]) -> dict[str, Any]:
        if "to" not in config:
            raise UsageError("flaky needs 'to'")
        return dict(config)

    def describe(self, config: Mapping[str, Any]) -> str:
        return f"flaky to {config['to']}"

    def deliver(
        self,
        payload: Payload,
        config: Mapping[str, Any],
        secret: str,
        done: frozenset[str],
        ack: Ack,
    ) -> str:
        self.calls += 1
        self.secrets.append(secret)
        for f in payload.files:
            if f.name in done:
                continue
            if self.calls <= self.failures and not (self.fail_after_first and not self.received):
                raise DeliveryError("server said 503", transient=not self.final)
            self.received.append(f.name)
            ack(f.name)
        return f"{len(payload.files)} files"


class Clock:
    """A clock the test moves by hand; `sleep` advances it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


PAYLOAD = Payload(
    files=(
        PayloadFile("a.json", "application/json", b'{"a": 1}'),
        PayloadFile("b.json", "application/json", b'{"b": 2}'),
    ),
    subject="package 1",
)
TARGET = Target("flaky", {"to": "partner"})


def _queue(store: Store, settings: Settings, transport: Flaky, clock: Clock) -> DeliveryQueue:
    settings = replace(
        settings,
        delivery_attempts=5,
        delivery_backoff=10.0,
        exchange_secrets=("partner-key=s3cret-value",),
    )
    return DeliveryQueue(
        store, settings, transports={"flaky": transport}, clock=clock, sleep=clock.sleep
    )


def test_fails_twice_then_succeeds_once_with_three_attempts(
    store: Store, settings: Settings
) -> None:
    clock, transport = Clock(), Flaky(failures=2)
    queue = _queue(store, settings, transport, clock)
    row = queue.enqueue("exchange", "package:1", TARGET, "k1", PAYLOAD)
    assert row.status == "queued" and row.bytes == PAYLOAD.size
    row = queue.deliver(row.id, PAYLOAD)
    assert row.status == "sent" and row.attempts == 3
    assert transport.received == ["a.json", "b.json"]
    assert clock.slept == [10.0, 20.0]  # backoff doubles
    attempts = queue.attempts(row.id)
    assert [a.ok for a in attempts] == [False, False, True]
    assert "503" in attempts[0].error
    assert row.checksum == PAYLOAD.checksum and row.receipt == "2 files"


def test_same_key_is_never_sent_twice(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky()
    queue = _queue(store, settings, transport, clock)
    first = queue.enqueue("exchange", "package:1", TARGET, "k1", PAYLOAD)
    queue.deliver(first.id, PAYLOAD)
    again = queue.enqueue("exchange", "package:1", TARGET, "k1", PAYLOAD)
    assert again.id == first.id and again.status == "sent"
    assert queue.deliver(again.id, PAYLOAD).status == "sent"
    assert transport.received == ["a.json", "b.json"]
    assert transport.calls == 1


def test_always_failing_ends_failed_with_a_clear_error(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky(failures=99)
    queue = _queue(store, settings, transport, clock)
    row = queue.deliver(queue.enqueue("exchange", "p", TARGET, "k", PAYLOAD).id, PAYLOAD)
    assert row.status == "failed" and row.attempts == 5
    assert "503" in row.error and "gave up after 5 attempts" in row.error
    assert row.sent is None and transport.received == []
    # the operator's retry gives a new round and keeps the history
    transport.failures = 0
    retried = queue.retry(row.id)
    assert retried.status == "queued"
    done = queue.deliver(row.id, PAYLOAD)
    assert done.status == "sent" and done.attempts == 6


def test_final_error_is_not_retried(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky(failures=99, final=True)
    queue = _queue(store, settings, transport, clock)
    row = queue.deliver(queue.enqueue("exchange", "p", TARGET, "k", PAYLOAD).id, PAYLOAD)
    assert row.status == "failed" and row.attempts == 1 and clock.slept == []


def test_retry_resumes_after_acknowledged_files(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky(failures=1, fail_after_first=True)
    queue = _queue(store, settings, transport, clock)
    row = queue.enqueue("exchange", "p", TARGET, "k", PAYLOAD)
    first = queue.attempt(row.id, PAYLOAD)
    assert first.status == "queued" and first.progress == ("a.json",)
    assert first.next_attempt == clock.now + timedelta(seconds=10)
    # not due yet: a worker's tick leaves it alone
    assert queue.attempt(row.id, PAYLOAD).attempts == 1
    clock.now += timedelta(seconds=11)
    assert [r.id for r in queue.rows.due(clock.now)] == [row.id]
    done = queue.attempt(row.id, PAYLOAD)
    assert done.status == "sent" and transport.received == ["a.json", "b.json"]


def test_secret_is_passed_by_name_and_never_stored(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky()
    queue = _queue(store, settings, transport, clock)
    target = Target("flaky", {"to": "partner"}, secret="partner-key")
    row = queue.deliver(queue.enqueue("exchange", "p", target, "k", PAYLOAD).id, PAYLOAD)
    assert transport.secrets == ["s3cret-value"]
    assert "s3cret" not in str(row.as_json())


def test_missing_secret_fails_with_its_name(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky()
    queue = _queue(store, settings, transport, clock)
    target = Target("flaky", {"to": "partner"}, secret="nobody")
    row = queue.deliver(queue.enqueue("exchange", "p", target, "k", PAYLOAD).id, PAYLOAD)
    assert row.status == "failed" and "nobody" in row.error and transport.calls == 0


def test_bad_target_is_refused_before_queueing(store: Store, settings: Settings) -> None:
    queue = _queue(store, settings, Flaky(), Clock())
    with pytest.raises(UsageError, match="needs 'to'"):
        queue.enqueue("exchange", "p", Target("flaky", {}), "k", PAYLOAD)
    assert queue.listing() == []


def test_a_claimed_delivery_is_not_tried_by_a_second_worker(
    store: Store, settings: Settings
) -> None:
    clock, transport = Clock(), Flaky()
    queue = _queue(store, settings, transport, clock)
    row = queue.enqueue("exchange", "p", TARGET, "k", PAYLOAD)
    assert queue.rows.claim(row.id, clock.now)  # worker one holds it
    assert queue.attempt(row.id, PAYLOAD).status == "sending" and transport.calls == 0
    # worker one died: after the lease another worker takes it over
    clock.now += timedelta(minutes=16)
    assert queue.attempt(row.id, PAYLOAD).status == "sent"


def test_run_due_rebuilds_payloads_by_kind(store: Store, settings: Settings) -> None:
    clock, transport = Clock(), Flaky()
    queue = _queue(store, settings, transport, clock)
    ok = queue.enqueue("exchange", "p1", TARGET, "k1", PAYLOAD)
    gone = queue.enqueue("exchange", "p2", TARGET, "k2", PAYLOAD)
    other = queue.enqueue("campaign", "c1", TARGET, "k3", PAYLOAD)

    def load(ref: str) -> Payload:
        if ref == "p2":
            raise UsageError("package 2 was deleted")
        return PAYLOAD

    rows = {r.id: r for r in queue.run_due({"exchange": load})}
    assert rows[ok.id].status == "sent"
    assert rows[gone.id].status == "failed" and "deleted" in rows[gone.id].error
    assert other.id not in rows and queue.get(other.id).status == "queued"
