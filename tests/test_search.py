"""Full-text search on SQLite FTS5 and PostgreSQL (every test runs on both backends)."""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hoasen.errors import NotFoundError, UsageError
from hoasen.models import Article
from hoasen.store.analyzer import Analyzer, scan
from hoasen.store.db import Store
from hoasen.store.search import SNIPPET_CHUNK_CHARS, SearchHit, SearchIndex, Snippets, snippet


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    """One analyzer for the module: jieba and underthesea load once."""
    return Analyzer()


@pytest.fixture
def index(store: Store, analyzer: Analyzer) -> SearchIndex:
    """The search index of the test database."""
    return SearchIndex(store, analyzer)


def add(
    index: SearchIndex,
    title: str,
    text: str,
    language: str | None = None,
    published: datetime | None = None,
    source_id: int | None = None,
    duplicate_of: int | None = None,
) -> int:
    """Store one article and index it in the same transaction; returns its id."""
    store = index.store
    article = Article(title=title, text=text, language=language, published=published)
    with store.begin() as conn:
        article_id = store.add_article(
            conn,
            article,
            content_hash=hashlib.sha256((title + text).encode()).hexdigest(),
            raw_id=None,
            source_id=source_id,
            duplicate_of=duplicate_of,
        )
        index.index(conn, article_id, title, text, language)
    return article_id


def ids(hits: list[SearchHit]) -> list[int]:
    return [h.id for h in hits]


def test_diacritics_are_optional_both_ways(index: SearchIndex) -> None:
    accented = add(index, "Tin địa phương", "Mưa lớn ở tỉnh Quảng Ninh làm ngập nhiều tuyến phố.")
    plain = add(index, "Local news", "Heavy rain hit Quang Ninh province on Monday.", "en")
    add(index, "Tin khác", "Hà Nội có nắng đẹp suốt tuần.", "vi")
    assert set(ids(index.search("Quang Ninh"))) == {accented, plain}
    assert set(ids(index.search("quảng ninh"))) == {accented, plain}
    hit = next(h for h in index.search("quang ninh") if h.id == accented)
    assert "**Quảng Ninh**" in hit.snippet
    assert hit.title == "Tin địa phương"


def test_chinese_word_finds_only_articles_containing_it(index: SearchIndex) -> None:
    guangxi = add(index, "地方新闻", "广西壮族自治区今年的经济增长很快，南宁发展迅速。", "zh")
    add(index, "经济新闻", "广东省和西藏自治区的经济增长很快。", "zh")
    hits = index.search("广西")
    assert ids(hits) == [guangxi]
    assert "**广西**壮族自治区" in hits[0].snippet
    assert ids(index.search("壮族自治区")) == [guangxi]


def test_japanese_korean_thai_match(index: SearchIndex) -> None:
    ja = add(index, "天気", "東京都の人口は多い。今日は晴れです。", "ja")
    ko = add(index, "소식", "서울에서 시장 선거가 열렸다.", "ko")
    th = add(index, "ข่าว", "กรุงเทพมหานครเป็นเมืองหลวงของประเทศไทย", "th")
    assert ids(index.search("東京")) == [ja]
    assert ids(index.search("人口")) == [ja]
    assert ids(index.search("서울")) == [ko]
    assert ids(index.search("선거")) == [ko]
    assert ids(index.search("กรุงเทพ")) == [th]
    assert ids(index.search("เมืองหลวง")) == [th]
    assert index.search("大阪") == []
    assert index.search("부산") == []


