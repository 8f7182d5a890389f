"""Candidates: where a restorer's replacements come from, and what judges them.

* :mod:`restore.candidates.channel`: the spinner profiles' tables inverted (spun phrase ->
  clean phrases that may have produced it), with counts from training pairs; shipped beside a
  model as ``candidates.tsv.gz``.  It guards quantities and abbreviations
  (:func:`~restore.candidates.channel.changes_quantity`).
* :mod:`restore.candidates.trigram` and :mod:`restore.candidates.ngram`: the word language
  models that say how well a candidate fits its sentence.
* :mod:`restore.candidates.viterbi`: the best reading of a unit under both (the lexicon
  baseline's output, and a feature of the seq2seq editor).
* :mod:`restore.candidates.compose`: candidates for a run of doubted words composed from its
  words' own candidates (off unless a model's calibration turns it on).
* :mod:`restore.candidates.features`: the feature rows the editor's scorer reads, one per
  candidate, from the tables and from the decoder's n-best.

The spinner itself lives in :mod:`restore.spin`; the model that tags, generates and scores in
:mod:`restore.model`.
"""
