"""The termbase: stored rows, the concept model shared with the gazetteer (garbled aliases
forbidden), office terms, glossaries, finding terms in text, and TBX-Basic / CSV files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store
from hoasen.store.termbase import ConceptRows, TermRow, TermStore
from hoasen.translate.concepts import Concept, ConceptTerm, canonical_lang, to_traditional
from hoasen.translate.termbase import Termbase
from hoasen.translate.termfile import TBX_NS, read_csv, read_tbx, write_csv, write_tbx

GAZETTEER = Gazetteer.load()


def statuses(termbase: Termbase, concept_id: str, lang: str) -> dict[str, str]:
    return {t.text: t.status for t in termbase.concept(concept_id).in_lang(lang)}


def snapshot(
    termbase: Termbase,
) -> dict[str, tuple[str, str, str, frozenset[tuple[str, str, str, str]]]]:
    return {
        c.id: (
            c.type,
            c.subject,
            c.note,
            frozenset((t.lang, t.text, t.status, t.note) for t in c.terms),
        )
        for c in termbase.all().values()
    }


@pytest.fixture
def termbase(store: Store) -> Termbase:
    return Termbase(store, GAZETTEER, max_age=0)


# ---------------------------------------------------------------------------------- rows


def test_rows_keep_one_preferred_term_per_language(store: Store) -> None:
    rows = TermStore(store)
    rows.add_concept("term.hoa-sen", "TERM", subject="publication")
    first = rows.add_term("term.hoa-sen", "en", "Hoa Sen special issue", "preferred")
    rows.add_term("term.hoa-sen", "vi", "Đặc san Hoa Sen", "preferred")
    second = rows.add_term("term.hoa-sen", "en", "Hoa Sen Special Edition", "preferred")
    assert rows.term(first.id).status == "admitted"
    assert rows.term(second.id).status == "preferred"
    assert rows.term(first.id).concept_id == "term.hoa-sen"
    rows.update_term(first.id, {"status": "preferred", "note": "the office's usage"})
    assert rows.term(second.id).status == "admitted"
    assert rows.term(first.id).note == "the office's usage"
    again = rows.set_status("term.hoa-sen", "en", "Hoa Sen Special Edition", "forbidden")
    assert again.id == second.id and again.status == "forbidden"
    concept = rows.concept("term.hoa-sen")
    assert concept is not None and len(concept.terms) == 3
    assert [c.id for c in rows.concepts(query="SPECIAL ISSUE")] == ["term.hoa-sen"]
    assert [c.id for c in rows.concepts(lang="vi")] == ["term.hoa-sen"]
    assert rows.concepts(lang="ko") == []
    rows.delete_term(second.id)
    with pytest.raises(NotFoundError):
        rows.term(second.id)
    rows.delete_concept("term.hoa-sen")
    assert rows.concept("term.hoa-sen") is None and rows.terms() == []


def test_rows_refuse_bad_values(store: Store) -> None:
    rows = TermStore(store)
    rows.add_concept("term.x", "TERM")
    with pytest.raises(UsageError):
        rows.add_concept("term.x", "TERM")
    with pytest.raises(UsageError):
        rows.add_concept("1bad id", "TERM")
    with pytest.raises(UsageError):
        rows.add_concept("term.y", "PLACE")
    with pytest.raises(UsageError):
        rows.add_term("term.x", "en", "x", "banned")
    with pytest.raises(UsageError):
        rows.add_term("term.x", "english", "x")
    with pytest.raises(UsageError):
        rows.add_term("term.x", "en", "  ")
    with pytest.raises(UsageError):
        rows.add_term("term.x", "en", "two\nlines")
    with pytest.raises(NotFoundError):
        rows.add_term("term.nothing", "en", "x")


def test_replace_is_all_or_nothing(store: Store) -> None:
    rows = TermStore(store)
    good = ConceptRows("term.a", "TERM", terms=(TermRow("en", "A", "preferred"),))
    bad = ConceptRows(
        "term.b",
        "TERM",
        terms=(TermRow("en", "B", "preferred"), TermRow("en", "B2", "preferred")),
    )
    with pytest.raises(UsageError, match="two preferred"):
        rows.replace([good, bad])
    assert rows.count() == 0
    assert rows.replace([good]) == (1, 1)
    replaced = ConceptRows("term.a", "ORG", note="n", terms=(TermRow("vi", "Á", "admitted"),))
    assert rows.replace([replaced]) == (1, 1)
    concept = rows.concept("term.a")
    assert concept is not None and concept.type == "ORG" and concept.note == "n"
    assert [(t.lang, t.text) for t in concept.terms] == [("vi", "Á")]


# ---------------------------------------------------------------------------------- concepts


def test_every_gazetteer_entity_is_a_concept() -> None:
    termbase = Termbase(None, GAZETTEER)
    assert all(entity.id in termbase.all() for entity in GAZETTEER)
    sun = termbase.concept("per.sun-yeli")
    assert sun.type == "PER" and sun.entity_id == "per.sun-yeli" and sun.origin == "gazetteer"
    assert sun.preferred("en").text == "Sun Yeli"  # type: ignore[union-attr]
    assert sun.preferred("zh-Hans").text == "孙业礼"  # type: ignore[union-attr]
    assert sun.preferred("zh-Hant").text == "孫業禮"  # type: ignore[union-attr]


def test_garbled_aliases_are_forbidden() -> None:
    termbase = Termbase(None, GAZETTEER)
    # The gazetteer keeps "Ton Nghiep Le" so that the recogniser links it; it is not his name.
    assert statuses(termbase, "per.sun-yeli", "en") == {
        "Sun Yeli": "preferred",
        "Ton Nghiep Le": "forbidden",
    }
    assert statuses(termbase, "per.sun-yeli", "vi")["Ton Nghiep Le"] == "forbidden"
    # Vietnamese entities keep their unmarked English names; Vietnamese needs its marks.
    assert statuses(termbase, "vn.quang-ninh", "en")["Quang Ninh"] == "preferred"
    assert statuses(termbase, "vn.quang-ninh", "vi") == {
        "Quảng Ninh": "preferred",
        "Quang Ninh": "forbidden",
    }
    assert statuses(termbase, "vn.ha-noi", "en")["Ha Noi"] == "admitted"
    # A borrowed foreign form is not a stripped Vietnamese one.
    assert statuses(termbase, "cn.hong-kong", "vi")["Hong Kong"] == "admitted"
    # Stripped Vietnamese exonyms of foreign names are forbidden in English...
    assert statuses(termbase, "cn.fujian", "en")["Phuc Kien"] == "forbidden"
    assert statuses(termbase, "per.xi-jinping", "en")["Tap Can Binh"] == "forbidden"
    assert statuses(termbase, "country.us", "en")["Hoa Ky"] == "forbidden"
    # ... but not one-word ones, which are also Vietnamese given names ("Duc", "Anh").
    assert "Duc" not in statuses(termbase, "country.de", "en")


def test_office_terms_are_concepts() -> None:
    termbase = Termbase(None, GAZETTEER)
    issue = termbase.concept("term.hoa-sen-special-issue")
    assert issue.origin == "office" and issue.subject == "publication"
    assert issue.preferred("vi").text == "Đặc san Hoa Sen"  # type: ignore[union-attr]
    assert issue.preferred("en").text == "Hoa Sen special issue"  # type: ignore[union-attr]
    assert issue.preferred("zh-Hans").text == "《荷花》特刊"  # type: ignore[union-attr]
    chairman = termbase.concept("term.chairman-provincial-peoples-committee")
    assert chairman.preferred("en").text == (  # type: ignore[union-attr]
        "Chairman of the Provincial People's Committee"
    )
    assert statuses(termbase, chairman.id, "vi")["Chủ tịch UBND tỉnh"] == "admitted"
    bri = termbase.concept("term.belt-and-road-initiative")
    assert statuses(termbase, bri.id, "en")["One Belt, One Road"] == "forbidden"
    assert termbase.count(type="TERM") >= 40


def test_language_tags() -> None:
    assert canonical_lang("zh") == "zh-Hans"
    assert canonical_lang("zh-CN") == "zh-Hans"
    assert canonical_lang("zh_TW") == "zh-Hant"
    assert canonical_lang("zh-hant-HK") == "zh-Hant"
    assert canonical_lang("EN-gb") == "en"
    assert canonical_lang("vi") == "vi"
    with pytest.raises(UsageError):
        canonical_lang("chinese")
    assert to_traditional("广西壮族自治区") == "廣西壯族自治區"
    assert to_traditional("后") is None  # 後 or 后: not converted without a person's choice


def test_database_rows_override_and_fall_back(termbase: Termbase) -> None:
    concept = termbase.set_status("per.sun-yeli", "en", "Sun Ye-li", "preferred")
    assert statuses(termbase, concept.id, "en") == {
        "Sun Ye-li": "preferred",
        "Sun Yeli": "admitted",
        "Ton Nghiep Le": "forbidden",
    }
    stored = [t for t in concept.terms if t.id is not None]
    assert [(t.text, t.origin) for t in stored] == [("Sun Ye-li", "user")]
    termbase.set_status("per.sun-yeli", "en", "Sun Yeli", "preferred")
    assert statuses(termbase, concept.id, "en")["Sun Ye-li"] == "admitted"
    termbase.set_status("vn.quang-ninh", "vi", "Quang Ninh", "admitted")
    assert statuses(termbase, "vn.quang-ninh", "vi")["Quang Ninh"] == "admitted"
    left = termbase.delete_concept("per.sun-yeli")
    assert left is not None and statuses(termbase, "per.sun-yeli", "en")["Sun Yeli"] == "preferred"
    assert "Sun Ye-li" not in statuses(termbase, "per.sun-yeli", "en")


def test_office_adds_its_own_concepts(termbase: Termbase) -> None:
    concept = termbase.add_concept(
        "term.quang-ninh-dongxing-fair",
        "TERM",
        [
            ("vi", "Hội chợ Móng Cái – Đông Hưng", "preferred"),
            ("en", "Mong Cai–Dongxing Fair", "preferred"),
        ],
        subject="event",
    )
    assert concept.origin == "termbase"
    with pytest.raises(UsageError):
        termbase.add_concept("per.sun-yeli", "PER")
    termbase.add_term(concept.id, "zh", "芒街—东兴商贸博览会", "preferred")
    assert termbase.concept(concept.id).preferred("zh-Hans").text == "芒街—东兴商贸博览会"  # type: ignore[union-attr]
    assert termbase.concepts(query="mong cai dongxing")[0].id == concept.id
    assert termbase.concepts(query="móng cái", lang="vi", type="TERM")[0].id == concept.id
    term_id = next(t.id for t in termbase.concept(concept.id).terms if t.lang == "en")
    assert term_id is not None
    termbase.update_term(term_id, note="ask the organisers")
    assert termbase.delete_term(term_id) is not None
    assert termbase.delete_concept(concept.id) is None
    with pytest.raises(NotFoundError):
        termbase.concept(concept.id)


# ---------------------------------------------------------------------------------- glossary


def test_glossary_for_a_language_pair() -> None:
    termbase = Termbase(None, GAZETTEER)
    glossary = termbase.glossary("zh", "en")
    assert (glossary.source_lang, glossary.target_lang) == ("zh-Hans", "en")
    sun = next(e for e in glossary.entries if e.concept == "per.sun-yeli")
    assert sun.target == "Sun Yeli" and sun.forbidden == ("Ton Nghiep Le",)
    assert set(sun.sources) == {"孙业礼", "孫業禮"} and sun.type == "PER"
    guangxi = next(e for e in glossary.entries if e.concept == "cn.guangxi")
    assert guangxi.sources[0] == "广西壮族自治区"  # longest first
    assert "Guangxi Zhuang Autonomous Region" in guangxi.admitted
    vi_en = termbase.glossary("vi", "en")
    sun_vi = next(e for e in vi_en.entries if e.concept == "per.sun-yeli")
    assert set(sun_vi.sources) == {"Tôn Nghiệp Lễ", "Ton Nghiep Le"}  # garbled, still him
    issue = next(e for e in vi_en.entries if e.concept == "term.hoa-sen-special-issue")
    assert (issue.sources, issue.target, issue.type) == (
        ("Đặc san Hoa Sen",),
        "Hoa Sen special issue",
        "TERM",
    )
    en_vi = termbase.glossary("en", "vi")
    assert next(e for e in en_vi.entries if e.concept == "per.sun-yeli").target == "Tôn Nghiệp Lễ"
    assert termbase.glossary("zh", "en") is glossary  # cached


# ---------------------------------------------------------------------------------- find


def test_find_terms_with_their_status() -> None:
    termbase = Termbase(None, GAZETTEER)
    text = "Chủ tịch Tôn Nghiệp Lễ thăm Quảng Ninh; bản dịch máy viết Quang Ninh."
    found = termbase.find(text, "vi")
    assert [(o.concept, o.surface, o.status) for o in found] == [
        ("per.sun-yeli", "Tôn Nghiệp Lễ", "preferred"),
        ("vn.quang-ninh", "Quảng Ninh", "preferred"),
        ("vn.quang-ninh", "Quang Ninh", "forbidden"),
    ]
    assert all(text[o.start : o.end] == o.surface for o in found)
    english = termbase.find(
        "Ton Nghiep Le met the chairman of the provincial People's Committee.", "en"
    )
    assert [(o.concept, o.status) for o in english] == [
        ("per.sun-yeli", "forbidden"),
        ("term.chairman-provincial-peoples-committee", "preferred"),  # titles match in any case
    ]
    chinese = termbase.find("广西壮族自治区主席孙业礼在南宁会见《荷花》特刊编辑", "zh-Hans")
    assert [o.concept for o in chinese] == [
        "cn.guangxi",
        "per.sun-yeli",
        "cn.nanning",
        "term.hoa-sen-special-issue",
    ]
    assert [o.concept for o in termbase.find("廣西壯族自治區主席孫業禮", "zh-Hant")] == [
        "cn.guangxi",
        "per.sun-yeli",
    ]


def test_find_respects_case_marks_and_longer_names() -> None:
    termbase = Termbase(None, GAZETTEER)
    # A one-word name inside a longer capitalised name is not that name.
    assert [o.surface for o in termbase.find("Ông Phạm Đức Long phát biểu", "vi")] == [
        "Phạm Đức Long"
    ]
    # Proper names need their capital; unmarked text is not exact for a marked term.
    assert termbase.find("the guilin noodles", "en") == []
    unmarked = termbase.find("Doan cong tac den Ha Long", "vi")
    assert [(o.concept, o.exact) for o in unmarked] == [("vn.ha-long", True)]
    marked = termbase.find("Hạ Long", "vi")[0]
    assert marked.exact and marked.term == "Hạ Long" and marked.status == "preferred"
    # Spacing and dashes do not matter.
    assert termbase.find("Hội chợ Trung Quốc - ASEAN", "vi")[0].concept == "term.china-asean-expo"
    assert (
        termbase.find("Lễ khai mạc Carnaval  Hạ Long", "vi")[0].concept == "term.ha-long-carnival"
    )


def test_find_is_fast_for_ten_thousand_segments() -> None:
    termbase = Termbase(None, GAZETTEER)
    segments = [
        f"Sun Yeli, chairman of the Guangxi Zhuang Autonomous Region, met officials of Quang Ninh "
        f"province in Ha Long on March {n % 28 + 1} to discuss the Two Corridors, One Economic "
        "Belt."
        for n in range(10_000)
    ]
    termbase.find(segments[0], "en")  # compile once
    started = time.perf_counter()
    hits = sum(len(termbase.find(s, "en")) for s in segments)
    elapsed = time.perf_counter() - started
    assert hits == 5 * len(segments)
    assert elapsed < 10, elapsed  # about 0.4 s on the 2-core CI machine


# ---------------------------------------------------------------------------------- files


def test_tbx_export_is_tbx_basic(termbase: Termbase) -> None:
    data = termbase.export("tbx")
    root = etree.fromstring(data)
    assert root.tag == f"{{{TBX_NS}}}tbx"
    assert (root.get("type"), root.get("style")) == ("TBX-Basic", "dca")
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    ns = {"t": TBX_NS}
    entry = root.xpath("//t:conceptEntry[@id='per.sun-yeli']", namespaces=ns)[0]
    en = entry.xpath("t:langSec[@xml:lang='en']/t:termSec", namespaces=ns)
    pairs = {
        s.findtext(f"{{{TBX_NS}}}term"): s.xpath(
            "t:termNote[@type='administrativeStatus']/text()", namespaces=ns
        )[0]
        for s in en
    }
    assert pairs == {
        "Sun Yeli": "preferredTerm-admn-sts",
        "Ton Nghiep Le": "deprecatedTerm-admn-sts",
    }
    assert entry.xpath("t:descrip[@type='subjectField']/text()", namespaces=ns) == ["person"]


@pytest.mark.parametrize("fmt", ["tbx", "csv"])
def test_export_import_round_trip(fmt: str, store: Store, tmp_path: Path) -> None:
    source = Termbase(store, GAZETTEER, max_age=0)
    source.set_status("per.sun-yeli", "en", "Sun Ye-li", "preferred")
    source.set_status("vn.ha-noi", "en", "Ha Noi", "forbidden")
    source.add_concept(
        "term.fair",
        "TERM",
        [("vi", 'Hội chợ "Móng Cái" & Đông Hưng', "preferred"), ("en", "A <Fair>", "preferred")],
        subject="event",
        note="two lines\nof note",
    )
    source.add_term("term.fair", "zh", "芒街—东兴", "admitted", note="Chinese media's name")
    data = source.export(fmt)
    path = tmp_path / f"terms.{fmt}"
    path.write_bytes(data)
    target = Termbase(Store.open(f"sqlite:///{tmp_path / 'other.db'}"), GAZETTEER, max_age=0)
    result = target.import_file(path)
    assert result.format == fmt and result.concepts == len(source)
    assert result.stored < 20  # only what differs from the gazetteer and office layers
    assert snapshot(target) == snapshot(source)
    assert target.export(fmt) == data
    again = target.import_file(path)  # importing twice changes nothing
    assert again.stored == result.stored and snapshot(target) == snapshot(source)
    custom = source.export(fmt, scope="custom")
    assert b"term.fair" in custom and b"cn.guangxi" not in custom


def test_import_replaces_the_concepts_of_the_file(termbase: Termbase) -> None:
    termbase.set_status("per.sun-yeli", "en", "Sun Ye-li", "preferred")
    csv_text = (
        "concept_id,type,lang,term,status,note\n"
        "per.sun-yeli,PER,en,Sun Yeli,preferred,\n"
        "per.sun-yeli,PER,en,Ton Nghiep Le,forbidden,\n"
        "per.sun-yeli,PER,en,Sun Ye Li,forbidden,seen in a draft\n"
        "term.new,TERM,vi,thuật ngữ mới,preferred,\n"
    )
    result = termbase.import_bytes(csv_text.encode(), "terms.csv")
    assert (result.format, result.concepts, result.terms) == ("csv", 2, 4)
    assert statuses(termbase, "per.sun-yeli", "en") == {
        "Sun Yeli": "preferred",
        "Ton Nghiep Le": "forbidden",
        "Sun Ye Li": "forbidden",
    }
    assert termbase.concept("term.new").type == "TERM"


@pytest.mark.parametrize(
    ("name", "content", "where"),
    [
        (
            "bad.csv",
            "concept_id,type,lang,term,status\nterm.a,TERM,en,A,preferred\nterm.b,TERM,en,B,banned\n",
            "line 3",
        ),
        ("bad.csv", "concept_id,lang,term,colour\nterm.a,en,A,red\n", "line 1"),
        (
            "bad.csv",
            "concept_id,type,lang,term,status\nterm.a,TERM,en,A,preferred\nterm.a,TERM,en,B,preferred\n",
            "line 3",
        ),
        (
            "bad.csv",
            "concept_id,type,lang,term,status\nterm.a,TERM,klingon-x,A,preferred\n",
            "line 2",
        ),
        ("bad.csv", "concept_id,type,lang,term,status\nterm.a,CITY,en,A,preferred\n", "line 2"),
        (
            "bad.tbx",
            '<?xml version="1.0"?>\n<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic">\n'
            '<text><body>\n<conceptEntry id="term.a">\n<langSec xml:lang="en">\n'
            "<termSec><term>A</term></termSec>\n</langSec>\n</body></text></tbx>\n",
            "line 8",  # </body> closes inside an open conceptEntry
        ),
        (
            "bad.tbx",
            '<tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca">\n'
            '<text><body>\n<conceptEntry id="term.a">\n<langSec xml:lang="en">\n<termSec>\n'
            "<term>A</term>\n"
            '<termNote type="administrativeStatus">bannedTerm-admn-sts</termNote>\n'
            "</termSec></langSec></conceptEntry></body></text></tbx>\n",
            "line 7",
        ),
        (
            "bad.tbx",
            '<tbx xmlns="urn:iso:std:iso:30042:ed-2">\n<text><body>\n'
            '<conceptEntry id="term.a">\n<langSec>\n<termSec><term>A</term></termSec>\n'
            "</langSec></conceptEntry></body></text></tbx>\n",
            "line 4",
        ),
        (
            "bad.tbx",
            '<tbx xmlns="urn:iso:std:iso:30042:ed-2">\n<text><body>\n'
            '<conceptEntry id="term.a">\n<langSec xml:lang="en">\n'
            "<termSec><term>   </term></termSec>\n</langSec></conceptEntry></body></text></tbx>\n",
            "line 5",
        ),
        ("bad.tbx", "<html><body>not a termbase</body></html>", "line 1"),
    ],
)
def test_malformed_files_are_refused_whole(
    termbase: Termbase, tmp_path: Path, name: str, content: str, where: str
) -> None:
    before = snapshot(termbase)
    rows_before = termbase.rows.count() if termbase.rows else 0
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        termbase.import_file(path)
    assert where in str(caught.value) and "nothing imported" in str(caught.value)
    assert termbase.rows is not None and termbase.rows.count() == rows_before
    assert snapshot(termbase) == before


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE tbx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<tbx xmlns="urn:iso:std:iso:30042:ed-2"><text><body>
<conceptEntry id="term.a"><langSec xml:lang="en"><termSec><term>&lol3;</term></termSec>
</langSec></conceptEntry></body></text></tbx>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE tbx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<tbx xmlns="urn:iso:std:iso:30042:ed-2"><text><body>
<conceptEntry id="term.a"><langSec xml:lang="en"><termSec><term>&secret;</term></termSec>
</langSec></conceptEntry></body></text></tbx>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_declarations_are_refused(data: bytes) -> None:
    with pytest.raises(UsageError, match="entity"):
        read_tbx(data, "attack.tbx")


def test_reads_tbx_2008_martif() -> None:
    data = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE martif SYSTEM "TBXBasiccoreStructV02.dtd">
<martif type="TBX-Basic" xml:lang="en-US">
<text><body>
<termEntry id="c1">
  <descrip type="subjectField">politics</descrip>
  <langSet xml:lang="en-US">
    <tig><term>Belt and Road Initiative</term>
      <termNote type="administrativeStatus">preferredTerm-admn-sts</termNote></tig>
    <tig><term>One Belt, One Road</term>
      <termNote type="administrativeStatus">supersededTerm-admn-sts</termNote></tig>
  </langSet>
  <langSet xml:lang="zh-CN"><tig><term>&#19968;&#24102;&#19968;&#36335;</term></tig></langSet>
</termEntry>
</body></text></martif>"""
    [concept] = read_tbx(data, "old.tbx")
    terms = {(t.lang, t.text, t.status) for t in concept.terms}
    assert terms == {
        ("en", "Belt and Road Initiative", "preferred"),
        ("en", "One Belt, One Road", "forbidden"),
        ("zh-Hans", "一带一路", "admitted"),
    }
    assert (concept.id, concept.subject, concept.type) == ("c1", "politics", None)


