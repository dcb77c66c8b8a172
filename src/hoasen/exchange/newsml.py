"""NewsML-G2 2.35 writer: newsItem, newsMessage and packageItem, as agencies exchange them.

Built with lxml, so every title and body is escaped by the serializer (never by hand); the
body travels as XHTML inside `inlineXML`. Entities become `subject` elements with the IPTC
concept nature (`cpnat:person`, `cpnat:geoArea`, `cpnat:organisation`), topics carry their
Media Topic QCode where hoasen has one. Translations are newsItems of their own, linked to the
original with `irel:translatedFrom`. Every writer's output validates against the shipped schema
(see `formats.validate_newsml`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from hoasen.exchange.formats import (
    NAR_NS,
    NEWSML_VERSION,
    XHTML_NS,
    ExchangeItem,
    ExchangePackage,
    iso,
    translation_item,
    xhtml_body,
    xml_line,
    xml_text,
)

IPTC_CATALOG = "http://www.iptc.org/std/catalog/catalog.IPTC-G2-Standards_32.xml"
"""IPTC's catalog, which defines the schemes used here (ninat, stat, cpnat, medtop, irel)."""

NEWSITEM_CONTENT_TYPE = "application/vnd.iptc.g2.newsitem+xml"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CPNAT = {"PER": "cpnat:person", "LOC": "cpnat:geoArea", "ORG": "cpnat:organisation"}


def _el(
    parent: etree._Element | None, local: str, text: str | None = None, /, **attrs: str
) -> etree._Element:
    """A NewsML-G2 element (in the NAR namespace); text and attributes made single-line XML."""
    name = f"{{{NAR_NS}}}{local}"
    clean = {key: xml_line(value) for key, value in attrs.items()}
    if parent is None:
        element = etree.Element(name, clean, nsmap={None: NAR_NS})
    else:
        element = etree.SubElement(parent, name, clean)
    if text is not None:
        element.text = xml_line(text)
    return element


def _root(tag: str, guid: str, version: int, language: str | None) -> etree._Element:
    root = _el(None, tag)
    root.set("guid", xml_text(guid))
    root.set("version", str(version))
    root.set("standard", "NewsML-G2")
    root.set("standardversion", NEWSML_VERSION)
    root.set("conformance", "power")
    if language:
        root.set(_XML_LANG, xml_text(language))
    _el(root, "catalogRef", href=IPTC_CATALOG)
    return root


def _provider(parent: etree._Element, name: str | None) -> None:
    provider = _el(parent, "provider")
    _el(provider, "name", name or "hoasen")


def news_item_element(item: ExchangeItem, provider: str | None = None) -> etree._Element:
    """The `newsItem` element of one item in one language (translations not included)."""
    root = _root("newsItem", item.guid, item.version, item.language)

    meta = _el(root, "itemMeta")
    _el(meta, "itemClass", qcode="ninat:text")
    _provider(meta, provider or item.source_name)
    _el(meta, "versionCreated", iso(item.version_created))
    _el(meta, "firstCreated", iso(item.published))
    _el(meta, "pubStatus", qcode="stat:usable")
    if item.translated_from:
        _el(meta, "link", rel="irel:translatedFrom", residref=item.translated_from)
    if item.url:
        _el(meta, "link", rel="irel:seeAlso", href=item.url, contenttype="text/html")

    content = _el(root, "contentMeta")
    _el(content, "contentCreated", iso(item.published))
    if item.updated is not None:
        _el(content, "contentModified", iso(item.updated))
    if item.source_name:
        source = _el(content, "infoSource", role="cRole:originSource")
        _el(source, "name", item.source_name)
    if item.author:
        creator = _el(content, "creator")
        _el(creator, "name", item.author)
    if item.article_id is not None:
        _el(content, "altId", str(item.article_id), type="hoasen:article")
    _el(content, "language", tag=item.language)
    for keyword in item.keywords:
        _el(content, "keyword", keyword)
    for subject in item.subjects:
        attrs = {"type": "cpnat:abstract"}
        if subject.qcode:
            attrs["qcode"] = subject.qcode
        elif subject.code:
            attrs["literal"] = subject.code
        element = _el(content, "subject", **attrs)
        _el(element, "name", subject.name)
    for entity in item.entities:
        attrs = {"type": _CPNAT[entity.type]}
        if entity.uri:
            attrs["uri"] = entity.uri
        element = _el(content, "subject", **attrs)
        _el(element, "name", entity.name)
    _el(content, "headline", item.title)

    content_set = _el(root, "contentSet")
    inline = _el(content_set, "inlineXML", contenttype="application/xhtml+xml")
    html = etree.SubElement(inline, f"{{{XHTML_NS}}}html", nsmap={None: XHTML_NS})
    html.set(_XML_LANG, xml_text(item.language))
    head = etree.SubElement(html, f"{{{XHTML_NS}}}head")
    etree.SubElement(head, f"{{{XHTML_NS}}}title").text = xml_line(item.title)
    html.append(xhtml_body(item))
    return root


