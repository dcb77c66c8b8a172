"""Issue 12's acceptance, end to end: an approved package of a plan goes over each real
transport (SMTP, SFTP, HTTP push) to a loopback server the test starts, exactly once; a server
that fails twice then succeeds gets the package once after 3 attempts; one that always fails
ends with a clear error and nothing marked sent; secrets never show."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from exchange_helpers import NOW, PARTNER, exchange_settings, partner, seed
from hoasen.delivery.queue import DeliveryQueue
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.settings import Settings
from hoasen.store.exchange import PackageRow
from hoasen.store.ledger import LedgerStore
from test_delivery_transports import SECRET as SFTP_PASSWORD
from test_delivery_transports import SFTP_USER, HttpServer, SftpServer
from test_mail import LoopbackSMTP, Recorder, smtp_settings

HMAC_KEY = "gx-push-key-never-shown"


@pytest.fixture
def office(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    secrets = (f"gx-push={HMAC_KEY}", f"gx-sftp={SFTP_PASSWORD}")
    with Desk(exchange_settings(settings, tmp_path, exchange_secrets=secrets)) as desk:
        desk.exchange.planning.clock = lambda: NOW
        partner(desk)
        yield desk


def _approved_package(
    desk: Desk, transport: str, config: dict[str, object], secret: str = ""
) -> tuple[list[int], PackageRow]:
    ids = seed(desk, 3)
    plan = desk.exchange.planning.add_plan(
        PARTNER,
        name=f"gx-{transport}",
        selection={"since_days": 30},
        transport=transport,
        config=config,
        secret=secret,
    )
    built = desk.exchange.planning.build(plan, "lan", now=NOW)
    assert built.package is not None, built.message
    # nothing leaves before an editor approves
    with pytest.raises(UsageError, match="approval"):
        desk.exchange.outbox.send(built.package.id, "lan")
    desk.exchange.planning.approve(built.package.id, "editor-mai")
    return ids, built.package


def _no_retry_sleep(desk: Desk) -> None:
    desk.exchange.planning.queue = DeliveryQueue(
        desk.store, desk.settings, sleep=lambda _seconds: None
    )


def test_http_push_fails_twice_then_delivers_once(office: Desk) -> None:
    _no_retry_sleep(office)
    with HttpServer() as server:
        server.replies = [(503, b"busy", 0.0), (503, b"busy", 0.0)]
        ids, package = _approved_package(office, "http", {"url": server.url}, "gx-push")
        result = office.exchange.outbox.send(package.id, "lan")
        assert result.status == "sent", result.message
        # two refused tries of the first file, then every file exactly once
        names = [p.headers["x-hoasen-file"] for p in server.posted]
        files = [f.name for f in office.exchange.planning.rows.files(package.id)]
        assert names[:2] == [files[0], files[0]] and names[2:] == files
        for posted in server.posted[2:]:
            digest = hmac.new(HMAC_KEY.encode(), posted.body, hashlib.sha256).hexdigest()
            assert posted.headers["x-hoasen-signature"] == f"sha256={digest}"
        manifest = json.loads(server.posted[-1].body if files[-1] == "manifest.json" else b"{}")
        if manifest:
            assert sorted(i["article_id"] for i in manifest["items"]) == sorted(ids)
        again = office.exchange.outbox.send(package.id, "lan")
        assert again.status == "already-sent" and len(server.posted) == 2 + len(files)
    [entry] = LedgerStore(office.store).entries(direction="sent")
    assert entry.status == "sent" and entry.attempts == 3 and entry.operator == "lan"
    assert sorted(i[0] for i in entry.items) == sorted(ids)
    shown = json.dumps(office.exchange.outbox.details(package.id), default=str)
    assert HMAC_KEY not in shown


def test_http_push_that_always_fails_marks_nothing_sent(office: Desk) -> None:
    _no_retry_sleep(office)
    with HttpServer() as server:
        server.replies = [(503, b"down", 0.0)] * 10
        _ids, package = _approved_package(office, "http", {"url": server.url}, "gx-push")
        result = office.exchange.outbox.send(package.id, "lan")
    assert result.status == "failed"
    assert "503" in result.message and "gave up after 5 attempts" in result.message
    assert office.exchange.planning.package(package.id).sent is None
    [entry] = LedgerStore(office.store).entries(direction="sent")
    assert entry.status == "failed" and entry.attempts == 5 and "503" in entry.error
    assert LedgerStore(office.store).counts() == []  # statistics count only what was sent


def test_email_delivers_the_approved_package_once(
    office: Desk, settings: Settings, tmp_path: Path
) -> None:
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    try:
        mail = smtp_settings(office.settings, controller.port)
        with Desk(replace(mail, database_url=office.settings.database_url)) as desk:
            desk.exchange.planning.clock = lambda: NOW
            ids, package = _approved_package(desk, "email", {"to": ["desk@gxdaily.example"]})
            result = desk.exchange.outbox.send(package.id, "lan")
            assert result.status == "sent", result.message
            assert desk.exchange.outbox.send(package.id, "lan").status == "already-sent"
            files = {f.name: f.data for f in desk.exchange.planning.rows.files(package.id)}
    finally:
        controller.stop()
    [message] = recorder.messages
    parsed = message.parsed()
    attached = {p.get_filename(): p.get_content() for p in parsed.iter_attachments()}
    assert {k: v if isinstance(v, bytes) else v.encode() for k, v in attached.items()} == files
    assert message.recipients == ["desk@gxdaily.example"]
    assert len(ids) == 3


def test_sftp_delivers_the_approved_package_once(office: Desk, tmp_path: Path) -> None:
    root = tmp_path / "sftp-root"
    root.mkdir()
    with SftpServer(root) as server:
        known = tmp_path / "known_hosts"
        known.write_text(server.known_hosts_line())
        with Desk(replace(office.settings, sftp_known_hosts=str(known))) as desk:
            desk.exchange.planning.clock = lambda: NOW
            config = {"host": "127.0.0.1", "port": server.port, "user": SFTP_USER, "path": "/in"}
            _ids, package = _approved_package(desk, "sftp", config, "gx-sftp")
            result = desk.exchange.outbox.send(package.id, "lan")
            assert result.status == "sent", result.message
            files = {f.name: f.data for f in desk.exchange.planning.rows.files(package.id)}
            folder = desk.exchange.planning.meta(package).folder
    arrived = {p.name: p.read_bytes() for p in (root / "in" / folder).iterdir()}
    assert arrived == files  # every file once, no .part left behind
    assert SFTP_PASSWORD not in result.message
