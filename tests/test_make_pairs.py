"""Training pairs: units, held-out documents, splits, spin plans, and a tiny end-to-end run."""

from __future__ import annotations

from collections import Counter

import pytest

from restore.text import tokenize
from training.make_pairs import (
    BENCHMARK_SOURCES,
    PROFILE_MIX,
    TRAINING_PROFILES,
    MakePairsArgs,
    doc_id,
    is_benchmark_doc,
    make_pairs,
    parse_profile_mix,
    plan,
    read_documents,
    sentence_spans,
    split_of,
    stable_hash,
    units,
)

PARAGRAPH = (
    "The minister said the talks were productive. “We are close,” she told reporters in Geneva! "
    "Officials from two countries met again on Tuesday (after a pause). Is this the end? "
    "U.S. officials declined to comment. The figures, released on 3 May, show growth of 2.5 percent."
)


def test_sentence_spans_are_exact_slices():
    spans = sentence_spans(PARAGRAPH)
    sentences = [PARAGRAPH[s:e] for s, e in spans]
    assert sentences[0] == "The minister said the talks were productive."
    assert sentences[1] == "“We are close,” she told reporters in Geneva!"
    assert sentences[3] == "Is this the end?"
    assert all(s == s.strip() for s in sentences) and len(sentences) == 6


def test_units_respect_limits_and_sentence_boundaries():
    out = units(PARAGRAPH, max_words=20, max_tokens=40)
    assert len(out) > 1
    for u in out:
        assert u in PARAGRAPH
        assert sum(t.is_word for t in tokenize(u)) <= 20 and len(tokenize(u)) <= 40
        assert u[-1] in ".!?)"  # whole sentences: this paragraph never needs a cut inside one
    assert " ".join(out) == " ".join(PARAGRAPH.split())


def test_overlong_sentence_is_cut_at_clauses_then_words():
    sentence = ", ".join(f"clause number {i} goes on for a while" for i in range(20)) + "."
    out = units(sentence, max_words=30, max_tokens=50)
    assert len(out) > 1 and all(u in sentence for u in out)
    assert all(sum(t.is_word for t in tokenize(u)) <= 30 and len(tokenize(u)) <= 50 for u in out)
    words = " ".join(out).replace(",", "").split()
    assert words == sentence.replace(",", "").split()
    long_word_run = " ".join(["word"] * 150)
    assert all(len(u.split()) <= 60 for u in units(long_word_run))


def test_benchmark_documents_and_splits_are_stable():
    assert "ntrex" in BENCHMARK_SOURCES and is_benchmark_doc("ntrex", doc_id("ntrex", 5))
    held = [is_benchmark_doc("wikinews", doc_id("wikinews", i)) for i in range(1000)]
    assert 0.15 < sum(held) / len(held) < 0.25
    assert not any(is_benchmark_doc("ungdc-1", doc_id("ungdc-1", i)) for i in range(100))
    assert stable_hash("abc") == 6455300059550759896  # pinned: the held-out set must never move
    splits = Counter(split_of(doc_id("x", i), 1.0, 1.0) for i in range(20_000))
    assert 100 < splits["test"] < 300 and 100 < splits["validation"] < 300


def test_plans_mix_profiles_rates_and_clean_units():
    assert "moby" not in TRAINING_PROFILES and {"news", "wordnet", "tortured"} <= set(TRAINING_PROFILES)
    plans = [plan(doc_id("d", i), 0, 0.07) for i in range(4000)]
    profiles = Counter(p.profile for p in plans)
    assert 0.04 < profiles["none"] / len(plans) < 0.10
    assert set(profiles) == {"none", *PROFILE_MIX} and set(PROFILE_MIX) <= set(TRAINING_PROFILES)
    assert len({p.rate for p in plans}) > 3 and all(0 <= p.rate <= 1 for p in plans)
    same_doc = {(plan("d/1", k, 0.0).profile, plan("d/1", k, 0.0).seed) for k in range(20)}
    assert len(same_doc) == 1  # one profile and seed per document


def test_args_validate():
    with pytest.raises(ValueError, match="unknown source"):
        MakePairsArgs(sources=["no-such-corpus"])
    with pytest.raises(ValueError, match="num_proc"):
        MakePairsArgs(num_proc=0)
    assert MakePairsArgs(group_shares="a=1,b=3").shares == {"a": 0.25, "b": 0.75}


def test_profile_mix_draws_the_named_profiles_and_refuses_held_out_ones():
    mix = parse_profile_mix("news=2,broad=2")
    assert mix == {"news": 0.5, "broad": 0.5}
    drawn = Counter(plan(doc_id("d", i), 0, 0.0, mix).profile for i in range(2000))
    assert set(drawn) == {"news", "broad"} and 0.4 < drawn["broad"] / 2000 < 0.6
    # the default mixture draws exactly as before the option existed
    assert [plan(doc_id("d", i), 0, 0.07) for i in range(50)] == [
        plan(doc_id("d", i), 0, 0.07, parse_profile_mix(MakePairsArgs.profile_mix)) for i in range(50)]
    for bad, message in (("heldout=1", "not a training profile"), ("moby=1,news=1", "not a training profile"),
                         ("news", "NAME=SHARE"), ("news=x", "not a number"), ("news=0", "positive share"),
                         ("news=-1,broad=2", "negative")):
        with pytest.raises(ValueError, match=message):
            parse_profile_mix(bad)


def test_end_to_end_tiny_corpus(tmp_path):
    docs = [
        f"Title number {d}\n" + "\n".join(PARAGRAPH for _ in range(3)) for d in range(6)
    ]
    corpus = tmp_path / "tiny.txt"
    corpus.write_text("\n\n".join(docs) + "\n", encoding="utf-8")
    assert [d.rstrip("\n") for d in read_documents(corpus)] == docs
    args = MakePairsArgs(
        output=str(tmp_path / "pairs"), sources=[str(corpus)], max_words=0, num_proc=1,
        validation_percent=20, test_percent=20,
    )
    splits, stats = make_pairs(args)
    assert set(splits) == {"train", "validation", "test"}
    rows = [r for split in splits.values() for r in split]
    assert {"spun", "clean", "profile", "rate", "source", "doc_id"} <= set(splits["train"].column_names)
    assert len(rows) == sum(stats["units"].values()) > 6
    assert all(r["clean"] in PARAGRAPH or r["clean"].startswith("Title") for r in rows)
    assert any(r["spun"] != r["clean"] for r in rows)
    assert all(r["spun"] == r["clean"] for r in rows if r["profile"] == "none")
    for split in splits.values():  # no document in two splits
        assert not set(split["doc_id"]) & (set().union(*(set(s["doc_id"]) for s in splits.values() if s is not split)))
    assert (tmp_path / "pairs" / "make_pairs.json").exists()


def test_allocate_gives_what_small_groups_cannot_use_to_the_others():
    from training.make_pairs import allocate

    assert allocate({"news": 100, "un": 10_000, "books": 10_000}, {"news": 0.2, "un": 0.5, "books": 0.3}, 1000) == {
        "news": 100, "un": 562, "books": 337,
    }
    assert allocate({"a": 50, "b": 50}, {}, 1000) == {"a": 50, "b": 50}
    assert allocate({"a": 500, "other": 500}, {"a": 1.0}, 100) == {"a": 100, "other": 0}
