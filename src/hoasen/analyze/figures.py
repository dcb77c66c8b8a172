"""Key figures (money, counts, percentages, measures) with unit and subject, from vi/en/zh text.

Rules only (regular expressions and small word lists). Separators are read by convention:
Vietnamese (and other decimal-comma languages) write 48.362 and 18,43; English and Chinese write
48,362 and 18.43. The convention comes from the scale or unit word next to the number ("tỷ" is
Vietnamese, "billion" English, "亿" Chinese), then from the declared language, then from the text.
A lone separator before exactly three digits is ambiguous; "x,000"/"x.000" and whole counts of
people or things without a scale word are read as thousands groups.
Not figures: years, dates, times, ordinals (50th, thứ 7, 第17), document numbers (59-NQ/TW), phone
numbers, durations (10 months, 3 năm, 十个月), ages and bare numbers with neither unit nor scale.
Ranges "3-4 triệu" give one figure valued at the low end, its text covering the whole range.
Vague amounts ("hàng nghìn", "thousands of") are skipped.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_L = "A-Za-z\u00c0-\u024f\u1e00-\u1eff"  # Latin letters, Vietnamese included
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SP = r"[^\S\n]*"  # spaces on the same line


def _split(words: str) -> list[str]:
    return words.split()


def _longest_first(words: str) -> list[str]:
    return sorted(words.split(), key=len, reverse=True)


_DECIMAL_COMMA = frozenset(
    _split("vi id ms de es fr it pt ru sv pl nl tr da nb no nn fi cs sk ro hu uk el bg hr sl")
)
_HAN_CHAR = re.compile(f"[{_HAN}]")
_VI_CHAR = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")
_LATIN = re.compile(f"[{_L}]")

# kinds of unit
_CUR, _PCT, _MEAS, _COUNT, _TIME = "currency", "percent", "measure", "count", "time"
_VISITS = "visitors?"  # 人次: visitors when the context is travel, else person-times


@dataclass(frozen=True)
class Figure:
    """One quantity found in text: its value (scale applied), canonical unit, and what it counts."""

    text: str
    value: float
    unit: str | None
    scale: str | None
    subject: str | None
    start: int
    end: int

    def as_json(self) -> dict[str, object]:
        """The figure as a JSON-ready dict (offsets left out: they belong to one text version)."""
        return {k: getattr(self, k) for k in ("text", "value", "unit", "scale", "subject")}


@dataclass(frozen=True)
class _Entry:
    canonical: str | None
    kind: str
    lang: str  # "en", "vi", "zh" or "any"


# One line per (table, language, kind): "surface|surface=canonical; ...". Indented lines continue.
# Table "words" is Latin and case-insensitive, "codes" case-sensitive, "zh" Chinese.
_LEXICON = f"""
words vi currency: đồng|vnđ|đ=VND; đô la mỹ|đô-la mỹ|đô la|đô-la|đôla=USD; bảng anh=GBP;
  nhân dân tệ=CNY; yên nhật|yên=JPY; won hàn quốc=KRW
words vi percent: phần trăm=percent; điểm phần trăm=percentage points
words vi measure: độ richter=magnitude; tấn=tons; ki-lô-mét|kilômét|cây số=km; mét vuông=m2;
  héc-ta|hécta|hec-ta|héc ta=ha; ki-lô-mét vuông|cây số vuông=km2; mét=m; ki-lô-gam|kilôgam=kg;
  lần=times; mét khối|khối=m3; dặm=miles; độ c=°C; độ f=°F; độ=degrees
words vi count: lượt khách du lịch|lượt du khách|lượt khách|du khách|khách du lịch|khách=visitors;
  người xem=viewers; người theo dõi=followers; người dân|người|nhân khẩu|công dân|cư dân=people;
  tin bài|tin, bài|bài viết|bài báo|bài|tin=articles; thỏa thuận|thoả thuận|biên bản ghi nhớ|
  hiệp định=agreements; đoàn=delegations; dự án=projects; doanh nghiệp|công ty=enterprises;
  quốc gia|nước=countries
words vi time: năm|tháng|tuần|ngày|giờ|tiếng|phút|giây|tuổi|thập kỷ|thế kỷ|quý|kỳ|khóa
words en currency: us dollars|dollars|dollar=USD; euros|euro=EUR; yuan|renminbi=CNY; yen=JPY;
  vietnamese dong|dong=VND; pounds sterling=GBP; swiss francs|francs=CHF
words en percent: percent|per cent|pct=percent; percentage points|percentage point=
  percentage points
