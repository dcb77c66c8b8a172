"""Bytes -> text for HTML and plain-text documents, with the charset chosen the way a careful
browser would: byte-order mark, HTTP header, in-document declaration, then detection.

Legacy Chinese labels are widened to their supersets (gb2312/gbk -> gb18030, big5 -> big5hkscs)
so rare characters survive, and the result is NFC-normalised (windows-1258, the legacy
Vietnamese code page, spells tones with combining marks).
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from hoasen.errors import InputRejected

BINARY_REASON = "binary file, not text"

# Byte-order marks; UTF-32 before UTF-16 because BOM_UTF32_LE starts with BOM_UTF16_LE.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Magic numbers of common non-text files people drop into an inbox folder.
_MAGIC: tuple[bytes, ...] = (
    b"%PDF",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0",
    b"Rar!",
    b"7z\xbc\xaf",
    b"OggS",
    b"ID3",
    b"BZh",
    b"\xfd7zXZ",
    b"wOFF",
    b"wOF2",
)

# Python codec name -> the superset we decode with instead (WHATWG practice, plus HKSCS).
_WIDEN = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
    "utf-16": "utf-8",
    "utf-16-le": "utf-8",
    "utf-16-be": "utf-8",
    "utf-32": "utf-8",
    "utf-32-le": "utf-8",
    "utf-32-be": "utf-8",
}

# Labels Python's codec registry does not know by these names.
_LABELS = {
    "x-gbk": "gbk",
    "gb_2312-80": "gb2312",
    "x-euc-cn": "gb2312",
    "euc-cn": "gb2312",
    "x-big5": "big5",
    "big5-hkscs": "big5hkscs",
    "x-sjis": "shift_jis",
    "ms_kanji": "shift_jis",
    "windows-31j": "cp932",
    "ks_c_5601-1987": "cp949",
    "windows-874": "cp874",
    "x-cp1258": "cp1258",
    "unicode": "utf-8",
    "utf8": "utf-8",
    "x-user-defined": "cp1252",
}

# Codecs where each byte is one character: any byte string "decodes", so a lie goes unnoticed.
_SINGLE_BYTE_PREFIXES = ("cp125", "iso8859", "cp874", "koi8", "mac", "latin", "cp437", "cp850")

_META_RE = re.compile(rb"<meta[^>]{0,400}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.()-]{2,40})", re.I)
_XML_DECL_RE = re.compile(
    rb"^\s*<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([A-Za-z0-9_.:-]{2,40})", re.I
)
_HTTP_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9_:.()-]{2,40})", re.I)
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))
_PRESCAN_BYTES = 32_768
_DETECT_BYTES = 200_000
_FALLBACKS = ("utf-8", "gb18030", "big5hkscs", "cp932", "cp949", "cp1258", "cp1252")


def decode(data: bytes, content_type: str | None = None) -> str:
    """Decode an HTML/text document: BOM, HTTP charset, <meta>/XML declaration, then detection.

    Raises InputRejected for binary data (NUL bytes, PDF/ZIP/image signatures...).
    """
    if not data:
        return ""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _finish(data[len(bom) :].decode(encoding, errors="replace"))
    if data.startswith(_MAGIC):
        raise InputRejected(BINARY_REASON)
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        wide = data.decode(utf16, errors="replace")
        if sum(1 for ch in wide[:4096] if ch < " " and ch not in "\t\n\r\f") < 8:
            return _finish(wide)
    if is_binary(data):
        raise InputRejected(BINARY_REASON)
    data = data.replace(b"\x00", b"")
    for label in (http_charset(content_type), declared_charset(data)):
        declared = normalize_charset(label)
        text = _decode_declared(data, declared) if declared else None
        if text is not None:
            return _finish(_check_chinese(data, declared, text))
    text = _decode_utf8(data)
    return _finish(text if text is not None else _detect(data))


def is_binary(data: bytes) -> bool:
    """True for data that is clearly not a text document (a file signature, NUL bytes, or
    many control characters at the start)."""
    head = data[:8192]
    if head.startswith(_MAGIC):
        return True
    # A stray run of NULs happens in real HTML; NULs all through the data do not.
    if data[:65536].count(0) > max(16, min(len(data), 65536) // 100):
        return True
    controls = sum(head.count(b) for b in _CONTROL_BYTES)
    return controls > max(8, len(head) // 20)


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    if not content_type:
        return None
    match = _HTTP_CHARSET_RE.search(content_type)
    return match.group(1) if match else None


def declared_charset(data: bytes) -> str | None:
    """The charset an HTML/XML document declares about itself (XML declaration or <meta>)."""
    head = data[:_PRESCAN_BYTES]
    match = _XML_DECL_RE.search(head) or _META_RE.search(head)
    return match.group(1).decode("ascii", errors="replace") if match else None


def normalize_charset(label: str | None) -> str | None:
    """A charset label -> the Python codec we decode with, or None when unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _LABELS.get(name, name)
    try:
        canonical = codecs.lookup(name).name
    except LookupError:
        return None
    return _WIDEN.get(canonical, canonical)


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith(_SINGLE_BYTE_PREFIXES)


