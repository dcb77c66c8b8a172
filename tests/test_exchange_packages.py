"""Exchange packages end to end on a real database: every format's files validate (ninjs
against IPTC's schemas, NewsML-G2 against the XSD), languages and machine translations waiting
for approval, the approval gate, sending through the folder transport exactly once, retries
and failures in the ledger, the scheduler's run_due, statistics and the monthly report."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from lxml import etree

from exchange_helpers import (
    NOW,
    PARTNER,
    Flaky,
    exchange_settings,
    partner,
    seed,
    tag,
    translate,
    use_transports,
)
from hoasen.desk import Desk
from hoasen.errors import UsageError
from hoasen.exchange import validate_newsml, validate_ninjs
from hoasen.exchange.plans import OUT_FORMATS
from hoasen.reports import render
from hoasen.settings import Settings
from hoasen.store.exchange import PlanRow
from hoasen.store.ledger import LedgerStore
from translate_fakes import Answer, FakeServer, Request


@pytest.fixture
def desk(settings: Settings, tmp_path: Path) -> Iterator[Desk]:
    with Desk(exchange_settings(settings, tmp_path)) as d:
        d.exchange.planning.clock = lambda: NOW  # the articles are dated around NOW
        partner(d)
        yield d


def _plan(desk: Desk, out: Path, **values: object) -> PlanRow:
    args: dict[str, object] = {
        "name": "gx",
        "selection": {"since_days": 30},
        "transport": "folder",
        "config": {"path": str(out)},
        **values,
    }
    return desk.exchange.planning.add_plan(PARTNER, **args)  # type: ignore[arg-type]


def _manifest(desk: Desk, package_id: int) -> Any:
    files = {f.name: f for f in desk.exchange.planning.rows.files(package_id)}
    return json.loads(files["manifest.json"].data)


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize("fmt", OUT_FORMATS)
def test_every_format_validates(desk: Desk, tmp_path: Path, fmt: str) -> None:
    ids = seed(desk, 3)
    tag(desk, ids[0], topic="tourism", entity="cn.guangxi")
    translate(desk, ids[0], "zh")
    plan = _plan(desk, tmp_path / "out", languages=["original", "zh"], fmt=fmt)
    result = desk.exchange.planning.build(plan, "lan", now=NOW)
    package = result.package
    assert package is not None and package.status == "built", result.notes
    assert "article 2 has no approved zh translation" in result.notes
    files = {f.name: f.data for f in desk.exchange.planning.rows.files(package.id)}
    names = list(files)
    assert names[-1] == "manifest.json"  # written last: a reader seeing it has every file
    manifest = _manifest(desk, package.id)
    items = manifest["items"]
    assert [(i["article_id"], i["language"]) for i in items] == [
        (ids[0], "vi"),
        (ids[0], "zh"),
        (ids[1], "vi"),
        (ids[2], "vi"),
    ]
    assert all(i["file"] in files for i in items)
    listed = {f["name"]: f["bytes"] for f in manifest["files"]}
    assert listed == {n: len(d) for n, d in files.items() if n != "manifest.json"}
    headline = desk.store.get_article(ids[0]).title
    zh_title = f"[zh] {headline}"
    if fmt in ("ninjs", "ninjs2"):
        version = "3.0" if fmt == "ninjs" else "2.2"
        assert len(names) == 4
        for name in names[:-1]:
            validate_ninjs(json.loads(files[name]), version)
        first = json.loads(files[f"{ids[0]}-vi.json"])
        assert first["associations"][0]["headlines"][0]["value"] == zh_title
        assert first["language"] == "vi" and first["subjects"][0]["literal"] == "tourism"
    elif fmt == "newsml":
        for name in names[:-1]:
            validate_newsml(files[name])
        assert b"newsMessage" in files[f"{ids[0]}-vi.xml"]  # with its translation
        assert b"newsItem" in files[f"{ids[1]}-vi.xml"]
    elif fmt == "newsml-package":
        assert names == ["package.xml", "manifest.json"]
        validate_newsml(files["package.xml"])
        tree = etree.fromstring(files["package.xml"])
        nar = "{http://iptc.org/std/nar/2006-10-01/}"
        assert len(tree.findall(f".//{nar}packageItem")) == 1
        assert len(tree.findall(f".//{nar}newsItem")) == 4
        assert tree.find(f".//{nar}transmitId").text == "guangxi-daily-media-group-00001"
    elif fmt == "atom":
        feed = etree.fromstring(files["feed.atom"])
        assert len(feed.findall("{http://www.w3.org/2005/Atom}entry")) == 4
    elif fmt == "jsonfeed":
        doc = json.loads(files["feed.json"])
        assert [i["language"] for i in doc["items"]] == ["vi", "zh", "vi", "vi"]
    elif fmt == "html":
        page = files["digest.html"].decode("utf-8")
        assert page.count("<article") == 4 and zh_title in page and headline in page
        assert "<script" not in page and "src=" not in page and "<link" not in page
        assert "Báo Quảng Ninh" in page and "Chinese" in page
    else:
        word = Document(io.BytesIO(files["digest.docx"]))
        text = "\n".join(p.text for p in word.paragraphs)
        assert headline in text and zh_title in text and "Báo Quảng Ninh" in text
        assert "translated from Vietnamese" in text


def test_untrusted_text_is_escaped_in_the_digest(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 1)
    from sqlalchemy import update

    from hoasen.store import schema

    with desk.store.begin() as conn:
        conn.execute(
            update(schema.articles)
            .where(schema.articles.c.id == ids[0])
            .values(title='<script>alert("x")</script> & co')
        )
    plan = _plan(desk, tmp_path, fmt="html")
    package = desk.exchange.planning.build(plan, "lan", now=NOW).package
    assert package is not None
    page = desk.exchange.planning.rows.files(package.id)[0].data.decode()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_translations_alone_when_the_original_is_not_wanted(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 2)
    translate(desk, ids[1], "zh")
    translate(desk, ids[0], "zh", approve=False)  # a draft is never sent
    plan = _plan(desk, tmp_path, languages=["zh"])
    result = desk.exchange.planning.build(plan, "lan", now=NOW)
    assert result.package is not None
    items = desk.exchange.planning.rows.items(result.package.id)
    assert [(i.article_id, i.language) for i in items] == [(ids[1], "zh")]
    doc = json.loads(desk.exchange.planning.rows.files(result.package.id)[0].data)
    validate_ninjs(doc, "3.0")
    assert doc["language"] == "zh" and doc["uri"].endswith(":zh")
    assert "article 1 has no approved zh translation" in result.notes


# ---------------------------------------------------------------- machine translation


def _libre(req: Request) -> Answer:
    if req.method == "GET" and req.path == "/languages":
        return Answer(body=[{"code": "vi", "name": "Vietnamese", "targets": ["en"]}])
    q = (req.body or {}).get("q")
    texts = q if isinstance(q, list) else [q]
    return Answer(body={"translatedText": [f"EN: {t}" for t in texts]})


def test_machine_translations_wait_for_an_editor(settings: Settings, tmp_path: Path) -> None:
    with FakeServer(_libre) as engine:
        tsettings = replace(
            exchange_settings(settings, tmp_path),
            translate_engines=("*=libretranslate",),
            libretranslate_url=engine.url,
        )
        with Desk(tsettings) as desk:
            desk.exchange.planning.clock = lambda: NOW
            partner(desk)
            ids = seed(desk, 2)
            plan = _plan(
                desk,
                tmp_path / "out",
                languages=["original", "en"],
                machine_translate=True,
                automatic=True,
            )
            planning, outbox = desk.exchange.planning, desk.exchange.outbox
            result = planning.build(plan, "lan", now=NOW)
            package = result.package
            assert package is not None and package.status == "waiting"
            assert "waiting for an editor to approve machine translations" in result.notes[-1]
            waiting = planning.waiting_for(package)
            assert {(w.article_id, w.language, w.status) for w in waiting} == {
                (ids[0], "en", "draft"),
                (ids[1], "en", "draft"),
            }
            # Nothing unapproved is in the files, and nothing is sent, automatic or not.
            for f in planning.rows.files(package.id):
                assert b"EN: " not in f.data
            with pytest.raises(UsageError, match="waiting for an editor"):
                outbox.send(package.id, "lan")
            assert outbox.send(plan.name, "lan").status == "waiting"
            with pytest.raises(UsageError, match="cannot be approved yet"):
                planning.approve(package.id, "chief")
            assert not (tmp_path / "out").exists()
            # Built again, the package reuses the drafts rather than translating again.
            calls = len(engine.requests)
            planning.cancel(package.id, "lan")
            package = planning.build(plan, "lan", now=NOW).package
            assert package is not None and package.status == "waiting"
            assert planning.waiting_for(package) == waiting
            assert len(engine.requests) == calls
            # Once an editor approved them, the package is rebuilt with them and may go.
            for w in waiting:
                desk.translation.set_status(w.translation_id, "approved", "chief")
            sent = outbox.send(plan.name, "lan")
            assert sent.status == "sent", sent.message
            assert sent.package is not None and sent.package.id == package.id
            files = {f.name: f.data for f in planning.rows.files(package.id)}
            doc = json.loads(files[f"{ids[0]}-vi.json"])
            assert doc["associations"][0]["language"] == "en"
            assert doc["associations"][0]["headlines"][0]["value"].startswith("EN: ")
            validate_ninjs(doc, "3.0")


# ---------------------------------------------------------------- approval and sending


def test_unapproved_packages_are_never_sent(desk: Desk, tmp_path: Path) -> None:
    seed(desk, 2)
    out = tmp_path / "out"
    plan = _plan(desk, out)
    planning, outbox = desk.exchange.planning, desk.exchange.outbox
    held = outbox.send("gx", "lan")
    assert held.status == "needs-approval" and held.package is not None
    assert "hoasen exchange approve" in held.message
    # Asking again neither builds another package nor sends the one waiting.
    assert outbox.send("gx", "lan").package.id == held.package.id  # type: ignore[union-attr]
    with pytest.raises(UsageError, match="needs an editor's approval"):
        outbox.send(held.package.id, "lan")
    assert not out.exists() and planning.queue.for_ref(f"package:{held.package.id}") == []
    with pytest.raises(UsageError, match="editor's name"):
        planning.approve(held.package.id, " ")
    approved = planning.approve(held.package.id, "chief", now=NOW)
    assert approved.approved_by == "chief" and approved.approved == NOW
    assert planning.approve(held.package.id, "chief").status == "approved"
    result = outbox.send("gx", "lan")  # the plan sends its approved package
    assert result.status == "sent" and result.package is not None
    assert result.package.id == held.package.id
    with pytest.raises(UsageError, match="no longer be cancelled"):
        planning.cancel(held.package.id)
    assert plan.automatic is False


def test_automatic_plan_sends_without_approval(desk: Desk, tmp_path: Path) -> None:
    seed(desk, 2)
    _plan(desk, tmp_path / "out", automatic=True)
    result = desk.exchange.outbox.send("gx", "robot")
    assert result.status == "sent" and result.build is not None
    assert result.package is not None and result.package.approved_by == ""
    assert (tmp_path / "out" / "guangxi-daily-media-group-00001" / "manifest.json").is_file()


def test_folder_end_to_end_exactly_once(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 4)
    translate(desk, ids[0], "zh")
    out = tmp_path / "partner-share"
    plan = _plan(desk, out, languages=["original", "zh"], selection={"since_days": 30, "max": 3})
    planning, outbox = desk.exchange.planning, desk.exchange.outbox
    package = planning.build(plan, "lan", now=NOW).package
    assert package is not None
    planning.approve(package.id, "chief")
    result = outbox.send(package.id, "lan")
    assert result.status == "sent", result.message
    folder = out / "guangxi-daily-media-group-00001"
    written = sorted(p.name for p in folder.iterdir())
    stored = planning.rows.files(package.id)
    assert written == sorted(f.name for f in stored)
    for f in stored:
        assert (folder / f.name).read_bytes() == f.data
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert [i["article_id"] for i in manifest["items"]] == [ids[0], ids[0], ids[1], ids[2]]
    # The ledger: one sent entry with the items, attempts, bytes and checksum.
    entry = result.ledger
    assert entry is not None and entry.status == "sent" and entry.direction == "sent"
    assert [tuple(i[::2]) for i in entry.items] == [
        (ids[0], "vi"),
        (ids[0], "zh"),
        (ids[1], "vi"),
        (ids[2], "vi"),
    ]
    assert entry.items[0][1] == desk.store.get_article(ids[0]).content_hash
    assert entry.n_items == 4 and set(entry.languages) == {"vi", "zh"}
    assert entry.attempts == 1 and entry.sequence == 1 and entry.operator == "lan"
    assert entry.bytes == sum(len(f.data) for f in stored) and entry.checksum.startswith("sha256:")
    assert entry.delivery_id == result.delivery.id  # type: ignore[union-attr]
    # A second send of the same package sends nothing new.
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    again = outbox.send(package.id, "lan")
    assert again.status == "already-sent" and "nothing is sent again" in again.message
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before
    assert len(planning.queue.for_ref(f"package:{package.id}")) == 1
    assert len(LedgerStore(desk.store).entries(direction="sent")) == 1
    # The payload headers let the partner recognise the package.
    payload = outbox.payload(package.id)
    assert payload.headers["Idempotency-Key"] == f"hoasen-package-{package.id}"
    assert payload.headers["X-Hoasen-Sequence"] == "1"
    assert payload.headers["X-Hoasen-Partner"] == "guangxi-daily-media-group"
    assert payload.folder == "guangxi-daily-media-group-00001" and "package 1" in payload.subject
    # The next package leaves the sent versions out and counts on.
    nxt = planning.build(plan, "lan", now=NOW)
    assert nxt.package is not None and nxt.package.sequence == 2
    assert [i.article_id for i in planning.rows.items(nxt.package.id)] == [ids[3]]


def test_transient_failures_are_retried_into_one_delivery(desk: Desk, tmp_path: Path) -> None:
    flaky = Flaky(failures=2)
    queue = use_transports(desk, flaky=flaky)
    seed(desk, 2)
    plan = _plan(desk, tmp_path, transport="flaky", config={"to": "gx"}, automatic=True)
    result = desk.exchange.outbox.send(plan.name, "lan")
    assert result.status == "sent", result.message
    assert result.package is not None
    deliveries = queue.for_ref(f"package:{result.package.id}")
    assert len(deliveries) == 1 and deliveries[0].attempts == 3
    attempts = queue.attempts(deliveries[0].id)
    assert [a.ok for a in attempts] == [False, False, True]
    assert "503" in attempts[0].error
    entries = LedgerStore(desk.store).entries(direction="sent")
    assert len(entries) == 1 and entries[0].status == "sent" and entries[0].attempts == 3
    assert len(flaky.received) == 1
    assert flaky.received[0].headers["Idempotency-Key"] == f"hoasen-package-{result.package.id}"


def test_without_waiting_one_attempt_now_and_the_rest_by_run_due(
    desk: Desk, tmp_path: Path
) -> None:
    """The web desk's send: one attempt, then the scheduler's run_due finishes the delivery."""
    flaky = Flaky(failures=1)
    queue = use_transports(desk, flaky=flaky)
    seed(desk, 2)
    plan = _plan(desk, tmp_path, transport="flaky", config={"to": "gx"}, automatic=True)
    first = desk.exchange.outbox.send(plan.name, "lan", wait=False)
    assert first.status == "in-progress" and "queued" in first.message, first.message
    assert first.package is not None and flaky.calls == 1 and not flaky.received
    assert LedgerStore(desk.store).entries(direction="sent") == []
    desk.exchange.outbox.run_due()
    package = desk.exchange.planning.package(first.package.id)
    assert package.status == "sent" and len(flaky.received) == 1
    [delivery] = queue.for_ref(f"package:{package.id}")
    assert delivery.attempts == 2
    [entry] = LedgerStore(desk.store).entries(direction="sent")
    assert entry.status == "sent" and entry.attempts == 2


def test_a_delivery_that_always_fails(desk: Desk, tmp_path: Path) -> None:
    flaky = Flaky(failures=100)
    use_transports(desk, flaky=flaky)
    ids = seed(desk, 2)
    plan = _plan(desk, tmp_path, transport="flaky", config={"to": "gx"}, automatic=True)
    outbox, planning = desk.exchange.outbox, desk.exchange.planning
    result = outbox.send(plan.name, "lan")
    assert result.status == "failed" and result.package is not None
    assert result.package.status == "failed"
    assert "503" in result.package.error and "gave up after 5 attempts" in result.package.error
    entry = LedgerStore(desk.store).for_package(result.package.id)
    assert entry is not None and entry.status == "failed" and entry.attempts == 5
    assert "gave up after 5 attempts" in entry.error
    assert planning.rows.sent_versions(result.package.partner_id) == set()
    assert outbox.stats() == []  # nothing counts as exchanged
    # Retried once the partner is back: the same delivery, the same ledger entry, now sent.
    flaky.failures = 0
    again = outbox.send(result.package.id, "lan")
    assert again.status == "sent" and again.delivery is not None
    assert again.delivery.id == result.delivery.id  # type: ignore[union-attr]
    entries = LedgerStore(desk.store).entries(direction="sent")
    assert len(entries) == 1 and entries[0].status == "sent" and entries[0].attempts == 6
    assert {(a, v) for a, v, _l in entries[0].items} == planning.rows.sent_versions(
        result.package.partner_id
    )
    assert {a for a, _v, _l in entries[0].items} == set(ids)


def test_a_failed_package_whose_articles_went_since_is_not_retried(
    desk: Desk, tmp_path: Path
) -> None:
    flaky = Flaky(failures=1, final=True)  # a final error: no retry at all
    use_transports(desk, flaky=flaky)
    seed(desk, 1)
    plan = _plan(desk, tmp_path, transport="flaky", config={"to": "gx"}, automatic=True)
    outbox = desk.exchange.outbox
    failed = outbox.send(plan.name, "lan")
    assert failed.status == "failed" and failed.delivery is not None
    assert failed.delivery.attempts == 1
    later = outbox.send(plan.name, "lan")  # its article is free again: a new package takes it
    assert later.status == "sent" and later.package is not None and later.package.sequence == 2
    assert failed.package is not None
    with pytest.raises(UsageError, match="went in a later package"):
        outbox.send(failed.package.id, "lan")
    assert desk.exchange.planning.cancel(failed.package.id, "lan").status == "cancelled"


def test_run_due_builds_and_sends_what_is_due(desk: Desk, tmp_path: Path) -> None:
    seed(desk, 3)
    planning, outbox = desk.exchange.planning, desk.exchange.outbox
    auto = _plan(
        desk, tmp_path / "auto", name="auto", schedule="every day at 09:00", automatic=True
    )
    manual = planning.add_plan(
        "guangxi-daily-media-group",
        name="manual",
        schedule="every day at 09:00",
        selection={"since_days": 30},
        config={"path": str(tmp_path / "manual")},
    )
    assert auto.next_due is not None
    assert outbox.run_due(now=auto.next_due - timedelta(minutes=1)) == []
    when = auto.next_due + timedelta(minutes=5)
    runs = {r.plan: r for r in outbox.run_due(now=when)}
    assert set(runs) == {"auto", "manual"} and not runs["auto"].error
    assert runs["auto"].result is not None and runs["auto"].result.status == "sent"
    assert runs["manual"].result is not None
    assert runs["manual"].result.status in ("needs-approval", "nothing")
    assert planning.plan("auto").next_due == auto.next_due + timedelta(days=1)
    assert planning.plan("auto").last_run == when
    assert outbox.run_due(now=when) == []  # already run: the next is tomorrow
    assert manual.next_due is not None


def test_sequences_are_per_partner(desk: Desk, tmp_path: Path) -> None:
    seed(desk, 2)
    desk.partners.add_partner("Guangxi Radio and Television")
    planning = desk.exchange.planning
    a = _plan(desk, tmp_path, selection={"since_days": 30, "max": 1})
    b = planning.add_plan(
        "Guangxi Radio and Television",
        name="tv",
        selection={"since_days": 30},
        config={"path": str(tmp_path)},
    )
    first = planning.build(a, "lan", now=NOW).package
    second = planning.build(a, "lan", now=NOW).package
    other = planning.build(b, "lan", now=NOW).package
    assert first and second and other
    assert (first.sequence, second.sequence, other.sequence) == (1, 2, 1)


# ---------------------------------------------------------------- statistics and reports


def test_stats_and_the_monthly_report(desk: Desk, tmp_path: Path) -> None:
    ids = seed(desk, 3)
    tag(desk, ids[0], topic="tourism")
    tag(desk, ids[1], topic="economy")
    translate(desk, ids[0], "zh")
    _plan(desk, tmp_path, languages=["original", "zh"], automatic=True)
    sent = desk.exchange.outbox.send("gx", "lan")
    assert sent.status == "sent" and sent.package is not None
    LedgerStore(desk.store).record(
        {
            "direction": "received",
            "partner_id": sent.package.partner_id,
            "format": "ninjs",
            "transport": "inbox",
            "items": [[ids[2], "h", "zh"]],
            "languages": ["zh"],
            "status": "received",
        }
    )
    (out_stats, in_stats) = desk.exchange.outbox.stats()
    assert out_stats.direction == "sent" and out_stats.partner == "guangxi-daily-media-group"
    assert (out_stats.packages, out_stats.items, out_stats.articles) == (1, 4, 3)
    assert out_stats.by_language == {"vi": 3, "zh": 1}
    assert out_stats.by_topic == {"economy": 1, "tourism": 1}
    assert in_stats.direction == "received" and in_stats.by_language == {"zh": 1}
    assert desk.exchange.outbox.stats(until=NOW - timedelta(days=3650)) == []
    assert [e.direction for e in desk.exchange.outbox.ledger(PARTNER)] == ["received", "sent"]
    assert len(desk.exchange.outbox.ledger(direction="received")) == 1
    with pytest.raises(UsageError, match="sent or received"):
        desk.exchange.outbox.ledger(direction="out")
    # The monthly report of this month has an "Exchange with partners" section.
    today = datetime.now(ZoneInfo(desk.settings.office_timezone)).date()
    for lang, title in (("vi", "Trao đổi tin với đối tác"), ("en", "Exchange with partners")):
        made = desk.reports.make("monthly", on=today, language=lang, generated_by="test")
        section = made.document["exchange"]["partners"][0]
        assert section["sent"]["items"] == 4 and section["received"]["items"] == 1
        html = render(made.document, "html").decode("utf-8")
        assert title in html
        md = render(made.document, "md").decode("utf-8")
        assert f"## {title}" in md
        assert title in "\n".join(
            p.text for p in Document(io.BytesIO(render(made.document, "docx"))).paragraphs
        )
    weekly = desk.reports.make("weekly", on=today, generated_by="test")
    assert "exchange" not in weekly.document