words en measure: magnitude=magnitude; tonnes|tons|tonne|ton=tons; kilometres|kilometers|
  kilometre|kilometer=km; square kilometres|square kilometers|sq km=km2; hectares|hectare=ha;
  square metres|square meters|sq m=m2; metres|meters|metre|meter=m; kilograms|kilogram|kilos=kg;
  cubic metres|cubic meters=m3; times|fold=times; miles|mile=miles; miles per hour|mph=mph;
  kph|km/h=km/h; inches|inch=inches; feet|foot=feet; pounds|pound|lbs=pounds;
  degrees|degree=degrees
words en count: tourists|tourist|visitors|visitor|tourist arrivals|arrivals|holidaymakers|
  visits=visitors; viewers=viewers; followers=followers; people|persons|person|residents|
  individuals|inhabitants|citizens=people; news articles|articles|article|news items|
  news stories|stories|posts=articles; agreements|agreement|deals|memoranda|mous=agreements;
  delegations|delegation=delegations; projects|project=projects; businesses|companies|company|
  enterprises|firms=enterprises; countries|country|nations=countries; vehicles|cars=vehicles
words en time: years|year|months|month|weeks|week|days|day|hours|hour|minutes|minute|seconds|
  decades|decade|centuries|century|years-old|year-old
codes any currency: USD|US$=USD; VND|VNĐ|₫=VND; EUR|€=EUR; GBP|£=GBP; JPY=JPY; CNY|RMB=CNY;
  KRW|₩=KRW; AUD|A$=AUD; SGD|S$=SGD; HKD|HK$=HKD; CAD|C$=CAD; THB=THB; CHF=CHF; $=USD; ¥|￥=¥
codes any percent: %|％=percent; pp=percentage points
codes any measure: km2|km²=km2; m2|m²=m2; m3|m³=m3; km=km; kg=kg; ha=ha; m=m; MW=MW; GW=GW;
  kWh=kWh; MWh=MWh; TEU|TEUs=TEU; °C=°C; °F=°F
zh zh currency: 美元|美金=USD; 欧元=EUR; 英镑=GBP; 日元=JPY; 韩元=KRW; 越南盾|越盾=VND;
  人民币|元|块=CNY; 港元|港币=HKD
zh zh percent: 个百分点|百分点=percentage points
zh zh measure: 级=magnitude; 吨=tons; 平方公里|平方千米=km2; 公里|千米=km; 公顷=ha; 平方米=m2;
  立方米=m3; 公斤|千克=kg; 米=m; 亩=mu; 倍=times; 标箱=TEU; 英里=miles; 英寸=inches;
  英尺=feet; 磅=pounds; 华氏度=°F; 摄氏度=°C; 度=degrees
zh zh count: 人次={_VISITS}; 游客|旅客|访客|名游客|位游客=visitors; 人口|人|名|位|民众|居民|
  群众=people; 观众|名观众=viewers; 粉丝|名粉丝=followers; 篇|篇文章|篇报道|条新闻|文章|
  报道=articles; 项协议|份协议|协议|备忘录=agreements; 个代表团|代表团=delegations; 辆=vehicles;
  个项目|项目=projects; 家企业|企业|家公司|公司|家=enterprises; 个国家|国家=countries
