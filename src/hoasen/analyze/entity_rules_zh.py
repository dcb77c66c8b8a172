"""Hand-written entity rules for Chinese text (see entities.py).

Chinese needs no tokenizer here: an organisation is a known place (or 中共/国家/中央...) followed
by up to 16 characters ending in an organisation suffix (集团, 电视台, 中心, 宣传部...), with no
function word or verb inside; a person is a surname and one or two characters beside a title
(副部长孙业礼, 阮文广书记).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
        starts = {m.start for m in known if m.type == "LOC"}
        for prefix in _ZH_ORG_PREFIX:
            starts.update(m.start() for m in re.finditer(prefix, text))
        out = []
        for start in sorted(starts):
            end = self._org_end(text, start)
            if end:
                out.append(_mention(text, start, end, "ORG"))
        return out + self._people(text)

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
