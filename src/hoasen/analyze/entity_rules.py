"""Hand-written entity rules for English and Vietnamese text (see entities.py; Chinese rules
are in entity_rules_zh.py).

Each rule set reads the gazetteer's mentions of the same text, so rules can stop a name at a
known place ("Trung tâm Truyền thông tỉnh Quảng Ninh" ends after Quảng Ninh) and leave known
names to the gazetteer. Rules favour precision: a capitalised phrase with no title, keyword or
telling context is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from hoasen.analyze.gazetteer import Entity, Gazetteer, Mention, fold

RULES_VERSION = "1"

# ---------------------------------------------------------------------------------- tokens


class _Tok(NamedTuple):
    text: str
    start: int
    end: int
    key: str  # _key(text), computed once


_TOKEN = re.compile(r"[^\W_]+(?:['’\-&][^\W_]+)*\.?|\S")
_SENTENCE_END = frozenset('.!?…:;"“”')


def _tokens(text: str) -> list[_Tok]:
    """Words (keeping "Mr." and "People's" whole) and single punctuation marks, with offsets."""
    out: list[_Tok] = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        start, end = match.span()
        if len(word) > 1 and word.endswith(".") and fold(word[:-1]) not in _ABBREV:
            out.append(_Tok(word[:-1], start, end - 1, _key(word[:-1])))
            out.append(_Tok(".", end - 1, end, "."))
        else:
            out.append(_Tok(word, start, end, _key(word)))
    return out


def _sentence_initial(tokens: Sequence[_Tok], text: str) -> list[bool]:
    """For each token: does a sentence (or line) start with it?"""
    flags = []
    for i, tok in enumerate(tokens):
        if i == 0:
            flags.append(True)
            continue
        prev = tokens[i - 1]
        flags.append(prev.text in _SENTENCE_END or "\n" in text[prev.end : tok.start])
    return flags


def _cap(word: str) -> bool:
    return word[:1].isupper()


def _key(word: str) -> str:
    """Lower-case NFC form that keeps diacritics ('Bà' stays distinct from 'Ba')."""
    if word.isascii():
        return word.lower()
    return unicodedata.normalize("NFC", word).lower().replace("uỷ", "ủy").replace("oà", "òa")


def _words(spec: str) -> frozenset[str]:
    """'a|b c' -> {'a', 'b', 'c'}: a word list written as one string."""
    return frozenset(w for w in re.split(r"[|\s]+", spec) if w)


Phrases = Mapping[str, tuple[tuple[str, ...], ...]]


def _phrases(spec: str) -> Phrases:
    """'Bí thư|Bí danh|Ông' -> {'bí': (('bí','thư'), ('bí','danh')), 'ông': (('ông',),)}: by
    first word, longest first."""
    table: dict[str, set[tuple[str, ...]]] = {}
    for phrase in spec.split("|"):
        words = tuple(_key(w) for w in phrase.split())
        if words:
            table.setdefault(words[0], set()).add(words)
    return {k: tuple(sorted(v, key=len, reverse=True)) for k, v in table.items()}


def _phrase_at(tokens: Sequence[_Tok], i: int, table: Phrases) -> int:
    """Length (in tokens) of the longest phrase from `table` starting at token i, else 0."""
    if i >= len(tokens):
        return 0
    for phrase in table.get(tokens[i].key, ()):
        n = len(phrase)
        if i + n <= len(tokens) and all(tokens[i + k].key == phrase[k] for k in range(1, n)):
            return n
    return 0


_ABBREV = _words("mr mrs ms dr prof gen sen rep gov lt col capt sgt st jr sr mt ft tp gs ts")


def _mention(text: str, start: int, end: int, etype: str, source: str = "rules") -> Mention:
    return Mention(text[start:end], etype, start, end, None, source)


def _known_at(known: Sequence[Mention]) -> dict[int, Mention]:
    """Gazetteer mentions by start offset."""
    return {m.start: m for m in known}


# ---------------------------------------------------------------------------------- English

_EN_TITLES = _phrases(
    "Mr.|Mrs.|Ms.|Miss|Dr.|Prof.|Professor|President|Vice President|Prime Minister|"
    "Deputy Prime Minister|Minister|Vice Minister|Deputy Minister|Foreign Minister|Secretary|"
    "General Secretary|Party Secretary|Provincial Party Secretary|Secretary-General|Governor|"
    "Chairman|Chairwoman|Vice Chairman|Deputy Chairman|Director|Deputy Director|"
    "Director-General|Director General|Ambassador|Consul|Consul General|Mayor|Senator|Sen.|Rep.|"
    "Representative|Congressman|Congresswoman|Judge|Justice|King|Queen|Prince|Princess|Emperor|"
    "Pope|Premier|Chancellor|Gen.|Colonel|Col.|Lieutenant|Lt.|Captain|Capt.|Maj.|Administrator|"
    "Sergeant|Sgt.|Admiral|Commander|Officer|Detective|Inspector|Chief|Coach|Reverend|Rev.|"
    "Bishop|Archbishop|Cardinal|Sheikh|Sir|Dame|Lord|Lady|Spokesman|Spokeswoman|Deputy|"
    "Vice|Comrade|Governor General|Sister|Father|Brother|Saint|St.|Dean|CEO|Gov.|Member|Members|"
    "Delegate|Deputy Head|Permanent Deputy Chairman|Permanent Vice Chairman|Co-founder|Founder"
)
_EN_TITLE_LOWER = _words(
    "president|minister|secretary|spokesman|spokeswoman|spokesperson|director|chairman|governor|"
    "ambassador|mayor|senator|leader|coach|professor|officer|chief|author|actor|actress|singer|"
    "player|manager|founder|ceo|chairwoman|premier|chancellor|candidate|judge|lawyer|analyst|"
    "reporter|journalist|editor|captain|commander|general|colonel|economist|researcher|scientist|"
    "teacher|student|writer|artist|musician|son|daughter|wife|husband|brother|sister|mother|"
    "father|colleague|deputy|aide|adviser|advisor|said|says|dr|mr|mrs|ms"
)
_EN_ORG = _words(
    "ministry|department|committee|commission|council|corporation|corp|company|co|inc|ltd|llc|"
    "plc|group|university|college|school|academy|institute|institution|radio|television|tv|"
    "agency|bureau|office|administration|authority|board|association|federation|union|league|"
    "party|parliament|congress|senate|assembly|court|bank|fund|foundation|organization|"
    "organisation|center|centre|station|newspaper|daily|times|post|news|press|network|"
    "broadcasting|airlines|airways|club|team|army|navy|police|government|cabinet|service|forum|"
    "society|hospital|museum|church|trust|alliance|coalition|movement|front|"
    "secretariat|politburo|directorate|inc.|ltd.|co.|corp.|media|studios|industries|holdings|"
    "enterprises|systems|technologies|labs|laboratory|guard|forces|force|police|council"
)
_EN_ORG_HEAD = _words(
    "ministry|department|university|bank|council|commission|agency|embassy|office|institute|"
    "academy|association|federation|college|school|bureau|court|organization|organisation"
)
_EN_LOC_LAST = _words(
    "province|city|county|district|prefecture|state|island|islands|river|mountains|mountain|bay|"
    "sea|ocean|strait|gulf|valley|street|avenue|road|square|bridge|airport|peninsula|coast|canyon|"
    "desert|beach|harbor|harbour|port|village|town|region|park|lake|falls|highway|boulevard|"
    "hill|hills|plaza|palace|temple|pagoda|tower|stadium|hall|border|delta|basin|zone|area|"
    "township|borough|municipality|territory|territories|continent|peninsula|archipelago"
)
_EN_LOC_FIRST = _words("mount|mt.|lake|cape|port|fort|gulf|isle|bay")
_EN_CONNECT = _words("of|and|&|for|the|de|on|du|la|von|van|der|des|del|at")
_EN_STOP = _words(
    "the|a|an|this|that|these|those|it|its|he|she|they|we|i|you|his|her|their|our|my|your|in|on|"
    "at|of|for|from|to|by|with|and|or|but|as|if|when|while|after|before|since|during|under|over|"
    "there|here|what|which|who|whom|whose|where|why|how|all|some|many|most|more|much|no|not|one|"
    "two|three|both|each|every|other|another|such|also|however|meanwhile|although|though|because|"
    "so|then|now|yet|still|according|despite|earlier|later|last|next|first|second|new|today|"
    "yesterday|tomorrow|mr|mrs|ms|dr|it's|there's|let|thus|only|even|just|please|yes|nothing|"
    "instead|once|about|around|between|into|through|without|within|among|against|toward|towards|"
    "several|few|any|can|could|would|should|will|may|might|must|do|does|did|is|are|was|were|be|"
    "has|have|had|being|been|its|photo|source|read|see|click|follow|share|comment|tags|note"
)
_EN_NEVER = _words(
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|"
    "june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|"
    "oct|nov|dec|am|pm|a.m|p.m|ok|tv|i|covid|internet|web|online|god"
)
_EN_SPEECH = _words(
    "said|says|told|added|explained|noted|stated|wrote|argued|announced|asked|replied|insisted|"
    "warned|claimed|confirmed|commented|reported|suggested|emphasized|emphasised|stressed|"
    "affirmed|believes|hopes|thinks"
)
# Capitalised in titles of events and documents, never a person's name on their own.
_EN_NOT_NAME = _words(
    "festival|week|day|days|month|year|season|conference|forum|summit|games|cup|award|awards|"
    "prize|strategy|plan|decision|resolution|no|index|program|programme|project|special|edition|"
    "agreement|treaty|law|act|report|contest|competition|fair|expo|exhibition|campaign|policy|"
    "meeting|session|congress|issue|magazine|series|show|tour|league|championship|olympics|"
    "image|photo|video|news|story|article|update|breaking|live|culture|cultural|sports|"
    "national|international|world|global|economic|social|political|friendship|cooperation|"
    "development|investment|tourism|trade|singing|music|arts|art|film|book|center|centre|"
    "museum|church|party|state|university|school|street|road|province|city|district|shuttle|"
    "program|system|station|service|internet|online|digital|best|practices|experiences|"
    "permanent|standing|executive|acting|former|deputy|vice|general|chief|senior|junior"
)
_EN_LOC_PREP = _words("in|at|from|near|across|outside|throughout|inside|around|visited|visiting")


class EnglishRules:
    """English names by rule: titles before people, organisation and place keywords, context."""

    name = "rules-en"
    version = RULES_VERSION

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer

    def recognize(self, text: str) -> list[Mention]:
        """Rule mentions in an English text (gazetteer-aware when one was given)."""
        known = self.gazetteer.matches(text, "en") if self.gazetteer else []
        return self.find(text, known)

    def find(self, text: str, known: Sequence[Mention]) -> list[Mention]:
        """Rule mentions, given the gazetteer's mentions of the same text."""
        tokens = _tokens(text)
        initial = _sentence_initial(tokens, text)
        known_starts = _known_at(known)
        # Words this very text also writes in lower case are common nouns, not names.
        common = {t.text for t in tokens if t.text.islower()} | _EN_NOT_NAME
        out: list[Mention] = []
        for run, titled in self._runs(tokens, initial):
            found = self._classify(text, tokens, run, titled, initial, known_starts, common)
            if found:
                out.append(found)
        out += self._acronyms(text, tokens, out)
        return out + self._echoes(text, tokens, out, common)

    def _runs(
        self, tokens: Sequence[_Tok], initial: Sequence[bool]
    ) -> Iterator[tuple[range, bool]]:
        """Maximal runs of capitalised tokens (with inner 'of', 'and'... when an organisation
        keyword is in the run), each with whether a title preceded or opened it."""
        i = 0
        size = len(tokens)
        while i < size:
            if not self._name_token(tokens, i, initial):
                i += 1
                continue
            j = i + 1
            while j < size and not initial[j]:
                if self._name_token(tokens, j, initial, inner=True):
                    j += 1
                    continue
                k = j + 1 if tokens[j].key in _EN_CONNECT else j
                if k < size and k > j and tokens[k].key == "the":
                    k += 1
                if (
                    k == j
                    or k >= size
                    or initial[k]
                    or not self._name_token(tokens, k, initial, inner=True)
                ):
                    break
                j = k + 1
            yield from self._split(tokens, i, j)
            i = j

    def _split(
        self, tokens: Sequence[_Tok], i: int, j: int, titled: bool = False
    ) -> Iterator[tuple[range, bool]]:
        """Strip titles; split runs that joined names with 'and'/'of' but name no organisation."""
        while i < j and tokens[i].key in _EN_CONNECT:
            i += 1
        titled = titled or (i > 0 and tokens[i - 1].key in _EN_TITLE_LOWER)
        while i < j:
            n = _phrase_at(tokens, i, _EN_TITLES)
            if not n or i + n > j:
                break
            titled = True
            i += n
            while i < j and tokens[i].key in _EN_CONNECT:
                i += 1
        if i >= j:
            return
        for k in range(i + 1, j - 1):
            if tokens[k].key in {"and", "&"} and (
                tokens[k + 1].key in _EN_ORG_HEAD or tokens[k + 1].key == "the"
            ):
                yield from self._split(tokens, i, k)
                yield from self._split(tokens, k + 1, j)
                return
        for k in range(i + 1, j - 1):
            n = _phrase_at(tokens, k, _EN_TITLES)
            if n and k + n < j and j - (k + n) <= 4 and tokens[k - 1].key not in _EN_CONNECT:
                yield from self._split(tokens, i, k)
                yield from self._split(tokens, k + n, j, titled=True)
                return
        words = [t.key.removesuffix("'s").removesuffix("’s") for t in tokens[i:j]]
        if any(w in _EN_ORG for w in words):
            yield from self._split_org(tokens, i, j, words, titled)
            return
        start = i
        for k in range(i, j + 1):
            if k == j or tokens[k].key in _EN_CONNECT or tokens[k].text.endswith("'s"):
                if k < j and tokens[k].key in _EN_CONNECT and start == k:
                    start = k + 1
                    continue
                end = k + 1 if k < j and tokens[k].text.endswith("'s") else k
                if end > start:
                    yield range(start, end), titled
                titled = False
                start = k + 1

    def _split_org(
        self, tokens: Sequence[_Tok], i: int, j: int, words: Sequence[str], titled: bool
    ) -> Iterator[tuple[range, bool]]:
        """'Lee Cheuk-yan of the Labour Party' -> a name, then the party: an organisation name
        does not open with keyword-free words before 'of'; "X Party's Regina Ip" ends at 's."""
        for k in range(i + 1, j - 1):
            before = words[: k - i]
            if tokens[k].key in {"and", "&"} and before[-1] in _EN_ORG:
                after = []
                for word in words[k - i + 1 :]:
                    if word in _EN_CONNECT:
                        break
                    after.append(word)
                if len(after) >= 2 and not any(w in _EN_ORG for w in after):
                    yield range(i, k), titled
                    yield from self._split(tokens, k + 1, j)
                    return
            if tokens[k].key in {"of", "for", "on", "at"} and not any(w in _EN_ORG for w in before):
                yield from self._split(tokens, i, k)
                yield from self._split(tokens, k + 1, j)
                return
            if (
                tokens[k - 1].text.endswith(("'s", "’s"))
                and any(w in _EN_ORG for w in before)
                and not any(w in _EN_ORG for w in words[k - i :])
            ):
                yield range(i, k), titled
                yield from self._split(tokens, k, j)
                return
        yield range(i, j), titled

    def _name_token(
        self, tokens: Sequence[_Tok], i: int, initial: Sequence[bool], inner: bool = False
    ) -> bool:
        word = tokens[i].text
        if not _cap(word) or not word[0].isalpha():
            return False
        key = _key(word)
        if key in _EN_NEVER and not (inner and key == "may"):
            return False
        return not (initial[i] and key in _EN_STOP)

    def _classify(
        self,
        text: str,
        tokens: Sequence[_Tok],
        run: range,
        titled: bool,
        initial: Sequence[bool],
        known: Mapping[int, Mention],
        common: set[str] | frozenset[str],
    ) -> Mention | None:
        first, last = tokens[run.start], tokens[run.stop - 1]
        start, end = first.start, last.end
        if last.text.endswith(("'s", "’s")):
            end -= 2
        words = [t.key.removesuffix("'s").removesuffix("’s") for t in tokens[run.start : run.stop]]
        if len(words) == 1 and (words[0] in _EN_ORG or words[0] in _EN_LOC_LAST):
            return None
        if any(w in _EN_ORG for w in words):
            return _mention(text, start, end, "ORG")
        if words[-1] in _EN_LOC_LAST or (len(words) > 1 and words[0] in _EN_LOC_FIRST):
            return _mention(text, start, end, "LOC")
        gazetteer_hit = known.get(start)
        if gazetteer_hit and gazetteer_hit.end >= end:
            return None
        alphabetic = all(
            t.text.replace("-", "").replace("'", "").isalpha() for t in tokens[run.start : run.stop]
        )
        plain = any(w in common for w in words) or any(
            t.text.isupper() and len(t.text) > 1 for t in tokens[run.start : run.stop]
        )
        if titled and len(words) <= 4 and alphabetic and not plain:
            return _mention(text, start, end, "PER")
        before = tokens[run.start - 1].key if run.start > 0 else ""
        after = [t.key for t in tokens[run.stop : run.stop + 3]]
        speech = bool(after) and (
            after[0] in _EN_SPEECH
            or (after[0] == "," and len(after) > 1 and after[1] in {"who", "a", "an", "the"})
            or before in _EN_SPEECH
        )
        if speech and 2 <= len(words) <= 3 and alphabetic and not plain:
            return _mention(text, start, end, "PER")
        if (
            before in _EN_LOC_PREP
            and alphabetic
            and len(words) <= 3
            and not _demonym(words[-1])
            and not plain
        ):
            return _mention(text, start, end, "LOC", "rules-guess")
        if speech and len(words) == 1 and alphabetic and not initial[run.start] and not plain:
            return _mention(text, start, end, "PER")
        inner = any(start <= k < end for k in known)
        if 2 <= len(words) <= 3 and alphabetic and not plain and not inner:
            return _mention(text, start, end, "PER", "rules-guess")
        return None

    def _acronyms(
        self, text: str, tokens: Sequence[_Tok], found: Sequence[Mention]
    ) -> list[Mention]:
        """'East Asia Inter-regional Tourism Forum (EATOF)': the bracketed acronym is an ORG too."""
        out = []
        ends = {m.end: m for m in found if m.type == "ORG"}
        for i in range(1, len(tokens) - 2):
            if tokens[i].text == "(" and tokens[i + 2].text == ")" and tokens[i + 1].text.isupper():
                org = ends.get(tokens[i - 1].end)
                if org and len(tokens[i + 1].text) >= 2:
                    tok = tokens[i + 1]
                    out.append(_mention(text, tok.start, tok.end, "ORG"))
        return out

    def _echoes(
        self,
        text: str,
        tokens: Sequence[_Tok],
        found: Sequence[Mention],
        common: set[str] | frozenset[str],
    ) -> list[Mention]:
        """Later 'Obama' after an earlier 'Barack Obama' (PER): the surname alone is a PER too."""
        names = {}
        for m in found:
            parts = m.text.split()
            if m.type == "PER" and len(parts) >= 2 and parts[-1].lower() not in common:
                names[parts[-1]] = "PER"
        taken = {(m.start, m.end) for m in found}
        out = []
        for tok in tokens:
            if tok.text in names and (tok.start, tok.end) not in taken:
                out.append(_mention(text, tok.start, tok.end, names[tok.text], "rules-guess"))
        return out


