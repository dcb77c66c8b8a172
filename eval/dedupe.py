"""Duplicate detection quality: exact + near duplicates through a real Store, in two runs.

Test sets (built in memory from ../shared/data, nothing is copied into the repository):
* topics-en (BBC) and topics-vi (VNTC): every article, plus lightly edited copies of a fixed
  random sample (COPIES articles: a few % of words dropped or replaced, boilerplate lines such as
  "Source: ..." / "Comment (0)" / "Tags: ..." added at top and bottom, title casing and
  punctuation changed, sometimes a sentence from another article inserted). The real exact
  duplicates in the corpora are part of the truth.
* ntrex-cjk: the NTREX news documents in Chinese (simplified and traditional), Japanese and
  Thai, with edited copies made at the character level; checks character shingling.

Each set is ingested by the real Deduper into a fresh SQLite Store in a temporary folder in TWO
runs (half the items, close, re-open, the rest), in a fixed shuffled order. Predicted groups come
from `duplicate_of` links; pairwise precision and recall compare them with the true groups.
With HOASEN_TEST_POSTGRES_URL set, topics-en is also run on PostgreSQL in a throwaway schema.
Run: `python -m eval.dedupe [DATA_DIR]`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

from hoasen.analyze.dedupe import Deduper, content_hash
from hoasen.models import Article
from hoasen.settings import Settings
from hoasen.store.db import Store
from hoasen.store.scratch import scratch_schema

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COPIES = 200
SEED = 20240917

TOP_LINES = {
    "en": ["Source: {site}", "By {site} staff", "Photo: {site}", "Updated 2 hours ago"],
    "vi": ["Nguồn: {site}", "Theo {site}", "Ảnh: {site}", "Cập nhật lúc 08:15"],
    "zh": ["来源：{site}", "记者 {site}", "发布时间：2019-10-02"],
    "ja": ["出典：{site}", "{site} 記者", "配信日時：2019年10月2日"],
    "th": ["ที่มา: {site}", "ข่าวโดย {site}"],
}
BOTTOM_LINES = {
    "en": ["Comment (0)", "Tags: {w1}, {w2}, {w3}", "Share this article", "Related: {w1} {w2}"],
    "vi": ["Bình luận (0)", "Từ khóa: {w1}, {w2}, {w3}", "Chia sẻ bài viết", "Tin liên quan"],
    "zh": ["评论（0）", "标签：{w1} {w2}", "责任编辑：{site}", "分享到："],
    "ja": ["コメント（0）", "タグ：{w1} {w2}", "この記事をシェア"],
    "th": ["ความคิดเห็น (0)", "แท็ก: {w1} {w2}", "แชร์บทความนี้"],
}
#: Real near-duplicates in topics-en (same BBC story stored twice, lightly edited or extended),
#: found by exact shingle Jaccard >= 0.3 over all pairs and reviewed by reading both texts: these
#: ten pairs (Jaccard 0.63-0.99) are the same article; the next pairs (<= 0.42) are different
#: stories on one topic. topics-vi has no such pair (its closest, 0.56, are two ads for different
#: events built from one template).
KNOWN_NEAR_DUPLICATES = {
    "topics-en": [
        ("sport/181.txt", "sport/182.txt"),
        ("tech/048.txt", "tech/342.txt"),
        ("sport/432.txt", "sport/438.txt"),
        ("tech/155.txt", "tech/294.txt"),
        ("sport/289.txt", "sport/406.txt"),
        ("tech/045.txt", "tech/341.txt"),
        ("politics/196.txt", "politics/297.txt"),
        ("tech/019.txt", "tech/329.txt"),
        ("business/260.txt", "business/354.txt"),
        ("sport/444.txt", "sport/458.txt"),
    ],
}
SITES = ["newsdesk.example", "Baomoi", "VnExpress", "Xinhua", "Reuters", "AP", "Kyodo"]


@dataclass(frozen=True)
class Item:
    """One article of a test set; `group` is shared by true duplicates."""

    key: str
    title: str
    text: str
    language: str
    group: str
    kind: str  # "corpus" or "copy"


# --------------------------------------------------------------------------- corpora


def _read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_topics(data_dir: Path, name: str) -> list[Item]:
    """topics-en or topics-vi as items; raw-identical and known near-duplicates share a group."""
    folder = data_dir / name
    language = "en" if name.endswith("en") else "vi"
    rows = _read_jsonl(next(folder.glob("*.jsonl")))
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        while parent.setdefault(key, key) != key:
            key = parent[key]
        return key

    exact: dict[tuple[str, str], str] = {}
    for row in rows:
        first = exact.setdefault((row.get("title", ""), row["text"]), row["id"])
        parent[find(row["id"])] = find(first)
    for a, b in KNOWN_NEAR_DUPLICATES.get(name, []):
        parent[find(b)] = find(a)
    items = []
    for row in rows:
        title, body = row.get("title", ""), row["text"]
        group = find(row["id"])
        items.append(Item(f"{name}:{row['id']}", title, body, language, group, "corpus"))
    return items


def load_ntrex_cjk(data_dir: Path) -> list[Item]:
    """NTREX documents in zh-CN, zh-TW, ja and th; title = first line."""
    folder = data_dir / "ntrex-dev"
    doc_ids = (folder / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    items = []
    for stem, language in (("zho-CN", "zh"), ("zho-TW", "zh"), ("jpn", "ja"), ("tha", "th")):
        path = folder / "NTREX-128" / f"newstest2019-ref.{stem}.txt"
        docs: dict[str, list[str]] = defaultdict(list)
        for line, doc in zip(path.read_text(encoding="utf-8").split("\n"), doc_ids, strict=False):
            if line.strip() and doc.strip():
                docs[doc].append(line)
        for doc, lines in docs.items():
            key = f"ntrex:{stem}:{doc}"
            items.append(Item(key, lines[0], "\n".join(lines[1:]), language, key, "corpus"))
    return items


# --------------------------------------------------------------------------- light edits

_CHAR_LANGS = {"zh", "ja", "th"}
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s*")


def _sentences(item: Item) -> list[str]:
    return [s for s in _SENTENCE_END.split(item.text) if 20 <= len(s) <= 300]


def _edit_units(units: list[str], rate: float, vocab: list[str], rng: random.Random) -> list[str]:
    out = []
    for unit in units:
        roll = rng.random()
        if roll < rate / 2:
            continue  # dropped
        out.append(rng.choice(vocab) if roll < rate else unit)
    return out


def _retitle(title: str, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        title = title.upper()
    elif choice == 1:
        title = title.lower()
    elif choice == 2:
        title = f"“{title}”"
    title = title.rstrip(".!?:") + rng.choice(["", ":", "!", " -", "."])
    return title


def edited_copy(item: Item, donor: Item, vocab: list[str], rng: random.Random, index: int) -> Item:
    """A lightly edited republication of `item` (same group)."""
    language = item.language
    rate = rng.uniform(0.01, 0.05)
    paragraphs = [p for p in item.text.split("\n") if p.strip()]
    edited = []
    for para in paragraphs:
        if language in _CHAR_LANGS:
            edited.append("".join(_edit_units(list(para), rate, vocab, rng)))
        else:
            edited.append(" ".join(_edit_units(para.split(), rate, vocab, rng)))
    donor_sentences = _sentences(donor)
    if donor_sentences and rng.random() < 0.5:
        edited.insert(rng.randrange(len(edited) + 1), rng.choice(donor_sentences))
    fill = {
        "site": rng.choice(SITES),
        "w1": rng.choice(vocab),
        "w2": rng.choice(vocab),
        "w3": rng.choice(vocab),
    }
    top = [line.format(**fill) for line in rng.sample(TOP_LINES[language], rng.randint(0, 2))]
    bottom = [line.format(**fill) for line in rng.sample(BOTTOM_LINES[language], rng.randint(1, 3))]
    body = "\n".join(top + edited + bottom)
    title = _retitle(item.title, rng) if item.title else item.title
    return Item(f"{item.key}#copy{index}", title, body, language, item.group, "copy")


def build_test_set(items: list[Item], copies: int = COPIES, seed: int = SEED) -> list[Item]:
    """The corpus plus `copies` edited copies of a deterministic sample, in a fixed order."""
    rng = random.Random(seed)
    vocab_source = " ".join(i.text for i in items[:300])
    if items and items[0].language in _CHAR_LANGS:
        vocab = sorted({ch for ch in vocab_source if not ch.isspace()})
    else:
        vocab = sorted(set(vocab_source.split()))
    sample = rng.sample(range(len(items)), min(copies, len(items)))
    out = list(items)
    for n, index in enumerate(sample):
        item = items[index]
        same_language = [i for i in items if i.language == item.language and i.key != item.key]
        donor = rng.choice(same_language) if same_language else item
        if item.language in _CHAR_LANGS:
            local = sorted({ch for ch in item.text + donor.text if not ch.isspace()})
            out.append(edited_copy(item, donor, local, rng, n))
        else:
            out.append(edited_copy(item, donor, vocab, rng, n))
    rng.shuffle(out)
    return out


# --------------------------------------------------------------------------- run + score


def ingest(
    open_store: Callable[[], Store], items: list[Item], threshold: float
) -> tuple[dict[str, str], float]:
    """Ingest `items` in two runs; returns item key -> predicted group and seconds spent."""
    key_of: dict[int, str] = {}
    parent: dict[int, int] = {}
    seconds = 0.0
    half = len(items) // 2
    for batch in (items[:half], items[half:]):
        store = open_store()
        try:
            deduper = Deduper(store, threshold=threshold)
            started = time.perf_counter()
            for item in batch:
                with store.begin() as conn:
                    digest = content_hash(item.title, item.text)
                    sig = deduper.signature(item.title, item.text, item.language)
                    match = deduper.find(conn, digest, sig)
                    article = Article(title=item.title, text=item.text, language=item.language)
                    article_id = store.add_article(
                        conn,
                        article,
                        content_hash=digest,
                        raw_id=None,
                        source_id=None,
                        duplicate_of=match.original_id if match else None,
                        similarity=match.similarity if match else None,
                    )
                    deduper.remember(conn, article_id, sig)
                key_of[article_id] = item.key
                parent[article_id] = match.original_id if match else article_id
            seconds += time.perf_counter() - started
        finally:
            store.close()

    def root(article_id: int) -> int:
        while parent[article_id] != article_id:
            article_id = parent[article_id]
        return article_id

    return {key: str(root(aid)) for aid, key in key_of.items()}, seconds


def _pairs(groups: dict[str, str]) -> set[tuple[str, str]]:
    members: dict[str, list[str]] = defaultdict(list)
    for key, group in groups.items():
        members[group].append(key)
    return {
        (a, b)
        for keys in members.values()
        if len(keys) > 1
        for a, b in combinations(sorted(keys), 2)
    }


def score(items: list[Item], predicted: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 of predicted duplicate groups against the truth."""
    truth = _pairs({i.key: i.group for i in items})
    found = _pairs(predicted)
    right = len(truth & found)
    precision = right / len(found) if found else 1.0
    recall = right / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    copies = {i.key for i in items if i.kind == "copy"}
    copy_truth = {p for p in truth if p[0] in copies or p[1] in copies}
    exact_truth = truth - copy_truth
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "recall_edited": len(copy_truth & found) / len(copy_truth) if copy_truth else 1.0,
        "recall_exact": len(exact_truth & found) / len(exact_truth) if exact_truth else 1.0,
        "false_pairs": float(len(found - truth)),
        "true_pairs": float(len(truth)),
    }


