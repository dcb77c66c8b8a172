"""The search analyzer: folding, segmentation of each script, query plans."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.store.analyzer import MAX_CUT_CHARS, Analyzer, bigrams, cut_phrases, unbigram
from hoasen.store.search import match_expression, snippet, tsquery_literal

VIETNAMESE_LETTERS = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """One analyzer for the module: jieba and underthesea load once."""
    return Analyzer()


def test_fold_vietnamese_and_latin(analyzer: Analyzer) -> None:
    assert analyzer.fold("Quảng Ninh") == "quang ninh"
    assert analyzer.fold("ĐÀ NẴNG, Thừa Thiên Huế") == "da nang, thua thien hue"
    assert analyzer.fold("Ơ Ư ơ ư đ") == "o u o u d"
    assert analyzer.fold("Straße Ｔｏｋｙｏ ﬁ Ølstykke Łódź") == "strasse tokyo fi olstykke lodz"
    assert analyzer.fold("Ёлка Ελλάδα") == "елка ελλαδα"


def test_fold_decomposed_input_matches_composed(analyzer: Analyzer) -> None:
    composed = "Quảng Ninh, Hạ Long, Phường Hồng Gai"
    assert analyzer.fold(unicodedata.normalize("NFD", composed)) == analyzer.fold(composed)


def test_fold_keeps_marks_that_make_other_scripts_readable(analyzer: Analyzer) -> None:
    assert analyzer.fold("がぎぐ") == "がぎぐ"  # dakuten stay: か and が are different words
    assert analyzer.fold("กรุงเทพ") == "กรุงเทพ"  # Thai vowel signs stay
    assert analyzer.fold("서울") == "서울"
    assert analyzer.fold("नमस्ते") == "नमस्ते"
    assert analyzer.fold("ｶﾞｲﾄﾞ") == "ガイド"  # half-width kana become full-width


@settings(max_examples=500)
@given(st.text())
def test_fold_is_idempotent_and_never_raises(text: str) -> None:
    analyzer = Analyzer()
    once = analyzer.fold(text)
    assert analyzer.fold(once) == once


def _reference_fold(text: str) -> str:
    """The definition `Analyzer.fold` is a faster form of: indexes built with either agree."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    text = re.sub(
        r"(?<=[a-z\u00df-\u024f\u0250-\u02af\u0370-\u03ff\u0400-\u052f\u1e00-\u1eff])"
        r"[\u0300-\u036f]+",
        "",
        text,
    )
    table = str.maketrans(
        {"đ": "d", "ð": "d", "ø": "o", "ł": "l", "ħ": "h", "ı": "i", "ŧ": "t", "ŀ": "l"}
        | {"æ": "ae", "œ": "oe", "þ": "th"}
    )
    return unicodedata.normalize("NFC", text.translate(table))


FOLD_ALPHABET = st.sampled_from(
    [
        *VIETNAMESE_LETTERS,
        *" đĐðøØłŁħıŧŀæÆœŒþÞßẞﬁ1_-·ёάがｶﾞก서न广",
        *"\u0300\u0301\u0303\u0309\u0323\u031b\u0306\u0338",  # combining marks
    ]
)


@settings(max_examples=1000)
@given(st.one_of(st.text(), st.text(alphabet=FOLD_ALPHABET)))
def test_fold_equals_its_reference_definition(text: str) -> None:
    assert Analyzer().fold(text) == _reference_fold(text)


@given(st.text(alphabet=VIETNAMESE_LETTERS + " ", max_size=60))
def test_fold_of_vietnamese_is_plain_ascii_whatever_the_case(text: str) -> None:
    analyzer = Analyzer()
    folded = analyzer.fold(text)
    assert folded.isascii()
    assert analyzer.fold(text.upper()) == folded


def test_vietnamese_index_tokens(analyzer: Analyzer) -> None:
    tokens = analyzer.index_tokens(
        "Quảng Ninh đón khách", "Tỉnh Quảng Ninh phát triển du lịch ở vịnh Hạ Long.", "vi"
    )
    assert tokens.title == "quang ninh don khach"
    assert tokens.body == "tinh quang ninh phat trien du lich o vinh ha long"
    assert {"quangninh", "dulich", "halong"} <= set(tokens.terms.split())
    # unknown language: the diacritics say Vietnamese
    guessed = analyzer.index_tokens("", "Tỉnh Quảng Ninh phát triển du lịch ở vịnh Hạ Long.", None)
    assert "quangninh" in guessed.terms.split()


