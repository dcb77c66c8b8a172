"""Edition outputs: PDF, self-contained HTML, EPUB 3 and DOCX for a Vietnamese–Chinese and a
Vietnamese–English edition in each layout (parallel, alternate, sequential)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from hoasen.errors import UsageError
from hoasen.publish.edition_model import LAYOUTS, Edition, EditionItem, EditionSeries, ItemText
from hoasen.publish.render import MEDIA_TYPES, RENDER_FORMATS, render_edition
from hoasen.settings import Settings

VI_1 = (
    "Quảng Ninh và Quảng Tây hợp tác báo chí",
    "Trung tâm Truyền thông tỉnh Quảng Ninh đã hợp tác với các cơ quan báo chí Khu tự trị dân "
    "tộc Choang Quảng Tây (Trung Quốc) từ năm 2006.\n\n"
    "Hai bên cùng xuất bản Đặc san Hoa Sen, góp phần quảng bá hình ảnh, con người và du lịch "
    "của địa phương. Ghi chú: 3 < 5 & <b>không</b> phải thẻ.",
)
ZH_1 = (
    "广宁与广西媒体合作",
    "广宁省传媒中心自2006年起与中国广西壮族自治区的媒体机构开展合作。\n\n"
    "双方联合出版《荷花》专刊，宣传两地的形象、人民和旅游。注：3 < 5 & <b>不是</b>标签。",
)
VI_2 = (
    "Lễ hội hoa sở Bình Liêu",
    "Huyện Bình Liêu tổ chức lễ hội hoa sở thu hút du khách hai bên biên giới.",
)
ZH_2 = ("平辽油茶花节", "平辽县举办油茶花节，吸引边境两侧游客。")
EN_1 = (
    "Quang Ninh and Guangxi media cooperation",
    "The Quang Ninh Provincial Media Center has worked with media in Guangxi since 2006.\n\n"
    "Together they publish the Hoa Sen special issue.",
)
VI_WORD = "Quảng Ninh"
ZH_PHRASE = "广西壮族自治区"


def _item(n: int, texts: dict[str, tuple[str, str]]) -> EditionItem:
    return EditionItem(
        id=100 + n,
        position=n,
        texts={lang: ItemText(lang, title, body) for lang, (title, body) in texts.items()},
        source_name="Báo Quảng Ninh",
    )


def vi_zh_edition(layout: str = "parallel") -> Edition:
    """A small Vietnamese–Chinese special issue: two items, one paragraph-count mismatch."""
    series = EditionSeries(
        id=1,
        slug="hoa-sen",
        name="Đặc san Hoa Sen",
        languages=("vi", "zh"),
        layout=layout,
        masthead="Tổng biên tập: Nguyễn Văn A\n总编辑：阮文A",
        colophon="Giấy phép xuất bản số 12/GP-STTTT",
        description="Đặc san song ngữ Việt – Trung",
    )
    items = (_item(1, {"vi": VI_1, "zh": ZH_1}), _item(2, {"vi": VI_2, "zh": ZH_2}))
    return Edition(series, 3, "Hữu nghị biên giới", date(2026, 5, 1), "published", items)


def vi_en_edition(layout: str = "alternate") -> Edition:
    """A Vietnamese–English newsletter with one item."""
    series = EditionSeries(2, "newsletter", "Bản tin Quảng Ninh", ("vi", "en"), layout)
    edition = Edition(
        series,
        7,
        "Newsletter",
        date(2026, 6, 1),
        "published",
        (_item(1, {"vi": VI_1, "en": EN_1}),),
    )
    return edition


def _published(edition: Edition) -> Edition:
    return Edition(
        edition.series, edition.number, edition.title, edition.issue_date, edition.status,
        edition.items, published=datetime(2026, 5, 1, 2, 0, tzinfo=UTC),
    )  # fmt: skip


def test_unknown_format_is_a_usage_error(settings: Settings) -> None:
    with pytest.raises(UsageError):
        render_edition(vi_zh_edition(), "odt", settings)
    assert set(MEDIA_TYPES) == set(RENDER_FORMATS)


# --- HTML -----------------------------------------------------------------------------------

EXTERNAL = re.compile(r"@import|url\(\s*['\"]?\s*(https?:)?//", re.I)


def assert_self_contained(page: str) -> None:
    """No element loads anything from elsewhere, and the CSS imports nothing."""
    tree = lxml_html.fromstring(page)
    assert tree.xpath("//script|//iframe|//object|//embed") == []
    for element in tree.xpath("//link|//img|//source|//audio|//video"):
        for attr in ("src", "href", "srcset"):
            value = element.get(attr) or ""
            assert not re.match(r"\s*(https?:)?//", value), (element.tag, value)
    for style in tree.xpath("//style"):
        assert not EXTERNAL.search(style.text or "")
    assert not EXTERNAL.search(page)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_html_is_bilingual_self_contained_and_escaped(settings: Settings, layout: str) -> None:
    page = render_edition(vi_zh_edition(layout), "html", settings).decode("utf-8")
    assert_self_contained(page)
    tree = lxml_html.fromstring(page)
    assert tree.get("lang") == "vi"
    vi_text = " ".join(tree.xpath('//*[@lang="vi"]//text()'))
    zh_text = " ".join(tree.xpath('//*[@lang="zh"]//text()'))
    assert VI_WORD in vi_text and "Hoa Sen" in vi_text
    assert ZH_PHRASE in zh_text and "油茶花节" in zh_text
    assert "<b>không</b>" not in page and "&lt;b&gt;không&lt;/b&gt;" in page
    assert "3 < 5 & <b>không</b>" in tree.text_content()
    # Cover: series, number in both languages, date, title, languages; contents; masthead.
    cover = tree.xpath('//header[@class="cover"]')[0].text_content()
    for expected in ("Đặc san Hoa Sen", "Số 3", "第3期", "01/05/2026", "Hữu nghị biên giới"):
        assert expected in cover
    assert "Tiếng Việt" in cover and "中文" in cover
    toc = tree.xpath('//nav[@class="toc"]//a/@href')
    assert toc == ["#item-1", "#item-2"] and tree.xpath('//*[@id="item-2"]')
    assert "Mục lục" in page and "目录" in page
    assert "Tổng biên tập" in page and "12/GP-STTTT" in page
    article = tree.xpath('//*[@id="item-1"]')[0]
    assert layout in article.get("class")


def test_parallel_rows_keep_paragraphs_aligned(settings: Settings) -> None:
    tree = lxml_html.fromstring(render_edition(vi_zh_edition(), "html", settings))
    rows = tree.xpath('//*[@id="item-1"]//div[@class="pair"]')
    assert len(rows) == 3  # titles + two paragraph pairs
    cells = rows[2].xpath("./div")
    assert [c.get("lang") for c in cells] == ["vi", "zh"]
    assert "Đặc san Hoa Sen" in cells[0].text_content() and "专刊" in cells[1].text_content()


def test_alternate_and_sequential_orders(settings: Settings) -> None:
    alternate = lxml_html.fromstring(render_edition(vi_zh_edition("alternate"), "html", settings))
    langs = [p.get("lang") for p in alternate.xpath('//*[@id="item-1"]/p[@lang]')]
    assert langs == ["vi", "zh", "vi", "zh"]
    sequential = lxml_html.fromstring(render_edition(vi_zh_edition("sequential"), "html", settings))
    sections = sequential.xpath('//*[@id="item-1"]/section')
    assert [s.get("lang") for s in sections] == ["vi", "zh"]
    assert len(sections[0].xpath("p")) == 2 and len(sections[1].xpath("p")) == 2


def test_vietnamese_english_newsletter(settings: Settings) -> None:
    page = render_edition(vi_en_edition(), "html", settings).decode("utf-8")
    assert_self_contained(page)
    tree = lxml_html.fromstring(page)
    assert "Guangxi since 2006" in " ".join(tree.xpath('//*[@lang="en"]//text()'))
    assert "Mục lục" in page and "Contents" in page and "No. 7" in page


# --- PDF ------------------------------------------------------------------------------------


def _pdftotext(pdf: bytes, tmp_path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; CI installs it")
    path = tmp_path / "edition.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    )
    return result.stdout.decode("utf-8")


@pytest.mark.parametrize("layout", LAYOUTS)
def test_pdf_shows_both_languages(settings: Settings, tmp_path: Path, layout: str) -> None:
    pdf = render_edition(vi_zh_edition(layout), "pdf", settings)
    assert pdf.startswith(b"%PDF-")
    text = _pdftotext(pdf, tmp_path)
    words = " ".join(text.split())
    assert VI_WORD in words and "hợp tác báo chí" in words
    assert "3<5&<b>không</" in "".join(text.split())  # escaped, drawn as text
    joined = "".join(text.split())  # narrow columns wrap Chinese lines anywhere
    assert ZH_PHRASE in joined and "油茶花节" in joined
    assert "第3期" in joined  # running header and cover in Chinese


def test_pdf_contents_has_page_numbers(settings: Settings, tmp_path: Path) -> None:
    text = _pdftotext(render_edition(vi_en_edition("parallel"), "pdf", settings), tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 3  # cover, contents, item
    contents = next(p for p in pages if "Mục lục" in p)
    assert re.search(r"Quang Ninh and Guangxi media cooperation\s*\.*\s*3\b", contents)
    assert "Bản tin Quảng Ninh" in pages[2] and re.search(r"3\s*/\s*3", pages[2])


# --- EPUB -----------------------------------------------------------------------------------

OPF_NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
XHTML_NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def _opf(epub_bytes: bytes) -> tuple[zipfile.ZipFile, etree._Element, str]:
    archive = zipfile.ZipFile(io.BytesIO(epub_bytes))
    container = etree.fromstring(archive.read("META-INF/container.xml"))
    path = container.xpath("//*[local-name()='rootfile']/@full-path")[0]
    return archive, etree.fromstring(archive.read(path)), path.rsplit("/", 1)[0]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_epub_package_nav_and_chapters(settings: Settings, tmp_path: Path, layout: str) -> None:
    from ebooklib import ITEM_DOCUMENT, epub

    data = render_edition(_published(vi_zh_edition(layout)), "epub", settings)
    archive, opf, folder = _opf(data)
    assert archive.namelist()[0] == "mimetype"
    assert archive.read("mimetype") == b"application/epub+zip"
    assert opf.get("version") == "3.0"
    assert opf.xpath("//dc:language/text()", namespaces=OPF_NS) == ["vi", "zh"]
    uid = opf.get("unique-identifier")
    identifier = opf.xpath(f"//dc:identifier[@id='{uid}']/text()", namespaces=OPF_NS)
    assert identifier and identifier[0].startswith("urn:uuid:")
    modified = opf.xpath("//opf:meta[@property='dcterms:modified']/text()", namespaces=OPF_NS)
    assert modified == ["2026-05-01T02:00:00Z"]
    manifest = {i.get("id"): i for i in opf.xpath("//opf:manifest/opf:item", namespaces=OPF_NS)}
    nav = [i for i in manifest.values() if "nav" in (i.get("properties") or "").split()]
    assert len(nav) == 1
    nav_doc = etree.fromstring(archive.read(f"{folder}/{nav[0].get('href')}"))
    links = nav_doc.xpath("//x:nav[@epub:type='toc']//x:a", namespaces=XHTML_NS)
    titles = " ".join(a.text for a in links)
    assert "Quảng Ninh và Quảng Tây hợp tác báo chí" in titles and "平辽油茶花节" in titles
    hrefs = [a.get("href") for a in links]
    assert "item-1.xhtml" in hrefs and "item-2.xhtml" in hrefs
    langs: set[str] = set()
    for item in manifest.values():
        href = item.get("href")
        assert not re.match(r"(https?:)?//", href)
        if item.get("media-type") == "application/xhtml+xml":
            doc = etree.fromstring(archive.read(f"{folder}/{href}"))  # parses as XML
            for element in doc.xpath("//*[@lang]"):
                assert element.get("{http://www.w3.org/XML/1998/namespace}lang") == element.get(
                    "lang"
                )
                langs.add(element.get("lang"))
            for attr in doc.xpath("//@src|//@href"):
                assert not re.match(r"(https?:)?//", attr)
    assert langs == {"vi", "zh"}
    chapter = etree.fromstring(archive.read(f"{folder}/item-1.xhtml"))
    assert ZH_PHRASE in "".join(chapter.xpath("//*[@lang='zh']//text()"))
    # ebooklib reads it back.
    path = tmp_path / "edition.epub"
    path.write_bytes(data)
    book = epub.read_epub(str(path))
    assert len(list(book.get_items_of_type(ITEM_DOCUMENT))) >= 4
    if shutil.which("epubcheck") is None:
        pytest.skip("epubcheck is not installed: package, nav and XHTML checked above only")
    result = subprocess.run(["epubcheck", str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_epub_identifier_is_stable(settings: Settings) -> None:
    first = _opf(render_edition(vi_zh_edition(), "epub", settings))[1]
    again = _opf(render_edition(vi_zh_edition("sequential"), "epub", settings))[1]
    path = "//dc:identifier/text()"
    assert first.xpath(path, namespaces=OPF_NS) == again.xpath(path, namespaces=OPF_NS)


# --- DOCX -----------------------------------------------------------------------------------


def _docx_text(data: bytes) -> tuple[str, list[list[list[str]]]]:
    import docx

    document = docx.Document(io.BytesIO(data))
    text = "\n".join(p.text for p in document.paragraphs)
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return text, tables


def test_docx_parallel_is_a_two_column_table(settings: Settings) -> None:
    data = render_edition(vi_zh_edition("parallel"), "docx", settings)
    text, tables = _docx_text(data)
    assert "Đặc san Hoa Sen".upper() in text and "第3期" in text and "Mục lục" in text
    assert len(tables) == 2 and all(len(row) == 2 for t in tables for row in t)
    first = tables[0]
    assert first[0] == [VI_1[0], ZH_1[0]]
    assert VI_WORD in first[1][0] and ZH_PHRASE in first[1][1]
    assert "3 < 5 & <b>không</b>" in first[2][0]
    document = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    assert 'w:eastAsia="SimSun"' in document and 'w:eastAsia="zh-CN"' in document
    assert 'w:val="vi-VN"' in document


@pytest.mark.parametrize("layout", ["alternate", "sequential"])
def test_docx_other_layouts(settings: Settings, layout: str) -> None:
    text, tables = _docx_text(render_edition(vi_zh_edition(layout), "docx", settings))
    assert tables == []
    assert VI_WORD in text and ZH_PHRASE in text
    first_vi = text.index("Trung tâm Truyền thông")
    first_zh = text.index("广宁省传媒中心")
    second_vi = text.index("Hai bên cùng xuất bản")
    if layout == "alternate":
        assert first_vi < first_zh < second_vi
    else:
        assert first_vi < second_vi < first_zh


def test_docx_vietnamese_english(settings: Settings) -> None:
    _text, tables = _docx_text(render_edition(vi_en_edition("parallel"), "docx", settings))
    assert tables[0][0] == [VI_1[0], EN_1[0]] and "Guangxi since 2006" in tables[0][1][1]
