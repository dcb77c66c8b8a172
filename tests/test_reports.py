"""Report periods, the report builder and the numbered register, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from hoasen.analyze.embed import E5Embedder
from hoasen.analyze.entities import EntityEngine, default_engines
from hoasen.analyze.pipeline import Pipeline
from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.errors import NotFoundError, UsageError
from hoasen.reports.build import ReportFilters, lead, number_for
from hoasen.reports.period import period_for
from hoasen.settings import Settings
from hoasen.store.db import Store

STORIES = FIXTURES / "analysis" / "stories.jsonl"
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
WEEK = date(2026, 11, 4)  # the week of the fixture's events: Mon 2 - Sun 8 November 2026


# ---------------------------------------------------------------------------------- periods


def test_calendar_periods_in_the_office_time_zone() -> None:
    day = period_for("daily", HCM, on=date(2026, 11, 2))
    assert day.start == datetime(2026, 11, 1, 17, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 2, 17, tzinfo=UTC)
    week = period_for("weekly", HCM, on=date(2026, 11, 4))
    assert (week.first_day, week.last_day) == (date(2026, 11, 2), date(2026, 11, 8))
    month = period_for("monthly", HCM, on=date(2026, 2, 14))
    assert (month.first_day, month.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert month.previous().first_day == date(2026, 1, 4)  # same length, just before
    custom = period_for("weekly", HCM, first=date(2026, 1, 1), last=date(2026, 1, 10))
    assert (custom.end - custom.start).days == 10
    thematic = period_for("thematic", HCM, today=date(2026, 11, 30))
    assert (thematic.first_day, thematic.last_day) == (date(2026, 11, 1), date(2026, 11, 30))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"first": date(2026, 1, 2)}, "both --from and --to"),
        ({"first": date(2026, 1, 5), "last": date(2026, 1, 1)}, "ends"),
        ({"on": date(2026, 1, 1), "first": date(2026, 1, 1), "last": date(2026, 1, 2)}, "either"),
    ],
)
def test_bad_periods(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        period_for("weekly", HCM, **kwargs)


def test_number_pattern_and_lead() -> None:
    assert number_for("{seq}/BC-TTTT-{code}", "weekly", 2026, 37) == "37/BC-TTTT-T"
    assert number_for("{year}-{kind}-{seq:03d}", "daily", 2026, 7) == "2026-daily-007"
    with pytest.raises(UsageError, match="report_number_pattern"):
        number_for("{nope}", "daily", 2026, 1)
    assert lead("One. Two three. Four.", 16) == "One. Two three."
    assert lead("x" * 50, 10).endswith("…")


# ---------------------------------------------------------------------------------- building


@pytest.fixture(scope="module")
def models() -> tuple[dict[str, EntityEngine], E5Embedder]:
    """Entity engines and the embedder, loaded once for the module."""
    return default_engines(), E5Embedder()


@pytest.fixture
def desk(
    store: Store, settings: Settings, models: tuple[dict[str, EntityEngine], E5Embedder]
) -> Iterator[Desk]:
    """The story fixture ingested and analysed, plus an exact copy (a duplicate) of one."""
    engines, embedder = models
    with Desk(replace(settings, analyze_on_ingest=True), store=store) as d:
        d.__dict__["pipeline"] = Pipeline(store, d.settings, embedder=embedder, engines=engines)
        report = d.ingest([STORIES])
        assert report.analyzed == 5
        yield d


def _ingest_copy(desk: Desk, tmp_path: Path) -> None:
    """The English delegation report again, from another address: a duplicate."""
    line = json.loads(STORIES.read_text(encoding="utf-8").splitlines()[1])
    line["url"] = "https://mirror.example.com/copy"
    copy = tmp_path / "copy.jsonl"
    copy.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    assert desk.ingest([copy]).duplicates == 1


def test_weekly_report_counts_and_register(desk: Desk, tmp_path: Path) -> None:
    _ingest_copy(desk, tmp_path)
    made = desk.reports.make("weekly", on=WEEK, generated_by="tester")
    doc = made.document
    assert made.entry.number == "1/BC-TTTT-T" and doc["number"] == "1/BC-TTTT-T"
    assert doc["period"]["from"] == "2026-11-02" and doc["period"]["to"] == "2026-11-08"
    assert doc["totals"]["articles"] == 5  # the duplicate is not counted
    assert doc["by_language"] == {"vi": 2, "en": 2, "zh": 1}
    assert sum(doc["by_country"].values()) == 5 == sum(doc["by_origin"].values())
    assert doc["by_country"]["CN"] == 1 and doc["by_origin"]["domestic"] == 3
    assert doc["by_origin"]["unknown"] == 1  # e.vnexpress.net: a .net address says nothing
    assert doc["change"]["articles"] == {"current": 5, "previous": 0, "delta": 5, "percent": None}
    assert sum(v["articles"] for v in doc["volume"]) == 5 and len(doc["volume"]) == 7
    assert [a["id"] for a in doc["articles"]] == sorted(
        (a["id"] for a in doc["articles"]), key=lambda i: next(
            x["published"] for x in doc["articles"] if x["id"] == i)
    )  # fmt: skip
    stories = {len(s["articles"]): s for s in doc["top_stories"]}
    assert set(stories) == {3, 2}
    assert stories[3]["title"].startswith("Quảng Ninh") and stories[3]["summary"]
    assert stories[3]["rank"]["languages"] == 3 and "3 ngôn ngữ" in stories[3]["why"]
    assert stories[3]["id"] in {s["id"] for s in doc["spikes"]}
    top = {e["id"]: e for e in doc["entities"]}
    assert top["vn.quang-ninh"]["articles"] == 5 and top["vn.quang-ninh"]["name"] == "Quảng Ninh"
    assert {(f["value"], f["unit"]) for f in doc["figures"]} >= {(4_200_000_000, "USD")}
    assert doc["generated_by"] == "tester"

    second = desk.reports.make("weekly", on=WEEK, language="en")
    assert second.entry.number == "2/BC-TTTT-T"
    assert desk.reports.make("daily", on=date(2026, 11, 2)).entry.number == "1/BC-TTTT-N"
    numbers = [e.number for e in desk.reports.register.entries()]
    assert sorted(numbers) == ["1/BC-TTTT-N", "1/BC-TTTT-T", "2/BC-TTTT-T"]
    stored = desk.reports.register.get("1/BC-TTTT-T")
    assert stored.document == doc
    assert sorted(stored.article_ids) == sorted(a["id"] for a in doc["articles"])
    # rebuilt from the stored parameters and article set: identical
    assert desk.reports.rebuild("1/BC-TTTT-T") == doc
    assert json.loads(desk.reports.file("1/BC-TTTT-T", "json")) == doc
    assert "json" in desk.reports.register.get("1/BC-TTTT-T").entry.formats
    with pytest.raises(NotFoundError):
        desk.reports.register.get("99/XX")


def test_undated_article_is_filed_when_first_seen_and_marked_estimated(
    desk: Desk, tmp_path: Path
) -> None:
    """No date anywhere (only "năm 2025" in the text): not 1 January, but the day it was first
    seen, and the report says the date is an estimate."""
    item = {"title": "Quảng Ninh thu hút đầu tư", "text": "Trong năm 2025, tỉnh thu hút 5 dự án."}
    undated = tmp_path / "undated.json"
    undated.write_text(json.dumps(item, ensure_ascii=False), encoding="utf-8")
    (new_id,) = desk.ingest([undated]).article_ids
    article = desk.store.get_article(new_id)
    assert article.published is not None and article.published.year == datetime.now(UTC).year
    doc = desk.reports.make("daily").document
    marks = {a["id"]: a["date_estimated"] for a in doc["articles"]}
    assert marks == {new_id: True}
    week = desk.reports.make("weekly", on=WEEK).document
    assert not any(a["date_estimated"] for a in week["articles"])  # the fixture's dates
    html = desk.reports.file(desk.reports.make("daily").entry.number, "html")
    assert "(ước tính)" in (html if isinstance(html, str) else html.decode())


def test_filters_empty_period_and_one_article(desk: Desk) -> None:
    empty = desk.reports.make("daily", on=date(2026, 10, 1)).document
    assert empty["totals"]["articles"] == 0 and empty["top_stories"] == []
    assert empty["articles"] == [] and empty["entities"] == []
    one = desk.reports.make("weekly", on=WEEK, filters=ReportFilters(languages=("zh",)))
    assert [a["language"] for a in one.document["articles"]] == ["zh"]
    assert one.document["parameters"]["languages"] == ["zh"]
    tourism = desk.reports.make(
        "thematic",
        first=date(2026, 11, 1),
        last=date(2026, 11, 30),
        filters=ReportFilters(entities=("Hokkaido",)),
        title="Hokkaido",
    )
    assert tourism.entry.number == "1/BC-TTTT-CD"
    assert {a["title"][:3] for a in tourism.document["articles"]} == {"Lễ ", "Hok"}
    by_query = desk.reports.make(
        "thematic",
        first=date(2026, 11, 1),
        last=date(2026, 11, 30),
        filters=ReportFilters(query="Guangxi"),
    )
    assert by_query.document["totals"]["articles"] == 3  # "Quảng Tây", "Guangxi", "广西"
    with pytest.raises(UsageError, match="unknown topic"):
        desk.reports.make("weekly", filters=ReportFilters(topics=("sport",)))
    with pytest.raises(UsageError, match="unknown entity"):
        desk.reports.make("weekly", filters=ReportFilters(entities=("Atlantis",)))
    with pytest.raises(UsageError, match="vi or en"):
        desk.reports.make("weekly", language="fr")


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # the core is tested on both
def test_report_cli(desk: Desk, tmp_path: Path) -> None:
    env = {"HOASEN_CONFIG": str(tmp_path / "absent.toml"), "HOASEN_ANALYZE_ON_INGEST": "false"}
    url = desk.settings.database_url
    runner = CliRunner()
    made = runner.invoke(
        app, ["--db", url, "report", "weekly", "--date", "2026-11-04", "--format", "json"], env=env
    )
    assert made.exit_code == 0, made.output
    doc = json.loads(made.stdout)
    assert set(doc) >= {
        "number", "kind", "period", "totals", "change", "by_language", "by_country", "by_topic",
        "top_stories", "entities", "figures", "spikes", "articles",
    }  # fmt: skip
    assert doc["totals"]["articles"] == 5
    listed = runner.invoke(app, ["--db", url, "reports", "--json"], env=env)
    assert [r["number"] for r in json.loads(listed.stdout)] == [doc["number"]]
    shown = runner.invoke(app, ["--db", url, "report", "show", doc["number"], "--format", "json"])
    assert json.loads(shown.stdout) == doc
    missing = runner.invoke(app, ["--db", url, "report", "show", "77/X"], env=env)
    assert missing.exit_code == 3 and "no report numbered" in missing.stderr
    bad = runner.invoke(app, ["--db", url, "report", "weekly", "--topic", "nope"], env=env)
    assert bad.exit_code == 2 and "unknown topic" in bad.stderr


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # rendering needs no second backend
def test_every_format_shows_the_same_articles(desk: Desk, tmp_path: Path) -> None:
    """The same report in every format: every article once, the duplicate nowhere, and the
    same counts (all rendered from the one stored document)."""
    import io
    import re

    import docx
    import pypdf

    _ingest_copy(desk, tmp_path)
    made = desk.reports.make("weekly", on=WEEK, language="en")
    number = made.entry.number
    texts = {
        "html": re.sub(r"<[^>]+>", " ", desk.reports.file(number, "html").decode()),
        "md": desk.reports.file(number, "md").decode(),
        "docx": "\n".join(
            [
                p.text
                for p in docx.Document(io.BytesIO(desk.reports.file(number, "docx"))).paragraphs
            ]
            + [
                c.text
                for t in docx.Document(io.BytesIO(desk.reports.file(number, "docx"))).tables
                for r in t.rows
                for c in r.cells
            ]
        ),
        "pdf": "\n".join(
            p.extract_text()
            for p in pypdf.PdfReader(io.BytesIO(desk.reports.file(number, "pdf"))).pages
        ),
    }
    doc = made.document
    urls = [a["url"] for a in doc["articles"]]
    for fmt, text in texts.items():
        assert "mirror.example.com" not in text, fmt  # the duplicate is not in the report
        if fmt != "pdf":  # PDF text extraction spaces some glyphs; titles are checked below
            for url in urls:
                assert url in text, (fmt, url)
        assert "Hokkaido festival opens in Ha Long" in " ".join(text.split()), fmt
    for fmt in ("html", "md", "docx"):
        assert "Chinese" in texts[fmt] and "Vietnamese" in texts[fmt], fmt


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_pdf_text_keeps_vietnamese_and_chinese(desk: Desk, tmp_path: Path) -> None:
    """What `pdftotext` (poppler) reads back from the PDF: diacritics and Han characters intact."""
    import shutil
    import subprocess

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    made = desk.reports.make("weekly", on=WEEK)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(desk.reports.file(made.entry.number, "pdf"))
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    for expected in ("Quảng Ninh", "Hạ Long", "Lễ hội Hokkaido", "越南广宁省会见广西代表团"):
        assert expected in flat, expected
    assert made.entry.number in flat
