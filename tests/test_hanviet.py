"""Name suggestions for Chinese names: Hán-Việt readings, pinyin, administrative units, surnames,
polyphonic characters, the bundled tables and the tool that rebuilds the Unihan files."""

from __future__ import annotations

import bz2
import importlib.util
import sys
from importlib import resources
from pathlib import Path

import pytest

from hoasen.analyze.gazetteer import Gazetteer
from hoasen.translate.hanviet import pinyin_word, reading, suggest, title_syllables
from hoasen.translate.termbase import Termbase

ROOT = Path(__file__).resolve().parents[1]

# (Chinese, kind, Hán-Việt, English) as Vietnamese and English news write them.
NAMES = [
    ("福建", "place", "Phúc Kiến", "Fujian"),
    ("孙业礼", "person", "Tôn Nghiệp Lễ", "Sun Yeli"),
    ("广西", "place", "Quảng Tây", "Guangxi"),
    ("广州", "place", "Quảng Châu", "Guangzhou"),
    ("习近平", "person", "Tập Cận Bình", "Xi Jinping"),
    ("王毅", "person", "Vương Nghị", "Wang Yi"),
    ("云南", "place", "Vân Nam", "Yunnan"),
    ("海南", "place", "Hải Nam", "Hainan"),
    ("深圳", "place", "Thâm Quyến", "Shenzhen"),
    ("东兴", "place", "Đông Hưng", "Dongxing"),
    ("李强", "person", "Lý Cường", "Li Qiang"),
    ("南宁", "place", "Nam Ninh", "Nanning"),
    ("桂林", "place", "Quế Lâm", "Guilin"),
    ("昆明", "place", "Côn Minh", "Kunming"),
    ("凭祥", "place", "Bằng Tường", "Pingxiang"),
    ("防城港", "place", "Phòng Thành Cảng", "Fangchenggang"),
    ("钦州", "place", "Khâm Châu", "Qinzhou"),
    ("崇左", "place", "Sùng Tả", "Chongzuo"),
    ("赵乐际", "person", "Triệu Lạc Tế", "Zhao Leji"),
    ("王沪宁", "person", "Vương Hỗ Ninh", "Wang Huning"),
    ("蔡奇", "person", "Thái Kỳ", "Cai Qi"),
    ("丁薛祥", "person", "Đinh Tiết Tường", "Ding Xuexiang"),
    ("刘宁", "person", "Lưu Ninh", "Liu Ning"),
    ("蓝天立", "person", "Lam Thiên Lập", "Lan Tianli"),
]


@pytest.mark.parametrize(("zh", "kind", "vi", "en"), NAMES)
def test_names_read_as_the_press_writes_them(zh: str, kind: str, vi: str, en: str) -> None:
    suggestion = suggest(zh, kind=kind)
    assert (suggestion.kind, suggestion.hanviet, suggestion.pinyin) == (kind, vi, en)


def test_unknown_names_guess_their_kind() -> None:
    """Without a kind, most names are told apart (some, like 桂林 or 刘宁, need the termbase or
    the editor: 桂 is a surname, 宁 ends place names)."""
    wrong = [zh for zh, kind, _, _ in NAMES if suggest(zh).kind != kind]
    assert set(wrong) <= {"桂林", "刘宁"}


def test_kinds_are_guessed_from_surnames_and_place_endings() -> None:
    assert suggest("孙业礼").kind == "person"
    assert suggest("王毅").kind == "person"
    assert suggest("云南").kind == "place"  # 云 is a surname too, 南 ends place names
    assert suggest("福建省").kind == "place"
    assert suggest("人民日报").kind == "other"
    assert suggest("王毅", kind="place").pinyin == "Wangyi"


