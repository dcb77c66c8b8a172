"""Language identification accuracy on NTREX-128 news (ntrex-dev): sentences and whole documents.

Every line of newstest2019 is one news sentence, human-translated into each language; lines are
grouped into documents by DOCUMENT_IDS.tsv. hoasen's detector chooses among the default
configured languages (Swedish included, though NTREX has none). Reports per-language and overall
accuracy for sentences and documents, and the mean detection time per sentence.
Run: `python -m eval.language [DATA_DIR]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

from hoasen.analyze.language import LinguaDetector
from hoasen.settings import DEFAULT_LANGUAGES

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

#: NTREX file code -> ISO 639-1 (the file languages that hoasen is configured for).
FILES = {
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
}


def _read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def evaluate(data_dir: Path) -> dict[str, float]:
    """Accuracy per language and overall (sentences, documents) and ms per sentence."""
    folder = data_dir / "ntrex-dev"
    doc_ids = _read_lines(folder / "DOCUMENT_IDS.tsv")
    detector = LinguaDetector(DEFAULT_LANGUAGES)
    seg_right: dict[str, int] = defaultdict(int)
    seg_total: dict[str, int] = defaultdict(int)
    doc_right: dict[str, int] = defaultdict(int)
    doc_total: dict[str, int] = defaultdict(int)
    confusions: dict[tuple[str, str | None], int] = defaultdict(int)
    seconds = 0.0
    sentences = 0
    for stem, code in FILES.items():
        lines = _read_lines(folder / "NTREX-128" / f"newstest2019-{stem}.txt")
        if len(lines) != len(doc_ids):
            raise SystemExit(f"{stem}: {len(lines)} lines but {len(doc_ids)} document ids")
        docs: dict[str, list[str]] = defaultdict(list)
        for line, doc in zip(lines, doc_ids, strict=True):
            if not line.strip():
                continue
            docs[doc].append(line)
            started = time.perf_counter()
            guess = detector.detect(line)
            seconds += time.perf_counter() - started
            sentences += 1
            seg_total[code] += 1
            if guess.language == code:
                seg_right[code] += 1
            else:
                confusions[(code, guess.language)] += 1
        for doc_lines in docs.values():
            doc_total[code] += 1
            joiner = "" if code in {"zh", "ja", "th"} else " "
            if detector.detect(joiner.join(doc_lines)).language == code:
                doc_right[code] += 1
    metrics: dict[str, float] = {}
    for code in sorted(seg_total):
        metrics[f"sentence_accuracy_{code}"] = seg_right[code] / seg_total[code]
    for code in sorted(doc_total):
        metrics[f"document_accuracy_{code}"] = doc_right[code] / doc_total[code]
    metrics["sentence_accuracy"] = sum(seg_right.values()) / sum(seg_total.values())
    metrics["sentence_accuracy_min"] = min(metrics[f"sentence_accuracy_{c}"] for c in seg_total)
    metrics["document_accuracy"] = sum(doc_right.values()) / sum(doc_total.values())
    metrics["ms_per_sentence"] = 1000 * seconds / max(1, sentences)
    worst = sorted(confusions.items(), key=lambda kv: -kv[1])[:8]
    if worst:
        print("   most frequent confusions: " + ", ".join(f"{t}->{g}: {n}" for (t, g), n in worst))
    return metrics


def main(argv: list[str] | None = None) -> int:
    """Print the metrics table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    metrics = evaluate(args.data)
    print(f"{'metric':28} {'value':>8}")
    for key in sorted(metrics):
        print(f"{key:28} {metrics[key]:8.4f}")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
