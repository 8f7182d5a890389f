"""Distributional neighbours (training.word_vectors): the filters, and a tiny end-to-end run."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

gensim = pytest.importorskip("gensim")

from restore.spin.tables import parse_table  # noqa: E402
from training.word_vectors import main, neighbour_table, sentences  # noqa: E402


def keyed(vectors: dict[str, list[float]]):
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vector_size=3)
    kv.add_vectors(list(vectors), np.array(list(vectors.values()), dtype=np.float32))
    return kv


def test_neighbours_drop_forms_of_the_word_quantities_numbers_and_far_words() -> None:
    kv = keyed({
        "regarding": [1.0, 0.0, 0.0],
        "about": [0.98, 0.1, 0.0],
        "concerning": [0.95, 0.2, 0.0],
        "regard": [0.99, 0.05, 0.0],       # the lemma of "regarding": never
        "million": [0.0, 1.0, 0.0],
        "billion": [0.0, 0.99, 0.1],        # another quantity: never
        "three": [0.0, 0.98, 0.2],          # number words: never
        "said": [0.0, 0.0, 1.0],
        "says": [0.0, 0.1, 0.99],           # a form of "say": never
        "stated": [0.1, 0.0, 0.97],
        "banana": [0.5, 0.5, 0.5],          # too far from everything at the default cosine
    })
    table = neighbour_table(kv, min_zipf=3.0, min_cosine=0.9, neighbours=5, progress=False)
    assert table["regarding"] == ["about", "concerning"]  # "regard" is a lemma of "regarding": dropped
    assert "billion" not in table.get("million", []) and "three" not in table.get("million", [])
    assert "says" not in table["said"] and table["said"] == ["stated"]
    assert "banana" not in table
    assert "million" not in table and "three" not in table  # quantities and number words are never heads either


def test_sentences_are_lower_cased_words_per_line() -> None:
    assert list(sentences(["The Minister’s talk ended.\nok", "A B C D"])) == [
        ["the", "minister's", "talk", "ended"], ["a", "b", "c", "d"]]


def test_a_tiny_run_writes_a_spinner_table_and_its_record(tmp_path: Path) -> None:
    corpus = tmp_path / "toy.txt"
    lines = []
    for k in range(400):
        verb = ("said", "stated", "announced", "reported")[k % 4]
        noun = ("minister", "official", "spokesman", "leader")[k // 4 % 4]
        lines.append(f"The {noun} {verb} that the talks would resume on the next day after the meeting.")
    corpus.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "vectors.tsv.gz"
    info = main(["--sources", str(corpus), "--words", "100000", "--min_count", "2", "--epochs", "2", "--dim", "16",
                 "--min_cosine", "0.0", "--workers", "1", "--output", str(out), "--no-progress"])
    assert info["words"] > 1000 and info["entries"] > 0
    with gzip.open(out, "rt", encoding="utf-8") as f:
        table = parse_table(f.readlines())
    assert len(table) == info["entries"]
    assert all(w not in choices for w, (_, choices) in table.items())
    assert json.loads((tmp_path / "vectors.json").read_text())["entries"] == info["entries"]


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["--neighbours", "0", "--output", str(tmp_path / "v.tsv.gz")])