def test_cjk_query_matches_across_punctuation(index: SearchIndex) -> None:
    """A CJK query typed without the marks finds a text that splits it with quotes, book-title
    marks or other punctuation (issue 10.4): 《》, 「」, “”, 『』 and Korean particles."""
    lotus = add(index, "副刊", "本报今日推出《荷花》特刊，介绍夏季风景。", "zh")
    daily = add(index, "评论", "《人民日报》发表评论员文章，谈经济形势。", "zh")
    belt = add(index, "外交", "“一带一路”倡议提出十周年。", "zh")
    ghibli = add(index, "映画", "宮崎駿監督の「千と千尋の神隠し」が再上映される。", "ja")
    norway = add(index, "読書", "村上春樹の『ノルウェイの森』を読んだ。", "ja")
    han_kang = add(index, "책", "한강의 『채식주의자』를 읽었다.", "ko")
    parasite = add(index, "영화", "봉준호 감독의 “기생충”이 칸에서 상을 받았다.", "ko")
    assert ids(index.search("荷花特刊")) == [lotus]
    assert ids(index.search("荷花 特刊")) == [lotus]
    assert ids(index.search("人民日报发表")) == [daily]
    assert ids(index.search("一带一路倡议")) == [belt]
    assert ids(index.search("監督の千と千尋の神隠し")) == [ghibli]
    assert ids(index.search("ノルウェイの森を読んだ")) == [norway]
    assert ids(index.search("村上春樹のノルウェイの森")) == [norway]
    assert ids(index.search("채식주의자를")) == [han_kang]
    assert ids(index.search("기생충이")) == [parasite]
    hit = index.search("荷花特刊")[0]
    assert "《**荷花**》**特刊**" in hit.snippet


def test_cjk_query_across_punctuation_keeps_order_and_adjacency(index: SearchIndex) -> None:
    """Only punctuation may come between the parts of a run: not other words, not another
    order; a quoted run stays an exact phrase."""
    add(index, "副刊", "荷花2024特刊发行。", "zh")
    add(index, "副刊", "特刊《荷花》发行。", "zh")
    add(index, "副刊", "荷花与特刊发行。", "zh")
    punctuated = add(index, "副刊", "《荷花》特刊发行。", "zh")
    assert ids(index.search("荷花特刊")) == [punctuated]
    assert index.search('"荷花特刊"') == []
    assert index.search("人民日报发表") == []


def test_cjk_adjacent_matches_rank_first(index: SearchIndex) -> None:
    """Written together ranks above split by punctuation, which ranks above far apart (found
    only when the query separates the words); one word alone is no match."""
    apart = add(index, "副刊", "荷花开了，夏天来了，本报下周出版特刊。", "zh")
    only_one = add(index, "副刊", "荷花开了，夏天来了，本报下周出版新闻。", "zh")
    split = add(index, "副刊", "本报下周出版《荷花》特刊，夏天来了。", "zh")
    together = add(index, "副刊", "本报下周出版荷花特刊，夏天来了。", "zh")
    assert ids(index.search("荷花特刊")) == [together, split]
    spaced = ids(index.search("荷花 特刊"))
    assert set(spaced[:2]) == {together, split}
    assert spaced[2:] == [apart]
    assert only_one not in spaced
    assert ids(index.search("首尔市长选举")) == []


def test_latin_and_cjk_names_still_match(index: SearchIndex) -> None:
    vi = add(index, "Hợp tác", "Quảng Ninh ký kết với Quảng Tây về du lịch Hạ Long.", "vi")
    zh = add(index, "合作", "广西与越南广宁省签署旅游合作协议。", "zh")
    assert ids(index.search("Quang Ninh")) == [vi]
    assert ids(index.search("quang tay")) == [vi]
    assert ids(index.search("Hạ Long")) == [vi]
    assert ids(index.search("广西")) == [zh]
    assert ids(index.search("广西越南")) == []


def test_single_cjk_character_matches_as_prefix(index: SearchIndex) -> None:
    china = add(index, "新闻", "中国经济继续增长。", "zh")
    add(index, "新闻", "日本经济继续增长。", "zh")
    assert ids(index.search("中")) == [china]


