"""A package's files, written once when it is built and stored with it: the documents in the
plan's format (every ninjs and NewsML-G2 document validated against IPTC's schema first: one
that fails is a bug and is never stored), then `manifest.json` listing every item (article,
version, language, file) and every file's size and sha256. Also the payload the delivery queue
sends, rebuilt from the stored files, so a retry on any worker sends the same bytes.

Pure: no database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hoasen.delivery.types import Payload, PayloadFile
from hoasen.errors import UsageError
from hoasen.exchange.digest import digest_docx, digest_html
from hoasen.exchange.feeds import to_atom, to_jsonfeed
from hoasen.exchange.formats import (
    ExchangeItem,
    ExchangePackage,
    make_guid,
    ninjs_bytes,
    parse_xml,
    to_ninjs,
    validate_newsml,
    validate_ninjs,
)
from hoasen.exchange.newsml import newsmessage, package_message, to_newsml
from hoasen.store.exchange import PackageFile, PackageItem

MANIFEST = "manifest.json"
NINJS_VERSION = {"ninjs": "3.0", "ninjs2": "2.2"}
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Unit:
    """One article in one language as it goes in a package (its item row)."""

    article_id: int
    version: str
    language: str
    translation_id: int | None
    headline: str
    topic: str = ""


@dataclass(frozen=True)
class Entry:
    """One document's worth: the item written (an original with its translations attached, or
    a translation standing alone) and the article-language units it carries, lead first."""

    item: ExchangeItem
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class PackageMeta:
    """What the files say about the package itself."""

    id: int
    sequence: int
    partner_slug: str
    partner_name: str
    plan_name: str
    format: str
    built: datetime
    sender: str  # the office
    authority: str  # exchange_authority, for guids
    timezone: ZoneInfo

    @property
    def folder(self) -> str:
        """The package's folder name at the partner: "<partner-slug>-<sequence:05d>"."""
        return f"{self.partner_slug}-{self.sequence:05d}"

    @property
    def guid(self) -> str:
        """The package's own guid (a NewsML-G2 URN)."""
        return make_guid(self.authority, f"package-{self.folder}", self.built)

    @property
    def title(self) -> str:
        """The package's title, in words."""
        return f"{self.sender}: news package {self.sequence} for {self.partner_name}"


@dataclass(frozen=True)
class Built:
    """A built package: its item rows, its files (manifest last) and their checksum."""

    items: list[PackageItem]
    files: list[PackageFile]
    checksum: str


def build_package(entries: Sequence[Entry], meta: PackageMeta) -> Built:
    """The package's files in `meta.format` plus the manifest (see the module's docstring)."""
    if not entries:
        raise UsageError("a package needs at least one article")
    documents, file_of = _documents(entries, meta)
    units = [(u, file_of[n]) for n, e in enumerate(entries) for u in e.units]
    items = [
        PackageItem(pos, u.article_id, u.version, u.language, u.translation_id, u.headline, u.topic)
        for pos, (u, _file) in enumerate(units, start=1)
    ]
    manifest = _manifest(meta, units, documents)
    files = [*documents, PackageFile(MANIFEST, "application/json", manifest)]
    return Built(items, files, payload_of(files).checksum)


def _documents(entries: Sequence[Entry], meta: PackageMeta) -> tuple[list[PackageFile], list[str]]:
    """The format's files, and the file each entry went into (by entry index)."""
    fmt, items = meta.format, [e.item for e in entries]
    if fmt in NINJS_VERSION:
        version = NINJS_VERSION[fmt]
        files = []
        for entry in entries:
            doc = to_ninjs(entry.item, version)
            validate_ninjs(doc, version)
            files.append(PackageFile(_name(entry, "json"), "application/json", ninjs_bytes(doc)))
        return files, [f.name for f in files]
    if fmt == "newsml":
        files = []
        for entry in entries:
            if entry.item.translations:
                data = newsmessage(
                    [entry.item], sender=meta.sender, sent=meta.built, transmit_id=meta.folder
                )
            else:
                data = to_newsml(entry.item)
            validate_newsml(data)
            files.append(PackageFile(_name(entry, "xml"), "application/xml", data))
        return files, [f.name for f in files]
    one = _single(fmt, items, meta)
    return [one], [one.name] * len(entries)


