"""Name suggestions for a Chinese name: its Sino-Vietnamese reading (Hán-Việt) for Vietnamese and
its Hanyu Pinyin for English, for an editor to confirm before it enters the termbase.

- **Hán-Việt**: one reading per character, from hoasen's hand-kept table
  (data/hanviet/readings.tsv), else from Unihan's kVietnamese (data/unihan/vietnamese.tsv, which
  mixes in Nôm readings: such syllables are listed in `notes` for the editor to check).
  Characters read differently by sense take the reading of their Mandarin pronunciation in
  context, which pypinyin's phrase dictionary knows: 重庆 chóngqìng -> Trùng Khánh, 长沙
  chángshā -> Trường Sa, 乐山 lèshān -> Lạc Sơn, 银行 -> ngân hàng.
- **Administrative units** are moved before the name the Vietnamese way and named the English
  way: 福建省 -> "tỉnh Phúc Kiến" / "Fujian Province", 广州市 -> "thành phố Quảng Châu" /
  "Guangzhou", 广西壮族自治区 -> "Khu tự trị dân tộc Choang Quảng Tây" / "Guangxi Zhuang
  Autonomous Region", with the ethnic groups' Vietnamese and English names.
- **People**: surname first, then the given name: 孙业礼 -> "Tôn Nghiệp Lễ" / "Sun Yeli", with
  surname readings where a character is read otherwise as a surname (曾 Zeng/Tăng, 单 Shan/Đơn,
  解 Xie/Giải) and compound surnames (欧阳 Ouyang/Âu Dương, 诸葛 Zhuge/Gia Cát).
- A **known** name (the termbase or gazetteer has it) wins over the rules: `lookup` gives the
  names the termbase has for a Chinese string, also for the core of an administrative name.

Everything is offline: the tables ship in the package; pypinyin carries its own dictionaries.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from hoasen.translate.types import Term

# Names per language ('vi', 'en') that the termbase knows for a Chinese string, or None.
Lookup = Callable[[str], Mapping[str, str] | None]

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

# Single-character surnames common enough to tell a person's name from a place's.
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥"
    "班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜阚权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄"
    "计索宣晋相初门容敬来扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危"
    "玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由习蔺"
)

# Surnames read otherwise than the character's usual reading, and compound surnames:
# hanzi -> (pinyin syllables with tone numbers, Hán-Việt or None to read by character).
_SURNAME_READINGS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "欧阳": (("ou1", "yang2"), "Âu Dương"),
    "司马": (("si1", "ma3"), "Tư Mã"),
    "诸葛": (("zhu1", "ge3"), "Gia Cát"),
    "上官": (("shang4", "guan1"), "Thượng Quan"),
    "司徒": (("si1", "tu2"), "Tư Đồ"),
    "司空": (("si1", "kong1"), "Tư Không"),
    "东方": (("dong1", "fang1"), "Đông Phương"),
    "皇甫": (("huang2", "fu3"), "Hoàng Phủ"),
    "夏侯": (("xia4", "hou2"), "Hạ Hầu"),
    "慕容": (("mu4", "rong2"), "Mộ Dung"),
    "公孙": (("gong1", "sun1"), "Công Tôn"),
    "令狐": (("ling2", "hu2"), "Lệnh Hồ"),
    "宇文": (("yu3", "wen2"), "Vũ Văn"),
    "轩辕": (("xuan1", "yuan2"), "Hiên Viên"),
    "端木": (("duan1", "mu4"), "Đoan Mộc"),
    "南宫": (("nan2", "gong1"), "Nam Cung"),
    "独孤": (("du2", "gu1"), "Độc Cô"),
    "呼延": (("hu1", "yan2"), "Hô Diên"),
    "澹台": (("tan2", "tai2"), "Đạm Đài"),
    "申屠": (("shen1", "tu2"), "Thân Đồ"),
    "钟离": (("zhong1", "li2"), "Chung Ly"),
    "尉迟": (("yu4", "chi2"), "Uất Trì"),
    "万俟": (("mo4", "qi2"), "Mặc Kỳ"),
    "长孙": (("zhang3", "sun1"), "Trưởng Tôn"),
    "单于": (("chan2", "yu2"), "Thiền Vu"),
    "西门": (("xi1", "men2"), "Tây Môn"),
    "百里": (("bai3", "li3"), "Bách Lý"),
    "拓跋": (("tuo4", "ba2"), "Thác Bạt"),
    "完颜": (("wan2", "yan2"), "Hoàn Nhan"),
    "太史": (("tai4", "shi3"), "Thái Sử"),
    "闻人": (("wen2", "ren2"), "Văn Nhân"),
    "赫连": (("he4", "lian2"), "Hách Liên"),
    "单": (("shan4",), "Đơn"),
    "曾": (("zeng1",), "Tăng"),
    "解": (("xie4",), "Giải"),
    "乐": (("yue4",), "Nhạc"),
    "仇": (("qiu2",), "Cừu"),
    "区": (("ou1",), "Âu"),
    "查": (("zha1",), "Tra"),
    "朴": (("piao2",), "Phác"),
    "盖": (("ge3",), "Cái"),
    "覃": (("qin2",), "Đàm"),
    "缪": (("miao4",), None),
    "员": (("yun4",), "Viên"),
    "宿": (("su4",), "Túc"),
    "冼": (("xian3",), None),
    "秘": (("bi4",), None),
    "种": (("chong2",), "Xung"),
    "召": (("shao4",), "Thiệu"),
    "翟": (("zhai2",), None),
    "谌": (("chen2",), None),
    "都": (("du1",), None),
    "柏": (("bai3",), None),
    "藏": (("zang4",), None),
    "薄": (("bo2",), None),
    "重": (("chong2",), "Trùng"),
    "车": (("che1",), None),
    "沈": (("shen3",), None),
    "任": (("ren2",), "Nhậm"),
    "纪": (("ji3",), None),
    "燕": (("yan1",), None),
    "尚": (("shang4",), None),
    "应": (("ying1",), "Ứng"),
    "贾": (("jia3",), None),
    "华": (("hua4",), None),
    "曲": (("qu1",), None),
    "叶": (("ye4",), None),
    "那": (("na1",), None),
    "折": (("she2",), None),
    "长": (("chang2",), None),
}

# Ethnic groups as they appear in administrative names: hanzi -> (Vietnamese, English).
_ETHNIC: dict[str, tuple[str, str]] = {
    "壮": ("Choang", "Zhuang"),
    "回": ("Hồi", "Hui"),
    "维吾尔": ("Duy Ngô Nhĩ", "Uygur"),
    "藏": ("Tạng", "Tibetan"),
    "蒙古": ("Mông Cổ", "Mongolian"),
    "苗": ("Miêu", "Miao"),
    "瑶": ("Dao", "Yao"),
    "彝": ("Di", "Yi"),
    "土家": ("Thổ Gia", "Tujia"),
    "侗": ("Đồng", "Dong"),
    "布依": ("Bố Y", "Bouyei"),
    "白": ("Bạch", "Bai"),
    "傣": ("Thái", "Dai"),
    "哈尼": ("Hà Nhì", "Hani"),
    "黎": ("Lê", "Li"),
    "朝鲜": ("Triều Tiên", "Korean"),
    "满": ("Mãn", "Manchu"),
    "哈萨克": ("Kazakh", "Kazak"),
    "傈僳": ("Lật Túc", "Lisu"),
    "佤": ("Ngõa", "Va"),
    "畲": ("Xa", "She"),
    "拉祜": ("La Hủ", "Lahu"),
    "水": ("Thủy", "Shui"),
    "纳西": ("Nạp Tây", "Naxi"),
    "景颇": ("Cảnh Pha", "Jingpo"),
    "羌": ("Khương", "Qiang"),
    "仫佬": ("Mục Lão", "Mulao"),
    "毛南": ("Mao Nam", "Maonan"),
    "京": ("Kinh", "Jing"),
    "仡佬": ("Cờ Lao", "Gelao"),
    "土": ("Thổ", "Tu"),
    "撒拉": ("Tát Lạp", "Salar"),
    "锡伯": ("Tích Bá", "Xibe"),
    "达斡尔": ("Đạt Oát Nhĩ", "Daur"),
    "鄂温克": ("Ngạc Ôn Khắc", "Ewenki"),
    "鄂伦春": ("Ngạc Luân Xuân", "Oroqen"),
    "柯尔克孜": ("Kyrgyz", "Kirgiz"),
    "塔吉克": ("Tajik", "Tajik"),
    "东乡": ("Đông Hương", "Dongxiang"),
    "保安": ("Bảo An", "Bonan"),
    "裕固": ("Dụ Cố", "Yugur"),
    "普米": ("Phổ Mễ", "Pumi"),
    "怒": ("Nộ", "Nu"),
    "独龙": ("Độc Long", "Derung"),
    "阿昌": ("A Xương", "Achang"),
    "德昂": ("Đức Ngang", "De'ang"),
    "布朗": ("Bố Lãng", "Blang"),
    "各": ("các", "Multi-ethnic"),
}
# Written without 族 in a few official names (新疆维吾尔自治区).
_BARE_ETHNIC = ("维吾尔",)


@dataclass(frozen=True)
class _Unit:
    """An administrative unit suffix: its Vietnamese head and English pattern."""

    vi: str  # "tỉnh {}" / "Khu tự trị {ethnic}{}"
    en: str  # "{} Province"
    ethnic: bool = False  # may carry ethnic groups before it


# Longest first. The Vietnamese head is lower case for common nouns ("tỉnh Phúc Kiến") and
# capitalised where the whole is an official proper name ("Khu tự trị ...").
_UNITS: tuple[tuple[str, _Unit], ...] = (
    ("特别行政区", _Unit("Đặc khu hành chính {}", "{} Special Administrative Region")),
    ("自治区", _Unit("Khu tự trị {}", "{} Autonomous Region", True)),
    ("自治州", _Unit("Châu tự trị {}", "{} Autonomous Prefecture", True)),
    ("自治县", _Unit("Huyện tự trị {}", "{} Autonomous County", True)),
    ("自治旗", _Unit("Kỳ tự trị {}", "{} Autonomous Banner", True)),
    ("新区", _Unit("khu mới {}", "{} New Area")),
    ("地区", _Unit("địa khu {}", "{} Prefecture")),
    ("省", _Unit("tỉnh {}", "{} Province")),
    ("市", _Unit("thành phố {}", "{}")),
    ("县", _Unit("huyện {}", "{} County")),
    ("区", _Unit("quận {}", "{} District")),
    ("盟", _Unit("minh {}", "{} League")),
    ("旗", _Unit("kỳ {}", "{} Banner")),
    ("镇", _Unit("trấn {}", "{} Town")),
    ("乡", _Unit("hương {}", "{} Township")),
    ("村", _Unit("thôn {}", "{} Village")),
)

# Last characters that make an unknown two-character name a place rather than a person.
_PLACE_ENDINGS = frozenset("州南北东西山江河湖海岛港城庄镇村关口门界阳宁安兴川源泉沙坪")
# English forms that are not plain pinyin.
_EXONYMS = {
    "陕西": "Shaanxi",
    "内蒙古": "Inner Mongolia",
    "西藏": "Tibet",
    "香港": "Hong Kong",
    "澳门": "Macao",
    "哈尔滨": "Harbin",
    "乌鲁木齐": "Urumqi",
    "呼和浩特": "Hohhot",
    "拉萨": "Lhasa",
    "喀什": "Kashgar",
}


@dataclass(frozen=True)
class Syllable:
    """One character's readings: Hán-Việt (lower case) and pinyin with its tone number."""

    char: str
    hanviet: str  # "" when no reading is known
    pinyin: str  # "sun1"; the character itself when it is not Chinese
    source: str  # hoasen / unihan / surname / none
    others: tuple[str, ...] = ()  # the character's other Hán-Việt readings


