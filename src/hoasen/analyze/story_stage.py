"""The stories stage: the online clusterer (analyze/stories.py) over the stored stories.

Stories live in the database (`stories`, `story_articles`) with the clusterer's state, so a
later run picks up where the last one stopped: it loads the stories still inside the time
window and assigns new articles to them or opens new ones.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import Connection

from hoasen.analyze.embed import to_blob
from hoasen.analyze.stories import Story, StoryClusterer, StoryItem, story_title
from hoasen.store.analysis import AnalysisInput, AnalysisStore, StoryFields

# article ids -> (story item, country of the article) for each id that can be loaded
ItemLoader = Callable[[Sequence[int]], list[tuple[StoryItem, str | None]]]

# Country-code top-level domains that are sold as generic names: they say nothing of a country.
_GENERIC_CCTLDS = frozenset(
    ["ai", "cc", "co", "fm", "gg", "io", "ly", "me", "ms", "nu", "so", "tk", "to", "tv", "ws"]
)


def url_country(url: str | None) -> str | None:
    """The country of a site from its country-code domain (.vn, .com.cn, .co.kr), if any."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").rstrip(".")
    tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
    if len(tld) != 2 or not tld.isalpha() or tld in _GENERIC_CCTLDS:
        return None
    return "GB" if tld == "uk" else tld.upper()


class StoryStage:
    """Assigns articles to stored stories; owns one clusterer per pipeline run."""

    def __init__(
        self,
        results: AnalysisStore,
        load_items: ItemLoader,
        window: timedelta,
        office_language: str,
    ) -> None:
        self.results = results
        self.load_items = load_items
        self.window = window
        self.office_language = office_language
        self.clusterer = StoryClusterer(window=window)
        self.version = self.clusterer.version
        self.created = 0
        self._db_ids: dict[str, int] = {}  # clusterer key -> stories.id
        self._countries: dict[str, Counter[str]] = {}
        self._loaded_since: datetime | None = None

    # ---------------------------------------------------------------- before a run

    def prepare(self, ids: Sequence[int], first_when: datetime) -> None:
        """Take `ids` out of the stories they are in (they are about to be assigned again),
        rebuild the stories that lost members, and load the stories live at `first_when`."""
        with self.results.store.begin() as conn:
            touched = self.results.leave_stories(conn, ids)
        if touched:
            self._rebuild(sorted(touched))
        self._load(first_when - self.window)

    def _rebuild(self, story_ids: list[int]) -> None:
        """Recompute stories from the members they kept; drop those left empty."""
        members = self.results.story_members(story_ids)
        with self.results.store.begin() as conn:
            self.results.delete_stories(conn, [s for s, m in members.items() if not m])
        for story_id, article_ids in members.items():
            if not article_ids:
                continue
            loaded = sorted(
                self.load_items(article_ids), key=lambda p: (p[0].when, p[0].article_id)
            )
            items = [item for item, _ in loaded]
            if not items:
                with self.results.store.begin() as conn:
                    self.results.delete_stories(conn, [story_id])
                continue
            key = f"db{story_id}"
            story = Story.start(key, items[0])
            for item in items[1:]:
                story.absorb(item)
            countries = Counter(c for _, c in loaded if c)
            with self.results.store.begin() as conn:
                self.results.save_story(conn, story_id, self._fields(story, countries))

    def _load(self, since: datetime) -> None:
        """Hold every stored story seen since `since` as a candidate."""
        for state in self.results.story_states(since):
            key = f"db{state.id}"
            if key in self._db_ids:
                continue
            story = Story.from_record(_decode(state.state["story"]) | {"key": key})
            self.clusterer.add(story)
            self._db_ids[key] = state.id
            self._countries[key] = Counter(state.state.get("countries", {}))

    # ---------------------------------------------------------------- during a run

    def assign(self, conn: Connection, items: Sequence[tuple[StoryItem, str | None]]) -> None:
        """Assign `items` (oldest first, each with its country) and write the stories touched."""
        touched: dict[str, dict[int, float]] = {}
        for item, country in items:
            placed = self.clusterer.assign(item)
            touched.setdefault(placed.story_key, {})[item.article_id] = float(placed.score)
            if placed.created:
                self.created += 1
            counter = self._countries.setdefault(placed.story_key, Counter())
            if country:
                counter[country] += 1
        for key, members in touched.items():
            story = self.clusterer.get(key)
            if story is None:  # the clusterer dropped it: nothing to write
                continue
            fields = self._fields(story, self._countries.get(key, Counter()))
            story_id = self.results.save_story(conn, self._db_ids.get(key), fields)
            self._db_ids[key] = story_id
            self.results.add_members(conn, story_id, members)

    # ---------------------------------------------------------------- helpers

    def _fields(self, story: Story, countries: Counter[str]) -> StoryFields:
        total = np.zeros(0)
        for vector in story.sums.values():
            total = vector if total.size == 0 else total + vector
        norm = float(np.linalg.norm(total)) if total.size else 0.0
        centroid = total / norm if norm else total
        title = story_title(story, self.office_language)
        title_language = next((lang for _, lang, t, _ in story.titles if t == title and lang), None)
        return StoryFields(
            title=title or "(untitled)",
            title_language=title_language,
            first_seen=story.first_seen,
            last_seen=story.last_seen,
            article_count=story.count,
            languages=[k for k, _ in story.languages.most_common() if k],
            sources=[k for k, _ in story.sources.most_common()],
            countries=[k for k, _ in countries.most_common()],
            state={"story": _encode(story.to_record()), "countries": dict(countries)},
            centroid=to_blob(centroid.astype(np.float32)) if centroid.size else b"",
            version=self.version,
        )


def story_item_country(source_country: str | None, url: str | None) -> str | None:
    """Where an article comes from: its source's country, else its site's country domain."""
    return source_country or url_country(url)


def input_country(x: AnalysisInput) -> str | None:
    """The country of one analysis input."""
    return story_item_country(x.source_country, x.url)


def _encode(record: dict[str, Any]) -> dict[str, Any]:
    """`Story.to_record()` with its vector bytes as base64 text (JSON-safe)."""
    out = dict(record)
    out["sums"] = {k: base64.b64encode(v).decode("ascii") for k, v in record["sums"].items()}
    return out


def _decode(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    out["sums"] = {k: base64.b64decode(v) for k, v in record["sums"].items()}
    return out
