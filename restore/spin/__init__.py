"""The spinner (garbler): rewrites clean text the way article spinners do.

``spin(text, seed=..., profile=...)`` is the channel that ``restore`` learns to invert; it
makes the (spun, clean) training pairs and the benchmark suites.  See :data:`PROFILES`.
"""

from restore.spin.profiles import PROFILES, Profile
from restore.spin.spinner import SpinResult, SpinSpan, spin

__all__ = ["PROFILES", "Profile", "SpinResult", "SpinSpan", "spin"]
