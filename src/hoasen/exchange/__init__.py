"""News exchange with partner agencies: the documents hoasen sends and receives.

`formats` holds the plain input records (`ExchangeItem`, `ExchangePackage`), the ninjs writer and
the validators against IPTC's official schemas (shipped in `hoasen/data/standards`, used offline);
`newsml` writes NewsML-G2 2.35. Both are pure: no database, no network.
"""

from __future__ import annotations

from hoasen.exchange.formats import (
    NINJS_VERSIONS,
    Entity,
    ExchangeItem,
    ExchangePackage,
    InvalidDocument,
    Subject,
    Translation,
    make_guid,
    to_ninjs,
    translation_item,
    validate_newsml,
    validate_ninjs,
)
from hoasen.exchange.newsml import newsmessage, package_item, package_message, to_newsml

__all__ = [
    "NINJS_VERSIONS",
    "Entity",
    "ExchangeItem",
    "ExchangePackage",
    "InvalidDocument",
    "Subject",
    "Translation",
    "make_guid",
    "newsmessage",
    "package_item",
    "package_message",
    "to_newsml",
    "to_ninjs",
    "translation_item",
    "validate_newsml",
    "validate_ninjs",
]
