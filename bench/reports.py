"""Report build time: a weekly and a monthly report over a database of 100,000 articles, per
format (building the document, then rendering it as HTML, PDF, DOCX, Markdown and JSON).

The database holds 100,000 original articles spread over one year (about 1,900 a week) in the
office's languages, with the analysis output a real run leaves: topics, entity mentions linked to
gazetteer ids, key figures and stories. Texts are short synthetic ones (reports read titles,
counts and leads, not whole texts); everything is seeded and cached under the cache folder.
"""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.reports import FORMATS, render
from hoasen.reports.build import ReportBuilder, ReportRequest
from hoasen.reports.period import period_for, zone
from hoasen.settings import load_settings
from hoasen.store import schema
from hoasen.store.db import Store

SEED = 20261123
VERSION = 1
LANGUAGES = {"vi": 0.35, "en": 0.25, "zh": 0.2, "ja": 0.05, "ko": 0.05, "fr": 0.04, "ru": 0.03,
             "de": 0.03}  # fmt: skip
TOPICS = ("diplomacy", "investment-trade", "tourism", "culture-exchange", "press-media",
          "politics", "economy", "border-security", "science-digital", "environment", "health",
          "education")  # fmt: skip
COUNTRIES = ("VN", "CN", "US", "GB", "JP", "KR", "FR", "RU", "DE", "SG")
START = datetime(2026, 1, 1, tzinfo=UTC)


def build(store: Store, n: int) -> None:
    """Fill an empty store with `n` articles and their analysis output."""
    rng = random.Random(SEED)
    entity_ids = [e.id for e in Gazetteer.load()][:600]
    langs, weights = list(LANGUAGES), list(LANGUAGES.values())
    now = datetime(2026, 11, 23, tzinfo=UTC)
    sources = [
        {
            "id": i + 1,
            "name": f"source-{i + 1:02d}",
            "url": f"https://news{i + 1}.example/feed",
            "kind": "feed",
            "country": COUNTRIES[i % len(COUNTRIES)],
            "language": langs[i % len(langs)],
            "foreign": COUNTRIES[i % len(COUNTRIES)] != "VN",
            "partner": i % 10 == 3,
            "poll_minutes": 60,
            "consecutive_failures": 0,
            "created": START,
        }
        for i in range(60)
    ]
    articles, topics, mentions, figures = [], [], [], []
    stories, members = [], []
    story_id, left, current_story = 0, 0, 0
    for article_id in range(1, n + 1):
        when = START + timedelta(seconds=int(365 * 86400 * article_id / n))
        lang = rng.choices(langs, weights)[0]
        if left == 0:
            story_id += 1
            left = min(int(rng.paretovariate(1.3)), 60)
            current_story = story_id
            stories.append(
                {
                    "id": story_id,
                    "title": f"Story {story_id} about {rng.choice(entity_ids)}",
                    "title_language": "en",
                    "first_seen": when,
                    "last_seen": when,
                    "article_count": 0,
                    "languages": lang,
                    "sources": "[]",
                    "countries": "",
                    "state": "{}",
                    "centroid": b"",
                    "version": "bench",
                    "updated": now,
                }
            )
        left -= 1
        story = stories[current_story - 1]
        story["last_seen"] = when
        story["article_count"] += 1
        members.append({"article_id": article_id, "story_id": current_story, "score": 0.8})
        source = rng.choice(sources)
        text = (
            f"Article {article_id} of story {current_story}. Quảng Ninh, 广西 and partners "
            f"reported {rng.randint(10, 99_000)} visitors. " * 3
        )
        articles.append(
            {
                "id": article_id,
                "source_id": source["id"],
                "title": f"Bài {article_id}: tin tức số {current_story} — 标题 {article_id}",
                "text": text,
                "language": lang,
                "url": f"https://news{source['id']}.example/{article_id}",
                "published": when,
                "fetched": when + timedelta(hours=1),
                "content_hash": f"{article_id:064x}",
            }
        )
        for topic in rng.sample(TOPICS, rng.randint(1, 2)):
            topics.append({"article_id": article_id, "topic": topic, "score": 0.7})
        for _ in range(rng.randint(2, 8)):
            entity = rng.choice(entity_ids)
            at = rng.randrange(200)
            mentions.append(
                {"article_id": article_id, "entity_id": entity, "text": entity, "type": "LOC",
                 "start": at, "end": at + 5, "origin": "bench"}
            )  # fmt: skip
        for _ in range(rng.randint(0, 3)):
            value = float(rng.randint(1, 10**6))
            figures.append(
                {"article_id": article_id, "text": f"{value:g} USD", "value": value, "unit": "USD",
                 "scale": None, "subject": "investment", "start": 0, "end": 5}
            )  # fmt: skip
    with store.begin() as conn:
        conn.execute(insert(schema.sources), sources)
        for table, rows in (
            (schema.articles, articles),
            (schema.stories, stories),
            (schema.story_articles, members),
            (schema.article_topics, topics),
            (schema.entity_mentions, mentions),
            (schema.article_figures, figures),
        ):
            for at in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[at : at + 5000])


def run(n_articles: int = 100_000, cache_dir: Path | None = None) -> dict[str, float]:
    """Seconds to build and render a weekly and a monthly report, per format."""
    folder = cache_dir or Path("build") / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"reports-{n_articles}-v{VERSION}.db"
    results: dict[str, float] = {"articles": float(n_articles)}
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        store = Store.open(f"sqlite:///{partial}")
        build(store, n_articles)
        store.close()
        partial.rename(path)
        results["build_db_s"] = time.perf_counter() - started
    settings = load_settings(env={}, database_url=f"sqlite:///{path}")
    store = Store.open(settings.database_url)
    builder = ReportBuilder(store, settings, Gazetteer.load())
    tz = zone(settings.office_timezone)
    for kind, on in (("weekly", date(2026, 11, 11)), ("monthly", date(2026, 10, 15))):
        request = ReportRequest(kind=kind, period=period_for(kind, tz, on=on), language="vi")
        started = time.perf_counter()
        doc: dict[str, Any] = builder.build(request, number=f"1/BC-{kind}")
        build_s = time.perf_counter() - started
        results[f"{kind}_articles"] = float(len(doc["articles"]))
        results[f"{kind}_build_s"] = build_s
        for fmt in FORMATS:
            started = time.perf_counter()
            data = render(doc, fmt)
            spent = time.perf_counter() - started
            results[f"{kind}_{fmt}_s"] = build_s + spent
            results[f"{kind}_{fmt}_kb"] = len(data) / 1024
    store.close()
    return results


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
