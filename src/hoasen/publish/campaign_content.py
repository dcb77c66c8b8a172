"""What a campaign says when it carries an edition or a report: per language, a subject, a
plain-text body and an HTML body (the subscriber gets the version in their language).

An edition gives one version per language of its series (each item's title and paragraphs in
that language, the main language where an item has no text in it); a registered report gives
its own HTML and Markdown renderings, in the report's language.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from hoasen.errors import UsageError

if TYPE_CHECKING:
    from hoasen.desk import Desk

Version = tuple[str, str, str | None]  # subject, text, html


def edition_versions(desk: Desk, issue: str | int) -> tuple[dict[str, Version], str]:
    """{language: (subject, text, html)} for an approved or published edition, and the
    campaign source ("edition:ID")."""
    row = desk.editions.issue(issue)
    if row.status not in ("approved", "published"):
        raise UsageError(
            f"edition issue {row.id} is {row.status}: only an approved or published issue "
            "can go out as a campaign"
        )
    edition = desk.editions.edition(row.id)
    if not edition.items:
        raise UsageError(f"edition issue {row.id} has no items")
    main = edition.languages[0]
    versions: dict[str, Version] = {}
    for lang in edition.languages:
        subject = f"{edition.series.name} — {edition.number}"
        if edition.title:
            subject += f": {edition.title}"
        lines: list[str] = []
        parts = [f"<h1>{escape(subject)}</h1>"]
        for item in edition.items:
            text = item.text(lang) or item.text(main)
            if text is None:
                continue
            lines += [text.title, "", *[p + "\n" for p in text.paragraphs]]
            parts.append(f'<h2 lang="{escape(text.language)}">{escape(text.title)}</h2>')
            parts += [f'<p lang="{escape(text.language)}">{escape(p)}</p>' for p in text.paragraphs]
        if edition.series.colophon:
            lines += ["--", edition.series.colophon]
            parts.append(f"<p><small>{escape(edition.series.colophon)}</small></p>")
        body = f'<html lang="{escape(lang)}"><body>{"".join(parts)}</body></html>'
        versions[lang] = (subject, "\n".join(lines).strip() + "\n", body)
    return versions, f"edition:{row.id}"


def report_versions(desk: Desk, number: str) -> tuple[dict[str, Version], str]:
    """The registered report `number` as one version in its language, and the campaign source
    ("report:NUMBER")."""
    stored = desk.reports.register.get(number)
    doc = stored.document
    lang = str(doc.get("language") or desk.settings.office_language)
    title = str(doc.get("title") or "")
    subject = f"{stored.entry.number} — {title}" if title else stored.entry.number
    text = desk.reports.file(stored.entry.number, "md").decode("utf-8")
    html = desk.reports.file(stored.entry.number, "html").decode("utf-8")
    return {lang: (subject, text, html)}, f"report:{stored.entry.number}"
