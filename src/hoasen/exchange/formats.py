"""Exchange records, the ninjs writer, and validation against IPTC's official schemas.

What hoasen sends to a partner agency is built from plain records (`ExchangeItem`,
`ExchangePackage`) that the exchange service fills from the store, so that every format writer
here stays pure and testable. Every document can be checked against the schema IPTC publishes
(`validate_ninjs`, `validate_newsml`); the schemas are shipped as package data under
`hoasen/data/standards/` (CC BY 4.0, see LICENSE and SOURCES.txt there) and nothing is ever
fetched: the GeoJSON schema that ninjs 2.x/3.x reference by URL is registered locally, and
NewsML-G2's `xml.xsd` import is answered from the package.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from typing import Any, Literal

from lxml import etree

from hoasen.errors import InputRejected, UsageError

NINJS_VERSIONS = ("2.0", "2.1", "2.2", "3.0", "3.1")
"""ninjs versions hoasen writes and validates; "3.0" is the default."""

NEWSML_VERSION = "2.35"
NAR_NS = "http://iptc.org/std/nar/2006-10-01/"
XHTML_NS = "http://www.w3.org/1999/xhtml"

GAZETTEER_URN = "urn:hoasen:gazetteer:"
"""Prefix that turns a gazetteer id (`cn.guangxi`) into a URI for ninjs/NewsML-G2 entities."""

# QCode scheme aliases (IPTC catalog) -> the URI they stand for, to give ninjs a full URI.
QCODE_SCHEMES = {
    "medtop": "http://cv.iptc.org/newscodes/mediatopic/",
    "genre": "http://cv.iptc.org/newscodes/genre/",
    "subj": "http://cv.iptc.org/newscodes/subjectcode/",
}

EntityType = Literal["PER", "LOC", "ORG"]

_DATA = ("hoasen", "data", "standards")
_NEWSML_XSD = "NewsML-G2_2.35-spec-All-Power.xsd"
_NEWSML_FILES = (_NEWSML_XSD, "xml.xsd")
_GEOJSON_ID = "https://geojson.org/schema/GeoJSON.json"

# Characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, surrogates, U+FFFE/U+FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")


class InvalidDocument(InputRejected):
    """A ninjs or NewsML-G2 document does not validate; `reason` is the schema's own message.

    An `InputRejected`: a partner document that fails is refused on its own and its batch goes
    on; a document hoasen wrote that fails is a bug and must not be sent.
    """


@dataclass(frozen=True)
class Subject:
    """A topic of an item: hoasen's own `code`, and the IPTC QCode (`medtop:…`) when mapped."""

    name: str
    code: str | None = None
    qcode: str | None = None

    @property
    def uri(self) -> str | None:
        """The full URI of `qcode` where its scheme is known (ninjs wants URIs, not QCodes)."""
        if not self.qcode or ":" not in self.qcode:
            return None
        scheme, _, code = self.qcode.partition(":")
        base = QCODE_SCHEMES.get(scheme)
        return base + code if base else None


@dataclass(frozen=True)
class Entity:
    """A named entity the item is about: person, place or organisation, maybe in the gazetteer."""

    name: str
    type: EntityType
    gazetteer_id: str | None = None

    def __post_init__(self) -> None:
        if self.type not in ("PER", "LOC", "ORG"):
            raise UsageError(f"unknown entity type {self.type!r} (expected PER, LOC or ORG)")

    @property
    def uri(self) -> str | None:
        """A stable URI for a gazetteer entity, the same in every document hoasen writes."""
        return GAZETTEER_URN + self.gazetteer_id if self.gazetteer_id else None


@dataclass(frozen=True)
class Translation:
    """An approved translation of an item: the language and the translated title and body."""

    language: str
    title: str
    body: str


