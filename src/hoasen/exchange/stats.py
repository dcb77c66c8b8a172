"""What was exchanged with each partner in a period, from the exchange ledger: packages, items
(articles in a language), articles, and items by language and by topic, per partner and
direction. What the monthly report, the desk and `hoasen exchange stats` show.

Only what really went or came counts: ledger entries `sent` and `received`. A sent package's
languages and topics come from its items; a received document's language from its items (or
the entry's languages), its topics from the analysis of the articles it brought.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hoasen.errors import NotFoundError
from hoasen.store.analysis import AnalysisStore
from hoasen.store.db import Store
from hoasen.store.exchange import ExchangeStore
from hoasen.store.ledger import LedgerRow, LedgerStore
from hoasen.store.partners import PartnerStore

COUNTED = ("sent", "received")
MAX_ENTRIES = 100_000


@dataclass
class PartnerExchange:
    """Packages and items exchanged with one partner in one direction."""

    partner_id: int | None
    partner: str  # slug ("" when the partner is unknown)
    name: str
    entity_id: str | None
    direction: str  # sent / received
    packages: int = 0
    items: int = 0
    articles: int = 0
    by_language: dict[str, int] = field(default_factory=dict)
    by_topic: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The counts as JSON."""
        return {
            "partner_id": self.partner_id,
            "partner": self.partner,
            "name": self.name,
            "direction": self.direction,
            "packages": self.packages,
            "items": self.items,
            "articles": self.articles,
            "by_language": self.by_language,
            "by_topic": self.by_topic,
        }


def exchange_stats(
    store: Store, since: datetime | None = None, until: datetime | None = None
) -> list[PartnerExchange]:
    """Per partner and direction, what was exchanged in [since, until), by partner name."""
    ledger = LedgerStore(store)
    entries = [
        e
        for e in ledger.entries(since=since, until=until, limit=MAX_ENTRIES)
        if e.status in COUNTED
    ]
    if not entries:
        return []
    topics = _topics(store, entries)
    groups: dict[tuple[int | None, str], list[LedgerRow]] = defaultdict(list)
    for entry in entries:
        groups[(entry.partner_id, entry.direction)].append(entry)
    partners = PartnerStore(store)
    out = []
    for (partner_id, direction), rows in groups.items():
        out.append(_count(_named(partners, partner_id, direction), rows, topics))
    out.sort(key=lambda p: (p.name.casefold(), p.partner_id or 0, COUNTED.index(p.direction)))
    return out


def _named(partners: PartnerStore, partner_id: int | None, direction: str) -> PartnerExchange:
    if partner_id is None:
        return PartnerExchange(None, "", "", None, direction)
    try:
        row = partners.partner(partner_id)
    except NotFoundError:
        return PartnerExchange(partner_id, "", f"partner {partner_id}", None, direction)
    return PartnerExchange(partner_id, row.slug, row.name, row.entity_id, direction)


def _count(
    found: PartnerExchange,
    rows: Sequence[LedgerRow],
    topics: dict[tuple[str, int | None, int], str],
) -> PartnerExchange:
    languages: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    articles: set[int] = set()
    for row in rows:
        found.packages += 1
        found.items += row.n_items
        counted: set[int] = set()
        for item in row.items:
            article_id = int(item[0])
            languages[_language(item, row)] += 1
            articles.add(article_id)
            if article_id in counted:
                continue
            counted.add(article_id)
            key = (row.direction, row.package_id if row.direction == "sent" else None, article_id)
            topic = topics.get(key)
            if topic:
                by_topic[topic] += 1
        if not row.items and row.n_items:  # an entry without its items: languages only
            languages[",".join(row.languages) or "unknown"] += row.n_items
    found.articles = len(articles)
    found.by_language = _sorted(languages.items())
    found.by_topic = _sorted(by_topic.items())
    return found


def _language(item: Sequence[Any], row: LedgerRow) -> str:
    if len(item) > 2 and item[2]:
        return str(item[2])
    return ",".join(row.languages) or "unknown"


def _topics(store: Store, entries: Sequence[LedgerRow]) -> dict[tuple[str, int | None, int], str]:
    """(direction, package id or None, article id) -> topic: a sent package's item topics, a
    received article's best topic."""
    out: dict[tuple[str, int | None, int], str] = {}
    package_ids = sorted(
        {e.package_id for e in entries if e.direction == "sent" and e.package_id is not None}
    )
    for package_id, items in ExchangeStore(store).items_of(package_ids).items():
        for item in items:
            if item.topic:
                out.setdefault(("sent", package_id, item.article_id), item.topic)
    received = sorted(
        {int(i[0]) for e in entries if e.direction == "received" for i in e.items if i}
    )
    for article_id, found in AnalysisStore(store).topics(received).items():
        if found:
            out[("received", None, article_id)] = found[0][0]
    return out


def _sorted(counts: Iterable[tuple[str, int]]) -> dict[str, int]:
    return dict(sorted(counts, key=lambda kv: (-kv[1], kv[0])))