def _demonym(word: str) -> bool:
    """'indonesian', 'chinese', 'british': adjectives of nationality, not places."""
    return len(word) > 4 and word.endswith(("ese", "ish", "ian", "ean", "ic", "ans"))


# ---------------------------------------------------------------------------------- Vietnamese

_VI_TITLES = _phrases(
    "Ông|Bà|Đồng chí|Bí thư|Phó Bí thư|Tổng Bí thư|Chủ tịch|Phó Chủ tịch|Thủ tướng|Phó Thủ tướng|"
    "Bộ trưởng|Thứ trưởng|Tổng thống|Phó Tổng thống|Chủ nhiệm|Giám đốc|Phó Giám đốc|"
    "Tổng Giám đốc|Phó Tổng Giám đốc|Tổng biên tập|Phó Tổng biên tập|Đại sứ|Tổng Lãnh sự|"
    "Lãnh sự|Thống đốc|Trưởng ban|Phó Trưởng ban|Trưởng đoàn|Thị trưởng|Nhà báo|Giáo sư|"
    "Tiến sĩ|Thượng tướng|Đại tướng|Trung tướng|Thiếu tướng|Đại tá|Thượng tá|Trung tá|Nhà văn|"
    "Nghệ sĩ|Ca sĩ|Người phát ngôn|Phát ngôn viên|Chánh Văn phòng|Vụ trưởng|Cục trưởng|"
    "Tổng Cục trưởng|Hiệu trưởng|Viện trưởng|Tỉnh trưởng|Hoàng đế|Nhà vua|Vua|Hoàng hậu|"
    "Nữ hoàng|Thái tử|Công chúa|Hoàng tử|Thủ hiến|Chủ tịch nước|Phó Chủ tịch nước|GS|PGS|TS|ThS|"
    "GS.TS|PGS.TS|Đài trưởng|Tổng Thư ký|Thư ký"
)
_VI_ORG_HEADS = _phrases(
    "Ủy ban nhân dân|Hội đồng nhân dân|Ủy ban|UBND|HĐND|Tỉnh ủy|Thành ủy|Huyện ủy|Đảng ủy|"
    "Đảng bộ|Đảng|Tổng công ty|Công ty|Tập đoàn|Trung tâm|Tổng cục|Cục|Chi cục|Bộ|Sở|Vụ|Ban|"
    "Đài|Báo|Tạp chí|Thông tấn xã|Hội|Hiệp hội|Liên đoàn|Liên hiệp|Trường|Đại học|Học viện|Viện|"
    "Bệnh viện|Ngân hàng|Quỹ|Văn phòng|Tòa án|Viện kiểm sát|Công an|Bộ Chỉ huy|Bộ đội|Quân khu|"
    "Hãng|Nhà xuất bản|Quốc hội|Chính phủ|Mặt trận|Liên minh|Tổ chức|Diễn đàn|Hợp tác xã|"
    "Nhà hát|Bảo tàng|Thư viện|Phòng|Khu kinh tế|Ngân hàng Nhà nước|Tổng Lãnh sự quán|"
    "Đại sứ quán|Lãnh sự quán|Cơ quan|Văn phòng đại diện"
)
_VI_SHORT_HEADS = _words("bộ|sở|vụ|ban|đài|báo|hội|viện|cục|trường|quỹ|đảng|hãng|phòng")
_VI_PLACE_WORDS = _words(
    "tỉnh|thành|phố|tp|huyện|quận|xã|phường|thị|trấn|thủ|đô|khu|vực|nước|đặc|tự|trị|thôn|bản|ấp"
)
_VI_LOC_PREFIX = _phrases(
    "tỉnh|thành phố|TP|TP.|huyện|quận|xã|phường|thị xã|thị trấn|thủ đô|sông|núi|đảo|vịnh|biển|"
    "nước|quần đảo|bán đảo|đèo|cửa khẩu|khu tự trị|đặc khu|vùng|miền|cao nguyên|thôn"
)
_VI_STOP = _words(
    "tiếp|đón|gặp|ký|kết|đã|đang|sẽ|với|của|cho|tại|ở|là|được|bị|có|này|đó|về|trong|ngoài|từ|"
    "đến|các|những|một|hai|ba|bốn|năm|nhiều|cùng|như|khi|sau|trước|theo|để|do|vì|nên|thì|mà|"
    "hay|hoặc|lần|ngày|tháng|sáng|chiều|tối|nay|hôm|vừa|mới|đi|làm|việc|tổ|chức|đoàn|phối|hợp|"
    "hội|nghị|phát|biểu|cũng|rất|đều|chủ|trì|dự|thăm|tham|gia|trao|tặng|nhận|chúc|mừng|tiến|"
    "hành|triển|khai|thực|hiện|họp|bàn|thảo|luận|nhấn|mạnh|biết|khẳng|định|đề|đánh|giá|không|"
    "chưa|người|cùng|giữa|và|hoặc|nhằm|qua|trên|dưới|vào|ra|lên|xuống|đây|kia|ấy|gồm|bao|"
    "cả|mỗi|thường|luôn|còn|vẫn|lại|sự|cuộc|việc|năm|số|ông|bà|anh|chị|em|tỉnh|thành|ban|yêu|"
    "phê|quyết|công|cấp|đưa|gửi|mở|đạt|giảm|tăng|kiểm|chỉ|đặt|ủng|hỗ|giới|báo|cáo|xin|muốn|"
    "cần|phải|sắp|nói|hỏi|trả|lời|kêu|gọi|lên|án|cảnh|tuyên|bố"
)
# Streets, schools and the like bear people's names: 'đường Lê Lợi' is no person.
_VI_NAMED_AFTER = _words("đường|phố|ngõ|ngách|hẻm|kiệt|trường|cầu|chợ|bến|lăng|đền|chùa")
_VI_SURNAMES = _words(
    "nguyễn|trần|lê|phạm|hoàng|huỳnh|phan|vũ|võ|đặng|bùi|đỗ|hồ|ngô|dương|lý|đoàn|trịnh|đinh|"
    "lương|mai|tô|tôn|trương|lâm|đào|cao|hà|vương|châu|quách|thái|triệu|kiều|lưu|tạ|chu|mạc|"
    "lại|văn|giang|khổng|từ|phùng|tăng|hứa|la|diệp|doãn|nghiêm|thân|âu|tập|lục"
)


