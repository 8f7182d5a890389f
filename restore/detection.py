"""Spin detection: how likely a text is spun as a whole, and where.

Built on what restoring already computes (:meth:`restore.Restorer.detect`, :func:`restore.detect`):

* the tagger's doubt of each word it may change (1 - its keep probability,
  :meth:`restore.model.editor.Seq2SeqEditor.keep_probabilities`);
* every edit the editor proposes, with its confidence, and the edits the unit and document gates
  let through (:meth:`~restore.model.editor.Seq2SeqEditor.choose_document`), which give the
  suggested originals.

The document probability is a logistic combination of a few of their rates
(:data:`DOCUMENT_FEATURES`), fitted by ``python -m training.calibrate_detect`` on held-out
dev paragraphs that no benchmark suite scores and stored beside the model as ``detect.json``
(:data:`DETECT_FILE`).  A suspected span is either an edit the gates made or proposed with
enough confidence (its suggestion is the edit's replacement) or a run of words the tagger doubts
without one (no suggestion); its probability is the larger of the edit's confidence and the
tagger's doubt, and spans below the calibrated ``span_threshold`` are not reported.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from restore.edits import Edit, shift
from restore.model.gates import most_confident

if TYPE_CHECKING:
    from restore.restorer import Restorer

__all__ = ["DETECT_FILE", "DOCUMENT_FEATURES", "DetectCalibration", "Detection", "SuspectedSpan", "detect_with"]

DETECT_FILE = "detect.json"
"""The detection calibration a model folder may carry (written by ``training.calibrate_detect``)."""
DOCUMENT_FEATURES = (
    "mean doubt",  # mean tag doubt of the words the model may change
    "share doubted",  # share of those words whose doubt exceeds 0.5
    "evidence rate",  # disjoint proposed edits at evidence confidence (the gates' measure) per word
    "edit rate",  # edits the gates let through, per word
    "log words",  # log(1 + words the model may change): short texts say less
    # The model's in-domain n-gram LM (``ngram.bin``; 0 without one), per word it may change:
    # spinners put words where the source's fit better, whatever their tables.
    "ngram log-prob",  # mean log10 P(word | the three before) under the n-gram model
    "ngram surprise",  # share of those words with log10 P below SURPRISE
)
SURPRISE = -5.0
"""log10 probability under the n-gram model below which a word counts as a surprise."""
EVIDENCE_CONFIDENCE = 0.5
"""The confidence at which a proposed edit counts as evidence of spin (the gates' default)."""


@dataclass(frozen=True, slots=True)
class SuspectedSpan:
    """Characters ``[start, end)`` of the input (``text``) look spun with ``probability``;
    ``suggestion`` is the likely original where the model has one (else None), from
    ``source`` (an :class:`restore.Edit` source, or ``"tagger"`` for doubt alone)."""

    start: int
    end: int
    text: str
    probability: float
    suggestion: str | None = None
    source: str = "tagger"

    def to_dict(self) -> dict:
        return {**asdict(self), "probability": round(self.probability, 4)}


@dataclass(frozen=True)
class Detection:
    """Whether a text looks spun: ``probability`` for the text as a whole, the suspected
    ``spans`` (sorted, disjoint, offsets of the input) and the document ``features`` behind it."""

    probability: float
    spans: list[SuspectedSpan] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)

    @property
    def spun(self) -> bool:
        """True when the text is more likely spun than not."""
        return self.probability >= 0.5

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``{"probability", "spun", "spans": [...], "features": {...}}``."""
        return {
            "probability": round(self.probability, 4),
            "spun": self.spun,
            "spans": [s.to_dict() for s in self.spans],
            "features": {k: round(v, 5) for k, v in self.features.items()},
        }


@dataclass(frozen=True)
class DetectCalibration:
    """The fitted logistic combination of :data:`DOCUMENT_FEATURES` (standardised by ``mean``
    and ``scale``) and the span threshold.  The default (no ``detect.json``) is a hand-set rule:
    spun when the gates' evidence reaches about one edit in twenty words."""

    mean: tuple[float, ...] = (0.0,) * len(DOCUMENT_FEATURES)
    scale: tuple[float, ...] = (1.0,) * len(DOCUMENT_FEATURES)
    weights: tuple[float, ...] = (0.0, 0.0, 60.0) + (0.0,) * (len(DOCUMENT_FEATURES) - 3)
    bias: float = -3.0
    span_threshold: float = 0.5
    info: dict = field(default_factory=dict)

    def probability(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * (x - m) / s for w, x, m, s in zip(self.weights, features, self.mean, self.scale))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    @classmethod
    def load(cls, model_dir: str | Path | None) -> "DetectCalibration":
        """The calibration in ``model_dir``'s :data:`DETECT_FILE`, else the default rule."""
        path = Path(model_dir) / DETECT_FILE if model_dir is not None else None
        if path is None or not path.is_file():
            return cls()
        d = json.loads(path.read_text(encoding="utf-8"))
        if tuple(d["features"]) != DOCUMENT_FEATURES:
            raise ValueError(f"{path} was fitted on features {d['features']}, expected {list(DOCUMENT_FEATURES)}")
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["weights"]), float(d["bias"]),
                   float(d["span_threshold"]), d.get("info", {}))

    def to_dict(self) -> dict:
        return {"features": list(DOCUMENT_FEATURES), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "bias": self.bias, "span_threshold": self.span_threshold,
                "info": self.info}


