"""Receiving partner documents (files, watched folders, feed polls) on a real SQLite database:
credited to the partner's own source, one ledger row per document, broken documents refused
with their reason while the rest of the batch goes in, folders emptied into processed/ and
refused/ without reading a file twice or one still being written."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.exchange import ExchangeItem, make_guid, to_newsml, to_ninjs
from hoasen.exchange.feeds import to_atom, to_jsonfeed
from hoasen.exchange.formats import ninjs_bytes
from hoasen.exchange.receive import (
    BadSignature,
    ExchangeInbox,
    document_format,
    signature,
)
from hoasen.models import IngestReport, RawInput
from hoasen.settings import Settings, load_settings
from hoasen.store import schema
from hoasen.store.partners import PartnerRow

ICT = timezone(timedelta(hours=7))
SECRET_NAME, SECRET_VALUE = "gx-inbox", "Xq7-very-secret-key-9f2"

# Distinct stories in the partners' languages (no two near duplicates of each other).
STORIES = {
    "zh": (
        "广西与广宁加强口岸合作",
        "11月3日，广西壮族自治区代表团访问越南广宁省，双方就东兴至芒街口岸的通关便利化"
        "进行了会谈。\n\n双方同意在明年增加新闻交流和记者互访。",
    ),
    "vi": (
        "Quảng Ninh đón đoàn doanh nghiệp Quảng Tây",
        "Ngày 5/11, đoàn doanh nghiệp Quảng Tây đã đến thành phố Hạ Long tìm hiểu cơ hội đầu "
        "tư vào cảng biển và logistics.\n\nHai bên đã ký biên bản ghi nhớ về vận tải hàng hóa.",
    ),
    "en": (
        "Guangxi trade fair opens with Vietnamese exhibitors",
        "The China-ASEAN Expo in Nanning opened on Friday with more than two hundred "
        "Vietnamese exhibitors showing farm produce and handicrafts.\n\nOrganisers expect "
        "record attendance this year.",
    ),
    "ko": (
        "강원도 방송사, 광닌성과 관광 프로그램 교류",
        "강원도 방송사와 광닌성 미디어센터는 매달 관광 프로그램을 교환하기로 합의했다.\n\n"
        "양측은 내년에 공동 다큐멘터리를 제작할 계획이다.",
    ),
}


def item(lang: str, n: int = 1, **changes: Any) -> ExchangeItem:
    """A partner article in `lang` (its guid from the partner's authority)."""
    title, body = STORIES[lang]
    published = datetime(2026, 11, 3, 9, 0, tzinfo=ICT) + timedelta(days=n)
    fields: dict[str, Any] = {
        "guid": make_guid("gxrb.com.cn", n, published),
        "version": 1,
        "title": title,
        "body": body,
        "language": lang,
        "published": published,
        "source_name": "广西日报",
    }
    fields.update(changes)
    return ExchangeItem(**fields)


def ninjs(lang: str, n: int = 1, version: str = "3.0") -> bytes:
    """A valid ninjs document of `version`."""
    return ninjs_bytes(to_ninjs(item(lang, n), version))


def bad_ninjs() -> bytes:
    """A ninjs 3.0 document that fails the schema (pubStatus out of its enum)."""
    doc = to_ninjs(item("en", 9))
    doc["pubStatus"] = "published"
    return json.dumps(doc).encode()


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "http_allow_private": True,
        "analyze_on_ingest": False,
        "exchange_secrets": (f"{SECRET_NAME}={SECRET_VALUE}",),
        "exchange_dir": str(tmp_path / "exchange"),
    }
    values.update(overrides)
    return load_settings(
        config_path=tmp_path / "none.toml",
        env={},
        database_url=f"sqlite:///{tmp_path / 'test.db'}",
        **values,
    )


def add_partner(desk: Desk, name: str = "Guangxi Daily Media Group") -> PartnerRow:
    return desk.partners.add_partner(name, kind="media-group", country="CN")


def add_plan(
    desk: Desk,
    partner: PartnerRow,
    transport: str,
    name: str | None = None,
    config: dict[str, Any] | None = None,
    secret: str = "",
    active: bool = True,
) -> int:
    """An inbound plan row (plans are managed elsewhere; the inbox only reads them)."""
    with desk.store.begin() as conn:
        result = conn.execute(
            insert(schema.exchange_plans).values(
                partner_id=partner.id,
                name=name or f"{partner.slug}-{transport}",
                direction="in",
                format="auto",
                transport=transport,
                transport_config=json.dumps(config or {}),
                secret=secret,
                active=active,
            )
        )
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    with Desk(make_settings(tmp_path)) as d:
        yield d


