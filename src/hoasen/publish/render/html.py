"""The HTML rendering of an edition, and the view every format is drawn from.

`build_view` turns an `Edition` into display text once (cover lines, labels in each of the
edition's languages, dates, and each item's paragraphs arranged for the series' layout), so the
web page, the print page behind the PDF, the EPUB chapters, the DOCX and the static site all show
the same thing. Templates are autoescaped Jinja2 (texts may contain `<`); every language block
carries a `lang` attribute so browsers and WeasyPrint pick the right CJK glyphs. The pages are
self-contained: inline CSS, no scripts, fonts or images from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import zip_longest
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from hoasen.publish.edition_model import LAYOUTS, Edition, EditionItem
from hoasen.reports import i18n
from hoasen.settings import Settings

#: Label key -> English msgid (editions.po holds the vi/en wording; ids are edition-specific so
#: they never clash with the other catalogs).
MSGIDS = {
    "contents": "Edition contents",
    "number": "Edition issue number",
    "date": "Edition issue date",
    "languages": "Edition languages",
    "masthead": "Edition masthead",
    "colophon": "Edition colophon",
    "source": "Edition item source",
    "issues": "Edition issues",
    "home": "All editions",
    "back": "Back to the issue",
    "feed": "Edition feed",
}
#: The same labels for languages without a catalog (an edition's second language is often one).
OTHER_LABELS: dict[str, dict[str, str]] = {
    "zh": {
        "contents": "目录",
        "number": "期号",
        "date": "出版日期",
        "languages": "语言",
        "masthead": "编辑部",
        "colophon": "版权页",
        "source": "来源",
        "issues": "各期",
        "home": "全部期刊",
        "back": "返回本期",
        "feed": "订阅",
    },
    "ja": {
        "contents": "目次",
        "number": "号",
        "date": "発行日",
        "languages": "言語",
        "masthead": "編集",
        "colophon": "奥付",
        "source": "出典",
        "issues": "各号",
        "home": "すべての号",
        "back": "この号へ戻る",
        "feed": "フィード",
    },
    "ko": {
        "contents": "목차",
        "number": "호",
        "date": "발행일",
        "languages": "언어",
        "masthead": "편집진",
        "colophon": "판권",
        "source": "출처",
        "issues": "호 목록",
        "home": "모든 호",
        "back": "이 호로 돌아가기",
        "feed": "피드",
    },
}
WEB_FONTS = (
    '"Noto Sans", "Noto Sans CJK SC", "Source Han Sans SC", "DejaVu Sans", "Segoe UI", Arial, '
    "sans-serif"
)
#: Per-language font stacks for browsers (the PDF uses the bundled faces, reports.fonts).
LANG_FONTS = {
    "zh": '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif',
    "ja": '"Noto Sans CJK JP", "Source Han Sans JP", "Hiragino Sans", "Yu Gothic", sans-serif',
    "ko": '"Noto Sans CJK KR", "Source Han Sans KR", "Apple SD Gothic Neo", "Malgun Gothic", '
    "sans-serif",
}

BASE_CSS = """
html { font-family: WEB_FONTS; font-size: 11pt; line-height: 1.5; color: #1f2328; }
LANG_RULES
body { max-width: 60em; margin: 0 auto; padding: 0 1em 2em; }
h1, h2, h3 { color: #12355b; line-height: 1.25; }
h1 { font-size: 1.8em; margin: .4em 0; }
h2 { font-size: 1.3em; margin: 1.4em 0 .4em; border-bottom: 1.5pt solid #12355b;
     padding-bottom: 2pt; break-after: avoid; }
h3 { font-size: 1.1em; margin: 1em 0 .3em; break-after: avoid; }
p { margin: 0 0 .6em; }
a { color: #1f4e99; }
.muted, .source, .crumbs { color: #57606a; font-size: .9em; }
.cover { text-align: center; padding: 1.5em 0; border-bottom: 2pt solid #12355b; }
.cover .series-name { font-size: 1.2em; font-weight: bold; text-transform: uppercase;
                      letter-spacing: .05em; margin: 0; }
.cover .issue-number { font-size: 1.1em; margin: .3em 0; }
.cover h1 { font-size: 2em; }
.cover .title-line { display: block; }
.cover dl { margin: 1em 0 0; }
.cover dt { font-weight: bold; margin-top: .4em; }
.cover dd { margin: 0; }
.label-sep { color: #8c959f; }
nav.toc ol { padding-left: 1.6em; }
nav.toc li { margin: .2em 0; }
nav.toc .alt { color: #57606a; }
.masthead, .colophon { font-size: .9em; color: #444c56; white-space: pre-line;
                       border-top: .75pt solid #d0d7de; padding-top: .5em; margin-top: 1.5em; }
article.item { margin: 1.5em 0; }
.parallel { display: table; width: 100%; table-layout: fixed; border-collapse: separate;
            border-spacing: 10pt 0; }
.pair { display: table-row; }
.pair > div { display: table-cell; vertical-align: top; padding-bottom: .4em; }
.pair > .title { font-weight: bold; color: #12355b; font-size: 1.1em; padding-bottom: .5em; }
.alternate .second, .sequential .second { color: #2d333b; }
.alternate p.second { padding-left: .8em; border-left: 2pt solid #d0d7de; }
.sequential section + section { margin-top: 1em; }
ul.issues { list-style: none; padding: 0; }
ul.issues li { margin: .4em 0; }
footer.site { margin-top: 2em; border-top: .75pt solid #d0d7de; padding-top: .5em; }
"""
#: Screens only (WeasyPrint does not evaluate media features): parallel columns stack on phones.
NARROW_CSS = """
@media (max-width: 40em) {
  .parallel, .pair, .pair > div { display: block; }
  .pair > div + div { margin-top: .3em; }
}
"""

PRINT_CSS = """
@page {
  size: A4;
  margin: 20mm 16mm 20mm 18mm;
  @top-left { content: string(series); font-size: 8pt; color: #57606a; }
  @top-right { content: string(issue); font-size: 8pt; color: #57606a; }
  @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt;
                   color: #57606a; }
}
@page :first { @top-left { content: none; } @top-right { content: none; }
               @bottom-center { content: none; } }
html { font-size: 10.5pt; }
body { max-width: none; padding: 0; }
a { color: inherit; text-decoration: none; }
.cover { break-after: page; border: none; padding-top: 60mm; }
.cover .series-name { string-set: series content(); font-size: 16pt; }
.cover .issue-number { string-set: issue content(); }
.cover h1 { font-size: 24pt; margin-top: 20mm; }
nav.toc { break-after: page; }
nav.toc a::after { content: leader('.') target-counter(attr(href), page); }
nav.toc li { break-inside: avoid; }
.pair { break-inside: avoid; }
article.item { break-inside: auto; }
.masthead { break-before: avoid; }
"""


def _lang_rules() -> str:
    return "\n".join(
        f":lang({lang}) {{ font-family: {stack}; }}" for lang, stack in LANG_FONTS.items()
    )


def css(variant: str = "web") -> str:
    """The inline stylesheet: the screen one, plus page rules for the print variant."""
    base = BASE_CSS.replace("WEB_FONTS", WEB_FONTS).replace("LANG_RULES", _lang_rules())
    return base + (PRINT_CSS if variant == "print" else NARROW_CSS)


def base_lang(code: str) -> str:
    """ "zh-Hant" -> "zh": the part catalogs and font rules are keyed by."""
    return code.split("-")[0].split("_")[0].lower()


def label(key: str, lang: str) -> str:
    """One label in `lang`: the catalog's wording for vi/en, a built-in one for zh/ja/ko, else
    the English one."""
    code = base_lang(lang)
    if code in OTHER_LABELS:
        return OTHER_LABELS[code][key]
    return _catalog(code if code in i18n.LANGUAGES else "en").gettext(MSGIDS[key])


@lru_cache(maxsize=8)
def _catalog(lang: str) -> Any:
    return i18n.translations(lang)


def language_autonym(code: str) -> str:
    """A language's name in itself ("vi" -> "Tiếng Việt", "zh" -> "中文"), else the code."""
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return code
    name = locale.get_display_name(locale) or code
    return name[:1].upper() + name[1:]


def fmt_issue_date(day: date | None, lang: str) -> str:
    """The issue date as its readers write it: 01/05/2026, 1 May 2026, 2026年5月1日."""
    if day is None:
        return ""
    code = base_lang(lang)
    if code in i18n.LANGUAGES:
        return i18n.fmt_date(day.isoformat(), code)
    try:
        return format_date(day, "long", locale=Locale.parse(lang.replace("-", "_")))
    except (ValueError, UnknownLocaleError):
        return day.isoformat()


@dataclass(frozen=True)
class Block:
    """One paragraph (or title) in one language; `second` marks the non-main languages."""

    lang: str
    text: str
    second: bool = False


@dataclass
class ItemView:
    """One item as displayed: titles per language, and its paragraphs arranged by layout."""

    index: int
    anchor: str
    slug: str
    titles: list[Block]
    layout: str
    rows: list[list[Block]] = field(default_factory=list)  # parallel: one cell per language
    sequence: list[Block] = field(default_factory=list)  # alternate: A, B, A, B…
    parts: list[tuple[Block, list[Block]]] = field(default_factory=list)  # sequential
    source: str = ""
    url: str = ""
    item: EditionItem | None = None  # the model item, for outputs that need its raw texts

    @property
    def title(self) -> Block:
        """The main title: the first language that has one."""
        return self.titles[0]


@dataclass
class EditionView:
    """The whole edition as displayed, shared by every format."""

    edition: Edition
    main: str
    languages: list[str]
    series_name: str
    number: int
    title: str
    layout: str
    dates: list[Block]
    masthead: str
    colophon: str
    description: str
    office: str
    items: list[ItemView]

    def labels(self, key: str) -> list[Block]:
        """A label in each of the edition's languages (duplicates dropped)."""
        out: list[Block] = []
        for i, lang in enumerate(self.languages):
            text = label(key, lang)
            if all(b.text != text for b in out):
                out.append(Block(lang, text, i > 0))
        return out

    def language_name(self, lang: str) -> str:
        """A language's name in itself, as the cover lists them."""
        return language_autonym(lang)

    def number_text(self, lang: str) -> str:
        """ "Số 3" / "第3期" / "No. 3" for the running header and cover."""
        code = base_lang(lang)
        if code == "zh" or code == "ja":
            return f"第{self.number}期" if code == "zh" else f"第{self.number}号"
        if code == "ko":
            return f"제{self.number}호"
        return f"{'Số' if code == 'vi' else 'No.'} {self.number}"


def _item_view(item: EditionItem, index: int, languages: list[str], layout: str) -> ItemView:
    texts = [(lang, item.text(lang)) for lang in languages]
    present = [(lang, t) for lang, t in texts if t is not None]
    extra = [t for lang, t in item.texts.items() if lang not in languages]
    present += [(t.language, t) for t in extra]
    main = languages[0]
    titles = [Block(lang, t.title, lang != main) for lang, t in present if t.title]
    if not titles:
        titles = [Block(main, f"#{index}")]
    view = ItemView(
        index=index,
        anchor=f"item-{index}",
        slug=f"item-{index}",
        titles=titles,
        layout=layout,
        source=item.source_name,
        url=item.url,
        item=item,
    )
    paragraphs = [(lang, t.paragraphs) for lang, t in present]
    if layout == "parallel":
        for row in zip_longest(*(p for _, p in paragraphs), fillvalue=""):
            view.rows.append(
                [
                    Block(lang, text, lang != main)
                    for (lang, _), text in zip(paragraphs, row, strict=True)
                ]
            )
    elif layout == "alternate":
        for row in zip_longest(*(p for _, p in paragraphs), fillvalue=""):
            view.sequence += [
                Block(lang, text, lang != main)
                for (lang, _), text in zip(paragraphs, row, strict=True)
                if text
            ]
    else:
        for lang, t in present:
            title = Block(lang, t.title, lang != main)
            body = [Block(lang, p, lang != main) for p in t.paragraphs]
            view.parts.append((title, body))
    return view


def build_view(edition: Edition, settings: Settings | None = None) -> EditionView:
    """The edition as display text, in the series' layout (an unknown layout reads as
    `parallel`); items in position order."""
    languages = list(edition.languages) or ["vi"]
    layout = edition.series.layout if edition.series.layout in LAYOUTS else "parallel"
    ordered = sorted(edition.items, key=lambda i: (i.position, i.id))
    items = [_item_view(item, n, languages, layout) for n, item in enumerate(ordered, start=1)]
    dates: list[Block] = []
    for i, lang in enumerate(languages):
        text = fmt_issue_date(edition.issue_date, lang)
        if text and all(d.text != text for d in dates):
            dates.append(Block(lang, text, i > 0))
    return EditionView(
        edition=edition,
        main=languages[0],
        languages=languages,
        series_name=edition.series.name,
        number=edition.number,
        title=edition.title,
        layout=layout,
        dates=dates,
        masthead=edition.series.masthead,
        colophon=edition.series.colophon,
        description=edition.series.description,
        office=settings.office_name if settings is not None else "",
        items=items,
    )


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The templates' Jinja2 environment (autoescaped, strict)."""
    return Environment(
        loader=PackageLoader("hoasen.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_page(template: str, variant: str = "web", **context: Any) -> str:
    """One template rendered with the inline CSS of `variant` ("web" or "print")."""
    return environment().get_template(template).render(css=Markup(css(variant)), **context)


def render_html(edition: Edition, settings: Settings | None = None, variant: str = "web") -> str:
    """The edition as one self-contained page: the electronic version ("web") or the page the
    PDF is laid out from ("print": A4 page rules, running header, TOC page numbers)."""
    view = build_view(edition, settings)
    return render_page("edition.html.j2", variant, v=view)
