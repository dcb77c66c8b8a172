"""Receiving partner documents: the signed HTTP inbox, watched folders, files and feed polls.

Every document (ninjs 1.x-3.x, NewsML-G2, Atom/RSS, JSON Feed) goes through `read_document` and
the normal ingest (language, dedupe, entities, stories), credited to the partner's own source,
and gets one "received" row in the exchange ledger: `received` with its articles as
[article_id, version (content hash), language], or `refused` with the reason. A broken document
is refused on its own; the rest of the batch goes in.

The inbox is for machines: an HMAC-SHA256 signature of the raw body with the key named by the
partner's inbound plan (`X-Hoasen-Signature: sha256=<hex>`), no session or API token. The same
`Idempotency-Key` from the same partner returns the first result without ingesting again.
Watched folders move every file read to `processed/` or `refused/` (with `NAME.reason.txt`), so
nothing is read twice or lost; files still being written wait for the next poll.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from hoasen.errors import ConfigError, HoasenError, NotFoundError, UsageError
from hoasen.exchange.read import read_document
from hoasen.ingest.pipeline import input_identity
from hoasen.models import IngestReport, ItemError, RawInput
from hoasen.store import schema
from hoasen.store.db import Source, StoredArticle
from hoasen.store.ledger import LedgerRow, LedgerStore
from hoasen.store.partners import PartnerRow

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.exchange.folders import FolderPoll, FolderWatcher

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hoasen-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TRANSPORTS = ("inbox", "folder", "feed", "file")
SETTLE_SECONDS = 5.0  # a file modified more recently than this may still be being written
_KEY = re.compile(r"[\x21-\x7e]{1,200}")  # an idempotency key: 1-200 visible ASCII characters
# One receipt at a time per process (shared by every ExchangeInbox, as the Desk's cached
# property may be made twice by two first requests at once).
_RECEIVING = threading.RLock()
_SNIFF = (
    (re.compile(rb"<(?:\w+:)?(?:newsItem|newsMessage)\b"), "newsml"),
    (re.compile(rb"<(?:\w+:)?feed\b"), "atom"),
    (re.compile(rb"<(?:rss|rdf:RDF)\b"), "rss"),
)


class BadSignature(HoasenError):
    """An inbox request whose signature is missing, malformed, wrong, or cannot be checked
    because the partner's key is not configured (HTTP 401)."""

    http_status = 401
    code = "bad_signature"


class TooLarge(HoasenError):
    """A document larger than `web_upload_max_mb` (HTTP 413)."""

    http_status = 413
    code = "too_large"


class IdempotencyConflict(HoasenError):
    """An idempotency key reused for a different body (HTTP 409)."""

    http_status = 409
    code = "idempotency_conflict"


# ------------------------------------------------------------------------------ records


@dataclass(frozen=True)
class InboundPlan:
    """A partner's "in" exchange plan: how that partner sends (inbox, folder or feed)."""

    id: int
    partner_id: int
    name: str
    format: str
    transport: str
    config: dict[str, Any]
    secret: str  # the name of its key in exchange_secrets, never the key
    active: bool


@dataclass(frozen=True)
class ReceivedArticle:
    """One article a received document yielded (new, a duplicate, or already stored)."""

    id: int
    version: str  # the article's content hash
    language: str
    duplicate_of: int | None

    def as_json(self) -> dict[str, Any]:
        """`{"id", "version", "language", "duplicate_of"}`."""
        return dict(self.__dict__)