def run_set(
    name: str, items: list[Item], url: str, threshold: float, show_errors: bool = False
) -> dict[str, float]:
    """Ingest one test set into the database at `url` and score it."""
    predicted, seconds = ingest(lambda: Store.open(url), items, threshold)
    metrics = score(items, predicted)
    metrics["articles_per_s"] = len(items) / seconds if seconds else 0.0
    if show_errors:
        by_key = {i.key: i for i in items}
        truth = _pairs({i.key: i.group for i in items})
        found = _pairs(predicted)
        for a, b in sorted(found - truth)[:10]:
            print(f"   {name} false pair: {a} ~ {b}")
        for a, b in sorted(truth - found)[:10]:
            print(f"   {name} missed pair: {a} ~ {b} ({by_key[b].kind})")
    return {f"{name}.{k}": v for k, v in metrics.items()}


def evaluate(
    data_dir: Path, threshold: float | None = None, show_errors: bool = False
) -> dict[str, float]:
    """Precision, recall and speed on every test set; keys are stable metric names."""
    threshold = Settings().dedupe_threshold if threshold is None else threshold
    sets = {
        "en": build_test_set(load_topics(data_dir, "topics-en")),
        "vi": build_test_set(load_topics(data_dir, "topics-vi")),
        "cjk": build_test_set(load_ntrex_cjk(data_dir), copies=100),
    }
    metrics: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="hoasen-dedupe-") as tmp:
        for name, items in sets.items():
            url = f"sqlite:///{Path(tmp) / f'{name}.db'}"
            metrics.update(run_set(name, items, url, threshold, show_errors))
    pg = os.environ.get("HOASEN_TEST_POSTGRES_URL")
    if pg:
        with scratch_schema(pg) as url:
            metrics.update(run_set("en_postgres", sets["en"], url, threshold, show_errors))
    names = [n for n in sets]
    metrics["precision"] = min(metrics[f"{n}.precision"] for n in names)
    metrics["recall"] = min(metrics[f"{n}.recall"] for n in names)
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Print the metrics table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--errors", action="store_true", help="List false and missed pairs.")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metrics = evaluate(args.data, args.threshold, args.errors)
    print(f"{'metric':28} {'value':>10}")
    for key in sorted(metrics):
        print(f"{key:28} {metrics[key]:10.4f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
