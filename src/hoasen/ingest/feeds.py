"""Feeds (RSS 0.9x/1.0/2.0, Atom, JSON Feed) and single pages, fetched into `RawInput` items.

A feed poll follows each new entry's link to the full page; when the page cannot be fetched but
the feed carries enough of the article, the entry's own content is used instead.
"""

from __future__ import annotations

import asyncio
import calendar
import html
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from hoasen.errors import InputRejected
from hoasen.ingest.http import SafeFetcher
from hoasen.models import ItemError, RawInput

FEED_ACCEPT = (
    "application/rss+xml,application/atom+xml,application/feed+json,application/rdf+xml;q=0.9,"
    "application/xml;q=0.8,text/xml;q=0.8,application/json;q=0.7,*/*;q=0.5"
)
SUBSTANTIAL_TEXT = 200  # characters of entry text that make a usable fallback article

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_HTML_PAGE = re.compile(rb"<(?:!doctype\s+html|html)[\s>]", re.I)
_EMAIL_NAME = re.compile(r"^[^\s@()]+@[^\s()]+\s*\((.+)\)$")
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"


@dataclass(frozen=True)
class FeedEntry:
    """One feed entry: its link and what the feed itself says about the article."""

    link: str | None
    title: str | None
    published: datetime | None
    author: str | None
    content_html: str | None


@dataclass(frozen=True)
class Feed:
    """A parsed feed."""

    title: str | None
    entries: list[FeedEntry]


@dataclass(frozen=True)
class FeedPoll:
    """What one feed poll brought: items for the pipeline and the feed's new cache keys."""

    items: list[RawInput | ItemError]
    etag: str | None
    last_modified: str | None
    not_modified: bool


# ---------------------------------------------------------------------- parsing


def parse_feed(data: bytes, url: str | None = None) -> Feed:
    """Parse RSS, Atom or JSON Feed bytes; InputRejected('malformed feed: ...') for other data."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return _parse_json_feed(data, url)
    # A stream, never bytes or str: feedparser would treat those as a file name or URL to open.
    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers={"content-location": url} if url else None,
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    entries = [e for e in parsed.get("entries") or [] if _useful(e)]
    if not parsed.get("version"):
        if _HTML_PAGE.search(data[:2048]):
            raise InputRejected("malformed feed: this is a web page (HTML), not a feed")
        if parsed.get("bozo"):
            raise InputRejected(f"malformed feed: {_bozo_reason(parsed)}")
        raise InputRejected("malformed feed: not an RSS, Atom or JSON feed")
    if parsed.get("bozo") and not entries:
        raise InputRejected(f"malformed feed: {_bozo_reason(parsed)}")
    info = parsed.get("feed") or {}
    return Feed(
        title=_clean_str(info.get("title")),
        entries=[_feedparser_entry(e, url) for e in entries],
    )


def _useful(entry: Any) -> bool:
    """False for the empty shells feedparser's lenient parser leaves from broken XML."""
    return any(entry.get(key) for key in ("link", "title", "summary", "content"))


def _bozo_reason(parsed: Any) -> str:
    exc = parsed.get("bozo_exception")
    text = str(exc).strip() if exc is not None else ""
    return text or "not well-formed XML"


def _feedparser_entry(entry: Any, base: str | None) -> FeedEntry:
    content_html: str | None = None
    for part in entry.get("content") or []:
        value = part.get("value")
        if value and (content_html is None or len(value) > len(content_html)):
            content_html = value
    summary = entry.get("summary")
    if summary and (content_html is None or len(_text_of(summary)) > len(_text_of(content_html))):
        content_html = summary
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return FeedEntry(
        link=_web_link(entry.get("link"), base),
        title=_clean_str(entry.get("title")),
        published=_from_struct(stamp),
        author=_rss_author(entry.get("author")),
        content_html=content_html or None,
    )


def _rss_author(value: object) -> str | None:
    """'desk@site.example (Jane Roe)' -> 'Jane Roe' (RSS puts an e-mail address first)."""
    text = _clean_str(value)
    if text is None:
        return None
    match = _EMAIL_NAME.match(text)
    return match.group(1).strip() if match else text


