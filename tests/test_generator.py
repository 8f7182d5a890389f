"""Where edits come from (``Edit.source``), and the decoder's n-best candidates beside the tables'."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import torch

from restore.edits import SOURCES, Edit, apply_edits
from restore.candidates.features import CANDIDATE_FEATURES, NBEST_FLOOR
from restore.model.editor import CANDIDATES_FILE, Seq2SeqEditor
from restore.model.formulation import BEGIN, INSIDE, KEEP
from restore.model.scorer import CandidateScorer
from restore.candidates.channel import Channel
from restore.text import protected_mask

TEXT = "Officials mentioned an information convention in the capital."
DOUBTED = ("mentioned", "information convention")


def test_edit_source_defaults_to_table_and_is_in_its_dict() -> None:
    edit = Edit(0, 3, "foo", "bar")
    assert edit.source == "table" and SOURCES == ("table", "generated", "mixed")
    assert edit.to_dict()["source"] == "table"
    assert Edit(0, 3, "foo", "bar", source="generated").to_dict()["source"] == "generated"


@pytest.fixture()
def model_with_tables(tiny_model_dir: Path, tmp_path: Path) -> Path:
    """The tiny model with a table that lists only ``mentioned -> said``."""
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    Channel([({"said": (1.0, ("mentioned",))}, 0.8)]).save(model / CANDIDATES_FILE)
    return model


def doubting(editor: Seq2SeqEditor, text: str, doubted: tuple[str, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the editor's tagger sure of every subword of ``text`` but those of the ``doubted`` phrases."""
    encode = editor.model.encode
    spans = [(text.index(d), text.index(d) + len(d)) for d in doubted]

    def tagger(input_ids, attention_mask):
        states, logits = encode(input_ids, attention_mask)
        logits = torch.full_like(logits, -10.0)
        logits[..., KEEP] = 10.0
        offsets = editor.tokenizer([text], return_offsets_mapping=True)["offset_mapping"][0]
        for k, (a, z) in enumerate(offsets):
            for s, e in spans:
                if s <= a < z <= e:
                    logits[0, k, KEEP], logits[0, k, BEGIN if a == s else INSIDE] = -10.0, 10.0
        return states, logits

    monkeypatch.setattr(editor.model, "encode", tagger)


