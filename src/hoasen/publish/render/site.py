"""The public web output: a static folder of self-contained pages and feeds for the published
editions, to copy to any web server (or open from disk).

    index.html                       every series and its issues, newest first
    <series>/index.html              one series: its issues and feeds
    <series>/<number>/index.html     one issue: cover, contents, masthead, colophon
    <series>/<number>/item-<k>.html  one item in the series' layout
    <series>/feed-<lang>.atom.xml    Atom feed per series and language
    <series>/feed-<lang>.json        JSON Feed 1.1 per series and language
    sitemap.xml

Pages carry inline CSS only (no scripts, fonts or images from elsewhere) and `lang` on every
language block; links between pages are relative, so the folder works wherever it is served.
Feeds and the sitemap use absolute addresses when a base URL is known (`base_url`, else the
`public_base_url` setting), else addresses relative to the site root. The caller decides which
editions are public: every edition passed in is published.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lxml import etree

from hoasen.exchange.formats import iso, xml_line, xml_text
from hoasen.publish.edition_model import Edition
from hoasen.publish.render.html import (
    Block,
    EditionView,
    ItemView,
    build_view,
    label,
    language_autonym,
    render_page,
)
from hoasen.settings import Settings

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def series_folder(edition: Edition) -> str:
    """The series' folder name: its slug made safe for a path and a URL."""
    slug = re.sub(r"[^a-z0-9-]+", "-", edition.series.slug.lower()).strip("-")
    return slug or f"series-{edition.series.id}"


def feed_name(lang: str, kind: str) -> str:
    """ "feed-vi.atom.xml" / "feed-zh.json"."""
    safe = re.sub(r"[^A-Za-z0-9-]+", "-", lang)
    return f"feed-{safe}.atom.xml" if kind == "atom" else f"feed-{safe}.json"


def content_html(paragraphs: Sequence[str]) -> str:
    """An item's paragraphs as escaped HTML, for feed readers."""
    return "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)


@dataclass
class _Series:
    """One series on the site: its newest view and its issues, newest first."""

    folder: str
    views: list[EditionView] = field(default_factory=list)

    @property
    def latest(self) -> EditionView:
        return self.views[0]


