"""Mailing lists: CSV and Excel import (bad rows reported by row number, good rows kept),
double opt-in (nothing before the confirmation), signed links that cannot be forged, the
blocklist, preferences, and the public pages through httpx.ASGITransport."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from email import policy
from email.parser import BytesParser
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from openpyxl import Workbook

from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.publish.mailing import MailingDesk
from hoasen.settings import Settings
from hoasen.web.app import create_app
from hoasen.web.auth import Accounts

CSV = (
    "email,name,language\n"
    "lan@example.vn,Nguyễn Thị Lan,vi\n"
    "BAD-ADDRESS,Nobody,en\n"
    "john@example.org,John Smith,en\n"
    "Lan@Example.vn,Lan again,vi\n"
    "mei@example.cn,Li Mei,xx\n"
    ",,\n"
    "kim@example.kr,,ko\n"
)


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    the_desk = Desk(replace(settings, mail_outbox_dir=str(tmp_path / "outbox")))
    yield the_desk
    the_desk.close()


@pytest.fixture
def mailing(desk: Desk) -> MailingDesk:
    return MailingDesk(desk)


def outbox(mailing: MailingDesk) -> list[Path]:
    return sorted(Path(mailing.mailer.where).glob("*.eml")) if mailing.mailer.dry_run else []


def test_csv_import_reports_bad_rows_and_keeps_good_ones(
    mailing: MailingDesk, tmp_path: Path
) -> None:
    mailing.create_list("Official")
    path = tmp_path / "list.csv"
    path.write_text(CSV, encoding="utf-8")
    report = mailing.import_subscribers("Official", path)
    assert (report.added, report.updated, report.already) == (3, 0, 0)
    bad = {b.row: b.reason for b in report.bad}
    assert set(bad) == {3, 5, 6}
    assert "not an e-mail address" in bad[3]
    assert bad[5] == "duplicate of row 2"
    assert "unknown language code" in bad[6]
    people = {s.email: s for s in mailing.subscribers("Official")}
    assert set(people) == {"lan@example.vn", "john@example.org", "kim@example.kr"}
    assert people["lan@example.vn"].name == "Nguyễn Thị Lan"
    assert people["kim@example.kr"].language == "ko"
    # again, with one change: nothing is added twice
    path.write_text("email;name\nJOHN@example.org;John Q. Smith\nkim@example.kr;\n", "utf-8")
    again = mailing.import_subscribers("Official", path)
    assert (again.added, again.updated, again.already, again.bad) == (0, 1, 1, [])
    assert mailing.get_list("Official").members == 3


def test_xlsx_import(mailing: MailingDesk, tmp_path: Path) -> None:
    mailing.create_list("Official", language="en")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Email", "Name", "Language"])
    sheet.append(["a@example.org", "A", "en"])
    sheet.append(["not an address", "B", "en"])
    sheet.append([None, None, None])
    sheet.append(["c@example.org", None, "zh"])
    path = tmp_path / "list.xlsx"
    book.save(path)
    report = mailing.import_subscribers("Official", path)
    assert report.added == 2
    assert [(b.row, b.email) for b in report.bad] == [(3, "not an address")]
    assert [s.email for s in mailing.subscribers("Official")] == ["a@example.org", "c@example.org"]


def test_import_refuses_a_file_without_header(mailing: MailingDesk, tmp_path: Path) -> None:
    mailing.create_list("Official")
    path = tmp_path / "list.csv"
    path.write_text("a@example.org,A\n", "utf-8")
    with pytest.raises(UsageError, match="first row"):
        mailing.import_subscribers("Official", path)
    (tmp_path / "list.txt").write_text("email\n", "utf-8")
    with pytest.raises(UsageError, match=r"csv or \.xlsx"):
        mailing.import_subscribers("Official", tmp_path / "list.txt")


def test_double_optin_gets_only_the_confirmation(mailing: MailingDesk) -> None:
    mailing.create_list("Newsletter", double_optin=True)
    subscriber, status = mailing.subscribe("Newsletter", "Reader@Example.org", "Reader", "en")
    assert (status, subscriber.status, subscriber.email) == (
        "unconfirmed",
        "unconfirmed",
        "reader@example.org",
    )
    mails = outbox(mailing)
    assert len(mails) == 1
    message = BytesParser(policy=policy.default).parsebytes(mails[0].read_bytes())
    body = message.get_body(("plain",))
    assert body is not None
    link = re.search(r"http://\S+/mail/confirm/(\S+)", body.get_content())
    assert link is not None
    # a campaign now reaches nobody
    campaign = mailing.new_campaign("Newsletter", "News", "Hello")
    assert mailing.send(campaign.id).sent == 0
    assert len(outbox(mailing)) == 1
    confirmed, _ = mailing.confirm(link.group(1))
    assert confirmed.status == "active"
    assert [s.member_status for s in mailing.subscribers("Newsletter")] == ["active"]


def test_single_optin_is_active_at_once(mailing: MailingDesk) -> None:
    mailing.create_list("Open")
    _, status = mailing.subscribe("Open", "x@example.org")
    assert status == "active"
    assert outbox(mailing) == []


def test_tokens_cannot_be_forged(mailing: MailingDesk) -> None:
    the_list = mailing.create_list("Official")
    subscriber, _ = mailing.subscribe("Official", "x@example.org")
    token = mailing.token("unsubscribe", subscriber.id, the_list.id)
    assert mailing.verify("unsubscribe", token) == (subscriber.id, the_list.id)
    for i in range(len(token)):
        if token[i] == ".":
            continue
        changed = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        with pytest.raises(UsageError):
            mailing.verify("unsubscribe", changed)
    with pytest.raises(UsageError):  # a link for another action
        mailing.verify("confirm", token)
    with pytest.raises(UsageError):  # another subscriber with this one's signature
        mailing.verify("unsubscribe", f"{subscriber.id + 1}.{the_list.id}.{token.split('.')[2]}")
    # the generated key is kept: a new desk on the same database accepts the token
    assert MailingDesk(mailing.desk).verify("unsubscribe", token) == (subscriber.id, the_list.id)
    # a configured key wins, and old tokens stop working
    keyed = replace(mailing.settings, mail_token_key="another key")
    other = MailingDesk(Desk(keyed, store=mailing.desk.store))
    with pytest.raises(UsageError):
        other.verify("unsubscribe", token)


def test_blocklist_and_preferences(mailing: MailingDesk) -> None:
    first = mailing.create_list("First")
    second = mailing.create_list("Second")
    person, _ = mailing.subscribe("First", "p@example.org")
    mailing.subscribe("Second", "p@example.org")
    token = mailing.token("preferences", person.id, first.id)
    prefs = mailing.update_preferences(token, "en", [second.id])
    assert prefs.subscriber.language == "en"
    assert {m.name: s for m, s in prefs.lists} == {"First": "unsubscribed", "Second": "active"}
    blocked = mailing.blocklist("P@example.org", "asked by phone")
    assert blocked.status == "blocklisted"
    _, status = mailing.subscribe("First", "p@example.org")
    assert status == "blocklisted"
    assert mailing.blocklist("new@example.org").status == "blocklisted"


def test_public_pages(desk: Desk, mailing: MailingDesk) -> None:
    the_list = mailing.create_list("Official")
    mailing.create_list("Letters", double_optin=True)
    person, _ = mailing.subscribe("Official", "p@example.org")
    accounts = Accounts(desk.store, hasher=PasswordHasher(time_cost=1, memory_cost=64))
    app = create_app(desk.settings, desk, accounts=accounts)
    token = mailing.token("unsubscribe", person.id, the_list.id)
    prefs = mailing.token("preferences", person.id, the_list.id)

    async def run() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
            page = await client.get(f"/mail/unsubscribe/{token}")
            assert page.status_code == 200 and "<form" in page.text
            assert mailing.subscribers("Official")[0].member_status == "active"  # GET: no change
            bad = await client.post(f"/mail/unsubscribe/{token[:-1]}x")
            assert bad.status_code == 400
            assert (await client.get(f"/mail/preferences/{prefs}")).status_code == 200
            done = await client.post(
                "/mail/subscribe/Letters", data={"email": "new@example.org", "language": "en"}
            )
            assert done.status_code == 200 and "Check your mail" in done.text
            gone = await client.post(f"/mail/preferences/{prefs}", data={"language": "vi"})
            assert gone.status_code == 200

    try:
        asyncio.run(run())
    finally:
        app.state.jobs.stop()
    assert mailing.subscribers("Official")[0].member_status == "unsubscribed"
    assert [s.member_status for s in mailing.subscribers("Letters")] == ["unconfirmed"]
