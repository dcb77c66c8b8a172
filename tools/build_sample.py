"""Rebuild the bundled sample corpus in src/hoasen/data/sample/ from ../shared (run by hand).

NTREX-128 documents (CC BY-SA 4.0, Microsoft) in twelve languages, plus the British-English
reference of each as a natural near duplicate, and the five seed articles as plain text.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
NTREX = SHARED / "data" / "ntrex-dev"
OUT = ROOT / "src" / "hoasen" / "data" / "sample"
DOCS = 24
LANGS = {
    "src.eng": "en",
    "ref.vie": "vi",
    "ref.zho-CN": "zh",
    "ref.zho-TW": "zh",
    "ref.jpn": "ja",
    "ref.kor": "ko",
    "ref.fra": "fr",
    "ref.deu": "de",
    "ref.rus": "ru",
    "ref.spa": "es",
    "ref.tha": "th",
    "ref.ind": "id",
    "ref.eng-GB": "en",
}
PUBLISHERS = {
    "bbc": ("BBC News", "https://www.bbc.co.uk/news", "GB"),
    "reuters": ("Reuters", "https://www.reuters.com", "GB"),
    "newsweek": ("Newsweek", "https://www.newsweek.com", "US"),
    "dailymail": ("Daily Mail", "https://www.dailymail.co.uk", "GB"),
    "scotsman": ("The Scotsman", "https://www.scotsman.com", "GB"),
    "nytimes": ("The New York Times", "https://www.nytimes.com", "US"),
    "independent": ("The Independent", "https://www.independent.co.uk", "GB"),
    "telegraph": ("The Telegraph", "https://www.telegraph.co.uk", "GB"),
    "cbsnews": ("CBS News", "https://www.cbsnews.com", "US"),
    "cnbc": ("CNBC", "https://www.cnbc.com", "US"),
    "guardian": ("The Guardian", "https://www.theguardian.com", "GB"),
    "abcnews": ("ABC News", "https://abcnews.go.com", "US"),
    "cnn": ("CNN", "https://edition.cnn.com", "US"),
    "rt": ("RT", "https://www.rt.com", "RU"),
    "upi": ("UPI", "https://www.upi.com", "US"),
}


def main() -> None:
    """Write sample/ntrex.jsonl.gz, sample/seeds/*.txt and sample/sources.json."""
    doc_ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").split("\n")
    files = {
        key: (NTREX / "NTREX-128" / f"newstest2019-{key}.txt").read_text("utf-8").split("\n")
        for key in LANGS
    }
    order: list[str] = []
    lines_of: dict[str, list[int]] = {}
    for i, doc in enumerate(doc_ids):
        if not doc.strip():
            continue
        if doc not in lines_of:
            order.append(doc)
        lines_of.setdefault(doc, []).append(i)
    chosen = [d for d in order if len(lines_of[d]) >= 8 and d.split(".")[0] in PUBLISHERS][:DOCS]
    OUT.mkdir(parents=True, exist_ok=True)
    records = []
    for doc in chosen:
        publisher = PUBLISHERS[doc.split(".")[0]][0]
        for key in LANGS:
            lines = [files[key][i].strip() for i in lines_of[doc]]
            records.append(
                {
                    "title": lines[0],
                    "text": "\n\n".join(line for line in lines[1:] if line),
                    "source": publisher,
                }
            )
    with gzip.open(OUT / "ntrex.jsonl.gz", "wt", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    seeds = OUT / "seeds"
    seeds.mkdir(exist_ok=True)
    for path in sorted((SHARED / "seeds").glob("*.txt")):
        shutil.copyfile(path, seeds / path.name)
    used = {doc.split(".")[0] for doc in chosen}
    sources = [
        {"name": n, "url": u, "country": c, "foreign": True, "kind": "site"}
        for key, (n, u, c) in PUBLISHERS.items()
        if key in used
    ]
    (OUT / "sources.json").write_text(json.dumps(sources, indent=1), encoding="utf-8")
    print(f"{len(records)} NTREX articles from {len(chosen)} documents, sources: {len(sources)}")


if __name__ == "__main__":
    main()
