"""What evaluation holds out of training, candidate tables and calibration.

- A fixed share of the Problematic Paper Screener list (``pps-dev.tsv``): every row whose
  *expected* phrase falls in :data:`TORTURED_HELD_OUT_PERCENT` percent by a stable hash.  The
  ``tortured`` spinner table (``training.build_lexicon``), the calibration's sparse-spin units
  (``training.calibrate --tortured_samples``) and the benchmark's ``tortured`` suite use the rest;
  the benchmark's ``tortured-unseen`` suite uses only these.
- The Moby thesaurus and ``training/phrase_table_heldout.tsv``: the tables of the ``heldout`` and
  ``moby`` spinner profiles (:data:`HELD_OUT_PROFILES`), which no training profile, candidate
  table or calibration draws on.
"""

from __future__ import annotations

from training.make_pairs import stable_hash

TORTURED_HELD_OUT_PERCENT = 25
HELD_OUT_TABLES = frozenset({"moby", "moby_common", "phrases_heldout"})
HELD_OUT_PROFILES = frozenset({"heldout", "moby"})


def is_heldout_phrase(expected: str) -> bool:
    """True if the tortured-list rows of this expected phrase are held out of training,
    tables and calibration (case-insensitive, surrounding space ignored)."""
    return stable_hash("tortured:" + expected.strip().lower()) % 100 < TORTURED_HELD_OUT_PERCENT
