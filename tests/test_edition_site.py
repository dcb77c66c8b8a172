"""The static public site: pages, feeds (Atom, JSON Feed 1.1) and sitemap for published
editions; self-contained pages with relative links that resolve inside the folder."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from hoasen.publish.edition_model import Edition, EditionItem, EditionSeries, ItemText
from hoasen.publish.render import build_site
from hoasen.settings import Settings

VI = (
    "Quảng Ninh và Quảng Tây hợp tác báo chí",
    "Trung tâm Truyền thông tỉnh Quảng Ninh hợp tác với báo chí Quảng Tây.\n\n"
    "Ghi chú: 3 < 5 & <script>alert(1)</script>.",
)
ZH = ("广宁与广西媒体合作", "广宁省传媒中心与广西壮族自治区媒体开展合作。\n\n注：3 < 5。")
EN = ("Quang Ninh and Guangxi media cooperation", "The media center works with Guangxi.")


def _edition(
    series: EditionSeries, number: int, texts: list[dict[str, tuple[str, str]]]
) -> Edition:
    items = tuple(
        EditionItem(
            id=number * 10 + n,
            position=n,
            texts={lang: ItemText(lang, t, b) for lang, (t, b) in item.items()},
        )
        for n, item in enumerate(texts, start=1)
    )
    return Edition(
        series, number, f"Số đặc biệt {number}", date(2026, 5, number), "published", items
    )


def editions() -> list[Edition]:
    hoa_sen = EditionSeries(1, "Hoa Sen!", "Đặc san Hoa Sen", ("vi", "zh"), "parallel")
    letter = EditionSeries(2, "newsletter", "Bản tin", ("vi", "en"), "sequential")
    return [
        _edition(hoa_sen, 1, [{"vi": VI, "zh": ZH}]),
        _edition(hoa_sen, 2, [{"vi": VI, "zh": ZH}, {"vi": VI}]),  # one item lacks Chinese
        _edition(letter, 5, [{"vi": VI, "en": EN}]),
    ]


def _links(page: Path) -> list[str]:
    tree = lxml_html.fromstring(page.read_bytes())
    return [str(h) for h in tree.xpath("//a/@href|//link/@href|//*/@src")]


def test_site_files_links_and_pages(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = build_site(editions(), out, settings)
    assert all(p.is_file() for p in written)
    names = sorted(str(p.relative_to(out)) for p in written)
    for expected in (
        "index.html",
        "sitemap.xml",
        "hoa-sen/index.html",
        "hoa-sen/1/index.html",
        "hoa-sen/2/item-2.html",
        "hoa-sen/feed-vi.atom.xml",
        "hoa-sen/feed-zh.json",
        "newsletter/5/item-1.html",
        "newsletter/feed-en.atom.xml",
    ):
        assert expected in names
    pages = [p for p in written if p.suffix == ".html"]
    for page in pages:
        text = page.read_text("utf-8")
        assert "<script>alert" not in text  # escaped
        assert not re.search(r"@import|url\(|<script|<iframe", text)
        for href in _links(page):
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, (page, href)  # relative only
            if parts.path:
                assert (page.parent / parts.path).resolve().is_file(), (page, href)
    item = lxml_html.fromstring((out / "hoa-sen/1/item-1.html").read_bytes())
    assert "Quảng Ninh" in " ".join(item.xpath('//*[@lang="vi"]//text()'))
    assert "广西壮族自治区" in " ".join(item.xpath('//*[@lang="zh"]//text()'))
    index = (out / "index.html").read_text("utf-8")
    assert "Đặc san Hoa Sen" in index and "Bản tin" in index and "第2期" in index


def test_feeds_validate(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "site"
    build_site(editions(), out, settings, base_url="https://press.example.org/editions/")
    atom = feedparser.parse((out / "hoa-sen/feed-zh.atom.xml").read_bytes())
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.feed.title.startswith("Đặc san Hoa Sen")
    assert len(atom.entries) == 2  # issue 2's second item has no Chinese text
    entry = atom.entries[0]
    assert entry.link == "https://press.example.org/editions/hoa-sen/2/item-1.html"
    assert entry.title == ZH[0] and "广西壮族自治区" in entry.content[0].value
    assert entry.id.startswith("urn:uuid:")
    vi_atom = feedparser.parse((out / "hoa-sen/feed-vi.atom.xml").read_bytes())
    assert not vi_atom.bozo and len(vi_atom.entries) == 3
    assert "&lt;script&gt;" in vi_atom.entries[0].content[0].value

    feed = json.loads((out / "newsletter/feed-en.json").read_text("utf-8"))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["title"] and feed["feed_url"].endswith("newsletter/feed-en.json")
    assert feed["items"]
    for item in feed["items"]:
        for key in ("id", "url", "title", "content_html", "date_published", "language"):
            assert item[key], key
    assert feed["items"][0]["language"] == "en" and feed["items"][0]["title"] == EN[0]
    assert feed["items"][0]["date_published"].startswith("2026-05-05T00:00:00")
    ids = [i["id"] for i in json.loads((out / "hoa-sen/feed-vi.json").read_text())["items"]]
    assert len(ids) == len(set(ids)) == 3


def test_sitemap_lists_every_page(settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "site"
    written = build_site(editions(), out, settings, base_url="https://press.example.org")
    sitemap = etree.fromstring((out / "sitemap.xml").read_bytes())
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = set(sitemap.xpath("//s:url/s:loc/text()", namespaces=ns))
    pages = {
        f"https://press.example.org/{p.relative_to(out).as_posix()}"
        for p in written
        if p.suffix == ".html"
    }
    assert locs == pages and len(pages) == 10


@pytest.mark.parametrize("base", ["", "https://desk.example.org/"])
def test_base_url_comes_from_settings(settings: Settings, tmp_path: Path, base: str) -> None:
    from dataclasses import replace

    configured = replace(settings, public_base_url=base)
    out = tmp_path / "site"
    build_site(editions()[:1], out, configured)
    feed = json.loads((out / "hoa-sen/feed-vi.json").read_text("utf-8"))
    url = feed["items"][0]["url"]
    if base:
        assert url == "https://desk.example.org/hoa-sen/1/item-1.html"
    else:
        assert url == "hoa-sen/1/item-1.html" and "feed_url" not in feed
