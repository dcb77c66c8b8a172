"""Duplicate detection: exact and near duplicates, kept across Store sessions, both backends."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze.dedupe import (
    BAND_ID_STRIDE,
    Deduper,
    DupeMatch,
    content_hash,
    normalize,
    optimal_bands,
    shingles,
)
from hoasen.errors import UsageError
from hoasen.models import Article
from hoasen.store.db import Store

TITLE = "Quang Ninh opens new deep-water berth at Cai Lan port"
TEXT = """The northern province of Quang Ninh on Monday opened a new deep-water berth at Cai Lan
port, allowing container ships of up to 50,000 tonnes to dock directly in Ha Long city.

Provincial officials said the berth cost about 1.2 trillion dong and took two years to build.
It is expected to raise the port's yearly capacity by a third and to cut the waiting time of
ships that now anchor in the bay for up to three days before unloading.

The director of the port company told reporters that three shipping lines from Singapore,
Hong Kong and Busan had already booked regular calls for the coming quarter. Local seafood
exporters welcomed the news, saying that shorter waiting times would keep their goods fresh
on the way to markets in Japan and South Korea.

Environmental groups asked the province to publish the results of water quality monitoring
around the new berth every month, as the bay is a protected heritage site."""

# The same story republished elsewhere: other boilerplate, title casing, a few words changed.
EDITED_TITLE = "QUANG NINH OPENS NEW DEEP-WATER BERTH AT CAI LAN PORT!"
EDITED_TEXT = (
    "Source: coastal-news.example\n"
    + TEXT.replace("on Monday", "this week")
    .replace("about 1.2 trillion", "nearly 1.2 trillion")
    .replace("welcomed the news", "praised the decision")
    .replace(" regular", "")
    + "\nComment (0)\nTags: Quang Ninh, ports, shipping"
)

# Same topic, independently written: must not be taken for a duplicate.
OTHER_TITLE = "Shipping lines add Ha Long to their Asian routes"
OTHER_TEXT = """Three container lines will start calling at Ha Long next quarter after Cai Lan port
finished its largest berth, company representatives said at a trade fair in Hai Phong.

A manager of a Busan-based carrier explained that the deeper channel lets bigger vessels
reach the quay without lightering, which had made the route too expensive in the past.
Freight forwarders expect rates between northern Vietnam and Korean ports to fall slightly.

