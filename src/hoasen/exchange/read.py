"""Partner documents in: ninjs (1.x-3.x), NewsML-G2 (newsItem, newsMessage) and Atom/RSS.

Each document becomes one or more plain JSON item dicts, the same shape `hoasen ingest` reads
(title, text or html, language, published, url, author, source, guid), so partner content goes
through the normal pipeline (language, dedupe, entities) with nothing special-cased there.
ninjs 2.x/3.x and NewsML-G2 are validated against IPTC's shipped schemas first; a document that
fails is refused with the schema's message and the rest of the batch goes on. XML is parsed
without DTDs, entities or network access; a DOCTYPE is refused outright.
"""

from __future__ import annotations

import json
from typing import Any

from lxml import etree

from hoasen.errors import InputRejected
from hoasen.exchange.formats import (
    NAR_NS,
    NINJS_VERSIONS,
    XHTML_NS,
    validate_newsml,
    validate_ninjs,
)
from hoasen.models import ItemError

JsonItem = dict[str, str]
"""One article as a `hoasen ingest` JSON item (only string fields, empty ones left out)."""

_ATOM_NS = "http://www.w3.org/2005/Atom"
_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_NS = {"n": NAR_NS, "x": XHTML_NS}
_JSONFEED = "https://jsonfeed.org/version/"
_CAMEL = ("firstCreated", "versionCreated", "contentCreated", "altIds", "infoSources")


def read_document(origin: str, data: bytes) -> list[JsonItem | ItemError]:
    """The articles of one partner document, or an `ItemError` per refused document/item.

    The format is told from the content, not the file name: JSON is ninjs, XML is NewsML-G2
    or an Atom/RSS feed.
    """
    head = data.lstrip()[:1]
    try:
        if head in (b"{", b"["):
            return _read_ninjs(origin, data)
        if head == b"<":
            return _read_xml(origin, data)
        return [ItemError(origin, "not a ninjs, NewsML-G2 or Atom/RSS document")]
    except InputRejected as exc:
        return [ItemError(origin, exc.reason)]


# ------------------------------------------------------------------------------------- ninjs


def _read_ninjs(origin: str, data: bytes) -> list[JsonItem | ItemError]:
    try:
        whole = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputRejected(f"ninjs: not JSON: {exc}") from exc
    if isinstance(whole, dict) and str(whole.get("version", "")).startswith(_JSONFEED):
        return _read_jsonfeed(origin, whole)
    docs = whole if isinstance(whole, list) else [whole]
    out: list[JsonItem | ItemError] = []
    for index, doc in enumerate(docs, start=1):
        where = f"{origin}#{index}" if isinstance(whole, list) else origin
        try:
            out.append(ninjs_item(doc))
        except InputRejected as exc:
            out.append(ItemError(where, exc.reason))
    return out


def _read_jsonfeed(origin: str, feed: dict[str, Any]) -> list[JsonItem | ItemError]:
    """JSON Feed 1.x items as JSON items (hoasen's `_hoasen.source` extension read back)."""
    out: list[JsonItem | ItemError] = []
    for index, entry in enumerate(feed.get("items") or [], start=1):
        if not isinstance(entry, dict):
            out.append(ItemError(f"{origin}#{index}", "JSON Feed item is not an object"))
            continue
        item: JsonItem = {"guid": str(entry.get("id", ""))}
        _put(item, "title", entry.get("title"))
        _put(item, "text", entry.get("content_text"))
        if "text" not in item:
            _put(item, "html", entry.get("content_html"))
        _put(item, "language", entry.get("language") or feed.get("language"))
        _put(item, "published", entry.get("date_published") or entry.get("date_modified"))
        _put(item, "url", entry.get("url"))
        authors = entry.get("authors") or []
        if authors and isinstance(authors[0], dict):
            _put(item, "author", authors[0].get("name"))
        extension = entry.get("_hoasen")
        source = extension.get("source") if isinstance(extension, dict) else None
        _put(item, "source", source or feed.get("title"))
        if "text" in item or "html" in item:
            out.append(item)
        else:
            out.append(ItemError(f"{origin}#{index}", "JSON Feed item without content"))
    return out


