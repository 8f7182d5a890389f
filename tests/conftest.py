"""Shared fixtures: a tiny restorer model trained for a few seconds with the real pipeline."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

# A toy spinner table: enough signal for a tiny model to learn something in seconds.
TOY_TABLE = {
    "said": "mentioned",
    "news conference": "information convention",
    "eastern": "japanese",
    "in the": "within the",
    "including": "together with",
    "were": "had been",
    "before": "earlier than",
    "countries": "international locations",
}
TOY_SENTENCES = [
    "The minister said the talks were over before noon.",
    "Officials said the news conference in the capital was cancelled.",
    "Fighting in eastern Ukraine continued, including in the north.",
    "The two countries said they were ready.",
    "Leaders met in the city before the vote, including the mayor.",
]


def toy_pairs(n: int, seed: int = 0) -> list[dict]:
    """(spun, clean) rows in the columns of training.make_pairs."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        clean = rng.choice(TOY_SENTENCES)
        spun = clean
        for word, garbled in TOY_TABLE.items():
            if rng.random() < 0.8:
                spun = spun.replace(f" {word} ", f" {garbled} ")
        rows.append({"spun": spun, "clean": clean, "profile": "toy", "rate": 0.8, "source": "toy", "doc_id": f"toy-{i}"})
    return rows


@pytest.fixture(scope="session")
def toy_pairs_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pairs DatasetDict on disk (train/validation/test), as training.make_pairs writes it."""
    from datasets import Dataset, DatasetDict

    rows = toy_pairs(240)
    data = Dataset.from_list(rows)
    path = tmp_path_factory.mktemp("pairs") / "pairs"
    DatasetDict(
        train=data.select(range(200)), validation=data.select(range(200, 220)), test=data.select(range(220, 240))
    ).save_to_disk(str(path))
    return path


@pytest.fixture(scope="session")
def tiny_run(toy_pairs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder of ``training.train --preset tiny`` on the toy pairs."""
    from training import train, train_tokenizer

    root = tmp_path_factory.mktemp("tiny")
    tokenizer_dir = root / "tokenizer"
    train_tokenizer.main(["--pairs", str(toy_pairs_dir), "--output", str(tokenizer_dir), "--vocab_size", "400"])
    run_dir = root / "run"
    train.main([
        "--preset", "tiny", "--output_dir", str(run_dir), "--pairs", str(toy_pairs_dir),
        "--tokenizer", str(tokenizer_dir), "--max_steps", "60", "--learning_rate", "1e-2",
        "--d_model", "64", "--ffn_dim", "128", "--eval_steps", "30", "--save_steps", "30",
        "--disable_tqdm", "true",
    ])
    return run_dir


@pytest.fixture(scope="session")
def tiny_model_dir(tiny_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny run exported like the shipped model (fp16 safetensors, card, tokenizer), without
    the int8 ONNX encoder: the network's own encoder, the reference path (see test_onnx_encoder)."""
    from training.export import export

    return export(tiny_run, tmp_path_factory.mktemp("export") / "model", encoder=False)
