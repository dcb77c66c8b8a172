"""Numbers in a sentence, read by each language's conventions, so a translation can be checked
against its source: 366万 = 3.66 million = 3,66 triệu = 3.660.000, 48.362 tỷ = 48,362 billion.

Every number becomes a set of candidate values (absolute, scale applied), because separators
and abbreviations can be read more than one way ("1.500" is 1500 in Vietnamese, 1.5 in
English; "5m" is five million or five metres). Two numbers agree when their sets meet.

A number is *hard* when a translation must carry it: digits with or without a scale word,
percentages, years, dates. It is *soft* when a faithful translation may write it another way
or leave it out: small numbers written as words ("three", "ba", "三", "세 명"), ordinal words,
month and weekday names, digits inside identifiers (G20, COVID-19). Soft numbers are never
required, but they count as the other side's counterpart of a hard one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from hoasen.translate.types import base_lang

#: Languages that write 3,66 for 3.66 and 48.362 for 48362.
DECIMAL_COMMA = frozenset(
    (
        *("vi", "id", "ms", "de", "es", "fr", "it", "pt", "ru", "nl", "tr", "da", "nb", "no"),
        *("nn", "fi", "cs", "sk", "ro", "hu", "uk", "el", "bg", "hr", "sl", "sv", "pl"),
    )
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％：／", "0123456789.,%:/")
_MASK = re.compile(
    r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"  # URLs and e-mail addresses
    r"|\{\{?[\w.:-]*\}\}?|%\d*\$?[sd]|\$\{\w+\}|⟦[^⟧]*⟧|\[\[[^\]]*\]\]"  # placeholders
    r"|<[^<>\n]{1,200}>"  # markup
)
_LATIN = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

# ------------------------------------------------------------------------ word lists
_EN_UNITS = [
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_EN_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_EN_ORD = [
    "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
    "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
    "seventeenth", "eighteenth", "nineteenth",
]  # fmt: skip
_EN_WORDS: dict[str, int] = {
    **{w: i for i, w in enumerate(_EN_UNITS, 1)},
    **{w: 10 * i for i, w in enumerate(_EN_TENS, 2)},
    **{w: i for i, w in enumerate(_EN_ORD, 1)},
    **{w[:-1] + "ieth": 10 * i for i, w in enumerate(_EN_TENS, 2)},
    "hundred": 100,
    "dozen": 12,
    "twice": 2,
}
_MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
]  # fmt: skip
_MONTHS = {
    **{m: i for i, m in enumerate(_MONTH_NAMES, 1)},
    **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)},
    "Sept": 9,
}
_VI_WORDS = {
    "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "nhăm": 5, "sáu": 6,
    "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9, "mười": 10, "mươi": 10, "nhất": 1, "linh": 0,
    "lẻ": 0, "chục": 10, "trăm": 100, "giêng": 1, "chạp": 12,
}  # fmt: skip
#: Vietnamese number words that are more often other words: năm (year), ba (father), một (a).
_VI_AMBIGUOUS = frozenset(["một", "ba", "tư", "năm", "lăm", "nhăm", "linh", "lẻ", "chục", "trăm"])
_VI_SCALES = {
    "nghìn tỷ": 10**12, "ngàn tỷ": 10**12, "nghìn tỉ": 10**12, "ngàn tỉ": 10**12,
    "nghìn": 10**3, "ngàn": 10**3, "triệu": 10**6, "tỷ": 10**9, "tỉ": 10**9, "vạn": 10**4,
}  # fmt: skip
_EN_SCALES = {
    "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "mn": 10**6,
    "mln": 10**6, "bn": 10**9, "bln": 10**9, "tn": 10**12, "trn": 10**12,
}  # fmt: skip
#: Scale words of the other languages hoasen detects (Indonesian, Malay, French, German,
#: Spanish, Russian, Thai): "2,8 miliar" = "2.8 billion".
_OTHER_SCALES = {
    "ribu": 3, "juta": 6, "miliar": 9, "milyar": 9, "triliun": 12, "bilion": 9, "trilion": 12,
    "mille": 3, "millions": 6, "milliard": 9, "milliards": 9, "tausend": 3, "millionen": 6,
    "mio": 6, "milliarde": 9, "milliarden": 9, "mrd": 9, "mil millones": 9, "millón": 6,
    "millones": 6, "тыс": 3, "тысяч": 3, "тысячи": 3, "млн": 6, "миллион": 6, "миллиона": 6,
    "миллионов": 6, "млрд": 9, "миллиард": 9, "миллиарда": 9, "миллиардов": 9, "พัน": 3,
    "หมื่น": 4, "แสน": 5, "ล้าน": 6,
}  # fmt: skip
_KO_NATIVE = {
    "한": 1, "하나": 1, "첫": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "석": 3, "네": 4, "넷": 4,
    "넉": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10, "스무": 20,
    "스물": 20, "서른": 30, "마흔": 40, "쉰": 50,
}  # fmt: skip
_KO_COUNTERS = (
    "명|개국|개|번째|번|살|가지|곳|시간|달|차례|대|마리|권|채|척|건|쌍|배|군데|주|해|잔|병|장|"
    "벌|편|통|사람|팀|분|개월|골|점|표|경기|회|차례|그루|층|세트|라운드"
)
_KJ_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5}
_KJ_DIGIT.update({"六": 6, "七": 7, "八": 8, "九": 9})
_KJ_SMALL = {"十": 10, "百": 100, "千": 1000}
_KJ_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "兆": 10**12}
_CJK_SCALE = {"十": 10, "百": 100, "千": 1000, **_KJ_BIG, "만": 10**4, "억": 10**8, "조": 10**12}
_CJK_SCALE.update({"십": 10, "백": 100, "천": 1000})
_KJ_IDIOMS = frozenset(
    ["万一", "萬一", "一一", "千万", "千萬", "百万", "百萬", "十分", "万万", "萬萬", "一二", "三三"]
)
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _words_pattern(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


# ------------------------------------------------------------------------ patterns
_ARABIC = r"(?P<ar>\d+(?:[.,\u00a0\u202f\u2009']\d+)*)"
_DIGITS = r"\d+(?:[.,]\d+)*"
_UNITS = "十百千万萬亿億兆십백천만억조"
#: 366万, 1億2,500万, 1억 4천 2백만, 37만 5,000: digits with CJK place units, read as one number.
_CJK_NUM = (
    rf"(?P<cj>{_DIGITS}[^\S\n]?(?:万亿|[十百千]?[万萬亿億兆]|千(?![米克瓦])|[십백천]?[만억조]|천)"
    rf"(?:[^\S\n]?{_DIGITS}(?:[^\S\n]?[{_UNITS}]+)?)*)"
)
_CJK_PIECE = re.compile(rf"({_DIGITS})\s?([{_UNITS}]*)")
_KANJI = "(?P<kj>[〇零一二两兩三四五六七八九十百千万萬亿億兆]+)"
_EN_UNIT = _words_pattern(_EN_UNITS)
_EN_TEN = _words_pattern(_EN_TENS)
_EN_TWO = rf"(?:(?:{_EN_TEN})(?:[\s-](?:{_words_pattern(_EN_UNITS[:9])}))?|{_EN_UNIT})"
_EN_ORDS = _words_pattern([*_EN_ORD, *(w[:-1] + "ieth" for w in _EN_TENS)])
_EN = (
    rf"(?P<en>\b(?i:(?:a|an|{_EN_UNIT})[\s-]+hundred(?:[\s-]+(?:and[\s-]+)?{_EN_TWO})?"
    rf"|(?:a\s+)?dozen|(?:{_EN_TEN})[\s-](?:{_EN_ORDS})|{_EN_ORDS}|{_EN_TWO}|twice)\b)"
)
#: English words that stand for a number without being one: "a week" = 1週間, "a decade" = 10年.
_EN_IMPLICIT = {
    **dict.fromkeys(["a", "an", "single", "once", "hour", "past"], 1),
    **dict.fromkeys(["double", "doubled", "doubling", "both", "pair", "couple", "twin"], 2),
    **dict.fromkeys(["triple", "tripled", "tripling", "thrice"], 3),
    **dict.fromkeys(["decade", "decades", "teen", "teens", "teenage", "teenager", "teenagers"], 10),
    **dict.fromkeys(["century", "centuries"], 100),
    "quarter": 15,
    "half": 30,
}
_IMPLICIT = {
    "en": _EN_IMPLICIT,
    "vi": {"thập kỷ": 10, "thập niên": 10, "thế kỷ": 100, "nửa": 30, "đôi": 2, "rưỡi": 30},
    "zh": {"半": 30, "翻番": 2, "翻倍": 2, "双": 2, "世纪": 100, "年代": 10},
    "ja": {"半": 30, "倍増": 2, "世紀": 100, "年代": 10},
    "ko": {"세기": 100},
}
_HALVES = {30: Decimal("0.5"), 15: Decimal("0.25")}  # half = 0.5 or 30 minutes
_MONTH = rf"(?P<mo>\b(?:{_words_pattern(_MONTHS)})\b\.?)"
_VI = (
    rf"(?P<vi>(?<![{_LATIN}])(?:{_words_pattern(_VI_WORDS)})"
    rf"(?:\s+(?:{_words_pattern(_VI_WORDS)}))*(?![{_LATIN}]))"
)
_KO = (
    rf"(?P<ko>(?<![가-힣])(?:{_words_pattern(_KO_NATIVE)})(?:\s?(?:{_words_pattern(_KO_NATIVE)}))*"
    rf"(?=\s?(?:{_KO_COUNTERS})))"
)
_ROMAN_RE = r"(?P<ro>\b(?-i:[IVXLCDM]{2,7})\b)"
_HALF = r"(?P<half>(?<=[点點時时])半|(?<=시)\s?반(?![가-힣])|(?<=giờ )rưỡi)"


@lru_cache(maxsize=32)
def _scanner(lang: str) -> re.Pattern[str]:
    """One pattern finding every kind of number a text in `lang` may hold."""
    parts = [_CJK_NUM, _ARABIC, _KANJI, _HALF]
    if lang == "vi":
        parts += [_VI, _ROMAN_RE]
    elif lang == "ko":
        parts.append(_KO)
    elif lang not in ("zh", "ja"):
        parts += [_MONTH, _ROMAN_RE, _EN]
    implicit = _IMPLICIT.get(lang, _EN_IMPLICIT)
    if lang in ("zh", "ja", "ko"):
        parts.append(f"(?P<im>{_words_pattern(implicit)})")
    else:
        parts.append(rf"(?P<im>(?<![{_LATIN}])(?i:{_words_pattern(implicit)})(?![{_LATIN}]))")
    return re.compile("|".join(parts), re.IGNORECASE if lang == "vi" else 0)


_SCALE_AFTER = re.compile(
    rf"(?P<sp>[^\S\n]?)(?:(?P<w>{_words_pattern([*_EN_SCALES, *_VI_SCALES, *_OTHER_SCALES])})"
    rf"(?![{_LATIN}\u0400-\u04ff])"
    r"|(?P<cjk>万亿|[十百千]?[万萬亿億兆]|千(?![米克瓦])|[십백천]?[만억조]|천))",
    re.IGNORECASE,
)
_GLUED_SCALE = re.compile(rf"(?P<g>[mkb])(?![{_LATIN}0-9])", re.IGNORECASE)
_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_DECADE = re.compile(r"['’]?s\b")
_UNIT_GLUE = re.compile(
    r"(?:km|kg|cm|mm|mph|kph|ft|in|lb|lbs|oz|mi|mw|gw|kw|kwh|gb|mb|tb|ml|h|hr|hrs|min|s|sec|"
    r"x|am|pm|g|l|t|m2|km2|m3|°c|°f|c|f)\b",
    re.IGNORECASE,
)
_PM_AFTER = re.compile(
    r"(?:[:.h]\d{2})?\s?(?:p\.\s?m\.|pm\b|giờ\s+(?:chiều|tối|đêm)|h\s+(?:chiều|tối))",
    re.IGNORECASE,
)
_PM_BEFORE = re.compile(
    r"(?:下午|晚上|傍晚|午後|夜|오후|저녁|chiều|tối)\s?(?:约|約|大约|大約|약)?\s?$"
)
_TIME_AFTER = re.compile(r"[:h](?=\d{2}(?!\d))")
_BEFORE_SOFT = re.compile(r"(?:第|周|星期|礼拜)\s?$")
_VI_WEEKDAY = re.compile(r"thứ\s?$", re.IGNORECASE)
_DOT_TIME = re.compile(
    r"(?<![\d.,])(\d{1,2})\.(\d{2})(?=\s?(?:[ap]\.?\s?m\b|[ap]\.m\.|giờ|h\b|sáng|chiều|tối|trưa|"
    r"[時点시]))"
    r"|(?:(?<=오후)|(?<=오전)|(?<=午後)|(?<=午前)|(?<=下午)|(?<=上午)|(?<=pukul)|(?<=jam))"
    r"(\s?\d{1,2})\.(\d{2})(?!\d)",
    re.IGNORECASE,
)
_NUMBER_ONE = re.compile(r"\b(?:No|no|Number|number)\.?\s?$")
_CONVERSION = re.compile(
    r"\d[^\W\d]*\s?[^\W\d]+\.?\s?[(（]\s?(?:about|around|roughly|approximately|some|nearly|khoảng|约)?\s?$"
)
_COUNTED = re.compile(
    r"\s+(?:year|month|week|day|hour|minute|decade|century|mile|kilometre|kilometer|metre|meter|"
    r"foot|pound|dozen)\b",
    re.IGNORECASE,
)
_CENTURY = re.compile(r"\s?世纪\s?\d{1,2}\s?年代")
_RANK = re.compile(r"\s?[위位]")
_DAY_ONLY = re.compile(r"\s?[일日号號](?![本曜間])")
_MONTH_BEFORE = re.compile(r"[월月]\s?$")
_CERTAIN = re.compile(
    r"100\s?(?:per\s?cent|percent|%)\s+(?:certain|sure|confident|committed|correct|right|behind|"
    r"true|honest|clear|convinced|wrong)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Number:
    """One number in a text: its candidate values and whether a translation must carry it."""

    text: str
    values: frozenset[Decimal]
    start: int
    end: int
    hard: bool
    #: digits (366, 366万), word (three, ba, 세), kanji (三百), implicit (a, decade, 半),
    #: month, roman, half (4点半)
    kind: str
    also: frozenset[Decimal] = frozenset()  # values it accounts for without matching them

    @property
    def digits(self) -> bool:
        """Written with Arabic digits (what a changed digit alters)."""
        return self.kind == "digits"

    @property
    def shown(self) -> str:
        """How a message names the number: its text as written."""
        return self.text.strip()


def _interpret(s: str, comma: bool = False) -> set[Decimal]:
    """Candidate values of '48.362', '3,66', '1,234,567.5'. One separator before exactly three
    digits is read by the text's convention (`comma`: Vietnamese and others write 3,66 and
    48.362) - and in a decimal-comma text "1,500" may also be English copied as written."""
    groups = re.split(r"[.,\u00a0\u202f\u2009']", s)
    seps = [c for c in s if not c.isdigit()]
    if not seps:
        return {Decimal(s)}
    if len(set(seps)) > 1:  # 1,234.5 or 1.234,5: the last separator is the decimal point
        if any(len(g) != 3 for g in groups[1:-1]):
            return {Decimal(g) for g in groups if g}
        return {Decimal("".join(groups[:-1]) + "." + groups[-1])}
    if len(seps) > 1:  # 1.234.567: groups of three, else a list or a version number
        if all(len(g) == 3 for g in groups[1:]):
            return {Decimal("".join(groups))}
        return {Decimal(g) for g in groups if g}
    head, tail = groups
    if seps[0] in "'\u00a0\u202f\u2009":
        return {Decimal(head + tail)} if len(tail) == 3 else {Decimal(head), Decimal(tail)}
    decimal = Decimal(head + "." + tail)
    if len(tail) != 3 or head == "0":
        return {decimal}
    if seps[0] == ".":
        return {Decimal(head + tail)} if comma else {decimal}
    return {Decimal(head + tail), decimal} if comma else {Decimal(head + tail)}


def parse_kanji(s: str) -> Decimal | None:
    """三百六十六 -> 366, 一千八百万 -> 18000000, 二〇一九 -> 2019, 两 -> 2; None if unreadable."""
    if all(ch in _KJ_DIGIT for ch in s):
        return Decimal("".join(str(_KJ_DIGIT[ch]) for ch in s))
    total = section = num = 0
    for ch in s:
        if ch in _KJ_DIGIT:
            num = num * 10 + _KJ_DIGIT[ch] if num and ch in "〇零" else _KJ_DIGIT[ch]
        elif ch in _KJ_SMALL:
            section += (num or 1) * _KJ_SMALL[ch]
            num = 0
        elif ch in _KJ_BIG:
            big = _KJ_BIG[ch]
            if total and total < big:
                total = (total + section + num) * big
            else:
                total += (section + num or 1) * big
            section = num = 0
        else:
            return None
    return Decimal(total + section + num)


def _parse_words(words: list[str], table: dict[str, int]) -> Decimal | None:
    """'twenty-five' -> 25, 'hai mươi lăm' -> 25, 'a hundred' -> 100, 'một trăm' -> 100."""
    current = 0
    seen = False
    for w in words:
        if w in ("a", "an", "and"):
            continue
        value = table.get(w)
        if value is None:
            return None
        seen = True
        if w in ("hundred", "trăm"):
            current = (current or 1) * 100
        elif w in ("mươi", "chục"):
            current = (current or 1) * 10
        elif w == "dozen":
            current = (current or 1) * 12
        else:
            current += value
    return Decimal(current) if seen else None


def _roman(s: str) -> int | None:
    values = [_ROMAN[c] for c in s]
    total = sum(
        -v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values)
    )
    return total if 0 < total < 4000 else None


def _scale_at(text: str, pos: int, lang: str) -> tuple[int, int] | None:
    """(multiplier, end) of a scale word right after a number, or None."""
    m = _SCALE_AFTER.match(text, pos)
    if m is None:
        return None
    if m.group("w"):
        word = m.group("w").lower()
        if word in _OTHER_SCALES:
            return 10 ** _OTHER_SCALES[word], m.end()
        return _EN_SCALES.get(word) or _VI_SCALES[word], m.end()
    cjk = m.group("cjk")
    if m.group("sp") and cjk[-1] in "만억조천십백":
        return None  # Korean writes 3만 glued; "10년 만에" is not a scale
    mult = 1
    for ch in cjk:
        mult *= _CJK_SCALE[ch]
    return mult, m.end()


def extract_numbers(text: str, lang: str) -> list[Number]:
    """Every number in `text` (written in `lang`), in order."""
    lang = base_lang(lang)
    text = _DOT_TIME.sub(_colon, text.translate(_FULLWIDTH))  # 7.55am is a time
    if _MASK.search(text):
        text = _MASK.sub(lambda m: " " * len(m.group()), text)
    out: list[Number] = []
    taken = 0
    for m in _scanner(lang).finditer(text):
        if m.start() < taken:
            continue
        kind = m.lastgroup or ""
        found = _read(text, m, kind, lang)
        if found is None:
            continue
        out.append(found)
        taken = found.end
    return out


def _colon(m: re.Match[str]) -> str:
    """7.55 -> 7:55 (same length), for a time written with a dot."""
    return m.group().replace(".", ":")


def _read(text: str, m: re.Match[str], kind: str, lang: str) -> Number | None:
    """The Number that starts at match `m` of the given kind, or None."""
    start, end, raw = m.start(), m.end(), m.group()
    if kind == "ar":
        return _read_arabic(text, m, lang)
    if kind == "cj":
        cj = _read_cjk(raw, lang in DECIMAL_COMMA)
        return Number(raw, frozenset(cj), start, end, True, "digits") if cj else None
    if kind == "kj":
        if raw in _KJ_IDIOMS or len(raw) > 12:
            return None
        value = parse_kanji(raw)
        if value is None:
            return None
        digit = any(ch in _KJ_DIGIT for ch in raw)
        unit = any(ch in "十百千万萬亿億兆" for ch in raw)
        vague = re.search("[一二两三四五六七八九]{2}", raw) and unit
        ordinal = _BEFORE_SOFT.search(text, max(0, start - 3), start) is not None
        hard = digit and unit and len(raw) >= 2 and not vague and not ordinal
        return Number(raw, frozenset({value}), start, end, bool(hard), "kanji")
    if kind == "im":
        table = _IMPLICIT.get(lang, _EN_IMPLICIT)
        value_i = table.get(raw) or table.get(raw.lower(), 0)
        scale = _scale_at(text, end, lang) if raw.lower() in ("a", "an") else None
        if scale is not None:  # a million
            million = frozenset({Decimal(scale[0])})
            return Number(text[start : scale[1]], million, start, scale[1], True, "word")
        values_i = {Decimal(value_i), *([_HALVES[value_i]] if value_i in _HALVES else [])}
        counted = value_i == 1 and _COUNTED.match(text, end) is not None
        if raw.lower() == "past":  # the past year = 1年; "in the past" is no number
            kind = "implicit" if counted else ""
        else:  # "a year" is a count (1年), a bare "a" only a possible 1
            kind = "word" if counted and raw.lower() in ("a", "an") else "implicit"
        return Number(raw, frozenset(values_i), start, end, False, kind) if kind else None
    if kind == "half":  # 4点半, 4시 반, 4 giờ rưỡi: half past
        return Number(raw, frozenset({Decimal(30)}), start, end, False, "half")
    if kind == "mo":
        month = _MONTHS[raw.rstrip(".")]
        return Number(raw, frozenset({Decimal(month)}), start, end, False, "month")
    if kind == "ro":
        value_r = _roman(raw)
        if value_r is None:
            return None
        return Number(raw, frozenset({Decimal(value_r)}), start, end, False, "roman")
    if kind in ("en", "vi"):
        words = [w for w in re.split(r"[\s-]+", raw.lower()) if w]
        table = _EN_WORDS if kind == "en" else _VI_WORDS
        value = _parse_words(words, table)
        if value is None:
            return None
        scale = _scale_at(text, end, lang)
        if scale is not None:
            scaled = frozenset({value * scale[0]})
            return Number(text[start : scale[1]], scaled, start, scale[1], True, "word")
        ordinal = words[-1] in _EN_ORD or words[-1].endswith("ieth") or words[-1] == "nhất"
        vague = len(words) == 1 and words[0] in _VI_AMBIGUOUS  # năm = year, ba = father
        kind = "ordinal" if ordinal else "implicit" if vague else "word"
        return Number(raw, frozenset({value}), start, end, False, kind)
    if kind == "ko":
        value = Decimal(
            sum(_KO_NATIVE.get(p, 0) for p in re.findall(_words_pattern(_KO_NATIVE), raw))
        )
        return Number(raw, frozenset({value}), start, end, False, "word")
    return None


def _read_cjk(raw: str, comma: bool) -> set[Decimal]:
    """Values of 366万, 1억 4천 2백만 (= 142000000), 37만 5,000: place units as in 三百六十六万."""
    totals: set[Decimal] = {Decimal(0)}
    sections: set[Decimal] = {Decimal(0)}
    for piece in _CJK_PIECE.finditer(raw):
        nums = _interpret(piece.group(1), comma)
        small, big = 1, 1
        for ch in piece.group(2):
            mult = _CJK_SCALE[ch]
            if mult >= 10**4:
                big *= mult
            else:
                small *= mult
        sections = {s + n * small for s in sections for n in nums}
        if big > 1:
            totals = {t + s * big for t in totals for s in sections}
            sections = {Decimal(0)}
        if len(totals) * len(sections) > 16:
            break
    return {t + s for t in totals for s in sections}


def _read_arabic(text: str, m: re.Match[str], lang: str) -> Number | None:
    """Digits with what follows them: scale words, %, ordinal and decade endings, p.m."""
    start, end, raw = m.start(), m.end(), m.group()
    raw = raw.rstrip(".,'")
    end = start + len(raw)
    if len(raw) > 30:
        return None
    before = text[start - 1] if start else ""
    hard = True
    if before and ((before.isalpha() and before.isascii()) or before == "_"):
        hard = False  # G20, MH17, A4: part of an identifier
    elif before == "-" and start >= 2 and text[start - 2].isalpha() and text[start - 2].isascii():
        hard = False  # COVID-19, F-16
    if lang == "vi" and len(raw) == 1 and _VI_WEEKDAY.search(text, max(0, start - 5), start):
        hard = False  # thứ 2 ... thứ 7: a weekday (or an ordinal, written "second" elsewhere)
    if raw == "100" and _CERTAIN.match(text, start):
        hard = False  # "100 percent certain": a manner of speaking
    elif raw == "1" and _NUMBER_ONE.search(text, max(0, start - 8), start):
        hard = False  # No.1: often "the leader", "top"
    elif _CONVERSION.search(text, max(0, start - 24), start):
        hard = False  # 300 km (180 miles): a conversion a translation may drop
    elif _CENTURY.match(text, end):
        hard = False  # 20 世纪 30 年代: the century of "the 1930s"
    elif raw == "1" and _RANK.match(text, end):
        hard = False  # 1위, 1位: "topping", "the leader"
    elif (
        len(raw) <= 2
        and _DAY_ONLY.match(text, end)
        and not _MONTH_BEFORE.search(text, max(0, start - 3), start)
    ):
        hard = False  # 3일, 25日 with no month: the weekday in English news ("on Thursday")
    values = _interpret(raw, lang in DECIMAL_COMMA)
    extra: set[Decimal] = set()
    also: set[Decimal] = set()
    if _TIME_AFTER.match(text, end) and len(raw) <= 2:
        hour = Decimal(raw)
        values = {hour}
        if _PM_AFTER.match(text, end) or _PM_BEFORE.search(text, max(0, start - 8), start):
            extra.add(hour + 12)
        return Number(raw, frozenset(values | extra), start, end, hard, "digits")
    scale = _scale_at(text, end, lang)
    if scale is not None:
        mult, end = scale
        values = {v * mult for v in values}
        return Number(text[start:end], frozenset(values), start, end, hard, "digits")
    tail = text[end : end + 6]
    if (g := _GLUED_SCALE.match(text, end)) is not None:
        mult = {"m": 10**6, "k": 10**3, "b": 10**9}[g.group("g").lower()]
        values = values | {v * mult for v in values}
        end = g.end()
    elif (o := _ORDINAL.match(text, end)) is not None:
        end = o.end()
    elif (d := _DECADE.match(text, end)) is not None and raw.isdigit() and raw.endswith("0"):
        decade = Decimal(raw)
        if len(raw) == 4 and raw[:2] in ("19", "20"):  # 1930s = 30年代 = 20 世纪 30 年代
            extra.add(decade % 100)
            also.add(Decimal(int(raw[:2]) + 1))
        elif len(raw) == 2:  # '90s = 1990s
            extra |= {decade + 1900, decade + 2000}
        end = d.end()
    elif tail[:1].isalpha() and tail[:1].isascii() and not _UNIT_GLUE.match(text, end):
        hard = False  # 5G, 3D: a name, not a quantity
    if before and before in "'’" and len(raw) == 2 and raw.isdigit():
        extra |= {Decimal(raw) + 1900, Decimal(raw) + 2000}  # '19 = 2019
    if _PM_AFTER.match(text, end) or _PM_BEFORE.search(text, max(0, start - 8), start):
        extra |= {v + 12 for v in values if v <= 12}
    year = re.search(r"(1[89]|20)\d\d[-–/]$", text[max(0, start - 5) : start])
    if year and len(raw) == 2:  # the 20 of 2019-20
        extra.add(Decimal(year.group(1) + raw))
    if all(v == 0 for v in values):
        hard = False  # 4:00, 0-0: a zero is rarely what a translation gets wrong
    kind = "digits"
    return Number(
        text[start:end], frozenset(values | extra), start, end, hard, kind, frozenset(also)
    )


# ------------------------------------------------------------------------ comparison


@dataclass(frozen=True)
class NumberIssue:
    """One disagreement: a source number missing or changed, a target number not in the source,
    or a rounding."""

    kind: str  # missing / changed / extra / rounded
    severity: str
    source: Number | None
    target: Number | None

    def message(self) -> str:
        """The issue in plain words, naming the numbers."""
        s = f"“{self.source.shown}”" if self.source else ""
        t = f"“{self.target.shown}”" if self.target else ""
        if self.kind == "changed":
            return f"number {s} in the source appears as {t} in the target"
        if self.kind == "rounded":
            return f"number {s} in the source is rounded to {t} in the target"
        if self.kind == "missing":
            return f"number {s} in the source is missing from the target"
        return f"number {t} in the target is not in the source"


def _sig_digits(value: Decimal) -> int:
    digits = value.normalize().as_tuple().digits
    return len(digits)


def _rounds_to(source: Decimal, target: Decimal) -> bool:
    """True when `target` is `source` plainly rounded: 3.66 million -> 3.7 million, 18.43% ->
    18.4% (the source has three or more significant digits, the target fewer, at most three)."""
    if target == 0 or source == 0:
        return False
    sig = _sig_digits(target)
    if not sig < _sig_digits(source) or sig > 3 or _sig_digits(source) < 3:
        return False
    if abs(source - target) / abs(source) > Decimal("0.05"):
        return False
    exponent = int(target.normalize().as_tuple().exponent)
    try:
        return source.quantize(Decimal(1).scaleb(exponent), rounding=ROUND_HALF_UP) == target
    except InvalidOperation:
        return False


def compare_numbers(source: list[Number], target: list[Number]) -> list[NumberIssue]:
    """What a translation got wrong about the source's numbers.

    1. Each hard source number takes a target number in digits sharing a value; then soft
       source numbers in digits (G20, a conversion in brackets) take theirs.
    2. A hard number left without is an error: "changed" when a target number in digits that
       the source lacks has the same magnitude, "rounded" (a warning) when that number is the
       source's plainly rounded (3.66 -> 3.7 million), else "missing" - unless the target writes
       it as a word (ba, 三, 세) and has no number in digits left over. A missing small count
       (up to 10) or a repeat of a value already found is only info: translators write "two
       goals" as "a brace" and say a figure once.
    3. A number word of the source ("two") with no counterpart, and a target number in digits
       the source lacks, make a "changed" error too (two vans -> 1台).
    4. Any other target number in digits the source lacks is a warning, when it is not the
       small count or day of the month translators add on their own ("a year" -> 1年).
    """
    used = [False] * len(target)
    missing: list[Number] = []
    found: set[Decimal] = set()
    owner: dict[int, Number] = {}
    for want in (n for n in source if n.hard):
        hit = _find(want, target, used, digits_only=True)
        if hit < 0:
            missing.append(want)
        else:
            used[hit] = True
            owner[hit] = want
            found |= want.values & target[hit].values
    for soft in (n for n in source if not n.hard and n.digits):
        if (hit := _find(soft, target, used, digits_only=True)) >= 0:
            used[hit] = True
    pool = frozenset(v for n in source for v in n.values | n.also)
    free = [i for i, t in enumerate(target) if not used[i] and t.hard and t.digits]
    extras = [i for i in free if not (target[i].values & pool)]
    issues: list[NumberIssue] = []
    for want in missing:
        rounded = next((i for i in extras if _rounds(want, target[i])), None)
        changed = next((i for i in extras if _same_shape(want, target[i])), None)
        if rounded is None and changed is None:
            if not free and (hit := _find(want, target, used, digits_only=False)) >= 0:
                used[hit] = True
                continue
            changed = extras[0] if len(extras) == 1 and len(missing) == 1 else None
        minor = want.values & found or all(v <= 10 and v == int(v) for v in want.values)
        if rounded is None and changed is None and minor:
            # a small or repeated number gone while a digit number is left over: 4-1 -> 1-1
            spare = [i for i, t in enumerate(target) if not used[i] and t.digits]
            changed = next((i for i in spare if _same_shape(want, target[i])), None)
            if changed is None:
                changed = _take_back(want, target, used, owner)
        if rounded is not None:
            issues.append(NumberIssue("rounded", "warning", want, target[rounded]))
        elif changed is not None:
            issues.append(NumberIssue("changed", "error", want, target[changed]))
        else:
            issues.append(NumberIssue("missing", "info" if minor else "error", want, None))
        for i in (rounded, changed):
            if i is not None:
                used[i] = True
                free = [j for j in free if j != i]
                extras = [j for j in extras if j != i]
    if extras:
        for word in (n for n in source if not n.hard and n.kind == "word"):
            hit = _find(word, target, used, digits_only=False)
            if hit >= 0:
                used[hit] = True
                continue
            changed = next((i for i in extras if _same_shape(word, target[i])), None)
            if changed is not None:
                extras.remove(changed)
                issues.append(NumberIssue("changed", "error", word, target[changed]))
    issues.extend(
        NumberIssue("extra", "warning", None, target[i]) for i in extras if _significant(target[i])
    )
    return issues


def _take_back(
    want: Number, target: list[Number], used: list[bool], owner: dict[int, Number]
) -> int | None:
    """A target number in digits of `want`'s magnitude that another source number took although
    a target word would do for that one (3:35 -> 2:35 while "2배" has "doubled"); None if none."""
    for i, other in owner.items():
        if not _same_shape(want, target[i]):
            continue
        alt = next(
            (
                j
                for j, t in enumerate(target)
                if not used[j] and not t.digits and t.values & other.values
            ),
            None,
        )
        if alt is not None:
            used[alt] = True
            owner[alt] = other
            return i
    return None


def _rounds(want: Number, got: Number) -> bool:
    return any(_rounds_to(s, v) for s in want.values for v in got.values)


def _significant(number: Number) -> bool:
    """A number a translation would not add on its own: not a small count ("another" = 1,
    "trio" = 3) nor a day of the month a translator puts for "on Saturday"."""
    return any(v != v.to_integral_value() or v > 3 for v in number.values)


def _find(want: Number, target: list[Number], used: list[bool], digits_only: bool) -> int:
    for i, t in enumerate(target):
        if not used[i] and (t.digits or not digits_only) and want.values & t.values:
            return i
    return -1


def _same_shape(a: Number, b: Number) -> bool:
    """Two numbers of the same magnitude: a changed digit, not an unrelated number (a small
    number turned to zero counts: 04:00 -> 00:00)."""
    for x in a.values:
        for y in b.values:
            if x and y and Decimal("0.1") <= y / x <= Decimal(10):
                return True
            if not y and 0 < x <= 10:
                return True
    return False
