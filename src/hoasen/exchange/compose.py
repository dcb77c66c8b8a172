"""Composing a package from selected articles: each article in the plan's languages (the
original, approved translations, machine translations made for missing ones that must wait for
an editor's approval), then the files of the plan's format (see `packages`).

Only approved translations are ever written into files: a unit whose translation is still a
draft is kept as an item row (so the package says what it waits for) but has no file yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from hoasen.errors import HoasenError, NotFoundError
from hoasen.exchange.build import build_items
from hoasen.exchange.formats import Translation, translation_item
from hoasen.exchange.packages import Built, Entry, PackageMeta, Unit, build_package
from hoasen.exchange.plans import ORIGINAL
from hoasen.exchange.select import Candidate
from hoasen.store.exchange import ExchangeStore, PackageItem, PackageRow, PlanRow
from hoasen.store.partners import PartnerStore
from hoasen.translate.types import base_lang

if TYPE_CHECKING:
    from hoasen.desk import Desk


@dataclass
class Composition:
    """A package's documents, the units waiting for a translation's approval, and notes."""

    entries: list[Entry] = field(default_factory=list)
    waiting: list[Unit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Waiting:
    """A translation a package waits for: its id, article, language and current status."""

    translation_id: int
    article_id: int
    language: str
    status: str


class PackageComposer:
    """Turns articles into a package's items and files, over one Desk."""

    def __init__(self, desk: Desk, rows: ExchangeStore, tz: ZoneInfo) -> None:
        self.desk = desk
        self.rows = rows
        self.partners = PartnerStore(desk.store)
        self.tz = tz

    def compose(
        self, plan: PlanRow, articles: Sequence[Candidate], operator: str, machine: bool
    ) -> Composition:
        """Every article in the plan's languages: the original when asked for (or when it is
        already in a wanted language), approved translations attached to it (or standing
        alone without the original); missing ones made by machine when the plan says so and
        `machine` allows, else noted as missing."""
        ids = [c.id for c in articles]
        items = build_items(self.desk, ids, translations=False)
        topics = self.desk.results.topics(ids)
        targets = [lang for lang in plan.languages if lang != ORIGINAL]
        out = Composition()
        for candidate, item in zip(articles, items, strict=True):
            own = base_lang(item.language)
            topic = next(iter(topics.get(candidate.id) or []), ("", 0.0))[0]
            lead = Unit(candidate.id, candidate.version, item.language, None, item.title, topic)
            done: list[tuple[Translation, Unit]] = []
            for target in targets:
                if base_lang(target) == own:
                    continue
                approved = self.desk.translation.records.approved(candidate.id, target)
                if approved is not None:
                    unit = replace(
                        lead, language=target, translation_id=approved.id, headline=approved.title
                    )
                    done.append((Translation(target, approved.title, approved.text()), unit))
                elif machine and plan.machine_translate:
                    draft = self._machine(candidate.id, target, operator, out.notes)
                    if draft is not None:
                        out.waiting.append(
                            replace(
                                lead, language=target, translation_id=draft[0], headline=draft[1]
                            )
                        )
                else:
                    out.notes.append(f"article {candidate.id} has no approved {target} translation")
            if ORIGINAL in plan.languages or any(base_lang(t) == own for t in targets):
                attached = replace(item, translations=tuple(t for t, _u in done))
                out.entries.append(Entry(attached, (lead, *(u for _t, u in done))))
            else:
                for translation, unit in done:
                    out.entries.append(Entry(translation_item(item, translation), (unit,)))
        return out

    def _machine(
        self, article_id: int, target: str, operator: str, notes: list[str]
    ) -> tuple[int, str] | None:
        """A draft machine translation (termbase enforced) of an article: the one a previous
        build made if it is still unapproved, else a new one. None (and a note) on failure."""
        records = self.desk.translation.records
        for existing in records.for_article(article_id):
            if existing.lang == target and existing.status != "approved":
                return existing.id, existing.title
        try:
            made = self.desk.translation.translate_article(
                article_id, target, termbase=True, by=operator or "exchange"
            )
        except HoasenError as exc:
            notes.append(f"article {article_id}: machine translation to {target} failed: {exc}")
            return None
        return made.id, made.title

    def meta(
        self, plan: PlanRow, package_id: int, sequence: int, built: datetime, fmt: str = ""
    ) -> PackageMeta:
        """What the files of a package say about it."""
        partner = self.partners.partner(plan.partner_id)
        settings = self.desk.settings
        return PackageMeta(
            id=package_id,
            sequence=sequence,
            partner_slug=partner.slug,
            partner_name=partner.name,
            plan_name=plan.name,
            format=fmt or plan.format,
            built=built,
            sender=settings.office_name,
            authority=settings.exchange_authority,
            timezone=self.tz,
        )

    def files(self, composition: Composition, meta: PackageMeta) -> Built:
        """The package's files from the documents (none yet when every unit waits), and item
        rows for the units still waiting after the others."""
        made = (
            build_package(composition.entries, meta) if composition.entries else Built([], [], "")
        )
        start = len(made.items) + 1
        extra = [
            PackageItem(
                n, u.article_id, u.version, u.language, u.translation_id, u.headline, u.topic
            )
            for n, u in enumerate(composition.waiting, start=start)
        ]
        return Built([*made.items, *extra], made.files, made.checksum)

    def waiting_for(self, package: PackageRow) -> list[Waiting]:
        """The package's translations that are not approved (yet)."""
        out = []
        for item in self.rows.items(package.id):
            if item.translation_id is None:
                continue
            try:
                status = self.desk.translation.records.get(item.translation_id).status
            except NotFoundError:
                status = "deleted"
            if status != "approved":
                out.append(Waiting(item.translation_id, item.article_id, item.language, status))
        return out

    def rebuild(self, package: PackageRow) -> Built:
        """A waiting package's items and files made again from its articles, with the
        translations approved since (no new machine translations)."""
        plan = self.rows.plan(package.plan_id)
        seen: dict[int, Candidate] = {}
        for item in self.rows.items(package.id):
            seen.setdefault(item.article_id, Candidate(item.article_id, item.version))
        composition = self.compose(plan, list(seen.values()), package.built_by, machine=False)
        meta = self.meta(plan, package.id, package.sequence, package.built, package.format)
        return self.files(composition, meta)
