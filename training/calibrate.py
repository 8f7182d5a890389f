"""Choose an exported model's decision thresholds on held-out pairs (never the benchmark).

    python -m training.calibrate restore/models/default --pairs data/pairs --samples 600

Restores ``--samples`` units of the pairs' validation split with every ``keep_threshold``
of the grid, filters the edits by every ``min_confidence``, scores each setting with the
restoration metric, and keeps the setting with the most spin removed whose damage on
spun units stays within ``--max_damage`` and whose changes to unspun units stay within
``--max_clean_changes``.  Writes it into the model's ``config.json`` (``restore``
settings read by :class:`restore.model.editor.Seq2SeqEditor`) and the whole grid to
``calibration.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from restore.edits import apply_edits
from restore.model.editor import Seq2SeqEditor
from restore.model.modeling import TagGenConfig
from restore.text import protected_mask
from training.train import METRIC_PATH

KEEP_THRESHOLDS = (0.5, 0.3, 0.15, 0.05)
MIN_CONFIDENCES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def score_grid(model_dir: str, spun: list[str], clean: list[str], unspun: list[bool]) -> list[dict]:
    """Metric scores of every (keep_threshold, min_confidence) setting on the pairs."""
    import evaluate

    metric = evaluate.load(METRIC_PATH)
    masks = [protected_mask(s) for s in spun]
    spun_idx = [i for i, u in enumerate(unspun) if not u]
    clean_idx = [i for i, u in enumerate(unspun) if u]
    rows = []
    for keep in KEEP_THRESHOLDS:
        editor = Seq2SeqEditor.from_pretrained(model_dir, keep_threshold=keep, min_confidence=0.0)
        proposals = editor.propose(spun, masks)
        for floor in MIN_CONFIDENCES:
            restored = [apply_edits(s, [e for e in es if e.confidence >= floor]) for s, es in zip(spun, proposals)]
            scores = metric.compute(
                sources=[spun[i] for i in spun_idx], predictions=[restored[i] for i in spun_idx],
                references=[clean[i] for i in spun_idx],
            )
            untouched = metric.compute(
                sources=[spun[i] for i in clean_idx], predictions=[restored[i] for i in clean_idx],
                references=[clean[i] for i in clean_idx],
            ) if clean_idx else {"damage": 0.0}
            rows.append({
                "keep_threshold": keep, "min_confidence": floor,
                "spin_removed": scores["spin_removed"], "damage": scores["damage"],
                "precision": scores["precision"], "recall": scores["recall"],
                "clean_changes": untouched["damage"],
            })
            print(json.dumps(rows[-1]))
    return rows


def choose(rows: list[dict], max_damage: float, max_clean_changes: float) -> dict:
    """The most spin removed within the damage bounds; else the least damaging setting."""
    ok = [r for r in rows if r["damage"] <= max_damage and r["clean_changes"] <= max_clean_changes]
    if ok:
        return max(ok, key=lambda r: (r["spin_removed"], -r["damage"]))
    return min(rows, key=lambda r: (r["damage"] + r["clean_changes"], -r["spin_removed"]))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", help="an exported model folder (training.export)")
    parser.add_argument("--pairs", default="data/pairs", help="pairs dataset (its validation split is used)")
    parser.add_argument("--samples", type=int, default=600, help="validation units to restore")
    parser.add_argument("--max_damage", type=float, default=0.01, help="largest damage allowed on spun units")
    parser.add_argument("--max_clean_changes", type=float, default=0.003, help="largest share of words changed in unspun units")
    args = parser.parse_args(argv)

    from datasets import load_from_disk

    dev = load_from_disk(args.pairs)["validation"].shuffle(seed=7)
    dev = dev.select(range(min(args.samples, len(dev))))
    rows = score_grid(args.model_dir, list(dev["spun"]), list(dev["clean"]), [p == "none" for p in dev["profile"]])
    best = choose(rows, args.max_damage, args.max_clean_changes)
    config = TagGenConfig.from_pretrained(args.model_dir)
    config.restore = {**(getattr(config, "restore", None) or {}),
                      "keep_threshold": best["keep_threshold"], "min_confidence": best["min_confidence"]}
    config.save_pretrained(args.model_dir)
    record = {"pairs": args.pairs, "split": "validation", "samples": len(dev), "max_damage": args.max_damage,
              "max_clean_changes": args.max_clean_changes, "chosen": best, "grid": rows}
    (Path(args.model_dir) / "calibration.json").write_text(json.dumps(record, indent=1) + "\n")
    print("chosen:", json.dumps(best))
    return best


if __name__ == "__main__":
    main()
