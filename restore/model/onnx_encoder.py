"""The tagger's encoder run by ONNX Runtime with int8 weights: the fast path on a CPU.

``python -m training.export_encoder MODEL_DIR`` writes :data:`ENCODER_FILE` into a model
folder (the encoder and tag head of :class:`restore.model.modeling.TagGenForRestoration`,
exported to ONNX and its linear layers quantized to int8); :class:`OnnxEncoder` runs it.
:meth:`restore.model.editor.Seq2SeqEditor.from_pretrained` uses it when the folder has one,
``onnxruntime`` is installed and the device is the CPU (``encoder="auto"``); the network's own
encoder (``encoder="torch"``) stays the reference path.  On the benchmark both paths are run
side by side (``python -m benchmarks.run --systems seq2seq seq2seq-torch``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ENCODER_FILE = "encoder.int8.onnx"
"""The int8 encoder a model folder may carry (written by ``training.export_encoder``)."""


class OnnxEncoder:
    """``(input_ids, attention_mask) -> (encoder states, tag logits)`` as float32 numpy arrays,
    by an ONNX Runtime session of an exported encoder on the CPU with ``threads`` threads
    (default: torch's where torch is imported, so that ``torch.set_num_threads`` governs both;
    else ONNX Runtime's own, one per physical core)."""

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        torch = sys.modules.get("torch")
        options.intra_op_num_threads = threads or (torch.get_num_threads() if torch is not None else 0)
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning: between encoder batches the candidate
        # features run in Python, and a spinning worker takes a core from them (an article
        # restored in 0.35 s instead of 0.44 s on 2 cores; docs/research-log.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # errors only
        self.path = Path(path)
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids, attention_mask) -> tuple[np.ndarray, np.ndarray]:
        """The padded batch in one call.  The int8 activations are scaled per call, so a unit's
        keep probabilities move by a few thousandths with its batch-mates (as bfloat16's
        rounding moves with the padding); run one unit at a time, ONNX Runtime is no faster
        than the network's own encoder (``benchmarks.speed``; docs/research-log.md)."""
        states, tag_logits = self.session.run(
            ["states", "tag_logits"],
            {"input_ids": _int64(input_ids), "attention_mask": _int64(attention_mask)},
        )
        return states, tag_logits


def _int64(batch) -> np.ndarray:
    """A batch of ids (numpy, or a tensor) as the int64 numpy array the session reads."""
    if hasattr(batch, "numpy"):  # a torch tensor
        batch = batch.cpu().numpy()
    return np.asarray(batch, dtype=np.int64)


def onnx_encoder_for(folder_file: str | None, encoder: str, device: str, threads: int | None = None) -> OnnxEncoder | None:
    """The :class:`OnnxEncoder` that ``encoder`` (one of :data:`restore.model.ENCODERS`) asks for, given the
    model folder's :data:`ENCODER_FILE` (its path, or None if the folder has none); None for
    the network's own encoder.  ``encoder``: ``auto`` (ONNX Runtime where the folder has the
    file, ``onnxruntime`` is installed and the device is the CPU, else the network's own),
    ``onnx`` (that file, or an error) or ``torch`` (the network's own, the reference).
    ``onnx`` without the file, without ``onnxruntime`` or off the
    CPU raises ValueError with the reason.  ``threads``: see :class:`OnnxEncoder`."""
    if encoder == "torch":
        return None
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        if encoder == "onnx":
            raise ValueError("encoder='onnx' needs the onnxruntime package (pip install onnxruntime)") from None
        return None
    if device != "cpu" or folder_file is None:
        if encoder == "onnx":
            reason = f"the device is {device}" if device != "cpu" else f"the model folder has no {ENCODER_FILE}"
            raise ValueError(f"encoder='onnx' runs on the CPU from the folder's {ENCODER_FILE}, but {reason} "
                             "(python -m training.export_encoder MODEL_DIR writes it)")
        return None
    return OnnxEncoder(folder_file, threads)
