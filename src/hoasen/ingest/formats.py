"""Input formats: decide what a file or response is, split JSON batches into articles, and parse
one item (HTML page, plain-text article or JSON record) into a clean `Article`.

HTML main text comes from trafilatura, trimmed to the article readability finds
(`hoasen.ingest.extract`); every format then goes through the same cleaning
(`hoasen.analyze.clean`) and metadata rules (`hoasen.analyze.metadata`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from trafilatura.utils import load_html

from hoasen.analyze.clean import clean_text
from hoasen.analyze.metadata import clean_author, find_dateline, parse_date, writes_day
from hoasen.errors import InputRejected
from hoasen.ingest.charset import decode, is_binary
from hoasen.ingest.extract import link_texts, page_metadata, second_opinion, trim_to_agreement
from hoasen.models import Article, ItemError, RawInput

FORMATS = ("html", "txt", "json", "feed")

_EXTENSIONS = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".shtml": "html",
    ".txt": "txt",
    ".text": "txt",
    ".md": "txt",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".xml": "feed",
    ".rss": "feed",
    ".atom": "feed",
    ".rdf": "feed",
}
_UNSUPPORTED_EXTENSIONS = {
    ".pdf", ".doc", ".docx", ".odt", ".rtf", ".xls", ".xlsx", ".ods", ".csv", ".ppt", ".pptx",
    ".zip", ".tar", ".tgz", ".rar", ".7z", ".bz2", ".xz", ".png", ".jpg", ".jpeg", ".gif",
    ".webp", ".svg", ".bmp", ".tif", ".tiff", ".mp3", ".mp4", ".m4a", ".wav", ".ogg", ".avi",
    ".mov", ".mkv", ".webm", ".exe", ".dll", ".so", ".bin", ".iso", ".epub", ".db", ".sqlite",
}  # fmt: skip
_CONTENT_TYPES = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "text/plain": "txt",
    "text/markdown": "txt",
    "application/json": "json",
    "text/json": "json",
    "application/x-ndjson": "json",
    "application/jsonl": "json",
    "application/x-jsonlines": "json",
    "application/ld+json": "json",
    "application/rss+xml": "feed",
    "application/atom+xml": "feed",
    "application/rdf+xml": "feed",
    "application/xml": "feed",
    "text/xml": "feed",
}
_FEED_ROOT = re.compile(r"<(?:rss|feed|rdf:RDF)[\s>]", re.I)
_HTML_START = re.compile(
    r"<(?:!doctype\s+html|html|head|body|meta|title|div|p|article)[\s>/]", re.I
)

# Documented JSON schema first, then common aliases from other tools' exports.
_JSON_TEXT = ("text", "content", "body", "article", "maintext")
_JSON_HTML = ("html", "content_html", "raw_html")
_JSON_TITLE = ("title", "headline")
_JSON_URL = ("url", "link")
_JSON_DATE = ("published", "date", "published_at", "pubDate", "date_publish", "datePublished")
_JSON_AUTHOR = ("author", "authors", "byline")
_JSON_LANGUAGE = ("language", "lang")
_LIST_KEYS = ("articles", "items", "data", "entries")
_ISO_639_2 = {
    "vie": "vi", "eng": "en", "zho": "zh", "chi": "zh", "jpn": "ja", "kor": "ko", "fra": "fr",
    "fre": "fr", "deu": "de", "ger": "de", "rus": "ru", "spa": "es", "swe": "sv", "tha": "th",
    "ind": "id",
}  # fmt: skip

_TITLE_MAX = 200
_DERIVED_TITLE_MAX = 150
_LABEL_MAX_WORDS = 4
_LABEL_MAX_CHARS = 40
_DATELINE_LOOKAHEAD = 6
_MIN_PAGE_WORDS = 5  # fewer on a whole page is a menu or a "please enable JavaScript" shell
_WORD = re.compile(r"[^\W\d_]+")
_DATE_PARAMS = {
    "original_date": True,
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
# 'Headline | Site' (the site part may hold a hyphen inside a word: 'IT-Learner.de')
_TITLE_SUFFIX = re.compile(
    r"^(.+?)\s*(?:\s[|\-–—›»⋆·:]{1,2}\s|[|｜_]|(?<=[\u3000-\u9fff！？」）])[-—])\s*"
    r"((?:[^|\-–—›»⋆·_｜]|(?<=\w)-(?=\w)){2,40})$"
)
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])")


def detect_format(name: str, content_type: str | None, data: bytes) -> str:
    """'html' | 'txt' | 'json' | 'feed' from the file name, the Content-Type, or the bytes.

    A trailing '.gz' is ignored (the transport already unpacked it). Raises InputRejected for
    kinds hoasen cannot read (PDF, images, office documents, archives...).
    """
    ext = _extension(name)
    if ext in _EXTENSIONS:
        return _EXTENSIONS[ext]
    if ext in _UNSUPPORTED_EXTENSIONS:
        raise InputRejected(f"unsupported file type {ext}")
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _CONTENT_TYPES:
        return _CONTENT_TYPES[mime]
    if mime.startswith(("image/", "audio/", "video/", "font/")) or mime in {
        "application/pdf",
        "application/zip",
        "application/msword",
    }:
        raise InputRejected(f"unsupported content type {mime}")
    return _sniff(data)


def _extension(name: str) -> str:
    base = name.rsplit("?", 1)[0].rsplit("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].lower()
    if base.endswith(".gz"):
        base = base[:-3]
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def _sniff(data: bytes) -> str:
    """Guess the format from the first bytes."""
    if is_binary(data):
        raise InputRejected("unsupported file type: binary data, not text")
    head = data[:4096].decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<?xml") or _FEED_ROOT.match(head):
        return "feed" if _FEED_ROOT.search(head) or not _HTML_START.search(head) else "html"
    if head.startswith("<") and _HTML_START.search(head[:1024]):
        return "html"
    return "txt"


def split_items(raw: RawInput) -> Iterator[RawInput | ItemError]:
    """Split a JSON object/array or JSON Lines file into one item per article (origin
    'path#N', N the 1-based line or array index); a broken line becomes an ItemError and the
    rest go on. Other formats pass through unchanged."""
    if raw.fmt != "json":
        yield raw
        return
    text = _decode_or_reject(raw)
    try:
        whole = json.loads(text)
    except json.JSONDecodeError as exc:
        yield from _split_lines(raw, text, exc)
        return
    if isinstance(whole, dict):
        listed = _listed_articles(whole)
        if listed is None:
            yield raw
            return
        whole = listed
    if not isinstance(whole, list):
        raise InputRejected("JSON file holds neither an article object nor a list of them")
    for index, item in enumerate(whole, start=1):
        yield _json_item(raw, f"{raw.origin}#{index}", item)


def _listed_articles(obj: dict[str, Any]) -> list[Any] | None:
    """{"articles": [...]} style wrappers: the list, when the object itself is no article."""
    if any(k in obj for k in _JSON_TEXT + _JSON_HTML):
        return None
    for key in _LIST_KEYS:
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return None


def _split_lines(
    raw: RawInput, text: str, error: json.JSONDecodeError
) -> Iterator[RawInput | ItemError]:
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    results: list[RawInput | ItemError] = []
    for number, line in lines:
        origin = f"{raw.origin}#{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            results.append(ItemError(origin, f"line {number} is not valid JSON ({exc.msg})"))
            continue
        results.append(_json_item(raw, origin, item, line.strip().encode("utf-8")))
    if not any(isinstance(r, RawInput) for r in results) and len(lines) != 1:
        # Nothing parsed line by line: a broken (pretty-printed) JSON document, not JSON Lines.
        raise InputRejected(
            f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        )
    if len(lines) == 1 and isinstance(results[0], ItemError):
        raise InputRejected(f"not valid JSON: {error.msg} at column {error.colno}")
    yield from results


def _json_item(
    raw: RawInput, origin: str, item: object, data: bytes | None = None
) -> RawInput | ItemError:
    if not isinstance(item, dict):
        return ItemError(origin, "JSON item is not an object with article fields")
    return replace(raw, origin=origin, data=data if data is not None else _dump(item))


def _dump(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")


def parse(raw: RawInput) -> Article:
    """One item -> a clean Article (title, text, url, source_url, author, published...).

    A feed entry's `hints` (title, published, author) win over what the page itself suggests.
    Raises InputRejected with a plain reason: empty or binary file, no main text, bad JSON.
    """
    if not raw.data.strip():
        raise InputRejected("empty file")
    if raw.fmt == "html":
        article = _parse_html(raw, _decode_or_reject(raw))
    elif raw.fmt == "txt":
        article = _parse_txt(raw, _decode_or_reject(raw))
    elif raw.fmt == "json":
        article = _parse_json(raw)
    elif raw.fmt == "feed":
        raise InputRejected("this is a news feed (RSS/Atom), not an article: add it as a source")
    else:
        raise InputRejected(f"unsupported format {raw.fmt!r}")
    article = _apply_hints(article, raw.hints) if raw.hints else article
    if article.published is None and raw.last_modified is not None:
        article = replace(article, published=raw.last_modified, published_source="http")
    return article


def _apply_hints(article: Article, hints: dict[str, str]) -> Article:
    """Feed metadata is the publisher's own: trust its headline and date over page heuristics."""
    title = " ".join(hints.get("title", "").split())
    published = _date_from_meta(hints.get("published", "").strip())
    author = article.author or clean_author(hints.get("author"))
    return replace(
        article,
        title=_nfc(title) if title else article.title,
        published=published or article.published,
        published_source=hints.get("published_source", "feed")
        if published
        else article.published_source,
        author=author,
    )