def test_words_are_anded_and_quotes_make_a_phrase(index: SearchIndex) -> None:
    together = add(index, "Tin", "Đoàn công tác đến Quảng Ninh hôm qua.", "vi")
    apart = add(index, "Tin", "Ninh Bình và Quảng Nam cùng ký kết hợp tác.", "vi")
    only_one = add(index, "Tin", "Quảng Trị đón mưa lớn.", "vi")
    unquoted = ids(index.search("Quang Ninh"))
    assert unquoted == [together, apart]  # the phrase ranks first
    assert only_one not in unquoted
    assert ids(index.search('"Quang Ninh"')) == [together]
    assert ids(index.search('"quang nam"')) == [apart]


def test_title_matches_rank_first(index: SearchIndex) -> None:
    body_only = add(index, "Tin kinh tế", "Hội nghị bàn về du lịch Hạ Long và hợp tác vùng.", "vi")
    in_title = add(index, "Du lịch Hạ Long", "Hội nghị bàn về kinh tế và hợp tác cả vùng.", "vi")
    assert ids(index.search("Hạ Long")) == [in_title, body_only]


def test_filters_language_source_and_dates(store: Store, index: SearchIndex) -> None:
    source = store.add_source("https://baoquangninh.example/rss", "Báo Quảng Ninh", language="vi")
    vi_old = add(index, "Cảng biển", "Cảng Cái Lân đón tàu lớn.", "vi", datetime(2024, 3, 1))
    vi_new = add(
        index,
        "Cảng biển",
        "Cảng Cái Lân mở rộng bến.",
        "vi",
        datetime(2025, 6, 1, tzinfo=UTC),
        source_id=source.id,
    )
    en = add(index, "Port", "Cai Lan port (Cảng Cái Lân) grows.", "en", datetime(2025, 7, 1))
    assert set(ids(index.search("cang cai lan"))) == {vi_old, vi_new, en}
    assert set(ids(index.search("cang cai lan", language="vi"))) == {vi_old, vi_new}
    assert ids(index.search("cang cai lan", language="en")) == [en]
    assert ids(index.search("cang cai lan", source="Báo Quảng Ninh")) == [vi_new]
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert set(ids(index.search("cang cai lan", since=since))) == {vi_new, en}
    until = datetime(2025, 6, 15)
    assert set(ids(index.search("cang cai lan", until=until))) == {vi_old, vi_new}
    assert ids(index.search("cang cai lan", since=since, until=until, language="vi")) == [vi_new]
    with pytest.raises(NotFoundError):
        index.search("cang cai lan", source="no such source")
    with pytest.raises(UsageError):
        index.search("cang", since=datetime(2025, 1, 2), until=datetime(2025, 1, 1))


def test_duplicates_hidden_unless_asked(index: SearchIndex) -> None:
    original = add(index, "Bão số 3", "Bão số 3 đổ bộ vào Quảng Ninh.", "vi")
    copy = add(index, "Bão số 3", "Bão số 3 đổ bộ vào Quảng Ninh.", "vi", duplicate_of=original)
    assert ids(index.search("bão")) == [original]
    assert set(ids(index.search("bão", include_duplicates=True))) == {original, copy}


def test_limit_offset_and_json(index: SearchIndex) -> None:
    made = [
        add(index, f"Tin {i}", f"Cảng Cái Lân tin số {i}.", "vi", datetime(2025, 1, i + 1))
        for i in range(5)
    ]
    first = index.search("cai lan", limit=2)
    rest = index.search("cai lan", limit=10, offset=2)
    assert len(first) == 2 and len(rest) == 3
    assert set(ids(first) + ids(rest)) == set(made)
    doc = first[0].as_json()
    assert set(doc) == {"id", "title", "language", "snippet", "score", "published", "url"}
    assert isinstance(doc["published"], str)
    assert first[0].score > 0