@pytest.fixture
def partner(desk: Desk) -> PartnerRow:
    return add_partner(desk)


def received(desk: Desk) -> list[Any]:
    """The ledger's received rows, oldest first."""
    return list(reversed(desk.inbox.ledger.entries(direction="received")))


# ------------------------------------------------------------------------ receiving documents


def test_documents_are_credited_to_the_partners_source_with_a_ledger_row(
    desk: Desk, partner: PartnerRow
) -> None:
    newsml = to_newsml(item("vi", 2))
    report = desk.inbox.receive(
        partner, [("a.json", ninjs("zh")), ("b.xml", newsml)], "file", operator="tester"
    )
    assert report.ingest.ingested == 2 and not report.ingest.errors
    source = desk.store.get_source(report.source)
    assert source.name == "Guangxi Daily Media Group"
    assert (source.kind, source.partner, source.partner_id) == ("exchange", True, partner.id)
    assert source.url == "urn:hoasen:partner:guangxi-daily-media-group"
    assert source.country == "CN" and source.foreign  # office_country is VN
    articles = desk.store.list_articles(limit=None)
    assert {a.source_name for a in articles} == {source.name}
    by_lang = {a.language: a for a in articles}
    assert by_lang["zh"].title == STORIES["zh"][0]
    rows = received(desk)
    assert [(r.origin, r.format, r.status, r.transport) for r in rows] == [
        ("a.json", "ninjs", "received", "file"),
        ("b.xml", "newsml", "received", "file"),
    ]
    zh = by_lang["zh"]
    assert rows[0].items == [[zh.id, zh.content_hash, "zh"]]
    assert rows[0].languages == ("zh",) and rows[0].n_items == 1
    assert rows[0].partner_id == partner.id and rows[0].operator == "tester"
    assert rows[0].checksum.startswith("sha256:") and rows[0].bytes == len(ninjs("zh"))
    assert [d.status for d in report.documents] == ["received", "received"]
    assert report.as_json()["documents"][1]["articles"][0]["language"] == "vi"


@pytest.mark.parametrize("version", ["2.0", "2.2", "3.0", "3.1"])
def test_every_ninjs_version_is_received(desk: Desk, partner: PartnerRow, version: str) -> None:
    report = desk.inbox.receive(partner, [("doc.json", ninjs("en", 1, version))], "file")
    assert report.ingest.ingested == 1, report.ingest.errors


def test_ninjs_1_and_feeds_are_received(desk: Desk, partner: PartnerRow) -> None:
    old = {
        "uri": "http://partner.example.cn/1",
        "headline": STORIES["ko"][0],
        "body_text": STORIES["ko"][1],
        "language": "ko",
    }
    atom = to_atom([item("vi", 3)], feed_id="urn:x:feed", title="Partner")
    feed = to_jsonfeed([item("en", 4)], title="Partner")
    docs = [("old.json", json.dumps(old).encode()), ("f.atom", atom), ("f.json", feed)]
    report = desk.inbox.receive(partner, docs, "file")
    assert report.ingest.ingested == 3, report.ingest.errors
    assert [r.format for r in received(desk)] == ["ninjs", "atom", "jsonfeed"]


def test_a_broken_document_is_refused_and_the_rest_goes_in(desk: Desk, partner: PartnerRow) -> None:
    doctype = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    docs = [
        ("bad.json", bad_ninjs()),
        ("good.json", ninjs("zh")),
        ("garbage.json", b"{not json"),
        ("evil.xml", doctype),
        ("empty.json", b'{"version": "https://jsonfeed.org/version/1.1", "items": []}'),
        ("good.xml", to_newsml(item("vi", 2))),
    ]
    report = desk.inbox.receive(partner, docs, "file")
    assert report.ingest.ingested == 2
    rows = {r.origin: r for r in received(desk)}
    assert {o for o, r in rows.items() if r.status == "received"} == {"good.json", "good.xml"}
    assert "'published' is not one of" in rows["bad.json"].error
    assert "$.pubStatus" in rows["bad.json"].error and rows["bad.json"].items == []
    assert "not JSON" in rows["garbage.json"].error
    assert "DOCTYPE" in rows["evil.xml"].error
    assert "no articles" in rows["empty.json"].error
    assert len(report.refused) == 4
    assert {e.input for e in report.ingest.errors} >= {"bad.json", "garbage.json", "evil.xml"}