zh zh time: 年|个月|月|天|日|号|周|小时|分钟|秒|岁|点|时|世纪|届|个小时
"""


def _load_lexicon() -> dict[str, dict[str, _Entry]]:
    """Parse _LEXICON into {"words": ..., "codes": ..., "zh": ...} surface -> entry tables."""
    tables: dict[str, dict[str, _Entry]] = {"words": {}, "codes": {}, "zh": {}}
    lines: list[str] = []
    for line in _LEXICON.strip().splitlines():
        if line.startswith(" "):
            lines[-1] += line.strip() if lines[-1].endswith(("|", "=")) else " " + line.strip()
        else:
            lines.append(line)
    for line in lines:
        head, _, spec = line.partition(":")
        table, lang, kind = head.split()
        for item in spec.split(";"):
            words, _, canonical = item.strip().partition("=")
            for word in words.split("|"):
                key = word.strip().lower() if table == "words" else word.strip()
                tables[table][key] = _Entry(canonical.strip() or None, kind, lang)
    return tables


_TABLES = _load_lexicon()
_WORDS_LOWER, _CODES, _ZH = _TABLES["words"], _TABLES["codes"], _TABLES["zh"]
_ZH_CLASSIFIER = re.compile(f"{_SP}[个项条座所批件部场只辆艘架台套头匹张][{_HAN}]")


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_WORDS_RE = re.compile(f"{_SP}({_alternation(list(_WORDS_LOWER))})(?![{_L}0-9])", re.IGNORECASE)
_CODES_RE = re.compile(f"{_SP}({_alternation(list(_CODES))})(?![{_L}0-9])")
_ZH_RE = re.compile(f"{_SP}({_alternation(list(_ZH))})")

# Scale words: surface -> (multiplier, language, needs a currency next to it: $5m, £600k).
_SCALE_SPEC = (
    "en thousand=3 million=6 billion=9 trillion=12 hundred_thousand=5 hundred_million=8 "
    "hundred=2 mn=6 mln=6 bn=9 bln=9 tn=12 trn=12 en$ k=3 m=6 b=9 vi nghìn_tỷ=12 ngàn_tỷ=12 "
    "nghìn_tỉ=12 ngàn_tỉ=12 nghìn=3 ngàn=3 triệu=6 tỷ=9 tỉ=9 trăm=2 vạn=4"
)
_SCALES: dict[str, tuple[int, str, bool]] = {}
for _tok in _split(_SCALE_SPEC):
    if "=" not in _tok:
        _scale_lang = _tok
        continue
    _word, _, _exp = _tok.partition("=")
    _SCALES[_word.replace("_", " ")] = (10 ** int(_exp), _scale_lang[:2], _scale_lang.endswith("$"))
_SCALES_RE = re.compile(
    f"{_SP}({_alternation(list(_SCALES))})(?![{_L}0-9])(?!{_SP}(?:lệ|suất|trọng|giá)\\b)",
    re.IGNORECASE,
)
_ZH_SCALES = {
    w: 10 ** int(e)
    for w, _, e in (
        t.partition("=")
        for t in _split("万亿=12 千亿=11 百亿=10 十亿=9 千万=7 百万=6 十万=5 亿=8 万=4 千=3 百=2")
    )
}
_ZH_SCALES_RE = re.compile(f"{_SP}({_alternation(list(_ZH_SCALES))})(?![米克瓦分])")
_ZH_MORE = re.compile("[多余]")

_EN_UNITS = _split(
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
)
_EN_TENS = _split("twenty thirty forty fifty sixty seventy eighty ninety")
_EN_COMPOUND = [f"{t}-{u}" for t in _EN_TENS for u in _EN_UNITS[:9]]  # fifty-eight
_EN_NUM = {
    "a": 1,
    "hundred": 100,
    **{w: i for i, w in enumerate(_EN_UNITS, 1)},
    **{w: 10 * i for i, w in enumerate(_EN_TENS, 2)},
}
_VI_NUM = {
    "tư": 4,
    "bẩy": 7,
    **{w: i for i, w in enumerate(_split("một hai ba bốn năm sáu bảy tám chín mười"), 1)},
}
_ZH_DIGIT = {"两": 2, **{c: i for i, c in enumerate("零一二三四五六七八九")}, "〇": 0}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 10**4, "亿": 10**8}


def _cased(words: list[str]) -> str:
    """A trie-shaped pattern for the words in three casings: fast to scan, longest match first."""
    trie: dict[str, dict] = {}
    for variant in {v for w in words for v in (w, w.capitalize(), w.upper())}:
        node = trie
        for ch in variant:
            node = node.setdefault(ch, {})
        node[""] = {}

    def pattern(node: dict[str, dict]) -> str:
        parts = [re.escape(ch) + pattern(child) for ch, child in sorted(node.items()) if ch]
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 else f"(?:{'|'.join(parts)})"
        return f"(?:{body})?" if "" in node else body

    return pattern(trie)


# Numbers, found by separate patterns (each scans fast); the characters before are checked apart.
_NUMBERS = (
    (
        re.compile(r"(?P<ar>\d+(?:[.,\u00a0\u202f\u2009]\d+)*)"),
        f"[{_L}0-9.,:/_#@&=]|(?<=[{_L}0-9])-",
    ),
    (re.compile("(?P<pct>百分之(?:\\d+(?:\\.\\d+)?|[零〇一二两三四五六七八九十百千]+))"), "(?!)"),
    (
        re.compile("(?P<kj>[一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*)"),
        "[零〇一二两三四五六七八九十百千万亿第周期礼数几上近]",
    ),
    (
        re.compile(f"(?P<wd>{_cased([*_EN_COMPOUND, *_EN_NUM, *_VI_NUM])})(?![{_L}0-9\\-])"),
        f"[{_L}0-9-]",
    ),
)
_NUMBERS_AFTER = tuple(re.compile(after) for _, after in _NUMBERS)
_RANGE = re.compile(
    rf"{_SP}(?:[-–~～至到]|to |đến |tới ){_SP}(\d+(?:[.,]\d+)*)(?![{_L}0-9/:\-])", re.IGNORECASE
)
_FROM = re.compile(r"(?i:\b(?:from|từ))\s*$")
_PREFIX_CUR = re.compile(
    r"(?:(US|USD|VND|EUR|GBP|JPY|CNY|RMB|KRW|AUD|SGD|HKD|CAD|THB|CHF)\s?|US\s?\$|HK\$|S\$|A\$|C\$"
    r"|[$€£¥₫₩￥]|人民币)$"
)
_MONTHS = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_MASKS = re.compile(
    r"(?<![\d.,])\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}(?![\d.,]\d)"  # 24/1/2025, 04-10-2023
    r"|(?<![\d.,])\d{1,4}/\d{1,4}(?!\d)"  # 16/9, 10/2023, 2013/QĐ-TTg
    r"|(?<!\d)\d{1,2}(?:\s?:\s?\d{2}(?::\d{2})?|h\d{2}|h(?![A-Za-z]))(?!\d)"  # 16:01, 8h30
    rf"|\b(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b"
    r"|(?i:\b(?:ngày|mùng|tháng|năm|quý|thứ|lần thứ|(?<!tổng )(?<!con )số|khóa|khoá|điều|"
    r"khoản|chương|mục|phụ lục|quận|phường|ấp|tổ|tầng|phòng|lô|quốc lộ|tỉnh lộ|hotline|"
    r"điện thoại|tel|phone|fax)\s*[:.]?\s*\d+)"
    r"|\b(?:No|Nos|no|Art|Article|Section|Chapter|Decree|Resolution|Decision|Directive|"
    r"District|Ward|Route|Highway|Level|Grade|[Ff]igure|[Ff]ig|[Tt]able|[Pp]age|pp?)\.?"
    r"\s*\d+"
    r"|(?<![\d.,])\d{3,4}(?: \d{2,4}){2,}(?![\d.,]\d)"  # 0800 555 111
    r"|(?i:(?<![\d.,])\d{1,2}(?:[.:]\d{2})?\s*(?:a\.m\.|p\.m\.|am|pm|giờ|sáng|chiều|tối|"
    r"trưa|đêm)(?![A-Za-z]))"
    r"|[第图表]\s*[\d零〇一二两三四五六七八九十百千]+|#\s?\d+|\+\d[\d\s.\-]{6,}\d"
)

_EN_STOP = frozenset(
    _split(
        "the a an of in on at for to per and or with from by than as into over under about across "
        "during after before since until between among through including while who which that this "
        "these those were was are is be been being have has had will would could should can may "
        "might must do does did each every last next more less most higher lower up down out off "
        "it its their his her they he she we you i not no so such only also just already still "
        "compared respectively alone total against via worth valued if when where there here all "
        "both some many much other another same own then now yet ago lost made took went came "
        "said told saw got left died fell rose won paid spent became began held fled met ran "
        "sold bought brought kept gave worldwide nationwide globally annually overall apiece"
    )
)
_VI_STOP = frozenset(
    _split(
        "và với của cho trong tại ở từ đến tới so vào ra khi nhưng mà có không này đó kia được bị "
        "là đã đang sẽ vẫn cũng như theo trên dưới sau trước về để do bởi nên thì các những mỗi "
        "mọi hằng tăng giảm đạt gồm hơn khoảng gần nhiều ít rằng thuộc qua ước tính bằng chiếm còn "
        "lên xuống trở nữa rồi vừa hay hoặc trị giá tương đương với năm tháng "
        "ngày tuần quý vài mấy giữa suốt khắp cùng"
    )
)
_VI_CLASSIFIERS = frozenset(
    _split("cuộc chiếc con cái trận vụ bức cơn ngôi tòa toà căn quyển cuốn tờ củ quả")
)
_ZH_BOUNDARY = _longest_first(
    "其中 接待 达到 达 约 为 是 有 共 共计 累计 超过 超 近 逾 了 的 "
    "和 与 及 在 将 已 已经 实现 完成 突破 吸引 同比增长 增长 增加 "
    "下降 减少 占 总计 合计 大约 至 到 仅 就 都 也 还 即 对 向 从 "
    "由 把 被 给 等 各 每 上 下 前 后 年 月 日 个 以 获 加 则"
)
_ZH_LINK = _longest_first(
    "为 达 达到 约 大约 超过 超 共 共计 累计 近 逾 是 接待 总计 合计 突破 占 共有 至 到"
)
_ZH_NOMINAL = frozenset("客人额入量数值率资费款品口者员业物积金价收支税")
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_FULLWIDTH_RE = re.compile("[０-９．％]")
_ZH_TRAVEL = re.compile("[游旅客访观]")
_YEAR = re.compile(r"(?:1[89]|20)\d\d")
_YEAR_BEFORE = re.compile(
    r"(?i:\b(?:in|since|from|by|until|of|năm|từ|đến|to|and|the|late|early|mid|before|after))"
    r"\s*$"
)
_WORD = re.compile(rf"{_SP}([{_L}][{_L}'’\-]*)")


def _norm_lang(language: str | None) -> str | None:
    if not language:
        return None
    return language.strip().lower().replace("_", "-").split("-")[0] or None


def _infer_lang(text: str) -> str:
    """Guess the number convention: zh by script, vi by its letters, else by the separators."""
    han = len(_HAN_CHAR.findall(text))
    latin = len(_LATIN.findall(text))
    if han and han * 2 >= latin:
        return "zh"
    vi = len(_VI_CHAR.findall(text))
    if vi >= 3 and vi * 50 >= latin:
        return "vi"
    comma = len(re.findall(r"\d,\d{1,2}(?!\d)|\d{1,3}(?:\.\d{3}){2,}(?![\d,])", text))
    point = len(re.findall(r"\d\.\d{1,2}(?!\d)|\d{1,3}(?:,\d{3}){2,}(?![\d.])", text))
    return "de" if comma > point else "en"


def _parse_arabic(s: str, decimal_comma: bool, whole: bool) -> Decimal | None:
    """Read '48.362', '18,43', '28,387.5' by convention; None when the digits make no number."""
    seps = [(i, c) for i, c in enumerate(s) if not c.isdigit()]
    groups = re.split(r"[^0-9]", s)
    if groups[0].startswith("0") and (len(groups[0]) > 1 if seps else len(s) > 3 or s == "00"):
        return None  # phone numbers and codes
    if not seps:
        return Decimal(s)
    kinds = {c for _, c in seps}
    spaces = {"\u00a0", "\u202f", "\u2009"}
    if len(kinds) > 1:
        last_c = seps[-1][1]
        if last_c in spaces or any(c == last_c for _, c in seps[:-1]):
            return None
        if len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:-1]):
            return None
        return Decimal("".join(groups[:-1]) + "." + groups[-1])
    sep = seps[0][1]
    if len(seps) > 1 or sep in spaces:
        if len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            return None
        return Decimal("".join(groups))
    head, tail = groups
    if len(tail) != 3 or len(head) > 3 or head == "0":
        return Decimal(head + "." + tail)
    grouping = tail == "000" or whole or (sep == "." if decimal_comma else sep == ",")
    return Decimal(head + tail) if grouping else Decimal(head + "." + tail)


def _parse_kanji(s: str) -> Decimal:
    """一千八百万 -> 18000000; 百 -> 100."""
    total = section = num = 0
    for ch in s:
        if ch in _ZH_DIGIT:
            num = _ZH_DIGIT[ch]
        elif ch in _ZH_UNIT:
            section += (num or 1) * _ZH_UNIT[ch]
            num = 0
        elif ch == "万":
            total += (section + num) * _ZH_BIG[ch]
            section = num = 0
        elif ch == "亿":
            total = (total + section + num) * _ZH_BIG[ch]
            section = num = 0
    return Decimal(total + section + num)


class FigureExtractor:
    """Finds key figures in article text. Stateless (rules only), so one instance can be shared."""

    version = "figures-rules-1"

    def extract(self, text: str, language: str | None) -> list[Figure]:
        """All figures in `text`, in order; `language` sets the number convention (None: guess)."""
        work = text.translate(_FULLWIDTH) if _FULLWIDTH_RE.search(text) else text  # same length
        doc_lang = _norm_lang(language) or _infer_lang(work)
        found = [
            (m.start(), n, m)
            for n, (rx, _) in enumerate(_NUMBERS)
            for m in rx.finditer(work)
            if not (m.start() and _NUMBERS_AFTER[n].match(work, m.start() - 1))
            and (n < 3 or _SCALES_RE.match(work, m.end()) or _WORDS_RE.match(work, m.end()))
        ]
        found.sort(key=lambda x: x[:2])
        masks = _masks_near(work, [(start, m.end()) for start, _, m in found])
        mask_starts = [a for a, _ in masks]
        out: list[Figure] = []
        taken = 0
        for start, _, m in found:
            k = bisect.bisect_right(mask_starts, start) - 1
            if start < taken or (k >= 0 and start < masks[k][1]):
                continue
            fig = self._figure(work, m, doc_lang)
            if fig is not None:
                out.append(dataclasses.replace(fig, text=text[fig.start : fig.end]))
                taken = fig.end
        return out

    def _figure(self, text: str, m: re.Match[str], doc_lang: str) -> Figure | None:
        """Build the figure starting at number match `m`, or None when it is not a key figure."""
        kind, raw = m.lastgroup or "", m.group()
        start, pos = m.start(), m.end()
        if len(raw) > 40:
            return None  # no real figure has that many digits
        if kind == "pct":
            digits = raw[3:]
            pct = Decimal(digits) if digits[0].isdigit() else _parse_kanji(digits)
            return _make(text, start, pos, pct, "percent", None, None)
        langs: list[str] = []
        scale: str | None = None
        multiplier = 1
        if kind == "kj":
            if not any(c in "十百千万亿" for c in raw) or re.search(
                "[一二两三四五六七八九]{2}", raw
            ):
                return None  # 一, 两国, 星期三: no magnitude; 七八十万, 四五千: vague
            big = re.search("(万亿|亿|万)$", raw)
            scale = big.group() if big else None
            langs.append("zh")
        rng: re.Match[str] | None = None
        currency = None if kind == "kj" else _prefix_currency(text, start)
        if currency is not None:
            start = currency[1]
        if kind == "ar":
            rng = _RANGE.match(text, pos)
            if rng and not (
                rng.group().strip()[:2] == "to" and _FROM.search(text, max(0, start - 6), start)
            ):
                pos = rng.end()  # 3-4 triệu: valued at the low end
            else:
                rng = None
            nxt = text[pos : pos + 2]
            if len(nxt) == 2 and (
                (nxt[0] in "/-_:" and nxt[1].isalnum()) or (nxt[0] == "." and nxt[1].isalpha())
            ):
                return None  # 59-NQ/TW, 3388666.html
        num_end = pos
        if more := _ZH_MORE.match(text, pos):
            pos = more.end()
        if kind in ("ar", "wd") and (sc := _SCALES_RE.match(text, pos)):
            word = sc.group(1)
            mult, lang, needs_cur = _SCALES.get(word.lower(), (0, "", True))
            if mult and (currency is not None or not needs_cur):
                scale, multiplier, pos = word.lower(), mult, sc.end()
                langs.append(lang)
        elif kind == "ar" and (zsc := _ZH_SCALES_RE.match(text, pos)):
            scale, multiplier, pos = zsc.group(1), _ZH_SCALES[zsc.group(1)], zsc.end()
            langs.append("zh")
            if more := _ZH_MORE.match(text, pos):
                pos = more.end()
        unit_start = pos
        entry, unit_end = _unit(text, pos)
        if kind == "wd" and (scale is None or (raw.lower() == "a" and multiplier < 1000)):
            english = raw.lower() in _EN_NUM or "-" in raw
            if not (
                english
                and raw.lower() != "a"
                and entry is not None
                and entry.kind in (_PCT, _COUNT)
                and entry.lang == "en"
                and not (raw[0].isupper() and text[unit_start:unit_end].strip()[:1].isupper())
            ):
                return None  # word numbers need a scale (one million, hai triệu) or six people
        glued = pos == num_end and pos < len(text) and _LATIN.match(text[pos]) is not None
        if glued and (entry is None or unit_end == pos):
            return None  # 50th, 5G, A4
        if entry is not None and entry.kind == _TIME:
            return None  # durations and ages
        if entry is not None and entry.lang != "any":
            langs.append(entry.lang)
        lang = next((x for x in langs if x != "any"), doc_lang)
        zh = lang == "zh" or (start > 0 and _HAN_CHAR.match(text[start - 1]) is not None)
        if entry is not None and entry.kind == _CUR and currency is not None:
            if entry.canonical in (currency[0].canonical, "¥"):
                pos = unit_end  # $5 million USD
            entry = currency[0]
        elif entry is not None and (zh or entry.kind != _COUNT):
            pos = unit_end
        elif entry is None and currency is not None:
            entry = currency[0]
        unit = entry.canonical if entry is not None else None
        subject: str | None = None
        counted = entry is not None and entry.kind == _COUNT  # whole things: no decimals
        if zh:
            subject = _zh_subject(text, start)
            if unit is None and (noun := _zh_classified_noun(text, pos)):
                unit, pos, counted = noun[0], noun[1], True
            if subject is None and counted and entry is not None:
                after = text[unit_start:pos].strip().lstrip("多余个名位家项篇条份")
                subject = after if len(after) > 1 and after != "人次" else None
        elif entry is None or entry.kind == _COUNT:
            np = _noun_phrase(text, unit_start, lang)
            if np is None:
                return None  # a duration: 10 months, 3 năm liên tiếp
            if np[1]:
                unit, subject, pos, counted = np[0], np[1], max(pos, np[2]), True
        elif unit != "times":
            of = re.match(r"[^\S\n]+of(?=\s)", text[pos:]) if lang != "vi" else None
            np = _noun_phrase(text, pos + (of.end() if of else 0), lang)
            if np is not None and np[1] and (of or entry.kind == _CUR or lang == "vi"):
                subject = np[1]
        if kind == "kj":
            base = _parse_kanji(raw)
        elif kind == "wd":
            base = Decimal(sum(_EN_NUM.get(w, _VI_NUM.get(w, 0)) for w in raw.lower().split("-")))
        else:
            whole = scale is None and counted
            parsed = _parse_arabic(raw, lang in _DECIMAL_COMMA, whole)
            if parsed is None:
                return None
            base = parsed
            if rng is not None:
                high = _parse_arabic(rng.group(1), lang in _DECIMAL_COMMA, whole)
                if high is None or high <= base:
                    return None  # a score (1-0, 31-27) or no range at all
        if unit == _VISITS:
            context = (subject or "") + text[max(0, start - 12) : start]
            unit = "visitors" if _ZH_TRAVEL.search(context) else "person-times"
        if unit == "¥":
            unit = "CNY" if zh or doc_lang == "zh" else "JPY"
        if unit is None and scale is None:
            return None  # a bare number
        year_like = kind == "ar" and _YEAR.fullmatch(raw) and scale is None
        if year_like and (
            entry is None
            or (entry.kind == _COUNT and _YEAR_BEFORE.search(text, max(0, start - 8), start))
        ):
            return None  # a year: in 2019 tourists ..., the 2022 General Assembly
        if (
            kind == "ar"
            and currency is None
            and text[start - 1 : start] in ("-", "−")
            and (start == 1 or text[start - 2] in " \t\n(（:：")
        ):
            start, base = start - 1, -base  # fell -5%: the sign belongs to the figure
        return _make(text, start, pos, base * multiplier, unit, scale, subject)


def _masks_near(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans of dates, times, ordinals and document numbers, looked for only around numbers."""
    masks: list[tuple[int, int]] = []
    windows: list[list[int]] = []
    for start, end in spans:
        lo, hi = max(0, start - 16), end + 20
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        masks.extend((m.start(), m.end()) for m in _MASKS.finditer(text, lo, hi))
    return masks


