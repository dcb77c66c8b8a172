"""Extraction quality: hoasen's `parse()` against its peers, plain trafilatura and
readability-lxml, on the same pages with the same scoring.

* extraction-web: snippets that must ("with") / must not ("without") appear in the main text;
  precision, recall and F1 over snippets (trafilatura's own evaluation method).
* extraction-zh: Chinese pages in GBK/GB2312/Big5/UTF-8 with hand-cleaned gold text;
  character-level token F1 (CJK characters and Latin words are tokens), pages with mojibake,
  and the share of pages our charset decoding turns into real Chinese text. Precision and
  recall are per page too (macro averages).

The peers get the raw bytes and decode them themselves; hoasen decodes with charset.decode.
readability-lxml's article HTML becomes text with trafilatura's html2txt (as trafilatura's own
benchmark does). `*_margin` is hoasen's F1 minus the best peer's; `ms_per_page*` is the
extraction time per page (wall clock inside the worker, so a loaded machine reads slower).
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
from readability import Document

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
# Result-name suffix of each extractor ('' is hoasen).
_SYSTEMS = ("", "_trafilatura", "_readability")


def evaluate(
    data_dir: Path, workers: int | None = None, limit: int | None = None
) -> dict[str, float]:
    """Measure both corpora under data_dir; keys are stable metric names."""
    workers = workers or min(2, os.cpu_count() or 1)
    for name in ("trafilatura", "htmldate", "courlan", "readability"):
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
    totals = {name: Counter[str]() for name in _SYSTEMS}
    meta, seconds = Counter[str](), Counter[str]()
    for counts, page_meta, page_seconds in _map(_web_page, jobs, workers):
        for name in _SYSTEMS:
            totals[name].update(counts[name])
        meta.update(page_meta)
        seconds.update(page_seconds)
    result: dict[str, float] = {
        "web_pages": float(len(jobs)),
        "web_date_accuracy": meta["date_ok"] / max(1, meta["date_n"]),
        "web_title_accuracy": meta["title_ok"] / max(1, meta["title_n"]),
    }
    for name in _SYSTEMS:
        precision, recall, f1 = _prf(totals[name])
        result[f"web_precision{name}"] = precision
        result[f"web_recall{name}"] = recall
        result[f"web_f1{name}"] = f1
        result[f"ms_per_page{name}"] = 1000 * seconds[name] / max(1, len(jobs))
    result["web_f1_margin"] = result["web_f1"] - max(result[f"web_f1{n}"] for n in _SYSTEMS[1:])
    return result


def _web_page(
    job: tuple[str, str, dict[str, Any]],
) -> tuple[dict[str, Counter[str]], Counter[str], dict[str, float]]:
    url, path, entry = job
    with_, without = entry.get("with", []), entry.get("without", [])
    data = gzip.decompress(Path(path).read_bytes())
    texts, seconds, article = _extract_all(data, url, Path(path).stem)
    meta = Counter[str]()
    if entry.get("date"):
        meta["date_n"] += 1
        published = article.published if article else None
        meta["date_ok"] += _same_day(published, entry["date"])
    if entry.get("title"):
        meta["title_n"] += 1
        title = _WS.sub(" ", article.title).strip().casefold() if article else ""
        meta["title_ok"] += title == _WS.sub(" ", entry["title"]).strip().casefold()
    counts = {name: _score(texts[name], with_, without) for name in _SYSTEMS}
    return counts, meta, seconds


def _extract_all(
    data: bytes, url: str | None, origin: str
) -> tuple[dict[str, str], dict[str, float], Article | None]:
    """Every system's text of one page and the seconds each took; hoasen's Article too."""
    started = time.perf_counter()
    article = _ours(data, url, origin)
    seconds = {"": time.perf_counter() - started}
    started = time.perf_counter()
    texts = {
        "": article.text if article else "",
        "_trafilatura": trafilatura.extract(data, url=url) or "",
    }
    seconds["_trafilatura"] = time.perf_counter() - started
    started = time.perf_counter()
    texts["_readability"] = _readability(data, url)
    seconds["_readability"] = time.perf_counter() - started
    return texts, seconds, article


def _readability(data: bytes, url: str | None) -> str:
    """readability-lxml's article as text ('' when it gives up on the page)."""
    try:
        return trafilatura.html2txt(Document(data, url=url).summary())
    except (ValueError, TypeError, AttributeError, RecursionError):  # Unparseable is a ValueError
        return ""


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
    dated = [r["date_ok"] for r in rows if r["date_ok"] is not None]
    result = {
        "zh_date_accuracy": sum(dated) / max(1, len(dated)),
        "zh_pages": float(len(rows)),
        "zh_mojibake": float(sum(r["mojibake"] for r in rows)),
        "zh_mojibake_trafilatura": float(sum(r["mojibake_trafilatura"] for r in rows)),
        "zh_charset_accuracy": sum(r["chinese"] for r in rows) / n,
    }
    for name in _SYSTEMS:
        for part in ("precision", "recall", "f1"):
            result[f"zh_{part}{name}"] = sum(r[f"{part}{name}"] for r in rows) / n
    result["zh_f1_margin"] = result["zh_f1"] - max(result[f"zh_f1{n}"] for n in _SYSTEMS[1:])
    return result


def _zh_page(job: tuple[str, str, str]) -> dict[str, Any]:
    path, gold, gold_date = job
    data = Path(path).read_bytes()
    texts, _, article = _extract_all(data, None, Path(path).name)
    row: dict[str, Any] = {}
    for name in _SYSTEMS:
        row[f"precision{name}"], row[f"recall{name}"], row[f"f1{name}"] = _token_prf(
            texts[name], gold
        )
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
    row["mojibake"] = _mojibake(texts[""])
    row["mojibake_trafilatura"] = _mojibake(texts["_trafilatura"])
    row["chinese"] = chinese
    row["date_ok"] = date_ok
    return row


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


def _token_prf(text: str, gold: str) -> tuple[float, float, float]:
    """Token precision, recall and F1 of `text` against `gold` (bags of tokens)."""
    got, want = Counter(_TOKEN.findall(text.lower())), Counter(_TOKEN.findall(gold.lower()))
    overlap = sum((got & want).values())
    if not overlap:
        return 0.0, 0.0, 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


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