def test_vietnamese_terms_cover_only_the_start_when_asked(analyzer: Analyzer) -> None:
    short = Analyzer(vi_terms_chars=20)
    text = "Quảng Ninh đón khách. " + "Trời mưa. " * 10 + "Thành phố Hạ Long rất đẹp."
    tokens = short.index_tokens("", text, "vi")
    assert "quangninh" in tokens.terms.split()
    assert "halong" not in tokens.terms.split()
    assert tokens.body.endswith("thanh pho ha long rat dep")  # syllables cover everything


def test_chinese_bigrams_and_words(analyzer: Analyzer) -> None:
    tokens = analyzer.index_tokens("广西新闻", "广西壮族自治区位于中国南部。", None)
    assert tokens.title == "广西 西新 新闻"
    assert tokens.body.split()[:4] == ["广西", "西壮", "壮族", "族自"]
    assert {"广西", "壮族", "自治区", "中国"} <= set(tokens.terms.split())


def test_japanese_korean_thai_fallbacks(analyzer: Analyzer) -> None:
    ja = analyzer.index_tokens("", "東京都の人口", None)
    assert ja.body == "東京 京都 都の の人 人口"
    assert ja.terms == ""  # kana present: no Chinese dictionary words
    ko = analyzer.index_tokens("", "서울에서 시장 선거", "ko")
    assert ko.body == "서울 울에 에서 시장 선거"
    assert set(ko.terms.split()) == {"서울에서", "시장", "선거"}
    th = analyzer.index_tokens("", "กรุงเทพ", "th")
    assert th.body.split() == bigrams("กรุงเทพ")
    assert analyzer.index_tokens("", "中 x", None).body == "中 x"  # a lone character stands


def test_other_scripts_are_words(analyzer: Analyzer) -> None:
    tokens = analyzer.index_tokens("Москва", "Путин встретился с Макроном. L'économie!", "ru")
    assert tokens.title == "москва"
    assert tokens.body == "путин встретился с макроном l economie"


def test_query_plan_words_phrases_and_terms(analyzer: Analyzer) -> None:
    plan = analyzer.plan_query("Quang Ninh")
    assert plan.groups == [["quang"], ["ninh"]]
    assert plan.phrases == [["quang", "ninh"]]
    assert "quangninh" in plan.terms
    quoted = analyzer.plan_query('"Quảng Ninh" mưa')
    assert quoted.groups == [["quang", "ninh"], ["mua"]]
    cjk = analyzer.plan_query("广西壮族")
    assert cjk.groups == [["广西", "西壮", "壮族"]]
    assert "广西" in cjk.terms
    assert analyzer.plan_query("  ***  ").empty
    assert analyzer.plan_query('a "b c').groups == [["a"], ["b"], ["c"]]  # unmatched quote


def test_query_plan_cuts_cjk_runs_where_punctuation_may_fall(analyzer: Analyzer) -> None:
    plan = analyzer.plan_query("荷花特刊")  # Chinese: cut only between jieba's words
    assert plan.groups == [["荷花", "花特", "特刊"]]
    assert plan.choices(plan.groups[0]) == [["荷花", "花特", "特刊"], ["荷花", "特刊"]]
    assert ["荷花", "花特", "特刊"] in (plan.phrases or [])  # together ranks first
    assert analyzer.plan_query('"荷花特刊"').cuts == {}  # quotes: an exact phrase
    assert analyzer.plan_query("广西").cuts == {}  # two characters: nothing to cut
    assert analyzer.plan_query("กรุงเทพมหานคร").cuts == {}  # Thai is not cut
    assert analyzer.plan_query("荷花 特刊").phrases == [["荷花", "特刊"], ["荷花", "花特", "特刊"]]
    ja = analyzer.plan_query("千と千尋の神隠し", "ja")  # cut first where the script changes
    assert ja.choices(ja.groups[0])[1:3] == [
        ["千", "と千", "千尋", "尋の", "の神", "神隠", "隠し"],
        ["千と", "千尋", "尋の", "の神", "神隠", "隠し"],
    ]


