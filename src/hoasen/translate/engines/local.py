"""The local engine: CTranslate2 + sentencepiece over the models in `models_dir`, offline.

Each segment is cut into sentences (`translate.segment`, no download), all sentences of a call
go through CTranslate2 in batches, and each segment is put back together. Models load on first
use and stay loaded in this engine instance (no process-wide state). A pair with no installed
model is a `MissingModelError` naming the file to copy where; nothing is ever downloaded.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hoasen.translate.engines.base import (
    EngineError,
    MissingModelError,
    describe_pairs,
    pair_label,
    translate_nonblank,
)
from hoasen.translate.engines.local_models import (
    NLLB_CODES,
    LocalModel,
    list_models,
    unpack_argos,
)
from hoasen.translate.segment import split_sentences
from hoasen.translate.types import Glossary, base_lang

if TYPE_CHECKING:
    from hoasen.settings import Settings

SPIECE = "▁"
_NO_SPACE_LANGS = {"zh", "ja"}  # sentences are joined without a space
_SPECIAL = {"</s>", "<s>", "<pad>", "<unk>"}
_LINE_BREAK = re.compile(r"(\s*\n\s*)")


def default_threads() -> int:
    """Threads for one translation: every core, at most 4 (more gain little on CPU)."""
    return max(1, min(os.cpu_count() or 1, 4))


@dataclass
class _Loaded:
    """A model ready to translate: the CTranslate2 translator and its tokenizers."""

    model: LocalModel
    translator: Any
    source_sp: Any
    target_sp: Any
    add_eos: bool
    eos: str

    def encode(self, sentence: str, source: str, target: str) -> tuple[list[str], list[str]]:
        """Source tokens and the target prefix for one sentence."""
        pieces: list[str] = self.source_sp.encode(sentence, out_type=str)
        kind = self.model.kind
        prefix: list[str] = []
        if kind == "nllb":
            pieces = [_nllb_code(source), *pieces]
            prefix = [_nllb_code(target)]
        elif kind == "m2m100":
            pieces = [f"__{base_lang(source)}__", *pieces]
            prefix = [f"__{base_lang(target)}__"]
        elif kind == "opus-mt":
            token = self.model.options.get("target_tokens", {}).get(base_lang(target))
            if token:
                pieces = [str(token), *pieces]
        elif kind == "argos" and self.model.options.get("target_prefix"):
            prefix = [str(self.model.options["target_prefix"])]
        if self.add_eos:
            pieces.append(self.eos)
        return pieces, prefix

    def decode(self, tokens: list[str], prefix: list[str]) -> str:
        """Text from the output pieces (the target language token dropped)."""
        if prefix and tokens[: len(prefix)] == prefix:
            tokens = tokens[len(prefix) :]
        tokens = [t for t in tokens if t not in _SPECIAL]
        sp = self.target_sp
        unk = sp.unk_id()
        if tokens and all(sp.piece_to_id(t) != unk for t in tokens):
            return str(sp.decode_pieces(tokens)).strip()
        # Argos packages share one source-side model; replace_unknowns copies source pieces.
        return "".join(tokens).replace(SPIECE, " ").strip()


def _nllb_code(lang: str) -> str:
    key = lang.strip().lower().replace("_", "-")
    return NLLB_CODES.get(key) or NLLB_CODES.get(base_lang(lang)) or lang


class LocalEngine:
    """Translates with the models in `models_dir` (see `local_models` for the layouts)."""

    name = "local"

    def __init__(
        self,
        models_dir: Path | str,
        *,
        threads: int = 0,
        beam_size: int = 4,
        batch_size: int = 16,
    ) -> None:
        self.models_dir = Path(models_dir)
        self.threads = threads or default_threads()
        self.beam_size = beam_size
        self.batch_size = batch_size
        self._models: list[LocalModel] | None = None
        self._loaded: dict[Path, _Loaded] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalEngine:
        return cls(settings.models_dir, threads=settings.translate_threads)

    # ----------------------------------------------------------------------- what is there

    def models(self) -> list[LocalModel]:
        """The models in `models_dir` (read once per engine; `refresh()` reads again)."""
        if self._models is None:
            self._models = list_models(self.models_dir)
        return self._models

    def refresh(self) -> None:
        """Forget the model list (a model was copied in or removed)."""
        self._models = None

    def pairs(self) -> set[tuple[str, str]]:
        return {p for m in self.models() if m.usable for p in m.pairs}

    def model_for(self, source: str, target: str) -> LocalModel:
        """The model that translates source→target (bilingual ones first), or MissingModelError."""
        pair = (base_lang(source), base_lang(target))
        for model in self.models():
            if model.usable and pair in model.pairs:
                return model
        raise self.missing(source, target)

    def missing(self, source: str, target: str) -> MissingModelError:
        """The error for a pair no installed model translates: what to copy, and where."""
        s, t = base_lang(source), base_lang(target)
        where = self.models_dir
        absolute = where.resolve()
        there = "" if where.is_dir() else " (the folder does not exist yet: create it)"
        broken = [m for m in self.models() if not m.usable and (s, t) in m.pairs]
        note = "".join(f" {m.name} is there but cannot be used: {m.problem}." for m in broken)
        installed = describe_pairs(self.pairs())
        return MissingModelError(
            f"no local translation model for {pair_label(s, t)} in {where} ({absolute}){there}."
            f"{note} Copy an Argos Translate package for the pair (a file named like "
            f"translate-{s}_{t}-1_9.argosmodel) or a CTranslate2 conversion of OPUS-MT "
            f"(a folder like opus-mt-{s}-{t}), NLLB-200 or M2M-100 into {where}; nothing is "
            f"downloaded (set models_dir or HOASEN_MODELS_DIR to use another folder). "
            f"Installed pairs: {installed}. See docs/translation.md.",
            source=s,
            target=t,
            models_dir=where,
        )

    # -------------------------------------------------------------------------- translate

    def translate(
        self,
        texts: Sequence[str],
        source: str,
        target: str,
        glossary: Glossary | None = None,
    ) -> list[str]:
        """One translation per segment. The glossary is not used here: names are enforced
        around the engine."""
        if not any(t.strip() for t in texts):
            return ["" for _ in texts]
        loaded = self._load(self.model_for(source, target))
        return translate_nonblank(
            texts, lambda batch: self._translate(loaded, batch, source, target), self.name
        )

    def _translate(self, loaded: _Loaded, texts: list[str], source: str, target: str) -> list[str]:
        # Each segment -> lines (kept with their breaks) -> sentences, all in one batch.
        layout: list[list[tuple[str, list[int]]]] = []
        sentences: dict[str, int] = {}
        for text in texts:
            parts: list[tuple[str, list[int]]] = []
            for chunk in _LINE_BREAK.split(text.strip()):
                if not chunk.strip():
                    parts.append((chunk, []))
                    continue
                ids = [
                    sentences.setdefault(s, len(sentences)) for s in split_sentences(chunk, source)
                ]
                parts.append(("", ids))
            layout.append(parts)
        done = self._run(loaded, list(sentences), source, target)
        joiner = "" if base_lang(target) in _NO_SPACE_LANGS else " "
        out: list[str] = []
        for parts in layout:
            pieces = []
            for sep, ids in parts:
                pieces.append(
                    "\n" * sep.count("\n") if not ids else joiner.join(done[i] for i in ids)
                )
            out.append("".join(pieces).strip())
        return out

    def _run(self, loaded: _Loaded, sentences: list[str], source: str, target: str) -> list[str]:
        """Translate sentences with CTranslate2 in batches."""
        encoded = [loaded.encode(s, source, target) for s in sentences]
        tokens = [e[0] for e in encoded]
        prefixes = [e[1] for e in encoded]
        longest = max((len(t) for t in tokens), default=0)
        try:
            results = loaded.translator.translate_batch(
                tokens,
                target_prefix=prefixes if any(prefixes) else None,
                max_batch_size=self.batch_size,
                beam_size=self.beam_size,
                replace_unknowns=True,
                max_input_length=512,
                max_decoding_length=max(32, min(512, longest * 3 + 10)),
            )
        except (RuntimeError, ValueError) as exc:
            raise EngineError(
                f"the local model {loaded.model.name} failed to translate: {exc}",
                kind="server",
                engine=self.name,
            ) from exc
        return [
            loaded.decode(list(r.hypotheses[0]), p) for r, p in zip(results, prefixes, strict=True)
        ]

    def _load(self, model: LocalModel) -> _Loaded:
        """Load a model once per engine instance (thread-safe)."""
        with self._lock:
            loaded = self._loaded.get(model.path)
            if loaded is None:
                loaded = self._open(model)
                self._loaded[model.path] = loaded
            return loaded

    def _open(self, model: LocalModel) -> _Loaded:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:  # pragma: no cover - both are dependencies
            raise EngineError(
                "the local engine needs the ctranslate2 and sentencepiece packages",
                kind="config",
                engine=self.name,
            ) from exc
        if model.kind == "argos":
            folder = unpack_argos(model, self.models_dir)
            ct2_dir = folder / "model"
            source_spm = target_spm = folder / "sentencepiece.model"
        elif model.kind == "opus-mt":
            ct2_dir = model.path
            source_spm = model.path / str(model.options["source_spm"])
            target_spm = model.path / str(model.options["target_spm"])
        else:
            ct2_dir = model.path
            source_spm = target_spm = model.path / str(model.options["spm"])
        config: dict[str, Any] = {}
        if (ct2_dir / "config.json").is_file():
            config = json.loads((ct2_dir / "config.json").read_text(encoding="utf-8"))
        try:
            translator = ctranslate2.Translator(
                str(ct2_dir),
                device="cpu",
                compute_type="default",
                inter_threads=1,
                intra_threads=self.threads,
            )
            source_sp = sentencepiece.SentencePieceProcessor(model_file=str(source_spm))
            target_sp = (
                source_sp
                if target_spm == source_spm
                else sentencepiece.SentencePieceProcessor(model_file=str(target_spm))
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise EngineError(
                f"cannot load the local model {model.name} ({model.path}): {exc}",
                kind="config",
                engine=self.name,
            ) from exc
        return _Loaded(
            model=model,
            translator=translator,
            source_sp=source_sp,
            target_sp=target_sp,
            add_eos=not bool(config.get("add_source_eos", False)),
            eos=str(config.get("eos_token") or "</s>"),
        )
