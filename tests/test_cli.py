"""End-to-end checks of the CLI contract on real databases (SQLite file and PostgreSQL)."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import FIXTURES
from hoasen.cli import app
from transport_server import LoopbackServer, Reply

INGEST = FIXTURES / "ingest"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """Environment for CLI runs: loopback allowed, no politeness delay, short timeouts."""
    return {
        "HOASEN_CONFIG": str(tmp_path / "absent.toml"),
        "HOASEN_HTTP_ALLOW_PRIVATE": "true",
        "HOASEN_HTTP_HOST_DELAY": "0",
        "HOASEN_HTTP_TIMEOUT": "1.5",
        "HOASEN_ANALYZE_ON_INGEST": "false",  # tests/test_cli_understand.py covers analysis
    }


def run(args: list[str], env: dict[str, str], code: int = 0) -> Any:
    """Run the CLI; check the exit code; return parsed JSON when --json was given."""
    result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
    assert result.exit_code == code, result.output
    if "--json" in args:
        return json.loads(result.stdout)
    return result


def corpus(tmp_path: Path) -> Path:
    """The ingest fixtures plus broken files: empty, binary, truncated gzip, unsupported."""
    folder = tmp_path / "in"
    shutil.copytree(INGEST, folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "photo.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    good = gzip.compress((INGEST / "dulich_vi.txt").read_bytes())
    (folder / "cut.txt.gz").write_bytes(good[: len(good) // 2])
    return folder


def by_title(db: str, env: dict[str, str], *extra: str) -> dict[str, dict[str, Any]]:
    rows = run(["--db", db, "articles", "--json", "--limit", "100", *extra], env)
    return {r["title"]: r for r in rows}


def test_ingest_files_clean_detect_and_report_errors(
    db: str, env: dict[str, str], tmp_path: Path
) -> None:
    folder = corpus(tmp_path)
    report = run(["--db", db, "ingest", str(folder), "--json"], env)
    assert report["ingested"] == 6, report
    assert report["duplicates"] == 0
    failed = {Path(e["input"].split("#")[0]).name: e["reason"] for e in report["errors"]}
    assert set(failed) == {"empty.txt", "photo.html", "cut.txt.gz", "exchange.jsonl"}, failed
    assert all(reason.strip() for reason in failed.values())

    articles = by_title(db, env)
    en = next(a for t, a in articles.items() if t.startswith("Quang Ninh and Guangxi"))
    assert en["language"] == "en"
    assert en["source_url"].startswith("https://baoquangninh.vn/quang-ninh-guangxi")
    assert en["published"].startswith("2026-11-14")
    sv = next(a for a in articles.values() if a["language"] == "sv")
    assert sv["source_url"].startswith("https://mic.gov.vn/")
    zh = next(a for a in articles.values() if a["language"] == "zh")
    assert "广西" in zh["title"]
    assert {a["language"] for a in articles.values()} >= {"en", "sv", "vi", "zh", "ja"}

    # The full text of every article is free of the aggregator junk.
    junk = ("PREV", "NEXT", "Comment (0)", "Kommentar (0)", "[annons_2]", "Tags:", "Lượt xem")
    for article_id in (en["id"], sv["id"]):
        text = _article_text(db, article_id)
        for bit in (*junk, "Källa:", "Source:", "Investment News"):
            assert bit not in text, (bit, text)

    again = run(["--db", db, "ingest", str(folder), "--json"], env)
    assert again["ingested"] == 0 and again["duplicates"] == 0
    assert again["skipped"] == 6


def _article_text(db: str, article_id: int) -> str:
    from hoasen.store.db import Store

    store = Store.open(db)
    try:
        return store.get_article(article_id).text
    finally:
        store.close()


def test_duplicates_across_runs_and_search(db: str, env: dict[str, str], tmp_path: Path) -> None:
    first = tmp_path / "first"
    first.mkdir()
    for name in ("quangninh_en.txt", "dulich_vi.txt", "guangxi_gbk.html"):
        shutil.copy(INGEST / name, first / name)
    assert run(["--db", db, "ingest", str(first), "--json"], env)["ingested"] == 3

    second = tmp_path / "second"
    second.mkdir()
    vi = (INGEST / "dulich_vi.txt").read_text(encoding="utf-8")
    edited = vi.replace("Các thị trường", "Theo Sở Du lịch, các thị trường") + "\nBình luận (0)\n"
    (second / "republished_vi.txt").write_text(edited, encoding="utf-8")
    shutil.copy(INGEST / "quangninh_en.txt", second / "copy_en.txt")
    (second / "copy_en.txt").write_text(
        (INGEST / "quangninh_en.txt").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    report = run(["--db", db, "ingest", str(second), "--json"], env)
    assert report["duplicates"] == 2 and report["ingested"] == 0, report

    groups = run(["--db", db, "dupes", "--json"], env)
    assert len(groups) == 2 and all(len(g["duplicates"]) == 1 for g in groups)
    assert len(by_title(db, env)) == 3
    assert len(run(["--db", db, "articles", "--all", "--json"], env)) == 5
    vi_only = run(["--db", db, "articles", "--lang", "vi", "--all", "--json"], env)
    assert len(vi_only) == 2 and {r["language"] for r in vi_only} == {"vi"}
    newest = run(["--db", db, "articles", "--all", "--limit", "2", "--json"], env)
    older = run(["--db", db, "articles", "--all", "--limit", "2", "--offset", "2", "--json"], env)
    assert len(newest) == len(older) == 2 and not {r["id"] for r in newest} & {
        r["id"] for r in older
    }
    assert run(["--db", db, "articles", "--since", "2100-01-01", "--json"], env) == []
    counted = run(["--db", db, "articles", "--limit", "1"], env)
    assert "1-1 of 3 articles" in counted.output
    assert "no source named" in run(["--db", db, "articles", "--source", "nope"], env, 3).output
    assert "--since" in run(["--db", db, "articles", "--since", "soon"], env, 2).output

    hits = run(["--db", db, "search", "Quang Ninh", "--lang", "vi", "--json"], env)
    assert len(hits) == 1 and "Quảng Ninh" in hits[0]["snippet"]
    assert set(hits[0]) == {"id", "title", "language", "snippet", "score", "published", "url"}
    zh_hits = run(["--db", db, "search", "广西", "--json"], env)
    assert [h["language"] for h in zh_hits] == ["zh"]
    assert run(["--db", db, "search", "广西", "--lang", "en", "--json"], env) == []


FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Partner news</title><link>{base}/</link>
<description>test</description>
<item><title>Ha Long hosts a press exchange</title><link>{base}/a1</link>
<pubDate>Mon, 16 Nov 2026 08:00:00 +0000</pubDate></item>
<item><title>Missing page</title><link>{base}/gone</link></item>
<item><title>Slow page</title><link>{base}/slow</link></item>
</channel></rss>"""