def _serialize(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def to_newsml(item: ExchangeItem, provider: str | None = None) -> bytes:
    """One item as a standalone NewsML-G2 2.35 `newsItem` document (UTF-8 bytes).

    `provider` names the party that provides the item (the sending office); by default the
    item's source. Translations are not included: use `newsmessage` to send them along.
    """
    return _serialize(news_item_element(item, provider))


def _expand(items: Iterable[ExchangeItem], translations: bool) -> list[ExchangeItem]:
    """The items, each followed by its approved translations as items of their own."""
    out: list[ExchangeItem] = []
    for item in items:
        out.append(item)
        if translations:
            out.extend(translation_item(item, t) for t in item.translations)
    return out


def _message(
    items: Iterable[etree._Element],
    sender: str | None,
    sent: datetime | None,
    transmit_id: str | None,
) -> bytes:
    root = _el(None, "newsMessage")
    header = _el(root, "header")
    _el(header, "sent", iso(sent or datetime.now(UTC)))
    if sender:
        _el(header, "sender", sender)
    if transmit_id:
        _el(header, "transmitId", transmit_id)
    item_set = _el(root, "itemSet")
    for element in items:
        item_set.append(element)
    return _serialize(root)


def newsmessage(
    items: Iterable[ExchangeItem],
    *,
    sender: str | None = None,
    sent: datetime | None = None,
    transmit_id: str | None = None,
    translations: bool = True,
) -> bytes:
    """A `newsMessage` carrying one `newsItem` per item (and per approved translation).

    `sender` is the sending office, `transmit_id` the delivery's sequence number or id;
    `sent` defaults to now (pass it for reproducible output).
    """
    elements = [news_item_element(i, sender) for i in _expand(items, translations)]
    return _message(elements, sender, sent, transmit_id)


def package_item_element(package: ExchangePackage, translations: bool = True) -> etree._Element:
    """The `packageItem` of a package: one group referencing every item (and translation)."""
    root = _root("packageItem", package.guid, package.version, None)
    meta = _el(root, "itemMeta")
    _el(meta, "itemClass", qcode="ninat:composite")
    _provider(meta, package.sender)
    _el(meta, "versionCreated", iso(package.created))
    _el(meta, "pubStatus", qcode="stat:usable")
    content = _el(root, "contentMeta")
    _el(content, "headline", package.title)
    group_set = _el(root, "groupSet", root="G1")
    group = _el(group_set, "group", id="G1", role="group:main")
    for item in _expand(package.items, translations):
        ref = _el(
            group,
            "itemRef",
            residref=item.guid,
            version=str(item.version),
            contenttype=NEWSITEM_CONTENT_TYPE,
        )
        ref.set(_XML_LANG, xml_text(item.language))
        _el(ref, "itemClass", qcode="ninat:text")
        _el(ref, "title", item.title)
    return root


def package_item(package: ExchangePackage, translations: bool = True) -> bytes:
    """The package as a standalone NewsML-G2 `packageItem` document (references only)."""
    return _serialize(package_item_element(package, translations))


def package_message(
    package: ExchangePackage,
    *,
    sent: datetime | None = None,
    transmit_id: str | None = None,
    translations: bool = True,
) -> bytes:
    """What is actually delivered: a `newsMessage` with the packageItem and every newsItem."""
    elements = [package_item_element(package, translations)]
    elements += [news_item_element(i, package.sender) for i in _expand(package.items, translations)]
    return _message(elements, package.sender, sent, transmit_id)