@dataclass(frozen=True)
class ExchangeItem:
    """One article as it leaves hoasen: what every exchange format is written from.

    `guid` is stable for the article across versions (see `make_guid`) and `version` counts its
    published versions from 1. `body` is plain text, paragraphs separated by blank lines.
    Datetimes must be timezone-aware: a partner in another time zone reads them.
    """

    guid: str
    version: int
    title: str
    body: str
    language: str
    published: datetime
    updated: datetime | None = None
    url: str | None = None
    source_name: str | None = None
    author: str | None = None
    article_id: str | None = None
    subjects: tuple[Subject, ...] = ()
    keywords: tuple[str, ...] = ()
    entities: tuple[Entity, ...] = ()
    translations: tuple[Translation, ...] = ()
    translated_from: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not self.guid.strip():
            raise UsageError("an exchange item needs a guid")
        if self.version < 1:
            raise UsageError(f"item {self.guid}: version must be 1 or more, not {self.version}")
        if not self.language.strip():
            raise UsageError(f"item {self.guid}: no language")
        for label, value in (("published", self.published), ("updated", self.updated)):
            if value is not None and value.utcoffset() is None:
                raise UsageError(f"item {self.guid}: {label} must be timezone-aware")

    @property
    def version_created(self) -> datetime:
        """When this version was made: the last update, or the first publication."""
        return self.updated or self.published

    def paragraphs(self) -> list[str]:
        """The body's paragraphs (blank-line separated), stripped, empty ones dropped."""
        return [p.strip() for p in _PARAGRAPH_BREAK.split(self.body) if p.strip()]


@dataclass(frozen=True)
class ExchangePackage:
    """A package sent to one partner: its own guid and version, a title, who sends it, the items."""

    guid: str
    title: str
    created: datetime
    sender: str
    items: tuple[ExchangeItem, ...]
    version: int = 1

    def __post_init__(self) -> None:
        if self.created.utcoffset() is None:
            raise UsageError(f"package {self.guid}: created must be timezone-aware")
        if self.version < 1:
            raise UsageError(f"package {self.guid}: version must be 1 or more")


def make_guid(authority: str, article_id: object, created: datetime) -> str:
    """A NewsML-G2 style URN for an article: `urn:newsml:{authority}:{YYYYMMDD}:{id}`.

    The same article always gets the same guid (its creation date does not change); versions
    are told apart by `ExchangeItem.version`, as both ninjs and NewsML-G2 expect.
    """
    local = re.sub(r"[^A-Za-z0-9._-]", "-", str(article_id))
    host = re.sub(r"[^A-Za-z0-9.-]", "-", authority.lower())
    return f"urn:newsml:{host}:{created:%Y%m%d}:{local}"


def translation_guid(guid: str, language: str) -> str:
    """The guid of a translation: the original's guid with the language tag appended."""
    tag = language.strip().lower()
    return f"{guid}:{tag}" if guid.startswith("urn:") else f"{guid}/{tag}"


