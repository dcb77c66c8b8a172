"""Rebuild src/hoasen/data/unihan/ from the Unicode Character Database's Unihan files (by hand).

Reads Unihan_Readings.txt and Unihan_Variants.txt (plain, .bz2 as Debian's `unicode-data`
package ships them, or from inside Unihan.zip) and writes:

- vietnamese.tsv: every CJK character with a kVietnamese reading, and every simplified
  character without one that inherits its traditional form's reading (孙 <- 孫), so a name in
  simplified characters can be read. Only those two fields are used; nothing else is kept.
- s2t.tsv: simplified -> traditional (kTraditionalVariant) where one form is the usual one
  (used to derive zh-Hant terms); a short hand-kept list (KEEP_SELF, PICK below) decides the
  characters Unihan gives several forms for.
- s2t_ambiguous.txt: characters whose traditional form depends on the sense (后 -> 後/后, 发
  -> 發/髮), which the termbase does not convert without a person's choice.

    python tools/build_unihan.py /usr/share/unicode      # a folder with the Unihan files
    python tools/build_unihan.py Unihan.zip

Getting the files offline: `apt-get download unicode-data && dpkg -x unicode-data_*.deb x`,
then the folder is x/usr/share/unicode. The Unicode version is read from the files' headers and
written into the outputs. See src/hoasen/data/unihan/README.md for the licence.
"""

from __future__ import annotations

import argparse
import bz2
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

# Simplified characters that Unihan lists as their own traditional form beside another one, and
# that are common in their own right in traditional text (后 queen / 後 after, 范 surname / 範
# model, 姜 surname / 薑 ginger): converting them needs context, so they stay ambiguous.
KEEP_SELF = frozenset(
    "丑了于云余借克冬准几出划制千卜卷合同后向回困坂夸奸姜家尸御志才折斗旋曲朱朴松板栗沈注症秋"
    "筑累舍范蔑表谷辟适郁里面致征杰胜涂咸吁万"
)
# Characters with several traditional forms where one is the usual choice.
PICK = {
    "么": "麼",
    "伪": "偽",
    "荡": "蕩",
    "钩": "鉤",
    "锈": "鏽",
    "闲": "閒",
    "须": "須",
    "当": "當",
    "并": "並",
    "汇": "匯",
    "坛": "壇",
}
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "hoasen" / "data" / "unihan"
_VERSION = re.compile(r"^#\s*Unicode version:\s*(\S+)")


def _read(source: Path, name: str) -> str:
    """The text of one Unihan file from a folder (plain or .bz2) or from Unihan.zip."""
    if source.is_file() and source.suffix == ".zip":
        with zipfile.ZipFile(source) as archive:
            return archive.read(name).decode("utf-8")
    for candidate in (source / name, source / f"{name}.bz2"):
        if candidate.is_file():
            data = candidate.read_bytes()
            if candidate.suffix == ".bz2":
                data = bz2.decompress(data)
            return data.decode("utf-8")
    raise SystemExit(f"{name} not found in {source}")


def _records(text: str, fields: set[str]) -> Iterator[tuple[str, str, str]]:
    """(character, field, value) for the wanted fields."""
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code, field, value = line.split("\t", 2)
        if field in fields:
            yield chr(int(code[2:], 16)), field, value


def _version(text: str) -> str:
    for line in text.splitlines()[:20]:
        match = _VERSION.match(line)
        if match:
            return match.group(1)
    return "unknown"


def build(source: Path, out: Path) -> dict[str, int]:
    readings_text = _read(source, "Unihan_Readings.txt")
    variants_text = _read(source, "Unihan_Variants.txt")
    version = _version(readings_text)
    vietnamese: dict[str, list[str]] = {}
    for char, _, value in _records(readings_text, {"kVietnamese"}):
        vietnamese[char] = value.split()
    traditional: dict[str, list[str]] = {}
    for char, _, value in _records(variants_text, {"kTraditionalVariant"}):
        traditional[char] = [chr(int(v[2:], 16)) for v in value.split()]
    inherited: dict[str, list[str]] = {}
    for char, forms in traditional.items():
        if char in vietnamese:
            continue
        merged: list[str] = []
        for form in forms:
            merged += [r for r in vietnamese.get(form, []) if r not in merged]
        if merged:
            inherited[char] = merged
    header = (
        f"# Derived from the Unicode Character Database, Unihan {version} (Unihan_Readings.txt,\n"
        "# Unihan_Variants.txt) by tools/build_unihan.py; see README.md in this folder for the\n"
        "# licence. Modified: only the fields named below are kept, re-arranged one character a\n"
        "# line.\n"
    )
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        header + "# character<TAB>kVietnamese readings (space-separated); '<' marks a simplified\n"
        "# character that takes its traditional form's readings (kTraditionalVariant)\n"
    ]
    for char in sorted(set(vietnamese) | set(inherited)):
        if char in vietnamese:
            lines.append(f"{char}\t{' '.join(vietnamese[char])}\n")
        else:
            lines.append(f"{char}\t<{' '.join(inherited[char])}\n")
    (out / "vietnamese.tsv").write_text("".join(lines), encoding="utf-8")
    single: dict[str, str] = {}
    ambiguous: list[str] = []
    for char, forms in sorted(traditional.items()):
        others = [f for f in forms if f != char]
        if char in PICK:
            single[char] = PICK[char]
        elif len(forms) == 1 and others:
            single[char] = others[0]
        elif len(others) == 1 and char not in KEEP_SELF:
            single[char] = others[0]  # 广 -> 廣: Unihan lists 广 itself too (a rare old use)
        elif len(forms) > 1:
            ambiguous.append(char)
    s2t = [
        header + "# simplified<TAB>traditional; where Unihan gives several forms, the usual one\n"
        "# was chosen by hand (tools/build_unihan.py: KEEP_SELF, PICK)\n"
    ]
    s2t += [f"{c}\t{t}\n" for c, t in sorted(single.items())]
    (out / "s2t.tsv").write_text("".join(s2t), encoding="utf-8")
    rows = [header + "# characters whose traditional form depends on the sense, 40 a line\n"]
    rows += ["".join(ambiguous[i : i + 40]) + "\n" for i in range(0, len(ambiguous), 40)]
    (out / "s2t_ambiguous.txt").write_text("".join(rows), encoding="utf-8")
    return {
        "vietnamese": len(vietnamese),
        "inherited": len(inherited),
        "s2t": len(single),
        "ambiguous": len(ambiguous),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder with the Unihan files, or Unihan.zip")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    counts = build(args.source, args.out)
    print(", ".join(f"{k}: {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
