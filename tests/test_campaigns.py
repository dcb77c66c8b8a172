"""Campaigns through a real loopback SMTP server (aiosmtpd): 1,000 subscribers each mailed once,
an interrupted send resumed without a duplicate, the RFC 8058 one-click unsubscribe headers and
POST, nobody unsubscribed or blocklisted mailed, languages, the rate limit and the outbox."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from argon2 import PasswordHasher

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.mail import Mailer
from hoasen.publish.campaigns import RateLimit
from hoasen.publish.mailing import MailingDesk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts
from test_mail import LoopbackSMTP, Recorder, smtp_settings


@pytest.fixture
def server() -> Iterator[tuple[LoopbackSMTP, Recorder]]:
    """A loopback SMTP server without login, and its recorder."""
    recorder = Recorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    yield controller, recorder
    controller.stop()


@pytest.fixture
def mailing(
    settings: Settings, server: tuple[LoopbackSMTP, Recorder], tmp_path: Path
) -> Iterator[MailingDesk]:
    controller, _ = server
    the_settings = smtp_settings(
        settings, controller.port, public_base_url="https://press.example.vn/"
    )
    desk = Desk(the_settings)
    yield MailingDesk(desk)
    desk.close()


def populate(mailing: MailingDesk, tmp_path: Path, n: int, name: str = "Official") -> None:
    mailing.create_list(name)
    lines = ["email,name,language"]
    lines += [f"r{i:04d}@example.org,Reader {i},{'en' if i % 2 else 'vi'}" for i in range(n)]
    path = tmp_path / f"{name}.csv"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    assert mailing.import_subscribers(name, path).added == n


def parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


class CrashAfter(Mailer):
    """A Mailer that stops the process (KeyboardInterrupt) before its n+1th message."""

    def __init__(self, settings: Settings, n: int) -> None:
        super().__init__(settings)
        self.left = n

    def send(self, message: EmailMessage) -> str:
        if self.left <= 0:
            raise KeyboardInterrupt
        self.left -= 1
        return super().send(message)


def test_thousand_subscribers_each_mailed_once_even_after_a_crash(
    mailing: MailingDesk, server: tuple[LoopbackSMTP, Recorder], tmp_path: Path
) -> None:
    _, recorder = server
    populate(mailing, tmp_path, 1000)
    campaign = mailing.new_campaign(
        "Official",
        "Bản tin tháng 12",
        "Xin chào,\nđây là bản tin.",
        "<html><body><p>Bản tin</p></body></html>",
        variants={"en": ("December bulletin", "Hello,\nthis is the bulletin.", None)},
    )
    started = time.monotonic()
    mailing.mailer = CrashAfter(mailing.settings, 337)
    with pytest.raises(KeyboardInterrupt):
        mailing.send(campaign.id)
    assert len(recorder.messages) == 337
    assert mailing.status(campaign.id).campaign.status == "sending"
    mailing.mailer = Mailer(mailing.settings)
    seen: list[tuple[int, int]] = []
    report = mailing.send(campaign.id, progress=lambda done, total: seen.append((done, total)))
    assert (report.sent, report.failed, report.remaining, report.dry_run) == (663, 0, 0, False)
    assert seen[-1] == (663, 663)
    # a third run sends nothing
    assert mailing.send(campaign.id).sent == 0
    assert time.monotonic() - started < 30
    recipients = Counter(r for m in recorder.messages for r in m.recipients)
    assert len(recipients) == 1000 and set(recipients.values()) == {1}
    ids = Counter(str(parsed(m.data)["Message-ID"]) for m in recorder.messages)
    assert len(ids) == 1000
    status = mailing.status(campaign.id)
    assert status.campaign.status == "sent"
    assert status.counts["sent"] == 1000 and status.campaign.sent_count == 1000
    by_address = {m.recipients[0]: parsed(m.data) for m in recorder.messages}
    assert by_address["r0001@example.org"]["Subject"] == "December bulletin"
    vi = by_address["r0002@example.org"]
    assert vi["Subject"] == "Bản tin tháng 12"
    html = vi.get_body(("html",))
    assert html is not None and "/mail/unsubscribe/" in html.get_content()
    assert by_address["r0001@example.org"].get_body(("html",)) is None


def test_headers_one_click_and_who_is_left_out(
    mailing: MailingDesk, server: tuple[LoopbackSMTP, Recorder], tmp_path: Path
) -> None:
    _, recorder = server
    populate(mailing, tmp_path, 5)
    mailing.subscribe(mailing.create_list("Other", double_optin=True).id, "r0000@example.org")
    mailing.blocklist("r0003@example.org", "asked")
    assert len(recorder.messages) == 1  # the confirmation mail of the double opt-in list
    recorder.messages.clear()
    first = mailing.new_campaign("Official", "One", "First message")
    assert mailing.send(first.id).sent == 4
    messages = [parsed(m.data) for m in recorder.messages]
    assert sorted(m["To"] for m in messages) == [f"r000{i}@example.org" for i in (0, 1, 2, 4)]
    for message in messages:
        header = str(message["List-Unsubscribe"])
        assert re.fullmatch(
            r"<https://press\.example\.vn/mail/unsubscribe/[\w.-]+>, "
            r"<mailto:press@hoasen\.example\?subject=unsubscribe>",
            header,
        ), header
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(("plain",))
        assert text is not None and header[1:].split(">")[0] in text.get_content()
    target = next(m for m in messages if m["To"] == "r0001@example.org")
    url = str(target["List-Unsubscribe"])[1:].split(">")[0]
    desk = mailing.desk
    accounts = Accounts(desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(desk.settings, desk, accounts=accounts)

    async def one_click() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://mail.test") as c:
            return await c.post(
                urlsplit(url).path,
                content=b"List-Unsubscribe=One-Click",
                headers={"content-type": "application/x-www-form-urlencoded"},
            )

    try:
        response = asyncio.run(one_click())
    finally:
        app.state.jobs.stop()
    assert response.status_code == 200
    recorder.messages.clear()
    second = mailing.new_campaign("Official", "Two", "Second message")
    report = mailing.send(second.id)
    assert report.sent == 3
    assert sorted(m.recipients[0] for m in recorder.messages) == [
        "r0000@example.org",
        "r0002@example.org",
        "r0004@example.org",
    ]


def test_test_send_and_outbox_dry_run(settings: Settings, tmp_path: Path) -> None:
    the_settings = replace(settings, mail_outbox_dir=str(tmp_path / "outbox"))
    with Desk(the_settings) as desk:
        mailing = MailingDesk(desk)
        populate(mailing, tmp_path, 3)
        campaign = mailing.new_campaign("Official", "Subject", "Body")
        assert mailing.preview(campaign.id, "en") == ("Subject", "Body", None)
        receipt = mailing.test_send(campaign.id, "editor@example.vn")
        assert "outbox" in receipt
        report = mailing.send(campaign.id)
        assert report.dry_run and report.sent == 3 and report.where.endswith("outbox")
        files = sorted((tmp_path / "outbox").glob("*.eml"))
        assert len(files) == 4
        subjects = sorted(str(parsed(f.read_bytes())["Subject"]) for f in files)
        assert subjects == ["Subject"] * 3 + ["[TEST] Subject"]
        assert all(parsed(f.read_bytes())["List-Unsubscribe-Post"] for f in files)


def test_rate_limit_uses_the_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    limit = RateLimit(4.0, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        limit.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]
    unlimited = RateLimit(0.0, clock=lambda: now[0], sleep=sleep)
    unlimited.wait()
    assert len(slept) == 4


def test_a_campaign_carries_an_edition_in_each_subscribers_language(
    settings: Settings, tmp_path: Path
) -> None:
    with Desk(replace(settings, mail_outbox_dir=str(tmp_path / "outbox"))) as desk:
        eds = desk.editions
        series = eds.add_series("Hoa Sen special issue", "vi,zh")
        issue = eds.new_issue(series.id, "Quảng Ninh – Quảng Tây", "2026-12-01", "mai")
        eds.add_piece(
            issue.id,
            {
                "vi": ("Hợp tác báo chí", "Hai bên cùng xuất bản Đặc san Hoa Sen."),
                "zh": ("新闻合作", "双方联合出版《荷花》特刊。"),
            },
            "mai",
        )
        with pytest.raises(UsageError, match="draft"):
            desk.mailing.campaign_from("x", edition=issue.id)
        eds.set_status(issue.id, "review", "mai")
        eds.set_status(issue.id, "approved", "mai")
        desk.mailing.create_list("Hoa Sen readers", language="vi")
        desk.mailing.subscribe("Hoa Sen readers", "doc.gia@example.vn", "Độc giả", "vi")
        desk.mailing.subscribe("Hoa Sen readers", "reader@example.cn", "读者", "zh")
        campaign = desk.mailing.campaign_from("Hoa Sen readers", edition=issue.id)
        assert campaign.source == f"edition:{issue.id}"
        vi = desk.mailing.preview(campaign.id, "vi")
        zh = desk.mailing.preview(campaign.id, "zh")
        assert "Hai bên cùng xuất bản" in vi[1] and "Hoa Sen special issue — 1" in vi[0]
        assert "双方联合出版" in zh[1] and zh[2] is not None and 'lang="zh"' in zh[2]
        report = desk.mailing.send(campaign.id)
        assert report.sent == 2


class SlowRecorder(Recorder):
    """A recorder that takes a little while over each message, so a kill lands mid-run."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(0.01)
        return await super().handle_DATA(server, session, envelope)


