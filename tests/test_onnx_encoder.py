"""The fast path: length-bucketed encoder batches and the int8 ONNX encoder beside the network's own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from restore import Restorer
from restore.model.encoding import length_batches
from restore.model.onnx_encoder import ENCODER_FILE, OnnxEncoder
from restore.restorer import ModelLoadError


def test_length_batches_keep_every_unit_once_within_their_limits() -> None:
    lengths = [5, 90, 12, 12, 40, 3, 130, 41, 7, 7, 7, 7]
    batches = length_batches(lengths, batch_size=3, max_tokens=100)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        padded = max(lengths[i] for i in batch) * len(batch)
        assert len(batch) <= 3 and (padded <= 100 or len(batch) == 1)
        assert lengths[batch[0]] == max(lengths[i] for i in batch)  # longest first
    assert [6] in batches and [1] in batches  # longer than the budget allows with company: alone
    assert length_batches([], 4, 100) == []


@pytest.fixture(scope="module")
def onnx_model_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model with its int8 encoder, exported by training.export_encoder."""
    from training import export_encoder

    folder = tmp_path_factory.mktemp("onnx") / "model"
    shutil.copytree(tiny_model_dir, folder)
    export_encoder.main([str(folder)])
    return folder


def test_exported_encoder_tags_as_the_network_does(onnx_model_dir: Path) -> None:
    """Same keep probabilities within the int8 rounding, and the same output shapes."""
    fast = Restorer.from_pretrained(str(onnx_model_dir), dtype="float32")
    reference = Restorer.from_pretrained(str(onnx_model_dir), dtype="float32", encoder="torch")
    assert isinstance(fast.editor.encoder, OnnxEncoder) and fast.editor.encoder.path.name == ENCODER_FILE
    assert reference.editor.encoder is None
    units = ["Officials mentioned the information convention was cancelled.", "A short one.",
             "The minister stated that the brand new plan will be applied in the japanese region next year."]
    got, want = fast.editor.keep_probabilities(units), reference.editor.keep_probabilities(units)
    assert [len(g) for g in got] == [len(w) for w in want]
    pairs = [(g, w) for gs, ws in zip(got, want) for g, w in zip(gs, ws)]
    assert all((g is None) == (w is None) for g, w in pairs)
    assert max(abs(g - w) for g, w in pairs if g is not None) < 0.1
    text = "\n\n".join(units)
    assert fast.explain(text).text == fast.fix(text)  # a working restorer, edits replayable


def test_encoder_choice_is_checked(tiny_model_dir: Path, onnx_model_dir: Path) -> None:
    with pytest.raises(ValueError, match="encoder must be one of auto, onnx, torch"):
        Restorer.from_pretrained(str(onnx_model_dir), encoder="tensorrt")
    with pytest.raises(ModelLoadError, match=f"has no {ENCODER_FILE}.*training.export_encoder"):
        Restorer.from_pretrained(str(tiny_model_dir), encoder="onnx")
    assert Restorer.from_pretrained(str(tiny_model_dir)).editor.encoder is None  # auto: none there, torch's


def test_export_refuses_an_encoder_that_strays(tiny_model_dir: Path, tmp_path: Path) -> None:
    from training.export_encoder import export_encoder

    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    with pytest.raises(SystemExit, match="differ by up to"):
        export_encoder(folder, tolerance=0.0)
    assert not (folder / ENCODER_FILE).exists()


def test_cli_takes_the_encoder(onnx_model_dir: Path, tmp_path: Path) -> None:
    from restore.cli import main

    src = tmp_path / "in.txt"
    src.write_text("Officials mentioned the information convention was cancelled.\n")
    outputs = []
    for encoder in ("onnx", "torch"):
        out = tmp_path / f"{encoder}.txt"
        assert main(["fix", str(src), "--model", str(onnx_model_dir), "--encoder", encoder, "-o", str(out)]) in (0, None)
        outputs.append(out.read_text())
    assert all(o.strip() for o in outputs)


