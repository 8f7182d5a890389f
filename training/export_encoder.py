"""Export a model folder's encoder to ONNX with int8 weights, for the fast CPU path.

    python -m training.export_encoder restore/models/default

Exports the encoder and tag head of the folder's :class:`TagGenForRestoration` (float32) with
``torch.onnx.export`` (dynamic batch and length), quantizes its linear layers' weights to int8
with ONNX Runtime's dynamic quantization, checks the result against the network on random
units (keep probabilities within ``--tolerance``), and writes
``MODEL_DIR/encoder.int8.onnx`` (:data:`restore.model.onnx_encoder.ENCODER_FILE`), which
:class:`restore.Restorer` then uses on the CPU.  ``training.export`` runs it after writing
the weights; rerun it whenever the weights change.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

import torch

from restore.model.modeling import TagGenForRestoration
from restore.model.onnx_encoder import ENCODER_FILE, OnnxEncoder

TOLERANCE = 0.1
"""The largest difference in keep probability from the float32 network that the check allows."""


class _Encoder(torch.nn.Module):
    """The part of the network the tagger runs: ``(ids, mask) -> (states, tag logits)``."""

    def __init__(self, model: TagGenForRestoration) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.model.encode(input_ids, attention_mask)


def _example(model: TagGenForRestoration, batch: int, length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random ids of a padded batch (the second row shorter), as the tokenizer writes them."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, model.config.vocab_size, (batch, length), generator=generator)
    mask = torch.ones(batch, length, dtype=torch.long)
    mask[1, length // 2 :] = 0
    ids[mask == 0] = model.config.pad_token_id
    return ids, mask


def export_encoder(model_dir: Path, tolerance: float = TOLERANCE) -> Path:
    """Write ``model_dir/encoder.int8.onnx`` from the folder's weights; returns its path.
    Raises SystemExit if the int8 encoder's keep probabilities stray more than ``tolerance``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = TagGenForRestoration.from_pretrained(str(model_dir), dtype=torch.float32).eval()
    longest = int(model.config.max_position_embeddings) - 2
    ids, mask = _example(model, 2, 16, seed=0)
    batch, length = torch.export.Dim("batch"), torch.export.Dim("length", max=longest)
    output = Path(model_dir) / ENCODER_FILE
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "encoder.onnx"
        torch.onnx.export(
            _Encoder(model), (ids, mask), str(full), input_names=["input_ids", "attention_mask"],
            output_names=["states", "tag_logits"], dynamic_shapes={"input_ids": {0: batch, 1: length},
                                                                    "attention_mask": {0: batch, 1: length}},
            dynamo=True, external_data=False, verbose=False,
        )
        quiet = logging.getLogger().level
        logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process first: measured, no gain here
        try:
            quantize_dynamic(str(full), str(output), weight_type=QuantType.QInt8)
        finally:
            logging.getLogger().setLevel(quiet)
    model.eval()  # as the tagger runs it, whatever mode the exporter left it in
    worst = 0.0
    fast = OnnxEncoder(output)
    for seed, (b, n) in enumerate([(3, 40), (2, min(longest, 97)), (1, 5)], start=1):
        ids, mask = _example(model, max(b, 2), n, seed)
        with torch.inference_mode():
            reference = model.encode(ids, mask)[1].softmax(-1)[..., 0]
        got = torch.from_numpy(fast(ids, mask)[1]).softmax(-1)[..., 0]
        worst = max(worst, float((got - reference).abs()[mask == 1].max()))
    if worst > tolerance:
        output.unlink()
        raise SystemExit(f"restore error: the int8 encoder's keep probabilities differ by up to {worst:.3f} "
                         f"from the network's (over {tolerance}); not written")
    print(f"wrote {output} ({output.stat().st_size / 1e6:.1f} MB; keep probabilities within {worst:.4f} of float32)")
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path, help="a model folder (training.export's output)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE,
                        help="largest keep-probability difference from float32 allowed")
    args = parser.parse_args(argv)
    if not (args.model_dir / "config.json").is_file():
        parser.error(f"no model at {args.model_dir} (config.json missing)")
    export_encoder(args.model_dir, args.tolerance)


if __name__ == "__main__":
    main()