@dataclass
class ReceivedDocument:
    """What became of one document: its ledger entry, its articles and refused items.

    `new` counts the articles stored by this receipt (originals and duplicates); it is 0 for
    a document whose articles were all stored before, and for a replayed idempotency key.
    """

    ledger_id: int
    partner: str  # the partner's slug
    origin: str
    format: str
    status: str  # received / refused
    articles: list[ReceivedArticle]
    errors: list[str]
    received: datetime
    new: int = 0
    replayed: bool = False

    @property
    def error(self) -> str:
        """The refusal reasons on one line each (what the ledger keeps)."""
        return "\n".join(self.errors)

    def as_json(self) -> dict[str, Any]:
        """The inbox's answer; the same for a first receipt and an idempotent replay."""
        return {
            "ledger_id": self.ledger_id,
            "partner": self.partner,
            "origin": self.origin,
            "format": self.format,
            "status": self.status,
            "received": self.received.isoformat(),
            "articles": [a.as_json() for a in self.articles],
            "errors": list(self.errors),
            "replayed": self.replayed,
        }


@dataclass
class ReceiveReport:
    """One receipt of a batch of documents from one partner."""

    partner: PartnerRow
    source: str
    transport: str
    documents: list[ReceivedDocument] = field(default_factory=list)
    ingest: IngestReport = field(default_factory=IngestReport)

    @property
    def refused(self) -> list[ReceivedDocument]:
        """The documents refused as a whole."""
        return [d for d in self.documents if d.status == "refused"]

    def as_json(self) -> dict[str, Any]:
        """The ingest counts (as `hoasen ingest --json`) plus each document's outcome."""
        return {
            **self.ingest.as_json(),
            "partner": self.partner.slug,
            "source": self.source,
            "transport": self.transport,
            "documents": [d.as_json() for d in self.documents],
        }


# ------------------------------------------------------------------------------ helpers


def signature(key: str, body: bytes) -> str:
    """The inbox signature header value of `body` under `key`: `sha256=<lower-case hex>`."""
    return "sha256=" + hmac.new(key.encode("utf-8"), body, hashlib.sha256).hexdigest()


