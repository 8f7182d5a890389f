"""The in-domain n-gram model: reading it, the editor's ``ngram fit`` features, training.ngram."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest

from restore.candidates.features import CANDIDATE_FEATURES, RIVAL_CLIP
from restore.model.scorer import CONSTANT_STD, CandidateScorer
from restore.candidates.ngram import NGRAM_FILE, NgramLM, ngram_word, ngram_words
from tests.test_candidates import _with_toy_candidates

# A bigram model in ARPA format (log10): after "officials", "said" is likely and the rest rare.
ARPA = """\\data\\
ngram 1=8
ngram 2=5

\\1-grams:
-1.5\t<unk>\t0
-99\t<s>\t-0.3
-0.7\t</s>\t0
-0.9\tofficials\t-0.2
-0.8\tsaid\t-0.2
-2.0\tmentioned\t-0.2
-2.2\ttold\t-0.2
-1.0\t.\t-0.2

\\2-grams:
-0.3\t<s> officials
-0.1\tofficials said
-0.5\tsaid .
-0.2\t. </s>
-0.4\tmentioned .

\\end\\
"""
LN10 = math.log(10)
# The same words as a trigram model: "officials said ." is likelier than its parts say.
ARPA3 = ARPA.replace("ngram 2=5\n", "ngram 2=5\nngram 3=2\n").replace(
    "-0.4\tmentioned .\n", "-0.4\tmentioned .\n\n\\3-grams:\n-0.05\tofficials said .\n-0.1\t<s> officials said\n")


@pytest.fixture()
def arpa(tmp_path: Path) -> Path:
    path = tmp_path / "toy.arpa"
    path.write_text(ARPA)
    return path


def test_ngram_model_scores_a_sentence_in_natural_log(arpa: Path) -> None:
    lm = NgramLM(arpa)
    assert lm.order == 2 and lm.info().startswith("kenlm:2-gram:toy.arpa:")
    assert ngram_words("Officials said.") == ["officials", "said", "."]
    # <s> officials, officials said, said ., . </s>: all seen as bigrams
    assert lm.logprob(["officials", "said", "."]) == pytest.approx((-0.3 - 0.1 - 0.5 - 0.2) * LN10, abs=1e-4)
    # officials mentioned: backs off to mentioned (-2.0) with officials' back-off (-0.2)
    assert lm.logprob(["officials", "mentioned", "."]) == pytest.approx((-0.3 - 0.2 - 2.0 - 0.4 - 0.2) * LN10, abs=1e-4)
    with pytest.raises(FileNotFoundError, match="no n-gram model"):
        NgramLM(arpa.parent / "missing.bin")


def test_editor_reads_the_ngram_fit_of_each_candidate(tiny_model_dir: Path, tmp_path: Path, arpa: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    text = "Officials mentioned."
    plain = _with_toy_candidates(model, None, decoys=True)
    assert plain.ngram is None
    _, candidates = plain.propose_all([text])[0]
    assert candidates and all(c.features[-2:] == (0.0, 0.0) for c in candidates)  # no model, no signal

    shutil.copy(arpa, model / NGRAM_FILE)  # KenLM reads ARPA text as well as its binary
    editor = _with_toy_candidates(model, None, decoys=True)
    assert isinstance(editor.ngram, NgramLM)
    _, candidates = editor.propose_all([text])[0]
    fits = {c.source: c.features[CANDIDATE_FEATURES.index("ngram fit")] for c in candidates}
    leads = {c.source: c.features[CANDIDATE_FEATURES.index("ngram fit lead")] for c in candidates}
    as_is = editor.ngram.logprob(["officials", "mentioned", "."])
    assert set(fits) == {"said", "told"}
    assert fits["said"] == pytest.approx(editor.ngram.logprob(["officials", "said", "."]) - as_is)
    assert fits["told"] == pytest.approx(editor.ngram.logprob(["officials", "told", "."]) - as_is)
    assert fits["said"] > 0 > fits["told"]
    lead = min(RIVAL_CLIP, fits["said"] - fits["told"])
    assert leads == pytest.approx({"said": lead, "told": -lead})
    # the card names it (training.ngram writes ngram.json beside it)
    from training import export

    (model / "ngram.json").write_text(json.dumps({"words": 1234, "order": 2, "prune": [0, 0], "bytes": 2_000_000}))
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"command": "c", "started": "now", "signature": "sig", "scores": {}}))
    monkeypatch.setattr(export, "REPORT", report)
    assert "`ngram.bin` (`python -m training.ngram`): a 2-gram KenLM model" in export.update_card(model).read_text()


def test_ngram_words_write_out_the_contractions_with_one_reading() -> None:
    assert ngram_words("They’re sure he hasn't, and I'm not; we can't.") == [
        "they are", "sure", "he", "has not", ",", "and", "i am", "not", ";", "we", "can not", "."]
    assert [ngram_word(w) for w in ("won't", "You'll", "we've", "it's", "she'd", "n't")] == [
        "will not", "you will", "we have", "it's", "she'd", "n't"]  # 's and 'd have two readings


def test_ngram_fit_is_silent_on_contracting(arpa: Path) -> None:
    lm = NgramLM(arpa)
    contracted, written_out = ngram_words("Officials haven't said."), ngram_words("Officials have not said.")
    assert contracted[1] == written_out[1] + " " + written_out[2]
    assert lm.logprob(contracted) == lm.logprob(written_out)


@pytest.mark.parametrize("text", [ARPA, ARPA3])
def test_a_reading_scores_a_replacement_as_the_whole_unit_would(tmp_path: Path, text: str) -> None:
    """NgramReading.fit reads only the replacement and the words after it that can see it, yet
    gives the whole unit's difference: every run, replacements of other lengths, unknown words,
    entries of two words (written-out contractions), the unit's end."""
    path = tmp_path / "lm.arpa"
    path.write_text(text)
    lm = NgramLM(path)
    words = ngram_words("Officials said. Officials haven't told, officials mentioned.")
    reading = lm.reading(words)
    replacements = [["said"], ["said", "."], ["has not"], ["zebra", "officials"], ["."], ["officials", "said", "told"]]
    for a in range(len(words)):
        for z in range(a + 1, min(len(words), a + 3) + 1):
            for replacement in replacements:
                whole = lm.logprob(words[:a] + replacement + words[z:]) - lm.logprob(words)
                assert reading.fit(a, z, replacement) == pytest.approx(whole, abs=1e-4), (a, z, replacement)
    assert reading.fit(0, 1, ["officials"]) == 0.0


