"""Which articles of a batch an alert matches: a query through the search index, an entity
through the stored mentions, a partner through its sources or its entity, a topic through the
stored topics, and a story spike through the stories the batch joined.

Matching only reads: the articles are already stored (and analysed, for entities, topics and
stories). Every kind takes the alert's language filter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hoasen.store.alerts import AlertRow, AlertStore

if TYPE_CHECKING:
    from hoasen.desk import Desk

Match = tuple[int, int | None]  # (article id, story id for a story alert)


class Matcher:
    """Matches alerts against batches of new articles on one Desk."""

    def __init__(self, desk: Desk, rows: AlertStore) -> None:
        self.desk = desk
        self.rows = rows

    def match(self, alert: AlertRow, ids: Sequence[int], now: datetime) -> list[Match]:
        """(article id, story id) of each article of `ids` the alert matches, by id."""
        if not ids:
            return []
        if alert.kind == "story":
            return self._spikes(alert, ids, now)
        if alert.kind == "query":
            found = self.desk.search_index.matching_ids(alert.target, within=ids)
        elif alert.kind == "entity":
            found = self.rows.mentioning(ids, self.entity_ids(alert.target))
        elif alert.kind == "partner":
            found = self._partner(alert.target, ids)
        elif alert.kind == "topic":
            found = self.rows.with_topic(ids, alert.target)
        else:
            return []
        if alert.language and found:
            found &= self.rows.in_language(found, alert.language)
        return [(i, None) for i in sorted(found)]

    def entity_ids(self, entity_id: str) -> list[str]:
        """The entity and its former names (a merged province is still watched by its old id)."""
        gazetteer = self.desk.pipeline.gazetteer
        return [entity_id, *(e.id for e in gazetteer if e.successor == entity_id)]

    def _partner(self, partner_id: str, ids: Sequence[int]) -> set[int]:
        partner = self.desk.partners.partner(int(partner_id))
        found = self.rows.from_partner(ids, partner.id)
        if partner.entity_id:
            found |= self.rows.mentioning(ids, self.entity_ids(partner.entity_id))
        return found

    def _spikes(self, alert: AlertRow, ids: Sequence[int], now: datetime) -> list[Match]:
        """One match per story that an article of the batch joined and that now has at least
        `spike_count` articles within `spike_hours`, unless the alert fired for it before; the
        match names the newest article of the batch in that story (the one that tipped it)."""
        allowed = self.rows.in_language(ids, alert.language)
        joined: dict[int, int] = {}
        for article_id, story_id in self.rows.stories_of(ids).items():
            if article_id in allowed:
                joined[story_id] = max(article_id, joined.get(story_id, 0))
        since = now - timedelta(hours=alert.spike_hours)
        found: list[Match] = []
        for story_id, article_id in sorted(joined.items()):
            if self.rows.has_story_hit(alert.id, story_id):
                continue
            if self.rows.story_size(story_id, since, alert.language) >= alert.spike_count:
                found.append((article_id, story_id))
        return found