# Capitalised at a sentence start, or by habit, but not names.
_VI_NOT_NAMES = frozenset(
    [
        *(f"thứ {day}" for day in ("hai", "ba", "tư", "năm", "sáu", "bảy")),
        "chủ nhật",
        "nhà nước",
        "trung ương",
        "tổ quốc",
        "tết",
        "đảng",
        "bác",
    ]
)


def _vi_cap(word: str) -> bool:
    return _cap(word) and word[0].isalpha()


class VietnameseRules:
    """Vietnamese names by rule: organisation heads (Bộ, Sở, Đài, Tập đoàn, UBND...) up to a
    place name, titles before people, surname-led names, and place prefixes (tỉnh, thành phố)."""

    name = "rules-vi"
    version = RULES_VERSION
    # An organisation opening with a head word (Sở, Bộ, UBND...) may wrap the mentions an
    # engine found inside it (entities.py): 'Sở Y tế tỉnh Quảng Ninh' is one organisation.
    wraps_engine = True

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        self.gazetteer = gazetteer

    def recognize(self, text: str) -> list[Mention]:
        """Rule mentions in a Vietnamese text (gazetteer-aware when one was given)."""
        known = self.gazetteer.matches(text, "vi") if self.gazetteer else []
        return self.find(text, known)

    def find(self, text: str, known: Sequence[Mention]) -> list[Mention]:
        """Rule mentions, given the gazetteer's mentions of the same text."""
        tokens = _tokens(text)
        index = {t.start: i for i, t in enumerate(tokens)}
        ends = {t.end: i for i, t in enumerate(tokens)}
        known_tok: dict[int, tuple[int, Mention]] = {}
        for m in known:
            if m.start in index and m.end in ends:
                known_tok[index[m.start]] = (ends[m.end] + 1, m)
        orgs = self._orgs(text, tokens, known_tok)
        org_at = {span[0]: span for span in orgs}
        out = [_mention(text, tokens[a].start, tokens[b - 1].end, "ORG") for a, b in orgs]
        out += self._people(text, tokens, known_tok, org_at)
        out += self._places(text, tokens, known_tok, org_at)
        return out

    def _orgs(
        self, text: str, tokens: Sequence[_Tok], known: Mapping[int, tuple[int, Mention]]
    ) -> list[tuple[int, int]]:
        spans = []
        i = 0
        while i < len(tokens):
            n = _phrase_at(tokens, i, _VI_ORG_HEADS) if _vi_cap(tokens[i].text) else 0
            if not n or (
                i > 0 and _vi_cap(tokens[i - 1].text) and not _phrase_at(tokens, i - 1, _VI_TITLES)
            ):
                i += 1
                continue
            end = self._org_end(tokens, i, n, known)
            if end > i + n:
                spans.append((i, end))
                i = end
            else:
                i += 1
        return spans

    def _org_end(
        self, tokens: Sequence[_Tok], i: int, n: int, known: Mapping[int, tuple[int, Mention]]
    ) -> int:
        """Token index just past the organisation name whose head is tokens[i:i+n]."""
        head = " ".join(t.key for t in tokens[i : i + n])
        j = i + n
        if head in _VI_SHORT_HEADS and not (j < len(tokens) and _vi_cap(tokens[j].text)):
            return i + n
        end = i + n
        lower_run = 0
        size = len(tokens)
        while j < size:
            tok = tokens[j]
            key = tok.key
            place = known.get(j)
            if place and place[1].type == "LOC":
                return place[0]
            if _vi_cap(tok.text):
                prev = tokens[j - 1].key
                if _phrase_at(tokens, j, _VI_ORG_HEADS) and prev in {"và", ",", "với", "của"}:
                    break
                if _phrase_at(tokens, j, _VI_TITLES) and end > i + n:
                    break
                run = self._name_run(tokens, j) if key in _VI_SURNAMES else 0
                if run >= 3 or (run >= 2 and end > i + n):
                    break
                j += 1
                end = j
                lower_run = 0
            elif key in {"và", ","} and j + 1 < size and _vi_cap(tokens[j + 1].text):
                if key == "," and not any(t.key == "và" for t in tokens[j + 1 : j + 6]):
                    break
                j += 1
            elif tok.text.isalpha() and key in _VI_PLACE_WORDS:
                lower_run = 2
                j += 1
            elif (
                tok.text.isalpha()
                and lower_run < 2
                and key not in _VI_STOP
                and not (lower_run == 0 and tokens[j - 1].text.isupper())
            ):
                lower_run += 1
                j += 1
                if lower_run == 1:
                    end = j
            else:
                break
        return end

    def _name_run(self, tokens: Sequence[_Tok], j: int) -> int:
        """How many capitalised, alphabetic tokens follow from j (a person's name, maybe)."""
        k = j
        while k < len(tokens) and _vi_cap(tokens[k].text) and tokens[k].text.isalpha():
            k += 1
        return k - j

    def _people(
        self,
        text: str,
        tokens: Sequence[_Tok],
        known: Mapping[int, tuple[int, Mention]],
        org_at: Mapping[int, tuple[int, int]],
    ) -> list[Mention]:
        out = []
        taken = -1
        i = 0
        while i < len(tokens):
            n = _phrase_at(tokens, i, _VI_TITLES)
            if n:
                j = i + n
                while j in org_at or (j in known and known[j][1].type != "PER"):
                    j = org_at[j][1] if j in org_at else known[j][0]
                place = self._leading_place(tokens, j)
                if place is not None:
                    out.append(_mention(text, tokens[j].start, tokens[j].end, "LOC"))
                    j += 1
                k = self._person_end(tokens, j, known)
                if k > j and j > taken:
                    out.append(_mention(text, tokens[j].start, tokens[k - 1].end, "PER"))
                    taken = k - 1
                    i = k
                    continue
                i += n
                continue
            if (
                i > taken
                and tokens[i].key in _VI_SURNAMES
                and _vi_cap(tokens[i].text)
                and (i == 0 or not _vi_cap(tokens[i - 1].text))
                and (i == 0 or tokens[i - 1].key not in _VI_NAMED_AFTER)
            ):
                k = self._person_end(tokens, i, known)
                if 3 <= k - i <= 4 and i not in known:
                    out.append(_mention(text, tokens[i].start, tokens[k - 1].end, "PER"))
                    taken = k - 1
                    i = k
                    continue
            i += 1
        return out

    def _leading_place(self, tokens: Sequence[_Tok], j: int) -> Entity | None:
        """'Thống đốc Hokkaido Suzuki Naomichi': a one-word known place between a title and a
        name of two or more syllables (the gazetteer scan leaves such glued words alone)."""
        if self.gazetteer is None or self._name_run(tokens, j) < 3:
            return None
        entity = self.gazetteer.lookup(tokens[j].text, "vi")
        return entity if entity is not None and entity.type == "LOC" else None

    def _person_end(
        self, tokens: Sequence[_Tok], j: int, known: Mapping[int, tuple[int, Mention]]
    ) -> int:
        """End of a run of 1-4 capitalised syllables from j that is not a place or organisation."""
        k = j
        while k < len(tokens) and k - j < 4:
            tok = tokens[k]
            if not (_vi_cap(tok.text) and tok.text.isalpha()):
                break
            if _phrase_at(tokens, k, _VI_TITLES) or _phrase_at(tokens, k, _VI_ORG_HEADS):
                break
            hit = known.get(k)
            if hit and hit[1].type != "PER":
                break
            k += 1
        return k

    def _places(
        self,
        text: str,
        tokens: Sequence[_Tok],
        known: Mapping[int, tuple[int, Mention]],
        org_at: Mapping[int, tuple[int, int]],
    ) -> list[Mention]:
        out = []
        for i in range(len(tokens)):
            n = _phrase_at(tokens, i, _VI_LOC_PREFIX)
            if not n or (i > 0 and _vi_cap(tokens[i - 1].text) and _vi_cap(tokens[i].text)):
                continue
            j = i + n
            if j in org_at or j >= len(tokens):
                continue
            k = j
            while (
                k < len(tokens)
                and k - j < 4
                and _vi_cap(tokens[k].text)
                and tokens[k].text[0].isalpha()
            ):
                if k > j and (
                    _phrase_at(tokens, k, _VI_ORG_HEADS) or _phrase_at(tokens, k, _VI_TITLES)
                ):
                    break
                k += 1
            if k > j:
                out.append(_mention(text, tokens[j].start, tokens[k - 1].end, "LOC"))
        return out