def test_speed_benchmark_times_the_reference_path_in_the_same_run(
        onnx_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from benchmarks import speed

    text = "Officials mentioned the information convention was cancelled.\n\nThe minister stated the plan is over."
    monkeypatch.setattr(speed, "article", lambda n_words: text)
    out = tmp_path / "speed.json"
    result = speed.main(["--model", str(onnx_model_dir), "--repeats", "1", "--output", str(out)])
    assert json.loads(out.read_text()) == result
    assert result["encoder"] == f"onnx:{ENCODER_FILE}" and result["words"] == len(text.split())
    stages = result["profiled_stage_seconds"]
    assert {"encoder (tagging)", "candidate features", "candidate scorer", "gates", "rest (reassembly, glue)"} <= set(stages)
    assert stages["encoder (tagging)"] > 0
    reference = result["reference"]
    assert reference["encoder"] == "torch" and reference["speedup_best"] > 0 and isinstance(reference["same_output"], bool)
    one = result["one_round"]  # two rounds by default: the same editor is timed in one as well
    assert result["rounds"] == 2 and one["speedup_best"] > 0 and isinstance(one["same_output"], bool)
    torch_only = speed.main(["--model", str(onnx_model_dir), "--repeats", "1", "--output", str(out), "--encoder", "torch",
                             "--rounds", "1"])
    assert torch_only["encoder"] == "torch" and "reference" not in torch_only
    assert torch_only["rounds"] == 1 and "one_round" not in torch_only


def test_card_compares_the_fast_path_with_the_reference(tmp_path: Path) -> None:
    import json

    from training.export import reference_comparison

    report = tmp_path / "report.json"
    assert reference_comparison(report) == ""  # no report yet
    system = {"status": "ok", "words_per_s": 2000.0, "load_s": 3.5, "peak_rss_mb": 860.0}
    scores = {"news": {"seq2seq": {"spin_removed": 0.600, "damage": 0.0094},
                       "seq2seq-torch": {"spin_removed": 0.597, "damage": 0.0093}},
              "clean": {"seq2seq": {"spin_removed": None, "damage": 0.0032},
                        "seq2seq-torch": {"spin_removed": None, "damage": 0.0030}}}
    report.write_text(json.dumps({"command": "python -m benchmarks.run", "started": "today", "scores": scores,
                                  "systems": {"seq2seq": system}}))
    assert reference_comparison(report) == ""  # the reference path was not run
    report.write_text(json.dumps({"command": "python -m benchmarks.run", "started": "today", "scores": scores, "systems": {
        "seq2seq": system, "seq2seq-torch": {**system, "words_per_s": 1500.0, "load_s": 6.0, "peak_rss_mb": 1200.0}}}))
    sentence = reference_comparison(report)
    assert "2,000 words/s against 1,500" in sentence and "load 3.5 s against 6.0 s" in sentence
    assert "within 0.3 points and damage within 0.02 points" in sentence


def test_without_onnxruntime_or_off_the_cpu_auto_falls_back_and_onnx_says_why(
        onnx_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from restore.model.onnx_encoder import onnx_encoder_for

    path = str(onnx_model_dir / ENCODER_FILE)
    assert onnx_encoder_for(path, "torch", "cpu") is None
    assert onnx_encoder_for(path, "auto", "cuda") is None
    with pytest.raises(ValueError, match="the device is cuda"):
        onnx_encoder_for(path, "onnx", "cuda")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # as if not installed: importing it fails
    assert onnx_encoder_for(path, "auto", "cpu") is None
    with pytest.raises(ValueError, match="pip install onnxruntime"):
        onnx_encoder_for(path, "onnx", "cpu")


def test_a_damaged_encoder_file_is_a_load_error(tiny_model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(tiny_model_dir, folder)
    (folder / ENCODER_FILE).write_bytes(b"not an onnx model")
    with pytest.raises(ModelLoadError, match="could not load the model"):
        Restorer.from_pretrained(str(folder))
    assert Restorer.from_pretrained(str(folder), encoder="torch").fix("They mentioned it.")  # the reference path still runs


def test_subword_encoder_encodes_as_the_transformers_tokenizer(tiny_model_dir: Path) -> None:
    """Same ids, mask, offsets and lengths as PreTrainedTokenizerFast of the same tokenizer.json,
    truncated and padded alike, special tokens included."""
    from transformers import PreTrainedTokenizerFast

    from restore.model.encoding import SubwordEncoder

    reference = PreTrainedTokenizerFast.from_pretrained(str(tiny_model_dir))
    subwords = SubwordEncoder.from_file(tiny_model_dir / "tokenizer.json")
    units = ["Officials mentioned the information convention.", "", "Don’t “quote” me — café 1,000.5%",
             "  spaced   out  ", "word " * 300]
    for max_length in (256, 12):
        want = reference(units, truncation=True, max_length=max_length, padding=True,
                         return_offsets_mapping=True, return_tensors="np")
        encoded = subwords.encode(units, max_length)
        ids, mask, offsets = subwords.pad(encoded)
        assert ids.tolist() == want["input_ids"].tolist()
        assert mask.tolist() == want["attention_mask"].tolist()
        assert offsets == [[tuple(o) for o in row] for row in want["offset_mapping"].tolist()]
        assert [len(e.ids) for e in encoded] == [int(m.sum()) for m in want["attention_mask"]]
    assert subwords.token_id("<pad>") == reference.pad_token_id == subwords.pad_id
    with pytest.raises(KeyError, match="no token"):
        subwords.token_id("<no such token>")


def test_the_fast_path_loads_neither_torch_nor_transformers(onnx_model_dir: Path) -> None:
    """With the int8 encoder and the decoder off, a restorer loads and fixes text without
    importing torch or transformers (their import is most of the load time)."""
    import json
    import subprocess
    import sys

    folder = onnx_model_dir.parent / "decoder_off"
    if not folder.exists():
        shutil.copytree(onnx_model_dir, folder)
        config = json.loads((folder / "config.json").read_text())
        config.setdefault("restore", {})["keep_threshold"] = 0.0  # the shipped setting: the decoder never writes
        (folder / "config.json").write_text(json.dumps(config))
    script = (
        "import sys, restore\n"
        f"r = restore.Restorer.from_pretrained({str(folder)!r})\n"
        "r.fix('Officials mentioned the information convention was cancelled.')\n"
        "r.editor.keep_probabilities(['A short one.'])\n"
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules), r.editor.network_loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split("\n")[-2] == "[] False"


def test_model_files_are_read_from_a_folder_without_the_hub(tmp_path: Path) -> None:
    from restore.model.editor import model_file

    (tmp_path / "config.json").write_text("{}")
    assert model_file(str(tmp_path), "config.json") == str(tmp_path / "config.json")
    assert model_file(str(tmp_path), ENCODER_FILE, required=False) is None
    with pytest.raises(OSError, match="does not have a file named model.safetensors"):
        model_file(str(tmp_path), "model.safetensors")


def test_threads_reach_the_int8_encoder(onnx_model_dir: Path) -> None:
    """``threads`` (what each corpus worker passes) sets the encoder's session, torch or not."""
    from restore.batch.job import ModelSpec

    one = ModelSpec(str(onnx_model_dir), threads=1).load()
    assert one.editor.encoder.session.get_session_options().intra_op_num_threads == 1
    assert Restorer.from_pretrained(str(onnx_model_dir), threads=2).editor.encoder.session.get_session_options().intra_op_num_threads == 2
