"""The monthly report's "Exchange with partners" section: items sent to and received from each
partner in the report's period, by language, from the exchange ledger. Present only when the
ledger has something for the period; built into the document (so a stored report re-renders
the same) and shown by every renderer from the same lines.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.exchange.stats import exchange_stats
from hoasen.reports import i18n
from hoasen.store.db import Store


@dataclass(frozen=True)
class ExchangeLine:
    """One partner's exchange in the period, as displayed."""

    partner: str
    sent: str
    received: str
    sent_languages: str
    received_languages: str


def exchange_section(
    store: Store, gazetteer: Gazetteer, start: datetime, end: datetime, lang: str
) -> dict[str, Any] | None:
    """The section's document for [start, end): per partner, packages and items sent and
    received and their languages; None when nothing was exchanged."""
    found = exchange_stats(store, start, end)
    if not found:
        return None
    partners: dict[str, dict[str, Any]] = {}
    for stat in found:
        entity = gazetteer.get(stat.entity_id) if stat.entity_id else None
        name = entity.name(lang) if entity else stat.name
        key = stat.partner or str(stat.partner_id or "")
        entry = partners.setdefault(key, {"partner": stat.partner, "name": name or key})
        entry[stat.direction] = {
            "packages": stat.packages,
            "items": stat.items,
            "articles": stat.articles,
            "by_language": stat.by_language,
        }
    return {"partners": list(partners.values())}


def exchange_lines(doc: Mapping[str, Any], lang: str) -> list[ExchangeLine]:
    """The section's lines in the report's language (none when the document has no section)."""
    section = doc.get("exchange") or {}

    def num(x: float) -> str:
        return i18n.fmt_number(x, lang)

    def languages(counts: Mapping[str, int]) -> str:
        return ", ".join(f"{_language(code, lang)} {num(n)}" for code, n in counts.items())

    out = []
    for p in section.get("partners") or []:
        sent, received = p.get("sent") or {}, p.get("received") or {}
        out.append(
            ExchangeLine(
                partner=str(p.get("name") or p.get("partner") or ""),
                sent=num(sent.get("items", 0)),
                received=num(received.get("items", 0)),
                sent_languages=languages(sent.get("by_language") or {}),
                received_languages=languages(received.get("by_language") or {}),
            )
        )
    return out


def exchange_headers(gettext: Callable[[str], str]) -> list[str]:
    """The section table's column headers."""
    _ = gettext
    return [
        _("Partner"),
        _("Items sent"),
        _("Items received"),
        _("Sent by language"),
        _("Received by language"),
    ]


def exchange_note(gettext: Callable[[str], str]) -> str:
    """What the counts mean."""
    return gettext(
        "From the exchange ledger: an item is one article in one language; only what was "
        "really sent or received counts."
    )


def _language(code: str, lang: str) -> str:
    return ",".join(i18n.language_name(part, lang) for part in code.split(",")) or code
