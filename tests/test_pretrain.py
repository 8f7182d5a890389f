"""Denoising pre-training on a tiny corpus, through the real datasets pipeline and Trainer,
then fine-tuning from it."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from restore.edits import align
from restore.model.formulation import MASK
from restore.text import protected_mask, tokenize
from tests.conftest import TOY_SENTENCES
from training import pretrain, train

MORE = [
    "The committee met again in the spring and approved the new budget for the schools.",
    "Most of the farmers said the rain came too late for the wheat in the eastern fields.",
    "\"We were never told,\" the residents said after the meeting, before they went home.",
]


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean text file of blank-line separated documents, as ``--sources`` takes it."""
    rng = random.Random(3)
    sentences = TOY_SENTENCES + MORE
    documents = ["\n".join(rng.sample(sentences, 3)) for _ in range(60)]  # three one-sentence paragraphs
    path = tmp_path_factory.mktemp("corpus") / "clean.txt"
    path.write_text("\n\n".join(documents) + "\n")
    return path


def test_corruption_touches_only_changeable_words_and_never_joins_spans() -> None:
    args = pretrain.CorruptionArguments(noise_rate=0.3, clean_share=0.0)
    lexicon = pretrain.lexicon_of(args.tables)
    pool = ["apple", "river", "quickly"]
    kinds_seen: set[str] = set()
    for seed, clean in enumerate((TOY_SENTENCES + MORE) * 4):
        spun, kinds = pretrain.corrupt(clean, random.Random(seed), pool, lexicon, args)
        assert spun != clean and kinds
        kinds_seen.update(kinds)
        assert spun == pretrain.corrupt(clean, random.Random(seed), pool, lexicon, args)[0]  # seeded
        edits = align(spun, clean)
        assert len(edits) == len(kinds)  # one edit per span: spans never touch
        tokens, protected = tokenize(clean), protected_mask(clean)
        kept = "".join(t.text for t, p in zip(tokens, protected) if p)
        assert "".join(t.text for t, p in zip(tokenize(spun), protected_mask(spun)) if p).replace("<>", "") == kept
    assert kinds_seen == set(pretrain.KINDS)
    masked, kinds = pretrain.corrupt(MORE[0], random.Random(1), pool, lexicon,
                                     pretrain.CorruptionArguments(kind_weights="mask=1", noise_rate=0.3, clean_share=0.0))
    assert set(kinds) == {"mask"} and MASK in masked


def test_corruption_refuses_held_out_tables_and_bad_settings() -> None:
    assert "moby" in pretrain.held_out_tables() and "moby" not in pretrain.training_tables()
    with pytest.raises(ValueError, match="held out"):
        pretrain.CorruptionArguments(tables=["wordnet", "moby"])
    with pytest.raises(ValueError):
        pretrain.CorruptionArguments(kind_weights="mask=1,shuffle=1")
    with pytest.raises(ValueError):
        pretrain.CorruptionArguments(noise_rate=0.0)
    _, _, _, train_args, _ = pretrain.parse_args(["--preset", "gpu", "--output_dir", "x"])  # parses without a GPU
    assert train_args.per_device_train_batch_size == 512


def test_pretrain_resumes_and_fine_tuning_starts_from_it(corpus_file: Path, tiny_run: Path, toy_pairs_dir: Path,
                                                          tmp_path: Path) -> None:
    from training.export import HISTORY_FILE, export

    run_dir = tmp_path / "pre"
    common = ["--preset", "tiny", "--output_dir", str(run_dir), "--sources", str(corpus_file),
              "--tokenizer", str(tiny_run.parent / "tokenizer"), "--validation_percent", "20",
              "--eval_steps", "4", "--save_steps", "4", "--disable_tqdm", "true"]
    pretrain.main(common + ["--max_steps", "4"])
    record = json.loads((run_dir / "denoise_pairs" / pretrain.PAIRS_RECORD).read_text())
    assert record["units"]["train"] > 0 and record["units"]["validation"] > 0
    assert all(record["spans"][kind] > 0 for kind in pretrain.KINDS)
    config = json.loads((run_dir / "run_config.json").read_text())
    assert config["stage"] == "pretrain" and config["corruption"]["noise_rate"] == 0.15
    assert config["data"]["pairs"] == str(run_dir / "denoise_pairs")

    pretrain.main(common + ["--max_steps", "8", "--resume"])  # the pairs are reused, the run goes on
    state = json.loads((run_dir / "checkpoint-8" / "trainer_state.json").read_text())
    evals = [row for row in state["log_history"] if "eval_loss" in row]
    assert [row["step"] for row in evals] == [4, 8]
    assert any("eval_spin_removed" in row for row in state["log_history"])  # dev units without masks, restored
    assert json.loads((run_dir / "final" / "train_summary.json").read_text())["stage"] == "pretrain"

    tuned = train.main([
        "--preset", "tiny", "--output_dir", str(tmp_path / "ft"), "--pairs", str(toy_pairs_dir),
        "--init_from", str(run_dir / "checkpoint-8"), "--max_steps", "2", "--eval_steps", "2", "--save_steps", "2",
        "--disable_tqdm", "true",
    ])
    model = export(tuned, tmp_path / "model")
    history = json.loads((model / HISTORY_FILE).read_text())
    assert [(h["stage"], h["steps"]) for h in history] == [("pretrain", 8), ("fine-tune", 2)]
    assert history[1]["started_from"] == str(run_dir / "checkpoint-8") and history[0]["tokens"] > 0
    card = (model / "README.md").read_text()
    assert "| pretrain |" in card and "| fine-tune |" in card and "pretrain: " in card


