"""A shallower copy of a trained model, to be distilled from it (a faster tagger).

    python -m training.shrink restore/models/default --keep_layers 0,2,5,7 --output runs/student
    python -m training.train --preset cpu --init_from runs/student --distill_from restore/models/default \
        --pairs data/pairs_mix --output_dir runs/distill --learning_rate 3e-4

Keeps the encoder layers ``--keep_layers`` (indices of the teacher's, in order) and copies every
other weight as it is: embeddings, the tag head, the span embeddings and the whole decoder.  The
encoder costs time in proportion to its layers (it is about half of restoring an article on the
CPU: ``python -m benchmarks.speed``), so half the layers is about a quarter less time an article.
Writes a model folder (fp32 safetensors, config, tokenizer, the teacher's training history and
``shrink.json``) that ``training.train --init_from`` reads; ``--distill_from`` then teaches its
tagger the teacher's tag probabilities.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from restore.model.modeling import TagGenForRestoration

_ENCODER_LAYER = "model.encoder.layers."


def shrink(teacher: TagGenForRestoration, keep_layers: list[int]) -> TagGenForRestoration:
    """A new model with the encoder layers ``keep_layers`` of ``teacher`` (in that order) and
    every other weight copied.  Raises ValueError on an empty, repeated or out-of-range list."""
    total = teacher.config.encoder_layers
    if not keep_layers or len(set(keep_layers)) != len(keep_layers) or not all(0 <= i < total for i in keep_layers):
        raise ValueError(f"keep_layers must be distinct encoder layer indices in 0..{total - 1}, got {keep_layers}")
    config = teacher.config.__class__.from_dict(teacher.config.to_dict())
    config.encoder_layers = len(keep_layers)
    student = TagGenForRestoration(config)
    state = teacher.state_dict()
    renamed = {}
    for name, value in state.items():
        if name.startswith(_ENCODER_LAYER):
            index, rest = name[len(_ENCODER_LAYER):].split(".", 1)
            if int(index) not in keep_layers:
                continue
            name = f"{_ENCODER_LAYER}{keep_layers.index(int(index))}.{rest}"
        renamed[name] = value
    missing, unexpected = student.load_state_dict(renamed, strict=False)
    tied = {"lm_head.weight", "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"}
    if set(missing) - tied or unexpected:
        raise RuntimeError(f"weights did not map: missing {sorted(set(missing) - tied)}, unexpected {unexpected}")
    return student


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("teacher", help="model folder or Hub id to copy from")
    parser.add_argument("--keep_layers", required=True,
                        help="comma-separated encoder layer indices of the teacher to keep, e.g. 0,2,5,7")
    parser.add_argument("--output", required=True, help="folder to write the smaller model to")
    args = parser.parse_args(argv)
    try:
        keep = [int(x) for x in args.keep_layers.split(",") if x.strip()]
    except ValueError:
        parser.error(f"--keep_layers takes comma-separated whole numbers, got {args.keep_layers!r}")
    from transformers import AutoTokenizer

    teacher = TagGenForRestoration.from_pretrained(args.teacher, dtype=torch.float32)
    try:
        student = shrink(teacher, keep)
    except ValueError as error:
        parser.error(str(error))
    out = Path(args.output)
    student.save_pretrained(str(out))
    AutoTokenizer.from_pretrained(args.teacher).save_pretrained(str(out))
    # The copied weights carry the teacher's training: its history goes with them (training.export reads it).
    from training.export import HISTORY_FILE, earlier_history

    history = earlier_history(args.teacher)
    if history:
        (out / HISTORY_FILE).write_text(json.dumps(history, indent=1))
    (out / "shrink.json").write_text(json.dumps({"teacher": args.teacher, "keep_layers": keep,
                                                 "parameters": student.num_parameters(),
                                                 "teacher_parameters": teacher.num_parameters()}, indent=2))
    print(f"restore: {teacher.config.encoder_layers} -> {len(keep)} encoder layers, "
          f"{teacher.num_parameters() / 1e6:.1f} M -> {student.num_parameters() / 1e6:.1f} M parameters, in {out}")
    return out


if __name__ == "__main__":
    main()
