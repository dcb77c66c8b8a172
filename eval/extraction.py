"""Extraction quality: hoasen's `parse()` against plain trafilatura on the same pages.

* extraction-web: snippets that must ("with") / must not ("without") appear in the main text;
  precision, recall and F1 over snippets (trafilatura's own evaluation method).
* extraction-zh: Chinese pages in GBK/GB2312/Big5/UTF-8 with hand-cleaned gold text;
  character-level token F1 (CJK characters and Latin words are tokens), pages with mojibake,
  and the share of pages our charset decoding turns into real Chinese text.

The baseline gets the raw bytes and decodes them itself; hoasen decodes with charset.decode.
Run: `python -m eval.extraction [DATA_DIR] [--limit N]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import sys
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import trafilatura

from hoasen.errors import InputRejected
from hoasen.ingest.charset import decode
from hoasen.ingest.formats import parse
from hoasen.models import Article, RawInput

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff]")
_GOLD_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
# Latin-1/cp1252 reading of UTF-8 or GBK bytes: 'Ã©', 'â€™', 'ÖÐ¹ú'...
_MOJIBAKE = re.compile(r"[ÃÂâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]|[\u00c0-\u00ff]{4,}")


def evaluate(
    data_dir: Path, workers: int | None = None, limit: int | None = None
) -> dict[str, float]:
    """Measure both corpora under data_dir; keys are stable metric names."""
    workers = workers or min(2, os.cpu_count() or 1)
    for name in ("trafilatura", "htmldate", "courlan"):
        logging.getLogger(name).setLevel(logging.CRITICAL)  # "discarding data" noise per page
    metrics: dict[str, float] = {}
    web = data_dir / "extraction-web"
    if (web / "evaldata.json").is_file():
        metrics.update(_evaluate_web(web, workers, limit))
    zh = data_dir / "extraction-zh"
    if (zh / "original").is_dir():
        metrics.update(_evaluate_zh(zh, workers))
    return metrics


# --- web snippets ---------------------------------------------------------------------------


def _evaluate_web(folder: Path, workers: int, limit: int | None) -> dict[str, float]:
    data = json.loads((folder / "evaldata.json").read_text(encoding="utf-8"))
    jobs = [
        (url, str(folder / "html" / f"{entry['file']}.gz"), entry)
        for url, entry in sorted(data.items())
    ]
    if limit:
        jobs = jobs[:: max(1, len(jobs) // limit)][:limit]
    ours, base, meta = Counter[str](), Counter[str](), Counter[str]()
    for counts_ours, counts_base, counts_meta in _map(_web_page, jobs, workers):
        ours.update(counts_ours)
        base.update(counts_base)
        meta.update(counts_meta)
    result: dict[str, float] = {
        "web_pages": float(len(jobs)),
        "web_date_accuracy": meta["date_ok"] / max(1, meta["date_n"]),
        "web_title_accuracy": meta["title_ok"] / max(1, meta["title_n"]),
    }
    for name, counts in (("", ours), ("_trafilatura", base)):
        precision, recall, f1 = _prf(counts)
        result[f"web_precision{name}"] = precision
        result[f"web_recall{name}"] = recall
        result[f"web_f1{name}"] = f1
    return result


def _web_page(
    job: tuple[str, str, dict[str, Any]],
) -> tuple[Counter[str], Counter[str], Counter[str]]:
    url, path, entry = job
    with_, without = entry.get("with", []), entry.get("without", [])
    data = gzip.decompress(Path(path).read_bytes())
    article = _ours(data, url, Path(path).stem)
    ours = article.text if article else ""
    base = trafilatura.extract(data, url=url) or ""
    meta = Counter[str]()
    if entry.get("date"):
        meta["date_n"] += 1
        published = article.published if article else None
        meta["date_ok"] += _same_day(published, entry["date"])
    if entry.get("title"):
        meta["title_n"] += 1
        title = _WS.sub(" ", article.title).strip().casefold() if article else ""
        meta["title_ok"] += title == _WS.sub(" ", entry["title"]).strip().casefold()
    return _score(ours, with_, without), _score(base, with_, without), meta


def _same_day(published: datetime | None, day: str) -> bool:
    """True when `published` (UTC) falls on calendar day `day` in some time zone (UTC-12..+14):
    gold dates are local dates, ours are UTC instants."""
    if published is None:
        return False
    try:
        start = datetime.fromisoformat(day[:10]).replace(tzinfo=UTC)
    except ValueError:
        return False
    return start - timedelta(hours=14) <= published < start + timedelta(hours=36)


def _score(text: str, with_: Iterable[str], without: Iterable[str]) -> Counter[str]:
    flat = _WS.sub(" ", text)
    counts = Counter[str]()
    for snippet in with_:
        counts["tp" if _WS.sub(" ", snippet).strip() in flat else "fn"] += 1
    for snippet in without:
        counts["fp" if _WS.sub(" ", snippet).strip() in flat else "tn"] += 1
    return counts


def _prf(counts: Counter[str]) -> tuple[float, float, float]:
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _ours(data: bytes, url: str | None, origin: str) -> Article | None:
    try:
        return parse(RawInput(origin=origin, data=data, fmt="html", url=url))
    except InputRejected:
        return None


# --- Chinese pages --------------------------------------------------------------------------


def _evaluate_zh(folder: Path, workers: int) -> dict[str, float]:
    jobs = [
        (
            str(page),
            (folder / "cleaned" / f"{page.stem}.txt").read_text(encoding="utf-8"),
            _read(folder / "date" / f"{page.stem}.txt"),
        )
        for page in sorted((folder / "original").glob("*.html"))
        if (folder / "cleaned" / f"{page.stem}.txt").is_file()
    ]
    rows = list(_map(_zh_page, jobs, workers))
    n = len(rows) or 1
    dated = [r[5] for r in rows if r[5] is not None]
    return {
        "zh_date_accuracy": sum(dated) / max(1, len(dated)),
        "zh_pages": float(len(rows)),
        "zh_f1": sum(r[0] for r in rows) / n,
        "zh_f1_trafilatura": sum(r[1] for r in rows) / n,
        "zh_mojibake": float(sum(r[2] for r in rows)),
        "zh_mojibake_trafilatura": float(sum(r[3] for r in rows)),
        "zh_charset_accuracy": sum(r[4] for r in rows) / n,
    }


def _zh_page(job: tuple[str, str, str]) -> tuple[float, float, bool, bool, bool, bool | None]:
    path, gold, gold_date = job
    data = Path(path).read_bytes()
    article = _ours(data, None, Path(path).name)
    ours = article.text if article else ""
    base = trafilatura.extract(data) or ""
    try:
        decoded = decode(data)
    except InputRejected:
        decoded = ""
    chinese = len(_CJK.findall(decoded)) >= 20
    date_ok: bool | None = None
    day = _GOLD_DAY.match(gold_date)
    if day:
        year, month, mday = (int(g) for g in day.groups())
        got = article.published if article else None
        date_ok = _same_day(got, f"{year:04d}-{month:02d}-{mday:02d}")
    return (
        _token_f1(ours, gold),
        _token_f1(base, gold),
        _mojibake(ours),
        _mojibake(base),
        chinese,
        date_ok,
    )


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def _token_f1(text: str, gold: str) -> float:
    got, want = Counter(_TOKEN.findall(text.lower())), Counter(_TOKEN.findall(gold.lower()))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _mojibake(text: str) -> bool:
    return "\ufffd" in text or len(_MOJIBAKE.findall(text)) >= 3


# --- running --------------------------------------------------------------------------------


def _map(func, jobs, workers):  # type: ignore[no-untyped-def]
    if workers <= 1 or len(jobs) < 4:
        return map(func, jobs)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, jobs, chunksize=4))


def main(argv: list[str] | None = None) -> int:
    """Print the extraction metrics as a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="Measure only N web pages (evenly spaced).")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metrics = evaluate(args.data, workers=args.workers, limit=args.limit)
    print(f"{'metric':28} {'value':>8}")
    for key in sorted(metrics):
        print(f"{key:28} {metrics[key]:8.4f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
