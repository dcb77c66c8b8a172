"""Rebuild src/hoasen/data/gazetteer/countries.csv from Babel's CLDR data (run by hand).

Babel (CLDR) gives every country's name in vi/en/zh/ja/ko. A few hand-kept fixes follow: the
usual short forms and aliases a news text uses ("Mỹ", "USA", "Burma"), ISO codes that are not
places (EU, UN, pseudo-locales), and Hong Kong / Macao, which live in cn_regions.csv. The other
gazetteer files are written by hand; `--check` loads them all and reports bad rows.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from babel import Locale

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "hoasen" / "data" / "gazetteer" / "countries.csv"
LANGS = ("vi", "en", "zh", "ja", "ko")
COLUMNS = (
    "id",
    "type",
    "kind",
    "country",
    "status",
    "successor",
    *(f"name_{lang}" for lang in LANGS),
    "aliases",
)
# CLDR codes that are not countries or territories of their own, or that another file covers.
SKIP = {
    "AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ",
    "HK", "MO",
}  # fmt: skip
# Dependent or disputed territories: kind "region" rather than "country".
REGIONS = {
    "AI", "AQ", "AS", "AW", "AX", "BL", "BM", "BQ", "BV", "CC", "CK", "CW", "CX", "EH", "FK",
    "FO", "GF", "GG", "GI", "GL", "GP", "GS", "GU", "HM", "IM", "IO", "JE", "KY", "MF", "MP",
    "MQ", "MS", "NC", "NF", "NU", "PF", "PM", "PN", "PR", "RE", "SH", "SJ", "SX", "TC", "TF",
    "TK", "UM", "VG", "VI", "WF", "YT", "TW", "XK",
}  # fmt: skip
# Names CLDR gives in a form a news text rarely uses: (code, lang) -> preferred name.
RENAME = {
    ("CD", "en"): "Democratic Republic of the Congo",
    ("CD", "vi"): "Cộng hòa Dân chủ Congo",
    ("CD", "zh"): "刚果民主共和国",
    ("CG", "en"): "Republic of the Congo",
    ("CG", "vi"): "Cộng hòa Congo",
    ("CG", "zh"): "刚果共和国",
    ("PS", "en"): "Palestine",
    ("PS", "vi"): "Palestine",
    ("PS", "zh"): "巴勒斯坦",
}
EXTRA_ALIASES = {
    "AU": "vi:Úc",
    "CD": "en:DR Congo|en:DRC|en:Congo-Kinshasa|zh:刚果（金）",
    "CG": "en:Congo-Brazzaville|zh:刚果（布）",
    "CI": "en:Ivory Coast",
    "CN": "en:People's Republic of China|en:PRC|vi:Cộng hòa Nhân dân Trung Hoa|zh:中华人民共和国"
    "|ja:中華人民共和国",
    "CV": "en:Cabo Verde",
    "CZ": "en:Czech Republic|vi:Cộng hòa Séc",
    "GB": "en:UK|en:U.K.|en:Britain|en:Great Britain|vi:Anh Quốc",
    "JP": "vi:Nhật",
    "KH": "vi:Cam-pu-chia",
    "KP": "en:DPRK|en:Democratic People's Republic of Korea|vi:CHDCND Triều Tiên",
    "KR": "en:Korea|en:Republic of Korea|en:ROK|zh:大韩民国|ko:한국",
    "LA": "en:Lao PDR",
    "PS": "en:State of Palestine|en:Palestinian Territories|vi:Nhà nước Palestine|zh:巴勒斯坦国",
    "RU": "en:Russian Federation|vi:Liên bang Nga|zh:俄罗斯联邦",
    "SZ": "en:Swaziland",
    "TL": "en:East Timor|vi:Đông Timor",
    "TR": "en:Turkey",
    "US": "en:USA|en:U.S.|en:US|en:U.S.A.|en:United States of America|en:America|vi:Mỹ"
    "|zh:美利坚合众国|ja:米国|ja:アメリカ",
    "VA": "en:Vatican|en:Holy See|vi:Vatican",
    "VN": "en:Viet Nam|en:Socialist Republic of Vietnam|vi:Cộng hòa Xã hội chủ nghĩa Việt Nam|vi:VN"
    "|vi:Viet Nam|zh:越南社会主义共和国",
}
_PAREN = re.compile(r"^(.*\S)\s*[(（]([^()（）]+)[)）]$")


def _split_name(code: str, name: str) -> tuple[str, list[str]]:
    """'Myanmar (Burma)' -> ('Myanmar', ['Burma']); other trailing notes in brackets are dropped
    ('コンゴ共和国(ブラザビル)' names the capital, not the country)."""
    match = _PAREN.match(name)
    if not match:
        return name, []
    return match.group(1), [match.group(2)] if code == "MM" else []


def country_rows() -> list[dict[str, str]]:
    """One gazetteer row per CLDR country or territory, names in the five desk languages."""
    names = {
        lang: {str(k): str(v) for k, v in Locale.parse(lang).territories.items()} for lang in LANGS
    }
    codes = sorted(
        c for c in map(str, names["en"]) if len(c) == 2 and c.isalpha() and c not in SKIP
    )
    rows = []
    for code in codes:
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            id=f"country.{code.lower()}",
            type="LOC",
            kind="region" if code in REGIONS else "country",
            country=code,
            status="current",
        )
        aliases: list[str] = []
        for lang in LANGS:
            raw = RENAME.get((code, lang)) or names[lang].get(code, "")
            name, extra = _split_name(code, raw)
            row[f"name_{lang}"] = name
            aliases += [f"{lang}:{alias}" for alias in extra]
            if RENAME.get((code, lang)) and names[lang].get(code) not in (None, raw):
                aliases.append(f"{lang}:{names[lang][code]}")
        english = row["name_en"]
        if "&" in english:
            aliases.append("en:" + english.replace("&", "and"))
        if english.startswith("St. "):
            aliases.append("en:Saint " + english[4:])
        if "và" in row["name_vi"]:
            aliases.append("vi:" + row["name_vi"].replace(" và ", " - "))
        if code in EXTRA_ALIASES:
            aliases += EXTRA_ALIASES[code].split("|")
        row["aliases"] = "|".join(dict.fromkeys(a for a in aliases if a.split(":", 1)[1]))
        rows.append(row)
    return rows


def write(rows: list[dict[str, str]], path: Path) -> None:
    """Write rows as UTF-8 CSV with the gazetteer's column order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def check() -> int:
    """Load every bundled gazetteer file; print counts, or the bad rows."""
    sys.path.insert(0, str(ROOT / "src"))
    from hoasen.analyze.gazetteer import Gazetteer
    from hoasen.errors import UsageError

    try:
        gazetteer = Gazetteer.load()
    except UsageError as exc:
        print(exc)
        return 1
    kinds: dict[str, int] = {}
    for entity in gazetteer:
        kinds[entity.kind] = kinds.get(entity.kind, 0) + 1
    print(f"{len(gazetteer)} entities: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Write countries.csv (default) or only check the bundled files (--check)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="Only validate the bundled files.")
    args = parser.parse_args(argv)
    if not args.check:
        rows = country_rows()
        write(rows, OUT)
        print(f"wrote {len(rows)} rows to {OUT.relative_to(ROOT)}")
    return check()


if __name__ == "__main__":
    raise SystemExit(main())
