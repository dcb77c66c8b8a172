"""Charset decoding: BOM, HTTP header, <meta>, detection, lying labels, binary refusal."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hoasen.errors import InputRejected
from hoasen.ingest.charset import BINARY_REASON, decode, is_binary, normalize_charset

# 镕 and 堃 are in GBK but not in GB2312: a page labelled gb2312 still uses them.
SIMPLIFIED = (
    "越南广宁省与中国广西壮族自治区在媒体合作方面取得了重要成果，双方同意继续加强新闻交流，"
    "共同出版特刊，促进两国人民的相互了解和友谊。朱镕基、王堃出席了会议。"
)
TRADITIONAL = (
    "香港特別行政區政府今日宣布，將會加強與越南廣寧省在旅遊、貿易及文化方面的合作。"
    "雙方代表在會議上簽署了諒解備忘錄，並同意每年舉行一次交流活動，以促進兩地人民的友誼。"
)
VIETNAMESE = (
    "Tỉnh Quảng Ninh đẩy mạnh hợp tác với Quảng Tây (Trung Quốc) trong lĩnh vực truyền thông, "
    "du lịch, văn hóa, thương mại và đầu tư. Hai bên thống nhất tăng cường trao đổi thông tin."
)
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def page(body: str, meta: str | None = None) -> str:
    head = f'<meta http-equiv="Content-Type" content="text/html; charset={meta}">' if meta else ""
    return f"<html><head>{head}<title>Tin</title></head><body><p>{body}</p></body></html>"


def cp1258(text: str) -> bytes:
    """Encode like a legacy Vietnamese site: base letters precomposed, tones as combining marks."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out.append(base + "".join(c for c in parts if c in _TONES))
    return "".join(out).encode("cp1258")


def test_utf8_without_any_label() -> None:
    assert VIETNAMESE in decode(page(VIETNAMESE).encode("utf-8"))


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_mark_wins(codec: str) -> None:
    data = page(VIETNAMESE, meta="iso-8859-1").encode(codec)
    text = decode(data)
    assert VIETNAMESE in text and not text.startswith("\ufeff")


def test_utf16_without_bom_is_recognised() -> None:
    assert VIETNAMESE in decode(page(VIETNAMESE).encode("utf-16-le"))


def test_gb2312_label_is_widened_to_gb18030() -> None:
    data = page(SIMPLIFIED, meta="gb2312").encode("gbk")
    assert SIMPLIFIED in decode(data)


def test_big5_label() -> None:
    assert TRADITIONAL in decode(page(TRADITIONAL, meta="big5").encode("big5"))


@pytest.mark.parametrize(("text", "codec"), [(SIMPLIFIED, "gbk"), (TRADITIONAL, "big5")])
def test_chinese_without_label_is_detected(text: str, codec: str) -> None:
    assert text in decode(page(text).encode(codec))


def test_meta_claiming_utf8_on_gbk_bytes_falls_back_to_detection() -> None:
    data = page(SIMPLIFIED, meta="utf-8").encode("gbk")
    assert SIMPLIFIED in decode(data)


@pytest.mark.parametrize(
    ("text", "codec", "label"), [(TRADITIONAL, "big5", "gb2312"), (SIMPLIFIED, "gbk", "big5")]
)
def test_chinese_label_for_the_other_script_is_corrected(text: str, codec: str, label: str) -> None:
    assert text in decode(page(text, meta=label).encode(codec))


def test_utf8_bytes_under_a_latin1_label_stay_utf8() -> None:
    data = page(VIETNAMESE, meta="iso-8859-1").encode("utf-8")
    assert VIETNAMESE in decode(data)


def test_http_charset_beats_meta() -> None:
    data = page(SIMPLIFIED, meta="big5").encode("gbk")
    assert SIMPLIFIED in decode(data, "text/html; charset=GBK")


def test_xml_declaration_is_read() -> None:
    data = '<?xml version="1.0" encoding="windows-1252"?><p>café crème</p>'.encode("cp1252")
    assert "café crème" in decode(data)


@pytest.mark.parametrize("meta", ["windows-1258", None])
def test_windows_1258_is_decoded_and_nfc_normalised(meta: str | None) -> None:
    data = cp1258(page(VIETNAMESE, meta=meta))
    text = decode(data)
    assert VIETNAMESE in text
    assert unicodedata.is_normalized("NFC", text)


def test_latin1_label_reads_as_windows_1252() -> None:
    data = page("“Quoted” – dash", meta="iso-8859-1").encode("cp1252")
    assert "“Quoted” – dash" in decode(data)


def test_unknown_label_is_ignored() -> None:
    data = page(SIMPLIFIED, meta="x-nonsense").encode("gbk")
    assert SIMPLIFIED in decode(data)


def test_few_broken_bytes_do_not_spoil_a_page() -> None:
    good = page(SIMPLIFIED * 20, meta="gbk").encode("gbk")
    damaged = good[:300] + b"\xb0 " + good[300:]
    text = decode(damaged)
    assert "\ufffd" not in text and SIMPLIFIED in text


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04\x14\x00\x06\x00",
        b"\x00\x01\x02\x03" * 100,
        bytes(range(1, 9)) * 50,
    ],
)
def test_binary_data_is_rejected(data: bytes) -> None:
    assert is_binary(data)
    with pytest.raises(InputRejected) as info:
        decode(data)
    assert info.value.reason == BINARY_REASON


def test_a_few_stray_nul_bytes_in_html_are_dropped() -> None:
    data = page(VIETNAMESE * 30).encode("utf-8")
    data = data[:200] + b"\x00" * 11 + data[200:]
    text = decode(data)
    assert "\x00" not in text and VIETNAMESE in text


def test_empty_bytes_decode_to_empty_text() -> None:
    assert decode(b"") == ""


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("GB2312", "gb18030"),
        ("gbk", "gb18030"),
        ("x-gbk", "gb18030"),
        ("Big5", "big5hkscs"),
        ("windows-1258", "cp1258"),
        ("ISO-8859-1", "cp1252"),
        ("Shift_JIS", "cp932"),
        ("euc-kr", "cp949"),
        ("UTF8", "utf-8"),
        ('"utf-8"', "utf-8"),
        ("tis-620", "cp874"),
        ("nonsense", None),
        (None, None),
    ],
)
def test_normalize_charset(label: str | None, codec: str | None) -> None:
    assert normalize_charset(label) == codec


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from([None, "text/html", "text/html; charset=gbk"]))
def test_decode_raises_only_input_rejected(data: bytes, content_type: str | None) -> None:
    try:
        text = decode(data, content_type)
    except InputRejected:
        return
    assert isinstance(text, str)
    assert unicodedata.is_normalized("NFC", text)


_NO_CONTROLS = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\ufeff"), max_size=300
)


@settings(max_examples=200, deadline=None)
@given(_NO_CONTROLS, st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32"]))
def test_unicode_text_round_trips(text: str, codec: str) -> None:
    assert decode(text.encode(codec)) == unicodedata.normalize("NFC", text)
