"""Atom (RFC 4287) and JSON Feed 1.1 writers: the simplest formats a partner can subscribe to.

One feed carries many items (approved translations as entries of their own, with the language
they are in), so a partner's ordinary feed reader or CMS importer can take them. Written with
lxml and `json`, so nothing is escaped by hand; the same `ExchangeItem`s as ninjs/NewsML-G2.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from lxml import etree

from hoasen.exchange.formats import ExchangeItem, iso, translation_item, xml_line, xml_text

ATOM_NS = "http://www.w3.org/2005/Atom"
JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _expand(items: Sequence[ExchangeItem]) -> list[ExchangeItem]:
    out: list[ExchangeItem] = []
    for item in items:
        out.append(item)
        out.extend(translation_item(item, t) for t in item.translations)
    return out


def _a(parent: etree._Element, local: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{local}", attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


def to_atom(
    items: Sequence[ExchangeItem],
    *,
    feed_id: str,
    title: str,
    updated: datetime | None = None,
) -> bytes:
    """An Atom feed document: one `<entry>` per item and per approved translation.

    `feed_id` is the feed's permanent IRI; `updated` defaults to the newest item's time.
    The body is `<content type="text">` (plain text, paragraphs kept).
    """
    entries = _expand(items)
    newest = max((i.version_created for i in entries), default=None)
    root = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _a(root, "id", feed_id)
    _a(root, "title", xml_line(title))
    _a(root, "updated", iso(updated or newest or datetime.now(UTC)))
    _a(root, "generator", "hoasen")
    for item in entries:
        entry = _a(root, "entry")
        entry.set(_XML_LANG, xml_text(item.language))
        _a(entry, "id", item.guid)
        _a(entry, "title", xml_line(item.title))
        _a(entry, "published", iso(item.published))
        _a(entry, "updated", iso(item.version_created))
        author = _a(entry, "author")
        _a(author, "name", xml_line(item.author or item.source_name or title))
        if item.url:
            _a(entry, "link", rel="alternate", type="text/html", href=xml_text(item.url))
        if item.source_name:
            source = _a(entry, "source")
            _a(source, "title", xml_line(item.source_name))
        for subject in item.subjects:
            _a(entry, "category", term=xml_line(subject.code or subject.name))
        _a(entry, "content", item.body, type="text")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_jsonfeed(items: Sequence[ExchangeItem], *, title: str, feed_url: str | None = None) -> bytes:
    """A JSON Feed 1.1 document (UTF-8): one item per article and per approved translation.

    Source and guid travel in a `_hoasen` extension object (JSON Feed's rule for extensions).
    """
    doc: dict[str, Any] = {"version": JSONFEED_VERSION, "title": title, "items": []}
    if feed_url:
        doc["feed_url"] = feed_url
    for item in _expand(items):
        entry: dict[str, Any] = {
            "id": item.guid,
            "title": item.title,
            "content_text": item.body,
            "date_published": iso(item.published),
            "date_modified": iso(item.version_created),
            "language": item.language,
        }
        if item.url:
            entry["url"] = item.url
        if item.author:
            entry["authors"] = [{"name": item.author}]
        if item.subjects:
            entry["tags"] = [s.code or s.name for s in item.subjects]
        extension: dict[str, Any] = {}
        if item.source_name:
            extension["source"] = item.source_name
        if item.translated_from:
            extension["translated_from"] = item.translated_from
        if extension:
            entry["_hoasen"] = extension
        doc["items"].append(entry)
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
