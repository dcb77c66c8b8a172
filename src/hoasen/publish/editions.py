"""The editions desk: numbered bilingual editions (a Vietnamese–Chinese special issue with a
partner, a Vietnamese–English newsletter) from series to published issue.

A series has a language pair (first = main) and a layout; an issue of it holds ordered items,
stored articles or pieces written in the desk, each with a text per language. A text is the
article's own (original), a translation from the translation desk (machine, termbase enforced,
QA flagged, approved there or here by an editor), or written by an editor (approved by them).
An issue moves draft → review → approved → published, each change recorded with who and when;
review needs every text, approval every text approved, and a published issue is frozen.

What the CLI, the web pages and the API call; the rows are `hoasen.store.editions`'s, the
render model `hoasen.publish.edition_model`'s, the renderers `hoasen.publish.render`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.errors import NotFoundError, UsageError
from hoasen.publish.edition_model import LAYOUTS, Edition, EditionItem, EditionSeries, ItemText
from hoasen.registers.partners import parse_day, slugify
from hoasen.store.editions import EditionStore, IssueRow, ItemRow, SeriesRow, TextRow
from hoasen.store.schema import utcnow
from hoasen.translate.types import base_lang

if TYPE_CHECKING:
    from hoasen.desk import Desk

FORMATS = ("pdf", "html", "epub", "docx")
MEDIA_TYPES = {
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "epub": "application/epub+zip",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
EDITABLE = ("draft", "review")
"""Statuses in which items and texts may change (approved: back to draft first)."""
_NEXT = {"draft": ("review",), "review": ("approved", "draft"), "approved": ("draft",)}


def _paragraphs(body: str) -> list[str]:
    return ItemText("", "", body).paragraphs


def _segments(title: str, body: str) -> list[str]:
    """A text as QA segments: the title, then its paragraphs."""
    return [title, *_paragraphs(body)]


class EditionDesk:
    """Series, issues, items and texts of editions over one Desk."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.settings = desk.settings
        self.rows = EditionStore(desk.store)

    # ---------------------------------------------------------------- series

    def add_series(
        self,
        name: str,
        languages: str | Sequence[str],
        layout: str = "parallel",
        masthead: str = "",
        colophon: str = "",
        description: str = "",
        partner: str | None = None,
        slug: str | None = None,
    ) -> SeriesRow:
        """Add a series: a name, two or more languages (main first, e.g. "vi,zh"), a layout
        (parallel, alternate or sequential) and, if published with one, a partner."""
        name = name.strip()
        if not name:
            raise UsageError("a series needs a name")
        if name.isdigit():
            raise UsageError("a series name cannot be a bare number (numbers name ids)")
        langs = _languages(languages)
        if layout not in LAYOUTS:
            raise UsageError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
        partner_id = self.desk.partners.partner(partner).id if partner and partner.strip() else None
        the_slug = slugify(slug or name) or f"series-{len(self.rows.series_list()) + 1}"
        now = utcnow()
        return self.rows.add_series(
            {
                "slug": the_slug,
                "name": name,
                "languages": ",".join(langs),
                "layout": layout,
                "masthead": masthead,
                "colophon": colophon,
                "description": description,
                "partner_id": partner_id,
                "created": now,
                "updated": now,
            }
        )

    def series(self, ref: str | int | SeriesRow) -> SeriesRow:
        """A series by id, slug or name."""
        if isinstance(ref, SeriesRow):
            return ref
        text = str(ref).strip()
        if text.isdigit():
            return self.rows.series(int(text))
        found = self.rows.find_series(text)
        if found is None:
            raise NotFoundError(
                f"no edition series called {text!r}; add it with `hoasen edition series add`"
            )
        return found

    def series_list(self) -> list[SeriesRow]:
        """Every series, by name."""
        return self.rows.series_list()

    # ---------------------------------------------------------------- issues

    def new_issue(
        self,
        series: str | int | SeriesRow,
        title: str = "",
        issue_date: date | str | None = None,
        operator: str = "",
    ) -> IssueRow:
        """Open the series' next issue (numbered after the last) as a draft."""
        found = self.series(series)
        day = parse_day(issue_date, "--date")
        return self.rows.add_issue(found.id, title.strip(), day, operator)

    def issue(self, ref: str | int | IssueRow) -> IssueRow:
        """An issue by id, or "SERIES/NUMBER" (a series' slug or name and the issue number)."""
        if isinstance(ref, IssueRow):
            return ref
        text = str(ref).strip()
        if text.isdigit():
            return self.rows.issue(int(text))
        series, _, number = text.rpartition("/")
        if series and number.isdigit():
            found = self.rows.issue_numbered(self.series(series).id, int(number))
            if found is not None:
                return found
        raise NotFoundError(f"no edition issue {text!r} (give its id, or SERIES/NUMBER)")

    def issues(self, series: str | int | None = None) -> list[IssueRow]:
        """Issues, newest first (of one series when asked)."""
        series_id = self.series(series).id if series not in (None, "") else None
        return self.rows.issues(series_id)

    # ---------------------------------------------------------------- items

    def add_items(
        self, issue: str | int | IssueRow, article_ids: Sequence[int], section: str = ""
    ) -> tuple[list[ItemRow], list[str]]:
        """Append stored articles to an issue, each with its own text in its language; returns
        the items and notes (an article in neither of the series' languages needs translations
        for both)."""
        row, series = self._editable(issue)
        articles = {a.id: a for a in self.desk.store.get_articles(list(article_ids))}
        missing = [str(i) for i in article_ids if i not in articles]
        if missing:
            raise NotFoundError(f"no article {', '.join(missing)}")
        items, notes = [], []
        for article_id in article_ids:
            article = articles[article_id]
            item = self.rows.add_item(row.id, article_id, section)
            items.append(item)
            lang = _match(article.language or "", series.languages)
            if lang is None:
                notes.append(
                    f"article {article_id} is in {article.language or 'an unknown language'}, "
                    f"not one of {', '.join(series.languages)}: it needs a translation for each "
                    "(`hoasen edition translate`)"
                )
                continue
            self.rows.put_text(
                item.id,
                lang,
                title=article.title or "",
                body=article.text or "",
                origin="original",
                approved=True,
            )
        self.rows.touch(row.id)
        return items, notes

    def add_piece(
        self,
        issue: str | int | IssueRow,
        texts: Mapping[str, tuple[str, str]],
        operator: str,
        section: str = "",
    ) -> ItemRow:
        """Append a piece written in the desk: {language: (title, body)}, each approved by the
        editor who wrote it; the other languages come from `translate` or `set_text`."""
        row, series = self._editable(issue)
        if not texts:
            raise UsageError("a piece needs a text in at least one language")
        for lang, (title, body) in texts.items():
            _language_of(lang, series)
            if not (title.strip() or body.strip()):
                raise UsageError(f"the {lang} text of the piece is empty")
        item = self.rows.add_item(row.id, None, section)
        for lang, (title, body) in texts.items():
            self.rows.put_text(
                item.id,
                _language_of(lang, series),
                title=title.strip(),
                body=body.strip(),
                origin="editor",
                approved=True,
                approved_by=operator,
            )
        self.rows.touch(row.id)
        return item

    def set_text(
        self, item_id: int, language: str, title: str, body: str, operator: str
    ) -> TextRow:
        """Write (or rewrite) an item's text in one language: the editor's own, approved by
        them. It replaces a machine translation there."""
        item, row, series = self._item(item_id)
        lang = _language_of(language, series)
        if not (title.strip() or body.strip()):
            raise UsageError("the text is empty: give a title and/or a body")
        self.rows.put_text(
            item.id,
            lang,
            title=title.strip(),
            body=body.strip(),
            origin="editor",
            approved=True,
            approved_by=operator,
        )
        self.rows.touch(row.id)
        return self.rows.texts([item.id])[item.id][lang]

    def move_item(self, item_id: int, position: int) -> list[ItemRow]:
        """Put an item at `position` (1 = first) and renumber the others."""
        item, row, _series = self._item(item_id)
        order = [i.id for i in self.rows.items(row.id) if i.id != item.id]
        at = min(max(position, 1), len(order) + 1)
        order.insert(at - 1, item.id)
        self.rows.reorder(row.id, order)
        self.rows.touch(row.id)
        return self.rows.items(row.id)

    def remove_item(self, item_id: int) -> None:
        """Take an item (and its texts) out of its issue."""
        _item, row, _series = self._item(item_id)
        self.rows.remove_item(item_id)
        self.rows.touch(row.id)

    # ---------------------------------------------------------------- translation

    def translate(
        self,
        language: str,
        operator: str,
        issue: str | int | IssueRow | None = None,
        item_id: int | None = None,
        engine: str | None = None,
        redo: bool = False,
    ) -> list[str]:
        """Machine-translate the missing `language` texts of an issue (or one item) through the
        translation desk, termbase enforced. An article goes through the desk as a stored
        translation (an approved one is reused); a desk piece's text is translated as segments.
        Machine texts count as approved only once an editor approves them. Returns notes."""
        if item_id is not None:
            item, row, series = self._item(item_id)
            items = [item]
        elif issue is not None:
            row, series = self._editable(issue)
            items = self.rows.items(row.id)
        else:
            raise UsageError("translate an issue or one item")
        lang = _language_of(language, series)
        texts = self.rows.texts([i.id for i in items])
        notes: list[str] = []
        for item in items:
            have = texts[item.id].get(lang)
            if have is not None and not redo:
                continue
            if have is not None and have.origin == "original":
                notes.append(f"item {item.id}: {lang} is the article's own text, kept")
                continue
            if item.article_id is not None:
                notes.append(self._translate_article(item, lang, operator, engine))
            else:
                notes.append(self._translate_piece(item, texts[item.id], series, lang, engine))
        self.rows.touch(row.id)
        return [n for n in notes if n]

    def _translate_article(
        self, item: ItemRow, lang: str, operator: str, engine: str | None
    ) -> str:
        assert item.article_id is not None
        records = self.desk.translation.records
        found = records.approved(item.article_id, lang)
        made = found is None
        if found is None:
            found = self.desk.translation.translate_article(
                item.article_id, lang, engine=engine, by=operator
            )
        self._put_translation(item.id, lang, found)
        if made:
            return (
                f"item {item.id}: article {item.article_id} machine-translated into {lang} "
                f"(translation {found.id}, {found.flagged} segments flagged), to be approved"
            )
        return f"item {item.id}: the approved {lang} translation {found.id} is used"

    def _translate_piece(
        self,
        item: ItemRow,
        texts: Mapping[str, TextRow],
        series: SeriesRow,
        lang: str,
        engine: str | None,
    ) -> str:
        source = _source_text(texts, series, exclude=lang)
        if source is None:
            return f"item {item.id}: no text to translate from: write one first"
        result = self.desk.translation.translate_segments(
            _segments(source.title, source.body), source.language, lang, engine
        )
        targets = [s.target for s in result.segments]
        self.rows.put_text(
            item.id,
            lang,
            title=targets[0] if targets else "",
            body="\n\n".join(t for t in targets[1:] if t.strip()),
            origin="translation",
            approved=False,
        )
        return (
            f"item {item.id}: machine-translated from {source.language} into {lang} "
            f"({result.flagged} segments flagged), to be approved"
        )

    def _put_translation(self, item_id: int, lang: str, found: Any) -> None:
        approved = found.status == "approved"
        self.rows.put_text(
            item_id,
            lang,
            title=found.title,
            body=found.text(),
            origin="translation",
            translation_id=found.id,
            approved=approved,
            approved_by=(found.approved_by or "") if approved else "",
        )

    def approve_text(self, item_id: int, language: str, operator: str) -> TextRow:
        """An editor approves one text; a translation from the translation desk is approved
        there too (its segments enter the memory)."""
        item, row, series = self._item(item_id)
        lang = _language_of(language, series)
        text = self.rows.texts([item.id])[item.id].get(lang)
        if text is None:
            raise UsageError(f"item {item.id} has no {lang} text to approve")
        if text.translation_id is not None:
            found = self.desk.translation.records.get(text.translation_id)
            if found.status != "approved":
                found = self.desk.translation.set_status(found.id, "approved", operator)
            self._put_translation(item.id, lang, found)
        self.rows.set_approved(item.id, lang, True, operator)
        self.rows.touch(row.id)
        return self.rows.texts([item.id])[item.id][lang]

    def refresh(self, issue: str | int | IssueRow) -> None:
        """Bring texts linked to the translation desk up to date (edited or approved there),
        unless the issue is approved or published (its texts no longer change)."""
        row = self.issue(issue)
        if row.status not in EDITABLE:
            return
        items = self.rows.items(row.id)
        records = self.desk.translation.records
        for item_id, texts in self.rows.texts([i.id for i in items]).items():
            for lang, text in texts.items():
                if text.translation_id is None or text.origin != "translation":
                    continue
                try:
                    found = records.get(text.translation_id)
                except NotFoundError:
                    self.rows.set_approved(item_id, lang, False, "")
                    continue
                changed = (found.title, found.text()) != (text.title, text.body)
                if changed or (found.status == "approved") != text.approved:
                    self._put_translation(item_id, lang, found)

    # ---------------------------------------------------------------- QA

    def qa(self, issue: str | int | IssueRow) -> dict[int, dict[str, list[dict[str, Any]]]]:
        """QA flags per item and language (the main text has none): a translation's own from
        the translation desk, else the QA checks of the text against the item's source text.
        Each flag names its segment (0 = the title, then the paragraphs)."""
        row = self.issue(issue)
        series = self.rows.series(row.series_id)
        items = self.rows.items(row.id)
        out: dict[int, dict[str, list[dict[str, Any]]]] = {}
        for item_id, texts in self.rows.texts([i.id for i in items]).items():
            out[item_id] = {}
            for lang, text in texts.items():
                out[item_id][lang] = self._flags(text, texts, series)
        return out

    def _flags(
        self, text: TextRow, texts: Mapping[str, TextRow], series: SeriesRow
    ) -> list[dict[str, Any]]:
        if text.origin == "original":
            return []
        if text.origin == "translation" and text.translation_id is not None:
            try:
                found = self.desk.translation.records.get(text.translation_id)
            except NotFoundError:
                return [{"segment": 0, "check": "missing", "severity": "error",
                         "message": f"translation {text.translation_id} was deleted"}]  # fmt: skip
            return [
                {"segment": s.position, **f}
                for s in found.segments
                for f in s.flags
                if f.get("severity") in ("error", "warning")
            ]
        source = _source_text(texts, series, exclude="")  # the item's source: no flags
        if source is None or source.language == text.language:
            return []
        flags = self.desk.translation.check(
            _segments(source.title, source.body),
            _segments(text.title, text.body),
            source.language,
            text.language,
        )
        return [
            {"segment": n, **f.as_json()}
            for n, found in enumerate(flags)
            for f in found
            if f.severity in ("error", "warning")
        ]

    # ---------------------------------------------------------------- workflow

    def set_status(
        self,
        issue: str | int | IssueRow,
        status: str,
        operator: str,
        note: str = "",
        strict: bool = False,
    ) -> tuple[IssueRow, list[str]]:
        """Move an issue on: draft → review (every item has a text in every language),
        review → approved (every text approved; QA flags listed, refusing only when `strict`),
        approved → published (`publish`), back to draft from review or approved with a note.
        Returns the issue and notes (the QA flags that remain)."""
        row = self.issue(issue)
        if status == "published":
            return self.publish(row, operator), []
        allowed = _NEXT.get(row.status, ())
        if status not in allowed:
            if row.status == "published":
                raise UsageError(f"issue {row.id} is published: it is frozen")
            raise UsageError(
                f"issue {row.id} is {row.status}: it can go to "
                f"{' or '.join(allowed) or 'nothing else'}, not {status!r}"
            )
        notes: list[str] = []
        if status == "draft" and not note.strip():
            raise UsageError("say why the issue goes back to draft (--note)")
        if status == "review":
            self.refresh(row)
            missing = self._missing(row)
            if missing:
                raise UsageError("not every item has its texts: " + "; ".join(missing[:10]))
        if status == "approved":
            self.refresh(row)
            waiting = self._unapproved(row)
            if waiting:
                raise UsageError("texts still to approve: " + "; ".join(waiting[:10]))
            notes = self._qa_notes(row)
            if notes and strict:
                raise UsageError("QA flags remain (--strict): " + "; ".join(notes[:10]))
        return self.rows.set_status(row.id, row.status, status, operator, note.strip()), notes

    def publish(self, issue: str | int | IssueRow, operator: str, site: bool = False) -> IssueRow:
        """Publish an approved issue (recording when), after which it is frozen; with `site`,
        rebuild the static site of every published edition in `edition_site_dir`."""
        row = self.issue(issue)
        if row.status != "approved":
            raise UsageError(
                f"issue {row.id} is {row.status}: only an approved issue can be published"
            )
        done = self.rows.set_status(row.id, "approved", "published", operator, published=utcnow())
        if site:
            self.build_site(Path(self.settings.edition_site_dir))
        return done

    def _missing(self, row: IssueRow) -> list[str]:
        series = self.rows.series(row.series_id)
        items = self.rows.items(row.id)
        if not items:
            return ["the issue has no items"]
        texts = self.rows.texts([i.id for i in items])
        return [
            f"item {i.id} has no {lang} text"
            for i in items
            for lang in series.languages
            if lang not in texts[i.id] or not texts[i.id][lang].body.strip()
        ]

    def _unapproved(self, row: IssueRow) -> list[str]:
        items = self.rows.items(row.id)
        return [
            f"item {item_id} ({lang})"
            for item_id, texts in self.rows.texts([i.id for i in items]).items()
            for lang, text in texts.items()
            if not text.approved
        ]

    def _qa_notes(self, row: IssueRow) -> list[str]:
        return [
            f"item {item_id} ({lang}) segment {f['segment']}: {f['message']}"
            for item_id, langs in self.qa(row).items()
            for lang, flags in langs.items()
            for f in flags
        ]

    def _editable(self, issue: str | int | IssueRow) -> tuple[IssueRow, SeriesRow]:
        row = self.issue(issue)
        if row.status == "published":
            raise UsageError(f"issue {row.id} is published: it is frozen")
        if row.status not in EDITABLE:
            raise UsageError(
                f"issue {row.id} is {row.status}: send it back to draft before changing it"
            )
        return row, self.rows.series(row.series_id)

    def issue_of_item(self, item_id: int) -> int:
        """The id of the issue an item belongs to (NotFoundError for an unknown item)."""
        return self.rows.item(item_id).issue_id

    def _item(self, item_id: int) -> tuple[ItemRow, IssueRow, SeriesRow]:
        item = self.rows.item(item_id)
        row, series = self._editable(item.issue_id)
        return item, row, series

    # ---------------------------------------------------------------- reading and rendering

    def edition(self, issue: str | int | IssueRow) -> Edition:
        """The issue as the renderers see it: series, number, and the items' texts in order."""
        self.refresh(issue)
        row = self.issue(issue)
        series = self.rows.series(row.series_id)
        items = self.rows.items(row.id)
        texts = self.rows.texts([i.id for i in items])
        ids = [i.article_id for i in items if i.article_id is not None]
        articles = {a.id: a for a in self.desk.store.get_articles(ids)} if ids else {}
        made = []
        for item in items:
            article = articles.get(item.article_id) if item.article_id is not None else None
            made.append(
                EditionItem(
                    id=item.id,
                    position=item.position,
                    texts={
                        lang: ItemText(lang, t.title, t.body, t.origin, t.approved)
                        for lang, t in texts[item.id].items()
                        if lang in series.languages
                    },
                    section=item.section,
                    article_id=item.article_id,
                    source_name=(article.source_name or "") if article else "",
                    published=article.published if article else None,
                    url=(article.url or "") if article else "",
                )
            )
        return Edition(
            series=_model_series(series),
            number=row.number,
            title=row.title,
            issue_date=row.issue_date,
            status=row.status,
            items=tuple(made),
            id=row.id,
            published=row.published,
            cover_image=row.cover_image,
        )

    def render_bytes(self, issue: str | int | IssueRow, fmt: str) -> bytes:
        """The issue rendered as pdf, html, epub or docx."""
        if fmt not in FORMATS:
            raise UsageError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
        return _renderers().render_edition(self.edition(issue), fmt, self.settings)

    def render(self, issue: str | int | IssueRow, fmt: str, path: Path) -> Path:
        """Write the issue rendered as `fmt` to `path`."""
        data = self.render_bytes(issue, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def build_site(self, out_dir: Path) -> Any:
        """Write the static site of every published edition into `out_dir`."""
        published = [self.edition(r) for r in self.rows.issues(status=("published",))]
        return _renderers().build_site(published, out_dir, self.settings)

    def describe(self, issue: str | int | IssueRow) -> dict[str, Any]:
        """The issue as the CLI's `show --json` and the API show it: series, items with their
        texts per language (origin, approval, QA flags) and the status history."""
        self.refresh(issue)
        row = self.issue(issue)
        series = self.rows.series(row.series_id)
        items = self.rows.items(row.id)
        texts = self.rows.texts([i.id for i in items])
        flags = self.qa(row)
        return {
            **row.as_json(),
            "series": series.as_json(),
            "items": [
                {
                    "id": item.id,
                    "position": item.position,
                    "article_id": item.article_id,
                    "section": item.section,
                    "texts": {
                        lang: {
                            **texts[item.id][lang].as_json(),
                            "flags": flags.get(item.id, {}).get(lang, []),
                        }
                        for lang in series.languages
                        if lang in texts[item.id]
                    },
                    "missing": [lang for lang in series.languages if lang not in texts[item.id]],
                }
                for item in items
            ],
            "history": [e.as_json() for e in self.rows.events(row.id)],
        }


def _renderers() -> Any:
    """The renderers' module (loaded on first use: PDF and EPUB bring heavy libraries)."""
    try:
        from hoasen.publish import render
    except ImportError as exc:
        raise UsageError(f"the edition renderers cannot be loaded: {exc}") from exc
    if not hasattr(render, "render_edition") or not hasattr(render, "build_site"):
        raise UsageError("the edition renderers are not installed in this version")
    return render


def _model_series(s: SeriesRow) -> EditionSeries:
    return EditionSeries(
        id=s.id,
        slug=s.slug,
        name=s.name,
        languages=s.languages,
        layout=s.layout,
        masthead=s.masthead,
        colophon=s.colophon,
        description=s.description,
    )


def _languages(value: str | Sequence[str]) -> list[str]:
    items = value.split(",") if isinstance(value, str) else list(value)
    langs = [x.strip() for x in items if x.strip()]
    for lang in langs:
        base = base_lang(lang)
        if len(base) not in (2, 3) or not base.isalpha():
            raise UsageError(f"{lang!r} is not a language code such as vi, zh or en")
    if len(langs) < 2 or len({base_lang(x) for x in langs}) != len(langs):
        raise UsageError("a series needs two or more different languages, main first: vi,zh")
    return langs


def _match(language: str, languages: Sequence[str]) -> str | None:
    """The series language `language` is written in (zh-Hans is zh), or None."""
    if language in languages:
        return language
    base = base_lang(language) if language else ""
    return next((x for x in languages if base and base_lang(x) == base), None)


def _language_of(language: str, series: SeriesRow) -> str:
    found = _match(language.strip(), series.languages)
    if found is None:
        raise UsageError(
            f"{language!r} is not a language of {series.name}: {', '.join(series.languages)}"
        )
    return found


def _source_text(texts: Mapping[str, TextRow], series: SeriesRow, exclude: str) -> TextRow | None:
    """The text another language is translated from (and checked against): the article's own,
    else one an editor wrote, main language first."""
    candidates = [texts[x] for x in series.languages if x in texts and x != exclude]
    for origin in ("original", "editor"):
        found = next((t for t in candidates if t.origin == origin), None)
        if found is not None:
            return found
    return None