PAGE = """<html><head><title>Ha Long hosts a press exchange</title></head><body>
<nav>Home | World | Contact</nav><article><h1>Ha Long hosts a press exchange</h1>
<p>Journalists from Guangxi, Gangwon and Hokkaido met in Ha Long this week for a three-day press
exchange organised by the Quang Ninh Provincial Media Center.</p>
<p>The visitors toured Ha Long Bay, the Mong Cai border gate and the new Van Don airport, and
recorded programmes that will be broadcast in China, Korea and Japan next month.</p>
<p>Organisers said the exchange was the largest since the province signed its first press
cooperation agreement with a foreign partner in 2006.</p></article>
<footer>Copyright 2026 Partner News</footer></body></html>"""


def feed_xml(web: LoopbackServer) -> bytes:
    """The test feed, its links pointing at the loopback server."""
    return FEED.format(base=web.base).encode()


def test_feeds_pages_and_network_errors(db: str, env: dict[str, str], web: LoopbackServer) -> None:
    web.routes["/feed.xml"] = Reply(
        body=FEED.format(base=web.base).encode(), content_type="application/rss+xml"
    )
    web.routes["/a1"] = Reply(body=PAGE.encode())
    web.routes["/slow"] = Reply(body=PAGE.replace("three-day", "two-day").encode(), delay=4)
    web.routes["/bad.xml"] = Reply(
        body=b"<html><body>not a feed</body></html", content_type="text/xml"
    )
    report = run(
        [
            "--db",
            db,
            "ingest",
            "--feed",
            web.url("/feed.xml"),
            "--feed",
            web.url("/bad.xml"),
            "--url",
            web.url("/nowhere"),
            "--json",
        ],
        env,
    )
    assert report["ingested"] == 1, report
    reasons = {e["input"]: e["reason"] for e in report["errors"]}
    assert "404" in reasons[web.url("/gone")]
    assert "timed out" in reasons[web.url("/slow")]
    assert "feed" in reasons[web.url("/bad.xml")]
    assert "404" in reasons[web.url("/nowhere")]

    private = dict(env, HOASEN_HTTP_ALLOW_PRIVATE="false")
    refused = run(["--db", db, "ingest", "--url", web.url("/a1"), "--json"], private)
    assert refused["ingested"] == 0
    assert "private" in refused["errors"][0]["reason"]


