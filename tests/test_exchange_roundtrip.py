"""Export -> import round trips of the news exchange on real SQLite databases (no network)."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hoasen.cli import app
from hoasen.desk import Desk
from hoasen.exchange import validate_newsml, validate_ninjs
from hoasen.exchange.read import read_document
from hoasen.models import RawInput
from hoasen.settings import Settings

_BODIES = {
    "vi": (
        "Đoàn đại biểu tỉnh Quảng Ninh số {n} đã thăm Quảng Tây và thảo luận hợp tác du lịch.",
        "Hai bên thống nhất tăng cường trao đổi thông tin báo chí trong năm {y}.",
    ),
    "en": (
        "Delegation number {n} from Guangxi visited Hanoi to discuss trade cooperation.",
        "Both sides agreed to expand the exchange of news between their newspapers in {y}.",
    ),
    "zh": (
        "广西第{n}个代表团访问越南河内，双方讨论了经贸合作。",
        "双方同意在{y}年加强新闻交流与媒体合作。",
    ),
    "ja": (
        "第{n}次の広西代表団がハノイを訪問し、貿易協力について話し合った。",
        "双方は{y}年に新聞間のニュース交換を拡大することで合意した。",
    ),
    "ko": (
        "강원도 대표단 {n}차 방문단이 하노이를 방문해 관광 협력을 논의했다.",
        "양측은 {y}년 언론 교류를 확대하기로 합의했다.",
    ),
}
_SOURCES = {
    "vi": "Báo Quảng Ninh",
    "en": "Guangxi News",
    "zh": "广西日报",
    "ja": "Nikkei Asia",
    "ko": "Gangwon Ilbo",
}


_WORDS = {
    "vi": "hợp tác du lịch báo chí kinh tế văn hóa biên giới cửa khẩu nông sản đầu tư giáo dục "
    "thanh niên cảng biển đường sắt lễ hội điện ảnh thể thao y tế",
    "en": "trade tourism press culture border gate farm produce investment education youth "
    "seaport railway festival cinema sports health logistics energy",
    "zh": "合作 旅游 新闻 经济 文化 边境 口岸 农产品 投资 教育 青年 港口 铁路 节日 电影 体育",
    "ja": "協力 観光 報道 経済 文化 国境 港湾 農産物 投資 教育 青年 鉄道 祭り 映画 医療",
    "ko": "협력 관광 언론 경제 문화 국경 항만 농산물 투자 교육 청년 철도 축제 영화 체육 보건 물류",
}


def _filler(lang: str, n: int) -> str:
    """Seeded random words, so no two test articles are near duplicates and no line repeats
    within a source (repeated lines are learned as boilerplate and stripped)."""
    rng = random.Random(n)
    words = _WORDS[lang].split()
    glue = "" if lang in ("zh", "ja") else " "
    end = "。" if lang in ("zh", "ja") else "."
    return " " + " ".join(glue.join(rng.choice(words) for _ in range(12)) + end for _ in range(3))


def _articles(count: int = 100) -> list[dict[str, Any]]:
    out = []
    start = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    languages = list(_BODIES)
    for n in range(count):
        lang = languages[n % len(languages)]
        first, second = _BODIES[lang]
        year = 2020 + n
        out.append(
            {
                "title": f"{_SOURCES[lang]} {n}: " + first.format(n=n, y=year)[:30],
                "text": first.format(n=n, y=year)
                + _filler(lang, n + 100)
                + "\n\n"
                + _filler(lang, n)
                + "\n\n"
                + second.format(n=n, y=year)
                + _filler(lang, n + 200),
                "language": lang,
                "published": (start + timedelta(days=n, hours=n)).isoformat(),
                "url": f"https://news{n % 3}.example.org/{lang}/{n}.html",
                "author": f"Reporter {n}",
                "source": _SOURCES[lang],
            }
        )
    return out


def _register_sources(desk: Desk) -> None:
    """Sources are kept by name when registered (articles link to the sources table)."""
    for n, name in enumerate(_SOURCES.values()):
        desk.store.add_source(f"https://source{n}.example.org/feed", name)


def _ingest(desk: Desk, docs: list[dict[str, Any]]) -> list[int]:
    _register_sources(desk)
    items = [
        RawInput(
            origin=f"seed-{i}.json",
            data=json.dumps(d, ensure_ascii=False).encode("utf-8"),
            fmt="json",
            url=d["url"],
        )
        for i, d in enumerate(docs)
    ]
    report = desk.ingest(items=items)
    assert report.ingested == len(docs), report.errors
    return report.article_ids


@pytest.fixture
def seeded(settings: Settings) -> tuple[Desk, list[int]]:
    desk = Desk(settings)
    ids = _ingest(desk, _articles())
    return desk, ids


def _fresh(settings: Settings, tmp_path: Path, name: str) -> Desk:
    desk = Desk(replace(settings, database_url=f"sqlite:///{tmp_path / name}"))
    _register_sources(desk)
    return desk


def _fields(desk: Desk, ids: list[int]) -> list[tuple[Any, ...]]:
    return sorted(
        (a.title, a.text, a.language, a.published, a.source_name)
        for a in desk.store.get_articles(ids)
    )


@pytest.mark.parametrize("fmt", ["ninjs", "newsml"])
def test_round_trip_keeps_fields_and_reimport_is_duplicate(
    seeded: tuple[Desk, list[int]], settings: Settings, tmp_path: Path, fmt: str
) -> None:
    desk, ids = seeded
    files = desk.exchange.export(ids, fmt, tmp_path / fmt)
    assert len(files) == len(ids)
    for path in files:
        if fmt == "ninjs":
            doc = json.loads(path.read_text(encoding="utf-8"))
            validate_ninjs(doc, "3.0")
            assert doc["uri"].startswith("urn:newsml:hoasen.local:")
        else:
            validate_newsml(path.read_bytes())

    with _fresh(settings, tmp_path, f"fresh-{fmt}.db") as fresh:
        report = fresh.exchange.import_files(files)
        assert report.ingested == len(ids) and not report.errors
        assert _fields(fresh, report.article_ids) == _fields(desk, ids)
        assert {a.source_name for a in fresh.store.get_articles(report.article_ids)} == set(
            _SOURCES.values()
        )

    again = desk.exchange.import_files(files)
    assert again.ingested == 0 and again.duplicates == len(ids), again.as_json()
    assert all(a.duplicate_of in ids for a in desk.store.get_articles(again.article_ids))
    desk.close()


def test_guid_is_stable_and_ninjs2_validates(
    seeded: tuple[Desk, list[int]], tmp_path: Path
) -> None:
    desk, ids = seeded
    first = desk.exchange.export(ids[:2], "ninjs", tmp_path / "a", ninjs_version="2.2")
    second = desk.exchange.export(ids[:2], "ninjs", tmp_path / "b", ninjs_version="2.2")
    for a, b in zip(first, second, strict=True):
        doc = json.loads(a.read_text(encoding="utf-8"))
        validate_ninjs(doc, "2.2")
        assert doc["uri"] == json.loads(b.read_text(encoding="utf-8"))["uri"]
    desk.close()


def test_feeds_round_trip(
    seeded: tuple[Desk, list[int]], settings: Settings, tmp_path: Path
) -> None:
    desk, ids = seeded
    for fmt in ("atom", "jsonfeed"):
        files = desk.exchange.export(ids[:5], fmt, tmp_path / fmt)
        assert len(files) == 1
        with _fresh(settings, tmp_path, f"feed-{fmt}.db") as fresh:
            report = fresh.exchange.import_files(files)
            assert report.ingested == 5 and not report.errors, report.as_json()
            assert _fields(fresh, report.article_ids) == _fields(desk, ids[:5])
    desk.close()


def test_broken_documents_are_refused_and_the_rest_imported(
    seeded: tuple[Desk, list[int]], settings: Settings, tmp_path: Path
) -> None:
    desk, ids = seeded
    files = desk.exchange.export(ids[:3], "ninjs", tmp_path / "out")
    invalid = tmp_path / "out" / "invalid.json"
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    doc["headlines"] = "not a list"
    invalid.write_text(json.dumps(doc), encoding="utf-8")
    malformed = tmp_path / "out" / "broken.xml"
    malformed.write_bytes(b"<newsItem><unclosed></newsItem>")
    doctype = tmp_path / "out" / "xxe.xml"
    doctype.write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><title>&x;</title></channel></rss>'
    )
    with _fresh(settings, tmp_path, "batch.db") as fresh:
        report = fresh.exchange.import_files([*files, invalid, malformed, doctype])
    assert report.ingested == 3
    reasons = {Path(e.input).name: e.reason for e in report.errors}
    assert set(reasons) == {"invalid.json", "broken.xml", "xxe.xml"}
    assert "ninjs 3.0" in reasons["invalid.json"] and "headlines" in reasons["invalid.json"]
    assert "well-formed" in reasons["broken.xml"]
    assert "DOCTYPE" in reasons["xxe.xml"]
    desk.close()


def test_partner_ninjs_1x_and_newsml_message(tmp_path: Path) -> None:
    legacy = {
        "uri": "http://partner.example.cn/item/1",
        "type": "text",
        "headline": "广西日报传媒集团代表团访问越南",
        "body_text": "代表团与越南新闻机构签署了合作协议。",
        "language": "zh",
        "versioncreated": "2025-05-01T10:00:00+08:00",
        "byline": "记者 李明",
    }
    (item,) = read_document("legacy.json", json.dumps(legacy).encode())
    assert isinstance(item, dict)
    assert item["title"] == legacy["headline"] and item["text"] == legacy["body_text"]
    assert item["url"] == legacy["uri"] and item["published"].startswith("2025-05-01")
    wrong = read_document("x.json", b'{"standard": {"version": "9.0"}, "uri": "u"}')
    assert "unknown version" in str(wrong[0])


def _cli(args: list[str], settings: Settings) -> Any:
    env = {
        "HOASEN_CONFIG": "/nonexistent.toml",
        "HOASEN_DATABASE_URL": settings.database_url,
        "HOASEN_ANALYZE_ON_INGEST": "false",
    }
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if "--json" in args else result.output


def test_cli_export_and_import(
    seeded: tuple[Desk, list[int]], settings: Settings, tmp_path: Path
) -> None:
    desk, ids = seeded
    desk.close()
    out = tmp_path / "cli"
    doc = _cli(
        ["exchange", "export", *map(str, ids[:4]), "--format", "newsml", "-o", str(out), "--json"],
        settings,
    )
    assert doc["format"] == "newsml" and len(doc["files"]) == 4
    fresh = replace(settings, database_url=f"sqlite:///{tmp_path / 'cli.db'}")
    with Desk(fresh) as partnered:
        partnered.store.add_source("https://gx.example.cn/feed", "Guangxi", partner=True)
    report = _cli(["exchange", "import", *doc["files"], "--partner", "Guangxi", "--json"], fresh)
    assert report["ingested"] == 4 and report["errors"] == []
    with Desk(fresh) as check:
        assert {a.source_name for a in check.store.list_articles()} == {"Guangxi"}
    text = _cli(["exchange", "import", *doc["files"]], settings)
    assert "4 duplicates" in text


def test_cli_import_for_a_registered_partner_keeps_its_name_and_ledger(
    seeded: tuple[Desk, list[int]], settings: Settings, tmp_path: Path
) -> None:
    desk, ids = seeded
    files = [str(p) for p in desk.exchange.export(ids[:3], "ninjs", tmp_path / "out")]
    desk.close()
    fresh = replace(settings, database_url=f"sqlite:///{tmp_path / 'partner.db'}")
    with Desk(fresh) as office:
        office.partners.add_partner("Guangxi Daily Media Group")
    # any of the partner's names finds it: here its Chinese name from the gazetteer
    report = _cli(["exchange", "import", *files, "--partner", "广西日报传媒集团", "--json"], fresh)
    assert report["ingested"] == 3 and report["partner"] == "guangxi-daily-media-group"
    with Desk(fresh) as check:
        assert {a.source_name for a in check.store.list_articles()} == {report["source"]}
        received = check.exchange.outbox.ledger(direction="received")
        assert len(received) == 3 and {r.status for r in received} == {"received"}
    # a name that is neither a partner nor a source is refused, not silently dropped
    env = {"HOASEN_CONFIG": "/nonexistent.toml", "HOASEN_DATABASE_URL": fresh.database_url}
    result = CliRunner().invoke(app, ["exchange", "import", *files, "--partner", "Nobody"], env=env)
    assert result.exit_code == 3 and "no partner or source called 'Nobody'" in result.output