Seafood firms in the province said they would move part of their exports from Hai Phong to
Ha Long. Analysts warned, however, that road links from the industrial parks to the port
still need upgrading before volumes can grow as planned, and that the heritage bay limits
how much dredging can be done."""

ZH_TITLE = "广宁省与广西加强媒体合作"
ZH_TEXT = """越南广宁省传媒中心与中国广西壮族自治区多家媒体机构近日在下龙市举行座谈会，双方就
新闻交流、联合采访和数字媒体合作进行了深入讨论。广宁省传媒中心负责人表示，多年来
双方在边境旅游、文化交流和经贸合作等方面的报道取得了良好效果，增进了两国人民之间
的了解和友谊。广西方面代表介绍了近年来在融媒体建设方面的经验，并希望今后共同制作
更多反映边境地区发展成就的节目。会议期间，双方还签署了二零二四年至二零二六年合作
备忘录，计划每年互派记者进行采访，并在重大节庆期间联合推出专题报道。"""
ZH_EDITED_TEXT = (
    "来源：边境新闻网\n"
    + ZH_TEXT.replace("近日", "日前")
    .replace("深入讨论", "充分讨论")
    .replace("良好效果", "积极成果")
    + "\n责任编辑：王明\n分享到："
)
ZH_OTHER_TEXT = """中越边境地区的媒体交流近年来日益频繁。广西一家电视台的记者本月前往越南广宁省，拍
摄了关于芒街口岸和下龙湾旅游的系列纪录片。记者在采访中了解到，越来越多的中国游客
通过东兴口岸入境，当地酒店和餐馆纷纷增加了会说中文的服务人员。广宁省旅游部门官员
说，希望借助中国媒体的宣传，吸引更多游客在春节期间到访。纪录片预计将于明年初在广
西卫视播出，并同步在网络平台上线。"""


def ingest(
    store: Store, deduper: Deduper, title: str, text: str, language: str | None = "en"
) -> tuple[int, DupeMatch | None]:
    """Store one article the way the ingest pipeline does; return its id and its match."""
    with store.begin() as conn:
        digest = content_hash(title, text)
        sig = deduper.signature(title, text, language)
        match = deduper.find(conn, digest, sig)
        article_id = store.add_article(
            conn,
            Article(title=title, text=text, language=language),
            content_hash=digest,
            raw_id=None,
            source_id=None,
            duplicate_of=match.original_id if match else None,
            similarity=match.similarity if match else None,
        )
        deduper.remember(conn, article_id, sig)
    return article_id, match


# ------------------------------------------------------------------ normalization and hashing

WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzđàáảãạâấầẩậêếềểễệôốồổộơớờởợưứừửựýỳ", min_size=1)
SPACE = st.sampled_from([" ", "  ", "\n", "\t", " \n\n ", "\u00a0", "\u3000"])


@given(words=st.lists(WORD, min_size=1, max_size=30), data=st.data())
@settings(max_examples=200)
def test_content_hash_ignores_whitespace_and_case(words: list[str], data: st.DataObject) -> None:
    plain = " ".join(words)
    spaced = data.draw(SPACE) + "".join(w + data.draw(SPACE) for w in words)
    recased = " ".join(w.upper() if i % 2 else w.title() for i, w in enumerate(spaced.split(" ")))
    assert content_hash("Tiêu đề", plain) == content_hash("TIÊU  ĐỀ", spaced)
    assert content_hash("Tiêu đề", plain) == content_hash("tiêu đề\n", recased)


def test_content_hash_ignores_punctuation_and_unicode_forms() -> None:
    base = content_hash("Hà Nội", "Tin mới: cảng “Cái Lân” mở bến mới.")
    assert content_hash("HÀ NỘI!", 'Tin mới - cảng "Cái Lân" mở bến mới') == base
    decomposed = unicodedata.normalize("NFD", "Tin mới: cảng “Cái Lân” mở bến mới.")
    assert content_hash("Hà Nội", decomposed) == base
    assert content_hash("Hà Nội", "Tin mới: cảng Cái Lân mở bến cũ.") != base


def test_normalize_keeps_letters_marks_and_symbols() -> None:
    assert normalize("Giá  £600m, “tăng” 5%!") == "giá £600m tăng 5"
    thai = normalize("ราคา\u200bน้ำมัน")  # zero-width space: a separator; vowel marks stay
    assert thai == unicodedata.normalize("NFKC", "ราคา น้ำมัน")


def test_shingles_words_for_latin_characters_for_cjk() -> None:
    words = shingles(TITLE, TEXT)
    assert words is not None and "quang ninh opens" in words
    chars = shingles(ZH_TITLE, ZH_TEXT)
    assert chars is not None and "广宁省" in chars and all(" " not in s for s in chars)


def test_too_short_texts_get_no_signature(sqlite_store: Store) -> None:
    deduper = Deduper(sqlite_store)
    assert shingles("Short", "Only a dozen words here, not enough to shingle at all.") is None
    assert deduper.signature("Short", "Only a dozen words here, too few.", "en") is None
    assert deduper.signature("短", "广宁省传媒中心与广西媒体座谈", "zh") is None
    assert deduper.signature(TITLE, TEXT, "en") is not None


def test_fingerprint_is_content_hash_and_signature(sqlite_store: Store) -> None:
    deduper = Deduper(sqlite_store)
    for title, text in ((TITLE, TEXT), (ZH_TITLE, ZH_TEXT), ("Short", "Too few words.")):
        assert deduper.fingerprint(title, text) == (
            content_hash(title, text),
            deduper.signature(title, text, None),
        )


# ------------------------------------------------------------------ LSH parameters


def test_optimal_bands_fit_num_perm_and_follow_threshold() -> None:
    low, high = optimal_bands(0.5, 128), optimal_bands(0.9, 128)
    for bands, rows in (low, high):
        assert bands * rows <= 128
    assert high[1] > low[1]  # a stricter threshold uses longer bands


def test_bad_threshold_is_refused(sqlite_store: Store) -> None:
    with pytest.raises(UsageError):
        Deduper(sqlite_store, threshold=1.5)


def test_signature_bands_fit_signed_bigint(sqlite_store: Store) -> None:
    deduper = Deduper(sqlite_store)
    sig = deduper.signature(TITLE, TEXT, "en")
    assert sig is not None
    assert len(sig.values) == 4 * deduper.num_perm
    assert len(sig.bands) == deduper.bands
    assert all(-(2**63) <= h < 2**63 for h in sig.bands)
    assert deduper.signature(TITLE, TEXT, None) == sig  # same text, same signature


# ------------------------------------------------------------------ duplicates in a Store


def test_exact_duplicate(store: Store) -> None:
    deduper = Deduper(store)
    first, none = ingest(store, deduper, TITLE, TEXT)
    assert none is None
    _, match = ingest(store, deduper, TITLE.upper(), "  " + TEXT.replace("\n", " \n ") + "\n")
    assert match == DupeMatch(first, 1.0)


def test_lightly_edited_copy_is_a_near_duplicate(store: Store) -> None:
    deduper = Deduper(store)
    first, _ = ingest(store, deduper, TITLE, TEXT)
    _, match = ingest(store, deduper, EDITED_TITLE, EDITED_TEXT)
    assert match is not None
    assert match.original_id == first
    assert deduper.threshold <= match.similarity < 1.0


def test_different_article_on_the_same_topic_is_not_a_duplicate(store: Store) -> None:
    deduper = Deduper(store)
    ingest(store, deduper, TITLE, TEXT)
    _, match = ingest(store, deduper, OTHER_TITLE, OTHER_TEXT)
    assert match is None


def test_copy_of_a_copy_points_at_the_original(store: Store) -> None:
    deduper = Deduper(store)
    first, _ = ingest(store, deduper, TITLE, TEXT)
    second, match = ingest(store, deduper, EDITED_TITLE, EDITED_TEXT)
    assert match is not None and match.original_id == first
    # exact copy of the edited one, and a further edit of it: both go to the first article
    _, exact = ingest(store, deduper, EDITED_TITLE, EDITED_TEXT)
    assert exact == DupeMatch(first, 1.0)
    _, near = ingest(store, deduper, EDITED_TITLE, EDITED_TEXT.replace("Busan", "Incheon"))
    assert near is not None and near.original_id == first
    assert store.get_article(second).duplicate_of == first


def test_cjk_near_duplicate(store: Store) -> None:
    deduper = Deduper(store)
    first, _ = ingest(store, deduper, ZH_TITLE, ZH_TEXT, "zh")
    _, match = ingest(store, deduper, ZH_TITLE + "！", ZH_EDITED_TEXT, "zh")
    assert match is not None and match.original_id == first
    _, other = ingest(store, deduper, "广西记者拍摄下龙湾纪录片", ZH_OTHER_TEXT, "zh")
    assert other is None


def test_short_texts_match_exactly_only(store: Store) -> None:
    deduper = Deduper(store)
    title, text = "Storm warning", "Heavy rain is expected in Quang Ninh tonight, officials said."
    first, _ = ingest(store, deduper, title, text)
    _, exact = ingest(store, deduper, title.upper(), text.replace(",", ""))
    assert exact == DupeMatch(first, 1.0)
    _, edited = ingest(store, deduper, title, text.replace("tonight", "on Sunday"))
    assert edited is None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL that can be opened several times (SQLite file or PostgreSQL schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sessions.db'}"
    else:
        yield request.getfixturevalue("pg_url")


def test_duplicate_found_across_store_sessions(db_url: str) -> None:
    store = Store.open(db_url)
    try:
        first, _ = ingest(store, Deduper(store), TITLE, TEXT)
    finally:
        store.close()
    store = Store.open(db_url)
    try:
        _, match = ingest(store, Deduper(store), EDITED_TITLE, EDITED_TEXT)
        _, exact = ingest(store, Deduper(store), TITLE, TEXT)
    finally:
        store.close()
    assert match is not None and match.original_id == first
    assert exact == DupeMatch(first, 1.0)


def test_new_threshold_rebands_stored_signatures(store: Store) -> None:
    old = Deduper(store, threshold=0.55)
    first, _ = ingest(store, old, TITLE, TEXT)
    new = Deduper(store, threshold=0.85)
    assert new.rows != old.rows
    with store.begin() as conn:
        assert store.minhash_bands_outside(conn, new.first_band, new.bands)
    _, match = ingest(store, new, TITLE, TEXT.replace("Busan", "Incheon"))
    assert match is not None and match.original_id == first
    with store.begin() as conn:
        assert not store.minhash_bands_outside(conn, new.first_band, new.bands)
        assert new.first_band == new.rows * BAND_ID_STRIDE