@dataclass(frozen=True)
class Evidence:
    """What the model says of one text, before any calibration: per word it may change,
    ``(start, end, doubt)`` in the text's offsets; every proposed edit; the edits the gates
    let through; per word, its n-gram log10 probability where the model has an n-gram LM."""

    words: list[tuple[int, int, float]]
    proposed: list[Edit]
    chosen: list[Edit]
    lm: list[float] = field(default_factory=list)  # per word of ``words``: log10 P under the n-gram model, if any

    def features(self) -> tuple[float, ...]:
        """:data:`DOCUMENT_FEATURES` of the text."""
        n = len(self.words)
        doubts = [d for _, _, d in self.words]
        evidence = len(most_confident(self.proposed, EVIDENCE_CONFIDENCE))
        return (
            sum(doubts) / n if n else 0.0,
            sum(d > 0.5 for d in doubts) / n if n else 0.0,
            evidence / max(n, 1),
            len(self.chosen) / max(n, 1),
            math.log1p(n),
            sum(self.lm) / len(self.lm) if self.lm else 0.0,
            sum(x < SURPRISE for x in self.lm) / len(self.lm) if self.lm else 0.0,
        )

    def spans(self, text: str, threshold: float) -> list[SuspectedSpan]:
        """Suspected spans at ``threshold`` or above: the chosen edits, then the most confident
        proposals, then runs of doubted words that no edit covers."""
        def doubt_in(a: int, z: int) -> float:
            return max([d for s, e, d in self.words if s < z and a < e] or [0.0])

        out: list[SuspectedSpan] = []

        def free(a: int, z: int) -> bool:
            return all(z <= s.start or s.end <= a for s in out)

        for e in [*self.chosen, *most_confident(self.proposed, threshold)]:
            p = max(e.confidence, doubt_in(e.start, e.end))
            if p >= threshold and e.end > e.start and free(e.start, e.end):
                out.append(SuspectedSpan(e.start, e.end, text[e.start : e.end], p, e.after, e.source))
        run: list[tuple[int, int, float]] = []
        for w in [*self.words, (len(text) + 1, len(text) + 1, 0.0)]:
            if w[2] >= threshold and free(w[0], w[1]):
                run.append(w)
                continue
            if run:
                a, z = run[0][0], run[-1][1]
                out.append(SuspectedSpan(a, z, text[a:z], max(d for *_, d in run)))
                run = []
        return sorted(out, key=lambda s: s.start)


def evidence_of(restorer: "Restorer", texts: list[str]) -> list[Evidence]:
    """The model's :class:`Evidence` on each of ``texts``, their units batched together (one
    encoder pass for the doubt, one proposal pass, the gates of the restorer's editor per text)."""
    from restore.restorer import _for_editor, _safe_edits, _touches_protected

    editor = restorer.editor
    jobs = [job for i, t in enumerate(texts) for job in restorer._jobs(i, t)]
    units = [_for_editor(j.text) for j in jobs]
    masks = [j.protected for j in jobs]
    words: list[list[tuple[int, int, float]]] = [[] for _ in texts]
    keep_probabilities = getattr(editor, "keep_probabilities", None)
    probs = keep_probabilities(units, masks) if units and callable(keep_probabilities) else [
        [None if p else 1.0 for p in j.protected] for j in jobs]  # no tagger: every free word, no doubt
    ngram = getattr(editor, "ngram", None)
    lm: list[list[float]] = [[] for _ in texts]
    for job, unit, ps in zip(jobs, units, probs):
        scores = _ngram_scores(ngram, unit) if ngram is not None else None
        for k, ((a, z), p, word) in enumerate(zip(job.spans, ps, _word_flags(job.text))):
            if p is not None and word:
                words[job.text_index].append((job.start + a, job.start + z, 1.0 - p))
                if scores is not None:
                    lm[job.text_index].append(scores[k])
    by_text = callable(getattr(editor, "proposals", None)) and callable(getattr(editor, "choose_document", None))
    proposed_units = (editor.proposals if by_text else editor.propose)(units, masks) if units else []
    chosen_units = list(proposed_units)
    if by_text:
        of_text: dict[int, list[int]] = {}
        for k, job in enumerate(jobs):
            of_text.setdefault(job.text_index, []).append(k)
        for idx in of_text.values():
            for k, chosen in zip(idx, editor.choose_document([proposed_units[k] for k in idx])):
                chosen_units[k] = chosen
    proposed: list[list[Edit]] = [[] for _ in texts]
    chosen: list[list[Edit]] = [[] for _ in texts]
    for job, es, ch in zip(jobs, proposed_units, chosen_units):
        proposed[job.text_index] += shift([e for e in es if e.before != e.after and not _touches_protected(job, e)], job.start)
        chosen[job.text_index] += shift(_safe_edits(job, ch), job.start)
    return [Evidence(w, p, c, m) for w, p, c, m in zip(words, proposed, chosen, lm)]


def _ngram_scores(ngram, unit: str) -> list[float]:
    """log10 P(token | the ones before) of each token of ``unit`` under a KenLM n-gram model."""
    try:
        from restore.candidates.ngram import ngram_words
    except ImportError:  # before the candidates package
        from restore.spin.ngram import ngram_words

    words = ngram_words(unit)
    return [score for score, *_ in ngram.model.full_scores(" ".join(words), bos=True, eos=False)][: len(words)]


def _word_flags(unit: str) -> list[bool]:
    from restore.text import tokenize

    return [t.is_word for t in tokenize(unit)]


def detect_with(restorer: "Restorer", texts: list[str], calibration: DetectCalibration) -> list[Detection]:
    """:class:`Detection` of each of ``texts`` by ``restorer``'s model under ``calibration``."""
    out = []
    for text, ev in zip(texts, evidence_of(restorer, texts)):
        features = ev.features()
        probability = calibration.probability(features) if ev.words else 0.0
        out.append(Detection(probability, ev.spans(text, calibration.span_threshold), dict(zip(DOCUMENT_FEATURES, features))))
    return out
