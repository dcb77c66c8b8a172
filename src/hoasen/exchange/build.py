"""Stored articles -> `ExchangeItem`s: what the exchange writers are fed from the database.

An article leaves hoasen with what the desk knows about it: its entities (linked to the
gazetteer where they are, so a partner sees the same URI whatever the spelling), its topics
(with the IPTC Media Topic QCode where the mapping is clear) and its approved translations
(never drafts: nothing unreviewed is sent). The guid is stable per article (`make_guid` with the
`exchange_authority` setting), so a partner recognises a re-sent article as the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hoasen.exchange.formats import Entity, ExchangeItem, Subject, Translation, make_guid
from hoasen.store.analysis import StoredMention
from hoasen.store.db import StoredArticle

if TYPE_CHECKING:
    from hoasen.desk import Desk

MEDIA_TOPICS = {
    "politics": "medtop:11000000",
    "economy": "medtop:04000000",
    "environment": "medtop:06000000",
    "science-digital": "medtop:13000000",
    "culture-exchange": "medtop:01000000",
}
"""hoasen topic id -> IPTC Media Topic QCode, only where the top-level match is clear."""

_ENTITY_TYPES = ("PER", "LOC", "ORG")


def aware(value: datetime) -> datetime:
    """A stored datetime made timezone-aware (SQLite gives naive UTC values back)."""
    return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)


def article_guid(authority: str, article: StoredArticle) -> str:
    """The article's stable guid: the same in every export, whatever the format or version."""
    return make_guid(authority, article.id, aware(article.published or article.fetched))


def entities_of(mentions: Sequence[StoredMention], names: dict[str, str]) -> tuple[Entity, ...]:
    """One `Entity` per linked gazetteer entry (named as in `names`) or unlinked surface form,
    in order of first mention; types other than PER/LOC/ORG are left out."""
    seen: set[tuple[str, str]] = set()
    out: list[Entity] = []
    for mention in mentions:
        if mention.type not in _ENTITY_TYPES:
            continue
        key = (mention.type, mention.entity_id or mention.text.strip().casefold())
        if key in seen or not mention.text.strip():
            continue
        seen.add(key)
        name = names.get(mention.entity_id or "") or mention.text.strip()
        out.append(Entity(name, mention.type, mention.entity_id))  # type: ignore[arg-type]
    return tuple(out)


def subjects_of(topics: Sequence[tuple[str, float]]) -> tuple[Subject, ...]:
    """Topics as subjects: hoasen's topic id as `code`, the Media Topic QCode where known."""
    return tuple(Subject(name=t, code=t, qcode=MEDIA_TOPICS.get(t)) for t, _score in topics)


def build_item(
    article: StoredArticle,
    authority: str,
    *,
    entities: tuple[Entity, ...] = (),
    subjects: tuple[Subject, ...] = (),
    translations: tuple[Translation, ...] = (),
) -> ExchangeItem:
    """One stored article as an `ExchangeItem` (version 1: stored articles are not revised)."""
    return ExchangeItem(
        guid=article_guid(authority, article),
        version=1,
        title=article.title,
        body=article.text,
        language=article.language or "und",
        published=aware(article.published or article.fetched),
        url=article.url,
        source_name=article.source_name,
        author=article.author,
        article_id=str(article.id),
        subjects=subjects,
        entities=entities,
        translations=translations,
    )


def build_items(
    desk: Desk, article_ids: Sequence[int], *, translations: bool = True
) -> list[ExchangeItem]:
    """The articles (in the order given) with their entities, topics and approved translations.

    Raises `NotFoundError` for an id that is not stored, so an export never silently drops one.
    """
    articles = [desk.store.get_article(i) for i in article_ids]
    ids = [a.id for a in articles]
    mentions = desk.results.mentions(ids)
    topics = desk.results.topics(ids)
    gazetteer = desk.pipeline.gazetteer
    authority = desk.settings.exchange_authority
    items = []
    for article in articles:
        language = article.language or "en"
        names: dict[str, str] = {}
        for mention in mentions.get(article.id, []):
            if mention.entity_id and mention.entity_id not in names:
                entry = gazetteer.get(mention.entity_id)
                names[mention.entity_id] = entry.name(language) if entry else mention.text
        approved: list[Translation] = []
        if translations:
            for lang in desk.settings.languages:
                if lang == article.language:
                    continue
                found = desk.translation.records.approved(article.id, lang)
                if found is not None:
                    approved.append(Translation(lang, found.title, found.text()))
        items.append(
            build_item(
                article,
                authority,
                entities=entities_of(mentions.get(article.id, []), names),
                subjects=subjects_of(topics.get(article.id, [])),
                translations=tuple(approved),
            )
        )
    return items
