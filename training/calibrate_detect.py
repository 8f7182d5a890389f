"""Fit ``restore.detect``'s calibration (``detect.json`` beside the model) on dev data, never a suite.

The document probability is a logistic regression of :data:`restore.detection.DOCUMENT_FEATURES`
on held-out news paragraphs that no benchmark suite holds (:func:`benchmarks.suites.dev_paragraphs`,
as ``training.calibrate --dev_news`` draws them), each spun with a training profile (:data:`PROFILES`
in turn: varied spinners, so the fit leans on what any spinner leaves behind; the benchmark's unseen
profiles ``heldout`` and ``moby`` never) against the same paragraphs unspun.  The span threshold is
the one of :data:`THRESHOLDS` with the best span F0.5 (:func:`benchmarks.detection.span_scores`) on
those spun paragraphs and on sentences of the whole dev pool with one phrase of the tortured list
that training may use put in (:func:`benchmarks.suites.tortured_items`, its own seed), the suites'
sentences excluded.

    python -m training.calibrate_detect                      # writes restore/models/default/detect.json
    python -m training.calibrate_detect --model models/my-model --paragraphs 200
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from benchmarks.detection import auroc, span_counts, span_scores
from benchmarks.suites import dev_paragraphs, shared_dir, spun_item, tortured_items, tortured_phrases
from restore.detection import DETECT_FILE, DOCUMENT_FEATURES, DetectCalibration, evidence_of

PROFILES = ("news", "wordnet", "broad", "neighbours")
"""Training profiles the spun dev paragraphs are drawn with (never the benchmark's unseen ones)."""
SEED = 4242  # the spinner seeds (the suites use benchmarks.suites.SEED + k)
TORTURED_SEED = 11
THRESHOLDS = tuple(round(0.5 + 0.05 * k, 2) for k in range(10))
L2 = 1e-2


def fit_logistic(rows: list[tuple[float, ...]], labels: list[int], l2: float = L2, steps: int = 50):
    """(mean, scale, weights, bias) of an L2-regularised logistic regression on standardised
    ``rows`` (Newton's method)."""
    import numpy as np

    x = np.asarray(rows, dtype=float)
    y = np.asarray(labels, dtype=float)
    mean, scale = x.mean(0), x.std(0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    w = np.zeros(z.shape[1])
    reg = np.full(z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(z @ w, -50, 50)))
        grad = z.T @ (p - y) + reg * w * len(y)
        hess = (z * (p * (1 - p))[:, None]).T @ z + np.diag(reg * len(y)) + 1e-9 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return mean.tolist(), scale.tolist(), w[:-1].tolist(), float(w[-1])


def dev_data(shared: Path, paragraphs: int, sentences: int):
    """(spun paragraphs with gold, clean paragraphs, tortured sentences with gold, their clean
    sentences), all from the dev pool."""
    from restore.segment import sentence_spans

    pool = dev_paragraphs(shared)
    spun = [spun_item(i, p, SEED + k, PROFILES[k % len(PROFILES)]) for k, (i, p) in enumerate(pool[:paragraphs])]
    spun = [it for it in spun if it.gold]
    sents = ((f"{i}:{a}", p[a:b].strip()) for i, p in pool for a, b in sentence_spans(p))
    tortured = tortured_items(sents, tortured_phrases(shared), sentences, TORTURED_SEED)
    return spun, [it.reference for it in spun], tortured, [it.reference for it in tortured]


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m training.calibrate_detect", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=None, help="model folder (default: the shipped one); detect.json is written there")
    p.add_argument("--paragraphs", type=int, default=200, help="dev paragraphs (each spun and clean)")
    p.add_argument("--sentences", type=int, default=120, help="dev sentences with a tortured phrase")
    p.add_argument("--shared", default=None, help="the shared data folder (default: as the benchmark finds it)")
    args = p.parse_args(argv)
    from restore import Restorer
    from restore.restorer import DEFAULT_MODEL_DIR

    model_dir = Path(args.model) if args.model else DEFAULT_MODEL_DIR
    restorer = Restorer.from_pretrained(model_dir)
    spun, clean, tortured, tortured_clean = dev_data(shared_dir(args.shared), args.paragraphs, args.sentences)
    texts = [it.source for it in spun] + clean + [it.source for it in tortured] + tortured_clean
    evidence = []
    for k in range(0, len(texts), 64):
        evidence += evidence_of(restorer, texts[k : k + 64])
        print(f"\rcalibrate_detect {len(evidence)}/{len(texts)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    n = len(spun)
    features = [ev.features() for ev in evidence]
    rows, labels = features[: 2 * n], [1] * n + [0] * n
    mean, scale, weights, bias = fit_logistic(rows, labels)
    calibration = DetectCalibration(tuple(mean), tuple(scale), tuple(weights), bias)
    probs = [calibration.probability(f) for f in features]
    dev_auroc = auroc(probs[:n], probs[n : 2 * n])
    spun_texts = [(ev, it) for ev, it in zip(evidence[:n], spun)] + [
        (ev, it) for ev, it in zip(evidence[2 * n : 2 * n + len(tortured)], tortured)]
    by_threshold = {}
    for t in THRESHOLDS:
        counts = [span_counts([(s.start, s.end) for s in ev.spans(it.source, t)], [(a, z) for a, z, _ in it.gold])
                  for ev, it in spun_texts]
        by_threshold[t] = span_scores(counts)
    threshold = max(THRESHOLDS, key=lambda t: (by_threshold[t]["f0.5"], t))
    about = (f"logistic regression of {', '.join(DOCUMENT_FEATURES)} on {n} held-out dev news paragraphs "
             f"(benchmarks.suites.dev_paragraphs, no suite's) spun with {'/'.join(PROFILES)} vs the same unspun "
             f"(in-sample AUROC {dev_auroc:.3f}); span threshold {threshold} (best span F0.5 "
             f"{by_threshold[threshold]['f0.5']:.3f} on those and {len(tortured)} dev sentences with a tortured phrase)")
    calibration = DetectCalibration(tuple(mean), tuple(scale), tuple(weights), bias, threshold, {
        "about": about, "paragraphs": n, "tortured_sentences": len(tortured), "profiles": list(PROFILES),
        "dev_auroc": round(dev_auroc, 4),
        "span_f0.5_by_threshold": {str(t): round(s["f0.5"], 4) for t, s in by_threshold.items()},
    })
    out = model_dir / DETECT_FILE
    out.write_text(json.dumps(calibration.to_dict(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}: {about}")
    return calibration.to_dict()


if __name__ == "__main__":
    main()
