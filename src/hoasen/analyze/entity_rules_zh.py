"""Hand-written entity rules for Chinese text (see entities.py).

Chinese needs no tokenizer here: an organisation is a known place (or 中共/国家/中央...) followed
by up to 16 characters ending in an organisation suffix (集团, 电视台, 中心, 宣传部...), with no
function word or verb inside; a person is a surname and one or two characters beside a title
(副部长孙业礼, 阮文广书记).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from hoasen.analyze.entity_rules import RULES_VERSION, _mention, _words
from hoasen.analyze.gazetteer import Gazetteer, Mention

_ZH_ORG_SUFFIX = sorted(
    _words(
        "集团 公司 广播电视台 电视台 电台 日报 报社 晚报 通讯社 新闻社 传媒中心 中心 "
        "委员会 政府 省委 市委 党委 宣传部 外交部 办公室 外办 大学 学院 研究院 研究所 "
        "协会 联合会 银行 医院 法院 检察院 国会 议会 组织 基金会 总局 部 厅 局 委 署 社"
    ),
    key=len,
    reverse=True,
)
# Place + one of these is a description ('the government of X', 日本政府, 美国国会), not a
# name: no organisation, the place stays a place; alone (内阁, 参议院) it names nothing.
_ZH_GENERIC = frozenset(
    _words("政府 人民政府 内阁 国会 议会 众议院 参议院 外交部 大使馆 公司 组织 党部 朝廷")
)
_ZH_ORG_PREFIX = ("中共", "中国", "国家", "中央", "全国", "越共")
_ZH_STOP = set(
    "的与和及在是了将对为同向把被等于从由就也都还并或而以、，。；：！？“”《》（）()[] \n\t"
)
_ZH_STOP_WORDS = (
    "会见", "签署", "举行", "表示", "出席", "参加", "访问", "交流", "会谈", "指出", "强调", "介绍",
    "欢迎", "希望", "认为", "发表", "宣布", "合作协议", "今天", "昨天", "日前", "近日",
)  # fmt: skip
_ZH_TITLES = sorted(
    _words(
        "总书记 书记 副主席 主席 副部长 部长 副省长 省长 副市长 市长 副总理 总理 "
        "大使 副局长 局长 台长 社长 总编辑 副主任 主任 董事长 总经理 总裁 秘书长 "
        "知事 委员长 议长 先生 女士 总统 国王 首相 外长 发言人"
    ),
    key=len,
    reverse=True,
)
_ZH_DIRECTIONS = frozenset("东南西北中内外上下全")
_ZH_TITLE_PARTS = frozenset("副总正代前")  # 任职副部长: '副' belongs to the title, not a name
ZH_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤习阮裴铃温傅"
)


# A place name glued to one of these is a people, a language or an origin (印度人, 西班牙语,
# 非洲裔, 蒙古族, 中国籍), not a mention of the place; these continuations are not demonyms.
_ZH_DEMONYM = ("人", "语", "裔", "籍", "族")
_ZH_NOT_DEMONYM = ("人口", "人均", "人大", "人次", "人工", "人才", "人权", "人民政府", "人民代表")
# A place name glued to a place-type word is part of a longer place (圣赫勒拿岛, 南极大陆,
# 明斯克州); one-character words only when the next character does not make another word.
_ZH_PLACE_WORDS = ("三角洲", "半岛", "群岛", "大陆", "海峡", "山脉", "盆地", "岛", "州")
_ZH_NOT_PLACE_WORDS = ("岛民", "岛屿", "州长", "州立")
# The army of a place is an organisation (德国军队), not the place.
_ZH_ARMY = "军队"


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


class ChineseRules:
    """Chinese names by rule: place + ... + organisation suffix (广西日报传媒集团), and people
    named beside a title (副部长孙业礼, 阮文广书记)."""

    name = "rules-zh"
    version = RULES_VERSION
    # Place + anything + suffix is too loose to cut into an engine's mention (entities.py).
    wraps_engine = False

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer

    def recognize(self, text: str) -> list[Mention]:
        """Rule mentions in a Chinese text (gazetteer-aware when one was given)."""
        known = self.gazetteer.matches(text, "zh") if self.gazetteer else []
        return self.find(text, known)

    def find(self, text: str, known: Sequence[Mention]) -> list[Mention]:
        """Rule mentions, given the gazetteer's mentions of the same text."""
        heads = {m.start: m.end for m in known if m.type == "LOC"}
        for prefix in _ZH_ORG_PREFIX:
            for match in re.finditer(prefix, text):
                heads.setdefault(match.start(), match.end())
        out = []
        for start in sorted(heads):
            end = self._org_end(text, start)
            if end and text[heads[start] : end] not in _ZH_GENERIC:
                out.append(_mention(text, start, end, "ORG"))
        return out + self._people(text)

    def adjust(self, text: str, chosen: Sequence[Mention]) -> list[Mention]:
        """The resolved mentions (in text order, non-overlapping) with each place read with the
        characters around it: no demonym or language name (印度人, 欧洲人, 西班牙语), a place
        word after it taken in (圣赫勒拿岛), its army an organisation (德国军队)."""
        out: list[Mention] = []
        for i, m in enumerate(chosen):
            if m.type == "ORG" and m.entity is None:
                place = self._generic_head(m)
                if place is not None:
                    out += place
                    continue
            if m.type != "LOC":
                out.append(m)
                continue
            if _demonym(text, m):
                continue
            limit = chosen[i + 1].start if i + 1 < len(chosen) else len(text)
            end, etype = _place_end(text, m.end)
            if end > m.end and end <= limit:
                m = replace(
                    m, text=text[m.start : end], end=end, type=etype, entity=None, source="rules"
                )
            out.append(m)
        return out

    def _generic_head(self, m: Mention) -> list[Mention] | None:
        """What an organisation made of a generic body stands for: the place of a known place +
        body (日本内阁 -> 日本), nothing for a body alone (参议院); None for a name."""
        for size in range(len(m.text) - 1):
            if m.text[size:] not in _ZH_GENERIC:
                continue
            if size == 0:
                return []
            head = self.gazetteer.lookup(m.text[:size], "zh") if self.gazetteer else None
            if head is not None and head.type == "LOC":
                return [replace(m, text=m.text[:size], end=m.start + size, type="LOC")]
        return None

    def _org_end(self, text: str, start: int) -> int | None:
        """End of the longest organisation name from `start` (≤ 16 characters, no stop word)."""
        best = None
        limit = min(len(text), start + 16)
        for end in range(start + 2, limit + 1):
            ch = text[end - 1]
            if ch in _ZH_STOP or not _cjk(ch) or text[start:end].endswith(_ZH_STOP_WORDS):
                break
            if end - 1 > start and any(text.startswith(t, end - 1) for t in _ZH_TITLES):
                break
            for suffix in _ZH_ORG_SUFFIX:
                if suffix == "部" and text[end - 2] in _ZH_DIRECTIONS:  # 西南部: a region
                    break
                if text.endswith(suffix, start, end) and end - start > len(suffix) + 1:
                    if len(suffix) > 1 or end - start >= 4:
                        best = end
                    break
        return best

    def _people(self, text: str) -> list[Mention]:
        out = []
        for title in _ZH_TITLES:
            for match in re.finditer(title, text):
                after = match.end()
                if after < len(text) and text[after] in ZH_SURNAMES:
                    end = after + 1
                    while end < len(text) and end - after < 3 and _cjk(text[end]):
                        if text[end] in _ZH_STOP or text.startswith(_ZH_STOP_WORDS, end):
                            break
                        if any(text.startswith(t, end) for t in _ZH_TITLES):
                            break
                        end += 1
                    if end - after >= 2:
                        out.append(_mention(text, after, end, "PER"))
                before = match.start()
                for size in (3, 2):
                    begin = before - size
                    if (
                        begin >= 0
                        and text[begin] in ZH_SURNAMES
                        and all(_cjk(c) and c not in _ZH_STOP for c in text[begin:before])
                        and text[before - 1] not in _ZH_TITLE_PARTS
                        and (begin == 0 or not _cjk(text[begin - 1]) or size == 3)
                    ):
                        out.append(_mention(text, begin, before, "PER"))
                        break
        return out


def _demonym(text: str, m: Mention) -> bool:
    """Is this 'place' a people or a language: the name ends in one (欧洲人, 西班牙语) or runs on
    into one (印度|人, 丹麦|语, 非洲|裔)?"""
    if len(m.text) > 2 and m.text.endswith(("人", "语")):
        return True
    return text.startswith(_ZH_DEMONYM, m.end) and not text.startswith(_ZH_NOT_DEMONYM, m.end)


def _place_end(text: str, end: int) -> tuple[int, str]:
    """Where a place name ending at `end` really ends, and its type: past a place word
    (岛, 大陆, 山脉...) as a LOC, past 军队 as an ORG; else `end`, LOC."""
    if text.startswith(_ZH_ARMY, end):
        return end + len(_ZH_ARMY), "ORG"
    for word in _ZH_PLACE_WORDS:
        if text.startswith(word, end) and not text.startswith(_ZH_NOT_PLACE_WORDS, end):
            return end + len(word), "LOC"
    return end, "LOC"