def _single(fmt: str, items: list[ExchangeItem], meta: PackageMeta) -> PackageFile:
    """The one file of the formats that hold the whole package in one document."""
    lead = (
        f"{len(items)} articles sent by {meta.sender} to {meta.partner_name} "
        f"on {meta.built.astimezone(meta.timezone):%Y-%m-%d} (package {meta.sequence})."
    )
    if fmt == "newsml-package":
        package = ExchangePackage(
            guid=meta.guid,
            title=meta.title,
            created=meta.built,
            sender=meta.sender,
            items=tuple(items),
        )
        data = package_message(package, sent=meta.built, transmit_id=meta.folder)
        validate_newsml(data)
        return PackageFile("package.xml", "application/xml", data)
    if fmt == "atom":
        feed_id = f"urn:hoasen:{meta.authority}:package:{meta.folder}"
        data = to_atom(items, feed_id=feed_id, title=meta.title, updated=meta.built)
        parse_xml(data)  # well-formed, or a bug
        return PackageFile("feed.atom", "application/atom+xml", data)
    if fmt == "jsonfeed":
        data = to_jsonfeed(items, title=meta.title)
        json.loads(data)
        return PackageFile("feed.json", "application/feed+json", data)
    if fmt == "html":
        html = digest_html(meta.title, lead, items, meta.timezone)
        return PackageFile("digest.html", "text/html; charset=utf-8", html)
    if fmt == "docx":
        data = digest_docx(meta.title, lead, items, meta.timezone, meta.built)
        return PackageFile("digest.docx", DOCX_TYPE, data)
    raise UsageError(f"unknown package format {fmt!r}")


def _name(entry: Entry, suffix: str) -> str:
    return f"{entry.units[0].article_id}-{entry.item.language}.{suffix}"


def _manifest(
    meta: PackageMeta, units: Sequence[tuple[Unit, str]], files: Sequence[PackageFile]
) -> bytes:
    doc: dict[str, Any] = {
        "package": {
            "id": meta.id,
            "guid": meta.guid,
            "sequence": meta.sequence,
            "partner": meta.partner_slug,
            "plan": meta.plan_name,
            "format": meta.format,
            "sender": meta.sender,
            "built": meta.built.isoformat(),
        },
        "items": [
            {
                "article_id": u.article_id,
                "version": u.version,
                "language": u.language,
                "translation": u.translation_id is not None,
                "headline": u.headline,
                "file": name,
            }
            for u, name in units
        ],
        "files": [
            {
                "name": f.name,
                "media_type": f.media_type,
                "bytes": len(f.data),
                "sha256": hashlib.sha256(f.data).hexdigest(),
            }
            for f in files
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")


def payload_of(files: Sequence[PackageFile], **words: Any) -> Payload:
    """The payload of stored files, in their order, with the words that go with them."""
    return Payload(files=tuple(PayloadFile(f.name, f.media_type, f.data) for f in files), **words)


def package_payload(
    meta: PackageMeta, items: Sequence[PackageItem], files: Sequence[PackageFile]
) -> Payload:
    """What the delivery queue sends: the files in `meta.folder`, an e-mail's subject and
    text, and headers that let the partner recognise a package sent twice."""
    articles = len({i.article_id for i in items})
    languages = ", ".join(dict.fromkeys(i.language for i in items))
    lines = [
        f"{meta.sender} sends news package {meta.sequence} to {meta.partner_name}: "
        f"{articles} articles ({languages}), format {meta.format}.",
        "",
    ]
    lines += [f"- [{i.language}] {i.headline}" for i in items]
    lines += ["", f"Files: {', '.join(f.name for f in files)}. {MANIFEST} lists every item."]
    return payload_of(
        files,
        subject=f"{meta.title} ({articles} articles)",
        text="\n".join(lines) + "\n",
        folder=meta.folder,
        headers={
            "Idempotency-Key": f"hoasen-package-{meta.id}",
            "X-Hoasen-Sequence": str(meta.sequence),
            "X-Hoasen-Partner": meta.partner_slug,
        },
    )