def test_remove_and_reindex(index: SearchIndex) -> None:
    keep = add(index, "Hạ Long", "Vịnh Hạ Long đẹp.", "vi")
    gone = add(index, "Hạ Long", "Thành phố Hạ Long.", "vi")
    with index.store.begin() as conn:
        index.remove(conn, gone)
    assert ids(index.search("ha long")) == [keep]
    seen: list[tuple[int, int]] = []
    assert index.reindex(progress=lambda done, total: seen.append((done, total))) == 2
    assert seen[-1] == (2, 2)
    assert set(ids(index.search("ha long"))) == {keep, gone}


def test_reindex_replaces_existing_rows(index: SearchIndex) -> None:
    article = add(index, "Tin", "Quảng Ninh.", "vi")
    with index.store.begin() as conn:
        index.index(conn, article, "Tin", "Quảng Ninh.", "vi")  # indexing twice is harmless
    assert ids(index.search("quang ninh")) == [article]


def test_empty_query_is_a_usage_error(index: SearchIndex) -> None:
    with pytest.raises(UsageError, match="empty search query"):
        index.search("   ")
    with pytest.raises(UsageError):
        index.search('"" *** -- ()')


HOSTILE = [
    "NEAR(quang ninh, 2)",
    '"unbalanced',
    "title: quang",
    "{title body}: ninh",
    "quang OR ninh AND NOT ha",
    "'; DROP TABLE articles; --",
    "ninh*",
    "^ninh",
    "quang + ninh - long",
    "a & b | !c <-> d",
    "'quang':* & ninh:A",
    "\\' ninh \\\" \\",
    "ninh\x00long",
    "广西\"壮族'",
    "ＮＩＮＨ",
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_do_not_break(index: SearchIndex, query: str) -> None:
    article = add(index, "Quảng Ninh", "Quảng Ninh, Hạ Long, 广西壮族.", "vi")
    hits = index.search(query)
    assert all(h.id == article for h in hits)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(query=st.text(max_size=40))
def test_search_never_raises_on_any_query(index: SearchIndex, query: str) -> None:
    try:
        index.search(query)
    except UsageError:
        assert not index.analyzer.plan_query(query).groups


def test_common_words_rank_newest_window_first(store: Store, analyzer: Analyzer) -> None:
    index = SearchIndex(store, analyzer, rank_window=2)
    old_title = add(index, "Hạ Long", "Hạ Long.", "vi")  # best match, but oldest
    others = [add(index, f"Tin {i}", f"Tin số {i} về Hạ Long.", "vi") for i in range(4)]
    hits = ids(index.search("ha long", limit=10))
    assert sorted(hits) == sorted([old_title, *others])  # every window is reached
    assert set(hits[:2]) == {others[3], others[2]}  # newest window first
    assert set(ids(index.search("ha long", limit=2))) == {others[3], others[2]}


def test_filters_reach_older_windows(store: Store, analyzer: Analyzer) -> None:
    index = SearchIndex(store, analyzer, rank_window=2)
    english = add(index, "Ha Long Bay", "Ha Long Bay news.", "en")
    for i in range(5):
        add(index, f"Tin {i}", f"Tin số {i} về Hạ Long.", "vi")
    assert ids(index.search("ha long", language="en")) == [english]
    assert len(index.search("ha long", language="vi", limit=3)) == 3


# ---------------------------------------------------------------- snippets


def _reference_snippet(analyzer: Analyzer, text: str, query: str) -> str:
    """The plain algorithm that `snippet` must agree with: fold every token from the start, the
    window is 10 words before and 20 after the first match (20/60 characters for CJK/Thai)."""
    words, runs = analyzer.highlights(query)

    def hits(m: re.Match[str]) -> list[tuple[int, int]]:
        folded = analyzer.fold(m.group())
        if m.lastgroup == "word":
            ok = folded in words or any(w in words for w in folded.split())
            return [(m.start(), m.end())] if ok else []
        out = []
        for run in runs:
            at = folded.find(run)
            while at >= 0:
                if len(folded) != len(m.group()):
                    out.append((m.start(), m.end()))
                    break
                out.append((m.start() + at, m.start() + at + len(run)))
                at = folded.find(run, at + len(run))
        return sorted(out)

    tokens = list(scan(text[:200_000]))
    if not tokens:
        return re.sub(r"\s+", " ", text[:120]).strip()
    first = next(((i, h[0][0]) for i, m in enumerate(tokens) if (h := hits(m))), None)
    index, at = first or (0, tokens[0].start())
    if tokens[index].lastgroup == "word":
        start = tokens[max(0, index - 10)].start()
        back = at - 60
        if back > 0:
            space = text.find(" ", back, back + 20)
            back = back if space < 0 else space + 1
        start = max(start, back, 0)
        end = min(tokens[min(len(tokens) - 1, index + 20)].end(), at + 200)
    else:
        start, end = max(0, at - 20), at + 60
    window = text[start : min(end, len(text))]
    marks = sorted(h for m in scan(window) for h in hits(m))
    merged: list[list[int]] = []
    for s, e in marks:
        if merged and (s <= merged[-1][1] or not window[merged[-1][1] : s].strip()):
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, last = "", 0
    for s, e in merged:
        out += window[last:s] + "**" + re.sub(r"\s+", " ", window[s:e]).strip() + "**"
        last = e
    out = re.sub(r"\s+", " ", out + window[last:]).strip()
    return ("… " if start > 0 else "") + out + (" …" if end < len(text) else "")


_WORDS = (
    "Quảng Ninh quang ninh QUẢNG Đà Nẵng da nang thủ tướng chính phủ the of port harbour "
    "Hà Nội ha noi 广西 壮族自治区 广西壮族 東京 ｶﾀｶﾅ 서울특별시 กรุงเทพ Straße strasse ﬁnance "
    "ĐÀ Œuvre ÆON x1 2025 — , . ; ( ) « » \n \n\n"
)
_VOCABULARY = _WORDS.split(" ")
_QUERIES = (
    "quang ninh",
    "Đà Nẵng",
    "广西",
    "東京",
    "서울",
    "กรุง",
    "strasse finance",
    '"thủ tướng" port',
    "oeuvre aeon",
    "absent",
)


def _text(rng: random.Random, words: int) -> str:
    return "".join(
        rng.choice(_VOCABULARY) + rng.choice(("", " ", " ", " ", "  ")) for _ in range(words)
    )


@given(st.lists(st.sampled_from(_VOCABULARY), max_size=80), st.sampled_from(_QUERIES))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_snippets_agree_with_the_plain_algorithm(
    analyzer: Analyzer, vocabulary: list[str], query: str
) -> None:
    text = " ".join(vocabulary)
    assert snippet(analyzer, text, *analyzer.highlights(query)) == _reference_snippet(
        analyzer, text, query
    )


def test_snippets_of_long_texts_agree_with_the_plain_algorithm(analyzer: Analyzer) -> None:
    """Matches past several folded chunks, one shared Snippets for many texts (as a search)."""
    rng = random.Random(5)
    for query in _QUERIES:
        snippets = Snippets(analyzer, *analyzer.highlights(query))
        for _ in range(15):
            text = _text(rng, rng.choice((50, 400, 3000)))
            assert snippets.snippet(text) == _reference_snippet(analyzer, text, query)


def test_a_late_match_gets_its_own_words_around_it(analyzer: Analyzer) -> None:
    filler = "Một đoạn văn dài không liên quan. " * (3 * SNIPPET_CHUNK_CHARS // 10)
    text = filler + "Tàu cập cảng Quảng Ninh sáng nay. " + filler
    got = snippet(analyzer, text, *analyzer.highlights("quang ninh"))
    assert got.startswith("… ") and got.endswith(" …")
    assert "Tàu cập cảng **Quảng Ninh** sáng nay." in got
    zh = "无关的句子。" * 200 + "广西壮族自治区" + "无关。" * 50
    assert "**广西**壮族" in snippet(analyzer, zh, *analyzer.highlights("广西"))


def test_a_title_only_match_shows_the_opening(analyzer: Analyzer) -> None:
    text = "The port opened on Monday. " * 40
    got = snippet(analyzer, text, *analyzer.highlights("Quảng Ninh"))
    assert got.startswith("The port opened on Monday.") and "**" not in got


SNIPPET_WORDS = ["Hạ", "LONG", "long", "Halong", "along", "longer", "ninh", "Quảng", "bay,"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.sampled_from(SNIPPET_WORDS), min_size=60, max_size=400),
    st.integers(min_value=0, max_value=8),
)
def test_the_first_match_is_found_however_deep(
    analyzer: Analyzer, words: list[str], filler: int
) -> None:
    """Long pieces are halved to find the first match: the result must be the first token
    that matches, never a later one, whatever the text holds before it (words containing
    the query word, such as "along", included)."""
    text = " ".join(["xyz " * 60 * filler, *words])
    found = Snippets(analyzer, *analyzer.highlights("long"))._first_hit(text)
    expected = next((m.start() for m in scan(text) if analyzer.fold(m.group()) == "long"), None)
    assert (found[1] if found else None) == expected


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from([*SNIPPET_WORDS, "Long-term", "LONG.", "曼谷"]), max_size=120))
def test_every_match_in_the_snippet_is_bold(analyzer: Analyzer, words: list[str]) -> None:
    """Snippets check for matches piece by piece, skipping pieces whose folded text holds no
    query word: the highlights must be those of checking every token."""
    text = " ".join(words)
    snippets = Snippets(analyzer, *analyzer.highlights("long 曼谷"))
    out = snippets._render(text, 0, len(text))
    spans = []
    for m in scan(text):
        spans.extend((m.start() + s, m.start() + e) for s, e in snippets._token_ranges(m))
    bolded = re.findall(r"\*\*(.+?)\*\*", out)  # neighbouring matches share one pair
    assert "".join(bolded).replace(" ", "") == "".join(text[s:e] for s, e in spans).replace(" ", "")