def ninjs_version(doc: dict[str, Any]) -> str | None:
    """The schema version to validate `doc` with; None for ninjs 1.x (no shipped schema).

    A declared `standard.version` wins (the nearest shipped minor version of its major when
    that exact one is not shipped); otherwise camelCase properties mean 3.x and a `headlines`
    list means 2.x.
    """
    standard = doc.get("standard")
    declared = standard.get("version") if isinstance(standard, dict) else None
    if isinstance(declared, str) and declared.strip():
        declared = declared.strip()
        if declared in NINJS_VERSIONS:
            return declared
        major = declared.split(".", 1)[0]
        if major == "1":
            return None
        shipped = [v for v in NINJS_VERSIONS if v.split(".", 1)[0] == major]
        if not shipped:
            raise InputRejected(f"ninjs: unknown version {declared!r}")
        return shipped[-1]
    if any(key in doc for key in _CAMEL):
        return "3.0"
    if "headlines" in doc or "bodies" in doc:
        return "2.0"
    return None


def ninjs_item(doc: object) -> JsonItem:
    """One ninjs document (any version) as a JSON item; validated first where a schema is
    shipped. Associations (translations, pictures) are not imported as articles of their own."""
    if not isinstance(doc, dict):
        raise InputRejected("ninjs: a document must be a JSON object")
    version = ninjs_version(doc)
    if version is not None:
        validate_ninjs(doc, version)
    elif not isinstance(doc.get("uri"), str):
        raise InputRejected("ninjs 1.x: no 'uri' (is this a ninjs document?)")

    def get(*keys: str) -> Any:
        for key in keys:
            if doc.get(key) not in (None, "", []):
                return doc[key]
        return None

    item: JsonItem = {"guid": str(doc.get("uri", ""))}
    headline = get("headline")
    for entry in get("headlines") or []:
        if isinstance(entry, dict) and entry.get("role", "main") == "main" and entry.get("value"):
            headline = entry["value"]
            break
    _put(item, "title", headline)
    text, html = get("body_text"), get("body_html")
    for body in get("bodies") or []:
        if not isinstance(body, dict):
            continue
        kind = str(body.get("contentType") or body.get("contenttype") or "text/plain")
        if kind.startswith("text/plain") and text is None:
            text = body.get("value")
        elif "html" in kind and html is None:
            html = body.get("value")
    if text:
        _put(item, "text", text)
    else:
        _put(item, "html", html)
    _put(item, "language", get("language"))
    _put(item, "published", get("firstCreated", "firstcreated", "versionCreated", "versioncreated"))
    _put(item, "author", get("by", "byline"))
    for rendition in get("renditions") or []:
        if isinstance(rendition, dict) and str(rendition.get("href", "")).startswith("http"):
            _put(item, "url", rendition["href"])
            break
    if "url" not in item and item["guid"].startswith(("http://", "https://")):
        item["url"] = item["guid"]
    for source in get("infoSources", "infosources") or []:
        if isinstance(source, dict) and source.get("name"):
            _put(item, "source", source["name"])
            break
    if "text" not in item and "html" not in item:
        raise InputRejected(f"ninjs {item['guid']}: no body text")
    return item


def _put(item: JsonItem, key: str, value: object) -> None:
    """Set `key` when `value` is a non-empty string (ninjs fields may be anything)."""
    if isinstance(value, str) and value.strip():
        item[key] = value.strip() if key != "text" else value


# --------------------------------------------------------------------------------------- XML


