"""Bounces: the blocklist rules (hard and complaint at once, soft after 3 within 30 days, one
report counted once), RFC 3464 delivery status notifications and ARF complaints read from a
Maildir folder and an mbox file, linked to their campaign, and the signed bounce webhook through
httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import mailbox
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import update

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.publish.bounces import SOFT_LIMIT, SOFT_WINDOW
from hoasen.publish.mailing import MailingDesk
from hoasen.settings import Settings
from hoasen.store import schema
from hoasen.store.schema import utcnow
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

SECRET = "bounce-key-0123456789"


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    changes = {"mail_outbox_dir": str(tmp_path / "outbox"), "mail_bounce_secret": SECRET}
    the_desk = Desk(replace(settings, **changes))
    yield the_desk
    the_desk.close()


@pytest.fixture
def mailing(desk: Desk) -> MailingDesk:
    return MailingDesk(desk)


def status_of(mailing: MailingDesk, email: str) -> str:
    found = mailing.db.find_subscriber(email)
    return found.status if found else ""


def populate(mailing: MailingDesk, tmp_path: Path, emails: list[str]) -> None:
    mailing.create_list("Official", language="en")
    path = tmp_path / "list.csv"
    path.write_text("email\n" + "\n".join(emails) + "\n", encoding="utf-8")
    mailing.import_subscribers("Official", path)


def test_rules_hard_complaint_soft_and_duplicates(mailing: MailingDesk, tmp_path: Path) -> None:
    populate(mailing, tmp_path, ["hard@example.org", "spam@example.org", "soft@example.org"])
    bounces = mailing.bounces
    out = bounces.record("Hard@Example.org", "hard", "webhook", None, "5.1.1", "no such user")
    assert out.blocklisted and not out.duplicate
    assert status_of(mailing, "hard@example.org") == "blocklisted"
    with mailing.desk.store.begin() as conn:
        s = schema.subscribers
        reason = conn.execute(s.select().where(s.c.email == "hard@example.org")).mappings().one()
    assert reason["reason"] == "hard bounce: 5.1.1 no such user"
    assert bounces.record("spam@example.org", "complaint", "dsn", message_key="k1").blocklisted
    # soft: blocklisted at the third within the window, and a repeat of one report counts once
    for n in range(SOFT_LIMIT - 1):
        assert not bounces.record(
            "soft@example.org", "soft", "dsn", message_key=f"s{n}"
        ).blocklisted
    again = bounces.record("soft@example.org", "soft", "dsn", message_key="s0")
    assert again.duplicate and not again.blocklisted
    assert status_of(mailing, "soft@example.org") == "active"
    # soft bounces older than the window do not count
    b = schema.mail_bounces
    with mailing.desk.store.begin() as conn:
        old = utcnow() - SOFT_WINDOW - timedelta(days=1)
        conn.execute(update(b).where(b.c.message_key == "s0").values(created=old))
    assert not bounces.record("soft@example.org", "soft", "dsn", message_key="s8").blocklisted
    last = bounces.record("soft@example.org", "soft", "dsn", message_key="s9", status_code="4.2.2")
    assert last.blocklisted
    row = mailing.db.find_subscriber("soft@example.org")
    assert row is not None and row.status == "blocklisted"
    # a blocklisted member gets no campaign
    campaign = mailing.new_campaign("Official", "News", "Hello")
    assert mailing.send(campaign.id).sent == 0
    with pytest.raises(UsageError):
        bounces.record("x@example.org", "bounced", "dsn")
    assert len(bounces.recent()) == 6


def dsn(
    message_id: str,
    recipient: str,
    status: str,
    action: str,
    original_id: str,
    diagnostic: str,
) -> bytes:
    """A delivery status notification shaped as RFC 3464 (with the original's headers)."""
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: press@hoasen.example
Subject: Undelivered Mail Returned to Sender
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUND"

--BOUND
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org. Your message could not be delivered.

--BOUND
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Mon, 14 Dec 2026 09:00:00 +0700

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Remote-MTA: dns; in.example.org
Diagnostic-Code: smtp; {diagnostic}

--BOUND
Content-Type: text/rfc822-headers

From: press@hoasen.example
To: {recipient}
Subject: Ban tin
Message-ID: {original_id}

--BOUND--
""".replace("\n", "\r\n").encode()


def arf(message_id: str, recipient: str, original_id: str) -> bytes:
    """An abuse report (ARF, RFC 5965) with the original message attached."""
    return f"""From: abuse@isp.example
To: press@hoasen.example
Subject: Abuse report
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="ARF"

--ARF
Content-Type: text/plain

This is an email abuse report.

--ARF
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ISP-FBL/1.0
Version: 1
Original-Rcpt-To: <{recipient}>

--ARF
Content-Type: message/rfc822

From: press@hoasen.example
To: {recipient}
Subject: Ban tin
Message-ID: {original_id}

Hello.

--ARF--
""".replace("\n", "\r\n").encode()


def _campaign_sent(mailing: MailingDesk, tmp_path: Path, emails: list[str]) -> tuple[int, dict]:
    populate(mailing, tmp_path, emails)
    campaign = mailing.new_campaign("Official", "News", "Hello")
    assert mailing.send(campaign.id).sent == len(emails)
    people = {s.email: s.id for s in mailing.subscribers("Official")}
    ids = {e: mailing.mailer.message_id_for(f"campaign-{campaign.id}-{people[e]}") for e in emails}
    return campaign.id, ids


def test_dsn_and_arf_from_a_maildir(mailing: MailingDesk, tmp_path: Path) -> None:
    emails = ["gone@example.org", "full@example.org", "angry@example.org", "ok@example.org"]
    campaign_id, ids = _campaign_sent(mailing, tmp_path, emails)
    folder = tmp_path / "Maildir"
    box = mailbox.Maildir(str(folder), create=True)
    box.add(
        dsn(
            "<d1@mx>",
            "gone@example.org",
            "5.1.1",
            "failed",
            ids["gone@example.org"],
            "550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown",
        )
    )
    box.add(
        dsn(
            "<d2@mx>",
            "full@example.org",
            "4.2.2",
            "failed",
            ids["full@example.org"],
            "452 4.2.2 Mailbox full",
        )
    )
    box.add(
        dsn("<d3@mx>", "ok@example.org", "4.4.1", "delayed", ids["ok@example.org"], "421 try later")
    )
    box.add(arf("<a1@isp>", "angry@example.org", ids["angry@example.org"]))
    box.add(b"From: someone@example.org\r\nSubject: hello\r\nMessage-ID: <x@y>\r\n\r\nhi\r\n")
    report = mailing.bounces.read_mailbox(folder)
    assert (report.messages, report.reports, report.already) == (5, 4, 0)
    found = {o.email: o for o in report.outcomes}
    assert set(found) == {"gone@example.org", "full@example.org", "angry@example.org"}
    assert found["gone@example.org"].kind == "hard" and found["gone@example.org"].blocklisted
    assert found["full@example.org"].kind == "soft" and not found["full@example.org"].blocklisted
    assert found["angry@example.org"].kind == "complaint" and found["angry@example.org"].blocklisted
    assert {o.campaign_id for o in report.outcomes} == {campaign_id}
    stored = {b.email: b for b in mailing.bounces.recent()}
    assert stored["gone@example.org"].status_code == "5.1.1"
    assert "User unknown" in stored["gone@example.org"].detail
    assert stored["gone@example.org"].source == "dsn"
    assert status_of(mailing, "ok@example.org") == "active"  # a delay is no bounce
    # processed reports moved to cur and flagged Seen; the ordinary message left in new
    assert len(list((folder / "new").iterdir())) == 1
    assert all(":2,S" in p.name for p in (folder / "cur").iterdir())
    # a second run records nothing again
    again = mailing.bounces.read_mailbox(folder)
    assert (again.reports, again.already, again.outcomes) == (1, 3, [])  # the delay: again
    assert len(mailing.bounces.recent()) == 3


def test_mbox_is_read_and_left_alone(mailing: MailingDesk, tmp_path: Path) -> None:
    _, ids = _campaign_sent(mailing, tmp_path, ["gone@example.org"])
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(str(path), create=True)
    box.add(
        dsn(
            "<m1@mx>",
            "gone@example.org",
            "5.1.1",
            "failed",
            ids["gone@example.org"],
            "550 user unknown",
        )
    )
    box.flush()
    box.close()
    before = path.read_bytes()
    first = mailing.bounces.read_mailbox(path)
    assert [o.kind for o in first.outcomes] == ["hard"] and first.outcomes[0].campaign_id
    assert mailing.bounces.read_mailbox(path).already == 1
    assert path.read_bytes() == before
    with pytest.raises(UsageError):
        mailing.bounces.read_mailbox(tmp_path / "nothing-here")


def sign(body: bytes, secret: str = SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hoasen-Signature": f"sha256={digest}", "Content-Type": "application/json"}


def test_webhook(desk: Desk, mailing: MailingDesk, tmp_path: Path) -> None:
    campaign_id, _ = _campaign_sent(mailing, tmp_path, ["a@example.org", "b@example.org"])
    app = create_app(
        desk.settings, desk, accounts=Accounts(desk.store, hasher=PasswordHasher(time_cost=1))
    )
    url = "/api/v1/mail/bounces"
    one = json.dumps(
        {
            "email": "a@example.org",
            "kind": "hard",
            "campaign_id": campaign_id,
            "status": "5.1.1",
            "id": "evt-1",
        }
    ).encode()
    many = json.dumps(
        [
            {"email": "b@example.org", "kind": "soft", "id": "evt-2", "detail": "mailbox full"},
            {
                "email": "a@example.org",
                "kind": "hard",
                "campaign_id": campaign_id,
                "status": "5.1.1",
                "id": "evt-1",
            },
        ]
    ).encode()
    bad = json.dumps([{"email": "b@example.org", "kind": "bounced"}, {"kind": "soft"}]).encode()

    async def run() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as c:
            return {
                "unsigned": await c.post(url, content=one),
                "wrong": await c.post(url, content=one, headers=sign(one, "other")),
                "one": await c.post(url, content=one, headers=sign(one)),
                "many": await c.post(url, content=many, headers=sign(many)),
                "bad": await c.post(url, content=bad, headers=sign(bad)),
                "notjson": await c.post(url, content=b"{", headers=sign(b"{")),
            }

    try:
        r = asyncio.run(run())
    finally:
        app.state.jobs.stop()
    assert r["unsigned"].status_code == 401 and r["wrong"].status_code == 401
    assert r["one"].status_code == 200, r["one"].text
    assert r["one"].json()["items"] == [
        {
            "email": "a@example.org",
            "kind": "hard",
            "campaign_id": campaign_id,
            "outcome": "recorded",
            "blocklisted": True,
        }
    ]
    body = r["many"].json()
    assert (body["recorded"], body["duplicates"]) == (1, 1)
    assert [i["outcome"] for i in body["items"]] == ["recorded", "duplicate"]
    assert r["bad"].status_code == 422
    reasons = r["bad"].json()["error"]["reasons"][0]
    assert "item 0" in reasons and "item 1" in reasons
    assert r["notjson"].status_code == 422
    assert status_of(mailing, "a@example.org") == "blocklisted"
    assert status_of(mailing, "b@example.org") == "active"
    assert len(mailing.bounces.recent()) == 2


def test_webhook_is_off_without_a_secret(settings: Settings, tmp_path: Path) -> None:
    with Desk(replace(settings, mail_outbox_dir=str(tmp_path / "o"))) as desk:
        app = create_app(desk.settings, desk)
        body = json.dumps({"email": "a@example.org", "kind": "hard"}).encode()

        async def run() -> int:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://d.test") as c:
                r = await c.post("/api/v1/mail/bounces", content=body, headers=sign(body, ""))
                return r.status_code

        try:
            assert asyncio.run(run()) == 401
        finally:
            app.state.jobs.stop()


def test_cli_bounces_blocklist_and_cancel(mailing: MailingDesk, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hoasen.cli import app

    _, ids = _campaign_sent(mailing, tmp_path, ["gone@example.org", "stay@example.org"])
    draft = mailing.new_campaign("Official", "Later", "Text")
    path = tmp_path / "bounces.mbox"
    box = mailbox.mbox(str(path), create=True)
    box.add(
        dsn("<c1@mx>", "gone@example.org", "5.1.1", "failed", ids["gone@example.org"], "550 no")
    )
    box.flush()
    box.close()
    db = mailing.settings.database_url
    env = {"HOASEN_MAIL_OUTBOX_DIR": mailing.settings.mail_outbox_dir}
    runner = CliRunner()
    read = runner.invoke(app, ["--db", db, "mail", "bounces", str(path), "--json"], env=env)
    assert read.exit_code == 0, read.output
    assert json.loads(read.stdout)["bounces"][0]["blocklisted"] is True
    block = ["--db", db, "lists", "blocklist", "Stay@example.org", "--reason", "asked by phone"]
    assert runner.invoke(app, block, env=env).exit_code == 0
    assert status_of(mailing, "stay@example.org") == "blocklisted"
    cancel = runner.invoke(app, ["--db", db, "campaign", "cancel", str(draft.id)], env=env)
    assert cancel.exit_code == 0, cancel.output
    assert mailing.status(draft.id).campaign.status == "cancelled"
    with pytest.raises(UsageError):
        mailing.send(draft.id)
