"""restore: repair synonym-spun ("article-spun") text back to its source wording.

Public API::

    restore.fix(text) -> str                 # restored text
    restore.explain(text) -> ExplainedText   # restored text and the list of edits
    restore.detect(text) -> Detection        # P(spun) and the suspected spans
    restore.spin(text, seed=0) -> str        # the garbler that makes training pairs
    restore.Restorer.from_pretrained(path_or_hub_id)

Names are imported on first use, so ``import restore`` stays cheap (no torch).  The one
exception is the spinner: the function ``restore.spin`` shares its name with the subpackage
``restore.spin``, and Python binds a subpackage to its name in the parent when it is first
loaded, whoever loads it.  So the subpackage (pure Python, no torch, ~30 ms) is loaded here,
the function is bound after it, and the name stays the function; the subpackage's other names are
reached with ``from restore.spin import PROFILES`` (or as ``restore.PROFILES``).
"""

from __future__ import annotations

import importlib
from typing import Any

from restore.spin import spin  # the function, bound after the subpackage: see the docstring

__version__ = "0.1.0"

_EXPORTS = {
    "Edit": "restore.edits",
    "apply_edits": "restore.edits",
    "Detection": "restore.detection",
    "ExplainedText": "restore.restorer",
    "ModelNotFoundError": "restore.restorer",
    "ModelLoadError": "restore.restorer",
    "Restorer": "restore.restorer",
    "SuspectedSpan": "restore.detection",
    "detect": "restore.restorer",
    "explain": "restore.restorer",
    "fix": "restore.restorer",
    "PROFILES": "restore.spin",
    "SpinResult": "restore.spin",
    "SpinSpan": "restore.spin",
}
__all__ = sorted([*_EXPORTS, "spin"])


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'restore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