def translation_item(item: ExchangeItem, translation: Translation) -> ExchangeItem:
    """A translation as an item of its own (own guid and language), linked to the original."""
    return replace(
        item,
        guid=translation_guid(item.guid, translation.language),
        title=translation.title,
        body=translation.body,
        language=translation.language,
        translations=(),
        translated_from=item.guid,
    )


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 cannot hold removed (lxml refuses them otherwise)."""
    return _XML_ILLEGAL.sub("", text)


def xml_line(text: str) -> str:
    """`xml_text` on one line: NewsML-G2 metadata strings (g2normalizedString) refuse tab/CR/LF."""
    return _LINE_BREAKS.sub(" ", xml_text(text))


def iso(value: datetime) -> str:
    """RFC 3339 / xs:dateTime text for a timezone-aware datetime, to the second."""
    return value.replace(microsecond=0).isoformat()


def xhtml_body(item: ExchangeItem) -> etree._Element:
    """The body as an XHTML `<body>`: one `<p>` per paragraph, line breaks as `<br/>`."""
    body = etree.Element(f"{{{XHTML_NS}}}body", nsmap={None: XHTML_NS})
    for paragraph in item.paragraphs():
        p = etree.SubElement(body, f"{{{XHTML_NS}}}p")
        lines = xml_text(paragraph).split("\n")
        p.text = lines[0]
        for line in lines[1:]:
            br = etree.SubElement(p, f"{{{XHTML_NS}}}br")
            br.tail = line
    return body


# ---------------------------------------------------------------------------------------- ninjs


def to_ninjs(item: ExchangeItem, version: str = "3.0") -> dict[str, Any]:
    """The item as a ninjs document (3.x camelCase, 2.x lower-case property names).

    Bodies are given twice, as `text/plain` and as `text/html` (an XHTML `<body>`), as in IPTC's
    own examples. Entities go to `people`/`places`/`organisations`, topics and keywords to
    `subjects` (keywords with `rel: "keyword"`: ninjs 2.x/3.x have no keyword property).
    Approved translations are full ninjs objects in `associations`, named `translation-{lang}`
    (3.x also says `rel: "translation"`), each with its own uri and `language`.
    """
    if version not in NINJS_VERSIONS:
        raise UsageError(f"unknown ninjs version {version!r} (known: {', '.join(NINJS_VERSIONS)})")
    doc = _ninjs_object(item, version)
    doc["standard"] = {
        "name": "ninjs",
        "version": version,
        "schema": f"http://www.iptc.org/std/ninjs/ninjs-schema_{version}.json#",
    }
    associations = []
    for translation in item.translations:
        assoc = _ninjs_object(translation_item(item, translation), version)
        assoc["name"] = f"translation-{translation.language}"
        if version.startswith("3"):
            assoc["rel"] = "translation"
        associations.append(assoc)
    if associations:
        doc["associations"] = associations
    return doc


def _ninjs_object(item: ExchangeItem, version: str) -> dict[str, Any]:
    """One ninjs object for one language (no `standard`, no associations)."""

    def k(camel: str) -> str:  # ninjs 3 renamed every property to camelCase
        return camel if version.startswith("3") else camel.lower()

    html = etree.tostring(xhtml_body(item), encoding="unicode")
    html = html.replace(f' xmlns="{XHTML_NS}"', "", 1)
    doc: dict[str, Any] = {
        "uri": item.guid,
        "type": "text",
        "version": str(item.version),
        k("firstCreated"): iso(item.published),
        k("versionCreated"): iso(item.version_created),
        k("pubStatus"): "usable",
        "language": item.language,
        "headlines": [{"role": "main", "value": item.title}],
        "bodies": [
            {
                "role": "text",
                k("contentType"): "text/plain",
                "value": item.body,
                k("charCount"): len(item.body),
                k("wordCount"): len(item.body.split()),
            },
            {"role": "xhtml", k("contentType"): "text/html", "value": html},
        ],
    }
    if item.author:
        doc["by"] = item.author
    if item.source_name:
        doc[k("infoSources")] = [{"name": item.source_name, "role": "originator"}]
    if item.url:
        doc["renditions"] = [{"name": "web", "href": item.url, k("contentType"): "text/html"}]
    alt_ids = []
    if item.article_id is not None:
        alt_ids.append({"role": "hoasen-article", "value": str(item.article_id)})
    if item.translated_from:
        alt_ids.append({"role": "translated-from", "value": item.translated_from})
    if alt_ids:
        doc[k("altIds")] = alt_ids
    groups = {"PER": "people", "LOC": "places", "ORG": "organisations"}
    for entity in item.entities:
        entry: dict[str, Any] = {"name": entity.name}
        if entity.uri:
            entry["uri"] = entity.uri
            entry["literal"] = entity.gazetteer_id
        doc.setdefault(groups[entity.type], []).append(entry)
    subjects: list[dict[str, Any]] = []
    for subject in item.subjects:
        entry = {"name": subject.name}
        if subject.uri:
            entry["uri"] = subject.uri
        if subject.code:
            entry["literal"] = subject.code
        subjects.append(entry)
    subjects.extend({"name": keyword, "rel": "keyword"} for keyword in item.keywords)
    if subjects:
        doc["subjects"] = subjects
    return doc


def ninjs_bytes(doc: dict[str, Any]) -> bytes:
    """A ninjs document as the UTF-8 JSON that is sent (CJK and Vietnamese kept readable)."""
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


# ------------------------------------------------------------------------------------ validation


def _standard_file(standard: str, name: str) -> bytes:
    """The bytes of one shipped schema file (package data, read through importlib.resources)."""
    package, *parts = _DATA
    return resources.files(package).joinpath(*parts, standard, name).read_bytes()


@functools.cache
def _ninjs_validator(version: str) -> Any:
    """The compiled validator for one ninjs version, with GeoJSON served locally (cached)."""
    import jsonschema
    from referencing import Registry, Resource

    schema = json.loads(_standard_file("ninjs", f"ninjs-schema_{version}.json"))
    geojson = json.loads(_standard_file("ninjs", "GeoJSON-schema.json"))
    registry: Registry[Any] = Registry().with_resource(_GEOJSON_ID, Resource.from_contents(geojson))
    cls = jsonschema.validators.validator_for(schema)  # the draft the schema declares
    cls.check_schema(schema)
    return cls(schema, registry=registry, format_checker=cls.FORMAT_CHECKER)


def validate_ninjs(doc: object, version: str = "3.0") -> None:
    """Check a ninjs document (dict, or JSON text/bytes) against the official schema.

    Raises `InvalidDocument` with the schema's message and the JSON path of the first (best)
    error. Formats (`uri`, `date-time`) are checked where jsonschema has a checker for them.
    """
    if version not in NINJS_VERSIONS:
        raise UsageError(f"unknown ninjs version {version!r} (known: {', '.join(NINJS_VERSIONS)})")
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise InvalidDocument(f"ninjs {version}: not JSON: {exc}") from exc
    import jsonschema

    error = jsonschema.exceptions.best_match(_ninjs_validator(version).iter_errors(doc))
    if error is not None:
        raise InvalidDocument(f"ninjs {version}: {error.message} (at {error.json_path})")


class _StandardsResolver(etree.Resolver):
    """Answers the NewsML-G2 XSD's imports (`xml.xsd`) from the shipped copies, never the web."""

    def resolve(self, url: str | None, pubid: str | None, context: object) -> Any:
        name = (url or "").rsplit("/", 1)[-1]
        if name in _NEWSML_FILES:
            return self.resolve_string(_standard_file("newsml-g2", name), context)
        return None


