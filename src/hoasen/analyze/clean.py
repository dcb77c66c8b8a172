"""Remove the junk that news aggregators leave in article text, line by line.

Only whole lines that are clearly furniture go: comment counters, ad slots, tag lists, view
counters, share/print buttons, "PREV/NEXT" links, "Other news" blocks made of headlines, and
"Source: URL" lines (kept as `source_url`). A sentence that merely mentions "source" or "share"
is never touched. Per-source boilerplate learned across articles is handled by `strip_learned`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

_MAX_KEY_LINE = 200
_MAX_NAV_LINE = 160

_SOURCE = re.compile(
    r"^[(\[]?\s*(?:source|sources|source url|original|nguồn|nguồn tin|källa|quelle|fuente|"
    r"источник|sumber|来源|來源|出处|出處|原文|原文链接|原文連結)\s*[:：]\s*"
    r"(https?://[^\s<>\"')\]]+)\s*[)\]]?\s*$",
    re.I,
)
_PREV_NEXT = re.compile(r"^(?:PREV|NEXT|PREVIOUS)\b[\s:»›>-]")
_PREV_NEXT_WORDS = re.compile(
    r"^(?:previous|next) (?:article|post|story)\b|^(?:bài|tin) (?:trước|sau)\b|"
    r"^(?:föregående|nästa) (?:artikel|nyhet)\b|^(?:上一篇|下一篇|上一页|下一页)",
    re.I,
)
_COMMENT_WORDS = (
    r"comments?|kommentar(?:er)?|kommentare?|bình luận|ý kiến(?: bạn đọc)?|commentaires?|"
    r"comentarios?|комментари[ейя]?|komentar|评论|評論|留言|コメント|댓글"
)
_COMMENTS = re.compile(
    rf"^(?:view |show |read |post a |leave a |add a |viết |gửi )?(?:{_COMMENT_WORDS})"
    r"\s*(?:[(\[]\s*\d+\s*[)\]]|[:：]?\s*\d+)?$"
    rf"|^\d+\s*(?:{_COMMENT_WORDS})$"
    r"|^(?:no comments(?: yet)?|keine kommentare|inga kommentarer|aucun commentaire|"
    r"sin comentarios|chưa có bình luận(?: nào)?|暂无评论|暫無評論)\b.{0,80}$",
    re.I,
)
# An inline link to another story: "Read more: <headline>", "Xem thêm: ...", "Lea también: ...".
_READ_MORE = re.compile(
    r"^[>»›\s-]*(?:read more|read also|also read|see also|related|more on this|"
    r"lea también|lea más|le puede interesar|vea también|lesen sie auch|mehr zum thema|"
    r"läs också|läs även|läs mer|lire aussi|à lire aussi|voir aussi|leia também|"
    r"читайте также|baca juga|xem thêm|đọc thêm|tin liên quan|bài liên quan|"
    r"延伸阅读|延伸閱讀|相关阅读|相關閱讀|相关新闻|相關新聞|推荐阅读|あわせて読みたい|관련기사)"
    r"\s*[:：>»]",
    re.I,
)
_FOLLOW = re.compile(
    r"^(?:follow|like|join) (?:us|[\w.@ ]{2,40}?) on (?:twitter|facebook|instagram|x|youtube|"
    r"telegram|whatsapp|tiktok|linkedin|zalo|google news)\b",
    re.I,
)
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:photo|photos|photo credit|credits?|crédits? photos?|foto|fotos|ảnh|bild|"
    r"image|图|圖|图片|圖片|摄影|攝影)\s*[:：]\s*[^.!?。]{1,60}[)\]]?$",
    re.I,
)
_AD_SLOT = re.compile(
    r"^\[\s*(?:annons|ads?|advert\w*|quảng cáo|qc|banner|anzeige|publicité|广告)[\w\s-]*\]$"
    r"|^(?:advertisement|annons|anzeige|publicité|publicidad|quảng cáo|реклама|iklan|广告|廣告)$",
    re.I,
)
_TAGS = re.compile(
    r"^(?:tags?|từ khóa|từ khoá|keywords?|nyckelord|taggar|schlagwörter|schlagworte|"
    r"mots[- ]clés|etiquetas|palabras clave|теги|ключевые слова|label|标签|標籤|关键词|關鍵字|"
    r"关键字|タグ|태그)\s*[:：]",
    re.I,
)
_IN_LANGUAGE = re.compile(
    r"^(?:the|this) article is (?:written |originally )?in [\w -]{3,30}\.?$|"
    r"^artikeln är (?:skriven )?på [\w -]{3,30}\.?$|"
    r"^bài viết (?:bằng|được viết bằng) tiếng [\w ]{2,20}\.?$",
    re.I,
)
_VIEW_WORDS = (
    r"lượt xem|lượt đọc|số lượt xem|views?|visningar|aufrufe|vues|visitas|просмотр\w*|dilihat|"
    r"阅读|阅读量|閱讀|浏览|浏览次数|瀏覽|点击|點擊|点阅|點閱"
)
_VIEWS = re.compile(
    rf"^(?:(?:{_VIEW_WORDS})\s*[:：]?\s*\d[\d.,\s]*|\d[\d.,]*\s*(?:{_VIEW_WORDS}|次浏览|次阅读))$",
    re.I,
)
_VIEWS_TAIL = re.compile(rf"[\s,;|·•-]*(?:{_VIEW_WORDS})\s*[:：]\s*\d[\d.,]*\s*$", re.I)
_NAV_HEADERS = {
    "other news",
    "other articles",
    "more news",
    "more stories",
    "related news",
    "related articles",
    "related stories",
    "related posts",
    "related",
    "read more",
    "see also",
    "you may also like",
    "recommended",
    "most read",
    "latest news",
    "more on this story",
    "top stories",
    "trending",
    "tin khác",
    "các tin khác",
    "tin liên quan",
    "bài liên quan",
    "tin cùng chuyên mục",
    "xem thêm",
    "đọc thêm",
    "đọc nhiều",
    "tin mới",
    "tin mới nhất",
    "andra nyheter",
    "fler nyheter",
    "relaterade artiklar",
    "läs mer",
    "läs även",
    "weitere nachrichten",
    "das könnte sie auch interessieren",
    "mehr zum thema",
    "weitere themen",
    "mehr themen",
    "zum weiterlesen",
    "lesen sie auch",
    "weitere artikel zum thema",
    "temas",
    "temas relacionados",
    "autres articles",
    "à lire aussi",
    "lire aussi",
    "noticias relacionadas",
    "otras noticias",
    "другие новости",
    "читайте также",
    "berita lainnya",
    "berita terkait",
    "baca juga",
    "相关新闻",
    "相關新聞",
    "相关阅读",
    "相關閱讀",
    "其他新闻",
    "推荐阅读",
    "延伸阅读",
    "延伸閱讀",
    "热点新闻",
    "関連記事",
    "관련기사",
}
_SHARE_WORDS = {
    "share",
    "share this",
    "share this article",
    "share this story",
    "share on facebook",
    "share on twitter",
    "tweet",
    "print",
    "print this article",
    "print this page",
    "email",
    "e-mail",
    "copy link",
    "facebook",
    "twitter",
    "x",
    "linkedin",
    "zalo",
    "whatsapp",
    "telegram",
    "pinterest",
    "reddit",
    "weibo",
    "wechat",
    "line",
    "back to top",
    "go to top",
    "to top",
    "top",
    "in bài",
    "in bài viết",
    "chia sẻ",
    "chia sẻ bài viết",
    "sao chép link",
    "lên đầu trang",
    "về đầu trang",
    "gửi bài viết",
    "dela",
    "dela artikeln",
    "skriv ut",
    "till toppen",
    "teilen",
    "drucken",
    "nach oben",
    "partager",
    "imprimer",
    "compartir",
    "imprimir",
    "поделиться",
    "bagikan",
    "cetak",
    "分享",
    "分享到",
    "打印",
    "返回顶部",
    "回到顶部",
    "字号",
    "大",
    "中",
    "小",
}
_SHARE_SPLIT = re.compile(r"\s*[|/·•,]\s*|\s{2,}")
_WS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_DIGITS = re.compile(r"\d+")
_MENU_SPLIT = re.compile(r"\s[|·•»/-]\s|[|｜]")
_MENU_MIN_ITEMS = 4
_COPYRIGHT = re.compile(
    r"^(?:copyright\s*(?:©|\(c\)|@)?\s*(?:\d{4}|©)|©|\(c\)\s*\d{4})|all rights reserved\.?$|"
    r"版权所有|版權所有",
    re.I,
)
_HAS_WORD = re.compile(r"[^\W_]")
_EMPTY_CELLS = re.compile(r"\s*\|(?:\s*\|)+\s*")


@dataclass(frozen=True)
class Cleaned:
    """Cleaned article text, the "Source: URL" it named (if any) and the lines removed."""

    text: str
    source_url: str | None
    removed: tuple[str, ...]


def clean_text(text: str) -> Cleaned:
    """Drop aggregator junk lines and capture a 'Source: URL' line as `source_url`."""
    source_url: str | None = None
    removed: list[str] = []
    kept: list[str] = []
    markers: list[int] = []  # positions in `kept` where an "Other news"/"PREV" line stood
    for raw_line in _lines(text):
        line = raw_line.strip()
        if not line.startswith("|") and _is_menu(line):
            removed.append(line)
            continue
        line = _tidy_table_row(line)
        if not line:
            kept.append("")
            continue
        if not _HAS_WORD.search(line):
            removed.append(line)
            continue
        match = _SOURCE.match(line)
        if match:
            if source_url is None:
                source_url = match.group(1).rstrip(".,;")
            removed.append(line)
            continue
        stripped = _strip_view_tail(line)
        if stripped != line:
            removed.append(line[len(stripped) :].strip(" ,;|·•-"))
            if not stripped:
                continue
            line = stripped
        if is_junk_line(line):
            if _is_navigation_marker(line):
                markers.append(len(kept))
            removed.append(line)
            continue
        if line == _last_nonblank(kept):
            removed.append(line)
            continue
        kept.append(line)
    for start in markers:
        tail = [line for line in kept[start:] if line]
        if all(_is_headline(line) for line in tail):
            removed.extend(tail)
            del kept[start:]
            break
    return Cleaned(_join(kept), source_url, tuple(removed))


def is_junk_line(line: str) -> bool:
    """True for one whole line of page furniture (counter, ad slot, tags, share button...)."""
    if len(line) > 300:
        return False
    if _PREV_NEXT.match(line) or _PREV_NEXT_WORDS.match(line):
        return len(line) <= _MAX_KEY_LINE
    if _COMMENTS.match(line) or _AD_SLOT.match(line) or _VIEWS.match(line):
        return True
    if len(line) <= 150 and _COPYRIGHT.search(line):
        return True
    if len(line) <= _MAX_KEY_LINE and (
        _READ_MORE.match(line) or _FOLLOW.match(line) or _CREDIT.match(line)
    ):
        return True
    if _IN_LANGUAGE.match(line) or _TAGS.match(line):
        return True
    folded = line.casefold().rstrip(" :：»›>")
    if folded in _NAV_HEADERS:
        return True
    if len(line) <= 80:
        parts = [p for p in _SHARE_SPLIT.split(folded.strip(" :")) if p]
        if parts and all(p in _SHARE_WORDS for p in parts):
            # Single short words ("X", "top", "中") only count alongside a real share word.
            return len(parts) > 1 or len(parts[0]) > 3
    return False


def boilerplate_key(line: str) -> str | None:
    """A 16-hex-char hash of a line, normalised (case, spaces, digits), for learning a source's
    repeated lines; None for lines too short or too long (> 200 chars) to be boilerplate."""
    norm = _normalise_key(line)
    if len(norm) < 2 or len(norm) > _MAX_KEY_LINE:
        return None
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=8).hexdigest()


def strip_learned(text: str, counts: Mapping[str, int], min_docs: int) -> str:
    """Drop lines whose boilerplate_key was seen in at least `min_docs` earlier articles."""
    kept = []
    for line in text.split("\n"):
        key = boilerplate_key(line) if line.strip() else None
        if key is not None and counts.get(key, 0) >= min_docs:
            continue
        kept.append(line)
    return _join(kept)


def _normalise_key(line: str) -> str:
    text = unicodedata.normalize("NFKC", line).casefold()
    text = _DIGITS.sub("0", _WS.sub(" ", text)).strip()
    return text


def _lines(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    return [_WS.sub(" ", line) for line in text.split("\n")]


def _strip_view_tail(line: str) -> str:
    """'Publish date 04-10-2023 16:01, Lượt xem: 12' -> 'Publish date 04-10-2023 16:01'."""
    if len(line) > 120:
        return line
    return _VIEWS_TAIL.sub("", line).strip() if _VIEWS_TAIL.search(line) else line


def _last_nonblank(lines: list[str]) -> str | None:
    for line in reversed(lines):
        if line:
            return line
    return None


def _is_menu(line: str) -> bool:
    """'Home | News | Sport | Business' or '首页 - 新闻 - 体育 - 娱乐': a row of menu links."""
    parts = _menu_parts(line)
    if len(parts) < _MENU_MIN_ITEMS:
        return False
    return all(len(p) <= 16 and len(p.split()) <= 3 and not p[-1].isdigit() for p in parts)


def _menu_parts(line: str) -> list[str]:
    return [p for p in (part.strip() for part in _MENU_SPLIT.split(line)) if p]


def _tidy_table_row(line: str) -> str:
    """'| | Author: X | |' -> 'Author: X': empty cells of layout tables are noise. A row with
    many cells keeps its frame, so it is never mistaken for a menu later."""
    if not line.startswith("|") and not line.endswith("|"):
        return line
    cells = _EMPTY_CELLS.sub(" | ", line).strip(" |")
    return f"| {cells} |" if len(_menu_parts(cells)) >= _MENU_MIN_ITEMS else cells


def _is_navigation_marker(line: str) -> bool:
    """'Other news', 'Tin khác', 'PREV ...': a line after which only headline links follow."""
    folded = line.casefold().rstrip(" :：»›>")
    return folded in _NAV_HEADERS or bool(_PREV_NEXT.match(line) or _PREV_NEXT_WORDS.match(line))


def _is_headline(line: str) -> bool:
    """A short line that is not a sentence: what a list of links to other articles looks like."""
    if len(line) > _MAX_NAV_LINE:
        return False
    return not line.endswith((".", "。", '."', ".”", ".'")) or line.endswith(("...", "…"))


def _join(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
