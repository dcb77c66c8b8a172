"""What an edition is made of, as the renderers see it: a series (name, language pair, layout,
masthead, colophon), one issue (number, date, title, status) and its ordered items, each with a
title and body per language. The editions desk builds it from the store; the renderers (PDF,
HTML, EPUB, DOCX) and the static site only read it, so they never touch the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

LAYOUTS = ("parallel", "alternate", "sequential")


@dataclass(frozen=True)
class ItemText:
    """One language's text of an item: title and body (paragraphs separated by blank lines)."""

    language: str
    title: str
    body: str
    origin: str = "original"  # original / translation / editor
    approved: bool = True

    @property
    def paragraphs(self) -> list[str]:
        """The body's paragraphs, blank lines between them, empty ones dropped."""
        parts = [" ".join(p.split()) for p in self.body.replace("\r\n", "\n").split("\n\n")]
        if len(parts) == 1:  # one newline per paragraph is common in pasted text
            parts = [" ".join(p.split()) for p in self.body.split("\n")]
        return [p for p in parts if p]


@dataclass(frozen=True)
class EditionItem:
    """One item of an issue: its position, texts per language, and where it came from."""

    id: int
    position: int
    texts: dict[str, ItemText]
    section: str = ""
    article_id: int | None = None
    source_name: str = ""
    published: datetime | None = None
    url: str = ""

    def text(self, language: str) -> ItemText | None:
        """The item's text in `language`, if it has one."""
        return self.texts.get(language)


@dataclass(frozen=True)
class EditionSeries:
    """A numbered series: its name, language pair (first = main), layout and fixed texts."""

    id: int
    slug: str
    name: str
    languages: tuple[str, ...]
    layout: str = "parallel"
    masthead: str = ""
    colophon: str = ""
    description: str = ""


@dataclass(frozen=True)
class Edition:
    """One issue of a series with its items, ready to render."""

    series: EditionSeries
    number: int
    title: str
    issue_date: date | None
    status: str
    items: tuple[EditionItem, ...] = field(default_factory=tuple)
    id: int = 0
    published: datetime | None = None
    cover_image: str = ""

    @property
    def languages(self) -> tuple[str, ...]:
        """The series' languages, main first."""
        return self.series.languages

    @property
    def label(self) -> str:
        """ "Hoa Sen special issue no. 3" style label (in words, language-neutral)."""
        return f"{self.series.name} — {self.number}"