def _from_struct(stamp: time.struct_time | None) -> datetime | None:
    if stamp is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _parse_json_feed(data: bytes, url: str | None) -> Feed:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputRejected(f"malformed feed: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise InputRejected("malformed feed: JSON, but not a JSON Feed")
    version = doc.get("version")
    items = doc.get("items")
    is_feed = isinstance(version, str) and version.startswith(_JSON_FEED_VERSION)
    if not is_feed or not isinstance(items, list):
        raise InputRejected("malformed feed: JSON, but not a JSON Feed")
    base = url or _str_or_none(doc.get("home_page_url")) or _str_or_none(doc.get("feed_url"))
    feed_authors = _json_authors(doc)
    entries = [_json_entry(item, base, feed_authors) for item in items if isinstance(item, dict)]
    return Feed(title=_clean_str(doc.get("title")), entries=entries)


def _json_entry(item: dict[str, Any], base: str | None, feed_author: str | None) -> FeedEntry:
    content = _str_or_none(item.get("content_html"))
    if content is None:
        text = _str_or_none(item.get("content_text")) or _str_or_none(item.get("summary"))
        if text is not None:
            content = "".join(
                f"<p>{html.escape(p.strip())}</p>" for p in re.split(r"\n\s*\n", text) if p.strip()
            )
    link = _str_or_none(item.get("url")) or _str_or_none(item.get("external_url"))
    return FeedEntry(
        link=_web_link(link, base),
        title=_clean_str(item.get("title")),
        published=_iso_date(item.get("date_published") or item.get("date_modified")),
        author=_json_authors(item) or feed_author,
        content_html=content,
    )


def _json_authors(obj: dict[str, Any]) -> str | None:
    authors = obj.get("authors")
    if not isinstance(authors, list):
        single = obj.get("author")
        authors = [single] if isinstance(single, dict) else []
    names = [_clean_str(a.get("name")) for a in authors if isinstance(a, dict)]
    joined = ", ".join(n for n in names if n)
    return joined or None


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _web_link(link: object, base: str | None) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    full = urljoin(base, link.strip()) if base else link.strip()
    return full if urlsplit(full).scheme in {"http", "https"} else None


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _clean_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = _SPACE.sub(" ", html.unescape(value)).strip()
    return text or None


def _text_of(fragment: str | None) -> str:
    """Visible text of an HTML fragment, roughly (to judge whether an entry has an article)."""
    if not fragment:
        return ""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", fragment))).strip()


# ---------------------------------------------------------------------- items


def entry_to_raw(entry: FeedEntry, feed_url: str, source_name: str | None) -> RawInput:
    """A feed entry's own content as a fmt='json' item in the documented article JSON, for when
    its page cannot be fetched."""
    doc = {
        "url": entry.link,
        "title": entry.title,
        "html": entry.content_html,
        "published": entry.published.isoformat() if entry.published else None,
        "author": entry.author,
        "source": source_name,
    }
    return RawInput(
        origin=entry.link or _entry_origin(entry, feed_url),
        data=json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8"),
        fmt="json",
        url=entry.link,
        content_type="application/json",
        fetched=datetime.now(UTC),
        source_name=source_name,
        hints=_hints(entry),
    )


def _entry_origin(entry: FeedEntry, feed_url: str) -> str:
    return f"{feed_url} (entry {entry.title!r})" if entry.title else f"{feed_url} (entry)"


def _hints(entry: FeedEntry) -> dict[str, str]:
    hints: dict[str, str] = {}
    if entry.title:
        hints["title"] = entry.title
    if entry.published:
        hints["published"] = entry.published.isoformat()
    if entry.author:
        hints["author"] = entry.author
    return hints


def has_substantial_content(entry: FeedEntry) -> bool:
    """True when the entry itself carries enough text to stand in for its page."""
    return len(_text_of(entry.content_html)) >= SUBSTANTIAL_TEXT


async def page_item(fetcher: SafeFetcher, url: str, source_name: str | None = None) -> RawInput:
    """One web page by URL -> RawInput (raises FetchError / InputRejected on failure)."""
    return await _page(fetcher, url, source_name, {})


async def _page(
    fetcher: SafeFetcher, url: str, source_name: str | None, hints: dict[str, str]
) -> RawInput:
    from hoasen.ingest.formats import detect_format

    result = await fetcher.fetch(url)
    if not result.content.strip():
        raise InputRejected("the page is empty")
    fmt = detect_format(urlsplit(result.url).path, result.content_type, result.content)
    if fmt == "feed":
        raise InputRejected("this address is a news feed, not a page: add it as a feed source")
    return RawInput(
        origin=url,
        data=result.content,
        fmt=fmt,
        url=result.url,
        content_type=result.content_type,
        fetched=result.fetched,
        source_name=source_name,
        hints=dict(hints),
        last_modified=_http_date(result.last_modified),
    )


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date header ('Wed, 21 Oct 2026 07:28:00 GMT') as aware UTC; None when unusable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


async def feed_items(
    fetcher: SafeFetcher,
    feed_url: str,
    *,
    source_name: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_entries: int = 100,
    skip_url: Callable[[str], bool] = lambda u: False,
) -> FeedPoll:
    """Fetch a feed (conditional GET) and each new entry's page concurrently.

    Entries whose link `skip_url` accepts (already stored) are left out, and so are entries with
    neither a link nor enough text. A page that fails falls back to the entry's own content when
    it has enough text, else becomes an ItemError. Raises
    FetchError / InputRejected when the feed itself cannot be fetched or parsed.
    """
    result = await fetcher.fetch(
        feed_url, etag=etag, last_modified=last_modified, accept=FEED_ACCEPT
    )
    if result.not_modified:
        return FeedPoll(
            [], result.etag or etag, result.last_modified or last_modified, not_modified=True
        )
    feed = parse_feed(result.content, result.url)
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in feed.entries:
        if len(entries) >= max_entries:
            break
        if entry.link is None:
            if has_substantial_content(entry):
                entries.append(entry)  # nothing to fetch, but the feed carries the article
            continue  # a short note without a page is no article (and would recur every poll)
        if entry.link in seen or skip_url(entry.link):
            continue
        seen.add(entry.link)
        entries.append(entry)
    items = await asyncio.gather(
        *(_entry_item(fetcher, entry, feed_url, source_name) for entry in entries)
    )
    return FeedPoll(list(items), result.etag, result.last_modified, not_modified=False)


async def _entry_item(
    fetcher: SafeFetcher, entry: FeedEntry, feed_url: str, source_name: str | None
) -> RawInput | ItemError:
    """The entry's page, or its own content when the page fails, or the reason it failed."""
    if entry.link is None:
        return entry_to_raw(entry, feed_url, source_name)
    try:
        return await _page(fetcher, entry.link, source_name, _hints(entry))
    except InputRejected as exc:
        if has_substantial_content(entry):
            return entry_to_raw(entry, feed_url, source_name)
        return ItemError(entry.link, exc.reason)
