"""Training and export with the tiny preset, end to end through the real Trainer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restore.edits import apply_edits
from restore.model.editor import Seq2SeqEditor
from restore.model.encoding import encode_pair
from training import train


def test_tiny_run_logs_a_learning_curve(tiny_run: Path) -> None:
    config = json.loads((tiny_run / "run_config.json").read_text())
    assert config["preset"] == "tiny" and config["model"]["d_model"] == 64
    summary = json.loads((tiny_run / "final" / "train_summary.json").read_text())
    assert summary["global_step"] == 60
    assert "eval_spin_removed" in summary and "eval_damage" in summary
    state = json.loads(sorted(tiny_run.glob("checkpoint-*/trainer_state.json"))[-1].read_text())
    assert any("eval_spin_removed" in row for row in state["log_history"])


def test_export_writes_fp16_safetensors_and_a_card(tiny_model_dir: Path) -> None:
    from safetensors import safe_open

    names = {p.name for p in tiny_model_dir.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json", "README.md"} <= names
    with safe_open(str(tiny_model_dir / "model.safetensors"), "pt") as f:
        dtypes = {str(f.get_tensor(k).dtype) for k in f.keys()}
    assert dtypes == {"torch.float16"}
    card = (tiny_model_dir / "README.md").read_text()
    assert "Learning curve" in card and "| 60 |" in card
    assert "warmup steps" in card  # the learning-rate schedule
    assert "training wall time" in card and "unknown" not in card


def test_training_seconds_add_up_over_resumed_runs() -> None:
    from training.export import training_seconds

    first = [{"step": 50, "train_runtime": 60.0}, {"step": 100, "train_runtime": 120.0}, {"step": 100, "eval_loss": 2.0}]
    resumed = [{"step": 150, "train_runtime": 50.0}, {"step": 200, "train_runtime": 90.0}]
    assert training_seconds(first) == 120.0
    assert training_seconds(first + resumed) == 210.0
    assert training_seconds([{"step": 100, "eval_loss": 2.0}]) is None


def test_exported_model_proposes_replayable_edits(tiny_model_dir: Path) -> None:
    editor = Seq2SeqEditor.from_pretrained(str(tiny_model_dir))
    units = ["The minister mentioned the talks had been over earlier than noon.", "Nothing here.", ""]
    proposals = editor.propose(units)
    assert len(proposals) == 3 and proposals[2] == []
    for unit, edits in zip(units, proposals):
        restored = apply_edits(unit, edits)  # raises if edits overlap or do not match
        assert isinstance(restored, str)
        assert all(0.0 <= e.confidence <= 1.0 for e in edits)
    assert editor.propose(units) == proposals  # deterministic


def test_protected_tokens_are_never_edited(tiny_model_dir: Path) -> None:
    editor = Seq2SeqEditor.from_pretrained(str(tiny_model_dir))
    unit = "The minister mentioned the talks had been over earlier than noon."
    from restore.text import tokenize

    everything = [[True] * len(tokenize(unit))]
    assert editor.propose([unit], everything) == [[]]


def test_encoded_pair_is_aligned(tiny_model_dir: Path) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_model_dir))
    row = encode_pair(tokenizer, "He mentioned the talks.", "He said the talks.", 64, 32)
    assert len(row["input_ids"]) == len(row["tag_labels"]) == len(row["span_ids"])
    assert 1 in row["tag_labels"] and set(row["span_ids"]) == {0, 1}
    # echo: <e1> mentioned <sep> said </s>; only the replacement and what ends it are predicted
    words = tokenizer(" mentioned", add_special_tokens=False)["input_ids"]
    said = tokenizer(" said", add_special_tokens=False)["input_ids"]
    e1, sep, eos = tokenizer.convert_tokens_to_ids("<e1>"), tokenizer.convert_tokens_to_ids("<sep>"), tokenizer.eos_token_id
    assert row["decoder_tokens"] == [e1, *words, sep, *said, eos]
    assert row["labels"] == [e1] + [-100] * (len(words) + 1) + [*said, eos]
    plain = encode_pair(tokenizer, "He mentioned the talks.", "He said the talks.", 64, 32, echo=False)
    assert plain["decoder_tokens"] == plain["labels"] == [e1, *said, eos]


def test_echo_processor_forces_the_format() -> None:
    from restore.model.echo import EchoSpans
    from restore.model.formulation import free_tokens

    markers, eos, sep = [10, 11, 12], 2, 5
    segments = [[[10, 50, 51, sep], [11, 60, sep]]]
    echo = EchoSpans(segments, markers, eos, special_ids=[sep, *markers])
    assert echo.next_token(0, []) == (10, True)
    assert echo.next_token(0, [10, 50]) == (51, True)
    assert echo.next_token(0, [10, 50, 51, sep]) == (11, False)  # free: may end with the next marker only
    assert echo.next_token(0, [10, 50, 51, sep, 70]) == (11, False)
    assert echo.next_token(0, [10, 50, 51, sep, 70, 11]) == (60, True)
    assert echo.next_token(0, [10, 50, 51, sep, 70, 11, 60, sep]) == (eos, False)
    assert free_tokens([11, 60, sep]) == 6  # a one-subword span may grow to six subwords, no more
    assert echo.next_token(0, [10, 50, 51, sep, 70, 11, 60, sep] + [7] * 5) == (eos, False)
    assert echo.next_token(0, [10, 50, 51, sep, 70, 11, 60, sep] + [7] * 6) == (eos, True)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--preset", "huge", "--output_dir", "x"])
    with pytest.raises(ValueError):
        train.ModelArguments(d_model=30, attention_heads=4)


def test_wall_clock_schedule_warms_up_holds_then_decays_to_zero() -> None:
    now = [0.0]
    factor = train.wall_clock_schedule(warmup_steps=4, deadline=100.0, decay_seconds=20.0, clock=lambda: now[0])
    assert factor(0) == pytest.approx(0.25) and factor(3) == 1.0
    now[0] = 70.0
    assert factor(50) == 1.0
    now[0] = 90.0
    assert factor(50) == pytest.approx(0.5)
    now[0] = 120.0
    assert factor(50) == 0.0
    with pytest.raises(ValueError):
        train.DataArguments(time_decay_fraction=0.5)  # needs a time limit
    with pytest.raises(ValueError):
        train.DataArguments(time_limit_minutes=1.0, time_decay_fraction=1.0)
    _, data_args, train_args, _ = train.parse_args(["--preset", "gpu", "--output_dir", "x"])  # parses without a GPU
    assert data_args.time_limit_minutes and data_args.time_decay_fraction and not train_args.bf16


def test_time_bounded_run_decays_its_learning_rate(toy_pairs_dir: Path, tiny_run: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "timed"
    train.main([
        "--preset", "tiny", "--output_dir", str(run_dir), "--pairs", str(toy_pairs_dir),
        "--tokenizer", str(tiny_run.parent / "tokenizer"), "--max_steps", "100000", "--logging_steps", "1",
        "--eval_steps", "100000", "--save_steps", "100000", "--warmup_steps", "1",
        "--time_limit_minutes", "0.25", "--time_decay_fraction", "0.8", "--disable_tqdm", "true",
    ])
    state = json.loads(next(run_dir.glob("checkpoint-*/trainer_state.json")).read_text())
    rates = [e["learning_rate"] for e in state["log_history"] if "learning_rate" in e]
    assert state["global_step"] < 100000 and len(rates) >= 3
    assert rates[-1] < 0.5 * max(rates)
    assert all(later <= earlier for earlier, later in zip(rates[1:], rates[2:]))


def test_non_finite_loss_stops_training_before_it_is_saved() -> None:
    from transformers import TrainerControl, TrainerState

    guard, state = train.StopOnNonFinite(), TrainerState(global_step=40)
    control = guard.on_log(None, state, TrainerControl(should_save=True), logs={"loss": 1.2, "grad_norm": 0.4})
    assert guard.step is None and control.should_save and not control.should_training_stop
    control = guard.on_log(None, state, TrainerControl(should_save=True), logs={"loss": 1.2, "grad_norm": float("nan")})
    assert guard.step == 40 and control.should_training_stop and not control.should_save


def test_generation_stays_inside_the_decoder_positions(tiny_model_dir: Path) -> None:
    # Flag every other token (the rest protected): the decoder then has dozens of spans to fill
    # and, never allowed to stop, must halt at its last learned position instead of running past it.
    from restore.text import tokenize

    editor = Seq2SeqEditor.from_pretrained(str(tiny_model_dir), keep_threshold=1.01)
    editor.model.generation_config.suppress_tokens = [editor.tokenizer.eos_token_id]
    unit = " ".join(["the talks had been over earlier than noon"] * 12)
    every_other = [k % 2 == 1 for k in range(len(tokenize(unit)))]
    (edits,) = editor.propose([unit], [every_other])
    assert isinstance(apply_edits(unit, edits), str)
    # One word of hundreds of subwords: its echo leaves no room to write, so it is left as it is.
    assert editor.propose(["zq" * 150]) == [[]]


def test_update_card_takes_scores_from_the_report(tiny_model_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from training import export

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    report = tmp_path / "report.json"
    row = {"spin_removed": 0.61, "damage": 0.004, "precision": 0.8, "recall": 0.6, "f0.5": 0.75, "words_per_s": 1234.0}
    report.write_text(json.dumps({"command": "python -m benchmarks.run", "started": "now", "signature": "sig",
                                  "systems": {"seq2seq": {"info": {"dtype": "bfloat16"}}},
                                  "scores": {"news": {"seq2seq": row}}}))
    monkeypatch.setattr(export, "REPORT", report)
    (model / "candidates.json").write_text(json.dumps({  # as training.candidates writes it, with a note added by hand
        "profiles": ["news", "tortured"], "spun_phrases": 1000, "counted_units": 10, "restored": 5, "seen": 9,
        "context_documents": 3, "context_sources": ["wikinews"], "unigrams": 7, "bigrams": 8, "spin_units": {},
        "note": "Rebuilt after the tables changed; the scorer was kept."}))
    export.update_card(model)
    card = (model / "README.md").read_text()
    assert "news, tortured spinner profiles (1,000 spun phrases)" in card and "8 word pairs). Rebuilt after the tables changed; the scorer was kept." in card
    assert "| news | seq2seq | 0.610 | 0.0040 | 0.800 | 0.600 | 0.750 | 1,234 |" in card
    assert "(the network in bfloat16, as" in card  # words/s depend on it
    assert card.count("## Benchmark") == 1 and "Learning curve" in card


def test_calibrate_writes_the_chosen_thresholds(tiny_model_dir: Path, toy_pairs_dir: Path, tmp_path: Path, monkeypatch) -> None:
    import shutil

    from training import calibrate

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    best = calibrate.main([str(model), "--pairs", str(toy_pairs_dir), "--samples", "12"])
    settings = json.loads((model / "config.json").read_text())["restore"]
    assert settings["keep_threshold"] == best["keep_threshold"] in calibrate.KEEP_THRESHOLDS
    assert settings["min_confidence"] == best["min_confidence"]
    assert best["min_confidence"] in calibrate.MIN_CONFIDENCES + calibrate.GATE_MIN_CONFIDENCES
    assert settings["min_evidence"] == best["min_evidence"] and settings["sure_confidence"] == best["sure_confidence"]
    record = json.loads((model / "calibration.json").read_text())
    gates = (len(calibrate.EVIDENCE_CONFIDENCES) * len(calibrate.MIN_EVIDENCES) * len(calibrate.SURE_CONFIDENCES)
             * len(calibrate.DOCUMENT_EVIDENCES))
    assert len(record["grid"]) == (len(calibrate.KEEP_THRESHOLDS) * len(calibrate.MIN_CONFIDENCES)  # no candidate tables
                                   + len(calibrate.GATE_KEEP_THRESHOLDS) * gates * len(calibrate.GATE_MIN_CONFIDENCES))
    assert record["candidate_scorer"] is None and settings["candidate_keep_threshold"] == 0.0
    assert Seq2SeqEditor.from_pretrained(str(model)).min_confidence == best["min_confidence"]
    # the card says what was calibrated on
    from training import export

    report = tmp_path / "report.json"
    report.write_text(json.dumps({"command": "c", "started": "now", "signature": "sig", "scores": {}}))
    monkeypatch.setattr(export, "REPORT", report)
    card = export.update_card(model).read_text()
    assert f"{record['samples']} units of the pairs' validation split, 0 held-out news units" in card
    assert f"min_confidence {best['min_confidence']}" in card


def test_unit_gate_holds_back_edits_where_a_unit_does_not_look_spun() -> None:
    from restore.edits import Edit
    from restore.model.gates import gated

    lone = [Edit(0, 3, "foo", "bar", confidence=0.7), Edit(4, 7, "baz", "qux", confidence=0.2)]
    dense = lone + [Edit(8, 11, "abc", "def", confidence=0.6), Edit(12, 15, "ghi", "jkl", confidence=0.95)]
    assert len(gated(lone, 0.5)) == 1  # no gate: the floor alone
    assert gated(lone, 0.5, min_evidence=2, evidence_confidence=0.5) == []  # one likely spin: not spun
    assert len(gated(dense, 0.5, min_evidence=2, evidence_confidence=0.5)) == 3
    sure = [Edit(0, 3, "foo", "bar", confidence=0.97)]
    assert gated(sure, 0.5, min_evidence=2, sure_confidence=0.95) == sure  # sure enough alone
    assert gated(sure, 0.5, min_evidence=2, sure_confidence=1.01) == []


def test_document_gate_lets_a_spun_documents_sparse_units_through() -> None:
    from restore.edits import Edit
    from restore.model.gates import gated, gated_document

    sparse = [Edit(0, 3, "foo", "bar", confidence=0.7)]
    dense = [Edit(k, k + 3, "abc", "def", confidence=0.8) for k in range(0, 20, 4)]
    doc = [sparse, dense]  # 1 + 5 likely spins over 2 units: 3 a unit
    gate = {"min_evidence": 3, "evidence_confidence": 0.5, "sure_confidence": 1.01}
    assert gated_document(doc, 0.5, **gate) == [gated(sparse, 0.5, **gate), dense] == [[], dense]
    assert gated_document(doc, 0.5, **gate, document_evidence=3.0) == [sparse, dense]
    assert gated_document(doc, 0.5, **gate, document_evidence=3.5) == [[], dense]  # not dense enough
    assert gated_document([sparse], 0.5, **gate, document_evidence=0.5) == [[]]  # one unit: its own case
    assert gated_document(doc, 0.75, **gate, document_evidence=3.0) == [[], dense]  # the floor still holds


def test_cached_choices_gate_as_the_plain_gates_do() -> None:
    """The calibration grid's cache (training.calibrate.CachedChoices) answers every row
    exactly as the uncached gates, row after row over the same proposal lists."""
    import random

    from restore.edits import Edit, apply_edits
    from restore.model.gates import gated_document
    from training.calibrate import CachedChoices

    rng = random.Random(3)
    text = "abc def ghi jkl mno pqr stu vwx"
    units = [[Edit(k, k + 3, text[k:k + 3], "X" * rng.randint(1, 4), confidence=rng.random())
              for k in rng.sample(range(0, 28, 4), rng.randint(0, 6))] for _ in range(12)]
    documents = [units[:5], units[5:6], units[6:]]
    cache = CachedChoices()
    for _ in range(2):  # the second pass answers from the cache
        for floor in (0.3, 0.6):
            for gate in ({}, {"min_evidence": 2, "evidence_confidence": 0.5, "sure_confidence": 0.9,
                              "document_evidence": 1.0}):
                for doc in documents:
                    plain = gated_document(doc, floor, **gate)
                    cached = gated_document(doc, floor, **gate, choose=cache)
                    assert cached == plain
                    assert [cache.applied(text, c) for c in cached] == [apply_edits(text, c) for c in plain]
    assert any(len(c) for doc in documents for c in gated_document(doc, 0.3, choose=cache))


def test_card_words_the_gates() -> None:
    from training.export import _gate_words

    gate = {"min_evidence": 4, "evidence_confidence": 0.3, "sure_confidence": 0.85}
    assert _gate_words({"min_evidence": 0}) == ""
    assert "fewer than 4 edits at confidence 0.3 or above gets only edits at 0.85" in _gate_words(gate)
    assert "on average" not in _gate_words({**gate, "document_evidence": 0.0})
    assert "have 3 such edits a unit or more on average, every unit counts as spun" in _gate_words({**gate, "document_evidence": 3.0})


def test_calibrate_prefers_spin_removed_within_bounds() -> None:
    from training.calibrate import choose

    rows = [
        {"keep_threshold": 0.5, "min_confidence": 0.0, "spin_removed": 0.5, "damage": 0.02, "clean_changes": 0.0},
        {"keep_threshold": 0.3, "min_confidence": 0.5, "spin_removed": 0.3, "damage": 0.005, "clean_changes": 0.001},
        {"keep_threshold": 0.3, "min_confidence": 0.9, "spin_removed": 0.1, "damage": 0.001, "clean_changes": 0.0},
    ]
    assert choose(rows, 0.01, 0.003)["min_confidence"] == 0.5
    assert choose(rows, 0.0001, 0.0)["min_confidence"] == 0.9  # nothing within bounds: least damage


def test_export_carries_the_training_history_of_the_model_it_started_from(
    toy_pairs_dir: Path, tiny_run: Path, tiny_model_dir: Path, tmp_path: Path
) -> None:
    from training.export import HISTORY_FILE, export

    first = json.loads((tiny_model_dir / HISTORY_FILE).read_text())
    assert len(first) == 1 and first[0]["started_from"] is None and first[0]["steps"] == 60
    assert first[0]["tokens"] > 0 and first[0]["hardware"]
    run_dir = train.main([
        "--preset", "tiny", "--output_dir", str(tmp_path / "more"), "--pairs", str(toy_pairs_dir),
        "--init_from", str(tiny_model_dir), "--max_steps", "4", "--eval_steps", "4", "--save_steps", "4",
        "--disable_tqdm", "true",
    ])
    config = json.loads((run_dir / "run_config.json").read_text())
    assert config["model"]["d_model"] == 64  # the started-from model's architecture, not the preset's 32
    model = export(run_dir, tmp_path / "model")
    history = json.loads((model / HISTORY_FILE).read_text())
    assert [h["steps"] for h in history] == [60, 4] and history[1]["started_from"] == str(tiny_model_dir)
    card = (model / "README.md").read_text()
    assert "Every run behind these weights" in card and f"In all: 64 steps, {first[0]['tokens'] + history[1]['tokens']:,}" in card
    assert f"started from `{tiny_model_dir}`" in card


def test_a_continued_model_keeps_the_formulation_comparison_of_its_card(tmp_path: Path) -> None:
    from training.export import FORMULATION_HEADING, formulation_section

    start = tmp_path / "start"
    start.mkdir()
    (start / "README.md").write_text(
        f"# card\n\n## Training\n\nruns\n\n{FORMULATION_HEADING} (on a predecessor)\n\n| a | b |\n\n"
        "(Carried over from the card of `older`, the model this run started from.)\n\n## Benchmark\n\nscores\n"
    )
    section = "\n".join(formulation_section(str(start)))
    assert section.count("Carried over") == 1 and f"`{start}`" in section
    assert "| a | b |" in section and "## Benchmark" not in section and "## Training" not in section
    assert formulation_section(None) == [] and formulation_section(str(tmp_path / "missing")) == []
