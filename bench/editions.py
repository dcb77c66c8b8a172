"""Edition render time: a Vietnamese–Chinese special issue of about 24 A4 pages (parallel
layout) rendered to PDF, EPUB and HTML; seconds per format and the PDF's page count.

The items are NTREX-128 news lines (the Vietnamese and Chinese references of the same English
sentences, so the columns really are parallel) when the benchmark data has them, else synthetic
text; 18 items of 6 two-sentence paragraphs each fill about 24 pages with cover and contents.
"""

from __future__ import annotations

import json
import re
import time
import zlib
from datetime import date
from pathlib import Path

from hoasen.publish.edition_model import Edition, EditionItem, EditionSeries, ItemText
from hoasen.publish.render import render_edition
from hoasen.settings import load_settings

NTREX = Path("ntrex-dev") / "NTREX-128"
FILES = {"vi": "newstest2019-ref.vie.txt", "zh": "newstest2019-ref.zho-CN.txt"}
ITEMS = 18
PARAGRAPHS = 6
SENTENCES = 2


def _lines(data_dir: Path | None, lang: str, n: int) -> list[str]:
    """`n` lines of NTREX in `lang`, or synthetic sentences when the data is not there."""
    if data_dir is not None and (data_dir / NTREX / FILES[lang]).is_file():
        lines = [
            line.strip()
            for line in (data_dir / NTREX / FILES[lang]).read_text("utf-8").splitlines()
            if line.strip()
        ]
        if len(lines) >= n:
            return lines[:n]
    if lang == "vi":
        return [f"Câu {i}: Quảng Ninh và Quảng Tây tăng cường hợp tác báo chí." for i in range(n)]
    return [f"第{i}句：广宁与广西加强媒体合作，促进两地交流。" for i in range(n)]


def edition(data_dir: Path | None, items: int = ITEMS) -> Edition:
    """The benchmark issue: `items` items, each with `PARAGRAPHS` aligned paragraph pairs."""
    per_item = PARAGRAPHS * SENTENCES + 1
    texts = {lang: _lines(data_dir, lang, items * per_item) for lang in FILES}
    out = []
    for n in range(items):
        item_texts = {}
        for lang, lines in texts.items():
            chunk = lines[n * per_item : (n + 1) * per_item]
            paragraphs = [
                " ".join(chunk[1 + p * SENTENCES : 1 + (p + 1) * SENTENCES])
                for p in range(PARAGRAPHS)
            ]
            item_texts[lang] = ItemText(lang, chunk[0][:90], "\n\n".join(paragraphs))
        out.append(EditionItem(id=n + 1, position=n + 1, texts=item_texts, source_name="NTREX"))
    series = EditionSeries(
        1, "hoa-sen", "Đặc san Hoa Sen", ("vi", "zh"), "parallel",
        masthead="Tổng biên tập: Nguyễn Văn A", colophon="Giấy phép xuất bản số 12/GP",
    )  # fmt: skip
    return Edition(series, 24, "Số đặc biệt", date(2026, 5, 1), "published", tuple(out))


def run(data_dir: Path | None = None) -> dict[str, float]:
    """Render the issue once per format (a warm-up PDF first loads fonts and WeasyPrint)."""
    settings = load_settings(env={}, config_path=Path("/nonexistent/hoasen.toml"))
    issue = edition(data_dir)
    render_edition(edition(None, 1), "pdf", settings)  # warm-up: imports and font loading
    results: dict[str, float] = {}
    for fmt in ("pdf", "epub", "html"):
        started = time.perf_counter()
        data = render_edition(issue, fmt, settings)
        results[f"{fmt}_s"] = time.perf_counter() - started
        results[f"{fmt}_kb"] = len(data) / 1024
        if fmt == "pdf":
            results["pdf_pages"] = float(_page_count(data))
    return results


def _page_count(pdf: bytes) -> int:
    """The PDF's page count: page objects, in the file and in its compressed object streams
    (no PDF library needed)."""
    page = re.compile(rb"/Type\s*/Page(?![A-Za-z])")
    count = len(page.findall(pdf))
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            count += len(page.findall(zlib.decompress(match.group(1))))
        except zlib.error:
            continue
    return count


if __name__ == "__main__":
    import sys

    default = Path(__file__).resolve().parents[2] / "shared" / "data"
    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else default), indent=2))
