"""A shallower copy of a model (training.shrink) and its distillation from the model (training.train --distill_from)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from restore.model.modeling import TagGenForRestoration
from training import shrink, train
from training.export import run_record


def test_shrink_keeps_the_chosen_encoder_layers_and_every_other_weight(tiny_model_dir: Path, tmp_path: Path) -> None:
    out = shrink.main([str(tiny_model_dir), "--keep_layers", "1", "--output", str(tmp_path / "student")])
    teacher = TagGenForRestoration.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    student = TagGenForRestoration.from_pretrained(str(out), dtype=torch.float32)
    assert teacher.config.encoder_layers == 2 and student.config.encoder_layers == 1
    kept, own = teacher.model.encoder.layers[1].state_dict(), student.model.encoder.layers[0].state_dict()
    assert kept.keys() == own.keys() and all(torch.equal(kept[k], own[k]) for k in kept)
    for part in ("tag_head", "span_embed", "model.decoder", "model.shared"):
        theirs, ours = teacher.get_submodule(part).state_dict(), student.get_submodule(part).state_dict()
        assert all(torch.equal(theirs[k], ours[k]) for k in theirs), part
    assert student.num_parameters() < teacher.num_parameters()
    record = json.loads((out / "shrink.json").read_text())
    assert record["keep_layers"] == [1] and record["teacher"] == str(tiny_model_dir)
    assert (out / "tokenizer.json").is_file()


def test_shrink_refuses_layers_the_teacher_lacks(tiny_model_dir: Path, tmp_path: Path) -> None:
    teacher = TagGenForRestoration.from_pretrained(str(tiny_model_dir), dtype=torch.float32)
    for bad in ([], [0, 0], [2], [-1]):
        with pytest.raises(ValueError, match="keep_layers"):
            shrink.shrink(teacher, bad)
    with pytest.raises(SystemExit):
        shrink.main([str(tiny_model_dir), "--keep_layers", "one", "--output", str(tmp_path / "x")])
    assert not (tmp_path / "x").exists()


def test_distillation_loss_is_the_kl_divergence_where_tags_are_read() -> None:
    logits = torch.tensor([[[2.0, 0.0, -1.0], [0.5, 0.5, 0.5], [3.0, -2.0, 0.0]]])
    labels = torch.tensor([[0, -100, 1]])
    assert float(train.distillation_loss(logits, logits.clone(), labels)) == pytest.approx(0.0, abs=1e-7)
    other = logits.clone()
    other[0, 1] = torch.tensor([9.0, -9.0, 0.0])  # where no tag is read: no difference
    assert float(train.distillation_loss(logits, other, labels)) == pytest.approx(0.0, abs=1e-7)
    other[0, 0] = torch.tensor([0.0, 2.0, -1.0])
    teacher = torch.softmax(other[0, 0], -1)
    expected = float((teacher * (teacher.log() - torch.log_softmax(logits[0, 0], -1))).sum()) / 2  # mean over 2 read positions
    assert float(train.distillation_loss(logits, other, labels)) == pytest.approx(expected, rel=1e-5)
    assert float(train.distillation_loss(logits, other, torch.full_like(labels, -100))) == 0.0


def test_a_distilled_run_adds_the_teachers_tags_to_its_loss(tiny_model_dir: Path, toy_pairs_dir: Path, tmp_path: Path) -> None:
    student = shrink.main([str(tiny_model_dir), "--keep_layers", "0", "--output", str(tmp_path / "student")])
    run_dir = train.main([
        "--preset", "tiny", "--output_dir", str(tmp_path / "run"), "--pairs", str(toy_pairs_dir),
        "--init_from", str(student), "--distill_from", str(tiny_model_dir), "--distill_weight", "2",
        "--max_steps", "4", "--logging_steps", "2", "--eval_steps", "4", "--save_steps", "4", "--disable_tqdm", "true",
    ])
    lines = [line for line in json.loads((run_dir / "checkpoint-4" / "trainer_state.json").read_text())["log_history"]
             if "loss" in line]
    assert len(lines) == 2
    for line in lines:
        assert line["distill_loss"] > 0
        assert line["loss"] == pytest.approx(line["tag_loss"] + line["gen_loss"] + 2 * line["distill_loss"], abs=2e-3)
    record = run_record(run_dir, run_dir / "final")
    assert record["distilled_from"] == str(tiny_model_dir) and record["started_from"] == str(student)


def test_distilling_from_another_vocabulary_is_refused(tiny_model_dir: Path, toy_pairs_dir: Path, tmp_path: Path) -> None:
    config = TagGenForRestoration.config_class.from_pretrained(str(tiny_model_dir))
    config.vocab_size += 8
    other = tmp_path / "other"
    TagGenForRestoration(config).save_pretrained(str(other))
    with pytest.raises(SystemExit, match="another vocabulary"):
        train.main(["--preset", "tiny", "--output_dir", str(tmp_path / "run"), "--pairs", str(toy_pairs_dir),
                    "--init_from", str(tiny_model_dir), "--distill_from", str(other), "--max_steps", "1"])


def test_export_carries_the_teachers_tables_and_calibration_over(tiny_model_dir: Path, toy_pairs_dir: Path,
                                                                 tmp_path: Path) -> None:
    from training.export import export

    teacher = tmp_path / "teacher"
    shutil.copytree(tiny_model_dir, teacher)
    config = json.loads((teacher / "config.json").read_text())
    config["restore"] = {**config.get("restore", {}), "min_confidence": 0.77, "candidate_keep_threshold": 0.99}
    (teacher / "config.json").write_text(json.dumps(config))
    (teacher / "detect.json").write_text('{"weights": [1.0]}')
    (teacher / "calibration.json").write_text('{"chosen": {"min_confidence": 0.77}}')
    student = shrink.main([str(teacher), "--keep_layers", "1", "--output", str(tmp_path / "student")])
    run_dir = train.main([
        "--preset", "tiny", "--output_dir", str(tmp_path / "run"), "--pairs", str(toy_pairs_dir),
        "--init_from", str(student), "--distill_from", str(teacher), "--max_steps", "2", "--logging_steps", "1",
        "--eval_steps", "2", "--save_steps", "2", "--disable_tqdm", "true",
    ])
    out = export(run_dir, tmp_path / "model", encoder=False, carry_from=teacher)
    restore_block = json.loads((out / "config.json").read_text())["restore"]
    assert restore_block["min_confidence"] == 0.77 and restore_block["candidate_keep_threshold"] == 0.99
    assert (out / "detect.json").read_text() == '{"weights": [1.0]}'
    record = json.loads((out / "calibration.json").read_text())
    assert record["chosen"] == {"min_confidence": 0.77} and record["carried_from"].startswith(f"{teacher} (model ")
    assert json.loads((out / "config.json").read_text())["encoder_layers"] == 1
    history = json.loads((out / "training_history.json").read_text())
    assert history[-1]["distilled_from"] == str(teacher)
    assert "distilled from" in (out / "README.md").read_text()
    # the teacher may be the output folder itself (replacing the shipped model by its student)
    again = export(run_dir, out, encoder=False, carry_from=out)
    assert json.loads((again / "config.json").read_text())["restore"]["min_confidence"] == 0.77
    assert (again / "detect.json").read_text() == '{"weights": [1.0]}'
    with pytest.raises(SystemExit, match="not a model folder"):
        export(run_dir, tmp_path / "other", encoder=False, carry_from=tmp_path / "nothing")