def test_sources_and_fetch(db: str, env: dict[str, str], web: LoopbackServer) -> None:
    web.routes["/feed.xml"] = Reply(
        body=FEED.format(base=web.base).encode(), content_type="application/rss+xml"
    )
    web.routes["/a1"] = Reply(body=PAGE.encode())
    added = run(
        [
            "--db",
            db,
            "sources",
            "add",
            web.url("/feed.xml"),
            "--name",
            "Partner",
            "--country",
            "cn",
            "--lang",
            "en",
            "--foreign",
            "--partner",
            "--json",
        ],
        env,
    )
    assert added["country"] == "CN" and added["partner"] and added["foreign"]
    run(["--db", db, "sources", "add", web.url("/feed.xml"), "--name", "Again"], env, code=2)

    report = run(["--db", db, "fetch", "--json"], env)
    assert report["ingested"] == 1
    listed = run(["--db", db, "sources", "list", "--json"], env)
    assert listed[0]["name"] == "Partner" and listed[0]["last_success"] is not None
    rows = run(["--db", db, "articles", "--json"], env)
    assert rows[0]["source"] == "Partner"

    # Not due again for an hour: nothing is fetched.
    assert run(["--db", db, "fetch", "--json"], env)["ingested"] == 0
    run(["--db", db, "sources", "remove", "Partner"], env)
    assert run(["--db", db, "sources", "list", "--json"], env) == []
    run(["--db", db, "sources", "remove", "Partner"], env, code=3)


def test_extract_json_does_not_store(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    doc = run(
        [
            "--db",
            db,
            "extract",
            str(INGEST / "guangxi_gbk.html"),
            "--url",
            "https://news.example.cn/2026/guangxi.html",
            "--json",
        ],
        env,
    )
    assert set(doc) == {
        "title",
        "text",
        "language",
        "published",
        "published_source",
        "url",
        "source_url",
        "author",
    }
    assert doc["published_source"] in {"page", "first_seen"}
    assert doc["language"] == "zh"
    assert "广宁省" in doc["text"] and "\ufffd" not in doc["text"]
    assert doc["url"] == "https://news.example.cn/2026/guangxi.html"
    assert run(["--db", db, "articles", "--json"], env) == []


def test_clear_errors(env: dict[str, str], tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    result = run(["--db", db, "search", "x", "--since", "yesterday"], env, code=2)
    assert "--since" in result.output
    result = run(["--db", db, "extract", str(tmp_path / "missing.html")], env, code=1)
    assert "missing.html" in result.output
    result = run(["--db", "mysql://x@y/z", "articles"], env, code=2)
    assert "unsupported database" in result.output


def test_entities_link_names_across_languages(env: dict[str, str], tmp_path: Path) -> None:
    vi = tmp_path / "vi.txt"
    vi.write_text(
        "Tỉnh Quảng Ninh ký thỏa thuận với Đài Phát thanh và Truyền hình Quảng Tây.",
        encoding="utf-8",
    )
    rows = run(["entities", str(vi), "--json"], env)
    assert all(set(r) == {"text", "type", "start", "end", "entity"} for r in rows)
    text = vi.read_text(encoding="utf-8")
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)
    ids = {r["text"]: r["entity"] for r in rows}
    en = CliRunner().invoke(
        app, ["entities", "-", "--lang", "en", "--json"], env=env, input="Quang Ninh signed."
    )
    zh = CliRunner().invoke(
        app, ["entities", "-", "--lang", "zh", "--json"], env=env, input="广宁省签署协议。"
    )
    assert json.loads(en.stdout)[0]["entity"] == ids["Quảng Ninh"]
    assert json.loads(zh.stdout)[0]["entity"] == ids["Quảng Ninh"]
    assert any(r["type"] == "ORG" and r["entity"] for r in rows)


def test_figures_values_and_units(env: dict[str, str], tmp_path: Path) -> None:
    vi = tmp_path / "vi.txt"
    vi.write_text(
        "Tỉnh đón 18,43 triệu lượt khách, tổng thu ước đạt 48.362 tỷ đồng.", encoding="utf-8"
    )
    rows = run(["figures", str(vi), "--lang", "vi", "--json"], env)
    values = {(r["value"], r["unit"]) for r in rows}
    assert (18_430_000, "visitors") in values
    assert (48_362_000_000_000, "VND") in values
    result = run(["figures", str(tmp_path / "none.txt")], env, code=2)
    assert "no such file" in result.output
