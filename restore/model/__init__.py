"""The trained restorer: network (``modeling``), its training target (``formulation``), the
editor that serves it (``editor``) and the candidate scorer (``scorer``).  Importing this
package is cheap; the submodules load torch and transformers."""

DTYPES = ("auto", "float32", "bfloat16")
"""Number formats the network may run in (``auto``: see :func:`restore.model.editor.model_dtype`)."""