class _SiteBuilder:
    """Writes the site for one set of editions."""

    def __init__(self, editions: Sequence[Edition], out_dir: Path, settings: Settings, base: str):
        self.out = out_dir
        self.settings = settings
        self.base = base
        self.written: list[Path] = []
        self.pages: list[str] = []  # site-relative paths of the HTML pages, for the sitemap
        by_folder: dict[str, _Series] = {}
        for edition in editions:
            folder = series_folder(edition)
            by_folder.setdefault(folder, _Series(folder)).views.append(
                build_view(edition, settings)
            )
        for series in by_folder.values():
            series.views.sort(key=lambda v: v.number, reverse=True)
        self.series = sorted(by_folder.values(), key=lambda s: s.latest.series_name.casefold())
        try:
            self.zone: Any = ZoneInfo(settings.office_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = UTC

    def url(self, path: str) -> str:
        """A site-relative path as an address: absolute under the base URL when there is one."""
        return f"{self.base}/{path}" if self.base else path

    def write(self, path: str, data: str | bytes) -> None:
        target = self.out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            data = data.encode("utf-8")
        target.write_bytes(data)
        self.written.append(target)
        if path.endswith(".html"):
            self.pages.append(path)

    def build(self) -> list[Path]:
        self.out.mkdir(parents=True, exist_ok=True)
        lang = self.series[0].latest.main if self.series else "vi"
        title = self.settings.office_name or label("home", lang)
        self.write(
            "index.html",
            render_page(
                "site_index.html.j2", lang=lang, title=title, office=self.settings.office_name,
                series=[self.series_entry(s, f"{s.folder}/") for s in self.series],
            ),
        )  # fmt: skip
        for series in self.series:
            self.write_series(series)
        self.write("sitemap.xml", self.sitemap())
        return self.written

    def series_entry(self, series: _Series, prefix: str) -> dict[str, Any]:
        """What a listing shows of a series; links start with `prefix` (the way from the
        listing's folder to the series folder)."""
        v = series.latest
        feed_label = v.labels("feed")
        feeds = []
        for lang in v.languages:
            name = language_autonym(lang)
            feeds.append(
                {"href": prefix + feed_name(lang, "atom"), "type": "application/atom+xml",
                 "lang": lang, "text": f"{name} (Atom)"}
            )  # fmt: skip
            feeds.append(
                {"href": prefix + feed_name(lang, "json"), "type": "application/feed+json",
                 "lang": lang, "text": f"{name} (JSON)"}
            )  # fmt: skip
        issues = [
            {
                "href": f"{prefix}{view.number}/index.html",
                "number": [Block(lang, view.number_text(lang)) for lang in view.languages],
                "title": view.title,
                "dates": view.dates,
            }
            for view in series.views
        ]
        return {
            "name": v.series_name,
            "description": v.description,
            "main": v.main,
            "href": f"{prefix}index.html",
            "issues": issues,
            "feeds": feeds,
            "feed_label": feed_label,
        }

    def write_series(self, series: _Series) -> None:
        v = series.latest
        self.write(
            f"{series.folder}/index.html",
            render_page(
                "site_index.html.j2", lang=v.main, title=v.series_name, office="",
                series=[self.series_entry(series, "")],
            ),
        )  # fmt: skip
        for view in series.views:
            folder = f"{series.folder}/{view.number}"
            self.write(
                f"{folder}/index.html",
                render_page("site_issue.html.j2", v=view, home="../../index.html",
                            series_href="../index.html"),
            )  # fmt: skip
            for i, item in enumerate(view.items):
                prev = view.items[i - 1] if i else None
                after = view.items[i + 1] if i + 1 < len(view.items) else None
                self.write(
                    f"{folder}/{item.slug}.html",
                    render_page("site_item.html.j2", v=view, item=item, prev=prev, next=after,
                                home="../../index.html"),
                )  # fmt: skip
        for lang in v.languages:
            entries = self.entries(series, lang)
            self.write(
                f"{series.folder}/{feed_name(lang, 'atom')}", self.atom(series, lang, entries)
            )
            self.write(
                f"{series.folder}/{feed_name(lang, 'json')}", self.jsonfeed(series, lang, entries)
            )

    def published(self, view: EditionView) -> datetime:
        """When an issue went out: its publication time, else its date at midnight in the
        office's time zone, else now."""
        edition = view.edition
        if edition.published is not None:
            moment = edition.published
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        if edition.issue_date is not None:
            return datetime.combine(edition.issue_date, time(0, 0), tzinfo=self.zone)
        return datetime.now(UTC)

    def entries(self, series: _Series, lang: str) -> list[dict[str, Any]]:
        """One feed entry per item that has a text in `lang`, newest issue first."""
        out = []
        for view in series.views:
            for item in view.items:
                text = self.item_text(view, item, lang)
                if text is None:
                    continue
                path = f"{series.folder}/{view.number}/{item.slug}.html"
                key = f"hoasen:edition:{series.folder}:{view.number}:{item.index}:{lang}"
                out.append(
                    {
                        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}",
                        "url": self.url(path),
                        "title": text[0] or f"{view.series_name} {view.number_text(lang)}",
                        "content_html": content_html(text[1]),
                        "date": self.published(view),
                        "language": lang,
                    }
                )
        return out

    @staticmethod
    def item_text(view: EditionView, item: ItemView, lang: str) -> tuple[str, list[str]] | None:
        """The item's title and paragraphs in `lang`, if it has a text in it."""
        text = item.item.text(lang) if item.item is not None else None
        return (text.title, text.paragraphs) if text is not None else None

    def feed_title(self, series: _Series, lang: str) -> str:
        return f"{series.latest.series_name} ({language_autonym(lang)})"

    def atom(self, series: _Series, lang: str, entries: list[dict[str, Any]]) -> bytes:
        """An Atom (RFC 4287) feed of one series in one language."""
        root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
        root.set(XML_LANG, lang)

        def add(parent: Any, local: str, text: str | None = None, **attrs: str) -> Any:
            element = etree.SubElement(parent, f"{{{ATOM_NS}}}{local}", attrs)
            if text is not None:
                element.text = xml_text(text)
            return element

        name = series.latest.series_name
        key = f"hoasen:edition-feed:{series.folder}:{lang}"
        add(root, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}")
        add(root, "title", xml_line(self.feed_title(series, lang)))
        newest = max((e["date"] for e in entries), default=datetime.now(UTC))
        add(root, "updated", iso(newest))
        add(add(root, "author"), "name", xml_line(self.settings.office_name or name))
        add(root, "generator", "hoasen")
        add(
            root,
            "link",
            rel="alternate",
            type="text/html",
            href=self.url(f"{series.folder}/index.html"),
        )
        if self.base:
            add(root, "link", rel="self", type="application/atom+xml",
                href=self.url(f"{series.folder}/{feed_name(lang, 'atom')}"))  # fmt: skip
        for e in entries:
            entry = add(root, "entry")
            add(entry, "id", e["id"])
            add(entry, "title", xml_line(e["title"]))
            add(entry, "published", iso(e["date"]))
            add(entry, "updated", iso(e["date"]))
            add(entry, "link", rel="alternate", type="text/html", href=e["url"])
            add(entry, "content", e["content_html"], type="html")
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)

    def jsonfeed(self, series: _Series, lang: str, entries: list[dict[str, Any]]) -> bytes:
        """A JSON Feed 1.1 document of one series in one language."""
        doc: dict[str, Any] = {
            "version": JSONFEED_VERSION,
            "title": self.feed_title(series, lang),
            "language": lang,
            "home_page_url": self.url(f"{series.folder}/index.html"),
        }
        if self.base:
            doc["feed_url"] = self.url(f"{series.folder}/{feed_name(lang, 'json')}")
        if series.latest.description:
            doc["description"] = series.latest.description
        doc["authors"] = [{"name": self.settings.office_name or series.latest.series_name}]
        doc["items"] = [
            {
                "id": e["id"],
                "url": e["url"],
                "title": e["title"],
                "content_html": e["content_html"],
                "date_published": iso(e["date"]),
                "language": e["language"],
            }
            for e in entries
        ]
        return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")

    def sitemap(self) -> bytes:
        """Every page of the site (sitemaps.org 0.9)."""
        root = etree.Element(f"{{{SITEMAP_NS}}}urlset", nsmap={None: SITEMAP_NS})
        for path in self.pages:
            url = etree.SubElement(root, f"{{{SITEMAP_NS}}}url")
            etree.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = self.url(path)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def build_site(
    editions: Sequence[Edition], out_dir: Path, settings: Settings, base_url: str = ""
) -> list[Path]:
    """Write the static site for `editions` under `out_dir`; returns the files written."""
    base = (base_url or settings.public_base_url or "").strip().rstrip("/")
    return _SiteBuilder(editions, Path(out_dir), settings, base).build()
