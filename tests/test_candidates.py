"""The candidate tables (inverted spinner tables with counts) and the editor's use of them."""

from __future__ import annotations

import gzip
import json
import math
import shutil
from pathlib import Path

import pytest

from restore.edits import apply_edits
from restore.candidates.features import CANDIDATE_FEATURES
from restore.model.editor import CANDIDATES_FILE, Seq2SeqEditor
from restore.model.scorer import CONSTANT_STD, CandidateScorer
from restore.candidates.channel import Channel, changes_quantity, neighbours
from restore.text import protected_mask, tokenize
from tests.conftest import TOY_TABLE, toy_pairs

TOY_TABLES = [({clean: (1.0, (garbled,)) for clean, garbled in TOY_TABLE.items()}, 0.8)]


@pytest.fixture(scope="module")
def toy_channel() -> Channel:
    return Channel(TOY_TABLES)


def test_spans_join_words_across_one_plain_space_only(toy_channel: Channel) -> None:
    text = "They mentioned an information convention, not an information\nconvention."
    tokens = tokenize(text)
    free = [t.is_word for t in tokens]
    found = {(text[tokens[a].start : tokens[z - 1].end], tuple(c.source for c in cands))
             for a, z, cands in toy_channel.spans(text, tokens, free)}
    assert ("mentioned", ("said",)) in found
    assert ("information convention", ("news conference",)) in found
    assert not any("\n" in spun for spun, _ in found)  # the second one is split by a newline


def test_spans_skip_words_that_may_not_change(toy_channel: Channel) -> None:
    text = "They mentioned it."
    tokens = tokenize(text)
    assert toy_channel.spans(text, tokens, [False] * len(tokens)) == []


def test_save_and_load_round_trip(toy_channel: Channel, tmp_path: Path) -> None:
    seen = {("mentioned",): 10, ("had", "been"): 4}
    restored = {(("mentioned",), "said"): 9}
    channel = toy_channel.reweighted(seen, restored).with_counts({"said": 5, "the": 9}, {("they", "said"): 3})
    path = tmp_path / "c.tsv.gz"
    channel.save(path)
    again = Channel.load(path)
    assert again.candidates.keys() == channel.candidates.keys()
    assert [(c.source, round(c.logp, 3)) for c in again.candidates[("mentioned",)]] == [
        (c.source, round(c.logp, 3)) for c in channel.candidates[("mentioned",)]
    ]
    assert again.unchanged_logp.keys() == channel.unchanged_logp.keys() and again.seen == channel.seen == seen
    assert again.unigrams == channel.unigrams and again.bigrams == channel.bigrams


def test_candidates_never_change_a_quantity_or_expand_an_abbreviation(tmp_path: Path) -> None:
    assert changes_quantity(("billion",), ("million",)) and changes_quantity(("dozen",), ("twelve",))
    assert changes_quantity(("pct",), ("percent",)) and changes_quantity(("yr",), ("year",))
    assert not changes_quantity(("millions",), ("million",)) and not changes_quantity(("12", "months"), ("year",))
    assert not changes_quantity(("mentioned",), ("said",))
    table = {"million": (1.0, ("billion", "meg")), "percent": (1.0, ("pct",)), "said": (1.0, ("mentioned",))}
    channel = Channel([(table, 0.8)])
    assert set(channel.candidates) == {("mentioned",)}  # meg -> million would write a quantity in too
    path = tmp_path / "c.tsv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:  # tables written before the guard hold such rows
        f.write("# restore inverted spinner tables v1\nc\tbillion\tmillion\t-1.0\nc\tmentioned\tsaid\t-0.5\n")
    assert set(Channel.load(path).candidates) == {("mentioned",)}


def test_restricted_keeps_only_the_candidates_the_kept_sources_list(toy_channel: Channel) -> None:
    ours = Channel([({"said": (1.0, ("mentioned",))}, 0.8)])
    kept = toy_channel.restricted(ours)
    assert set(kept.candidates) == {("mentioned",)}
    assert kept.candidates[("mentioned",)] == toy_channel.candidates[("mentioned",)]  # probabilities as they were
    assert kept.keep_logp == toy_channel.keep_logp and len(toy_channel) > len(kept)


