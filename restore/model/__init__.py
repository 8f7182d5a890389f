"""The trained restorer: network (``modeling``), its training target (``formulation``), the
editor that serves it (``editor``), the candidate scorer (``scorer``) and the int8 encoder that
ONNX Runtime runs (``onnx_encoder``).  Importing this
package is cheap; ``modeling`` and ``echo`` load torch and transformers, the editor only once
the network is needed (with the int8 encoder and the decoder off, never)."""

DTYPES = ("auto", "float32", "bfloat16")
"""Number formats the network may run in (``auto``: see :func:`restore.model.editor.model_dtype`)."""
ENCODERS = ("auto", "onnx", "torch")
"""What may tag the units (``auto``: see :func:`restore.model.onnx_encoder.onnx_encoder_for`)."""