def test_a_campaign_killed_mid_run_and_resumed_reaches_everyone_once(
    settings: Settings, tmp_path: Path
) -> None:
    """`kill -9` of a real `hoasen campaign send` process, then the same command again: every
    subscriber gets the campaign, and any copy sent twice (the message in flight at the kill,
    at most one) carries the same Message-ID, so it is the same message to the receiver."""
    recorder = SlowRecorder()
    controller = LoopbackSMTP(recorder, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    try:
        the_settings = smtp_settings(settings, controller.port)
        with Desk(the_settings) as desk:
            populate(desk.mailing, tmp_path, 400)
            campaign = desk.mailing.new_campaign("Official", "Bản tin", "Xin chào.")
        env = {
            **os.environ,
            "HOASEN_CONFIG": str(tmp_path / "none.toml"),
            "HOASEN_DATABASE_URL": the_settings.database_url,
            "HOASEN_SMTP_URL": the_settings.smtp_url,
            "HOASEN_MAIL_FROM": the_settings.mail_from,
            "HOASEN_ANALYZE_ON_INGEST": "false",
        }
        command = [sys.executable, "-m", "hoasen", "campaign", "send", str(campaign.id)]
        first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(recorder.messages) < 120 and time.monotonic() < deadline:
            if first.poll() is not None:
                break
            time.sleep(0.005)
        first.kill()  # SIGKILL: no cleanup, no except block runs
        assert first.wait(10) == -signal.SIGKILL, "the sender finished before it was killed"
        assert 120 <= len(recorder.messages) < 400
        again = subprocess.run(command, env=env, capture_output=True, timeout=120)
        assert again.returncode == 0, again.stderr.decode()
    finally:
        controller.stop()
    ids_by_recipient: dict[str, set[str]] = {}
    for message in recorder.messages:
        for rcpt in message.recipients:
            ids_by_recipient.setdefault(rcpt, set()).add(str(parsed(message.data)["Message-ID"]))
    assert len(ids_by_recipient) == 400
    assert all(len(ids) == 1 for ids in ids_by_recipient.values())
    assert len(recorder.messages) <= 401  # at most the one message in flight went twice
    with Desk(the_settings) as desk:
        status = desk.mailing.status(campaign.id)
    assert status.campaign.status == "sent" and status.counts["sent"] == 400
