"""Message understanding: language, intent, complaint type, emotion, threat, order and money.

>>> clf = load_classifier()                       # the model shipped in bot/nlu/model/
>>> clf.predict_one("Где мой заказ №45-112?").intent
'order_status'
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable
from pathlib import Path

from .schema import Classifier, Prediction

__all__ = [
    "DEFAULT_MODEL_DIR",
    "Classifier",
    "Prediction",
    "evaluate",
    "load_classifier",
    "train",
]

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = PACKAGE_DIR / "model"
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"

_CACHE: dict[tuple[str, str | None], Classifier] = {}
_LOCK = threading.Lock()


def load_classifier(
    model_dir: str | Path | None = None, *, embedding_model: str | None = None
) -> Classifier:
    """Load a trained model (cached per process).

    ``model_dir=None`` is the default model shipped in the package. ``embedding_model``
    (the ``EMBEDDING_MODEL`` setting: ``use``, ``minilm``, ``e5``, ``use+minilm`` or any
    sentence-transformers name/local path) must match the encoder a given ``model_dir`` was
    trained with; for the default model a different encoder triggers a one-time rebuild from
    the packaged training data, cached under ``$SUPPORTBOT_CACHE_DIR`` (default
    ``~/.cache/supportbot``).
    """
    from .model import NluModel

    embedding_model = embedding_model or None
    key = (str(Path(model_dir).resolve()) if model_dir else "<default>", embedding_model)
    with _LOCK:
        cached = _CACHE.get(key)
        if cached is not None:
            return cached
        if model_dir is None:
            model = _default_model(embedding_model)
        else:
            model = NluModel.load(Path(model_dir), embedding_model=embedding_model)
        _CACHE[key] = model
        return model


def _default_model(embedding_model: str | None) -> Classifier:
    from .model import NluModel

    shipped = NluModel.load(DEFAULT_MODEL_DIR)
    if embedding_model is None or embedding_model == shipped.features.encoder_spec:
        return shipped
    from .build_default import build_default, training_files
    from .encoders import cache_root

    digest = hashlib.sha256(embedding_model.encode()).hexdigest()[:12]
    for path in training_files(DEFAULT_DATA_DIR):
        digest += hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    digest = hashlib.sha256(digest.encode()).hexdigest()[:16]
    target = cache_root() / "nlu" / digest
    if not (target / "config.json").is_file():
        logger.warning(
            "building the default classifier for encoder %s in %s (one-time)",
            embedding_model,
            target,
        )
        build_default(target, encoder=embedding_model)
    return NluModel.load(target, embedding_model=embedding_model)


def train(
    rows: Iterable[dict],
    model_dir: Path,
    *,
    encoder: str | None = None,
    progress=None,
    **kwargs,
) -> dict:
    """Train on rows ``{"text", "intent", ["complaint_type", "emotion", "threat"]}``."""
    from .training import train as _train

    return _train(rows, Path(model_dir), encoder=encoder, progress=progress, **kwargs)


def evaluate(classifier: Classifier, rows: Iterable[dict]) -> dict:
    """The metrics JSON of ``nlu eval``."""
    from .evaluation import evaluate as _evaluate

    return _evaluate(classifier, rows)
