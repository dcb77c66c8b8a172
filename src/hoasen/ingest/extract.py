"""What hoasen reads off an HTML page besides trafilatura's main text: the page's metadata
(title, author, date, URL, site name) and a second opinion on where the article is.

Metadata comes from trafilatura's own metadata functions, called for the fields the desk keeps:
its `extract_metadata` also reads categories, tags and the licence (about a third of its time,
none of it used).

The second opinion is readability's article block.

trafilatura keeps more of a page than readability (better recall), but on table-layout and
portal pages it also keeps the menus, "today's picks" link rows, forum replies and footers
around the article. Readability picks one article block and so knows where the article starts
and ends: lines of trafilatura's text outside that block are dropped unless they read like
article text (long or ending like a sentence, not mostly link text). Readability here is the
port bundled with trafilatura (about 8 ms a page).
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any

from htmldate import find_date
from trafilatura import metadata as page_meta
from trafilatura.external import try_readability
from trafilatura.settings import Document

_SPACE = re.compile(r"[\s|\\\u00a0\u3000]+")
_BULLET = re.compile(r"^\s*[-•*]\s+")
# Readability must find most of its own block in trafilatura's lines, or the two disagree on
# where the article is and trafilatura's text is kept whole.
_MIN_AGREEMENT = 0.5
_MIN_SECOND_CHARS = 50
_PROSE_CHARS = 40  # an outside line this long (or ending like a sentence) may be article text
_MAX_LINK_SHARE = 0.35  # ...unless at least this share of it is link text
_SENTENCE_END = (".", "!", "?", "。", "！", "？", '"', "”", "»", ":", "：")
_LIST_OR_ROW = ("- ", "| ")


def page_metadata(tree: Any, url: str | None, date_params: dict[str, Any]) -> Document:
    """Title, author, date, URL, host and site name of a parsed page, the way trafilatura's
    `extract_metadata` finds them (same functions, same order), without categories, tags and
    licence. The tree is not changed."""
    meta = page_meta.examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = page_meta.extract_meta_json(tree, meta)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        page_meta.LOGGER.warning("error in JSON metadata extraction: %s", exc)
    if not meta.title:
        meta.title = page_meta.extract_title(tree)
    if not meta.author:
        meta.author = page_meta.extract_author(tree)
    if not meta.url:
        meta.url = page_meta.extract_url(tree, url)
    if meta.url:
        meta.hostname = page_meta.extract_domain(meta.url, fast=True)
    meta.date = find_date(tree, **{**date_params, "url": meta.url})
    if not meta.sitename:
        meta.sitename = page_meta.extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (found := page_meta.META_URL.match(meta.url)):
        meta.sitename = found[1]
    meta.clean_and_trim()
    return meta


def load_date_tables() -> None:
    """Build the date parser's tables for every locale now (about a second, once a process):
    the page date search (htmldate's extensive search through dateparser) otherwise builds
    them while reading the first page whose date no locale reads. A date with a word no
    language has makes dateparser try, and so build, every locale."""
    from htmldate.extractors import get_external_parser

    get_external_parser().get_date_data("12 Xqzvk 2024")


def second_opinion(tree: Any) -> str:
    """Readability's article text of the page, whitespace removed and case-folded ('' when it
    finds none). The tree is copied: readability edits what it reads."""
    return _flat(try_readability(deepcopy(tree)).text_content())


def link_texts(tree: Any) -> frozenset[str]:
    """The text of every link on the page, in the form `second_opinion` uses."""
    texts = (_flat(a.text_content()) for a in tree.iter("a"))
    return frozenset(t for t in texts if len(t) >= 2)


def trim_to_agreement(text: str, second: str, links: frozenset[str]) -> str:
    """Drop the lines of `text` before and after the stretch that readability's article
    (`second`) also holds, keeping outside lines that read like article text."""
    if len(second) < _MIN_SECOND_CHARS:
        return text
    lines = text.split("\n")
    keys = [_flat(_BULLET.sub("", line)) for line in lines]
    inside = [i for i, key in enumerate(keys) if key and key in second]
    if not inside or sum(len(keys[i]) for i in inside) < _MIN_AGREEMENT * len(second):
        return text
    first, last = inside[0], inside[-1]
    keep = [
        first <= i <= last or (bool(key) and _reads_like_text(line, key, links))
        for i, (line, key) in enumerate(zip(lines, keys, strict=True))
    ]
    filled = [i for i, key in enumerate(keys) if key]
    # A short line between two kept ones is a subheading of text that stays.
    for before, at, after in zip(filled, filled[1:], filled[2:], strict=False):
        if not keep[at] and keep[before] and keep[after]:
            keep[at] = True
    return "\n".join(line for line, key, k in zip(lines, keys, keep, strict=True) if k or not key)


def _reads_like_text(line: str, key: str, links: frozenset[str]) -> bool:
    """A paragraph, sentence, list item or table row that is not mostly links."""
    stripped = line.strip()
    prose = (
        len(key) >= _PROSE_CHARS
        or stripped.endswith(_SENTENCE_END)
        or stripped.startswith(_LIST_OR_ROW)
    )
    return prose and _link_share(key, links) < _MAX_LINK_SHARE


def _link_share(key: str, links: frozenset[str]) -> float:
    covered = sum(len(link) * key.count(link) for link in links if link in key)
    return min(1.0, covered / max(1, len(key)))


def _flat(text: str) -> str:
    return _SPACE.sub("", text).casefold()
