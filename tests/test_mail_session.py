"""Mailer sessions against a real loopback SMTP server (aiosmtpd): 50 messages over one
connection, a dropped connection opened again once, refusals that keep the connection, the
same receipts as `send`, and the outbox in a dry run."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from hoasen.delivery.types import DeliveryError
from hoasen.mail import Mailer
from hoasen.settings import Settings
from test_mail import LoopbackSMTP, Recorder, free_port, smtp_settings


@dataclass
class Counting(Recorder):
    """A recorder that also notes each connection (its client port) that sent a message."""

    peers: list[Any] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def server() -> Iterator[tuple[LoopbackSMTP, Counting]]:
    recorder = Counting()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


def test_fifty_messages_one_connection(
    settings: Settings, server: tuple[LoopbackSMTP, Counting]
) -> None:
    controller, recorder = server
    mailer = Mailer(smtp_settings(settings, controller.port))
    with mailer.session() as session:
        receipts = [
            session.send(mailer.compose(f"r{i}@example.org", f"n{i}", "body")) for i in range(50)
        ]
        assert session.connections == 1
    assert len(recorder.messages) == 50 and len(recorder.peers) == 1
    assert all("sent to 1 recipient via 127.0.0.1:" in r for r in receipts)
    # the same receipt shape as send(), which opens its own connection
    single = mailer.send(mailer.compose("one@example.org", "x", "y"))
    assert single.split(" ", 1)[1] == receipts[0].split(" ", 1)[1]
    assert len(recorder.peers) == 2


def test_a_dropped_connection_is_opened_again_once(
    settings: Settings, server: tuple[LoopbackSMTP, Counting]
) -> None:
    controller, recorder = server
    mailer = Mailer(smtp_settings(settings, controller.port))
    with mailer.session() as session:
        session.send(mailer.compose("a@example.org", "1", "x"))
        assert session.client is not None
        session.client.sock.shutdown(socket.SHUT_RDWR)  # as when the server hangs up idle
        session.send(mailer.compose("b@example.org", "2", "x"))
        assert session.connections == 2
    assert [m.recipients for m in recorder.messages] == [["a@example.org"], ["b@example.org"]]


def test_a_refusal_keeps_the_connection_and_errors_are_mapped(
    settings: Settings, server: tuple[LoopbackSMTP, Counting]
) -> None:
    controller, recorder = server
    recorder.refuse["no@example.org"] = "550 5.1.1 no such user"
    mailer = Mailer(smtp_settings(settings, controller.port))
    with mailer.session() as session:
        with pytest.raises(DeliveryError) as refused:
            session.send(mailer.compose("no@example.org", "1", "x"))
        assert not refused.value.transient and "refused every recipient" in str(refused.value)
        session.send(mailer.compose("yes@example.org", "2", "x"))
        assert session.connections == 1
    down = Mailer(smtp_settings(settings, free_port()))
    with down.session() as session, pytest.raises(DeliveryError) as error:
        session.send(down.compose("a@example.org", "1", "x"))
    assert error.value.transient and "refused the connection" in str(error.value)


def test_dry_run_session_writes_the_outbox(settings: Settings, tmp_path: Path) -> None:
    mailer = Mailer(replace(settings, smtp_url="", mail_outbox_dir=str(tmp_path / "out")))
    with mailer.session() as session:
        for i in range(3):
            assert "outbox" in session.send(mailer.compose(f"r{i}@example.org", "s", "b"))
        assert session.connections == 0
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3
