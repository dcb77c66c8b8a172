"""Finding the translation models an operator copied into `models_dir`, without downloading
anything: Argos Translate `.argosmodel` packages (zipped or unpacked) and CTranslate2
conversions of OPUS-MT, NLLB-200 and M2M-100 (described by a `hoasen-model.toml`, or recognised
from their files). `list_models` is what `hoasen translate models` shows.

Layouts (docs/translation.md has the details):

- `translate-zh_en-1_9.argosmodel`, or its unpacked folder: `metadata.json` (from_code,
  to_code), `model/` (CTranslate2), `sentencepiece.model`;
- OPUS-MT: `model.bin`, `config.json`, `shared_vocabulary.json`, `source.spm`, `target.spm`
  (the pair from `hoasen-model.toml`, `tokenizer_config.json` or a folder name like
  `opus-mt-zh-vi`);
- NLLB-200 / M2M-100: `model.bin`, `config.json`, the vocabulary (with `zho_Hans` or `__zh__`
  tokens) and `sentencepiece.bpe.model`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from hoasen.translate.engines.base import EngineError
from hoasen.translate.types import base_lang

CACHE_DIR = ".cache"  # under models_dir: unpacked .argosmodel packages
MANIFEST = "hoasen-model.toml"
KINDS = ("argos", "opus-mt", "nllb", "m2m100")

# NLLB-200 (FLORES-200) codes of the languages an office is likely to need.
NLLB_CODES = {
    "vi": "vie_Latn",
    "en": "eng_Latn",
    "zh": "zho_Hans",
    "zh-hans": "zho_Hans",
    "zh-hant": "zho_Hant",
    "ja": "jpn_Jpan",
    "ko": "kor_Hang",
    "fr": "fra_Latn",
    "de": "deu_Latn",
    "ru": "rus_Cyrl",
    "es": "spa_Latn",
    "sv": "swe_Latn",
    "th": "tha_Thai",
    "id": "ind_Latn",
    "lo": "lao_Laoo",
    "km": "khm_Khmr",
    "my": "mya_Mymr",
    "ms": "zsm_Latn",
    "pt": "por_Latn",
    "it": "ita_Latn",
    "nl": "nld_Latn",
    "pl": "pol_Latn",
    "uk": "ukr_Cyrl",
    "ar": "arb_Arab",
    "hi": "hin_Deva",
    "tl": "tgl_Latn",
    "tr": "tur_Latn",
}
_M2M_TOKEN = re.compile(r"^__([a-z]{2,3})__$")
_OPUS_NAME = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})(?:$|[^a-z])", re.IGNORECASE)
_ARGOS_NAME = re.compile(r"translate-([a-z]{2,3})_([a-z]{2,3})", re.IGNORECASE)


@dataclass(frozen=True)
class LocalModel:
    """One installed model: where it is, what kind, which language pairs it translates."""

    name: str
    path: Path  # the .argosmodel file or the model folder
    kind: str  # argos / opus-mt / nllb / m2m100
    pairs: frozenset[tuple[str, str]]
    version: str = ""
    problem: str = ""  # why it cannot be used (unsupported tokenizer, broken file...)
    options: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def usable(self) -> bool:
        """Whether the engine can load it."""
        return not self.problem

    @property
    def multilingual(self) -> bool:
        """NLLB-200 and M2M-100 translate between any two of their languages."""
        return self.kind in ("nllb", "m2m100")

    def languages(self) -> list[str]:
        """Every language it reads or writes."""
        return sorted({lang for pair in self.pairs for lang in pair})

    def as_json(self) -> dict[str, Any]:
        pairs = sorted(self.pairs)
        return {
            "name": self.name,
            "path": str(self.path),
            "kind": self.kind,
            "version": self.version,
            "languages": self.languages(),
            "pairs": [f"{s}-{t}" for s, t in pairs] if not self.multilingual else [],
            "multilingual": self.multilingual,
            "usable": self.usable,
            "problem": self.problem,
        }


def list_models(models_dir: Path | str) -> list[LocalModel]:
    """Every model found in `models_dir` (and one level of subfolders), usable or not, sorted:
    bilingual models first, then by name. A missing folder has no models."""
    root = Path(models_dir)
    if not root.is_dir():
        return []
    found: list[LocalModel] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or entry.name == CACHE_DIR:
            continue
        model = _inspect(entry)
        if model is None and entry.is_dir():
            for sub in sorted(entry.iterdir()):
                if not sub.name.startswith("."):
                    inner = _inspect(sub)
                    if inner is not None:
                        found.append(inner)
        elif model is not None:
            found.append(model)
    return sorted(found, key=lambda m: (m.multilingual, -int(m.options.get("priority", 0)), m.name))


def _inspect(path: Path) -> LocalModel | None:
    """The model at `path`, or None when it is not a model at all."""
    try:
        if path.is_file() and path.suffix == ".argosmodel":
            return _argos_zip(path)
        if not path.is_dir():
            return None
        if (path / "metadata.json").is_file():
            return _argos_folder(path)
        if (path / MANIFEST).is_file():
            return _from_manifest(path)
        if (path / "model.bin").is_file():
            return _detect_ct2(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, tomllib.TOMLDecodeError) as exc:
        return LocalModel(path.name, path, "unknown", frozenset(), problem=f"unreadable: {exc}")
    return None


# ------------------------------------------------------------------------------------ argos


def _argos_model(path: Path, meta: dict[str, Any], names: set[str], prefix: str) -> LocalModel:
    """An Argos package from its metadata and the names of its files (relative to the package)."""
    source = base_lang(str(meta.get("from_code", "")))
    target = base_lang(str(meta.get("to_code", "")))
    if not source or not target:
        raise ValueError("metadata.json has no from_code/to_code")
    problem = ""
    if "model/model.bin" not in names:
        problem = "no model/model.bin (not a CTranslate2 package)"
    elif "sentencepiece.model" not in names:
        if "bpe.model" in names or any(n.startswith("bpe") for n in names):
            problem = "BPE tokenizer (bpe.model) not supported: use a sentencepiece package"
        else:
            problem = "no sentencepiece.model"
    options = {"prefix": prefix, "target_prefix": str(meta.get("target_prefix") or "")}
    return LocalModel(
        name=path.name,
        path=path,
        kind="argos",
        pairs=frozenset({(source, target)}),
        version=str(meta.get("package_version", "")),
        problem=problem,
        options=options,
    )


def _argos_zip(path: Path) -> LocalModel:
    with zipfile.ZipFile(path) as z:
        metas = [n for n in z.namelist() if PurePosixPath(n).name == "metadata.json"]
        if not metas:
            raise ValueError("no metadata.json in the package")
        meta_name = min(metas, key=len)
        prefix = meta_name[: -len("metadata.json")]
        meta = json.loads(z.read(meta_name).decode("utf-8"))
        names = {n[len(prefix) :].rstrip("/") for n in z.namelist() if n.startswith(prefix)}
    return _argos_model(path, meta, names, prefix)


def _argos_folder(path: Path) -> LocalModel:
    meta = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
    names = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
    return _argos_model(path, meta, names, "")


def unpack_argos(model: LocalModel, models_dir: Path) -> Path:
    """The folder of an Argos package: itself when unpacked, else a copy unpacked once into
    `models_dir/.cache/` (keyed by size and time, so a replaced file is unpacked again)."""
    if model.path.is_dir():
        return model.path
    stat = model.path.stat()
    target = models_dir / CACHE_DIR / f"{model.path.stem}-{stat.st_size}-{stat.st_mtime_ns}"
    if (target / "model" / "model.bin").is_file():
        return target
    prefix = str(model.options.get("prefix", ""))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
        try:
            with zipfile.ZipFile(model.path) as z:
                for info in z.infolist():
                    if info.is_dir() or not info.filename.startswith(prefix):
                        continue
                    rel = PurePosixPath(info.filename[len(prefix) :])
                    if rel.is_absolute() or ".." in rel.parts or rel.parts[:1] == ("stanza",):
                        continue  # never write outside the folder; stanza is not used
                    dest = work.joinpath(*rel.parts)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(info) as src, dest.open("wb") as out:
                        shutil.copyfileobj(src, out, 1 << 20)
            try:
                os.replace(work, target)
            except OSError:
                if not (target / "model" / "model.bin").is_file():
                    raise
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    except (OSError, zipfile.BadZipFile) as exc:
        raise EngineError(
            f"cannot unpack {model.path} into {target.parent}: {exc}; unpack it there yourself "
            "or make models_dir writable",
            kind="config",
            engine="local",
        ) from exc
    return target


# ------------------------------------------------------------------------ ctranslate2 folders


def _vocabulary(path: Path) -> list[str]:
    """The target (or shared) vocabulary of a CTranslate2 model folder."""
    for name in ("shared_vocabulary", "target_vocabulary"):
        js, txt = path / f"{name}.json", path / f"{name}.txt"
        if js.is_file():
            return [str(t) for t in json.loads(js.read_text(encoding="utf-8"))]
        if txt.is_file():
            return txt.read_text(encoding="utf-8").splitlines()
    return []


def _languages_from_vocab(kind: str, vocab: list[str]) -> list[str]:
    tokens = set(vocab)
    if kind == "nllb":
        return sorted(
            code for code, token in NLLB_CODES.items() if token in tokens and "-" not in code
        )
    return sorted(m.group(1) for t in vocab if (m := _M2M_TOKEN.match(t)))


def _all_pairs(languages: list[str]) -> frozenset[tuple[str, str]]:
    return frozenset((s, t) for s in languages for t in languages if s != t)


def _opus_pair(path: Path, manifest: dict[str, Any]) -> tuple[str, str] | None:
    if manifest.get("source") and manifest.get("target"):
        return base_lang(str(manifest["source"])), base_lang(str(manifest["target"]))
    config = path / "tokenizer_config.json"
    if config.is_file():
        data = json.loads(config.read_text(encoding="utf-8"))
        if data.get("source_lang") and data.get("target_lang"):
            return base_lang(str(data["source_lang"])), base_lang(str(data["target_lang"]))
    m = _OPUS_NAME.search(path.name) or _ARGOS_NAME.search(path.name)
    if m:
        return m.group(1).lower(), m.group(2).lower()
    return None


def _detect_kind(path: Path, vocab: list[str]) -> str:
    tokens = set(vocab)
    if "zho_Hans" in tokens or "eng_Latn" in tokens:
        return "nllb"
    if "__en__" in tokens or "__zh__" in tokens:
        return "m2m100"
    if (path / "source.spm").is_file():
        return "opus-mt"
    return "unknown"


def _from_manifest(path: Path) -> LocalModel:
    manifest = tomllib.loads((path / MANIFEST).read_text(encoding="utf-8"))
    vocab = _vocabulary(path)
    kind = str(manifest.get("kind") or _detect_kind(path, vocab)).lower().replace("_", "-")
    kind = {"m2m-100": "m2m100", "m2m": "m2m100", "nllb-200": "nllb", "marian": "opus-mt"}.get(
        kind, kind
    )
    return _ct2_model(path, kind, vocab, manifest)


def _detect_ct2(path: Path) -> LocalModel:
    vocab = _vocabulary(path)
    return _ct2_model(path, _detect_kind(path, vocab), vocab, {})


def _ct2_model(path: Path, kind: str, vocab: list[str], manifest: dict[str, Any]) -> LocalModel:
    options: dict[str, Any] = {
        "priority": int(manifest.get("priority", 0)),
        "target_tokens": dict(manifest.get("target_tokens", {})),
    }
    name = str(manifest.get("name") or path.name)
    version = str(manifest.get("version", ""))
    problem = ""
    pairs: frozenset[tuple[str, str]] = frozenset()
    if kind == "opus-mt":
        options["source_spm"] = str(manifest.get("source_spm", "source.spm"))
        options["target_spm"] = str(manifest.get("target_spm", "target.spm"))
        pair = _opus_pair(path, manifest)
        targets = [base_lang(t) for t in options["target_tokens"]]
        if pair is not None:
            pairs = frozenset({pair} | {(pair[0], t) for t in targets})
        else:
            problem = f"language pair unknown: write source and target in {MANIFEST}"
        for spm in (options["source_spm"], options["target_spm"]):
            if not (path / spm).is_file():
                problem = problem or f"no {spm}"
    elif kind in ("nllb", "m2m100"):
        options["spm"] = str(manifest.get("spm", "sentencepiece.bpe.model"))
        languages = [base_lang(x) for x in manifest.get("languages", [])]
        known = _languages_from_vocab(kind, vocab)
        languages = [x for x in languages if x in known] if languages else known
        pairs = _all_pairs(languages)
        if not (path / options["spm"]).is_file():
            problem = f"no {options['spm']}"
        elif not languages:
            problem = "no language tokens found in the vocabulary"
    else:
        problem = (
            f"unknown model kind {kind!r}: add a {MANIFEST} with kind = opus-mt, nllb or m2m100"
        )
    if not (path / "model.bin").is_file():
        problem = problem or "no model.bin (convert it with ct2-transformers-converter)"
    return LocalModel(name, path, kind, pairs, version, problem, options)