def test_a_list_with_one_bad_item_is_received_with_the_refusal_noted(
    desk: Desk, partner: PartnerRow
) -> None:
    good = to_ninjs(item("en"))
    bad = to_ninjs(item("vi", 2))
    bad["pubStatus"] = "nope"
    report = desk.inbox.receive(partner, [("list.json", json.dumps([good, bad]).encode())], "file")
    doc = report.documents[0]
    assert doc.status == "received" and len(doc.articles) == 1
    assert doc.errors and doc.errors[0].startswith("list.json#2: ")
    assert received(desk)[0].error.startswith("list.json#2: ")


def test_a_document_sent_again_is_no_new_article(desk: Desk, partner: PartnerRow) -> None:
    first = desk.inbox.receive(partner, [("a.json", ninjs("zh"))], "file").documents[0]
    again = desk.inbox.receive(partner, [("a.json", ninjs("zh"))], "file").documents[0]
    assert first.new == 1 and again.new == 0
    assert [a.id for a in again.articles] == [a.id for a in first.articles]
    assert desk.store.count_articles(include_duplicates=True) == 1
    # from elsewhere (another file name), the same article is stored as a duplicate
    other = desk.inbox.receive(partner, [("b.json", ninjs("zh"))], "file").documents[0]
    assert other.articles[0].duplicate_of == first.articles[0].id
    assert desk.store.count_articles() == 1
    assert [r.status for r in received(desk)] == ["received"] * 3


def test_analysis_runs_on_received_articles(tmp_path: Path) -> None:
    with Desk(make_settings(tmp_path, analyze_on_ingest=True)) as desk:
        partner = add_partner(desk)
        report = desk.inbox.receive(partner, [("a.json", ninjs("zh"))], "file")
        assert report.ingest.analyzed == 1
        article_id = report.ingest.article_ids[0]
        entities = {m.entity_id for m in desk.results.mentions([article_id])[article_id]}
        assert "cn.guangxi" in entities
        assert desk.results.story_of([article_id])  # the article is in a story


# ------------------------------------------------------------------------ the partner's source


def test_the_partners_source_is_made_once_and_reused(desk: Desk, partner: PartnerRow) -> None:
    first = desk.inbox.partner_source(partner)
    assert desk.inbox.partner_source(partner.slug) == first
    assert desk.inbox.partner_source("广西日报传媒集团") == first  # any name of the partner
    assert [s.name for s in desk.store.list_sources()] == [first.name]
    assert not first.is_due(datetime.now(UTC))  # never polled: nothing to fetch at a URN


def test_a_linked_feed_or_a_same_named_source_is_used(desk: Desk, partner: PartnerRow) -> None:
    desk.store.add_source("https://gx.example.cn/rss", "Guangxi Daily Media Group", country="CN")
    adopted = desk.inbox.partner_source(partner)
    assert adopted.url == "https://gx.example.cn/rss" and adopted.partner_id == partner.id
    assert adopted.partner and adopted.kind == "feed"
    other = add_partner(desk, "Gangwon Ilbo")
    desk.store.add_source("https://gw.example.kr/rss", "Gangwon feed")
    desk.store.link_source_partner("Gangwon feed", other.id)
    assert desk.inbox.partner_source(other).name == "Gangwon feed"


def test_a_source_of_that_name_owned_by_another_partner_is_not_taken(desk: Desk) -> None:
    first = add_partner(desk, "Quang Tay News")
    desk.store.add_source("https://x.example.cn/rss", "Nanning Post")
    desk.store.link_source_partner("Nanning Post", first.id)
    second = add_partner(desk, "Nanning Post")
    made = desk.inbox.partner_source(second)
    assert made.name == "Nanning Post (nanning-post)" and made.partner_id == second.id


def test_import_for_a_partner_keeps_its_name(
    desk: Desk, partner: PartnerRow, tmp_path: Path
) -> None:
    """The old bug: `exchange import --partner NAME` without a source of that name lost it."""
    path = tmp_path / "in.json"
    path.write_bytes(ninjs("en"))
    report = desk.inbox.receive_files(partner.name, [path, tmp_path / "missing.json"], "op")
    assert report.ingest.ingested == 1
    article = desk.store.list_articles()[0]
    assert article.source_name == partner.name
    rows = {r.origin: r for r in received(desk)}
    assert rows[str(path)].status == "received" and rows[str(path)].transport == "file"
    assert "cannot read" in rows[str(tmp_path / "missing.json")].error


def test_unknown_partner_or_transport(desk: Desk, partner: PartnerRow) -> None:
    with pytest.raises(NotFoundError):
        desk.inbox.receive("nobody", [("a.json", ninjs("en"))], "file")
    with pytest.raises(UsageError, match="unknown transport"):
        desk.inbox.receive(partner, [("a.json", ninjs("en"))], "pigeon")