def _scorer_reading(index: int, n: int = len(CANDIDATE_FEATURES)) -> CandidateScorer:
    weights = [0.0] * n
    weights[index] = 1.0
    return CandidateScorer([0.0] * n, [1.0] * n, [weights], [0.0], [1.0], 0.0)


def test_a_scorer_fitted_with_the_ngram_model_needs_it(tiny_model_dir: Path, tmp_path: Path, arpa: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    fitted_with = _scorer_reading(CANDIDATE_FEATURES.index("ngram fit"))
    with pytest.raises(ValueError, match="fitted with an n-gram model"):
        _with_toy_candidates(model, fitted_with)
    assert _with_toy_candidates(model, _scorer_reading(0)).ngram is None  # a scorer without it loads as before
    shutil.copy(arpa, model / NGRAM_FILE)
    assert isinstance(_with_toy_candidates(model, fitted_with).ngram, NgramLM)


def test_a_feature_constant_at_fitting_cannot_sway_the_scorer() -> None:
    rows = [(float(i % 5) - 2.0, 0.0) for i in range(40)]  # the second feature: a source not there yet
    scorer = CandidateScorer.fit(rows, [r[0] > 0 for r in rows], hidden=3, steps=50)
    assert scorer.std[1] == CONSTANT_STD and not scorer.reads(1) and scorer.reads(0)
    later = [(r[0], 7.5) for r in rows]  # the source added after the fit
    assert scorer.many(later) == scorer.many(rows)


def test_ngram_command_needs_kenlm_tools_and_says_so(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from training.ngram import kenlm_tool, main

    with pytest.raises(SystemExit, match="lmplz is not in"):
        kenlm_tool("lmplz", str(tmp_path))
    with pytest.raises(SystemExit, match="lmplz is not in"):
        main([str(tmp_path), "--kenlm_bin", str(tmp_path)])
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--prune", "1", "0"])
    assert "--prune must start at 0 and never decrease" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--bits", "0"])
    assert "--bits must be between 1 and 25" in capsys.readouterr().err


@pytest.mark.skipif(not (shutil.which("lmplz") and shutil.which("build_binary")),
                    reason="KenLM's lmplz and build_binary are not on PATH (built from source, see README)")
def test_ngram_command_writes_a_model_the_editor_reads(toy_pairs_dir: Path, tmp_path: Path) -> None:
    from training.ngram import main

    model = tmp_path / "model"
    model.mkdir()
    target = main([str(model), "--pairs", str(toy_pairs_dir), "--order", "3", "--prune", "0", "--no-progress"])
    assert target == model / NGRAM_FILE and json.loads((model / "ngram.json").read_text())["bits"] == 6
    lm = NgramLM(target)
    assert lm.order == 3
    clean = ngram_words("The minister said the talks were over before noon.")
    spun = ngram_words("The minister mentioned the talks had been over earlier than noon.")
    assert lm.logprob(clean) > lm.logprob(spun)
