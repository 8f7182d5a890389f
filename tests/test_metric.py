"""The restoration metric on small hand-computed cases (tokens: words and punctuation marks)."""

from __future__ import annotations

from pathlib import Path

import evaluate
import pytest

METRIC_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "metrics" / "restoration"


@pytest.fixture(scope="module")
def metric():
    return evaluate.load(str(METRIC_DIR))


def score(metric, sources, predictions, references):
    return metric.compute(sources=sources, predictions=predictions, references=references)


def test_one_word_replacement_fully_restored(metric):
    r = score(metric, ["he mentioned it ."], ["he said it ."], ["he said it ."])
    assert r["spin_removed"] == 1.0
    assert (r["precision"], r["recall"], r["f0.5"]) == (1.0, 1.0, 1.0)
    assert r["damage"] == 0.0 and r["wer"] == 0.0
    assert r["source_wer"] == pytest.approx(1 / 4)
    assert (r["gold_blocks"], r["system_blocks"], r["correct_blocks"]) == (1, 1, 1)
    assert r["changed"] == 1 and r["chrf"] == pytest.approx(100.0)


def test_identity_scores_zero_spin_removed_and_no_damage(metric):
    r = score(metric, ["he mentioned it"], ["he mentioned it"], ["he said it"])
    assert r["spin_removed"] == 0.0
    assert r["precision"] == 1.0 and r["recall"] == 0.0 and r["f0.5"] == 0.0  # ERRANT's convention
    assert r["damage"] == 0.0 and r["changed"] == 0


def test_multi_word_replacement_half_restored_earns_no_block(metric):
    # gold: "information convention" -> "news conference", one block of two tokens
    src, ref = "the information convention began", "the news conference began"
    r = score(metric, [src], ["the news convention began"], [ref])
    assert r["source_errors"] == 2 and r["errors"] == 1
    assert r["spin_removed"] == pytest.approx(0.5)
    assert (r["gold_blocks"], r["system_blocks"], r["correct_blocks"]) == (1, 1, 0)
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["f0.5"] == 0.0
    assert r["damage"] == 0.0 and r["keep_tokens"] == 2
    full = score(metric, [src], [ref], [ref])
    assert full["spin_removed"] == 1.0 and full["correct_blocks"] == 1


def test_deletion_of_an_inserted_word(metric):
    # the spinner wrote "brand new" for "new": the gold edit deletes "brand"
    src, ref = "a brand new plan", "a new plan"
    good = score(metric, [src], [ref], [ref])
    assert good["gold_blocks"] == 1 and good["precision"] == 1.0 and good["recall"] == 1.0
    assert good["spin_removed"] == 1.0
    # deleting "new" too: one wrong block over two tokens, and "new" (needed no change) is damaged
    bad = score(metric, [src], ["a plan"], [ref])
    assert bad["errors"] == 1 and bad["source_errors"] == 1 and bad["spin_removed"] == 0.0
    assert bad["correct_blocks"] == 0 and bad["system_blocks"] == 1
    assert bad["keep_tokens"] == 3 and bad["damaged_tokens"] == 1
    assert bad["damage"] == pytest.approx(1 / 3)


def test_insertion(metric):
    src, ref = "officers made effort .", "officers made an effort ."
    good = score(metric, [src], [ref], [ref])
    assert good["source_errors"] == 1 and good["spin_removed"] == 1.0
    assert (good["gold_blocks"], good["correct_blocks"]) == (1, 1)
    wrong = score(metric, [src], ["officers made the effort ."], [ref])
    assert wrong["spin_removed"] == 0.0 and wrong["precision"] == 0.0 and wrong["recall"] == 0.0
    assert wrong["damage"] == 0.0  # an insertion changes no source token


def test_spin_removed_is_aggregated_over_the_corpus(metric):
    sources = ["he mentioned it", "the information convention had been held"]
    references = ["he said it", "the news conference was held"]
    predictions = ["he said it", "the information convention had been held"]
    r = score(metric, sources, predictions, references)
    # unit 1: 1 error -> 0; unit 2: 4 errors (2 subs + had been -> was: 1 sub + 1 del) stay
    assert (r["source_errors"], r["errors"]) == (5, 4)
    assert r["spin_removed"] == pytest.approx(1 - 4 / 5)  # not the mean of per-unit ratios (0.5)
    assert r["wer"] == pytest.approx(4 / 8)


def test_case_and_punctuation_count(metric):
    r = score(metric, ["he mentioned it."], ["He said it;"], ["he said it."])
    assert r["errors"] == 2 and r["source_errors"] == 1 and r["spin_removed"] == -1.0
    assert r["damaged_tokens"] == 2 and r["keep_tokens"] == 3


def test_merged_system_block_gets_no_credit(metric):
    # two gold blocks; the system also rewrote the word between them -> one wrong block
    src, ref = "they mentioned the supply yesterday", "they said the delivery yesterday"
    r = score(metric, [src], ["they said a delivery yesterday"], [ref])
    assert (r["gold_blocks"], r["system_blocks"], r["correct_blocks"]) == (2, 1, 0)
    assert r["damaged_tokens"] == 1 and r["errors"] == 1


def test_clean_text_has_no_spin_removed_but_reports_damage(metric):
    clean = ["The vote was held on Monday.", "It passed."]
    r = score(metric, clean, ["The vote was conducted on Monday.", "It passed."], clean)
    assert r["spin_removed"] is None and r["source_wer"] == 0.0
    assert r["gold_blocks"] == 0 and r["recall"] == 1.0 and r["precision"] == 0.0
    assert r["keep_tokens"] == 10 and r["damaged_tokens"] == 1 and r["changed"] == 1
    assert r["damage"] == pytest.approx(0.1) and r["changed_share"] == pytest.approx(0.1)


def test_mismatched_lengths_are_an_error(metric):
    with pytest.raises(ValueError):
        score(metric, ["a", "b"], ["a"], ["a", "b"])