def test_a_decoder_only_run_leaves_the_tagger_exactly_as_it_was(corpus_file: Path, tiny_model_dir: Path,
                                                                  tmp_path: Path) -> None:
    """--decoder_only: the decoder learns, while the shared embeddings, the encoder and the tag
    head (so every tag probability) stay bit for bit; the run records what it trained."""
    import torch

    from restore.model.modeling import TagGenForRestoration

    run_dir = pretrain.main(["--preset", "tiny", "--output_dir", str(tmp_path / "dec"), "--sources", str(corpus_file),
                             "--init_from", str(tiny_model_dir), "--decoder_only", "--validation_percent", "20",
                             "--max_steps", "3", "--eval_steps", "3", "--save_steps", "3", "--disable_tqdm", "true"])
    before = TagGenForRestoration.from_pretrained(str(tiny_model_dir), dtype=torch.float32).state_dict()
    after = TagGenForRestoration.from_pretrained(str(run_dir / "final"), dtype=torch.float32).state_dict()
    frozen = [k for k in before if not k.startswith(("model.decoder.", "span_embed."))]
    assert any(k.startswith("model.encoder.layers.") for k in frozen) and "tag_head.weight" in frozen
    assert all(torch.equal(before[k], after[k]) for k in frozen)
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith("model.decoder.layers."))
    config = json.loads((run_dir / "run_config.json").read_text())
    assert config["model"]["decoder_only"] and 0 < config["trainable_parameters"] < config["parameters"]
    with pytest.raises(ValueError, match="choose one"):
        train.ModelArguments(decoder_only=True, distill_from=str(tiny_model_dir))


def test_gpu_session_trains_both_stages_within_its_time_and_packs_the_model(
    corpus_file: Path, tiny_model_dir: Path, toy_pairs_dir: Path, tmp_path: Path
) -> None:
    import time

    from restore.model.editor import Seq2SeqEditor
    from training import gpu_session
    from training.export import HISTORY_FILE

    started = time.time()
    summary = gpu_session.run_session(gpu_session.SessionArgs(
        out=str(tmp_path / "out"), init_from=str(tiny_model_dir), pairs=str(toy_pairs_dir), work=str(tmp_path / "work"),
        preset="tiny", minutes=0.75, reserve_minutes=0.25, pretrain_share=0.5, sources=str(corpus_file),
        validation_percent=20.0, num_proc=1,
    ))
    assert set(summary["stages"]) == {"pretrain", "finetune"} and summary["parts"]
    assert time.time() - started < 0.75 * 60 + 60  # the limit, plus the last steps, evaluations and export
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == sorted(summary["parts"] + [gpu_session.SUMMARY])
    back = tmp_path / "back"
    shutil.copytree(tmp_path / "out", back / "files")
    gpu_session.unpack(back / "files", back / "session")
    history = json.loads((back / "session" / "model" / HISTORY_FILE).read_text())
    assert [h["stage"] for h in history] == ["fine-tune", "pretrain", "fine-tune"]  # the tiny model's run, then these
    assert (back / "session" / "pretrain" / "run_config.json").exists()
    assert not any("encoder.int8.onnx" in name for name in gpu_session_names(tmp_path / "out"))  # made back here
    editor = Seq2SeqEditor.from_pretrained(str(back / "session" / "model"))
    assert editor.encoder is not None and editor.propose(["They mentioned it."])


def gpu_session_names(out: Path) -> list[str]:
    """The files packed in a session's parts."""
    import io
    import tarfile

    from training import gpu_session

    data = b"".join(p.read_bytes() for p in sorted(out.glob(f"{gpu_session.ARCHIVE}.*")))
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        return tar.getnames()


def test_session_parts_stay_under_the_size_brought_back(tmp_path: Path) -> None:
    from training import gpu_session

    work, model = tmp_path / "work", tmp_path / "work" / "model"
    model.mkdir(parents=True)
    (model / "weights.bin").write_bytes(bytes(range(256)) * 4000)  # ~1 MB
    parts = gpu_session.pack(work, model, tmp_path / "out", part_bytes=300_000)
    assert len(parts) == 4 and all(p.stat().st_size <= 300_000 for p in parts)
    gpu_session.unpack(tmp_path / "out", tmp_path / "back")
    assert (tmp_path / "back" / "model" / "weights.bin").read_bytes() == (model / "weights.bin").read_bytes()


def test_a_session_from_scratch_starts_with_the_shipped_tokenizer_and_a_new_network() -> None:
    from training import gpu_session

    args = gpu_session.SessionArgs(out="o", init_from=gpu_session.SCRATCH)
    flags = gpu_session._stage_flags(args, Path("w"), gpu_session.SCRATCH)
    assert "--init_from" not in flags and flags[flags.index("--tokenizer") + 1] == str(gpu_session.SHIPPED)
    later = gpu_session._stage_flags(args, Path("w2"), "w/final")  # the stage after goes on from the first
    assert later[later.index("--init_from") + 1] == "w/final" and "--tokenizer" not in later


def test_too_little_text_for_a_validation_split_is_a_clear_error(corpus_file: Path, tiny_run: Path,
                                                                 tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="validation split is empty.*--max_words"):
        pretrain.main(["--preset", "tiny", "--output_dir", str(tmp_path / "pre"), "--sources", str(corpus_file),
                       "--tokenizer", str(tiny_run.parent / "tokenizer"), "--validation_percent", "0.001",
                       "--max_steps", "1", "--disable_tqdm", "true"])