def _decode_or_reject(raw: RawInput) -> str:
    text = decode(raw.data, raw.content_type)
    if not text.strip():
        raise InputRejected("empty file")
    return text


# --- HTML -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HtmlExtractor:
    """The trafilatura settings used for every page (chosen on the extraction evaluation)."""

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True

    def extract(self, html: str, url: str | None) -> tuple[str, dict[str, str | None]]:
        """Main text and metadata (title, author, date, url, sitename) of one page; the
        furniture around the article that readability leaves out is trimmed off the text."""
        try:
            # A fragment (e.g. a JSON record's 'html') is wrapped so lxml sees a document.
            tree = load_html(html)
            if tree is None:
                tree = load_html(f"<html><body>{html}</body></html>")
            if tree is None:
                raise InputRejected("not a readable HTML page")
            headings = [" ".join(h.text_content().split()) for h in tree.iter("h1")]
            second, links = second_opinion(tree), link_texts(tree)
            found = page_metadata(tree, url, _DATE_PARAMS)
            doc = trafilatura.bare_extraction(
                tree,
                url=url or found.url,
                with_metadata=False,
                include_comments=False,
                include_tables=self.include_tables,
                favor_precision=self.favor_precision,
                favor_recall=self.favor_recall,
            )
        except (ValueError, TypeError, AttributeError, RecursionError) as exc:
            raise InputRejected(f"could not read the HTML page ({type(exc).__name__})") from exc
        canonical = _canonical(tree, url)
        headings = [h for h in headings if h]
        headline = headings[0] if len(headings) == 1 else None  # one h1: the page's headline
        if doc is None or isinstance(doc, dict):
            return "", {"canonical": canonical, "headline": headline}
        meta = {
            "title": found.title,
            "author": found.author,
            "date": found.date,
            "url": found.url,
            "sitename": found.sitename,
            "hostname": found.hostname,
            "canonical": canonical,
            "headline": headline,
        }
        return trim_to_agreement(doc.text or "", second, links), meta