def fix_vietnamese_mention(text: str, m: Mention) -> Mention | None:
    """Tidy a statistical model's Vietnamese mention: drop leading titles ('Bí thư', 'Thứ
    trưởng') and lower-case words (names start with a capital), type spans opening with an
    administrative head ('Đài', 'Bộ', 'UBND') ORG. None when what is left is no name: nothing
    capitalised, a bare head ('Bộ'), a weekday, a number, an unknown 2-3 letter acronym. Place
    words the model kept ('tỉnh Quảng Ninh', 'quận 1') and its type for a hospital or a school
    stay: they follow the news the model was trained on."""
    tokens = _tokens(m.text)
    i = 0
    while i < len(tokens):
        n = _phrase_at(tokens, i, _VI_TITLES)
        if n:
            i += n
            continue
        n = _phrase_at(tokens, i, _VI_LOC_PREFIX)
        if _vi_cap(tokens[i].text) or (
            n
            and i + n < len(tokens)
            and (_vi_cap(tokens[i + n].text) or tokens[i + n].text[0].isdigit())
        ):
            break
        i += 1
    rest = tokens[i:]
    words = " ".join(t.key for t in rest)
    head = _phrase_at(tokens, i, _VI_ORG_HEADS) if rest else 0
    if (
        not rest
        or words in _VI_NOT_NAMES
        or (len(rest) == 1 and rest[0].text.isupper() and len(rest[0].text) <= 3)
        or head == len(rest)
        or _phrase_at(tokens, i, _VI_LOC_PREFIX) == len(rest)
    ):
        return None
    start = m.start + tokens[i].start
    facility = head and " ".join(t.key for t in tokens[i : i + head]) in _VI_FACILITIES
    etype = "ORG" if head and not facility else m.type
    return replace(m, text=text[start : m.end], start=start, type=etype)


# Heads of places as much as organisations: a model's LOC for them stands.
_VI_FACILITIES = frozenset(
    ["bệnh viện", "trường", "đại học", "học viện", "nhà hát", "bảo tàng", "thư viện", "khu kinh tế"]
)