def _make(
    text: str,
    start: int,
    end: int,
    value: Decimal,
    unit: str | None,
    scale: str | None,
    subject: str | None,
) -> Figure | None:
    """A Figure over text[start:end] (trailing spaces trimmed), or None for an unusable value."""
    while end > start and text[end - 1].isspace():
        end -= 1
    try:
        v = float(value)
    except (InvalidOperation, OverflowError):
        return None
    if not math.isfinite(v):
        return None
    return Figure(text[start:end], v, unit, scale, subject, start, end)


def _prefix_currency(text: str, start: int) -> tuple[_Entry, int] | None:
    """A currency written before the number ($, US$, USD 500,000, 人民币) and where it starts."""
    pre = _PREFIX_CUR.search(text, max(0, start - 8), start)
    if pre is None:
        return None
    if pre.start() > 0 and pre.group()[0].isalpha() and _LATIN.match(text[pre.start() - 1]):
        return None  # inside a word
    key = pre.group().strip().replace(" ", "")
    found = _CODES.get(key) or _ZH.get(key)
    return (found, pre.start()) if found is not None else None


def _unit(text: str, pos: int) -> tuple[_Entry | None, int]:
    """The longest unit word starting at `pos` (spaces allowed before it) and where it ends."""
    best: tuple[_Entry | None, int] = (None, pos)
    for rx, table in ((_CODES_RE, _CODES), (_WORDS_RE, _WORDS_LOWER), (_ZH_RE, _ZH)):
        m = rx.match(text, pos)
        if m is None:
            continue
        found = table.get(m.group(1)) or table.get(m.group(1).lower())
        if found is not None and m.end() > best[1]:
            best = (found, m.end())
    return best