def checksum(data: bytes) -> str:
    """The ledger checksum of a document: `sha256:<hex>`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def document_format(data: bytes) -> str:
    """The format of a partner document told from its first bytes (for the ledger):
    ninjs, jsonfeed, newsml, atom, rss, or "" when it is none of them."""
    head = data.lstrip()[:4096]
    if head[:1] in (b"{", b"["):
        return "jsonfeed" if b"jsonfeed.org/version" in head else "ninjs"
    if head[:1] == b"<":
        for pattern, name in _SNIFF:
            if pattern.search(head):
                return name
        return "xml"
    return ""


def _plan(row: Any) -> InboundPlan:
    try:
        config = json.loads(row.transport_config or "{}")
    except ValueError:
        config = {}
    return InboundPlan(
        id=row.id,
        partner_id=row.partner_id,
        name=row.name,
        format=row.format,
        transport=row.transport,
        config=config if isinstance(config, dict) else {},
        secret=row.secret or "",
        active=bool(row.active),
    )


# ------------------------------------------------------------------------------ the inbox


class ExchangeInbox:
    """Receiving from partners over one Desk: inbox requests, watched folders, files, feeds.

    Receipts are serialised within the process (one lock), so a retried request and its
    original never race past the idempotency check or the dedupe.
    """

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.store = desk.store
        self.ledger = LedgerStore(desk.store)

    # ---------------------------------------------------------------- partners and plans

    def partner(self, ref: PartnerRow | str | int) -> PartnerRow:
        """The partner meant by `ref` (a row, id, slug or any name); NotFoundError else."""
        if isinstance(ref, PartnerRow):
            return ref
        return self.desk.partners.partner(ref)

    def plans(
        self, transport: str | None = None, partner_id: int | None = None, active: bool = True
    ) -> list[InboundPlan]:
        """The inbound ("in") plans, by name, filtered by transport and partner."""
        t = schema.exchange_plans
        query = select(t).where(t.c.direction == "in").order_by(t.c.name)
        if transport is not None:
            query = query.where(t.c.transport == transport)
        if partner_id is not None:
            query = query.where(t.c.partner_id == partner_id)
        if active:
            query = query.where(t.c.active.is_(True))
        with self.store.engine.connect() as conn:
            return [_plan(r) for r in conn.execute(query).all()]

    def plan(self, name: str) -> InboundPlan:
        """The inbound plan called `name` (active or not)."""
        found = [p for p in self.plans(active=False) if p.name == name]
        if not found:
            raise NotFoundError(f"no inbound exchange plan named {name!r}")
        return found[0]

    def inbox_plan(self, partner: PartnerRow | str | int) -> InboundPlan:
        """The partner's active inbound plan with the inbox transport; NotFoundError ("no
        inbox for this partner") when it has none."""
        row = self.partner(partner)
        found = self.plans(transport="inbox", partner_id=row.id)
        if not found:
            raise NotFoundError(f"no inbox for this partner ({row.slug})")
        return found[0]

    def partner_source(self, partner: PartnerRow | str | int) -> Source:
        """The source a partner's documents are credited to, made when it has none.

        It is the partner's `exchange` source, else its oldest linked source; else a source
        named after the partner that is linked to no partner yet is adopted; else a new one
        is registered: kind `exchange`, URL `urn:hoasen:partner:SLUG`, the partner's country
        (foreign when it is not `office_country`), partner flag set.
        """
        row = self.partner(partner)
        found = self.store.partner_sources(row.id)
        if found:
            return found[0]
        name = row.name[:200]
        existing = self.store.find_source(name)
        if existing is not None and existing.partner_id is None:
            return self.store.link_source_partner(existing.name, row.id)
        if existing is not None:
            name = f"{row.name[:180]} ({row.slug})"[:200]
        office = self.desk.settings.office_country.upper()
        try:
            return self.store.add_partner_source(
                row.id,
                name,
                f"urn:hoasen:partner:{row.slug}",
                country=row.country,
                foreign=row.country is not None and row.country.upper() != office,
            )
        except UsageError:
            found = self.store.partner_sources(row.id)  # made meanwhile by another process
            if found:
                return found[0]
            raise

    # ---------------------------------------------------------------- receiving

    def receive(
        self,
        partner: PartnerRow | str | int,
        documents: Iterable[tuple[str, bytes]],
        transport: str,
        operator: str = "",
        plan: InboundPlan | None = None,
    ) -> ReceiveReport:
        """Ingest `(origin, bytes)` documents from one partner, credited to its source, with
        one ledger row per document; then analyse the new articles (when analysis on ingest is
        on). A document none of whose articles could be read or stored is refused."""
        if transport not in TRANSPORTS:
            raise UsageError(f"unknown transport {transport!r} (known: {', '.join(TRANSPORTS)})")
        row = self.partner(partner)
        with _RECEIVING:
            source = self.partner_source(row)
            report = ReceiveReport(row, source.name, transport)
            for origin, data in documents:
                doc, got = self._receive_one(row, source, origin, data, transport, operator, plan)
                report.documents.append(doc)
                report.ingest.merge(got)
            self._analyze(report.ingest)
        return report

    def receive_files(
        self, partner: PartnerRow | str | int, paths: Sequence[Path], operator: str = ""
    ) -> ReceiveReport:
        """Receive local files from a partner (`hoasen exchange import --partner`): each file
        is one ledger row (transport "file"); an unreadable one is refused."""
        row = self.partner(partner)
        readable: list[tuple[str, bytes]] = []
        unreadable: list[tuple[str, str]] = []
        for path in paths:
            try:
                readable.append((str(path), path.read_bytes()))
            except OSError as exc:
                unreadable.append((str(path), f"cannot read: {exc.strerror or exc}"))
        report = self.receive(row, readable, "file", operator)
        for origin, reason in unreadable:
            report.documents.append(self.refuse(row, origin, b"", reason, "file", operator))
            report.ingest.errors.append(ItemError(origin, reason))
        return report

    def refuse(
        self,
        partner: PartnerRow | str | int,
        origin: str,
        data: bytes,
        reason: str,
        transport: str,
        operator: str = "",
        plan: InboundPlan | None = None,
    ) -> ReceivedDocument:
        """Record a document refused before it could be read (too large, not a document)."""
        row = self.partner(partner)
        entry = self._record(row.id, plan, transport, origin, data, operator, [], [reason])
        return self._document(entry, row.slug)

    def _record(
        self,
        partner_id: int,
        plan: InboundPlan | None,
        transport: str,
        origin: str,
        data: bytes | None,
        operator: str,
        articles: Sequence[ReceivedArticle],
        reasons: Sequence[str],
        fmt: str | None = None,
    ) -> LedgerRow:
        """One "received" ledger row: status received when the document yielded articles,
        else refused; the reasons of refused documents and items one per line."""
        entry = self.ledger.record(
            {
                "direction": "received",
                "partner_id": partner_id,
                "plan_id": plan.id if plan else None,
                "format": document_format(data or b"") if fmt is None else fmt,
                "transport": transport,
                "origin": origin,
                "items": [[a.id, a.version, a.language] for a in articles],
                "languages": [a.language for a in articles if a.language],
                "status": "received" if articles else "refused",
                "bytes": len(data or b""),
                "checksum": checksum(data) if data else "",
                "operator": operator,
                "error": "\n".join(" ".join(r.split()) for r in reasons),
            }
        )
        log.info(
            "%s %s from partner %d: %s, %d articles%s",
            transport,
            origin,
            partner_id,
            entry.status,
            len(articles),
            f" ({entry.error})" if entry.error else "",
        )
        return entry

    def _receive_one(
        self,
        partner: PartnerRow,
        source: Source,
        origin: str,
        data: bytes,
        transport: str,
        operator: str,
        plan: InboundPlan | None,
    ) -> tuple[ReceivedDocument, IngestReport]:
        """Read one document, ingest it item by item (to know each item's article) and record
        it in the ledger."""
        read = read_document(origin, data)
        errors = [r for r in read if isinstance(r, ItemError)]
        self.store.add_errors(errors, source.id)
        report = IngestReport(errors=list(errors))
        articles: list[tuple[int, bool]] = []  # (article id, stored by this receipt)
        items = [r for r in read if not isinstance(r, ItemError)]
        for index, item in enumerate(items, start=1):
            raw = RawInput(
                origin=_item_origin(partner, transport, origin, item, index, len(items)),
                data=json.dumps(item, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                fmt="json",
                url=item.get("url"),
                source_name=source.name,
            )
            got = self.desk.ingestor.ingest([raw], source=source)
            report.merge(got)
            articles.extend((i, True) for i in got.article_ids)
            if got.skipped:
                known = self._article_of(raw)
                if known is not None:
                    articles.append((known, False))
        stored = {a.id: a for a in self.store.get_articles([i for i, _ in articles])}
        received = [_received(stored[i]) for i, _ in articles if i in stored]
        reasons = [
            e.reason if e.input == origin else f"{e.input}: {e.reason}" for e in report.errors
        ]
        if not items and not errors:
            reasons.append("the document holds no articles")
            report.errors.append(ItemError(origin, reasons[-1]))
        entry = self._record(partner.id, plan, transport, origin, data, operator, received, reasons)
        doc = self._document(entry, partner.slug, received)
        doc.new = sum(1 for _, new in articles if new)
        return doc, report

    def _article_of(self, raw: RawInput) -> int | None:
        """The article stored earlier from these very bytes at this origin (a resend)."""
        raw_id = self.store.find_raw(input_identity(raw))
        if raw_id is None:
            return None
        a = schema.articles.c
        with self.store.engine.connect() as conn:
            found = conn.execute(select(a.id).where(a.raw_id == raw_id).limit(1)).scalar()
        return int(found) if found is not None else None

    def _analyze(self, report: IngestReport) -> None:
        """Analyse the articles just stored (entities, topics, stories) as `Desk.ingest` does."""
        if not self.desk.settings.analyze_on_ingest or not report.article_ids:
            return
        done = self.desk.analyze(ids=report.article_ids)
        report.analyzed = done.articles
        report.errors.extend(done.errors)

    def _document(
        self, entry: LedgerRow, slug: str, articles: list[ReceivedArticle] | None = None
    ) -> ReceivedDocument:
        """The outcome of a document as its ledger entry tells it (articles read back from
        the store when not given, as for an idempotent replay)."""
        if articles is None:
            ids = [int(item[0]) for item in entry.items if item]
            articles = [_received(a) for a in self.store.get_articles(ids)]
        return ReceivedDocument(
            ledger_id=entry.id,
            partner=slug,
            origin=entry.origin,
            format=entry.format,
            status=entry.status,
            articles=articles,
            errors=[line for line in entry.error.split("\n") if line],
            received=entry.created,
        )

    # ---------------------------------------------------------------- the HTTP inbox

    def check_signature(
        self, partner: PartnerRow | str | int, body: bytes, header: str | None
    ) -> InboundPlan:
        """The partner's inbox plan when `header` is `sha256=<hex HMAC-SHA256 of body>` under
        the key that plan names; NotFoundError when the partner has no inbox; BadSignature
        when the header is missing, malformed or wrong, or the key is not configured (the
        request cannot be authenticated, so it is refused like a bad signature; the operator
        sees the missing secret's name in the log)."""
        row = self.partner(partner)
        plan = self.inbox_plan(row)
        if not header or not header.strip():
            raise BadSignature(f"missing {SIGNATURE_HEADER} header (sha256=<hex HMAC-SHA256>)")
        algorithm, sep, sent = header.strip().partition("=")
        if not sep or algorithm.strip().lower() != "sha256" or not sent.strip():
            raise BadSignature(f"{SIGNATURE_HEADER} must be sha256=<hex HMAC-SHA256 of the body>")
        try:
            key = self.desk.settings.secret(plan.secret) if plan.secret else ""
        except ConfigError:
            key = ""
        if not key:
            log.error("inbox plan %s: secret %r is not in exchange_secrets", plan.name, plan.secret)
            raise BadSignature("this inbox has no key configured yet: ask the office")
        expected = signature(key, body).encode("ascii")
        given = ("sha256=" + sent.strip().lower()).encode("utf-8", "replace")
        if not hmac.compare_digest(expected, given):
            log.warning("inbox of %s: refused a request with a wrong signature", row.slug)
            raise BadSignature(
                f"{SIGNATURE_HEADER} does not match the body (HMAC-SHA256 of the raw body with "
                "the partner's key)"
            )
        return plan

    def accept(
        self,
        partner: PartnerRow | str | int,
        body: bytes,
        signature_header: str | None,
        idempotency_key: str | None = None,
    ) -> ReceivedDocument:
        """One inbox request: the partner (404 when unknown or without an inbox), the size
        (413), the signature (401), the idempotency key (a replay returns the first result),
        then the document itself (refused ones come back with status "refused").

        Only received documents bind their idempotency key: a refused document may be
        corrected and sent again with the same key. The same key with another body is an
        IdempotencyConflict.
        """
        row = self.partner(partner)
        self.inbox_plan(row)
        limit = self.desk.settings.web_upload_max_mb * 1_000_000
        if len(body) > limit:
            raise TooLarge(f"the document is too large: at most {limit // 1_000_000} MB")
        plan = self.check_signature(row, body, signature_header)
        origin = "inbox"
        if idempotency_key is not None:
            key = idempotency_key.strip()
            if not _KEY.fullmatch(key):
                raise UsageError(f"{IDEMPOTENCY_HEADER} must be 1-200 visible ASCII characters")
            origin = f"inbox idempotency-key={key}"
        with _RECEIVING:
            if idempotency_key is not None:
                first = self._first_receipt(row, origin)
                if first is not None:
                    if first.checksum != checksum(body):
                        raise IdempotencyConflict(
                            f"{IDEMPOTENCY_HEADER} {idempotency_key.strip()!r} was used for "
                            "another document: use a new key for a new document"
                        )
                    doc = self._document(first, row.slug)
                    doc.replayed = True
                    return doc
            report = self.receive(row, [(origin, body)], "inbox", f"inbox:{row.slug}", plan)
        return report.documents[0]

    def _first_receipt(self, partner: PartnerRow, origin: str) -> LedgerRow | None:
        """The received ledger entry of an earlier inbox request with this idempotency key."""
        t = schema.exchange_ledger
        query = (
            select(t.c.id)
            .where(
                t.c.partner_id == partner.id,
                t.c.direction == "received",
                t.c.transport == "inbox",
                t.c.status == "received",
                t.c.origin == origin,
            )
            .order_by(t.c.id)
            .limit(1)
        )
        with self.store.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return self.ledger.get(int(found)) if found is not None else None

    # ---------------------------------------------------------------- feeds

    def record_polled(
        self, source: Source, report: IngestReport, operator: str = "poll"
    ) -> LedgerRow | None:
        """Record one poll of a partner's feed source in the ledger (one document: the feed),
        when it brought articles or refusals; None for sources of no partner or a poll that
        brought nothing new (so the ledger is not filled with empty polls)."""
        if source.partner_id is None or not (report.article_ids or report.errors):
            return None
        plans = self.plans(transport="feed", partner_id=source.partner_id)
        received = [_received(a) for a in self.store.get_articles(report.article_ids)]
        reasons = [f"{e.input}: {e.reason}" for e in report.errors]
        plan = plans[0] if plans else None
        return self._record(
            source.partner_id, plan, "feed", source.url, None, operator, received, reasons, "feed"
        )

    # ---------------------------------------------------------------- watched folders

    def folders(self) -> FolderWatcher:
        """The watched folders of this inbox's plans (`hoasen.exchange.folders`)."""
        from hoasen.exchange.folders import FolderWatcher

        return FolderWatcher(self)

    def folder_of(self, plan: InboundPlan) -> Path:
        """A folder plan's watched folder (see `hoasen.exchange.folders`)."""
        return self.folders().folder_of(plan)

    def poll_folders(
        self, plan_name: str | None = None, operator: str = "", settle: float = SETTLE_SECONDS
    ) -> list[FolderPoll]:
        """Poll every active inbound folder plan (or the one named, active or not)."""
        return self.folders().poll_folders(plan_name, operator, settle)

    def poll_folder(
        self, plan: InboundPlan, operator: str = "", settle: float = SETTLE_SECONDS
    ) -> FolderPoll:
        """Receive the new files of one plan's watched folder and move each away."""
        return self.folders().poll_folder(plan, operator, settle)


def _received(article: StoredArticle) -> ReceivedArticle:
    return ReceivedArticle(
        article.id, article.content_hash, article.language or "", article.duplicate_of
    )


def _item_origin(
    partner: PartnerRow, transport: str, origin: str, item: dict[str, str], index: int, count: int
) -> str:
    """Where one article of a document came from, as the ingest pipeline keeps it.

    Files keep their path (`path#N` for the Nth of several); inbox articles are named by the
    partner and their guid (`inbox/SLUG/GUID`), so the same article sent twice is recognised
    as already stored.
    """
    if transport == "inbox":
        guid = item.get("guid") or f"{index}"
        return f"inbox/{partner.slug}/{guid}"
    return origin if count == 1 else f"{origin}#{index}"


from hoasen.exchange.folders import (  # noqa: E402  (folders builds on this module)
    FolderPoll,
    FolderWatcher,
)
