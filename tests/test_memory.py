"""Translation memory: exact and fuzzy lookup, upsert, language families, bulk insert, TMX 1.4b
import/export (round trip, refusal of malformed or unsafe files, inline tags), on real databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hoasen.errors import NotFoundError, UsageError
from hoasen.store.db import Store
from hoasen.store.memory import MemoryStore, TMEntry, normalize_lang, same_family
from hoasen.translate import memory as memory_module
from hoasen.translate.memory import (
    TranslationMemory,
    fuzzy_form,
    new_entry,
    normalize,
    read_tmx,
    source_key,
    write_tmx,
)

VI = "Quảng Ninh đón 366 nghìn lượt khách quốc tế trong tháng 11."
EN = "Quang Ninh welcomed 366,000 international visitors in November."


@pytest.fixture
def tm(store: Store) -> TranslationMemory:
    return TranslationMemory(store)


def tmx(body: str, header: str = 'srclang="vi"') -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'<header creationtool="t" segtype="sentence" o-tmf="t" adminlang="en" {header} '
        f'datatype="plaintext"/>\n<body>\n{body}\n</body>\n</tmx>\n'
    ).encode()


def tu(vi: str, en: str, extra: str = "") -> str:
    return (
        f'<tu>{extra}<tuv xml:lang="vi"><seg>{vi}</seg></tuv>'
        f'<tuv xml:lang="en"><seg>{en}</seg></tuv></tu>'
    )


# ------------------------------------------------------------------ normalisation


def test_normalize_folds_width_case_spaces_and_quotes() -> None:
    assert normalize("  ＱＵẢＮＧ   Ninh， “đẹp”\u00a0— ") == normalize('quảng ninh, "đẹp" -')
    assert source_key("Hà Nội") == source_key("HÀ  NỘI")
    assert source_key("Hà Nội") != source_key("Ha Noi")  # diacritics are kept
    assert fuzzy_form("366 visitors {0} <b>") == fuzzy_form("367 visitors {name} <i>")


def test_language_codes() -> None:
    assert normalize_lang("ZH-hans") == "zh-Hans"
    assert normalize_lang("en_gb") == "en-GB"
    with pytest.raises(UsageError):
        normalize_lang("not a code")
    assert same_family("zh", "zh-Hans") and same_family("zh-Hans", "zh")
    assert not same_family("zh-Hans", "zh-Hant") and not same_family("vi", "en")


# ------------------------------------------------------------------ lookup


def test_exact_then_fuzzy(tm: TranslationMemory) -> None:
    first = tm.add(VI, EN, "vi", "en")
    other = tm.add(VI.replace("366", "367"), EN.replace("366", "367"), "vi", "en", state="draft")
    tm.add("Một câu hoàn toàn khác về Hạ Long.", "Another sentence about Ha Long.", "vi", "en")
    found = tm.lookup(VI, "vi", "en")
    assert [m.id for m in found] == [first, other]
    assert found[0].score == 1.0 and found[0].target == EN and found[0].state == "approved"
    assert 0.9 <= found[1].score < 1.0  # one number differs: close, never exact
    assert found[1].origin == "human"
    # case, width and spacing only: still exact, marked 0.99
    assert tm.lookup(VI.upper().replace(" ", "  "), "vi", "en")[0].score == 0.99
    assert tm.lookup(VI, "vi", "en", limit=1) == found[:1]
    assert tm.lookup("Hoàn toàn không liên quan gì cả, thật đấy.", "vi", "en") == []
    assert tm.lookup(VI, "vi", "en", states=["draft"])[0].id == other
    assert tm.lookup(VI, "en", "vi") == []
    with pytest.raises(UsageError):
        tm.lookup(VI, "vi", "en", min_score=1.5)


def test_fuzzy_scores_and_ranking(tm: TranslationMemory) -> None:
    draft = tm.add(
        "Hà Nội mưa to suốt đêm qua.", "Hanoi had heavy rain overnight.", "vi", "en", "draft"
    )
    approved = tm.add("Hà Nội mưa to suốt đêm qua!", "Heavy rain in Hanoi overnight!", "vi", "en")
    found = tm.lookup("Hà Nội mưa rất to suốt đêm qua.", "vi", "en", min_score=0.8)
    assert {m.id for m in found} == {draft, approved}
    assert all(0.8 <= m.score < 1 for m in found)
    assert tm.lookup("Hà Nội mưa rất to suốt đêm qua.", "vi", "en", min_score=0.99) == []


def test_cjk_fuzzy(tm: TranslationMemory) -> None:
    tm.add(
        "广西壮族自治区主席孙业礼会见越南代表团。",
        "Sun Yeli met the Vietnamese delegation.",
        "zh",
        "en",
    )
    found = tm.lookup("广西壮族自治区主席孙业礼会见越南记者代表团。", "zh", "en")
    assert found and 0.85 < found[0].score < 1


def test_upsert_keeps_one_row(tm: TranslationMemory) -> None:
    first = tm.add(VI, EN, "vi", "en", state="draft")
    again = tm.add(VI, EN, "vi", "en", state="approved", note="checked")
    assert again == first and tm.repo.count() == 1
    row = tm.repo.get(first)
    assert row.state == "approved" and row.note == "checked"
    assert tm.add(VI, EN + " ", "vi", "en") != first  # another target is another entry
    assert tm.repo.count() == 2


def test_language_families(tm: TranslationMemory) -> None:
    hans = tm.add("中国", "China", "zh-Hans", "en")
    tm.add("中國", "China", "zh-Hant", "en")
    gb = tm.add("Hà Nội", "Hanoi", "vi", "en-GB")
    assert [m.id for m in tm.lookup("中国", "zh", "en")] == [hans]
    assert [m.id for m in tm.lookup("中国", "zh-Hans", "en")] == [hans]
    assert tm.lookup("中國", "zh-Hans", "en") == []
    assert [m.id for m in tm.lookup("Hà Nội", "vi", "en")] == [gb]
    assert tm.repo.pairs() == [("vi", "en-GB", 1), ("zh-Hans", "en", 1), ("zh-Hant", "en", 1)]


def test_rejects_bad_entries(tm: TranslationMemory) -> None:
    with pytest.raises(UsageError, match="empty"):
        tm.add(" ", "x", "vi", "en")
    with pytest.raises(UsageError, match="state"):
        tm.add("a", "b", "vi", "en", state="final")
    with pytest.raises(UsageError, match="control"):
        tm.add("a\x00", "b", "vi", "en")
    with pytest.raises(UsageError, match="language"):
        tm.add("a", "b", "vi vi", "en")
    assert tm.repo.count() == 0


def test_bulk_insert_list_count_delete(tm: TranslationMemory) -> None:
    pairs = [
        new_entry(f"Câu số {i} về Hạ Long.", f"Sentence {i} about Ha Long.", "vi", "en")
        for i in range(50)
    ]
    pairs.append(pairs[0])  # the same pair twice counts once
    assert tm.add_many(pairs) == (50, 0)
    assert tm.add_many(
        [new_entry("Câu số 1 về Hạ Long.", "Sentence 1 about Ha Long.", "vi", "en", "draft")]
    ) == (0, 1)
    repo = tm.repo
    assert repo.count() == 50 and repo.count(state="draft") == 1
    assert repo.count("vi", "en") == 50 and repo.count("en", "vi") == 0
    assert [e.source for e in repo.entries(limit=2, offset=1)] == [
        "Câu số 1 về Hạ Long.",
        "Câu số 2 về Hạ Long.",
    ]
    one = repo.entries(limit=1)[0]
    assert repo.set_state(one.id, "reviewed").state == "reviewed"
    repo.delete(one.id)
    with pytest.raises(NotFoundError):
        repo.get(one.id)
    with pytest.raises(NotFoundError):
        repo.delete(one.id)
    assert repo.delete_all("vi", "en") == 49 and repo.count() == 0


def test_bulk_insert_is_one_transaction(tm: TranslationMemory) -> None:
    good = new_entry("Một", "One", "vi", "en")
    bad = new_entry("Hai", "Two", "vi", "en")
    object.__setattr__(bad, "state", "final")
    with pytest.raises(UsageError):
        tm.add_many([good, bad])
    assert tm.repo.count() == 0


def test_prefilter_in_a_large_memory(
    tm: TranslationMemory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(memory_module, "PREFILTER_AT", 20)
    tm.add_many(
        new_entry(f"Bản tin thời tiết số {i} cho khu vực miền núi.", f"Forecast {i}.", "vi", "en")
        for i in range(60)
    )
    wanted = tm.add(
        "Quảng Ninh tăng cường hợp tác báo chí với Quảng Tây.",
        "Quang Ninh and Guangxi.",
        "vi",
        "en",
    )
    found = tm.lookup("Quảng Ninh tăng cường hợp tác báo chí với Quảng Tây năm nay.", "vi", "en")
    assert [m.id for m in found] == [wanted]


# ------------------------------------------------------------------ TMX


def test_tmx_round_trip_through_the_store(
    tm: TranslationMemory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    tm.add(VI, EN, "vi", "en", origin="machine:libretranslate", created_by="lan", note="n & <b>")
    tm.add(
        "广西 & <Quảng Tây> \"quotes\" 'x'", "Guangxi & <Guangxi>", "zh-Hans", "vi", state="draft"
    )
    data = tm.export_tmx()
    root = etree.fromstring(data)
    header = root.find("header")
    assert root.get("version") == "1.4" and header is not None
    assert header.get("creationtool") == "hoasen" and header.get("segtype") == "sentence"
    assert header.get("datatype") == "plaintext" and header.get("srclang") == "*all*"
    other = Store.open(f"sqlite:///{tmp_path_factory.mktemp('other') / 'other.db'}")
    try:
        copy = TranslationMemory(other)
        report = copy.import_tmx(data)
        assert (report.added, report.updated, report.skipped) == (2, 0, 0)
        assert report.pairs == {"vi-en": 1, "zh-Hans-vi": 1}
        assert _fields(copy.repo.entries()) == _fields(tm.repo.entries())
        again = copy.import_tmx(data)  # importing twice changes nothing
        assert (again.added, again.updated) == (0, 2) and copy.repo.count() == 2
    finally:
        other.close()


def _fields(entries: list[TMEntry]) -> list[tuple[object, ...]]:
    return [
        (
            e.source_lang,
            e.target_lang,
            e.source,
            e.target,
            e.state,
            e.origin,
            e.created_by,
            e.created,
            e.updated,
            e.note,
        )
        for e in entries
    ]


_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn")),
        st.sampled_from(list("&<>\"'\t\n\r 广西孙业礼ẢQuảng한국語")),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and "\ufffe" not in s and "\uffff" not in s)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_TEXT, target=_TEXT, note=st.one_of(st.just(""), _TEXT))
def test_tmx_round_trip_any_text(source: str, target: str, note: str) -> None:
    when = datetime(2026, 12, 3, 8, 30, 15, tzinfo=UTC)
    entry = TMEntry(
        1,
        "zh-Hans",
        "vi",
        source,
        target,
        source_key(source),
        "reviewed",
        "human",
        "an",
        when,
        when,
        note,
    )
    entries, report = read_tmx(write_tmx([entry]))
    assert report.pairs == {"zh-Hans-vi": 1}
    (got,) = entries
    assert (got.source, got.target, got.note, got.state, got.created, got.updated) == (
        source,
        target,
        note,
        "reviewed",
        when,
        when,
    )


def test_tmx_multilingual_tu_gives_pairs_from_the_source() -> None:
    data = tmx(
        '<tu creationdate="20260101T000000Z" creationid="ha">'
        '<prop type="x-hoasen-state">reviewed</prop><note>ghi chú</note>'
        '<tuv xml:lang="vi"><seg>Hạ Long</seg></tuv><tuv xml:lang="en"><seg>Ha Long</seg></tuv>'
        '<tuv xml:lang="zh-CN"><seg>下龙</seg></tuv><tuv lang="ja"><seg></seg></tuv></tu>'
    )
    entries, report = read_tmx(data)
    assert [(e.source_lang, e.target_lang, e.target) for e in entries] == [
        ("vi", "en", "Ha Long"),
        ("vi", "zh-CN", "下龙"),
    ]
    assert report.skipped == 1  # the empty Japanese segment
    assert {e.state for e in entries} == {"reviewed"} and entries[0].created_by == "ha"
    assert entries[0].note == "ghi chú" and entries[0].origin == "import"
    assert entries[0].created == datetime(2026, 1, 1, tzinfo=UTC)


def test_tmx_inline_tags_keep_the_text() -> None:
    data = tmx(
        tu(
            'Bấm <bpt i="1">&lt;b&gt;</bpt>vào đây<ept i="1">&lt;/b&gt;</ept> trong <ph>{0}</ph> '
            'giây<ph>&lt;br/&gt;</ph> <hi type="x">nhé</hi><it pos="begin">&lt;i&gt;</it>!',
            "Click here in {0} seconds",
        )
    )
    (entry,), _ = read_tmx(data)
    assert entry.source == "Bấm vào đây trong {0} giây nhé!"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("<tu><tuv xml:lang='vi'><seg>a</seg></tuv>", "line"),  # not well-formed
        ("<tu><tuv xml:lang='vi'><seg>một</seg></tuv></tu>", "line 6: <tu> needs at least two"),
        (tu("a", "b", '<prop type="x-hoasen-state">final</prop>'), "unknown state 'final'"),
        ("<tuple/>", "line 6: <tuple> in <body>"),
        (
            "<tu><tuv><seg>a</seg></tuv><tuv xml:lang='en'><seg>b</seg></tuv></tu>",
            "without xml:lang",
        ),
        (tu("a <b>bold</b>", "b"), "<b> is not allowed in <seg>"),
        ("<tu creationdate='yesterday'>" + tu("a", "b")[4:], "not a TMX date"),
        (
            "<tu><tuv xml:lang='vi'><seg>a</seg><seg>b</seg></tuv>"
            "<tuv xml:lang='en'><seg>b</seg></tuv></tu>",
            "exactly one <seg>",
        ),
    ],
)
def test_malformed_tmx_is_refused_whole(tm: TranslationMemory, body: str, where: str) -> None:
    data = tmx(tu("Câu tốt.", "A good sentence.") + "\n" + body)
    with pytest.raises(UsageError, match="nothing imported") as err:
        tm.import_tmx(data)
    assert where in str(err.value)
    assert tm.repo.count() == 0  # the good <tu> before the fault is not stored either


def test_tmx_without_header_or_wrong_root(tm: TranslationMemory) -> None:
    with pytest.raises(UsageError, match="no <header>"):
        tm.import_tmx(b"<tmx version='1.4'><body/></tmx>")
    with pytest.raises(UsageError, match="not <tmx>"):
        tm.import_tmx(b"<html/>")


def test_tmx_is_parsed_safely(
    tm: TranslationMemory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    secret = tmp_path_factory.mktemp("secret") / "secret.txt"
    secret.write_text("TOP SECRET")
    external = (
        f'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<tmx version="1.4"><header srclang="vi"/><body>'
        '<tu><tuv xml:lang="vi"><seg>&x;</seg></tuv><tuv xml:lang="en"><seg>b</seg></tuv></tu>'
        "</body></tmx>"
    ).encode()
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<tmx version="1.4"><header srclang="vi"/><body>'
        b'<tu><tuv xml:lang="vi"><seg>&b;</seg></tuv><tuv xml:lang="en"><seg>b</seg></tuv></tu>'
        b"</body></tmx>"
    )
    for data in (external, laughs):
        with pytest.raises(UsageError, match="entities"):
            tm.import_tmx(data)
    # a DOCTYPE naming a remote DTD is fine: nothing is fetched
    remote = tmx(tu("a", "b")).replace(
        b"<tmx ", b'<!DOCTYPE tmx SYSTEM "http://192.0.2.1/tmx14.dtd">\n<tmx ', 1
    )
    assert tm.import_tmx(remote).added == 1
    assert "TOP SECRET" not in "".join(e.source for e in tm.repo.entries())


def test_import_from_a_file_and_export_one_pair(
    tm: TranslationMemory, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("tmx") / "in.tmx"
    path.write_bytes(tmx(tu("Hà Nội", "Hanoi") + tu("Huế", "Hue")))
    assert tm.import_tmx(path).added == 2
    tm.add("北京", "Bắc Kinh", "zh", "vi")
    only = etree.fromstring(tm.export_tmx("vi", "en"))
    assert len(only.findall("body/tu")) == 2
    header = only.find("header")
    assert header is not None and header.get("srclang") == "vi"
    with pytest.raises(UsageError, match="line 1"):
        bad = tmp_path_factory.mktemp("bad") / "bad.tmx"
        bad.write_bytes(b"<tmx version='1.4'><header></tmx>")
        tm.import_tmx(bad)


def test_memory_store_direct(store: Store) -> None:
    repo = MemoryStore(store)
    entry_id, created = repo.add(new_entry("Hạ Long", "Ha Long", "vi", "en"))
    assert created and repo.add(new_entry("Hạ Long", "Ha Long", "vi", "en")) == (entry_id, False)
    assert [e.id for e in repo.exact("vi", "en", source_key("Hạ Long"))] == [entry_id]
    assert repo.candidates("vi", "en", 1, 20) == [(entry_id, "Hạ Long")]
    assert repo.candidates("vi", "en", 1, 20, contains_any=["long"])
    assert not repo.candidates("vi", "en", 1, 20, contains_any=["huế"])
    assert repo.candidates("vi", "en", 8, 20) == []
    assert [e.id for e in repo.get_many([entry_id, 999])] == [entry_id]
    assert repo.get(entry_id).as_json()["source"] == "Hạ Long"