@pytest.mark.parametrize(
    ("zh", "vi", "en"),
    [
        ("福建省", "tỉnh Phúc Kiến", "Fujian Province"),
        ("广州市", "thành phố Quảng Châu", "Guangzhou"),
        (
            "广西壮族自治区",
            "Khu tự trị dân tộc Choang Quảng Tây",
            "Guangxi Zhuang Autonomous Region",
        ),
        ("宁夏回族自治区", "Khu tự trị dân tộc Hồi Ninh Hạ", "Ningxia Hui Autonomous Region"),
        (
            "新疆维吾尔自治区",
            "Khu tự trị dân tộc Duy Ngô Nhĩ Tân Cương",
            "Xinjiang Uygur Autonomous Region",
        ),
        (
            "延边朝鲜族自治州",
            "Châu tự trị dân tộc Triều Tiên Diên Biên",
            "Yanbian Korean Autonomous Prefecture",
        ),
        (
            "湘西土家族苗族自治州",
            "Châu tự trị dân tộc Thổ Gia và dân tộc Miêu Tương Tây",
            "Xiangxi Tujia and Miao Autonomous Prefecture",
        ),
        ("防城区", "quận Phòng Thành", "Fangcheng District"),
        ("东兴市", "thành phố Đông Hưng", "Dongxing"),
        ("江苏省", "tỉnh Giang Tô", "Jiangsu Province"),
    ],
)
def test_administrative_units(zh: str, vi: str, en: str) -> None:
    suggestion = suggest(zh)
    assert (suggestion.kind, suggestion.hanviet, suggestion.pinyin) == ("place", vi, en)


def test_polyphonic_characters_take_the_reading_of_their_sense() -> None:
    assert suggest("重庆").hanviet == "Trùng Khánh"
    assert suggest("长沙").hanviet == "Trường Sa"
    assert suggest("长春").hanviet == "Trường Xuân"
    assert suggest("乐山").hanviet == "Lạc Sơn"
    assert suggest("市长", kind="other").hanviet == "Thị Trưởng"
    assert suggest("银行", kind="other").hanviet == "Ngân Hàng"
    assert reading("重", "zhong4")[0] == "trọng"
    assert reading("乐", "yue4")[0] == "nhạc"
    assert reading("行", "xing2")[0] == "hành"
    notes = suggest("重庆").notes
    assert any("trọng" in note for note in notes)  # the editor sees the other reading


@pytest.mark.parametrize(
    ("zh", "vi", "en"),
    [
        ("曾国藩", "Tăng Quốc Phiên", "Zeng Guofan"),
        ("单雄信", "Đơn Hùng Tín", "Shan Xiongxin"),
        ("解振华", "Giải Chấn Hoa", "Xie Zhenhua"),
        ("欧阳修", "Âu Dương Tu", "Ouyang Xiu"),
        ("诸葛亮", "Gia Cát Lượng", "Zhuge Liang"),
        ("司马光", "Tư Mã Quang", "Sima Guang"),
    ],
)
def test_surname_readings(zh: str, vi: str, en: str) -> None:
    suggestion = suggest(zh)
    assert (suggestion.kind, suggestion.hanviet, suggestion.pinyin) == ("person", vi, en)


def test_traditional_characters_read_like_simplified_ones() -> None:
    suggestion = suggest("孫業禮")
    assert suggestion.name == "孫業禮"
    assert (suggestion.hanviet, suggestion.pinyin) == ("Tôn Nghiệp Lễ", "Sun Yeli")
    assert suggest("廣西壯族自治區").hanviet == "Khu tự trị dân tộc Choang Quảng Tây"


def test_pinyin_and_casing_helpers() -> None:
    assert pinyin_word(["xi1", "an1"]) == "Xi'an"
    assert pinyin_word(["guang3", "zhou1"]) == "Guangzhou"
    assert pinyin_word(["lv3"]) == "Lü"
    assert suggest("西安").pinyin == "Xi'an"
    assert title_syllables("tôn nghiệp lễ") == "Tôn Nghiệp Lễ"


def test_unihan_fallback_is_flagged_for_the_editor() -> None:
    # 丕 is not in hoasen's table; Unihan gives a reading that may be a Nôm one.
    hanviet, source, _ = reading("丕")
    assert source == "unihan" and hanviet
    suggestion = suggest("丕丕", kind="place")
    assert any("Unihan" in note for note in suggestion.notes)
    assert reading("\U0002a6d6")[1] in ("none", "unihan")


def test_other_strings_go_word_by_word() -> None:
    suggestion = suggest("广西壮族自治区外事办公室", kind="other")
    assert suggestion.pinyin == "Guangxi Zhuangzu Zizhiqu Waishi Bangongshi"
    assert suggestion.as_json()["syllables"][0] == {
        "char": "广",
        "hanviet": "quảng",
        "pinyin": "guang3",
        "source": "hoasen",
        "others": [],
    }


