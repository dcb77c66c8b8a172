"""Fonts for the PDF. The `noto-cjk-sans-otc` package's Noto Sans CJK collection covers
Chinese, Japanese and Korean and, through its Latin part, every Vietnamese letter; DejaVu Sans,
when the system has it, backs up symbols. Local files only: nothing is fetched."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from weasyprint.text.ffi import ffi, fontconfig, pangoft2
from weasyprint.text.fonts import FontConfiguration

CJK_PACKAGE = "noto_cjk_sans_otc"
CJK_FILE = "NotoSansCJK-Regular.ttc"
DEFAULT_FACE = "Noto Sans CJK SC"
# Text tagged with a CJK language gets that language's glyph forms (later entries win).
FACES_BY_LANGUAGE = (
    (("zh",), "Noto Sans CJK SC"),
    (("zh-Hant", "zh-TW", "zh-HK"), "Noto Sans CJK TC"),
    (("ja",), "Noto Sans CJK JP"),
    (("ko",), "Noto Sans CJK KR"),
)
LANGUAGE_FACES = {
    ", ".join(f":lang({tag})" for tag in tags): face for tags, face in FACES_BY_LANGUAGE
}
FALLBACK = '"DejaVu Sans", sans-serif'


class FontError(RuntimeError):
    """The bundled fonts could not be loaded: a PDF would show missing glyphs."""


def cjk_font_path() -> Path:
    """The bundled Noto Sans CJK collection (a dependency of hoasen, so always installed)."""
    return Path(str(files(CJK_PACKAGE).joinpath(CJK_FILE)))


class ReportFonts(FontConfiguration):
    """WeasyPrint's font configuration plus the bundled CJK collection, every face of it under
    its own family name. (An @font-face rule would put all ten faces of the collection under
    one family, and the Japanese face, first in the file, would draw Chinese text.)"""

    def __init__(self) -> None:
        super().__init__()
        path = cjk_font_path()
        if not path.is_file():
            raise FontError(f"bundled font missing: {path}")
        if not fontconfig.FcConfigAppFontAddFile(self._config, str(path).encode()):
            raise FontError(f"fontconfig could not load {path}")
        pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", self.font_map))


def face_for(language: str) -> str:
    """The face `font_css` gives text tagged with `language` (a BCP 47 tag), matched like CSS
    `:lang()`: the tag itself or a longer tag starting with it and a hyphen."""
    tag = language.lower()
    face = DEFAULT_FACE
    for tags, candidate in FACES_BY_LANGUAGE:
        if any(tag == t.lower() or tag.startswith(t.lower() + "-") for t in tags):
            face = candidate
    return face


def font_css() -> str:
    """Rules setting the bundled faces on the report, per language of the text."""
    rules = [f'html, svg {{ font-family: "{DEFAULT_FACE}", {FALLBACK}; }}']
    for selector, face in LANGUAGE_FACES.items():
        rules.append(f'{selector} {{ font-family: "{face}", "{DEFAULT_FACE}", {FALLBACK}; }}')
    return "\n".join(rules)