_EXTRACTOR = HtmlExtractor()


def _canonical(tree: Any, base: str | None) -> str | None:
    """<link rel="canonical">, made absolute against the page URL when relative."""
    for link in tree.iterfind(".//link[@rel][@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = urljoin(base or "", (link.get("href") or "").strip())
            if href.startswith(("http://", "https://")):
                return href
    return None


def _parse_html(raw: RawInput, html: str, title_hint: str | None = None) -> Article:
    text, meta = _EXTRACTOR.extract(html, raw.url)
    cleaned = clean_text(text)
    lines = cleaned.text.split("\n")
    site = (meta.get("sitename"), meta.get("hostname"), _host(raw.url))
    title = _headline_within(_strip_site(meta.get("title"), site), meta.get("headline"))
    title = title or title_hint
    # A dateline at the top of the text beats the page metadata (often a crawl or site date).
    published = _page_date(meta.get("date"), html, raw.url)
    dateline = find_dateline(lines[:_DATELINE_LOOKAHEAD])
    if dateline is not None:
        index, published = dateline
        del lines[index]
    body = _tidy(lines)
    if not _has_words(body, _MIN_PAGE_WORDS):
        raise InputRejected("no main text found on the page")
    return Article(
        title=_nfc(title_hint or title or _title_from_text(body)),
        text=body,
        url=raw.url or meta.get("url"),
        canonical_url=meta.get("canonical"),
        source_url=cleaned.source_url,
        author=clean_author(meta.get("author")),
        published=published,
        published_source="page" if published else None,
        source_name=raw.source_name,
    )


def _strip_site(title: str | None, names: tuple[str | None, ...]) -> str | None:
    """'Headline | Site' -> 'Headline' when the last part names the site (its name or host)."""
    if not title:
        return None
    title = " ".join(title.split())
    keys = {_alnum(n.removeprefix("www.")) for n in names if n}
    keys.discard("")
    match = _TITLE_SUFFIX.match(title)
    if match and keys:
        head, tail = match.group(1).strip(), _alnum(match.group(2))
        if len(head) >= 8 and tail and any(tail in k or k in tail for k in keys):
            return head
    return title


def _headline_within(title: str | None, headline: str | None) -> str | None:
    """The page's only h1 when the metadata title holds it plus more ('Section - Headline -
    Site', 'Headline: a subtitle'): the h1 is the headline itself. On the extraction
    evaluation this fixes 35 of 845 titles and breaks none."""
    if not title or not headline or len(headline.split()) < 3:
        return title
    inner, outer = headline.casefold(), title.casefold()
    return headline if inner != outer and inner in outer else title


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


def _page_date(value: str | None, html: str, url: str | None) -> datetime | None:
    """The page's metadata date, unless it is only a year or a month in disguise: the date
    finder turns "năm 2025" or a copyright line into 1 January, and "tháng 3/2025" into 1 March.
    A first of the month at midnight is kept only when the page or its URL writes that day."""
    day = _date_from_meta(value)
    if day is None or day.day != 1 or (day.hour, day.minute, day.second) != (0, 0, 0):
        return day
    return day if writes_day(f"{url or ''} {html}", day) else None


def _date_from_meta(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return parse_date(value)
    return day.replace(tzinfo=UTC) if day.tzinfo is None else day.astimezone(UTC)


# --- plain text -----------------------------------------------------------------------------


def _parse_txt(raw: RawInput, text: str, title: str | None = None) -> Article:
    """Plain text: title from the first lines (unless given), dateline read and removed.

    A brief (a flash, a social post, a one-paragraph item) is news too: when taking the title
    would leave no body, the text itself is the body. Only page furniture alone is refused.
    """
    cleaned = clean_text(_nfc(text))
    all_lines = cleaned.text.split("\n")
    lines = all_lines
    published = None
    dateline = find_dateline(lines[: _DATELINE_LOOKAHEAD + 1])  # before the title: never one
    if dateline is not None:
        index, published = dateline
        lines = lines[:index] + lines[index + 1 :]
    if title is None:
        title, lines = _take_title(lines)
    elif lines and _same_line(lines[0], title):
        lines = lines[1:]
    body = _tidy(lines) or _tidy(all_lines)
    if not body:
        raise InputRejected("no article text found (only page furniture)")
    return Article(
        title=_nfc(title) if title else _title_from_text(body),
        text=body,
        url=raw.url,
        source_url=cleaned.source_url,
        published=published,
        published_source="page" if published else None,
        source_name=raw.source_name,
    )


def _take_title(lines: list[str]) -> tuple[str | None, list[str]]:
    """The title line and the remaining lines. A short section label ('Investment News') right
    before the real headline is dropped; a first line that is a paragraph stays in the text."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    if not filled:
        return None, lines
    first = lines[filled[0]].strip()
    if len(filled) > 1 and _is_label(first):
        second = lines[filled[1]].strip()
        if _is_headline(second) and len(second) > len(first):
            return second, lines[filled[1] + 1 :]
    if _is_headline(first):
        return first, lines[filled[0] + 1 :]
    return None, lines


def _is_label(line: str) -> bool:
    return (
        len(line) <= _LABEL_MAX_CHARS
        and len(line.split()) <= _LABEL_MAX_WORDS
        and not line.endswith((".", ":", "。", "!", "?"))
    )


def _is_headline(line: str) -> bool:
    """Short and not ending like a sentence (a trailing '...' is fine)."""
    if len(line) > _TITLE_MAX:
        return False
    return line.endswith(("...", "…")) or not line.endswith((".", "。", ":", "："))


def _title_from_text(text: str) -> str:
    """A title for an untitled text: its first sentence, shortened at a word boundary."""
    first = next((line for line in text.split("\n") if line.strip()), "").strip()
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0].strip()
    if len(sentence) <= _DERIVED_TITLE_MAX:
        return sentence
    cut = sentence[:_DERIVED_TITLE_MAX].rsplit(" ", 1)[0]
    return cut.rstrip(",;:- ") + "…"


# --- JSON -----------------------------------------------------------------------------------


def _parse_json(raw: RawInput) -> Article:
    try:
        item = json.loads(_decode_or_reject(raw))
    except json.JSONDecodeError as exc:
        raise InputRejected(f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if isinstance(item, list):
        raise InputRejected("a JSON list of articles: ingest the file so each item is read")
    if not isinstance(item, dict):
        raise InputRejected("JSON item is not an object with article fields")
    url = _json_str(item, _JSON_URL)
    title = _json_str(item, _JSON_TITLE)
    text = _json_str(item, _JSON_TEXT)
    source = _json_str(item, ("source", "source_url", "sitename"))
    source_url = source if source and source.startswith(("http://", "https://")) else None
    source_name = raw.source_name or (source if source and not source_url else None)
    item_raw = replace(raw, url=url or raw.url, source_name=source_name)
    if text and text.strip():
        article = _parse_txt(item_raw, text, title)
    else:
        html = _json_str(item, _JSON_HTML)
        if not html or not html.strip():
            raise InputRejected("JSON item has no 'text' or 'html' field with article text")
        article = _parse_html(item_raw, _nfc(html), title_hint=title)
    published = _json_date(item)
    author = clean_author(_json_author(item))
    return replace(
        article,
        title=_nfc(title) if title else article.title,
        language=_json_language(item),
        published=published or article.published,
        published_source="input" if published else article.published_source,
        author=author or article.author,
        source_url=source_url or article.source_url,
    )


def _json_str(item: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = item.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _json_author(item: dict[str, Any]) -> str | None:
    """'author' as a string, a {"name": ...} object, or a list of either."""
    for key in _JSON_AUTHOR:
        value = item.get(key)
        names = [_person(v) for v in value] if isinstance(value, list) else [_person(value)]
        joined = ", ".join(n for n in names if n)
        if joined:
            return joined
    return None


def _person(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("name")
    return value.strip() or None if isinstance(value, str) else None


def _json_date(item: dict[str, Any]) -> datetime | None:
    for key in _JSON_DATE:
        value = item.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            seconds = value / 1000 if value > 10**11 else value
            try:
                return datetime.fromtimestamp(seconds, UTC)
            except (OverflowError, OSError, ValueError):
                return None
        if isinstance(value, str) and value.strip():
            return _date_from_meta(value.strip())
    return None


def _json_language(item: dict[str, Any]) -> str | None:
    """The declared ISO 639-1 code ('vi-VN' -> 'vi', 'vie' -> 'vi'); None when unusable."""
    value = _json_str(item, _JSON_LANGUAGE)
    if not value:
        return None
    code = re.split(r"[-_]", value.strip().lower(), maxsplit=1)[0]
    code = _ISO_639_2.get(code, code)
    return code if len(code) == 2 and code.isalpha() and code.isascii() else None


# --- shared helpers -------------------------------------------------------------------------


def _has_words(text: str, minimum: int) -> bool:
    """At least `minimum` words, each CJK character counted as one (those scripts write no
    spaces); stops counting once there are enough."""
    count = 0
    for match in _WORD.finditer(text):
        count += sum(1 for ch in match.group() if _is_cjk(ch)) or 1
        if count >= minimum:
            return True
    return False


def _is_cjk(ch: str) -> bool:
    return "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af"


def _same_line(line: str, title: str) -> bool:
    return " ".join(line.split()).casefold() == " ".join(title.split()).casefold()


def _tidy(lines: list[str]) -> str:
    """Join lines, at most one blank line in a row, none at the ends."""
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
