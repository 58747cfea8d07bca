"""Public data types of the message classifier."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol, runtime_checkable

REJECT_LABELS = ("out_of_scope", "oos")
LABEL_FIELDS = ("intent", "complaint_type", "emotion", "threat")


@dataclass(frozen=True)
class Prediction:
    lang: str  # "ru" | "en" | "pl" | "other"
    intent: str | None  # a label of the model's label set; the reject label when nothing fits
    intent_confidence: float  # calibrated probability
    complaint_type: str | None  # only when intent == "complaint", else None
    emotion: str | None  # calm | upset | angry (None if the model wasn't trained for it)
    threat: str | None  # none | churn | public | legal
    order_ref: str | None  # "123456", "A-7781", "45-112" (without "№"/"#")
    amount: float | None  # money amount as a number
    currency: str | None  # "RUB" | "USD" | "EUR" | "GBP" | "PLN" | None

    def to_dict(self) -> dict:
        return asdict(self)


@runtime_checkable
class Classifier(Protocol):
    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...

    def predict_one(self, text: str) -> Prediction: ...
