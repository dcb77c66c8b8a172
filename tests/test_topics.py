"""Topics: taxonomy loading, the seed (keywords + embeddings) and trained models, labelled data."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from hoasen.analyze.gazetteer import fold
from hoasen.analyze.topic_models import MANIFEST, Labelled, TrainedTopicModel, read_labelled
from hoasen.analyze.topics import (
    SeedTopicModel,
    Taxonomy,
    TopicModel,
    _compile,
    load_topic_model,
)
from hoasen.errors import UsageError

IDS = [
    "diplomacy", "investment-trade", "tourism", "culture-exchange", "press-media", "politics",
    "economy", "border-security", "science-digital", "environment", "health", "education",
]  # fmt: skip

SPORT = [
    "The striker scored twice as the team won the football match in the league",
    "The coach praised his players after the cup final victory at the stadium",
    "The tennis champion won the tournament final in straight sets",
    "The goalkeeper saved a penalty and the club reached the semi-final",
    "Đội tuyển bóng đá giành chiến thắng trong trận chung kết trên sân vận động",
    "Huấn luyện viên khen các cầu thủ sau trận đấu ở giải vô địch",
    "Vận động viên quần vợt giành huy chương vàng tại giải đấu",
    "Câu lạc bộ bóng đá ký hợp đồng với tiền đạo mới trước mùa giải",
]
MARKETS = [
    "Shares rose on the stock market as the central bank cut interest rates",
    "The company reported higher profits and revenue for the quarter",
    "Inflation slowed and economic growth beat forecasts this year",
    "The bank raised its lending rate as the currency weakened against the dollar",
    "Giá cổ phiếu tăng mạnh trên thị trường chứng khoán sau khi ngân hàng giảm lãi suất",
    "Doanh nghiệp báo lãi lợi nhuận và doanh thu quý tăng cao",
    "Lạm phát giảm và tăng trưởng kinh tế vượt dự báo trong năm nay",
    "Ngân hàng nhà nước điều chỉnh tỷ giá và lãi suất cho vay",
]
HEALTH = [
    "Doctors at the hospital treated patients during the flu outbreak",
    "A new vaccine against the virus was approved by health officials",
    "The hospital opened a cancer ward and hired more nurses",
    "Health authorities warned of a disease outbreak and urged vaccination",
    "Bác sĩ bệnh viện điều trị cho bệnh nhân trong đợt dịch cúm",
    "Bộ Y tế phê duyệt vắc xin mới phòng chống virus",
    "Bệnh viện mở khoa ung thư và tuyển thêm điều dưỡng",
    "Cơ quan y tế cảnh báo dịch bệnh và kêu gọi tiêm chủng",
]


def tiny_corpus() -> list[Labelled]:
    """Three topics, four English and four Vietnamese texts each."""
    return [
        Labelled(text, (label,))
        for label, texts in (("sport", SPORT), ("markets", MARKETS), ("health", HEALTH))
        for text in texts
    ]


def top(predictions: list[list[tuple[str, float]]]) -> list[str | None]:
    """The best label of each text (None when a text got none)."""
    return [labels[0][0] if labels else None for labels in predictions]


# ---------------------------------------------------------------------------------- taxonomy


def test_default_taxonomy_has_the_twelve_topics_with_names_and_seeds() -> None:
    taxonomy = Taxonomy.load()
    assert taxonomy.ids == IDS
    for topic in taxonomy:
        assert {"vi", "en", "zh"} <= set(topic.names), topic.id
        assert {"vi", "en", "zh"} <= set(topic.keywords), topic.id
        assert topic.description
        # Vietnamese keywords are written with their diacritics.
        assert any(not word.isascii() for word in topic.keywords["vi"]), topic.id
    assert taxonomy.get("tourism") is not None
    assert taxonomy.get("tourism").name("vi") == "Du lịch"  # type: ignore[union-attr]
    assert taxonomy.get("nope") is None
    assert len(taxonomy.fingerprint) == 12


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_TOPIC = """
[[topic]]
id = "tourism"
description = "Tourism."
[topic.names]
en = "Tourism"
[topic.keywords]
en = ["tourist*"]
"""


def test_user_taxonomy_replaces_the_default(tmp_path: Path) -> None:
    taxonomy = Taxonomy.load(_write(tmp_path, "version = 1\n" + GOOD_TOPIC))
    assert taxonomy.ids == ["tourism"]
    assert str(tmp_path) in taxonomy.source
    assert top(SeedTopicModel(taxonomy).predict(["Tourists arrive"])) == ["tourism"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[topic]\nid = 1", "not valid TOML"),
        ("version = 1\n", "no topics"),
        ("version = 2\n" + GOOD_TOPIC, "version 2 is not supported"),
        (GOOD_TOPIC + GOOD_TOPIC, "(tourism): the id is used twice"),
        (GOOD_TOPIC.replace('"tourism"', '"Tourism!"'), "id 'Tourism!' must be lower-case"),
        (GOOD_TOPIC.replace('en = "Tourism"', ""), "needs [names]"),
        (GOOD_TOPIC.replace('["tourist*"]', '"tourist"'), "keywords.en must be a list"),
        (GOOD_TOPIC.replace('description = "Tourism."', ""), "needs a one-line 'description'"),
        (GOOD_TOPIC.replace("[topic.names]\nen", "[topic.names]\nenglish"), "'english' is not"),
        ("colour = 1\n" + GOOD_TOPIC, "unknown top-level key(s) colour"),
    ],
)
def test_bad_taxonomy_files_are_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        Taxonomy.load(_write(tmp_path, text))
    assert message in str(caught.value)
    assert "taxonomy" in str(caught.value)


def test_missing_taxonomy_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        Taxonomy.load(tmp_path / "missing.toml")


# ---------------------------------------------------------------------------------- seed model


@pytest.fixture(scope="module")
def seed() -> SeedTopicModel:
    return SeedTopicModel(Taxonomy.load())


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Đại sứ quán đón đoàn công tác và hội đàm về quan hệ hữu nghị", "vi", "diplomacy"),
        ("Lượng du khách quốc tế đến Hạ Long tăng, các khách sạn kín phòng", "vi", "tourism"),
        ("Sở Y tế cảnh báo dịch bệnh, bệnh viện tăng cường điều trị", "vi", "health"),
        ("Foreign investors poured FDI into new industrial parks", "en", "investment-trade"),
        ("Broadcasters and journalists agreed to co-produce a documentary", "en", "press-media"),
        ("Students at the university won scholarships to study abroad", "en", "education"),
        ("广西旅游景区今年接待游客大幅增长", "zh", "tourism"),
        ("边境口岸加强巡逻，打击走私犯罪", "zh", "border-security"),
        ("台风带来洪水，生态环境受到污染", "zh", "environment"),
    ],
)
def test_seed_model_finds_topics_from_keywords(
    seed: SeedTopicModel, text: str, language: str, expected: str
) -> None:
    [labels] = seed.predict([text], [language])
    assert labels and labels[0][0] == expected
    assert all(0.0 < score < 1.0 for _, score in labels)
    assert [score for _, score in labels] == sorted((score for _, score in labels), reverse=True)


def test_seed_model_is_multi_label_and_may_give_nothing(seed: SeedTopicModel) -> None:
    both = "Students and teachers visited hospitals to learn about vaccines and patient care"
    [labels] = seed.predict([both], ["en"])
    assert {"education", "health"} <= {label for label, _ in labels}
    assert seed.predict(["Hôm nay trời đẹp, tôi đang đi dạo."], ["vi"]) == [[]]
    assert seed.predict([], []) == []


def test_seed_keywords_ignore_diacritics_and_respect_word_boundaries(seed: SeedTopicModel) -> None:
    # Unaccented Vietnamese still matches; an unknown language uses every language's seeds.
    assert top(seed.predict(["Thu hut dau tu nuoc ngoai va xuat khau"], [None])) == [
        "investment-trade"
    ]
    assert top(seed.predict(["Thu hut dau tu nuoc ngoai va xuat khau"])) == ["investment-trade"]
    # "art" is a culture keyword; "partisan" and "startled" must not count as it.
    assert seed.keyword_scores("partisan startled", "en")[IDS.index("culture-exchange")] == 0.0
    assert seed.keyword_scores("modern art", "en")[IDS.index("culture-exchange")] > 0.0
    # '*' keywords match any ending: "invest*" finds "investors".
    assert seed.keyword_scores("investors", "en")[IDS.index("investment-trade")] > 0.0


def test_seed_keyword_evidence_weakens_with_text_length(seed: SeedTopicModel) -> None:
    short = seed.keyword_scores("Tourists arrive", "en")[IDS.index("tourism")]
    long = seed.keyword_scores("Tourists arrive. " + "Nothing else happened. " * 200, "en")
    assert short > long[IDS.index("tourism")] > 0.0


class FakeEmbedder:
    """Unit vectors over the twelve topics: a text points at the topics whose English names it
    contains, else nowhere in particular."""

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.names = [topic.name("en").lower() for topic in taxonomy]
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        rows = []
        for text in texts:
            row = np.array([1.0 if name in text.lower() else 0.0 for name in self.names])
            row = row if row.any() else np.ones(len(self.names))
            rows.append(row / np.linalg.norm(row))
        return np.vstack(rows)


def test_seed_model_uses_embeddings_when_it_has_an_embedder() -> None:
    taxonomy = Taxonomy.load()
    embedder = FakeEmbedder(taxonomy)
    model = SeedTopicModel(taxonomy, embedder)
    text = "Một ngày bình thường ở thành phố"  # no keyword of any topic
    vector = embedder.embed(["Tourism"])
    assert model.predict([text], ["vi"]) == [[]]
    [labels] = model.predict([text], ["vi"], embeddings=vector)
    assert top([labels]) == ["tourism"]
    # Topic vectors are computed once and kept by the instance.
    model.predict([text], ["vi"], embeddings=vector)
    assert embedder.calls == 2
    # Without an embedder, embeddings cannot be compared and are left out.
    assert SeedTopicModel(taxonomy).predict([text], ["vi"], embeddings=vector) == [[]]
    with pytest.raises(ValueError, match="one row per text"):
        model.predict([text, text], embeddings=vector)


# ---------------------------------------------------------------------------------- trained


@pytest.fixture(scope="module")
def trained() -> TrainedTopicModel:
    return TrainedTopicModel.train(tiny_corpus())


def test_trained_model_learns_round_trips_and_reloads(
    trained: TrainedTopicModel, tmp_path: Path
) -> None:
    texts = [
        "The team won the football final",
        "Profits and shares rose as interest rates fell",
        "Bệnh viện điều trị bệnh nhân nhiễm virus",
    ]
    predictions = trained.predict(texts)
    assert top(predictions) == ["sport", "markets", "health"]
    assert trained.labels == ["health", "markets", "sport"]
    trained.save(tmp_path / "model")
    manifest = json.loads((tmp_path / "model" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["labels"] == ["health", "markets", "sport"]
    assert manifest["training_size"] == 24
    assert manifest["sklearn_version"]
    loaded = TrainedTopicModel.load(tmp_path / "model")
    assert loaded.version == trained.version
    assert loaded.predict(texts) == predictions
    assert isinstance(loaded, TopicModel)


def test_trained_model_is_multi_label_when_taught_so(tmp_path: Path) -> None:
    records: list[object] = [{"text": t.text, "label": list(t.labels)} for t in tiny_corpus()]
    both = ["sport", "markets"]
    records += [
        {"text": "Football club shares rose after record profits", "label": both},
        {"text": "The league's clubs reported higher revenue and profits", "label": both},
        {"text": "Cổ phiếu câu lạc bộ bóng đá tăng nhờ lợi nhuận", "label": both},
        {
            "text": "The footballer was treated in hospital for an injury",
            "label": ["sport", "health"],
        },
    ]
    model = TrainedTopicModel.train(records)  # type: ignore[arg-type]
    assert model.manifest["multi_label"] is True
    [labels] = model.predict(["Football club shares rose on the stock market after profits"])
    assert {"sport", "markets"} <= {label for label, _ in labels}


def test_training_refuses_what_it_cannot_learn_from() -> None:
    with pytest.raises(UsageError, match="at least two"):
        TrainedTopicModel.train([Labelled("one text", ("a",))])
    with pytest.raises(UsageError, match="need at least two labels"):
        TrainedTopicModel.train([Labelled("one", ("a",)), Labelled("two", ("a",))])
    with pytest.raises(UsageError, match='record 2: "label" is empty'):
        TrainedTopicModel.train([{"text": "x", "label": "a"}, {"text": "y", "label": ""}])


def test_loading_refuses_missing_damaged_or_foreign_models(
    trained: TrainedTopicModel, tmp_path: Path
) -> None:
    with pytest.raises(UsageError, match="no topic model"):
        TrainedTopicModel.load(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="not a topic model"):
        TrainedTopicModel.load(tmp_path / "empty")
    model_dir = tmp_path / "model"
    trained.save(model_dir)
    manifest_path = model_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format_version": 99}), encoding="utf-8")
    with pytest.raises(UsageError, match="format version 99"):
        TrainedTopicModel.load(model_dir)
    manifest_path.write_text("{not json", encoding="utf-8")
    with pytest.raises(UsageError, match="damaged"):
        TrainedTopicModel.load(model_dir)
    manifest_path.write_text(json.dumps({**manifest, "labels": ["x"]}), encoding="utf-8")
    with pytest.raises(UsageError, match="does not match"):
        TrainedTopicModel.load(model_dir)
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (model_dir / "weights.npz").write_bytes(b"garbage")
    with pytest.raises(UsageError, match="missing or damaged"):
        TrainedTopicModel.load(model_dir)


def test_load_topic_model_picks_trained_or_seed(trained: TrainedTopicModel, tmp_path: Path) -> None:
    taxonomy = Taxonomy.load()
    assert isinstance(load_topic_model(None, taxonomy), SeedTopicModel)
    trained.save(tmp_path / "model")
    model = load_topic_model(tmp_path / "model", taxonomy)
    assert isinstance(model, TrainedTopicModel)
    assert model.name == "trained"
    with pytest.raises(UsageError):
        load_topic_model(tmp_path / "nothing", taxonomy)


# ---------------------------------------------------------------------------------- labelled data


def test_read_labelled_keeps_good_lines_and_reports_bad_ones(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "Tourists arrive", "label": "tourism"}),
        "not json at all",
        json.dumps({"label": "tourism"}),
        "",
        json.dumps({"text": "Hello", "label": ""}),
        json.dumps({"text": "Hello", "label": []}),
        json.dumps({"text": "Hello", "label": 3}),
        json.dumps(["text", "label"]),
        json.dumps({"text": "  ", "label": "x"}),
        json.dumps({"text": "Đầu tư và du lịch", "label": ["investment-trade", " tourism "]}),
        json.dumps({"text": "No label"}),
    ]
    path = tmp_path / "labelled.jsonl"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8") + b"\xff\xfe bad\n")
    records, errors = read_labelled(path)
    assert records == [
        Labelled("Tourists arrive", ("tourism",)),
        Labelled("Đầu tư và du lịch", ("investment-trade", "tourism")),
    ]
    reasons = [error.reason for error in errors]
    assert all(error.input.startswith(f"{path}:") for error in errors)
    numbers = [int(error.input.rsplit(":", 1)[1]) for error in errors]
    assert numbers == [2, 3, 5, 6, 7, 8, 9, 11, 12]
    assert reasons[0].startswith("not JSON")
    assert reasons[1:] == [
        'no "text"',
        '"label" is empty',
        '"label" is empty',
        '"label" must be a string or a list of strings',
        "not a JSON object",
        '"text" is empty',
        'no "label"',
        "not UTF-8 text",
    ]


def test_read_labelled_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read labelled data"):
        read_labelled(tmp_path / "missing.jsonl")


def _one_branch_per_keyword(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """The keyword regex as first written, every spaced word with its own word-start test:
    the reference the faster grouped regex must agree with."""
    parts: dict[str, str] = {}
    for keyword in keywords:
        key = fold(keyword.rstrip("*"))
        if not key:
            continue
        escaped = re.escape(key).replace(r"\ ", " ")
        if re.search(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3]", key):
            parts[key] = escaped
        else:
            ending = r"\w*" if keyword.endswith("*") else ""
            parts[key] = rf"(?<!\w){escaped}{ending}(?!\w)"
    ordered = sorted(parts, key=len, reverse=True)
    return re.compile("|".join(parts[key] for key in ordered)) if parts else None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["hà nội", "kinh tế", "经济", "g20峰会", "tax*", "vi", "an"])))
def test_grouped_keyword_regex_finds_what_one_branch_per_keyword_finds(
    keywords: list[str],
) -> None:
    text = fold(
        "Kinh tế Hà Nội tăng; taxes, taxi và G20峰会 经济 ở Vi-an, hànội, an ninh, vi."
        + " ".join(keywords)
    )
    grouped, reference = _compile(keywords), _one_branch_per_keyword(keywords)
    assert (grouped is None) == (reference is None)
    if grouped is not None and reference is not None:
        found = [(m.start(), m.group()) for m in grouped.finditer(text)]
        assert found == [(m.start(), m.group()) for m in reference.finditer(text)]


def test_grouped_keyword_regexes_agree_on_the_bundled_taxonomy(seed: SeedTopicModel) -> None:
    texts = [
        (FIXTURES / "ingest" / name).read_text(encoding="utf-8")
        for name in ("dulich_vi.txt", "quangninh_en.txt", "hoptac_sv.txt")
    ]
    texts += [json.loads(line)["text"] for line in (FIXTURES / "ner" / "zh.jsonl").open()]
    for language, patterns in seed._patterns.items():
        for topic, pattern in zip(seed.taxonomy, patterns, strict=True):
            words = (
                topic.keywords.get(language, ())
                if language
                else [w for ws in topic.keywords.values() for w in ws]
            )
            reference = _one_branch_per_keyword(words)
            assert pattern is None or pattern.groups == 0  # keyword_scores counts findall
            for text in texts:
                folded = fold(text)
                got = pattern.findall(folded) if pattern else []
                want = [m.group() for m in reference.finditer(folded)] if reference else []
                assert got == want, (language, topic.id)
