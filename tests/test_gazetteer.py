"""The bundled gazetteer: one canonical entity per place/organisation across languages, former
provinces linked to their successors, a leftmost-longest scanner, and strict CSV import."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.analyze.gazetteer import Entity, Gazetteer, _fold_slowly, _fold_with_offsets, fold
from hoasen.errors import UsageError

HEADER = "id,type,kind,country,status,successor,name_vi,name_en,name_zh,aliases\n"


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    """The bundled data, loaded once for the read-only tests of this module."""
    return Gazetteer.load()


def ids(gazetteer: Gazetteer, names: list[str], language: str | None = None) -> set[str | None]:
    """The entity id each name resolves to (None where a name is unknown)."""
    return {(e.id if (e := gazetteer.lookup(name, language)) else None) for name in names}


def must(gazetteer: Gazetteer, name: str, language: str | None = None) -> Entity:
    """The entity `name` resolves to; fails the test when there is none."""
    entity = gazetteer.lookup(name, language)
    assert entity is not None, f"{name!r} is unknown"
    return entity


def bundled(name: str) -> Path:
    """Path of one bundled gazetteer CSV."""
    return Path(str(resources.files("hoasen") / "data" / "gazetteer" / name))


# ------------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            [
                "Quảng Ninh",
                "Quang Ninh",
                "quang ninh",
                "QUẢNG NINH",
                "广宁省",
                "广宁",
                "tỉnh Quảng Ninh",
                "Quang Ninh Province",
                "クアンニン省",
            ],
            "vn.quang-ninh",
        ),
        (
            [
                "Quảng Tây",
                "Guangxi",
                "广西",
                "广西壮族自治区",
                "Guangxi Zhuang Autonomous Region",
                "Khu tự trị dân tộc Choang Quảng Tây",
            ],
            "cn.guangxi",
        ),
        (["Fujian", "Phúc Kiến", "Phuc Kien", "福建", "福建省"], "cn.fujian"),
        (["Vân Nam", "Yunnan", "云南"], "cn.yunnan"),
        (["Quảng Đông", "Guangdong", "广东"], "cn.guangdong"),
        (["Lạng Sơn", "Lang Son", "谅山省"], "vn.lang-son"),
        (["Lào Cai", "Lao Cai", "老街省"], "vn.lao-cai"),
        (["Hà Nội", "Hanoi", "Ha Noi", "河内", "河内市"], "vn.ha-noi"),
        (
            ["Thành phố Hồ Chí Minh", "TP.HCM", "Ho Chi Minh City", "Saigon", "胡志明市"],
            "vn.ho-chi-minh-city",
        ),
        (["Hạ Long", "Ha Long", "Halong", "下龙"], "vn.ha-long"),
        (["Móng Cái", "Mong Cai", "芒街"], "vn.mong-cai"),
        (["Dongxing", "Đông Hưng", "东兴"], "cn.dongxing"),
        (["Nanning", "Nam Ninh", "南宁"], "cn.nanning"),
        (["Hokkaido", "北海道", "홋카이도"], "jp.hokkaido"),
        (["Việt Nam", "Vietnam", "Viet Nam", "越南", "ベトナム", "베트남"], "country.vn"),
        (["Hoa Kỳ", "Mỹ", "United States", "USA", "美国"], "country.us"),
        (["Hàn Quốc", "South Korea", "Korea", "韩国", "대한민국"], "country.kr"),
    ],
)
def test_names_in_every_language_resolve_to_one_entity(
    gazetteer: Gazetteer, names: list[str], expected: str
) -> None:
    assert ids(gazetteer, names) == {expected}


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (
            [
                "Guangxi Radio and Television",
                "Guangxi Radio & Television Station",
                "Đài Phát thanh và Truyền hình Quảng Tây",
                "Đài PT-TH Quảng Tây",
                "广西广播电视台",
            ],
            "org.guangxi-radio-tv",
        ),
        (
            [
                "Guangxi Daily Media Group",
                "Guangxi Daily Media Corporation",
                "Tập đoàn Truyền thông Báo Quảng Tây",
                "广西日报传媒集团",
            ],
            "org.guangxi-daily-media-group",
        ),
        (
            [
                "Quang Ninh Provincial Media Center",
                "Trung tâm Truyền thông tỉnh Quảng Ninh",
                "广宁省传媒中心",
            ],
            "org.quang-ninh-media-center",
        ),
        (
            ["Ministry of Information and Communications", "Bộ Thông tin và Truyền thông"],
            "org.vn-mic",
        ),
        (["Gangwon Radio & Television", "Gangwon Radio and Television"], "org.gangwon-radio-tv"),
        (["Sun Yeli", "Tôn Nghiệp Lễ", "Ton Nghiep Le", "孙业礼"], "per.sun-yeli"),
    ],
)
def test_partner_organisations_and_people_resolve_across_languages(
    gazetteer: Gazetteer, names: list[str], expected: str
) -> None:
    assert ids(gazetteer, names) == {expected}


def test_unknown_and_empty_names_are_none(gazetteer: Gazetteer) -> None:
    assert gazetteer.lookup("Atlantis Province of Nowhere") is None
    assert gazetteer.lookup("") is None
    assert gazetteer.lookup(" -- ") is None


def test_written_diacritics_pick_the_name_that_carries_them(gazetteer: Gazetteer) -> None:
    # "Bí" (as in "Bí thư") must not become Belgium ("Bỉ"); unmarked text stays loose.
    assert must(gazetteer, "Bỉ").id == "country.be"
    assert (
        gazetteer.lookup("Hoà Bình") == gazetteer.lookup("Hòa Bình") == gazetteer.lookup("Hoa Binh")
    )


def test_shared_names_prefer_the_language_home_country(gazetteer: Gazetteer) -> None:
    # Vietnamese "Hà Nam" is the (former) Vietnamese province; Chinese 河南 is Henan.
    assert must(gazetteer, "Hà Nam", "vi").id == "vn.ha-nam"
    assert must(gazetteer, "河南", "zh").id == "cn.henan"
    assert must(gazetteer, "Henan").id == "cn.henan"


# ------------------------------------------------------------------------------- provinces


def test_vietnam_has_34_current_units_and_the_63_older_names() -> None:
    provinces = Gazetteer()
    provinces.import_file(bundled("vn_provinces.csv"))
    current = [e for e in provinces if e.status == "current"]
    former = [e for e in provinces if e.status == "former"]
    assert len(current) == 34
    assert sum(e.kind == "city" for e in current) == 6
    # The 63 pre-2025 names: today's 34 minus Huế (then Thừa Thiên Huế), plus 29 merged
    # provinces and Thừa Thiên Huế itself; Hà Tây (merged into Hà Nội in 2008) comes on top.
    pre_2025 = {e.names["vi"] for e in current if e.id != "vn.hue"} | {
        e.names["vi"] for e in former if e.id != "vn.ha-tay"
    }
    assert len(pre_2025) == 63
    for entity in former:
        successor = provinces.current(entity)
        assert successor.status == "current" and successor.country == "VN", entity.id


@pytest.mark.parametrize(
    ("former", "successor"),
    [
        ("Hà Tây", "vn.ha-noi"),
        ("Ha Tay", "vn.ha-noi"),
        ("Hà Giang", "vn.tuyen-quang"),
        ("Yên Bái", "vn.lao-cai"),
        ("Quảng Nam", "vn.da-nang"),
        ("Bà Rịa - Vũng Tàu", "vn.ho-chi-minh-city"),
        ("Bắc Giang", "vn.bac-ninh"),
        ("Thừa Thiên Huế", "vn.hue"),
        ("Kiên Giang", "vn.an-giang"),
    ],
)
def test_former_provinces_point_to_their_successor(
    gazetteer: Gazetteer, former: str, successor: str
) -> None:
    entity = gazetteer.lookup(former, "vi")
    assert entity is not None and entity.status == "former"
    assert gazetteer.current(entity).id == successor


def test_every_bundled_successor_leads_to_a_current_entity(gazetteer: Gazetteer) -> None:
    for entity in gazetteer:
        if entity.status == "former":
            assert gazetteer.current(entity).status == "current", entity.id


def test_bundled_data_covers_countries_and_china(gazetteer: Gazetteer) -> None:
    countries = [e for e in gazetteer if e.kind == "country"]
    assert len(countries) > 190
    assert all(e.names.get("vi") and e.names.get("en") and e.names.get("zh") for e in countries)
    china = [e for e in gazetteer if e.id.startswith("cn.") and e.kind in ("province", "region")]
    assert {"cn.guangxi", "cn.yunnan", "cn.fujian", "cn.hong-kong", "cn.macao"} <= {
        e.id for e in china
    }
    assert all(e.names.get("vi") for e in china)


def test_world_cities_link_across_languages(gazetteer: Gazetteer) -> None:
    assert ids(gazetteer, ["Nairobi", "内罗毕", "ナイロビ", "나이로비"]) == {"ke.nairobi"}
    buenos_aires = ["Buenos Aires", "布宜诺斯艾利斯", "ブエノスアイレス"]
    assert ids(gazetteer, buenos_aires) == {"ar.buenos-aires"}
    assert ids(gazetteer, ["Mát-xcơ-va", "Moscow", "莫斯科"]) == {"ru.moscow"}
    assert spans(gazetteer, "Đoàn công tác đến Nairobi rồi Buenos Aires.", "vi") == [
        ("Nairobi", "ke.nairobi"),
        ("Buenos Aires", "ar.buenos-aires"),
    ]
    assert spans(gazetteer, "代表团访问了内罗毕和墨西哥城。", "zh") == [
        ("内罗毕", "ke.nairobi"),
        ("墨西哥城", "mx.mexico-city"),
    ]
    assert must(gazetteer, "Nairobi").country == "KE"


def test_one_city_keeps_one_id(gazetteer: Gazetteer) -> None:
    hcmc = ["Thành phố Hồ Chí Minh", "Ho Chi Minh City", "Saigon", "胡志明市", "ホーチミン市"]
    assert ids(gazetteer, hcmc) == {"vn.ho-chi-minh-city"}
    assert ids(gazetteer, ["Hanoi", "Hà Nội"]) == {"vn.ha-noi"}
    assert ids(gazetteer, ["Shanghai", "上海"]) == {"cn.shanghai"}
    others = Gazetteer()
    for path in sorted(bundled("x").parent.glob("*.csv")):
        if path.name != "world_cities.csv":
            others.import_file(path)
    cities = Gazetteer()
    cities.import_file(bundled("world_cities.csv"))
    assert len(cities) > 200
    for city in cities:
        for _, name in city.all_names():
            known = others.lookup(name)
            assert known is None or fold(name) not in {fold(n) for _, n in known.all_names()}, (
                f"{city.id}: {name!r} is already {known.id}"
            )


def test_ambiguous_city_names_are_left_out(gazetteer: Gazetteer) -> None:
    assert ids(gazetteer, ["Resolute", "Darwin", "Phoenix", "Nice"]) == {None}
    assert spans(gazetteer, "我们在这里加入了新的内容。", "zh") == []


def test_entity_name_falls_back_to_english() -> None:
    entity = Entity("x.one", "LOC", "city", "VN", {"en": "One", "vi": "Một"})
    assert entity.name("vi") == "Một"
    assert entity.name("zh") == "One"


# ------------------------------------------------------------------------------- matches


def spans(gazetteer: Gazetteer, text: str, language: str | None = None) -> list[tuple[str, str]]:
    return [(m.text, m.entity or "") for m in gazetteer.matches(text, language)]


def test_matches_prefers_the_longest_name(gazetteer: Gazetteer) -> None:
    text = "Bí thư Tỉnh ủy Quảng Ninh tiếp đoàn Đài Phát thanh và Truyền hình Quảng Tây."
    assert spans(gazetteer, text, "vi") == [
        ("Tỉnh ủy Quảng Ninh", "org.quang-ninh-party-committee"),
        ("Đài Phát thanh và Truyền hình Quảng Tây", "org.guangxi-radio-tv"),
    ]


def test_matches_respects_word_boundaries_and_case(gazetteer: Gazetteer) -> None:
    assert spans(gazetteer, "Vietnamese and Quang Ninhx papers", "en") == []
    assert spans(gazetteer, "the mic was on; hòa bình là khát vọng", None) == []
    assert spans(gazetteer, "MIC and Hòa Bình", None) == [
        ("MIC", "org.vn-mic"),
        ("Hòa Bình", "vn.hoa-binh"),
    ]


def test_matches_finds_cjk_names_inside_running_text(gazetteer: Gazetteer) -> None:
    text = "广西日报传媒集团与越南广宁省传媒中心签署合作协议"
    assert spans(gazetteer, text, "zh") == [
        ("广西日报传媒集团", "org.guangxi-daily-media-group"),
        ("越南", "country.vn"),
        ("广宁省传媒中心", "org.quang-ninh-media-center"),
    ]


def test_one_word_names_inside_longer_names_are_left_alone(gazetteer: Gazetteer) -> None:
    assert spans(gazetteer, "ships in the South China Sea near New Jersey", "en") == [
        ("South China Sea", "region.east-sea"),
        ("New Jersey", "us.new-jersey"),
    ]
    assert spans(gazetteer, "Ông Phạm Đức Long thăm Đức.", "vi") == [
        ("Phạm Đức Long", "per.pham-duc-long"),
        ("Đức", "country.de"),
    ]


def test_matches_accepts_unmarked_and_decomposed_text(gazetteer: Gazetteer) -> None:
    import unicodedata

    text = unicodedata.normalize("NFD", "Đoàn Quảng Ninh thăm Quang Tay")
    found = gazetteer.matches(text, "vi")
    assert [m.entity for m in found] == ["vn.quang-ninh", "cn.guangxi"]
    assert all(text[m.start : m.end] == m.text for m in found)


# ------------------------------------------------------------------------------- import


def write(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


def test_import_adds_and_overrides_entities(tmp_path: Path) -> None:
    gazetteer = Gazetteer.load()
    before = len(gazetteer)
    path = write(
        tmp_path / "mine.csv",
        HEADER
        + "org.test-radio,ORG,organization,VN,,,Đài Thử Nghiệm,Test Radio,,en:TR Radio\n"
        + "# a comment row,,,,,,,,,\n"
        + "vn.quang-ninh,LOC,province,VN,current,,Quảng Ninh,Quang Ninh Prov.,广宁省,\n",
    )
    assert gazetteer.import_file(path) == 2
    assert len(gazetteer) == before + 1
    assert must(gazetteer, "Dai Thu Nghiem").id == "org.test-radio"
    assert must(gazetteer, "Quảng Ninh").names["en"] == "Quang Ninh Prov."
    assert must(Gazetteer.load(), "Quảng Ninh").names["en"] == "Quang Ninh"


def test_import_names_the_bad_line_and_adds_nothing(tmp_path: Path) -> None:
    gazetteer = Gazetteer.load()
    before = len(gazetteer)
    path = write(
        tmp_path / "bad.csv",
        HEADER
        + "org.good,ORG,organization,VN,,,Tốt,Good,,\n"
        + "org.bad,ORG,city,VN,,,Xấu,Bad,,\n",
    )
    with pytest.raises(UsageError, match=r"bad\.csv: line 3: kind 'city' needs type LOC"):
        gazetteer.import_file(path)
    assert len(gazetteer) == before
    assert gazetteer.lookup("Good") is None


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("Bad Id,LOC,city,VN,,,X,X,,", "id 'Bad Id' must be lower-case"),
        ("x.a,LOC,planet,VN,,,X,X,,", "kind 'planet' is not one of"),
        ("x.a,LOC,city,VNM,,,X,X,,", "two-letter ISO code"),
        ("x.a,LOC,city,VN,gone,,X,X,,", "status 'gone'"),
        ("x.a,LOC,city,VN,former,x.nowhere,X,X,,", "successor 'x.nowhere' is not a known"),
        ("x.a,LOC,city,VN,current,vn.ha-noi,X,X,,", "only a 'former' entity may name"),
        ("x.a,LOC,city,VN,,,X,X,,Quang Ninh", "must be written language:name"),
        ("x.a,LOC,city,VN,,,,,,", "no name in any language"),
        ("x.a,LOC,city,VN,,,X,X,,,extra", "more values than columns"),
    ],
)
def test_import_explains_each_kind_of_bad_row(tmp_path: Path, row: str, problem: str) -> None:
    path = write(tmp_path / "one.csv", HEADER + row + "\n")
    with pytest.raises(UsageError) as caught:
        Gazetteer.load([path])
    assert "line 2" in str(caught.value) and problem in str(caught.value)


def test_import_rejects_bad_headers_files_and_duplicates(tmp_path: Path) -> None:
    gazetteer = Gazetteer()
    with pytest.raises(UsageError, match="missing column"):
        gazetteer.import_file(write(tmp_path / "a.csv", "id,name_en\nx.a,A\n"))
    with pytest.raises(UsageError, match="unknown column"):
        gazetteer.import_file(write(tmp_path / "b.csv", "id,type,kind,name_en,colour\n"))
    with pytest.raises(UsageError, match="not UTF-8"):
        (tmp_path / "c.csv").write_bytes((HEADER + "x.a,LOC,city,VN,,,Hà,Ha,,\n").encode("cp1258"))
        gazetteer.import_file(tmp_path / "c.csv")
    with pytest.raises(UsageError, match="not found"):
        gazetteer.import_file(tmp_path / "missing.csv")
    duplicate = HEADER + "x.a,LOC,city,VN,,,A,A,,\nx.a,LOC,city,VN,,,B,B,,\n"
    with pytest.raises(UsageError, match=r"line 3: id 'x\.a' is already used on line 2"):
        gazetteer.import_file(write(tmp_path / "d.csv", duplicate))
    assert len(gazetteer) == 0


def test_load_reads_user_folders_and_instances_stay_separate(tmp_path: Path) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    write(
        folder / "p.csv", "id,type,kind,name_en,name_ja\nper.tanaka,PER,person,Tanaka Ken,田中健\n"
    )
    mine = Gazetteer.load([folder])
    assert must(mine, "田中健").id == "per.tanaka"
    assert Gazetteer.load().lookup("田中健") is None


# ------------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(),
            st.sampled_from(list("Quảng Ninh广宁省 Đà Nẵng-–.'&ßİ\u0301\u0323ﾀﾞＡ")),
        ),
        max_size=80,
    )
)
def test_lookup_and_matches_never_raise_and_spans_index_the_text(
    gazetteer: Gazetteer, text: str
) -> None:
    gazetteer.lookup(text)
    for language in (None, "vi", "zh-CN"):
        found = gazetteer.matches(text, language)
        last_end = 0
        for m in found:
            assert text[m.start : m.end] == m.text
            assert 0 <= m.start < m.end <= len(text) and m.start >= last_end
            last_end = m.end


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


_PIECES = [*"aZ đĐ'’&-._\n\t\u3000ﬁＦ½Ωй广한ệ\u0323", "𝐀", "\x00", "  "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_fast_folding_matches_folding_one_character_at_a_time(text: str) -> None:
    assert _fold_with_offsets(text) == _fold_slowly(text)