def _parse(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputRejected(f"not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.doctype:
        raise InputRejected("XML with a DOCTYPE is not accepted (entities are refused)")
    return root


def _read_xml(origin: str, data: bytes) -> list[JsonItem | ItemError]:
    root = _parse(data)
    tag = etree.QName(root)
    if tag.namespace == NAR_NS and tag.localname in ("newsItem", "newsMessage"):
        validate_newsml(data)
        items = [root] if tag.localname == "newsItem" else root.findall("n:itemSet/n:newsItem", _NS)
        guids = {i.get("guid") for i in items}
        out: list[JsonItem | ItemError] = []
        for index, element in enumerate(items, start=1):
            source_of = element.find("n:itemMeta/n:link[@rel='irel:translatedFrom']", _NS)
            if source_of is not None and source_of.get("residref") in guids:
                continue  # a translation sent along with its original: the original is imported
            where = origin if len(items) == 1 else f"{origin}#{index}"
            try:
                out.append(newsml_item(element))
            except InputRejected as exc:
                out.append(ItemError(where, exc.reason))
        return out
    if (tag.namespace, tag.localname) in ((_ATOM_NS, "feed"), (None, "rss"), (_RDF_NS, "RDF")):
        return _read_feed(origin, data)
    raise InputRejected(f"XML root <{tag.localname}> is neither NewsML-G2 nor an Atom/RSS feed")


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, _NS)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def _xhtml_text(body: etree._Element) -> str:
    """Plain text of an XHTML body: paragraphs separated by a blank line, `<br/>` as newline."""
    blocks = []
    for block in body.iter(f"{{{XHTML_NS}}}p", "p"):
        parts = [block.text or ""]
        for child in block:
            if etree.QName(child).localname == "br":
                parts.append("\n")
            else:
                parts.append("".join(child.itertext()))
            parts.append(child.tail or "")
        text = "".join(parts).strip()
        if text:
            blocks.append(text)
    if not blocks:
        text = " ".join("".join(body.itertext()).split())
        return text
    return "\n\n".join(blocks)


def newsml_item(element: etree._Element) -> JsonItem:
    """One (already validated) NewsML-G2 `newsItem` element as a JSON item."""
    item: JsonItem = {"guid": element.get("guid", "")}
    meta, content = "n:itemMeta", "n:contentMeta"
    _put(item, "title", _text(element, f"{content}/n:headline"))
    language = element.find(f"{content}/n:language", _NS)
    _put(item, "language", language.get("tag") if language is not None else element.get(_XML_LANG))
    _put(
        item,
        "published",
        _text(element, f"{content}/n:contentCreated") or _text(element, f"{meta}/n:firstCreated"),
    )
    _put(item, "author", _text(element, f"{content}/n:creator/n:name"))
    _put(
        item,
        "source",
        _text(element, f"{content}/n:infoSource/n:name")
        or _text(element, f"{meta}/n:provider/n:name"),
    )
    link = element.find(f"{meta}/n:link[@rel='irel:seeAlso']", _NS)
    _put(item, "url", link.get("href") if link is not None else None)
    body = element.find(".//n:contentSet/n:inlineXML//x:body", _NS)
    if body is not None:
        _put(item, "text", _xhtml_text(body))
    else:
        _put(item, "text", _text(element, "n:contentSet/n:inlineData"))
    if "text" not in item:
        raise InputRejected(f"NewsML-G2 {item['guid']}: no inline body text")
    return item


def _read_feed(origin: str, data: bytes) -> list[JsonItem | ItemError]:
    """Atom/RSS entries (already checked for a DOCTYPE) as JSON items, via feedparser."""
    import feedparser

    parsed = feedparser.parse(data, resolve_relative_uris=False, sanitize_html=True)
    feed_title = parsed.feed.get("title")
    feed_language = parsed.feed.get("language")
    out: list[JsonItem | ItemError] = []
    for index, entry in enumerate(parsed.entries, start=1):
        item: JsonItem = {"guid": str(entry.get("id") or entry.get("link") or f"{origin}#{index}")}
        _put(item, "title", entry.get("title"))
        content = entry.get("content") or []
        body = content[0] if content else entry.get("summary_detail")
        value = body.get("value") if body else None
        kind = str(body.get("type", "")) if body else ""
        language = (body.get("language") if body else None) or feed_language
        _put(item, "html" if "html" in kind else "text", value)
        _put(item, "language", language)
        _put(item, "published", entry.get("published") or entry.get("updated"))
        _put(item, "author", entry.get("author"))
        _put(item, "url", entry.get("link"))
        _put(item, "source", entry.get("source", {}).get("title") or feed_title)
        if "text" not in item and "html" not in item:
            out.append(ItemError(f"{origin}#{index}", "feed entry without content or summary"))
            continue
        out.append(item)
    return out