def _noun_phrase(text: str, pos: int, lang: str) -> tuple[str | None, str, int] | None:
    """(unit, phrase, end) for the few words after a number; None when they name a duration.

    Vietnamese puts the head first (lượt khách quốc tế), English last (international visitors).
    """
    stop = _VI_STOP if lang == "vi" else _EN_STOP
    words: list[tuple[str, int, int]] = []
    p = pos
    lex = _WORDS_RE.match(text, pos) if lang == "vi" else None
    lex_entry = _WORDS_LOWER.get(lex.group(1).lower()) if lex is not None else None
    if lex is not None and lex_entry is not None and lex_entry.kind in (_COUNT, _TIME):
        words.append((lex.group(1), lex.start(1), lex.end(1)))  # người theo dõi: one word
        p = lex.end()
    while len(words) < 4 and (m := _WORD.match(text, p)):
        w, lw = m.group(1), m.group(1).lower()
        known = lw in _WORDS_LOWER
        if (lw in stop and (words or not known)) or lw in _EN_NUM or lw in _VI_NUM:
            break
        if words and known and _WORDS_LOWER[lw].kind == _TIME:
            if lang != "vi":
                return None  # 5 consecutive years: English puts the head (a duration) last
            break  # người theo dõi vài giờ sau: the phrase ends before the time word
        if not words and w[0].isupper() and not known and not w.isupper():
            break  # a name: Điều 5 Luật, SEA Games 31 Hanoi
        if lang != "vi" and words and lw.endswith(("ing", "ed")) and not known:
            break  # a verb: people watched, accounts following
        words.append((w, m.start(1), m.end(1)))
        p = m.end()
    if not words:
        return (None, "", pos)
    lows = [w.lower() for w, _, _ in words]
    unit: str | None = None
    if lang == "vi":
        for n in range(len(lows), 0, -1):
            e = _WORDS_LOWER.get(" ".join(lows[:n]))
            if e is not None and e.kind == _TIME:
                return None
            if e is not None and e.kind == _COUNT:
                unit = e.canonical
                break
        else:
            size = 3 if lows[0] in _VI_CLASSIFIERS else 2
            unit = " ".join(w for w, _, _ in words[:size])
    else:
        first = _WORDS_LOWER.get(lows[0])
        if first is not None and first.kind == _TIME:
            return None
        for n in range(len(lows), 0, -1):
            e = _WORDS_LOWER.get(" ".join(lows[-n:]))
            if e is not None and e.kind == _TIME:
                return None
            if e is not None and e.kind == _COUNT:
                unit = e.canonical
                break
        else:
            unit = words[-1][0]
    return (unit, text[words[0][1] : words[-1][2]], words[-1][2])