def test_cut_phrases_put_word_boundaries_first_and_stay_bounded() -> None:
    everywhere = [["서", "울시"], ["서울", "시"], ["서", "울", "시"]]
    assert cut_phrases("서울시", frozenset()) == everywhere
    assert cut_phrases("서울시", frozenset({2}))[0] == ["서울", "시"]
    assert len(cut_phrases("서울특별시장", frozenset())) == 6
    assert cut_phrases("荷花特刊", frozenset({2}), anywhere=False) == [["荷花", "特刊"]]
    assert cut_phrases("中" * (MAX_CUT_CHARS + 1), frozenset()) == []
    assert cut_phrases("中国", frozenset()) == []


def test_cut_highlights_are_starts_and_ends_of_runs(analyzer: Analyzer) -> None:
    assert analyzer.cut_highlights("荷花特刊 Hạ Long") == ("荷花特", "花特刊", "荷花", "特刊")
    assert analyzer.cut_highlights("广西 Hạ Long") == ()


_SCRIPTS = ("荷花特刊人民日报一带路倡议", "千と尋の神隠しノルウェイ森", "서울특별시채식주의자")
_MARKS = ("《", "》", "「", "」", "“", "”", "『", "』", "，", " ", "、", "·")


@settings(max_examples=300)
@given(st.data())
def test_a_run_cut_by_punctuation_matches_one_of_its_choices(
    analyzer: Analyzer, data: st.DataObject
) -> None:
    """Whatever one or two places punctuation cuts a run of up to 4 characters at, the text's
    body tokens hold one of the query's phrases for the run, token after token (Chinese is
    cut only between words: read as Japanese here)."""
    alphabet = data.draw(st.sampled_from(_SCRIPTS))
    run = data.draw(st.text(alphabet=alphabet, min_size=3, max_size=4))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(run) - 1), max_size=2)))
    marks = [data.draw(st.sampled_from(_MARKS)) for _ in cuts]
    text, at = "《", 0
    for cut, mark in zip(cuts, marks, strict=True):
        text += run[at:cut] + mark
        at = cut
    text += run[at:] + "》"
    body = analyzer.index_tokens("", text, None).body.split()
    plan = analyzer.plan_query(run, "ja")
    choices = plan.choices(plan.groups[0])
    assert any(
        body[i : i + len(choice)] == choice
        for choice in choices
        for i in range(len(body) - len(choice) + 1)
    )


def test_highlights(analyzer: Analyzer) -> None:
    words, runs = analyzer.highlights('"Quảng Ninh" 广西')
    assert words == frozenset({"quang", "ninh"})
    assert runs == ("广西",)


def test_unbigram_inverts_bigrams() -> None:
    assert unbigram(bigrams("广西壮族自治区")) == "广西壮族自治区"
    assert unbigram(bigrams("中")) == "中"


@settings(max_examples=300)
@given(st.text(max_size=80))
def test_query_expressions_hold_only_quoted_tokens(query: str) -> None:
    plan = Analyzer(vi_terms_chars=0).plan_query(query, language="en")
    for group in plan.groups:
        for token in group:
            assert token
            assert not any(c in token for c in " \"'*:(){}\\")
    if not plan.empty:
        expression = match_expression(plan)
        assert expression.count('"') % 2 == 0
        assert tsquery_literal(plan).count("'") % 2 == 0


def test_snippet_maps_folded_matches_to_the_original(analyzer: Analyzer) -> None:
    text = "Sáng nay, tại thành phố Hạ Long, UBND tỉnh QUẢNG NINH đã họp báo về du lịch."
    words, runs = analyzer.highlights("quang ninh")
    assert "**QUẢNG NINH**" in snippet(analyzer, text, words, runs)
    words, runs = analyzer.highlights("广西")
    out = snippet(analyzer, "今天，广西壮族自治区举行了会议。", words, runs)
    assert out == "今天，**广西**壮族自治区举行了会议。"


def test_snippet_is_a_window_with_ellipses(analyzer: Analyzer) -> None:
    text = " ".join(f"word{i}" for i in range(200)) + " Quảng Ninh " + "tail " * 100
    words, runs = analyzer.highlights("Quang Ninh")
    out = snippet(analyzer, text, words, runs)
    assert out.startswith("… ") and out.endswith(" …")
    assert "**Quảng Ninh**" in out
    assert len(out.split()) <= 35


@settings(max_examples=200)
@given(st.text(max_size=300), st.text(max_size=20))
def test_snippet_never_raises(text: str, query: str) -> None:
    analyzer = Analyzer(vi_terms_chars=0)
    words, runs = analyzer.highlights(query)
    out = snippet(analyzer, text, words, runs)
    assert out.count("**") % 2 == 0 or "**" in text