def test_an_editor_can_draw_on_fewer_sources_for_an_ablation(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    n = len(CANDIDATE_FEATURES)
    sure = CandidateScorer([0.0] * n, [1.0] * n, [[0.0] * n], [0.0], [0.0], 5.0)
    editor = _with_toy_candidates(model, sure)
    text = "Officials mentioned an information convention in the capital."
    editor.use_candidates(editor.candidates.restricted(Channel([({"said": (1.0, ("mentioned",))}, 0.8)])))
    assert {c.source for c in editor.propose_all([text])[0][1]} == {"said"}
    assert apply_edits(text, editor.propose([text], [protected_mask(text)])[0]) == (
        "Officials said an information convention in the capital.")


def test_the_broad_and_neighbour_sources_reach_what_the_narrow_tables_miss() -> None:
    narrow = Channel.from_profiles(["news", "tortured"])
    broad, near = Channel.from_profiles(["broad"]), Channel.from_profiles(["neighbours"])

    def sources(channel: Channel, spun: str) -> set[str]:
        return {c.source for c in channel.candidates.get(tuple(spun.split()), ())}

    assert "big" in sources(broad, "huge")  # a satellite adjective reaches its head (similar-to)
    assert "help" in sources(broad, "assist") and "concerning" in sources(near, "regarding")
    assert "concerning" not in sources(narrow, "regarding")
    assert not sources(broad, "billion") and not sources(near, "billion") and not sources(near, "pct")


def test_load_refuses_a_foreign_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv.gz"
    with gzip.open(path, "wt") as f:
        f.write("this is not a table\n")
    with pytest.raises(ValueError, match="not an inverted spinner table row"):
        Channel.load(path)


def test_counts_move_the_probabilities(toy_channel: Channel) -> None:
    often = toy_channel.reweighted({("mentioned",): 100}, {(("mentioned",), "said"): 95})
    rarely = toy_channel.reweighted({("mentioned",): 100}, {(("mentioned",), "said"): 5})
    assert often.candidates[("mentioned",)][0].logp > rarely.candidates[("mentioned",)][0].logp
    assert often.unchanged_logp[("mentioned",)] < rarely.unchanged_logp[("mentioned",)]
    assert math.exp(often.candidates[("mentioned",)][0].logp) == pytest.approx((95 + 2 * 0.8 / 1) / 102, rel=0.2)


def test_context_prefers_the_phrase_seen_between_those_neighbours(toy_channel: Channel) -> None:
    channel = Channel(TOY_TABLES).with_counts(
        {"officials": 4, "said": 10, "mentioned": 1, "the": 20, "<s>": 5}, {("officials", "said"): 4, ("said", "the"): 3}
    )
    tokens = tokenize("Officials mentioned the plan.")
    before, after = neighbours(tokens, 1, 2)
    assert (before, after) == ("officials", "the")
    assert channel.context_logp(("said",), before, after) > channel.context_logp(("mentioned",), before, after)
    assert neighbours(tokens, 0, 1)[0] == "<s>" and neighbours(tokens, 3, 4)[1] == "</s>"


def test_count_restorations_and_words_on_pairs(toy_channel: Channel) -> None:
    from training.candidates import count_restorations, count_words

    rows = toy_pairs(40, seed=3)
    seen, restored = count_restorations(toy_channel, [r["spun"] for r in rows], [r["clean"] for r in rows], progress=False)
    assert seen[("mentioned",)] > 0
    assert restored[("mentioned",), "said"] == seen[("mentioned",)]  # every "mentioned" in the toy pairs was "said"
    unigrams, bigrams = count_words([r["clean"] for r in rows], min_count=1, progress=False)
    assert unigrams["said"] > 0 and bigrams["minister", "said"] > 0
    assert bigrams["noon", "</s>"] > 0


def test_spin_in_context_is_counted_on_pairs_and_judges_the_neighbours(toy_channel: Channel, tmp_path: Path) -> None:
    from training.candidates import count_spin_in_context

    spun = ["Officials mentioned the plan.", "Officials mentioned the plan.", "She mentioned it twice.",
            "She mentioned it twice.", "She mentioned it twice."]
    clean = ["Officials said the plan.", "Officials said the plan.", "She mentioned it twice.",
             "She mentioned it twice.", "She said it twice."]
    for num_proc in (1, 2):
        counts = count_spin_in_context(toy_channel, spun, clean, "news", min_count=2, num_proc=num_proc, progress=False)
        assert counts["news", ("mentioned",), "", ""] == (5, 3)
        assert counts["news", ("mentioned",), "officials", "the"] == (2, 2)
        assert counts["news", ("mentioned",), "she", ""] == (3, 1)
    assert ("news", ("mentioned",), "officials", "") in counts and not {k for k in counts if k[2] == "nobody"}
    rare = count_spin_in_context(toy_channel, spun[:1], clean[:1], "news", min_count=2, progress=False)
    assert list(rare) == [("news", ("mentioned",), "", "")]  # contexts seen once dropped, the phrase kept

    assert toy_channel.context_spin("news", ("mentioned",), "officials", "the") == (0.0, 0.0, 0.0, 0.0)  # no counts
    channel = Channel(TOY_TABLES).with_spin_counts(counts)
    left, right, both, seen = channel.context_spin("news", ("mentioned",), "officials", "the")
    she = channel.context_spin("news", ("mentioned",), "she", "it")
    assert both > 0 > she[2] and left > she[0] and seen == pytest.approx(math.log(3))
    unknown = channel.context_spin("news", ("mentioned",), "nobody", "else")  # falls back on the phrase's rate, 3/5
    assert unknown[2] == pytest.approx(math.log((3 + 1 * 0.6) / 6 / (1 - (3 + 1 * 0.6) / 6)), abs=1e-6)
    assert channel.context_spin("tortured", ("mentioned",), "officials", "the") == (0.0, 0.0, 0.0, 0.0)
    channel.save(tmp_path / "c.tsv.gz")
    assert Channel.load(tmp_path / "c.tsv.gz").spin_counts == channel.spin_counts


def test_candidates_command_writes_spin_counts_beside_the_model(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    from training.candidates import main

    pairs = tmp_path / "pairs"
    rows = [{**r, "profile": "news"} for r in toy_pairs(40, seed=4)]
    DatasetDict({"train": Dataset.from_list(rows)}).save_to_disk(str(pairs))
    model = tmp_path / "model"
    model.mkdir()
    common = [str(model), "--pairs", str(pairs), "--samples", "40", "--context_words", "0",
              "--profiles", "news", "--num_proc", "1", "--no-progress"]
    out = main([*common, "--spin_profiles", "news", "--spin_min_count", "1"])
    info = json.loads((model / "candidates.json").read_text())
    channel = Channel.load(out)
    assert info["spin_units"] == {"news": 40}
    assert info["spin_contexts"] == len(channel.spin_counts) > 0
    assert channel.spin_counts["news", ("mentioned",), "", ""][1] > 0  # the toy pairs spin "said" into "mentioned"
    with pytest.raises(SystemExit, match="no train units of profile 'tortured'"):
        main([*common, "--spin_profiles", "news", "tortured"])
    main(common)  # the default: no spin counts
    assert Channel.load(out).spin_counts == {} and json.loads((model / "candidates.json").read_text())["spin_units"] == {}


def test_training_text_keeps_only_train_documents(tmp_path: Path) -> None:
    from training.candidates import TEST_PERCENT, VALIDATION_PERCENT, training_text
    from training.make_pairs import doc_id, split_of

    corpus = tmp_path / "toy.txt"
    docs = [f"Document number {i} says something." for i in range(300)]
    corpus.write_text("\n\n".join(docs) + "\n")
    kept = training_text([str(corpus)], max_words=10**6)
    expected = [d for i, d in enumerate(docs) if split_of(doc_id("toy", i), VALIDATION_PERCENT, TEST_PERCENT) == "train"]
    assert [k.strip() for k in kept] == expected and len(expected) < len(docs)
    assert len(training_text([str(corpus)], max_words=20)) == 4  # stops once the word budget is spent


DECOYS = ({"told": (1.0, ("mentioned",)), "western": (1.0, ("japanese",))}, 0.8)


def _with_toy_candidates(model: Path, scorer: CandidateScorer | None, decoys: bool = False) -> Seq2SeqEditor:
    """Write candidate tables for the toy pairs into ``model`` and load an editor that uses
    them on every span; ``decoys`` adds wrong candidates next to the right ones."""
    rows = toy_pairs(60, seed=5)
    from training.candidates import count_restorations, count_words

    channel = Channel(TOY_TABLES + ([DECOYS] if decoys else []))
    channel = channel.reweighted(*count_restorations(channel, [r["spun"] for r in rows], [r["clean"] for r in rows], False))
    channel.with_counts(*count_words([r["clean"] for r in rows], min_count=1, progress=False))
    channel.save(model / CANDIDATES_FILE)
    return Seq2SeqEditor.from_pretrained(
        str(model), keep_threshold=0.0, min_confidence=0.0, candidate_keep_threshold=1.0, candidate_scorer=scorer
    )


def test_editor_proposes_candidates_from_the_model_folder(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    n = len(CANDIDATE_FEATURES)  # every candidate at confidence sigmoid(5):
    sure = CandidateScorer([0.0] * n, [1.0] * n, [[0.0] * n], [0.0], [0.0], 5.0)
    editor = _with_toy_candidates(model, sure)
    assert editor.candidates is not None
    text = "Officials mentioned an information convention in the capital."
    edits = editor.propose([text], [protected_mask(text)])[0]
    assert apply_edits(text, edits) == "Officials said a news conference in the capital."
    assert all(e.confidence == pytest.approx(1 / (1 + math.exp(-5))) for e in edits)
    raw_generated, raw_candidates = editor.propose_all([text])[0]
    assert {c.source for c in raw_candidates} == {"said", "news conference"}
    assert all(len(c.features) == len(CANDIDATE_FEATURES) for c in raw_candidates)
    # a protected word is never a candidate; and a confidence floor above every candidate drops them
    guarded = "Officials said “mentioned” twice."
    assert editor.propose([guarded], [protected_mask(guarded)]) == [[]]
    editor.min_confidence = 0.999
    assert editor.propose([text], [protected_mask(text)]) == [[]]


def test_a_candidates_doubt_rests_on_the_words_it_changes(tiny_model_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from restore.model.formulation import KEEP

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    Channel([({"in the": (1.0, ("within the",))}, 0.8)]).save(model / CANDIDATES_FILE)
    editor = Seq2SeqEditor.from_pretrained(str(model), keep_threshold=0.0, min_confidence=0.0,
                                           candidate_keep_threshold=0.99, candidate_scorer=None)
    text = "It rained within the city."
    doubted = text.index("within"), text.index("within") + len("within")
    encode = editor.model.encode

    def tagger_doubting_within(input_ids, attention_mask):  # sure of every token but "within"
        states, logits = encode(input_ids, attention_mask)
        logits = torch.full_like(logits, -10.0)
        logits[..., KEEP] = 10.0
        offsets = editor.tokenizer([text], return_offsets_mapping=True)["offset_mapping"][0]
        for k, (a, z) in enumerate(offsets):
            if doubted[0] <= a < z <= doubted[1]:
                logits[0, k, KEEP], logits[0, k, KEEP + 1] = -10.0, 10.0
        return states, logits

    monkeypatch.setattr(editor.model, "encode", tagger_doubting_within)
    (_, candidates), = editor.propose_all([text], [protected_mask(text)])
    # "the" is surely kept, yet "within the" -> "in the" changes "within" alone: its doubt is that word's
    assert [(c.source, c.edit.before) for c in candidates] == [("in the", "within the")]
    assert candidates[0].doubt > 0.99
    assert apply_edits(text, [candidates[0].edit]) == "It rained in the city."


def test_calibrate_fits_the_candidate_scorer(tiny_model_dir: Path, toy_pairs_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from training import calibrate

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    _with_toy_candidates(model, None, decoys=True)
    calibrate.main([str(model), "--pairs", str(toy_pairs_dir), "--samples", "12", "--clean_samples", "4",
                    "--news_sources", "toy", "--news_samples", "6", "--bound_quantile", "0.9", "--no-progress"])
    record = json.loads((model / "calibration.json").read_text())
    assert (record["samples"], record["news_samples"], record["clean_samples"]) == (12, 6, 4)
    assert record["bound_quantile"] == 0.9
    assert all(0.0 <= row["damage_upper"] <= 1.0 and 0.0 <= row["clean_changes_upper"] <= 1.0 for row in record["grid"])
    assert record["scorer_folds"] == calibrate.FOLDS  # the grid's confidences are cross-fitted
    scorer = CandidateScorer.from_dict(record["candidate_scorer"])
    assert len(scorer.mean) == len(CANDIDATE_FEATURES) and 0.0 < scorer([0.0] * len(CANDIDATE_FEATURES)) < 1.0
    assert all("news_spin_removed" in row for row in record["grid"])  # the toy source counts as news here
    gates = (len(calibrate.EVIDENCE_CONFIDENCES) * len(calibrate.MIN_EVIDENCES) * len(calibrate.SURE_CONFIDENCES)
             * len(calibrate.DOCUMENT_EVIDENCES))
    assert len(record["grid"]) == (len(calibrate.KEEP_THRESHOLDS) * len(calibrate.CANDIDATE_KEEP_THRESHOLDS) * len(calibrate.MIN_CONFIDENCES)
                                   + len(calibrate.GATE_KEEP_THRESHOLDS) * gates * len(calibrate.GATE_MIN_CONFIDENCES) * 2)
    settings = json.loads((model / "config.json").read_text())["restore"]
    editor = Seq2SeqEditor.from_pretrained(str(model))
    assert editor.candidate_keep_threshold == settings["candidate_keep_threshold"]
    if settings["candidate_keep_threshold"] > 0:
        assert editor.candidate_scorer == scorer
    # choosing again under bounds nothing meets takes the least damaging setting of the same grid, by its upper bounds
    again = calibrate.main([str(model), "--reuse_grid", "--max_damage", "-1", "--max_clean_changes", "-1",
                            "--bound_quantile", "0.9"])
    assert again == min(record["grid"], key=lambda r: (r["damage_upper"] + r["clean_changes_upper"], -r["spin_removed"]))
    with pytest.raises(SystemExit, match="quantile 0.9, not 0.5"):
        calibrate.main([str(model), "--reuse_grid", "--bound_quantile", "0.5"])
    reused = json.loads((model / "calibration.json").read_text())
    assert reused["grid"] == record["grid"] and reused["candidate_scorer"] == record["candidate_scorer"]
    assert reused["scorer_folds"] == calibrate.FOLDS
    # a grid made before a feature was appended at the end is the same grid (the scorer reads the first
    # features); one made with other features is refused
    for made_with, reusable in ((list(CANDIDATE_FEATURES)[:-1], True), (list(CANDIDATE_FEATURES)[1:], False)):
        (model / "calibration.json").write_text(json.dumps({**reused, "candidate_features": made_with}))
        if reusable:
            assert calibrate.main([str(model), "--reuse_grid", "--max_damage", "-1", "--max_clean_changes", "-1",
                                   "--bound_quantile", "0.9"]) == again
        else:
            with pytest.raises(SystemExit, match="other candidate features"):
                calibrate.main([str(model), "--reuse_grid", "--bound_quantile", "0.9"])
    (model / "calibration.json").write_text(json.dumps(reused))
    from training import export

    report = tmp_path / "report.json"
    report.write_text(json.dumps({"command": "c", "started": "now", "signature": "sig", "scores": {}}))
    monkeypatch.setattr(export, "REPORT", report)
    card = export.update_card(model).read_text()
    assert f"through a scorer fitted without its fold of {calibrate.FOLDS}" in card
    assert f"at the 0.9 quantile over {calibrate.BOOTSTRAPS:,} resamples of the dev documents: damage" in card
    assert "trigram fit lead" in card
    assert "ngram fit lead, generated, decoder log-prob, composed: constant on these units, so not read" in card  # no n-gram model, no n-best, no composition
    assert json.loads((model / "config.json").read_text())["restore"]["min_confidence"] == again["min_confidence"]


def test_the_card_shows_what_each_candidate_source_adds(tmp_path: Path) -> None:
    from training import export

    row = {"spin_removed": 0.2, "reachability": 0.5, "damage": 0.004}
    report = {
        "command": "python -m benchmarks.run --systems seq2seq seq2seq-ours", "started": "now",
        "systems": {"seq2seq": {"status": "ok", "info": {}},
                    "seq2seq-ours": {"status": "ok", "info": {"candidate_sources": "news+wordnet+tortured"}},
                    "seq2seq-decoder": {"status": "ok", "info": {"candidate_origin": "decoder"}}},
        "scores": {"news-unseen": {"seq2seq": row, "seq2seq-ours": {**row, "spin_removed": 0.05}},
                   "clean": {"seq2seq": {"changed_share": 0.003}, "seq2seq-ours": {"changed_share": 0.002}}},
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    lines = export.ablation_lines(path)
    assert lines[0] == "## Candidate sources\n"
    assert "| suite | seq2seq (all) | seq2seq-ours (news+wordnet+tortured) | seq2seq-decoder (decoder only) |" in lines
    assert "| news-unseen | 0.200 / 0.500 / 0.0040 | 0.050 / 0.500 / 0.0040 | – |" in lines
    assert "| clean | changed 0.0030 | changed 0.0020 | – |" in lines
    assert export.ablation_lines(tmp_path / "none.json") == []


def test_calibration_news_units_take_one_profile_per_paragraph() -> None:
    from training.calibrate import _paragraph_units, news_profile

    paragraphs = [(f"p{k}", "The minister said the talks were over. Officials said more.") for k in range(40)]
    profiles = {news_profile(pid, ("news", "broad")) for pid, _ in paragraphs}
    assert profiles == {"news", "broad"}
    clean, spun, ids = _paragraph_units(paragraphs, 80, ("news", "broad"))
    assert len(clean) == 80 and ids[0] == ids[1] == "p0"
    assert _paragraph_units(paragraphs, 80) == _paragraph_units(paragraphs, 80, ("news",))


def test_units_are_restored_in_chunks_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from training import calibrate

    monkeypatch.setattr(calibrate, "CHUNK", 3)
    calls = []

    def propose(units: list[str], masks: list[list[bool]]) -> list[str]:
        calls.append(len(units))
        return [u.upper() + str(len(m)) for u, m in zip(units, masks)]

    units = [f"u{k}" for k in range(7)]
    out = calibrate.in_chunks(propose, units, [[True] * k for k in range(7)], "test", progress=False)
    assert out == [f"U{k}{k}" for k in range(7)] and calls == [3, 3, 1]


def test_document_bootstrap_bounds_a_share_by_redrawing_whole_documents() -> None:
    from training.calibrate import DocumentBootstrap, choose

    # units 0-1 form one document with all the damage, units 2-5 are documents of their own
    draws = DocumentBootstrap([0, 1, 2, 3, 4, 5], ["a", "a", "b", "c", "d", "e"], resamples=2000)
    assert draws.documents == 5 and draws.weights.shape == (2000, 5)
    assert (draws.weights.sum(axis=1) == 5).all()  # each resample draws as many documents as there are
    damaged, kept = [3, 2, 0, 0, 0, 0], [50, 50, 100, 100, 100, 100]
    measured = sum(damaged) / sum(kept)
    median, high = draws.upper(damaged, kept, 0.5), draws.upper(damaged, kept, 0.95)
    assert abs(median - measured) < 0.005 and high > measured + 0.005
    assert draws.upper(damaged, kept, 0.95) == high  # seeded: the same resamples every time
    assert draws.upper([0] * 6, kept, 0.99) == 0.0
    assert DocumentBootstrap([], []).upper([], [], 0.9) == 0.0
    rows = [{"spin_removed": 0.6, "damage": 0.008, "damage_upper": 0.011, "clean_changes": 0.0, "clean_changes_upper": 0.0},
            {"spin_removed": 0.5, "damage": 0.007, "damage_upper": 0.009, "clean_changes": 0.0, "clean_changes_upper": 0.0}]
    assert choose(rows, 0.01, 0.005) == rows[0] and choose(rows, 0.01, 0.005, upper=True) == rows[1]


def test_calibration_units_add_fresh_news_spins_and_genuine_news(toy_pairs_dir: Path) -> None:
    from datasets import load_from_disk

    from training.calibrate import calibration_units

    spun, clean, unspun, counts, documents = calibration_units(str(toy_pairs_dir), 5, 8, 30, ("toy",))
    assert counts == {"samples": 5, "news_samples": 30, "tortured_samples": 0, "clean_samples": 8}
    assert len(spun) == len(clean) == len(unspun) == 5 + 30 + 8
    assert spun[:5] == load_from_disk(str(toy_pairs_dir))["validation"].shuffle(seed=7)["spun"][:5]
    news_spun, news_clean = spun[5:35], clean[5:35]
    assert any(s != c for s, c in zip(news_spun, news_clean))  # spun afresh
    assert unspun[5:35] == [s == c for s, c in zip(news_spun, news_clean)]
    assert spun[35:] == clean[35:] == news_clean[:8] and all(unspun[35:])  # genuine: news first
    assert calibration_units(str(toy_pairs_dir), 5, 8, 30, ("toy",))[0] == spun  # deterministic
    # without news units the genuine text comes from the validation split
    spun, clean, unspun, counts, documents = calibration_units(str(toy_pairs_dir), 5, 8, 30, ("wikinews",))
    assert counts == {"samples": 5, "news_samples": 0, "tortured_samples": 0, "clean_samples": 8}
    assert spun[5:] == clean[5:]
    # asking for the whole validation split (or more) leaves no validation units for genuine text
    size = len(load_from_disk(str(toy_pairs_dir))["validation"])
    spun, clean, unspun, counts, documents = calibration_units(str(toy_pairs_dir), size + 5, 8, 30, ("wikinews",))
    assert counts == {"samples": size, "news_samples": 0, "tortured_samples": 0, "clean_samples": 0}
    assert len(spun) == size


def test_calibration_news_units_can_come_from_given_paragraphs(toy_pairs_dir: Path) -> None:
    from training.calibrate import calibration_units

    paragraphs = [(f"doc:{k}", "Officials said the talks were over. The minister said they were ready.")
                  for k in range(4)] + [("doc:4", "The mayor said the news conference was cancelled.")]
    spun, clean, unspun, counts, documents = calibration_units(str(toy_pairs_dir), 3, 4, 9, ("toy",), paragraphs)
    assert counts == {"samples": 3, "news_samples": 9, "tortured_samples": 0, "clean_samples": 4}
    news_clean = clean[3:12]
    assert news_clean[:2] == ["Officials said the talks were over.", "The minister said they were ready."]
    assert news_clean[8] == "The mayor said the news conference was cancelled."  # a sentence a unit, in order
    assert spun[12:] == clean[12:] == news_clean[:4] and all(unspun[12:])
    assert calibration_units(str(toy_pairs_dir), 3, 4, 9, ("toy",), paragraphs)[0] == spun  # deterministic
    # documents for the document gate: a paragraph's sentences together, spun apart from genuine
    assert len(documents) == len(spun) and len(set(documents[:3])) == 3
    assert documents[3:12] == ["spun:doc:0"] * 2 + ["spun:doc:1"] * 2 + ["spun:doc:2"] * 2 + ["spun:doc:3"] * 2 + ["spun:doc:4"]
    assert documents[12:] == ["genuine:doc:0"] * 2 + ["genuine:doc:1"] * 2


def test_calibration_takes_tortured_units_as_spun_text_before_the_genuine(toy_pairs_dir: Path) -> None:
    from training.calibrate import calibration_units

    tortured = (["The vote came eventually tom's scrutinizing noon."], ["The vote came by noon."])
    spun, clean, unspun, counts, documents = calibration_units(str(toy_pairs_dir), 3, 4, 9, ("toy",), tortured=tortured)
    assert counts == {"samples": 3, "news_samples": 9, "tortured_samples": 1, "clean_samples": 4}
    assert (spun[12], clean[12], unspun[12]) == (tortured[0][0], tortured[1][0], False)
    assert spun[13:] == clean[13:] and all(unspun[13:]) and len(spun) == 3 + 9 + 1 + 4


def test_tortured_units_put_a_listed_phrase_into_held_out_sentences(tmp_path: Path) -> None:
    from datasets import Dataset, DatasetDict

    from benchmarks import suites
    from training.calibrate import tortured_units

    try:
        shared = suites.shared_dir()
    except FileNotFoundError:
        pytest.skip("no shared data folder")

    def rows(texts: list[str]) -> Dataset:
        return Dataset.from_list([{"spun": t, "clean": t, "profile": "none", "source": "toy", "doc_id": f"d{k}"}
                                  for k, t in enumerate(texts)])

    held_out = [f"Doctors in town {k} said big data helps. A neural network in town {k} was fast." for k in range(6)]
    DatasetDict(train=rows(["Big data was the topic of the day in town."]), validation=rows(held_out[:4]),
                test=rows(held_out[4:])).save_to_disk(str(tmp_path / "pairs"))
    spun, clean = tortured_units(str(tmp_path / "pairs"), 50)
    phrases = suites.tortured_phrases(shared)
    # a sentence a unit; each listed phrase at most PER_PHRASE times, as in the benchmark's suite
    assert len(spun) == len(clean) == 2 * suites.PER_PHRASE
    assert all(any(c in h for h in held_out) for c in clean) and len(set(clean)) == len(clean)
    for s, c in zip(spun, clean):
        expected = next(e for e in ("big data", "neural network") if e in c and e not in s)
        assert s.replace(next(f for f in phrases[expected] if f in s), expected) == c
    assert tortured_units(str(tmp_path / "pairs"), 50) == (spun, clean)  # deterministic
    assert len(tortured_units(str(tmp_path / "pairs"), 2)[0]) == 2


def test_scorer_learns_a_separable_rule_and_round_trips() -> None:
    features = [(float(i % 7), float(i % 3)) for i in range(200)]
    labels = [f[0] > 3 for f in features]
    scorer = CandidateScorer.fit(features, labels, hidden=4, steps=400)
    assert scorer((6.0, 1.0)) > 0.8 > 0.2 > scorer((0.0, 1.0))
    assert CandidateScorer.from_dict(json.loads(json.dumps(scorer.to_dict()))) == scorer
    with pytest.raises(ValueError, match="expected 2 features"):
        scorer((1.0,))


def test_trigram_fit_prefers_the_clean_phrase_and_reads_the_sentence_only(toy_channel: Channel) -> None:
    from restore.candidates.viterbi import Decoder
    from restore.candidates.trigram import CmuTrigramLM

    reader = Decoder(toy_channel, CmuTrigramLM(), keep_bonus=2.5)
    text = "The officials mentioned an information convention on Monday."
    tokens = tokenize(text)
    words = [t.text for t in tokens]
    a = words.index("information")
    assert reader.fit(tokens, a, a + 2, ("news", "conference")) > 0 > reader.fit(tokens, a, a + 2, ("of", "the", "of"))
    assert reader.fit(tokens, a, a + 2, ("information", "convention")) == 0.0
    # words beyond a sentence end are not context: the fit is the same whatever follows it
    other = tokenize("The officials mentioned an information convention. Nobody came anyway.")
    same = tokenize("The officials mentioned an information convention. Something else entirely.")
    assert reader.fit(other, a, a + 2, ("news", "conference")) == pytest.approx(reader.fit(same, a, a + 2, ("news", "conference")))
    chosen = reader.chosen(text, tokens, [not t.is_word for t in tokens])
    assert (a, a + 2, "news conference") in chosen


def test_a_scorer_fitted_on_fewer_features_reads_the_first_ones(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    older = CandidateScorer([0.0] * 3, [1.0] * 3, [[1.0, 0.0, 0.0]], [0.0], [1.0], 0.0)
    editor = _with_toy_candidates(model, older)
    features = tuple(float(i) for i in range(len(CANDIDATE_FEATURES)))
    assert editor.candidate_confidence(features) == pytest.approx(older(features[:3]))
    rows = [features, tuple(-x for x in features)]  # many rows at once: the same answers
    assert editor.candidate_confidences(rows) == pytest.approx([editor.candidate_confidence(r) for r in rows])


def test_costly_features_the_scorer_does_not_read_are_never_computed(tiny_model_dir: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    editor = _with_toy_candidates(model, None)
    text = "The officials mentioned an information convention."
    n, best = len(CANDIDATE_FEATURES), CANDIDATE_FEATURES.index("on best reading")
    full = editor.propose_all([text])[0][1]  # no scorer: every feature is computed
    assert full and any(c.features[best] == 1.0 for c in full)
    # A scorer fitted with the best reading held at 0 reads the rest, so the Viterbi search is skipped.
    blind = CandidateScorer([0.0] * n, [CONSTANT_STD if k == best else 1.0 for k in range(n)], [[0.1] * n], [0.0], [1.0], 0.0)
    editor.candidate_scorer = blind
    assert editor.feature_skip() == {"on best reading"}
    searched = []
    monkeypatch.setattr(editor.reader, "chosen", lambda *args: searched.append(args) or set())
    skipped = editor.propose_all([text])[0][1]
    assert searched == [] and [c.source for c in skipped] == [c.source for c in full]
    assert all(c.features[best] == 0.0 for c in skipped)
    assert [c.features[:best] + c.features[best + 1:] for c in skipped] == [c.features[:best] + c.features[best + 1:] for c in full]
    editor.candidate_scorer = CandidateScorer([0.0] * n, [1.0] * n, [[0.1] * n], [0.0], [1.0], 0.0)
    assert editor.feature_skip() == frozenset()  # a scorer that reads every feature skips nothing
    editor.skipped_features = frozenset({"trigram fit"})  # as calibration holds a feature at 0
    trigram = CANDIDATE_FEATURES.index("trigram fit")
    assert all(c.features[trigram] == 0.0 for c in editor.propose_all([text])[0][1])
    editor.skipped_features = frozenset({"context fit"})
    with pytest.raises(ValueError, match="cannot skip .'context fit'.: the skippable features are"):
        editor.propose_all([text])


def test_proposals_the_gates_can_never_choose_are_left_out(tiny_model_dir: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from restore import Restorer

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    editor = _with_toy_candidates(model, None, decoys=True)  # confidence: tag doubt x table probability
    text = "The officials mentioned an information convention."
    every = editor.proposals([text])[0]
    floor = sorted(e.confidence for e in every)[len(every) // 2]
    assert [e for e in every if e.confidence < floor]
    assert editor.proposals([text], floor=floor)[0] == [e for e in every if e.confidence >= floor]
    editor.min_confidence, editor.evidence_confidence, editor.min_evidence = floor, 0.99, 1
    assert editor.gate_floor == floor
    assert editor.choose_document([editor.proposals([text], floor=floor)[0]]) == editor.choose_document([every])
    asked = []
    proposals = editor.proposals
    monkeypatch.setattr(editor, "proposals", lambda *args, **kwargs: asked.append(kwargs) or proposals(*args, **kwargs))
    Restorer(editor).fix(text)
    assert asked == [{"floor": floor}]  # the restorer asks for what its gates can choose


def test_scorer_scores_many_rows_as_it_scores_one() -> None:
    rows = [(float(i % 5) - 2.0, float(i % 3)) for i in range(40)]
    scorer = CandidateScorer.fit(rows, [r[0] > 0 for r in rows], hidden=3, steps=50)
    assert scorer.many(rows) == pytest.approx([scorer(r) for r in rows], abs=1e-12)
    assert scorer.many([]) == []
    with pytest.raises(ValueError, match="expected 2 features"):
        scorer.many([(1.0,)])


def test_calibrate_can_fit_the_scorer_on_more_units_than_it_grids_on(tiny_model_dir: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from datasets import Dataset, DatasetDict

    from training import calibrate

    rows = toy_pairs(240, seed=3)
    for i, row in enumerate(rows):  # every text its own, as in real pairs
        row["spun"], row["clean"] = f"{row['spun']} Item {i}.", f"{row['clean']} Item {i}."
    data = Dataset.from_list(rows)
    pairs = tmp_path / "pairs"
    DatasetDict(train=data.select(range(160)), validation=data.select(range(160, 220)),
                test=data.select(range(220, 240))).save_to_disk(str(pairs))
    runs = {}
    for name, extra in (("grid", []), ("more", ["--scorer_samples", "40", "--skip_features", "on best reading"])):
        model = tmp_path / name
        shutil.copytree(tiny_model_dir, model)
        _with_toy_candidates(model, None, decoys=True)
        calibrate.main([str(model), "--pairs", str(pairs), "--samples", "12", "--clean_samples", "4",
                        "--news_sources", "toy", "--news_samples", "6", *extra])
        runs[name] = json.loads((model / "calibration.json").read_text())
    more = runs["more"]
    # The 40 more validation units, less those whose text the grid's news units drew too.
    assert "scorer_units" not in runs["grid"] and 30 <= more["scorer_units"] <= 40
    assert (more["samples"], more["news_samples"], more["clean_samples"]) == (12, 6, 4)
    assert len(more["grid"]) == len(runs["grid"]["grid"]) and more["candidate_scorer"] != runs["grid"]["candidate_scorer"]
    # --skip_features: the best reading held at 0, so the scorer does not read it and restoring skips it
    assert (runs["grid"]["skip_features"], more["skip_features"]) == ([], ["on best reading"])
    best = CANDIDATE_FEATURES.index("on best reading")
    assert CandidateScorer.from_dict(runs["grid"]["candidate_scorer"]).reads(best)
    assert not CandidateScorer.from_dict(more["candidate_scorer"]).reads(best)
    skip = Seq2SeqEditor.from_pretrained(str(tmp_path / "more")).feature_skip()
    assert "on best reading" in skip and "trigram fit" not in skip  # (and the n-gram fit: the toy model has none)
    from training import export

    report = tmp_path / "report.json"
    report.write_text(json.dumps({"command": "c", "started": "now", "signature": "sig", "scores": {}}))
    monkeypatch.setattr(export, "REPORT", report)
    card = export.update_card(tmp_path / "more").read_text()
    assert f"fitted on these and {more['scorer_units']:,} more held-out units" in card
    assert "(on best reading: held at 0 by `--skip_features`, so restoring never computes them)" in card
    assert "restore/candidates/viterbi.py" not in card


def test_rival_leads_compare_each_candidate_with_the_best_on_its_words() -> None:
    from restore.candidates.features import LEADS as _LEADS, RIVAL_CLIP, SPIN_PROFILES, rival_leads

    def features(trigram: float) -> tuple[float, ...]:
        row = [0.0] * 11
        row[7] = trigram
        return tuple(row)

    found = [
        (0, 2, 4, features(-1.0)),  # unit 0, words 2-3: two candidates on the same span …
        (0, 2, 4, features(-3.0)),
        (0, 3, 5, features(-2.5)),  # … and one on an overlapping span
        (0, 7, 8, features(-4.0)),  # alone on its words
        (1, 2, 4, features(5.0)),  # another unit: never a rival of unit 0's
    ]
    leads = rival_leads(found)
    trigram, rivals = _LEADS.index(7), _LEADS.index(None)
    assert len(leads) == len(found) and all(len(row) == len(_LEADS) for row in leads)
    # then the spin-in-context features, then the n-gram fit and its lead
    assert len(CANDIDATE_FEATURES) == 11 + len(_LEADS) + 4 * len(SPIN_PROFILES) + 2 + 2 + 1  # n-gram, decoder n-best, composed
    assert rival_leads([(0, 0, 1, (1.0,)), (0, 0, 2, (3.0,))], compared=(0,)) == [(-2.0,), (2.0,)]
    assert [row[trigram] for row in leads] == pytest.approx([1.5, -2.0, -1.5, RIVAL_CLIP, RIVAL_CLIP])
    assert [row[rivals] for row in leads] == pytest.approx([math.log(3), math.log(3), math.log(3), 0.0, 0.0])
    far = rival_leads([(0, 0, 1, features(-30.0)), (0, 0, 1, features(0.0))])
    assert [row[trigram] for row in far] == [-RIVAL_CLIP, RIVAL_CLIP]  # clipped


def test_cross_fitted_confidences_come_from_scorers_that_never_saw_the_fold() -> None:
    from training.calibrate import cross_fitted

    xs = [float(i % 9) - 4.0 for i in range(400)]
    folds = [i % 2 for i in range(400)]
    # fold 0 is right where x > 0, fold 1 where x < 0: each fold's scorer learns the other's rule
    flat = [((x,), (x > 0) if f == 0 else (x < 0)) for x, f in zip(xs, folds)]
    confidences = cross_fitted(flat, folds, [])
    fold0_high = [c for c, x, f in zip(confidences, xs, folds) if f == 0 and x > 2]
    fold0_low = [c for c, x, f in zip(confidences, xs, folds) if f == 0 and x < -2]
    assert max(fold0_high) < 0.5 < min(fold0_low)
    # rows of extra units join every fold's fit
    more = [((x,), x > 0) for x in xs] * 3
    confidences = cross_fitted(flat, folds, more)
    assert min(c for c, x in zip(confidences, xs) if x > 2) > 0.5


def test_unit_scores_give_what_the_metric_gives_on_any_subset() -> None:
    """Calibration scores its grid from cached per-unit counts: the sums must reproduce the
    metric's corpus scores exactly (the metric loaded through ``evaluate``, as elsewhere)."""
    import evaluate

    from training.calibrate import UnitScores
    from training.train import METRIC_PATH

    metric = evaluate.load(METRIC_PATH)
    sources = ["He mentioned the information convention.", "It had been chilly.", "Nothing to change here.",
               "They stated it twice."]
    references = ["He said the news conference.", "It was cold.", "Nothing to change here.", "They said it twice."]
    predictions = ["He said the information convention.", "It had been cold.", "Nothing to alter here.",
                   "They said it twice."]
    scores = UnitScores(sources, references)
    for idx in ([0, 1, 2, 3], [0, 3], [2], [1, 1]):
        whole = metric.compute(sources=[sources[i] for i in idx], predictions=[predictions[i] for i in idx],
                               references=[references[i] for i in idx])
        got = scores.corpus(idx, predictions)
        for key in ("spin_removed", "damage", "precision", "recall"):
            assert (got[key] is None) if whole[key] is None else got[key] == pytest.approx(whole[key]), key
    assert scores.corpus([2], predictions)["spin_removed"] is None  # nothing to restore there
    assert scores.corpus([2], predictions)["damage"] == pytest.approx(1 / 5)  # "change" of 5 tokens (with ".")
