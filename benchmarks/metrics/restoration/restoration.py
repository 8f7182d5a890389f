"""Restoration metric: how much of the spin a system removed, and what it broke on the way.

Load it by path (the folder and this script share the name, as ``evaluate`` requires)::

    import evaluate
    metric = evaluate.load("benchmarks/metrics/restoration")
    metric.compute(sources=spun, predictions=restored, references=clean)

Everything is counted on tokens from ``restore.text.tokenize``: a word (letters/digits with inner
apostrophes or hyphens) or a single punctuation mark, compared exactly (case-sensitive; ``said`` and
``Said`` differ, and so do ``,`` and ``;``).  Whitespace is ignored.

Outputs (corpus-level: errors and counts are summed over all units before dividing)

- ``spin_removed`` = 1 − WER(predictions, references) / WER(sources, references).  1: fully restored,
  0: no better than the spun input, < 0: the system added errors.  ``None`` when the sources already
  equal the references (WER(sources, references) = 0), e.g. on clean text.
- ``wer`` / ``source_wer``: word-level Levenshtein distance (substitutions + insertions + deletions)
  over the number of reference tokens, for the predictions and for the untouched sources.
- ``precision`` / ``recall`` / ``f0.5``: edit blocks.  A block is a maximal run of differing tokens
  between two matched stretches of a token alignment (``difflib``, as ``restore.edits.align``), i.e.
  (source token span, replacement tokens).  Gold blocks come from aligning source → reference,
  system blocks from source → prediction; a system block is correct iff a gold block has the same
  span and the same replacement tokens.  ERRANT's convention for empty sets: P = 1 with no system
  blocks, R = 1 with no gold blocks, F = 0 when P + R = 0.
- ``damage`` = share of the source tokens that needed no change (aligned equal source → reference)
  which the prediction changed (not aligned equal source → prediction).  ``None`` when no token
  needed keeping.
- ``changed`` / ``changed_share``: source tokens the prediction changed, in number and as a share of
  all source tokens (on unspun text this is the false-edit rate; without a reference pass the
  sources as references to get it).
- ``bleu`` / ``chrf``: ``sacrebleu`` corpus BLEU and chrF with default settings, with their
  signatures.
- counts: ``units``, ``source_tokens``, ``reference_tokens``, ``errors``, ``source_errors``,
  ``gold_blocks``, ``system_blocks``, ``correct_blocks``, ``keep_tokens``, ``damaged_tokens``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import datasets
import evaluate
import sacrebleu
from rapidfuzz.distance import Levenshtein

from restore.text import tokenize

_CITATION = ""

_DESCRIPTION = __doc__

_KWARGS_DESCRIPTION = """
Args:
    sources: the spun texts given to the system (list of str).
    predictions: the system's outputs, one per source (list of str).
    references: the clean originals, one per source (list of str).
Returns:
    dict with spin_removed, precision, recall, f0.5, damage, wer, source_wer, bleu, chrf,
    changed, changed_share, the counts listed in the description, and bleu_signature /
    chrf_signature.
Examples:
    >>> metric = evaluate.load("benchmarks/metrics/restoration")
    >>> r = metric.compute(sources=["he mentioned it"], predictions=["he said it"],
    ...                    references=["he said it"])
    >>> r["spin_removed"], r["precision"], r["recall"], r["damage"]
    (1.0, 1.0, 1.0, 0.0)