def _zh_subject(text: str, start: int) -> str | None:
    """The noun phrase just before a Chinese figure: 接待游客1843万人次 -> 游客; None when unclear.

    Kept only after a linking verb (收入约, 人口为) or when it ends like a noun (游客, 收入, 率).
    """
    p = start
    while p > 0 and text[p - 1] in " \u3000":
        p -= 1
    link = next((b for b in _ZH_LINK if text.endswith(b, 0, p)), None)
    p -= len(link or "")
    if any(text.endswith(b, 0, p) for b in _ZH_BOUNDARY):
        return None  # 还有, 已超过, 则为: no noun right before
    end = p
    while p > 0 and _HAN_CHAR.match(text[p - 1]):
        if end - p >= 6:
            return None
        if p < end and any(text.endswith(b, 0, p) for b in _ZH_BOUNDARY):
            break
        p -= 1
    subject = text[p:end]
    if len(subject) < 2 or (link is None and subject[-1] not in _ZH_NOMINAL):
        return None
    return subject


def _zh_classified_noun(text: str, pos: int) -> tuple[str, int] | None:
    """A short noun after a measure word, used as the unit: 24 座避难中心， -> 避难中心."""
    m = _ZH_CLASSIFIER.match(text, pos)
    if m is None or any(text.startswith(b, m.end() - 1) for b in _ZH_BOUNDARY):
        return None
    noun = re.match(f"[{_HAN}]{{1,4}}?(?=[的和及与、，。；：！？）)\\s]|$)", text[m.end() - 1 :])
    return (noun.group(), m.end() - 1 + noun.end()) if noun else None