def test_known_names_come_from_the_termbase() -> None:
    termbase = Termbase(None, Gazetteer.load())
    suggestion = termbase.suggest("福建省")
    assert suggestion.hanviet == "tỉnh Phúc Kiến"
    assert suggestion.concept == "cn.fujian"
    known = {(t.lang, t.text, t.status) for t in suggestion.known}
    assert ("en", "Fujian", "preferred") in known
    assert ("vi", "Phúc Kiến", "preferred") in known
    # The core of an administrative name is read from the termbase: 香港 is Hồng Kông.
    assert termbase.suggest("香港特别行政区").hanviet == "Đặc khu hành chính Hồng Kông"
    assert termbase.suggest("孙业礼").concept == "per.sun-yeli"
    assert termbase.suggest("孙业礼").as_json()["known"][0]["text"] == "Tôn Nghiệp Lễ"
    # A known name in full keeps the termbase's forms.
    assert termbase.suggest("澳门").hanviet == "Ma Cao"
    assert termbase.suggest("新名字", kind="person").known == ()


def test_gazetteer_chinese_places_and_people_read_right() -> None:
    """Every Chinese place and person in the gazetteer reads as its Vietnamese and English name,
    except the few whose usual name is not a reading (Hồng Kông, Ma Cao, Urumqi...)."""
    exceptions = {"cn.inner-mongolia", "cn.hong-kong", "cn.macao", "country.cn", "cn.urumqi"}
    wrong = []
    for entity in Gazetteer.load():
        zh, vi, en = (entity.names.get(k) for k in ("zh", "vi", "en"))
        if entity.country != "CN" or entity.type == "ORG" or not (zh and vi and en):
            continue
        if entity.id in exceptions:
            continue
        kind = "person" if entity.type == "PER" else "place"
        got = suggest(zh, kind=kind)
        if (got.hanviet, got.pinyin) != (vi, en):
            wrong.append((entity.id, got.hanviet, got.pinyin))
    assert wrong == []


def test_bundled_tables_are_small_and_well_formed() -> None:
    data = resources.files("hoasen") / "data"
    for name in ("unihan/vietnamese.tsv", "unihan/s2t.tsv", "hanviet/readings.tsv"):
        text = (data / name).read_text(encoding="utf-8")
        assert len(text.encode()) < 200_000, name
        for line in text.splitlines():
            if line and not line.startswith("#"):
                assert "\t" in line, (name, line)
    readings = (data / "hanviet" / "readings.tsv").read_text(encoding="utf-8")
    assert "\n年\tniên\n" in readings and "\n长\ttrường\tchang2=trường zhang3=trưởng\n" in readings
    assert "Unicode License v3" in (data / "unihan" / "README.md").read_text(encoding="utf-8")


def test_build_unihan_tool_rebuilds_the_files(tmp_path: Path) -> None:
    source = tmp_path / "unicode"
    source.mkdir()
    readings = (
        "# Unicode version: 99.0.0\n"
        "U+5B6B\tkVietnamese\ttôn\n"
        "U+5B6B\tkMandarin\tsūn\n"
        "U+4E1C\tkMandarin\tdōng\n"
        "U+6771\tkVietnamese\thốc đông\n"
    )
    variants = (
        "U+5B59\tkTraditionalVariant\tU+5B6B\n"
        "U+4E1C\tkTraditionalVariant\tU+6771\n"
        "U+540E\tkTraditionalVariant\tU+540E U+5F8C\n"
        "U+5E7F\tkTraditionalVariant\tU+5E7F U+5EE3\n"
    )
    (source / "Unihan_Readings.txt.bz2").write_bytes(bz2.compress(readings.encode()))
    (source / "Unihan_Variants.txt").write_text(variants, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(
        "build_unihan", ROOT / "tools" / "build_unihan.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_unihan"] = module
    spec.loader.exec_module(module)
    out = tmp_path / "out"
    counts = module.build(source, out)
    assert counts == {"vietnamese": 2, "inherited": 2, "s2t": 3, "ambiguous": 1}
    vietnamese = (out / "vietnamese.tsv").read_text(encoding="utf-8")
    assert "Unihan 99.0.0" in vietnamese
    assert "\n孙\t<tôn\n" in vietnamese and "\n东\t<hốc đông\n" in vietnamese
    s2t = (out / "s2t.tsv").read_text(encoding="utf-8")
    assert "\n广\t廣\n" in s2t and "\n孙\t孫\n" in s2t and "后\t" not in s2t
    assert "后" in (out / "s2t_ambiguous.txt").read_text(encoding="utf-8")