def test_search_page_says_whether_more_follow(
    index: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One more match is ranked to know whether a next page exists, but only the page's own
    snippets are cut (they are most of a search's time)."""
    for n in range(5):
        add(index, f"Hạ Long report {n}", f"Quảng Ninh news number {n} about Hạ Long Bay.", "vi")
    everything = index.search("ha long", limit=10)
    assert len(everything) == 5
    cut: list[str] = []
    original = Snippets.snippet

    def counting(self: Snippets, text: str) -> str:
        cut.append(text)
        return original(self, text)

    monkeypatch.setattr(Snippets, "snippet", counting)
    hits, more = index.search_page("ha long", limit=2)
    assert (ids(hits), more, len(cut)) == (ids(everything[:2]), True, 2)
    hits, more = index.search_page("ha long", limit=2, offset=2)
    assert (ids(hits), more) == (ids(everything[2:4]), True)
    hits, more = index.search_page("ha long", limit=2, offset=4)
    assert (ids(hits), more) == (ids(everything[4:]), False)
    hits, more = index.search_page("ha long", limit=5)
    assert (len(hits), more) == (5, False)


def test_snippets_can_be_cut_later_for_the_hits_shown(index: SearchIndex) -> None:
    """The web search ranks a pool of hits for its facets without snippets, then cuts them
    only for the hits it shows: the same snippets as a plain search."""
    for n in range(4):
        add(index, f"Report {n}", f"Tàu cập cảng Quảng Ninh lần thứ {n} trong tuần.", "vi")
    plain = index.search("quang ninh", limit=10)
    bare = index.search("quang ninh", limit=10, snippets=False)
    assert [h.id for h in bare] == [h.id for h in plain] and {h.snippet for h in bare} == {""}
    later = index.with_snippets(bare[:2], "quang ninh")
    assert later == plain[:2] and "**Quảng Ninh**" in later[0].snippet
    assert index.with_snippets([], "quang ninh") == []