# Term texts with what breaks naive writers: quotes, ampersands, angle brackets, commas, CJK.
TEXT = (
    st.text(
        alphabet=st.one_of(
            st.sampled_from(list("\"'&<>,;|:=%#-– ")),
            st.characters(whitelist_categories=("Lu", "Ll", "Lo", "Nd")),
            st.sampled_from(list("孙业礼广西壮族《荷花》特刊ĐặcsanHoaSenỦyban")),
        ),
        min_size=1,
        max_size=30,
    )
    .map(str.strip)
    .filter(lambda s: bool(s) and "\r" not in s)
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    terms=st.lists(
        st.tuples(
            st.sampled_from(["vi", "en", "zh-Hans", "ja"]),
            TEXT,
            st.sampled_from(["admitted", "forbidden"]),
        ),
        min_size=1,
        max_size=6,
        unique_by=lambda t: (t[0], t[1]),
    ),
    preferred=TEXT,
    note=TEXT,
)
def test_files_round_trip_any_text(
    terms: list[tuple[str, str, str]], preferred: str, note: str
) -> None:
    import unicodedata

    items = [
        ConceptTerm(lang, unicodedata.normalize("NFC", text), status, note=note)
        for lang, text, status in terms
    ]
    if all(t.text != unicodedata.normalize("NFC", preferred) or t.lang != "en" for t in items):
        items.append(ConceptTerm("en", unicodedata.normalize("NFC", preferred), "preferred"))
    concept = Concept("term.sample", "ORG", tuple(items), subject=note, note=note)
    for read, write in ((read_tbx, write_tbx), (read_csv, write_csv)):
        [parsed] = read(write([concept]), "sample")
        assert (
            parsed.type == "ORG" and parsed.subject == note.strip() and parsed.note == note.strip()
        )
        assert {(t.lang, t.text, t.status, t.note) for t in parsed.terms} == {
            (t.lang, t.text, t.status, t.note) for t in items
        }
