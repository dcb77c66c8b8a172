"""The Markdown rendering of a report document: the same sections as the HTML report, as
headings, lists and pipe tables (charts become their tables)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from hoasen.reports.exchange import exchange_headers, exchange_note
from hoasen.reports.i18n import fmt_number
from hoasen.reports.view import ReportView, build_view

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_SPACE = re.compile(r"\s+")
_UNSAFE_IN_LINK = re.compile(r"[\s<>]")


def md_text(text: str) -> str:
    """Untrusted text as inline Markdown: one line, markup characters escaped."""
    return _SPECIAL.sub(r"\\\1", _SPACE.sub(" ", text).strip())


def md_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()
) -> str:
    """A pipe table; cells must already be escaped."""
    align = ["---:" if i in numeric else "---" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(doc: Mapping[str, Any]) -> str:
    """The report document as Markdown."""
    v = build_view(doc)
    out: list[str] = []
    _header(v, out)
    _headline(v, out)
    _exchange(v, out)
    _registers(v, out)
    if v.empty:
        out.append(f"**{v.gettext('No coverage in this period.')}**")
    else:
        _volume(v, out)
        _breakdowns(v, out)
        _stories(v, out)
        _entities(v, out)
        _figures(v, out)
        _spikes(v, out)
        _appendix(v, out)
    return "\n\n".join(out) + "\n"


def _header(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"# {md_text(v.title)}")
    meta = [
        (_("Office"), v.office),
        (_("Report number"), v.number),
        (_("Report kind"), v.kind),
        (_("Period"), v.period),
        (_("Generated"), v.generated),
        *v.parameters,
    ]
    out.append("\n".join(f"- **{md_text(k)}:** {md_text(val)}" for k, val in meta if val))


def _headline(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Headline numbers')}")
    previous = _("Previous period") + (f" ({v.previous_period})" if v.previous_period else "")
    rows = [(h.label, h.value, h.previous, h.change) for h in v.headline]
    out.append(md_table([_("Indicator"), _("This period"), previous, _("Change")], rows, (1, 2, 3)))
    if not v.empty:
        out.append(md_text(v.origin_line))


def _exchange(v: ReportView, out: list[str]) -> None:
    """The monthly report's exchange with partners, when there was any."""
    if not v.exchange:
        return
    out.append(f"## {v.gettext('Exchange with partners')}")
    rows = [
        (
            md_text(x.partner),
            x.sent,
            x.received,
            md_text(x.sent_languages),
            md_text(x.received_languages),
        )
        for x in v.exchange
    ]
    out.append(md_table(exchange_headers(v.gettext), rows, (1, 2)))
    out.append(f"*{md_text(exchange_note(v.gettext))}*")


def _registers(v: ReportView, out: list[str]) -> None:
    """The monthly report's foreign affairs registers, when they hold something."""
    r = v.registers
    if r is None:
        return
    out.append(f"## {r.title}")
    out.append(md_text(r.summary))
    if r.delegations:
        countries = [(md_text(c[0]), *c[1:]) for c in r.delegations]
        out.append(md_table(r.delegation_headers, countries, (1, 2, 3, 4)))
    if r.press:
        press = [(md_text(c[0]), *c[1:]) for c in r.press]
        out.append(md_table(r.press_headers, press, (1, 2)))
    if r.events:
        events = [
            (md_text(e.title), md_text(e.dates), md_text(e.place), e.participants, e.coverage)
            for e in r.events
        ]
        out.append(md_table(r.event_headers, events, (3, 4)))
    out.append(f"*{md_text(r.note)}*")


def _volume(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Volume over time')}")
    out.append(md_text(v.volume_desc))
    rows = [(label, fmt_number(value, v.lang)) for label, value in v.volume]
    out.append(md_table([_("Date"), _("Articles")], rows, (1,)))


def _breakdowns(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Breakdowns')}")
    for b in v.breakdowns:
        out.append(f"### {md_text(b.title)}")
        if not b.rows:
            out.append(md_text(_("None in this period.")))
            continue
        rows = [(md_text(r.label), r.count_text, r.share) for r in b.rows]
        out.append(md_table([md_text(b.column), _("Articles"), _("Share")], rows, (1, 2)))
        if b.note:
            out.append(f"*{md_text(b.note)}*")


def _stories(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Top stories')}")
    if not v.stories:
        out.append(md_text(_("None in this period.")))
    for i, s in enumerate(v.stories, 1):
        out.append(f"### {i}. {md_text(s.title)}")
        if s.summary:
            out.append(md_text(s.summary))
        out.append(
            f"- **{_('Why it ranks')}:** {md_text(s.why)}\n"
            f"- **{_('Languages')}:** {md_text(s.languages)}\n"
            f"- **{_('Articles')}:** {s.articles}"
        )
        rows = [
            (
                md_text(a.title) + (f" — *{md_text(a.translated)}*" if a.translated else ""),
                md_text(a.source),
                a.date,
                md_text(a.language),
            )
            for a in s.lines
        ]
        out.append(md_table([_("Title"), _("Source"), _("Date"), _("Language")], rows))


def _entities(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Most-mentioned entities')}")
    if not v.entities:
        out.append(md_text(_("None in this period.")))
        return
    rows = [
        (
            md_text(e.name),
            "; ".join(f"{md_text(n)} ({code})" for code, n in e.other_names),
            md_text(e.type),
            e.articles,
            e.mentions,
        )
        for e in v.entities
    ]
    headers = [_("Entity"), _("Other names"), _("Type"), _("Articles"), _("Mentions")]
    out.append(md_table(headers, rows, (3, 4)))


def _figures(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Key figures')}")
    if not v.figures:
        out.append(md_text(_("None in this period.")))
        return
    rows = [
        (
            md_text(f.text),
            md_text(f.subject),
            md_text(f.source),
            md_text(f.language),
            md_text(f.article),
        )
        for f in v.figures
    ]
    headers = [_("Figure"), _("Subject"), _("Source"), _("Language"), _("Article")]
    out.append(md_table(headers, rows))


def _spikes(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Spiking stories')}")
    if not v.spikes:
        out.append(md_text(_("None in this period.")))
        return
    rows = [(md_text(s.title), s.current, s.baseline, md_text(s.ratio)) for s in v.spikes]
    headers = [_("Story"), _("This period"), _("Baseline"), _("Ratio")]
    out.append(md_table(headers, rows, (1, 2, 3)))


def _appendix(v: ReportView, out: list[str]) -> None:
    _ = v.gettext
    out.append(f"## {_('Appendix: articles')}")
    if v.translation_note:
        out.append(f"*{md_text(v.translation_note)}*")
    rows = [
        (
            str(a.id),
            md_text(a.title) + (f" — *{md_text(a.translated)}*" if a.translated else ""),
            md_text(a.source),
            a.date,
            md_text(a.language),
            _link(a.href, a.url),
        )
        for a in v.articles
    ]
    headers = [_("No."), _("Title"), _("Source"), _("Date"), _("Language"), _("Link")]
    out.append(md_table(headers, rows, (0,)))


def _link(href: str, url: str) -> str:
    """An autolink for a web address, else the address as escaped text."""
    return f"<{href}>" if href and not _UNSAFE_IN_LINK.search(href) else md_text(url)
