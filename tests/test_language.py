"""Language detection: configured languages, script shortcuts, empty text, bad settings."""

from __future__ import annotations

import pytest

from hoasen.analyze.language import LanguageGuess, LinguaDetector, make_detector
from hoasen.errors import ConfigError
from hoasen.settings import DEFAULT_LANGUAGES, Settings

SENTENCES = {
    "vi": "Ủy ban nhân dân tỉnh đã tổ chức hội nghị về phát triển du lịch biển trong năm tới.",
    "en": "The provincial government announced a new plan to expand the port before the summer.",
    "zh": "省政府今天宣布将在明年扩建港口，以促进与邻国的贸易往来。",
    "ja": "県の担当者は、来年の春までに新しい港を完成させると発表しました。",
    "ko": "도 정부는 내년 여름까지 항구를 확장하는 새로운 계획을 발표했다.",
    "fr": "Le gouvernement provincial a annoncé un nouveau plan pour agrandir le port avant l'été.",
    "de": "Die Provinzregierung hat einen neuen Plan zum Ausbau des Hafens angekündigt.",
    "ru": "Правительство провинции объявило о новом плане расширения порта до начала лета.",
    "es": "El gobierno provincial anunció un nuevo plan para ampliar el puerto antes del verano.",
    "sv": "Provinsregeringen meddelade i går en ny plan för att bygga ut hamnen före sommaren.",
    "th": "รัฐบาลจังหวัดประกาศแผนใหม่เพื่อขยายท่าเรือก่อนฤดูร้อนปีหน้า",
    "id": "Pemerintah provinsi mengumumkan rencana baru untuk memperluas pelabuhan.",
}

SWEDISH_SEED_LIKE = """Samarbete mellan provinsens mediecenter och Guangxi

Under mötet diskuterade de två sidorna hur samarbetet inom journalistik och digitala medier
kan fördjupas under de kommande åren. Den vietnamesiska delegationen presenterade provinsens
arbete med att sprida information om turism, kultur och handel vid gränsen.
Översikt över arbetsmötet
Biträdande direktören sade att utbytet av nyheter och reportage har ökat förståelsen mellan
folken på båda sidor om gränsen, och att fler gemensamma program planeras till nästa år.
"""


@pytest.fixture(scope="module")
def detector() -> LinguaDetector:
    """One detector for the module: building it loads the language models."""
    return LinguaDetector(DEFAULT_LANGUAGES)


@pytest.mark.parametrize("code", sorted(SENTENCES))
def test_short_news_sentences(detector: LinguaDetector, code: str) -> None:
    guess = detector.detect(SENTENCES[code])
    assert guess.language == code
    assert 0.0 < guess.confidence <= 1.0


def test_swedish_seed_like_text_is_swedish(detector: LinguaDetector) -> None:
    guess = detector.detect(SWEDISH_SEED_LIKE)
    assert guess.language == "sv"
    assert guess.confidence > 0.5


@pytest.mark.parametrize("text", ["", "   \n\t", "2025-10-04 16:01 — 12/34 !!!", "📰 🚢"])
def test_no_letters_gives_no_language(detector: LinguaDetector, text: str) -> None:
    assert detector.detect(text) == LanguageGuess(None, 0.0)


def test_cjk_and_thai_with_latin_names(detector: LinguaDetector) -> None:
    assert detector.detect("BBC Scotland 的记者在 Tony Macaroni 球场报道").language == "zh"
    assert detector.detect("PBS、C-SPANなどの数値はすぐには入手できなかった").language == "ja"
    assert detector.detect("Manchester City เจอกับ Hoffenheim ที่ Sinsheim").language == "th"
    assert detector.detect("Samsung Electronics 주가가 오늘 크게 올랐다").language == "ko"


def test_english_text_quoting_a_chinese_name_stays_english(detector: LinguaDetector) -> None:
    text = "President Xi Jinping (习近平) met the delegation in Beijing on Tuesday afternoon."
    assert detector.detect(text).language == "en"


def test_only_a_bounded_prefix_is_read(detector: LinguaDetector) -> None:
    english = "The committee met in the morning to discuss the new harbour budget. " * 40
    french = "Le comité s'est réuni ce matin pour discuter du budget du nouveau port. " * 200
    assert detector.detect(english + french).language == "en"


def test_only_configured_languages_are_chosen() -> None:
    detector = LinguaDetector(["en", "sv"])
    assert detector.languages == ("en", "sv")
    guess = detector.detect(SENTENCES["de"])
    assert guess.language in {"en", "sv"}
    assert detector.detect(SENTENCES["zh"]).language != "zh"


def test_unknown_language_code_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="'xx'"):
        LinguaDetector(["en", "xx"])


def test_empty_language_list_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        LinguaDetector([])


def test_make_detector_uses_settings(settings: Settings) -> None:
    detector = make_detector(settings)
    assert detector.name.startswith("lingua-2.")
    assert detector.detect(SENTENCES["vi"]).language == "vi"