@functools.cache
def newsml_schema() -> etree.XMLSchema:
    """The compiled NewsML-G2 2.35 "power" schema (all item types), built once per process."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_StandardsResolver())
    root = etree.fromstring(
        _standard_file("newsml-g2", _NEWSML_XSD),
        parser,
        base_url=f"hoasen-standards/newsml-g2/{_NEWSML_XSD}",
    )
    return etree.XMLSchema(root)


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse untrusted XML safely: no network, no external entities, no DTD loading."""
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        return etree.ElementTree(etree.fromstring(data, parser))
    except etree.XMLSyntaxError as exc:
        raise InvalidDocument(f"NewsML-G2: not well-formed XML: {exc}") from exc


def validate_newsml(xml: bytes) -> None:
    """Check a NewsML-G2 document (newsItem, newsMessage, packageItem…) against the 2.35 schema.

    Raises `InvalidDocument` with the schema's first message and its line.
    """
    tree = parse_xml(xml)
    if tree.docinfo.doctype:
        # NewsML-G2 has no DTD; a DOCTYPE only brings entities (XXE, billion laughs).
        raise InvalidDocument("NewsML-G2: a DOCTYPE is not allowed")
    schema = newsml_schema()
    try:
        valid = schema.validate(tree)
    except etree.XMLSchemaValidateError as exc:
        raise InvalidDocument(f"NewsML-G2 {NEWSML_VERSION}: cannot be validated: {exc}") from exc
    if not valid:
        errors: Iterator[Any] = iter(schema.error_log)
        first = next(errors, None)
        where = f"line {first.line}: " if first is not None else ""
        message = first.message if first is not None else "invalid"
        raise InvalidDocument(f"NewsML-G2 {NEWSML_VERSION}: {where}{message}")
