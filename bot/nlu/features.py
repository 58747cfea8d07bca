"""Lexical features: character and word n-gram TF-IDF over a normalised text view.

The text is lower-cased, ``ё``->``е``, digit runs collapsed to ``0`` and Polish diacritics
folded (``zamówienie`` == ``zamowienie``). With ``translit=True`` Cyrillic is also written
in Latin letters, so "privet, gde moi zakaz" shares n-grams with "привет, где мой заказ".

Vocabulary and idf are learnt with scikit-learn and stored as plain JSON/NumPy, and the
transform is re-implemented here (no pickles in the shipped model).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

_FOLD = str.maketrans(
    {
        "ą": "a", "ć": "c", "ę": "e", "ł": "l", "ń": "n", "ó": "o", "ś": "s", "ź": "z", "ż": "z",
        "ё": "е",
    }
)  # fmt: skip
_TRANSLIT = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    }
)  # fmt: skip
# letters that look the same in both alphabets: "зaказ" typed with a Latin "a", "lаwyer" with
# a Cyrillic "а"
_TO_LATIN = str.maketrans("аеорсухкАВЕКМНОРСТХУіјѕ", "aeopcyxkABEKMHOPCTXYijs")
_TO_CYRILLIC = str.maketrans("aeopcyxkABEKMHOPCTXY", "аеорсухкАВЕКМНОРСТХУ")
_LETTERS = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(r"[^\W_]+|[!?]", re.UNICODE)


def fold(text: str) -> str:
    """Lower case, "ё" as "е", Polish letters without diacritics ("Złotówek" -> "zlotowek")."""
    return text.lower().translate(_FOLD)


def translit(text: str) -> str:
    """Cyrillic letters to the Latin ones customers type them with ("двести" -> "dvesti")."""
    return text.translate(_TRANSLIT)


def _one_script_word(match: re.Match[str]) -> str:
    word = match.group()
    cyrillic = sum("\u0400" <= ch <= "\u04ff" for ch in word)
    latin = sum(ch.isascii() or "\u00c0" <= ch <= "\u024f" for ch in word)
    if not cyrillic or not latin or cyrillic == latin:
        return word
    return word.translate(_TO_CYRILLIC if cyrillic > latin else _TO_LATIN)


def one_script(text: str) -> str:
    """Words mixing the two alphabets written in the one most of their letters are in, where
    the other's letters look the same ("пoдам в cуд" -> "подам в суд", "lаwyer" -> "lawyer")."""
    return _LETTERS.sub(_one_script_word, text)


def normalize(text: str, *, translit: bool = False) -> str:
    """The view the lexical features are computed on."""
    s = fold(unicodedata.normalize("NFC", text))
    if translit:
        s = s.translate(_TRANSLIT)
    s = _DIGITS.sub("0", s)
    return _SPACES.sub(" ", s).strip()


def char_ngrams(text: str, lo: int, hi: int) -> list[str]:
    """Character n-grams inside word boundaries (like scikit-learn's ``char_wb``)."""
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(lo, hi + 1):
            if n > size:
                break
            grams.extend(padded[i : i + n] for i in range(size - n + 1))
    return grams


def word_ngrams(text: str, lo: int, hi: int) -> list[str]:
    tokens = _TOKEN.findall(text)
    grams: list[str] = []
    for n in range(lo, hi + 1):
        grams.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return grams


@dataclass
class TfidfBlock:
    """One TF-IDF feature block (``kind`` = ``char`` or ``word``) with a fixed vocabulary."""

    kind: str
    lo: int
    hi: int
    translit: bool = False
    vocabulary: dict[str, int] = field(default_factory=dict)
    idf: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))

    @property
    def size(self) -> int:
        return len(self.vocabulary)

    def analyze(self, text: str) -> list[str]:
        view = normalize(text, translit=self.translit)
        if self.kind == "char":
            return char_ngrams(view, self.lo, self.hi)
        return word_ngrams(view, self.lo, self.hi)

    def fit(self, texts: Sequence[str], *, min_df: int = 2, max_features: int | None = None):
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            analyzer=self.analyze,
            min_df=min_df if len(texts) >= 50 else 1,
            max_features=max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        vectorizer.fit(texts)
        self.vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        self.idf = vectorizer.idf_.astype(np.float32)
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Sublinear-tf x idf, L2-normalised rows (same as the fitted TfidfVectorizer)."""
        indptr, indices, data = [0], [], []
        for text in texts:
            counts = Counter(
                j for j in (self.vocabulary.get(g) for g in self.analyze(text)) if j is not None
            )
            cols = sorted(counts)
            vals = [(1.0 + math.log(counts[c])) * float(self.idf[c]) for c in cols]
            norm = math.sqrt(sum(v * v for v in vals)) or 1.0
            indices.extend(cols)
            data.extend(v / norm for v in vals)
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.asarray(data, np.float32), np.asarray(indices, np.int32), np.asarray(indptr)),
            shape=(len(texts), self.size),
        )

    def to_json(self) -> dict:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "kind": self.kind,
            "lo": self.lo,
            "hi": self.hi,
            "translit": self.translit,
            "terms": terms,
        }

    @classmethod
    def from_json(cls, obj: dict, idf: np.ndarray) -> TfidfBlock:
        vocabulary = {term: i for i, term in enumerate(obj["terms"])}
        return cls(obj["kind"], obj["lo"], obj["hi"], obj["translit"], vocabulary, idf)


def stack(blocks: Iterable[sp.spmatrix | np.ndarray]) -> sp.csr_matrix:
    """Horizontally stack dense and sparse feature blocks into one CSR matrix."""
    mats = [b if sp.issparse(b) else sp.csr_matrix(b) for b in blocks]
    return sp.hstack(mats, format="csr", dtype=np.float32)