# ------------------------------------------------------------------------ signatures


def test_signature_checks(
    desk: Desk, partner: PartnerRow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox: ExchangeInbox = desk.inbox
    body = ninjs("en")
    with pytest.raises(NotFoundError, match="no inbox for this partner"):
        inbox.check_signature(partner, body, signature(SECRET_VALUE, body))
    add_plan(desk, partner, "inbox", secret=SECRET_NAME)
    assert inbox.check_signature(partner, body, signature(SECRET_VALUE, body)).transport == "inbox"
    upper = "SHA256=" + signature(SECRET_VALUE, body).split("=", 1)[1].upper()
    inbox.check_signature(partner, body, upper)
    for header in (None, "", "sha256=", "md5=abc", signature("wrong", body), "sha256=zz🎉"):
        with pytest.raises(BadSignature):
            inbox.check_signature(partner, body, header)
    with pytest.raises(BadSignature):
        inbox.check_signature(partner, body + b" ", signature(SECRET_VALUE, body))
    assert "wrong signature" in caplog.text and SECRET_VALUE not in caplog.text


def test_an_inbox_whose_key_is_not_configured_refuses_everything(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Desk(make_settings(tmp_path, exchange_secrets=())) as desk:
        partner = add_partner(desk)
        add_plan(desk, partner, "inbox", secret=SECRET_NAME)
        body = ninjs("en")
        with caplog.at_level(logging.DEBUG), pytest.raises(BadSignature, match="no key"):
            desk.inbox.accept(partner.slug, body, signature(SECRET_VALUE, body))
    assert SECRET_NAME in caplog.text and SECRET_VALUE not in caplog.text


def test_document_format() -> None:
    assert document_format(ninjs("en")) == "ninjs"
    assert document_format(to_newsml(item("vi"))) == "newsml"
    assert document_format(to_atom([item("vi")], feed_id="urn:x", title="t")) == "atom"
    assert document_format(to_jsonfeed([item("vi")], title="t")) == "jsonfeed"
    assert document_format(b'<?xml version="1.0"?><rss version="2.0"></rss>') == "rss"
    assert document_format(b"%PDF-1.4") == ""


# ------------------------------------------------------------------------ watched folders


def drop(folder: Path, name: str, data: bytes, age: float = 60) -> Path:
    """Write a file into a watched folder, last modified `age` seconds ago."""
    path = folder / name
    path.write_bytes(data)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_folder_poll_moves_every_file_and_refuses_broken_ones(
    desk: Desk, partner: PartnerRow, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    add_plan(desk, partner, "folder", name="gx-drop", config={"path": str(folder)})
    for name, data in (
        ("1-story.json", ninjs("zh")),
        ("2-story.xml", to_newsml(item("vi", 2))),
        ("3-feed.atom", to_atom([item("en", 3)], feed_id="urn:x", title="t")),
        ("4-bad.json", bad_ninjs()),
        ("5-notes.txt", b"call Mr. Li"),
        ("6-half.json.part", b'{"uri": '),
        (".hidden.json", b"{}"),
    ):
        drop(folder, name, data)
    drop(folder, "7-new.json", ninjs("ko"), age=0)  # modified just now: still being written
    (folder / "sub").mkdir()

    [poll] = desk.inbox.poll_folders()
    status = {f.name: f.status for f in poll.files}
    assert status == {
        "1-story.json": "received",
        "2-story.xml": "received",
        "3-feed.atom": "received",
        "4-bad.json": "refused",
        "5-notes.txt": "refused",
        "6-half.json.part": "waiting",
        "7-new.json": "waiting",
    }
    assert poll.ingest.ingested == 3
    left = sorted(p.name for p in folder.iterdir())
    assert left == [".hidden.json", "6-half.json.part", "7-new.json", "processed", "refused", "sub"]
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "1-story.json",
        "2-story.xml",
        "3-feed.atom",
    ]
    reason = (folder / "refused" / "4-bad.json.reason.txt").read_text(encoding="utf-8")
    assert "'published' is not one of" in reason and "ledger entry" in reason
    assert (folder / "refused" / "4-bad.json").read_bytes() == bad_ninjs()  # nothing lost
    assert "not an exchange document" in (folder / "refused" / "5-notes.txt.reason.txt").read_text()
    rows = received(desk)
    assert len(rows) == 5 and {r.transport for r in rows} == {"folder"}
    assert {r.plan_id for r in rows} == {poll.plan.id}
    assert poll.as_json()["received"] == 3

    # the next poll reads only what is new: the finished upload, once it has settled
    drop(folder, "7-new.json", ninjs("ko"))
    (folder / "6-half.json.part").unlink()
    drop(folder, "6-half.json", ninjs("en", 6))
    [again] = desk.inbox.poll_folders("gx-drop")
    assert sorted((f.name, f.status) for f in again.files) == [
        ("6-half.json", "received"),
        ("7-new.json", "received"),
    ]
    assert len(received(desk)) == 7
    # a file of the same name later is kept beside the first, not over it
    drop(folder, "1-story.json", ninjs("zh"))
    [third] = desk.inbox.poll_folders()
    assert third.files[0].moved_to == os.path.join("processed", "1-story.1.json")
    assert third.ingest.ingested == 0  # the same bytes from the same place: already stored


def test_folder_poll_never_follows_a_link(desk: Desk, partner: PartnerRow, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    secret = tmp_path / "private.json"
    secret.write_bytes(ninjs("en"))
    (folder / "link.json").symlink_to(secret)
    add_plan(desk, partner, "folder", config={"path": str(folder)})
    [poll] = desk.inbox.poll_folders(settle=0)
    assert poll.files[0].status == "refused" and "symbolic link" in poll.files[0].reason
    assert desk.store.count_articles() == 0 and secret.exists()


def test_folder_plans_default_folder_missing_folder_and_inactive_plans(
    desk: Desk, partner: PartnerRow, tmp_path: Path
) -> None:
    plan_id = add_plan(desk, partner, "folder", name="default")
    add_plan(desk, partner, "folder", name="off", config={"path": "x"}, active=False)
    add_plan(desk, partner, "inbox", name="by-inbox", secret=SECRET_NAME)
    [poll] = desk.inbox.poll_folders()
    assert poll.plan.id == plan_id
    assert poll.folder == tmp_path / "exchange" / "inbox" / partner.slug
    assert "does not exist" in poll.error
    assert desk.inbox.folder_of(desk.inbox.plan("off")) == tmp_path / "exchange" / "x"
    with pytest.raises(UsageError, match="receives by inbox"):
        desk.inbox.poll_folders("by-inbox")
    with pytest.raises(NotFoundError):
        desk.inbox.poll_folders("nope")


def test_cli_exchange_receive(desk: Desk, partner: PartnerRow, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    add_plan(desk, partner, "folder", name="gx-drop", config={"path": str(folder)})
    drop(folder, "a.json", ninjs("zh"))
    drop(folder, "b.json", bad_ninjs())
    db = desk.settings.database_url
    env = {"HOASEN_EXCHANGE_DIR": str(tmp_path / "exchange"), "HOASEN_ANALYZE_ON_INGEST": "0"}
    runner = CliRunner()
    result = runner.invoke(app, ["--db", db, "exchange", "receive", "--json"], env=env)
    assert result.exit_code == 0, result.output
    [plan] = json.loads(result.stdout)["plans"]
    assert (plan["plan"], plan["received"], plan["refused"]) == ("gx-drop", 1, 1)
    text = runner.invoke(app, ["--db", db, "exchange", "receive", "--plan", "gx-drop"], env=env)
    assert text.exit_code == 0 and "0 received" in text.stdout
    missing = runner.invoke(app, ["--db", db, "exchange", "receive", "--plan", "x"], env=env)
    assert missing.exit_code == 3


# ------------------------------------------------------------------------ feed polls


def test_feed_polls_of_a_partner_source_are_in_the_ledger(desk: Desk, partner: PartnerRow) -> None:
    desk.store.add_source("https://gx.example.cn/rss", "GX feed")
    source = desk.store.link_source_partner("GX feed", partner.id)
    plan = add_plan(desk, partner, "feed", config={"url": source.url})
    raw = RawInput(
        origin="https://gx.example.cn/1",
        data=json.dumps({"title": STORIES["en"][0], "text": STORIES["en"][1]}).encode(),
        fmt="json",
        url="https://gx.example.cn/1",
    )
    got = desk.ingestor.ingest([raw], source=source)
    row = desk.inbox.record_polled(source, got)
    assert row is not None and row.transport == "feed" and row.plan_id == plan
    assert row.items[0][0] == got.article_ids[0] and row.status == "received"
    assert desk.inbox.record_polled(source, IngestReport()) is None  # nothing new: no row
    unlinked = desk.store.add_source("https://x.example.org/rss", "Other")
    assert desk.inbox.record_polled(unlinked, got) is None