"""

Block = tuple[int, int, tuple[str, ...]]


@dataclass
class Alignment:
    """Token alignment of a source with another text: its edit blocks, which source tokens are
    kept, and the ``difflib`` opcodes it came from."""

    blocks: list[Block]
    kept: list[bool]
    opcodes: list[tuple[str, int, int, int, int]]


def tokens(text: str) -> list[str]:
    """The token strings of ``text`` (restore.text.tokenize; punctuation marks are tokens)."""
    return [t.text for t in tokenize(text)]


def align_tokens(source: list[str], target: list[str]) -> Alignment:
    """Edit blocks (source span, replacement tokens) and, per source token, whether it is kept."""
    opcodes = difflib.SequenceMatcher(None, source, target, autojunk=False).get_opcodes()
    blocks: list[Block] = []
    kept = [False] * len(source)
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            kept[i1:i2] = [True] * (i2 - i1)
        else:
            blocks.append((i1, i2, tuple(target[j1:j2])))
    return Alignment(blocks, kept, opcodes)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _fbeta(p: float, r: float, beta: float = 0.5) -> float:
    b2 = beta * beta
    return (1 + b2) * p * r / (b2 * p + r) if p + r else 0.0


COUNTS = ("source_tokens", "reference_tokens", "errors", "source_errors", "gold_blocks", "system_blocks",
          "correct_blocks", "keep_tokens", "damaged_tokens", "changed")
"""The per-unit counts; every score but BLEU and chrF is a ratio of their sums (:func:`ratios`)."""


def unit_counts(source: str, prediction: str, reference: str) -> dict[str, int]:
    """:data:`COUNTS` of one unit."""
    src, pred, ref = tokens(source), tokens(prediction), tokens(reference)
    gold, system = align_tokens(src, ref), align_tokens(src, pred)
    gold_set = set(gold.blocks)
    return {
        "source_tokens": len(src),
        "reference_tokens": len(ref),
        "errors": Levenshtein.distance(pred, ref),
        "source_errors": Levenshtein.distance(src, ref),
        "gold_blocks": len(gold.blocks),
        "system_blocks": len(system.blocks),
        "correct_blocks": sum(b in gold_set for b in system.blocks),
        "keep_tokens": sum(gold.kept),
        "damaged_tokens": sum(g and not s for g, s in zip(gold.kept, system.kept)),
        "changed": len(src) - sum(system.kept),
    }


def ratios(c: dict[str, int]) -> dict:
    """The scores that are ratios of summed :data:`COUNTS` (see the module docstring)."""
    tp = c["correct_blocks"]
    precision = tp / c["system_blocks"] if c["system_blocks"] else 1.0
    recall = tp / c["gold_blocks"] if c["gold_blocks"] else 1.0
    return {
        "spin_removed": 1 - c["errors"] / c["source_errors"] if c["source_errors"] else None,
        "precision": precision,
        "recall": recall,
        "f0.5": _fbeta(precision, recall),
        "damage": _ratio(c["damaged_tokens"], c["keep_tokens"]),
        "wer": _ratio(c["errors"], c["reference_tokens"]),
        "source_wer": _ratio(c["source_errors"], c["reference_tokens"]),
        "changed_share": _ratio(c["changed"], c["source_tokens"]),
    }


def restoration_scores(sources: list[str], predictions: list[str], references: list[str]) -> dict:
    """The metric itself, without ``evaluate``'s machinery (see the module docstring)."""
    if not len(sources) == len(predictions) == len(references):
        raise ValueError(
            f"sources, predictions and references differ in length: "
            f"{len(sources)}, {len(predictions)}, {len(references)}"
        )
    c = dict.fromkeys(COUNTS, 0)
    for source, prediction, reference in zip(sources, predictions, references):
        for key, value in unit_counts(source, prediction, reference).items():
            c[key] += value
    scores = ratios(c)
    bleu = sacrebleu.metrics.BLEU()
    chrf = sacrebleu.metrics.CHRF()
    bleu_score = bleu.corpus_score(list(predictions), [list(references)])
    chrf_score = chrf.corpus_score(list(predictions), [list(references)])
    return {
        **{k: scores[k] for k in ("spin_removed", "precision", "recall", "f0.5", "damage", "wer", "source_wer")},
        "bleu": bleu_score.score,
        "chrf": chrf_score.score,
        "changed_share": scores["changed_share"],
        "units": len(sources),
        **c,
        "bleu_signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
    }


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class Restoration(evaluate.Metric):
    """Spin removed, edit-block P/R/F0.5, damage, WER, BLEU and chrF of restored text."""

    def _info(self) -> evaluate.MetricInfo:
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {
                    "sources": datasets.Value("string"),
                    "predictions": datasets.Value("string"),
                    "references": datasets.Value("string"),
                }
            ),
            reference_urls=["https://github.com/mjpost/sacrebleu", "https://github.com/chrisjbryant/errant"],
        )

    def _compute(self, sources, predictions, references) -> dict:
        return restoration_scores(sources, predictions, references)
