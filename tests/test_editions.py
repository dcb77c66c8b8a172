"""The editions desk on a real SQLite database: series and issue numbering, items from stored
articles keeping their own text, desk pieces, a Vietnamese–Chinese issue whose Chinese texts
come from machine translation (a fake LibreTranslate) and count only once approved, the status
workflow's rules (texts before review, approvals before approval, note to go back, published
frozen) with who and when, QA flags per text, and the render model the renderers read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from exchange_helpers import seed, translate
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.models import RawInput
from hoasen.settings import Settings
from translate_fakes import Answer, FakeServer, Request


def _libre(req: Request) -> Answer:
    if req.method == "GET" and req.path == "/languages":
        return Answer(body=[{"code": "vi", "name": "Vietnamese", "targets": ["zh", "en"]}])
    q = (req.body or {}).get("q")
    texts = q if isinstance(q, list) else [q]
    return Answer(body={"translatedText": [f"中文 {t}" for t in texts]})


@pytest.fixture
def engine() -> Iterator[FakeServer]:
    with FakeServer(_libre) as server:
        yield server


@pytest.fixture
def desk(settings: Settings, engine: FakeServer, tmp_path: Path) -> Iterator[Desk]:
    tsettings = replace(
        settings,
        translate_engines=("*=libretranslate",),
        libretranslate_url=engine.url,
        edition_site_dir=str(tmp_path / "site"),
    )
    with Desk(tsettings) as d:
        yield d


def _english(desk: Desk) -> int:
    doc = {
        "title": "Investors visit Van Don",
        "text": "A delegation of investors visited the Van Don economic zone on Monday.",
        "language": "en",
        "url": "https://news.example.com/van-don.html",
    }
    item = RawInput(origin="en.json", data=json.dumps(doc).encode(), fmt="json", url=doc["url"])
    report = desk.ingest(items=[item])
    return report.article_ids[0]


def test_series_and_issue_numbering(desk: Desk) -> None:
    eds = desk.editions
    hoa_sen = eds.add_series("Hoa Sen", "vi,zh", masthead="Hoa Sen · 荷花")
    news = eds.add_series("Investment Newsletter", ["vi", "en"], layout="sequential")
    assert hoa_sen.slug == "hoa-sen" and hoa_sen.languages == ("vi", "zh")
    assert eds.series("hoa-sen").id == eds.series("HOA SEN").id == eds.series(str(hoa_sen.id)).id
    assert [s.name for s in eds.series_list()] == ["Hoa Sen", "Investment Newsletter"]
    with pytest.raises(UsageError, match="already"):
        eds.add_series("hoa sen", "vi,zh")
    with pytest.raises(UsageError, match="two or more"):
        eds.add_series("Mono", "vi")
    with pytest.raises(UsageError, match="layout"):
        eds.add_series("Odd", "vi,zh", layout="zigzag")
    with pytest.raises(NotFoundError):
        eds.series("nope")
    first = eds.new_issue("hoa-sen", "Xuân 2026", "2026-02-01", operator="lan")
    second = eds.new_issue(hoa_sen.id, operator="lan")
    other = eds.new_issue(news, operator="lan")
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert first.issue_date == date(2026, 2, 1) and first.status == "draft"
    assert eds.issue("hoa-sen/2").id == second.id
    assert [i.number for i in eds.issues("hoa-sen")] == [2, 1]
    history = eds.rows.events(first.id)
    assert [(e.who, e.to_status) for e in history] == [("lan", "draft")]


def test_items_keep_the_articles_own_text(desk: Desk) -> None:
    ids = seed(desk, 2)
    english = _english(desk)
    eds = desk.editions
    eds.add_series("Hoa Sen", "vi,zh")
    issue = eds.new_issue("Hoa Sen", operator="lan")
    items, notes = eds.add_items(issue.id, [*ids, english])
    assert len(items) == 3 and [i.position for i in items] == [1, 2, 3]
    assert notes and f"article {english} is in en" in notes[0]
    texts = eds.rows.texts([i.id for i in items])
    article = desk.store.get_article(ids[0])
    vi = texts[items[0].id]["vi"]
    assert (vi.title, vi.body, vi.origin, vi.approved) == (
        article.title,
        article.text,
        "original",
        True,
    )
    assert texts[items[2].id] == {}
    with pytest.raises(NotFoundError):
        eds.add_items(issue.id, [9999])
    # order: move the last first, remove the middle one
    eds.move_item(items[2].id, 1)
    assert [i.id for i in eds.rows.items(issue.id)] == [items[2].id, items[0].id, items[1].id]
    eds.remove_item(items[0].id)
    assert [(i.id, i.position) for i in eds.rows.items(issue.id)] == [
        (items[2].id, 1),
        (items[1].id, 2),
    ]


def _vi_zh_issue(desk: Desk) -> tuple[int, list[int]]:
    ids = seed(desk, 2)
    eds = desk.editions
    eds.add_series("Hoa Sen", "vi,zh", layout="parallel")
    issue = eds.new_issue("Hoa Sen", "Số đặc biệt", operator="lan")
    items, _ = eds.add_items(issue.id, ids)
    piece = eds.add_piece(
        issue.id, {"vi": ("Lời ngỏ", "Kính gửi bạn đọc.\n\nChúc mừng năm mới.")}, "lan"
    )
    return issue.id, [*(i.id for i in items), piece.id]


def test_machine_translations_count_only_once_approved(desk: Desk, engine: FakeServer) -> None:
    issue, items = _vi_zh_issue(desk)
    eds = desk.editions
    with pytest.raises(UsageError, match="no zh text"):
        eds.set_status(issue, "review", "lan")
    notes = eds.translate("zh", "lan", issue=issue)
    assert len(notes) == 3 and "to be approved" in notes[0]
    assert engine.requests, "the fake engine was not asked"
    doc = eds.describe(issue)
    zh = [item["texts"]["zh"] for item in doc["items"]]
    assert all(t["origin"] == "translation" and not t["approved"] for t in zh)
    assert zh[0]["translation_id"] is not None and zh[2]["translation_id"] is None
    assert zh[2]["title"] == "中文 Lời ngỏ" and "中文 Chúc mừng năm mới." in zh[2]["body"]
    record = desk.translation.records.get(zh[0]["translation_id"])
    assert record.status == "draft" and record.article_id == doc["items"][0]["article_id"]
    # every text is there: review is allowed; approval is not, until each zh text is approved
    issue_row, _ = eds.set_status(issue, "review", "lan")
    assert issue_row.status == "review"
    with pytest.raises(UsageError, match="texts still to approve"):
        eds.set_status(issue, "approved", "chief")
    eds.approve_text(items[0], "zh", "chief")
    assert desk.translation.records.get(zh[0]["translation_id"]).status == "approved"
    # a translation approved on the translation desk counts here too
    desk.translation.set_status(zh[1]["translation_id"], "approved", "thu")
    eds.refresh(issue)
    texts = eds.rows.texts(items)
    assert texts[items[1]]["zh"].approved and texts[items[1]]["zh"].approved_by == "thu"
    assert not texts[items[2]]["zh"].approved
    eds.approve_text(items[2], "zh", "chief")
    done, flags = eds.set_status(issue, "approved", "chief")
    assert done.status == "approved"
    assert isinstance(flags, list)


def test_an_approved_translation_is_reused_and_editor_texts_are_approved(desk: Desk) -> None:
    ids = seed(desk, 1)
    made = translate(desk, ids[0], "zh")  # approved by "chief"
    eds = desk.editions
    eds.add_series("Hoa Sen", "vi,zh")
    issue = eds.new_issue("Hoa Sen", operator="lan")
    items, _ = eds.add_items(issue.id, ids)
    notes = eds.translate("zh", "lan", item_id=items[0].id)
    assert f"approved zh translation {made}" in notes[0]
    text = eds.rows.texts([items[0].id])[items[0].id]["zh"]
    assert (text.translation_id, text.approved, text.approved_by) == (made, True, "chief")
    written = eds.set_text(items[0].id, "zh", "标题", "正文第一段。", "thu")
    assert (written.origin, written.approved, written.approved_by) == ("editor", True, "thu")
    with pytest.raises(UsageError, match="not a language"):
        eds.set_text(items[0].id, "en", "T", "B", "thu")


def test_workflow_rules_history_and_frozen_publication(desk: Desk) -> None:
    issue, items = _vi_zh_issue(desk)
    eds = desk.editions
    for item in items:
        eds.set_text(item, "zh", f"标题 {item}", f"正文 {item}。", "thu")
    with pytest.raises(UsageError, match="can go to review"):
        eds.set_status(issue, "approved", "chief")
    eds.set_status(issue, "review", "lan")
    with pytest.raises(UsageError, match="--note"):
        eds.set_status(issue, "draft", "chief")
    eds.set_status(issue, "draft", "chief", note="one more piece")
    eds.set_status(issue, "review", "lan")
    eds.set_status(issue, "approved", "chief")
    with pytest.raises(UsageError, match="back to draft"):
        eds.set_text(items[0], "zh", "x", "y", "thu")
    published = eds.publish(issue, "chief")
    assert published.status == "published" and published.published is not None
    for change in (
        lambda: eds.set_text(items[0], "zh", "x", "y", "thu"),
        lambda: eds.add_items(issue, [1]),
        lambda: eds.remove_item(items[0]),
        lambda: eds.move_item(items[0], 2),
        lambda: eds.approve_text(items[0], "zh", "chief"),
        lambda: eds.translate("zh", "chief", issue=issue),
        lambda: eds.set_status(issue, "draft", "chief", note="oops"),
        lambda: eds.publish(issue, "chief"),
    ):
        with pytest.raises(UsageError, match=r"published|only an approved"):
            change()
    history = [(e.who, e.from_status, e.to_status, e.note) for e in eds.rows.events(issue)]
    assert history == [
        ("lan", "", "draft", ""),
        ("lan", "draft", "review", ""),
        ("chief", "review", "draft", "one more piece"),
        ("lan", "draft", "review", ""),
        ("chief", "review", "approved", ""),
        ("chief", "approved", "published", ""),
    ]
    assert all(e.at is not None for e in eds.rows.events(issue))


def test_empty_issue_cannot_go_to_review(desk: Desk) -> None:
    eds = desk.editions
    eds.add_series("Hoa Sen", "vi,zh")
    issue = eds.new_issue("Hoa Sen", operator="lan")
    with pytest.raises(UsageError, match="no items"):
        eds.set_status(issue.id, "review", "lan")


def test_qa_flags_per_text_and_strict_approval(desk: Desk) -> None:
    eds = desk.editions
    eds.add_series("Newsletter", "vi,en")
    issue = eds.new_issue("Newsletter", operator="lan")
    piece = eds.add_piece(
        issue.id, {"vi": ("Đầu tư", "Vốn đầu tư đạt 2.500 tỷ đồng năm 2025.")}, "lan"
    )
    eds.translate("en", "lan", issue=issue.id)
    # the editor writes a translation that drops the figures: QA flags the numbers
    eds.set_text(piece.id, "en", "Investment", "Investment reached a record.", "thu")
    flags = eds.qa(issue.id)[piece.id]
    assert flags["vi"] == [] and flags["en"], flags
    assert all({"segment", "check", "severity", "message"} <= set(f) for f in flags["en"])
    eds.set_status(issue.id, "review", "lan")
    with pytest.raises(UsageError, match="QA flags remain"):
        eds.set_status(issue.id, "approved", "chief", strict=True)
    done, notes = eds.set_status(issue.id, "approved", "chief")
    assert done.status == "approved" and notes


def test_the_render_model(desk: Desk) -> None:
    issue, items = _vi_zh_issue(desk)
    eds = desk.editions
    eds.translate("zh", "lan", issue=issue)
    edition = eds.edition(issue)
    assert edition.series.name == "Hoa Sen" and edition.languages == ("vi", "zh")
    assert edition.number == 1 and edition.title == "Số đặc biệt" and edition.status == "draft"
    assert [i.id for i in edition.items] == items
    first = edition.items[0]
    assert first.article_id is not None and first.url.startswith("https://")
    vi, zh = first.text("vi"), first.text("zh")
    assert vi is not None and vi.origin == "original" and vi.approved
    assert zh is not None and zh.origin == "translation" and not zh.approved
    assert edition.items[2].article_id is None
    assert edition.items[2].texts["vi"].paragraphs == ["Kính gửi bạn đọc.", "Chúc mừng năm mới."]


def test_render_and_site_when_the_renderers_exist(desk: Desk, tmp_path: Path) -> None:
    render = pytest.importorskip("hoasen.publish.render")
    if not hasattr(render, "render_edition"):
        pytest.skip("the renderers have not landed yet")
    issue, items = _vi_zh_issue(desk)
    eds = desk.editions
    for item in items:
        eds.set_text(item, "zh", f"标题 {item}", f"正文 {item}。", "thu")
    for fmt in ("html", "docx", "epub", "pdf"):
        path = eds.render(issue, fmt, tmp_path / f"issue.{fmt}")
        assert path.stat().st_size > 0, fmt
    eds.set_status(issue, "review", "lan")
    eds.set_status(issue, "approved", "chief")
    eds.publish(issue, "chief", site=True)
    assert any(Path(desk.settings.edition_site_dir).rglob("*.html"))