@dataclass(frozen=True)
class Suggestion:
    """What the desk proposes for a Chinese name; the editor confirms before it is stored."""

    name: str
    kind: str  # person / place / other
    hanviet: str  # "Tôn Nghiệp Lễ", "tỉnh Phúc Kiến"
    pinyin: str  # "Sun Yeli", "Fujian Province"
    known: tuple[Term, ...] = ()  # what the termbase already has for this very name
    concept: str | None = None  # the termbase concept of the name, when known
    syllables: tuple[Syllable, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_json(self) -> dict[str, Any]:
        """The `hoasen termbase suggest --json` object."""
        return {
            "name": self.name,
            "kind": self.kind,
            "hanviet": self.hanviet,
            "pinyin": self.pinyin,
            "concept": self.concept,
            "known": [{"lang": t.lang, "text": t.text, "status": t.status} for t in self.known],
            "syllables": [
                {
                    "char": s.char,
                    "hanviet": s.hanviet,
                    "pinyin": s.pinyin,
                    "source": s.source,
                    "others": list(s.others),
                }
                for s in self.syllables
            ],
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Reading:
    default: str
    by_pinyin: Mapping[str, str]


@cache
def _readings() -> dict[str, _Reading]:
    """hoasen's hand-kept table: character -> default reading and readings by pinyin."""
    path = resources.files("hoasen") / "data" / "hanviet" / "readings.tsv"
    table: dict[str, _Reading] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        cells = line.split("\t")
        by_pinyin: dict[str, str] = {}
        if len(cells) > 2:
            for item in cells[2].split():
                key, _, value = item.partition("=")
                by_pinyin[key] = value
        table[cells[0]] = _Reading(cells[1], by_pinyin)
    return table


@cache
def _unihan() -> dict[str, tuple[str, ...]]:
    """Unihan kVietnamese: character -> readings (simplified characters via their traditional
    form, marked '<' in the file)."""
    path = resources.files("hoasen") / "data" / "unihan" / "vietnamese.tsv"
    table: dict[str, tuple[str, ...]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        char, _, readings = line.partition("\t")
        table[char] = tuple(readings.lstrip("<").split())
    return table


@cache
def _simplified() -> dict[str, str]:
    """Traditional -> simplified (the reverse of data/unihan/s2t.tsv), so that a name written in
    traditional characters (孫業禮) is read with the hand-kept table too."""
    path = resources.files("hoasen") / "data" / "unihan" / "s2t.tsv"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            simple, _, traditional = line.partition("\t")
            table.setdefault(traditional, simple)
    return table


def reading(char: str, pinyin: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """(Hán-Việt reading, source, other readings) of one character; pinyin (with tone number)
    picks among a polyphonic character's readings. ('', 'none', ()) when unknown."""
    own = _readings().get(char) or _readings().get(_simplified().get(char, ""))
    if own is not None:
        chosen = own.by_pinyin.get(pinyin or "", own.default)
        others = tuple(
            dict.fromkeys(r for r in (own.default, *own.by_pinyin.values()) if r != chosen)
        )
        return chosen, "hoasen", others
    unihan = _unihan().get(char)
    if unihan:
        return unihan[0], "unihan", unihan[1:]
    return "", "none", ()


# ---------------------------------------------------------------------------------- text helpers


def title_syllables(text: str) -> str:
    """'tôn nghiệp lễ' -> 'Tôn Nghiệp Lễ' (every syllable capitalised, NFC)."""
    words = [w[:1].upper() + w[1:] for w in text.split()]
    return unicodedata.normalize("NFC", " ".join(words))


def _plain(pinyin: str) -> str:
    """'lv4' -> 'lü', 'sun1' -> 'sun' (no tone number, ü written out)."""
    return re.sub(r"[0-9]$", "", pinyin).replace("v", "ü")


def pinyin_word(syllables: Sequence[str]) -> str:
    """Syllables joined into one capitalised word, with an apostrophe before a syllable that
    starts with a, o or e: ['xi1', 'an1'] -> "Xi'an", ['guang3', 'zhou1'] -> 'Guangzhou'."""
    out = ""
    for index, syllable in enumerate(syllables):
        plain = _plain(syllable)
        if index and plain[:1] in ("a", "o", "e"):
            out += "'"
        out += plain
    return out[:1].upper() + out[1:]


def _tones(text: str) -> list[str]:
    """pypinyin's reading of each character, tone as a number (neutral: no number)."""
    from pypinyin import Style, lazy_pinyin  # loads its dictionaries: only when suggesting

    each: Any = list  # a run of non-Chinese characters: one item per character, as zip needs
    return list(lazy_pinyin(text, style=Style.TONE3, errors=each))


def _syllables(text: str, pinyins: Sequence[str] | None = None) -> list[Syllable]:
    tones = list(pinyins) if pinyins is not None else _tones(text)
    out: list[Syllable] = []
    for char, tone in zip(text, tones, strict=False):
        if not _HAN.match(char):
            out.append(Syllable(char, char, char, "none"))
            continue
        hv, source, others = reading(char, tone)
        out.append(Syllable(char, hv, tone, source, others))
    return out


def _hanviet(syllables: Sequence[Syllable]) -> str:
    return title_syllables(" ".join(s.hanviet or s.char for s in syllables))


# ---------------------------------------------------------------------------------- suggest


def suggest(name: str, kind: str | None = None, lookup: Lookup | None = None) -> Suggestion:
    """Hán-Việt and pinyin for a Chinese name.

    `kind` is person, place or other; None guesses (an administrative suffix or a known place
    -> place; a surname followed by one or two characters -> person; else place for two
    characters ending like a place name, other otherwise). `lookup` gives the names the
    termbase knows for a Chinese string ({'vi': 'Quảng Tây', 'en': 'Guangxi'}).
    """
    given = unicodedata.normalize("NFC", (name or "").strip())
    known = lookup(given) if lookup else None
    # Traditional characters are read through their simplified forms (孫業禮 = 孙业礼).
    name = "".join(_simplified().get(c, c) for c in given)
    if known is None and lookup and name != given:
        known = lookup(name)
    unit = _unit_of(name)
    if kind is None:
        kind = _guess_kind(name, unit is not None, known)
    if kind == "place" and unit is not None:
        return replace(_place_with_unit(name, unit, lookup), name=given)
    suggestion = _person(name) if kind == "person" else _plain_name(name, kind)
    if known:
        suggestion = Suggestion(
            given,
            suggestion.kind,
            known.get("vi") or suggestion.hanviet,
            known.get("en") or suggestion.pinyin,
            syllables=suggestion.syllables,
            notes=suggestion.notes,
        )
    return replace(suggestion, name=given)


def _guess_kind(name: str, has_unit: bool, known: Mapping[str, str] | None) -> str:
    if has_unit:
        return "place"
    if known and known.get("type") in ("PER", "LOC"):
        return "person" if known["type"] == "PER" else "place"
    han = [c for c in name if _HAN.match(c)]
    if len(han) != len(name) or not han:
        return "other"
    if any(name.startswith(s) for s in _SURNAME_READINGS if len(s) == 2) and len(han) in (3, 4):
        return "person"
    if name[0] in _SURNAMES and len(han) in (2, 3):
        if len(han) == 2 and name[-1] in _PLACE_ENDINGS:
            return "place"
        if len(han) == 3 and name[-1] in "州省市县区镇村庄山江河湖岛港城关":
            return "place"
        return "person"
    return "place" if len(han) <= 3 or name[-1] in _PLACE_ENDINGS else "other"


def _notes(syllables: Sequence[Syllable]) -> tuple[str, ...]:
    notes: list[str] = []
    for s in syllables:
        if s.source == "unihan":
            notes.append(
                f"{s.char}: '{s.hanviet}' is Unihan's reading (may be a Nôm reading); check it"
            )
        elif s.source == "none" and _HAN.match(s.char):
            notes.append(f"{s.char}: no Hán-Việt reading known")
        if s.others and s.source == "hoasen":
            notes.append(f"{s.char}: read '{s.hanviet}' here; also {', '.join(s.others)}")
    return tuple(notes)


def _person(name: str) -> Suggestion:
    """Surname, then given name: 'Tôn Nghiệp Lễ' / 'Sun Yeli'."""
    surname = next(
        (s for s in sorted(_SURNAME_READINGS, key=len, reverse=True) if name.startswith(s)),
        name[:1],
    )
    given = name[len(surname) :]
    tones = _tones(name)
    special = _SURNAME_READINGS.get(surname)
    surname_tones = list(special[0]) if special else tones[: len(surname)]
    syllables = _syllables(surname, surname_tones) + _syllables(given, tones[len(surname) :])
    if special and special[1]:
        surname_vi = special[1]
        syllables[: len(surname)] = [
            Syllable(s.char, w.lower(), s.pinyin, "surname", s.others)
            for s, w in zip(syllables[: len(surname)], special[1].split(), strict=False)
        ]
    else:
        surname_vi = _hanviet(syllables[: len(surname)])
    given_vi = _hanviet(syllables[len(surname) :])
    hanviet = f"{surname_vi} {given_vi}".strip()
    pinyin = pinyin_word(surname_tones)
    if given:
        pinyin += " " + pinyin_word(tones[len(surname) :])
    return Suggestion(
        name, "person", hanviet, pinyin, syllables=tuple(syllables), notes=_notes(syllables)
    )


def _plain_name(name: str, kind: str) -> Suggestion:
    """A place without a unit ('Phúc Kiến' / 'Fujian'), or any other string (syllables
    title-cased; pinyin by word)."""
    syllables = _syllables(name)
    if kind == "place":
        pinyin = _EXONYMS.get(name) or pinyin_word([s.pinyin for s in syllables])
    else:
        pinyin = _words_pinyin(name)
    return Suggestion(
        name, kind, _hanviet(syllables), pinyin, syllables=tuple(syllables), notes=_notes(syllables)
    )


def _words_pinyin(text: str) -> str:
    """Pinyin word by word (jieba's segmentation): '广西人民政府' -> 'Guangxi Renmin Zhengfu'."""
    out = []
    for word in _jieba().lcut(text, HMM=False):
        if not word.strip():
            continue
        if not _HAN.match(word[0]):
            out.append(word)
            continue
        out += [pinyin_word(_tones(part)) for part in _short_words(word)]
    return " ".join(out)


def _short_words(word: str) -> list[str]:
    """A long dictionary word ('广西壮族自治区外事办公室') as its most likely parts of at most
    three characters (jieba's word counts; fewer, commoner parts win)."""
    if len(word) <= 3:
        return [word]
    freq = _jieba().FREQ
    best: list[tuple[float, list[str]]] = [(0.0, [])]
    for end in range(1, len(word) + 1):
        options = []
        for size in range(1, min(3, end) + 1):
            part = word[end - size : end]
            count = freq.get(part, 0)
            if size > 1 and not count:
                continue
            gain = math.log(count + 1) - 12.0 if size > 1 else -14.0
            options.append((best[end - size][0] + gain, [*best[end - size][1], part]))
        best.append(max(options, key=lambda o: o[0]))
    return best[-1][1]


@cache
def _jieba() -> Any:
    """jieba's tokenizer, loaded once and quietly (only 'other' strings need it)."""
    from hoasen.analyze.segment import new_jieba_tokenizer

    return new_jieba_tokenizer()


def _unit_of(name: str) -> tuple[str, _Unit] | None:
    """The administrative suffix a name ends with, when it has a core before it."""
    for suffix, unit in _UNITS:
        if name.endswith(suffix) and len(name) > len(suffix):
            core = name[: -len(suffix)]
            # 广州 is a name, not 广 + 州; a one-character core is too short to be a name with
            # a unit unless the unit is long (自治区...).
            if len(core) >= 2 or len(suffix) >= 2:
                return suffix, unit
    return None


def _split_ethnic(core: str) -> tuple[str, list[str]]:
    """'广西壮族' -> ('广西', ['壮']); '湘西土家族苗族' -> ('湘西', ['土家', '苗'])."""
    groups: list[str] = []
    rest = core
    while True:
        found = None
        for ethnic in sorted(_ETHNIC, key=len, reverse=True):
            if rest.endswith(ethnic + "族") and len(rest) > len(ethnic) + 1:
                found = (ethnic, len(ethnic) + 1)
                break
            if ethnic in _BARE_ETHNIC and rest.endswith(ethnic) and len(rest) > len(ethnic):
                found = (ethnic, len(ethnic))
                break
        if found is None:
            break
        groups.insert(0, found[0])
        rest = rest[: -found[1]]
    return rest, groups


def _place_with_unit(name: str, unit_info: tuple[str, _Unit], lookup: Lookup | None) -> Suggestion:
    suffix, unit = unit_info
    core = name[: -len(suffix)]
    groups: list[str] = []
    if unit.ethnic:
        core, groups = _split_ethnic(core)
    inner = _plain_name(core, "place")
    known = lookup(core) if lookup else None
    core_vi = (known or {}).get("vi") or inner.hanviet
    core_en = (known or {}).get("en") or inner.pinyin
    ethnic_vi = " và ".join(f"dân tộc {_ETHNIC[g][0]}" for g in groups)
    if groups == ["各"]:
        ethnic_vi = "các dân tộc"
    ethnic_en = " and ".join(_ETHNIC[g][1] for g in groups)
    vi_name = f"{ethnic_vi} {core_vi}".strip() if ethnic_vi else core_vi
    en_name = f"{core_en} {ethnic_en}".strip() if ethnic_en else core_en
    hanviet = unit.vi.format(vi_name)
    pinyin = unit.en.format(en_name)
    unit_syllables = _syllables(suffix)
    syllables = inner.syllables + tuple(unit_syllables)
    return Suggestion(name, "place", hanviet, pinyin, syllables=syllables, notes=inner.notes)


__all__ = [
    "Lookup",
    "Suggestion",
    "Syllable",
    "pinyin_word",
    "reading",
    "suggest",
    "title_syllables",
]
