"""The exchange desk: export stored articles to partner formats, import partner documents;
plans and packages (`planning`) and sending them with the ledger (`outbox`).

Export builds `ExchangeItem`s from the store (see `build`), writes them in the asked format and
validates every ninjs/NewsML-G2 document before it is written: a document that does not
validate is a bug and is never handed out. Import reads partner documents (see `read`) into
`hoasen ingest` JSON items and runs them through the normal ingest pipeline, so language
detection, dedupe (the re-import of an exported article is a duplicate) and analysis apply.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from hoasen.errors import UsageError
from hoasen.exchange.build import build_items
from hoasen.exchange.feeds import to_atom, to_jsonfeed
from hoasen.exchange.formats import NINJS_VERSIONS, ninjs_bytes, to_ninjs, validate_ninjs
from hoasen.exchange.formats import validate_newsml as _validate_newsml
from hoasen.exchange.newsml import newsmessage, to_newsml
from hoasen.exchange.read import read_document
from hoasen.models import IngestReport, ItemError, RawInput

if TYPE_CHECKING:
    from hoasen.desk import Desk
    from hoasen.exchange.outbox import ExchangeOutbox
    from hoasen.exchange.planning import ExchangePlans

EXPORT_FORMATS = ("ninjs", "newsml", "atom", "jsonfeed")


class ExchangeDesk:
    """Export to and import from partner agencies, over one Desk (store, settings, pipeline)."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    @cached_property
    def planning(self) -> ExchangePlans:
        """Exchange plans and the packages built from them (preview, approval, cancel)."""
        from hoasen.exchange.planning import ExchangePlans

        return ExchangePlans(self.desk)

    @cached_property
    def outbox(self) -> ExchangeOutbox:
        """Sending packages, the scheduler's run_due, the ledger and per-partner statistics."""
        from hoasen.exchange.outbox import ExchangeOutbox

        return ExchangeOutbox(self.planning)

    def export(
        self,
        article_ids: Sequence[int],
        fmt: str,
        out_dir: Path,
        *,
        ninjs_version: str = "3.0",
        translations: bool = True,
    ) -> list[Path]:
        """Write the articles to `out_dir` and return the files written.

        ninjs: one `{id}.json` per article; NewsML-G2: one `{id}.xml` per article (a newsItem,
        or a newsMessage with the approved translations when there are some); Atom and JSON
        Feed: one `feed.atom` / `feed.json` with every article.
        """
        if fmt not in EXPORT_FORMATS:
            raise UsageError(f"unknown format {fmt!r} (known: {', '.join(EXPORT_FORMATS)})")
        if ninjs_version not in NINJS_VERSIONS:
            known = ", ".join(NINJS_VERSIONS)
            raise UsageError(f"unknown ninjs version {ninjs_version!r} (known: {known})")
        if not article_ids:
            raise UsageError("give at least one article id")
        items = build_items(self.desk, article_ids, translations=translations)
        out_dir.mkdir(parents=True, exist_ok=True)
        office = self.desk.settings.office_name
        written: list[Path] = []
        if fmt in ("ninjs", "newsml"):
            for item in items:
                if fmt == "ninjs":
                    doc = to_ninjs(item, ninjs_version)
                    validate_ninjs(doc, ninjs_version)
                    data, suffix = ninjs_bytes(doc), "json"
                else:
                    if item.translations:
                        data = newsmessage([item], sender=office, sent=item.version_created)
                    else:
                        data = to_newsml(item)
                    _validate_newsml(data)
                    suffix = "xml"
                path = out_dir / f"{item.article_id}.{suffix}"
                path.write_bytes(data)
                written.append(path)
            return written
        authority = self.desk.settings.exchange_authority
        if fmt == "atom":
            path = out_dir / "feed.atom"
            path.write_bytes(to_atom(items, feed_id=f"urn:hoasen:{authority}:feed", title=office))
        else:
            path = out_dir / "feed.json"
            path.write_bytes(to_jsonfeed(items, title=office))
        return [path]

    def read_files(
        self, paths: Sequence[Path], partner: str | None = None
    ) -> list[RawInput | ItemError]:
        """Partner documents as ingest inputs (one per article) and refusals (with reasons)."""
        inputs: list[RawInput | ItemError] = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError as exc:
                inputs.append(ItemError(str(path), f"cannot read: {exc.strerror or exc}"))
                continue
            docs = read_document(str(path), data)
            for index, doc in enumerate(docs, start=1):
                if isinstance(doc, ItemError):
                    inputs.append(doc)
                    continue
                origin = str(path) if len(docs) == 1 else f"{path}#{index}"
                inputs.append(
                    RawInput(
                        origin=origin,
                        data=json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"),
                        fmt="json",
                        url=doc.get("url"),
                        source_name=partner,
                    )
                )
        return inputs

    def import_files(self, paths: Sequence[Path], partner: str | None = None) -> IngestReport:
        """Ingest partner documents through the normal pipeline; refused ones are in `errors`.

        With `partner`, the articles are credited to it (its registered source when there is
        one); otherwise to the source each document names.
        """
        inputs = self.read_files(paths, partner)
        registered = partner is not None and self.desk.store.find_source(partner) is not None
        return self.desk.ingest(items=inputs, source_name=partner if registered else None)