def _decode_declared(data: bytes, encoding: str) -> str | None:
    """Decode with a declared charset, or None when the declaration is clearly a lie."""
    if _is_single_byte(encoding) or encoding == "utf-8":
        # Valid multi-byte UTF-8 under a Latin label is the classic lie; UTF-8 wins.
        utf8 = _decode_utf8(data)
        if utf8 is not None and (encoding == "utf-8" or not utf8.isascii()):
            return utf8
        if encoding == "utf-8":
            return None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:  # pragma: no cover - normalize_charset only returns known codecs
        return None
    text = data.decode(encoding, errors="replace")
    # A few broken bytes in a long page are damage, not a wrong label.
    if text.count("\ufffd") <= max(2, len(text) // 2000):
        return text.replace("\ufffd", "")
    return None


def _check_chinese(data: bytes, encoding: str | None, text: str) -> str:
    """Big5 bytes labelled GBK (or the reverse) decode without errors into rare characters;
    switch when the other code page yields common characters instead."""
    other = _CHINESE_PAIRS.get(encoding or "")
    if other is None:
        return text
    share = _common_share(text)
    if share >= _COMMON_ENOUGH:
        return text
    alternative = _decode_declared(data, other)
    if alternative is not None and _common_share(alternative) >= share + 0.25:
        return alternative
    return text


def _common_share(text: str) -> float:
    """Share of CJK ideographs in the text that are common ones (1.0 when too few to tell)."""
    ideographs = [ch for ch in text[:50_000] if "\u4e00" <= ch <= "\u9fff"]
    if len(ideographs) < 10:
        return 1.0
    return sum(ch in _COMMON_HANZI for ch in ideographs) / len(ideographs)


def _common_hanzi() -> frozenset[str]:
    """GB2312 level 1 (3,755 most used simplified) and Big5 'frequent' (5,401 traditional)."""
    chars: set[str] = set()
    for lead, trails, codec in (
        (range(0xB0, 0xD8), range(0xA1, 0xFF), "gb2312"),
        (range(0xA4, 0xC7), [*range(0x40, 0x7F), *range(0xA1, 0xFF)], "big5"),
    ):
        for first in lead:
            for second in trails:
                try:
                    chars.add(bytes((first, second)).decode(codec))
                except UnicodeDecodeError:
                    continue
    return frozenset(chars)


_COMMON_HANZI = _common_hanzi()
_CHINESE_PAIRS = {"gb18030": "big5hkscs", "big5hkscs": "gb18030"}
_COMMON_ENOUGH = 0.9


def _decode_utf8(data: bytes) -> str | None:
    """Decode as UTF-8 when it is UTF-8 (tolerating rare broken bytes), else None."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    if multibyte >= 20 * bad:
        return text.replace("\ufffd", "")
    return None


def _detect(data: bytes) -> str:
    """Guess the charset with charset-normalizer; fall back to the codec with fewest errors."""
    sample = data[:_DETECT_BYTES]
    best = from_bytes(sample).best()
    guess = normalize_charset(best.encoding) if best is not None else None
    if guess is not None:
        text = _decode_declared(data, guess)
        if text is not None:
            return text
    candidates = [(_count_errors(data, enc), i, enc) for i, enc in enumerate(_FALLBACKS)]
    _, _, encoding = min(candidates)
    return data.decode(encoding, errors="replace").replace("\ufffd", "")


def _count_errors(data: bytes, encoding: str) -> int:
    return data.decode(encoding, errors="replace").count("\ufffd")


def _utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' for BOM-less UTF-16 text (NUL in every other byte), else None."""
    head = data[:4096]
    if len(head) < 8 or len(head) % 2:
        head = head[: len(head) - len(head) % 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    half = len(head) // 2
    if odd.count(0) > half * 0.6 and even.count(0) < half * 0.05:
        return "utf-16-le"
    if even.count(0) > half * 0.6 and odd.count(0) < half * 0.05:
        return "utf-16-be"
    return None


def _finish(text: str) -> str:
    """NFC-normalise (cp1258 and some sites spell Vietnamese tones as combining marks)."""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return text