def test_generated_and_candidate_edits_say_where_they_come_from(model_with_tables: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    editor = Seq2SeqEditor.from_pretrained(str(model_with_tables), keep_threshold=0.5, min_confidence=0.0,
                                           candidate_keep_threshold=0.5, candidate_scorer=None)
    doubting(editor, TEXT, DOUBTED, monkeypatch)
    (generated, candidates), = editor.propose_all([TEXT], [protected_mask(TEXT)])
    assert generated and {e.source for e in generated} == {"generated"}
    assert [(c.source, c.edit.source) for c in candidates] == [("said", "table")]


def test_nbest_is_off_by_default_and_adds_nothing_then(model_with_tables: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    editor = Seq2SeqEditor.from_pretrained(str(model_with_tables), keep_threshold=0.0, candidate_keep_threshold=0.5,
                                           candidate_scorer=None)
    assert editor.nbest == 0
    doubting(editor, TEXT, DOUBTED, monkeypatch)
    monkeypatch.setattr(editor.model, "generate", lambda *a, **k: pytest.fail("nothing is decoded with nbest off"))
    (generated, candidates), = editor.propose_all([TEXT])
    assert generated == [] and len(candidates) == 1
    assert candidates[0].features[-2:] == (0.0, 0.0)  # generated, decoder log-prob


def test_nbest_candidates_join_the_tables_with_the_decoders_log_prob(model_with_tables: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    n = len(CANDIDATE_FEATURES)
    sure = CandidateScorer([0.0] * n, [1.0] * n, [[0.0] * n], [0.0], [0.0], 5.0)  # every candidate at sigmoid(5)
    editor = Seq2SeqEditor.from_pretrained(str(model_with_tables), keep_threshold=0.0, candidate_keep_threshold=0.5,
                                           candidate_scorer=sure, nbest=4, nbest_max_words=3)
    doubting(editor, TEXT, DOUBTED, monkeypatch)
    (generated, candidates), = editor.propose_all([TEXT], [protected_mask(TEXT)])
    assert generated == []  # keep_threshold 0: the decoder writes no edit of its own, only candidates
    by_span: dict[tuple[int, int], list] = {}
    for c in candidates:
        by_span.setdefault(c.span, []).append(c)
        assert len(c.features) == n and c.edit.confidence == pytest.approx(1 / (1 + math.exp(-5)))
    assert set(by_span) == {(1, 2), (3, 5)}  # "mentioned", and "information convention" which no table knows
    is_generated, logp = CANDIDATE_FEATURES.index("generated"), CANDIDATE_FEATURES.index("decoder log-prob")
    for span, cands in by_span.items():
        made = [c for c in cands if c.features[is_generated]]
        assert 0 < len(made) <= 4 and len({c.source for c in made}) == len(made)  # n-best, deduplicated
        assert all(c.edit.source == "generated" and NBEST_FLOOR < c.features[logp] <= 0.0 for c in made)
        assert all(len(c.source.split()) <= 2 * (span[1] - span[0]) + 4 for c in made)  # length-bounded
        for c in cands:
            assert apply_edits(TEXT, [c.edit]) != TEXT
    (said,) = [c for c in by_span[(1, 2)] if not c.features[is_generated]]
    assert said.edit.source == "table" and (said.features[logp] == NBEST_FLOOR or said.features[logp] <= 0.0)
    # the chosen edits replay, and the same input gives the same proposals
    assert editor.propose_all([TEXT], [protected_mask(TEXT)]) == [(generated, candidates)]
    assert isinstance(apply_edits(TEXT, editor.propose([TEXT], [protected_mask(TEXT)])[0]), str)


def test_an_old_scorer_reads_its_features_whatever_was_added_after_it(model_with_tables: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    old = len(CANDIDATE_FEATURES) - 2  # fitted before the decoder's two features
    weights = [0.0 if "ngram" in name else 0.1 for name in CANDIDATE_FEATURES[:old]]  # no n-gram model here
    scorer = CandidateScorer([0.0] * old, [1.0] * old, [weights], [0.0], [1.0], 0.0)
    editor = Seq2SeqEditor.from_pretrained(str(model_with_tables), keep_threshold=0.0, candidate_keep_threshold=0.5,
                                           candidate_scorer=scorer, nbest=2)
    doubting(editor, TEXT, DOUBTED, monkeypatch)
    (_, candidates), = editor.propose_all([TEXT])
    assert candidates and all(c.edit.confidence == pytest.approx(scorer(c.features[:old])) for c in candidates)


def test_nbest_needs_tables() -> None:
    with pytest.raises(ValueError, match="nbest"):
        Seq2SeqEditor(model=None, tokenizer=None, nbest=3)  # refused before the model is touched


def test_diagnose_counts_originals_in_the_decoders_nbest_where_no_table_has_them(
        model_with_tables: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmarks.diagnose import diagnose, report
    from benchmarks.suites import Item
    from restore import Restorer

    restorer = Restorer.from_pretrained(model_with_tables, rounds=1)
    editor = restorer.editor
    editor.candidate_keep_threshold, editor.nbest = 0.5, 3
    text = "Officials mentioned an information convention."
    doubting(editor, text, ("mentioned", "information convention"), monkeypatch)
    # the decoder's n-best for the unit's two doubted runs: the original of the second, not of the first
    monkeypatch.setattr(editor.writer, "nbest", lambda units, *rest: [
        {(1, 2): {("told",): -2.0}, (3, 5): {("news", "conference"): -0.5, ("press", "room"): -1.5}} for _ in units])
    gold = ((10, 19, "said"), (20, 45, "a news conference"))  # the spinner took the article into its span
    found = diagnose(restorer, [Item("u", text, "Officials said a news conference.", gold)])
    assert found["gold spans"] == 2
    assert found["no table candidate"] == 1 and found["in the decoder's n-best"] == 1  # the table knows "said"
    assert "| (of those, the original is in the decoder's n-best) | 1 | 100.0% |" in report(found)


def test_calibrate_with_nbest_scores_generated_candidates_and_ships_the_setting(
        model_with_tables: Path, toy_pairs_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from training import calibrate

    from restore.model.writer import SpanWriter

    decoded = []
    nbest = SpanWriter.nbest

    def spy(self, units, views, keep_probs, states, attention_mask, n, *rest):
        decoded.append(n)
        return nbest(self, units, views, keep_probs, states, attention_mask, n, *rest)

    monkeypatch.setattr(SpanWriter, "nbest", spy)
    calibrate.main([str(model_with_tables), "--pairs", str(toy_pairs_dir), "--samples", "12", "--clean_samples", "4",
                    "--news_sources", "toy", "--news_samples", "4", "--nbest", "2", "--nbest_max_words", "3",
                    "--no-progress"])
    assert decoded and set(decoded) == {2}  # the candidates' pass decodes; the generated-edit passes do not
    record = json.loads((model_with_tables / "calibration.json").read_text())
    assert (record["nbest"], record["nbest_max_words"]) == (2, 3)
    settings = json.loads((model_with_tables / "config.json").read_text())["restore"]
    editor = Seq2SeqEditor.from_pretrained(str(model_with_tables))
    if settings["candidate_keep_threshold"] > 0:
        assert (settings["nbest"], editor.nbest, editor.nbest_max_words) == (2, 2, 3)
    else:
        assert settings["nbest"] == editor.nbest == 0
    with pytest.raises(SystemExit):
        calibrate.main([str(model_with_tables), "--nbest", "-1"])


def test_origin_ablations_keep_the_tables_or_the_decoder_alone(model_with_tables: Path) -> None:
    import json

    from benchmarks.systems import ABLATIONS, SystemUnavailable
    from benchmarks.systems.seq2seq import Seq2SeqSystem

    assert {"seq2seq-tables", "seq2seq-decoder"} <= set(ABLATIONS)
    with pytest.raises(SystemUnavailable, match="--nbest"):
        Seq2SeqSystem.load(model_with_tables, origin="decoder")  # calibrated without the n-best
    config = json.loads((model_with_tables / "config.json").read_text())
    config.setdefault("restore", {}).update(nbest=3, candidate_keep_threshold=0.5)
    (model_with_tables / "config.json").write_text(json.dumps(config))
    tables = Seq2SeqSystem.load(model_with_tables, origin="tables", name="seq2seq-tables")
    assert tables.restorer.editor.nbest == 0 and tables.restorer.editor.candidates.candidates
    assert tables.info()["candidate_origin"] == "tables" and tables.info()["nbest"] == 0
    decoder = Seq2SeqSystem.load(model_with_tables, origin="decoder")
    assert decoder.restorer.editor.nbest == 3 and not decoder.restorer.editor.candidates.candidates
    assert decoder.restore([TEXT]) == [decoder.restorer.fix(TEXT)]
    with pytest.raises(ValueError, match="origin"):
        Seq2SeqSystem.load(model_with_tables, origin="both")
