"""restore: repair synonym-spun ("article-spun") text back to its source wording.

Public API::

    restore.fix(text) -> str                 # restored text
    restore.explain(text) -> ExplainedText   # restored text and the list of edits
    restore.spin(text, seed=0) -> str        # the garbler that makes training pairs
    restore.Restorer.from_pretrained(path_or_hub_id)
"""

from restore.edits import Edit, apply_edits
from restore.restorer import ExplainedText, Restorer, explain, fix
from restore.spin import PROFILES, SpinResult, SpinSpan, spin

__all__ = [
    "Edit",
    "ExplainedText",
    "PROFILES",
    "Restorer",
    "SpinResult",
    "SpinSpan",
    "apply_edits",
    "explain",
    "fix",
    "spin",
]
__version__ = "0.1.0"
