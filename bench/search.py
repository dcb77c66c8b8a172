"""Search latency on a synthetic-but-realistic database of 100,000 multilingual articles.

Articles are composed from real news sentences: VNTC (Vietnamese), BBC News (English), the
Chinese web-extraction set and the NTREX-128 translations (vi, zh, ja, ko, th, fr, de, ru, es,
id and more), as windows of
consecutive sentences of one story with now and then a few sentences of another. Dates, sources
and 3 % exact duplicates are random (seeded). The database is cached (SQLite: one file under the
cache folder) and reused while its size matches. Then ~200 realistic queries are timed through
`SearchIndex.search` (ranking, filters and snippets included).

Usage: python -m bench.search [--articles N] [--db URL] [--cache DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from hoasen.store import schema
from hoasen.store.analyzer import Analyzer, IndexTokens
from hoasen.store.db import Store
from hoasen.store.search import SearchIndex

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data"
VERSION = 3  # bump when the generated corpus changes
SEED = 20261123
# Cheaper `terms` for the bulk build: underthesea segments only the first 200 characters of
# Vietnamese articles (the default analyzer does 1000). Body tokens use the same code path.
BENCH_VI_TERMS_CHARS = 200

NTREX_LANGS = {
    "src.eng": "en",
    "ref.vie": "vi",
    "ref.zho-CN": "zh",
    "ref.zho-TW": "zh",
    "ref.jpn": "ja",
    "ref.kor": "ko",
    "ref.tha": "th",
    "ref.lao": "lo",
    "ref.khm": "km",
    "ref.mya": "my",
    "ref.ind": "id",
    "ref.msa": "ms",
    "ref.fil": "tl",
    "ref.rus": "ru",
    "ref.fra": "fr",
    "ref.deu": "de",
    "ref.spa": "es",
    "ref.arb": "ar",
    "ref.hin": "hi",
}
LANGUAGE_SHARE = {
    "vi": 0.40,
    "en": 0.25,
    "zh": 0.10,
    "ja": 0.03,
    "ko": 0.03,
    "th": 0.03,
    "fr": 0.03,
    "ru": 0.03,
    "de": 0.02,
    "es": 0.02,
    "id": 0.02,
    "lo": 0.01,
    "km": 0.01,
    "ar": 0.01,
    "hi": 0.01,
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])\s*|\n+")


@dataclass
class Corpus:
    """Stories (lists of sentences) by language."""

    stories: dict[str, list[list[str]]]


def load_corpus(data_dir: Path) -> Corpus:
    """Read VNTC, BBC and NTREX stories into lists of sentences per language."""
    stories: dict[str, list[list[str]]] = {}
    ntrex = data_dir / "ntrex-dev"
    doc_ids = (ntrex / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    for suffix, lang in NTREX_LANGS.items():
        path = ntrex / "NTREX-128" / f"newstest2019-{suffix}.txt"
        if not path.is_file():
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        docs: dict[str, list[str]] = {}
        for doc, line in zip(doc_ids, lines, strict=False):
            if line.strip():
                docs.setdefault(doc.split("\t")[0], []).append(line.strip())
        stories.setdefault(lang, []).extend(d for d in docs.values() if len(d) >= 3)
    vntc = data_dir / "topics-vi" / "vntc_dev.jsonl"
    for line in vntc.read_text(encoding="utf-8").splitlines():
        sentences = [s.strip() for s in _SENTENCE_END.split(json.loads(line)["text"])]
        sentences = [s for s in sentences if s]
        if len(sentences) >= 3:
            stories.setdefault("vi", []).append(sentences)
    for path in sorted((data_dir / "extraction-zh" / "cleaned").glob("*.txt")):
        sentences = [s.strip() for s in _SENTENCE_END.split(path.read_text(encoding="utf-8"))]
        sentences = [s for s in sentences if s]
        if len(sentences) >= 3:
            stories.setdefault("zh", []).append(sentences)
    bbc = data_dir / "topics-en" / "bbc_dev.jsonl"
    for line in bbc.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        sentences = [s.strip() for s in _SENTENCE_END.split(record["text"]) if s.strip()]
        if len(sentences) >= 3:
            stories.setdefault("en", []).append([record["title"], *sentences])
    return Corpus(stories)


def _title(sentence: str, lang: str) -> str:
    if lang in {"zh", "ja", "th", "lo", "km", "my"}:
        return sentence[:30]
    return " ".join(sentence.split()[:14])


def source_languages(corpus: Corpus, n_sources: int = 40) -> list[str]:
    """The language of each bench source (source-01 is the first)."""
    langs = [lang for lang in LANGUAGE_SHARE if lang in corpus.stories]
    return [langs[i % len(langs)] for i in range(n_sources)]


def compose(corpus: Corpus, n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    """`n` article rows (ids 1..n) for the articles table, 3 % of them exact duplicates."""
    langs = [lang for lang in LANGUAGE_SHARE if lang in corpus.stories]
    weights = [LANGUAGE_SHARE[lang] for lang in langs]
    source_langs = source_languages(corpus)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=1035).total_seconds())
    made: list[dict[str, Any]] = []
    for article_id in range(1, n + 1):
        if made and rng.random() < 0.03:
            original = rng.choice(made)
            row = dict(original, id=article_id, duplicate_of=original["id"], similarity=1.0)
            row["fetched"] = original["fetched"] + timedelta(hours=rng.randint(1, 48))
            yield row
            continue
        lang = rng.choices(langs, weights)[0]
        pool = corpus.stories[lang]
        story = rng.choice(pool)
        size = rng.randint(4, 20)
        first = rng.randrange(max(1, len(story) - size // 2))
        sentences = story[first : first + size]
        if rng.random() < 0.3:
            other = rng.choice(pool)
            at = rng.randrange(len(other))
            sentences = sentences + other[at : at + rng.randint(1, 4)]
        title = _title(sentences[0], lang)
        body = "\n\n".join(sentences[1:] or sentences)
        # ingested roughly in publication order, with a few late back-fills
        at = span * article_id // n if rng.random() < 0.95 else rng.randrange(span)
        published = start + timedelta(seconds=max(0, at - rng.randrange(3 * 86400)))
        source_id = 1 + rng.choice([i for i, sl in enumerate(source_langs) if sl == lang] or [0])
        row = {
            "id": article_id,
            "source_id": source_id if rng.random() < 0.9 else None,
            "title": title,
            "text": body,
            "language": lang,
            "url": f"https://news{source_id}.example/{article_id}",
            "published": published if rng.random() < 0.95 else None,
            "fetched": published + timedelta(hours=rng.randint(0, 30)),
            "content_hash": hashlib.sha256(body.encode()).hexdigest(),
            "duplicate_of": None,
            "similarity": None,
        }
        made.append(row)
        if len(made) > 5000:
            made.pop(rng.randrange(len(made)))
        yield row


def _analyze(chunk: list[tuple[int, str, str, str | None]]) -> list[tuple[int, IndexTokens]]:
    """Analyzer output for one chunk (runs in a worker process, with its own analyzer)."""
    analyzer = Analyzer(vi_terms_chars=BENCH_VI_TERMS_CHARS)
    return [(i, analyzer.index_tokens(t, b, lang)) for i, t, b, lang in chunk]


def build(store: Store, corpus: Corpus, n: int, workers: int = 2) -> dict[str, float]:
    """Fill an empty store with `n` articles and index them; timings in seconds."""
    rng = random.Random(SEED)
    started = time.perf_counter()
    rows = list(compose(corpus, n, rng))
    langs = source_languages(corpus)
    with store.begin() as conn:
        conn.execute(
            insert(schema.sources),
            [
                {
                    "id": i + 1,
                    "name": f"source-{i + 1:02d}",
                    "url": f"https://news{i + 1}.example/feed",
                    "kind": "feed",
                    "language": langs[i],
                    "foreign": False,
                    "partner": False,
                    "poll_minutes": 60,
                    "consecutive_failures": 0,
                    "created": datetime(2024, 1, 1, tzinfo=UTC),
                }
                for i in range(40)
            ],
        )
        for i in range(0, len(rows), 5000):
            conn.execute(insert(schema.articles), rows[i : i + 5000])
    inserted = time.perf_counter()
    index = SearchIndex(store, Analyzer(vi_terms_chars=BENCH_VI_TERMS_CHARS))
    items = [(r["id"], r["title"], r["text"], r["language"]) for r in rows]
    # Big chunks: every chunk loads its own jieba/underthesea (~1.5 s) in a worker process.
    chunks = [items[i : i + 4000] for i in range(0, len(items), 4000)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        analyzed = pool.map(_analyze, chunks)
        with store.begin() as conn:
            for part in analyzed:
                index.write_tokens(conn, part)
            index.optimize(conn)
    indexed = time.perf_counter()
    return {
        "build_insert_s": inserted - started,
        "build_index_s": indexed - inserted,
        "build_chars_m": sum(len(r["text"]) for r in rows) / 1e6,
    }


def copy_database(source: Store, target: Store, batch: int = 2000) -> dict[str, float]:
    """Copy sources, articles and the analyzer tokens of a built SQLite bench database into an
    empty target (PostgreSQL), so both backends are timed on the same corpus and tokens."""
    started = time.perf_counter()
    index = SearchIndex(target)
    with source.engine.connect() as src, target.begin() as dst:
        dst.execute(
            insert(schema.sources), [dict(r._mapping) for r in src.execute(select(schema.sources))]
        )
        rows = src.execute(select(schema.articles).order_by(schema.articles.c.id)).mappings()
        while chunk := rows.fetchmany(batch):
            dst.execute(insert(schema.articles), [dict(r) for r in chunk])
        tokens = src.exec_driver_sql("SELECT rowid, title, body, terms FROM article_fts")
        while part := tokens.fetchmany(batch):
            index.write_tokens(dst, ((r[0], IndexTokens(r[1], r[2], r[3])) for r in part))
        if target.dialect == "postgresql":
            dst.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('articles', 'id'), max(id)) FROM articles"
            )
        index.optimize(dst)
    return {"copy_s": time.perf_counter() - started}


@dataclass(frozen=True)
class Query:
    """One benchmark query with its filters."""

    text: str
    kind: str
    filters: dict[str, Any]


NAMES = [
    "Quảng Ninh",
    "Quang Ninh",
    "Hà Nội",
    "Ha Noi",
    "Việt Nam",
    "Viet Nam",
    "Đà Nẵng",
    "Da Nang",
    "Hồ Chí Minh",
    "Ho Chi Minh",
    "Hạ Long",
    "Trump",
    "London",
    "Macedonia",
    "Москва",
    "Deutschland",
    "广西",
    "中国",
    "北京",
    "美国",
    "東京",
    "日本",
    "서울",
    "대통령",
    "กรุงเทพ",
    "ประเทศไทย",
]
PHRASES = [
    '"thủ tướng"',
    '"chính phủ"',
    '"prime minister"',
    '"world cup"',
    '"giá vàng"',
    '"quang ninh"',
]


STOPWORDS = ["the", "for", "của", "và", "là", "một", "les", "der"]


def make_queries(corpus: Corpus, rng: random.Random, count: int = 200) -> list[Query]:
    """Names with and without diacritics, CJK words, content words and word pairs sampled from
    the corpus (its 200 most frequent words per language left out: people search for names and
    topics), phrases, a few stop words, and a quarter of them with filters (language, a source
    of the query's language, a 60-day date range)."""
    word = re.compile(r"[^\W\d_]{3,}")
    latin: list[str] = [
        lang for lang in ("vi", "en", "fr", "de", "es", "id", "ru") if lang in corpus.stories
    ]
    common: dict[str, set[str]] = {}
    for lang in latin:
        counts = Counter(
            w.lower() for story in corpus.stories[lang] for s in story for w in word.findall(s)
        )
        common[lang] = {w for w, _ in counts.most_common(200)}
    queries = [Query(q, "name", {}) for q in NAMES] + [Query(q, "phrase", {}) for q in PHRASES]
    queries += [Query(q, "stop word", {}) for q in STOPWORDS]
    langs: list[str | None] = [None] * len(queries)
    while len(queries) < count:
        lang = rng.choice(latin)
        sentence = rng.choice(rng.choice(corpus.stories[lang]))
        words = [w for w in word.findall(sentence) if w.lower() not in common[lang]]
        if len(words) < 3:
            continue
        at = rng.randrange(len(words) - 1)
        if rng.random() < 0.5:
            queries.append(Query(words[at], "one word", {}))
        else:
            queries.append(Query(f"{words[at]} {words[at + 1]}", "two words", {}))
        langs.append(lang)
    sources = source_languages(corpus)
    out: list[Query] = []
    for i, (q, known) in enumerate(zip(queries, langs, strict=True)):
        if i % 4 != 3 or q.kind == "stop word":
            out.append(q)
            continue
        lang = known or rng.choice(["vi", "en", "zh"])
        choice = rng.randrange(3)
        since = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=rng.randrange(900))
        if choice == 0:
            filters: dict[str, Any] = {"language": lang}
        elif choice == 1:
            ids = [n for n, sl in enumerate(sources, 1) if sl == lang] or [1]
            filters = {"source": f"source-{rng.choice(ids):02d}"}
        else:
            filters = {"since": since, "until": since + timedelta(days=60)}
        out.append(Query(q.text, q.kind + " +filter", filters))
    return out[:count]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(
    n_articles: int = 100_000,
    db_url: str | None = None,
    cache_dir: Path | None = None,
    data_dir: Path | None = None,
    n_queries: int = 200,
    verbose: bool = True,
) -> dict[str, float]:
    """Build (or reuse) the database, time the queries and return ms percentiles and counts.

    The corpus is always built (once, cached) as SQLite under `cache_dir`; a `db_url` for an
    empty PostgreSQL database gets a copy of it, so both backends answer the same queries.
    """
    data = data_dir or Path(os.environ.get("HOASEN_EVAL_DATA", DEFAULT_DATA))
    corpus = load_corpus(data)
    results: dict[str, float] = {"articles": float(n_articles)}
    folder = cache_dir or Path(tempfile.gettempdir()) / "hoasen-bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"search-{n_articles}-v{VERSION}.db"
    if not path.exists():
        partial = path.with_suffix(".partial.db")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        built = Store.open(f"sqlite:///{partial}")
        results.update(build(built, corpus, n_articles))
        built.close()
        partial.rename(path)
    if db_url is None:
        db_url = f"sqlite:///{path}"
        results["db_mb"] = path.stat().st_size / 1e6
    store = Store.open(db_url)
    with store.engine.connect() as conn:
        have = int(conn.execute(select(func.count()).select_from(schema.articles)).scalar() or 0)
    if have == 0:
        cached = Store.open(f"sqlite:///{path}")
        results.update(copy_database(cached, store))
        cached.close()
    elif have != n_articles:
        raise SystemExit(f"{db_url} holds {have} articles, not {n_articles}: use an empty database")
    index = SearchIndex(store)
    index.search("广西 Quảng Ninh")  # load jieba and warm the caches outside the timing
    queries = make_queries(corpus, random.Random(SEED), n_queries)
    first: list[float] = []
    timings: list[float] = []
    by_kind: dict[str, list[float]] = {}
    found = 0
    for round_ in (1, 2):  # the first round meets cold caches; the second one is reported
        timings = []
        by_kind = {}
        found = 0
        for q in queries:
            started = time.perf_counter()
            hits = index.search(q.text, **q.filters)
            ms = (time.perf_counter() - started) * 1000
            timings.append(ms)
            by_kind.setdefault(q.kind, []).append(ms)
            found += bool(hits)
            if verbose and round_ == 2 and ms > 50:
                print(f"  slow: {ms:7.1f} ms  {q.text!r} {q.filters}", file=sys.stderr)
        if round_ == 1:
            first = timings
    store.close()
    results.update(
        {
            "queries": float(len(timings)),
            "queries_with_hits": float(found),
            "p50_ms": statistics.median(timings),
            "p95_ms": _percentile(timings, 0.95),
            "max_ms": max(timings),
            "mean_ms": statistics.fmean(timings),
            "first_round_p95_ms": _percentile(first, 0.95),
        }
    )
    for kind, values in sorted(by_kind.items()):
        results[f"p95_ms[{kind}]"] = _percentile(values, 0.95)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line: build/reuse the database and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--db", default=None, help="Database URL (default: cached SQLite file).")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args(argv)
    results = run(args.articles, db_url=args.db, cache_dir=args.cache, n_queries=args.queries)
    for key, value in results.items():
        print(f"{key:36} {value:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
