"""Detection benchmark: does a system tell spun text from clean, and find the spun words?

``python -m benchmarks.detection`` scores, on each spun suite (:mod:`benchmarks.suites`):

- **document AUROC**: each spun unit (one the spinner changed) against the clean original of the
  same unit (``Item.reference``: the same held-out paragraph or sentence, unspun), and against the
  ``clean`` suite (other held-out news paragraphs);
- **span precision, recall and F0.5** on the spun units: a suspected span is right if it overlaps
  a gold span (``Item.gold``), a gold span is found if a suspected span overlaps it; beside them,
  the spans flagged per 100 words of the clean originals;

for ``restore.detect`` with the shipped model and two lookups, as the Problematic Paper Screener
flags tortured phrases: ``lookup-pps``, whole-word matches of the tortured forms of the Screener
list that training may use (the list the ``tortured`` suite is built from, so a circular upper
bound there), and ``lookup-tables``, runs of words that the model's inverted spinner tables
(``candidates.tsv.gz``) say are more likely spun than genuine.  A lookup's document score is its
matches per word.  ``--limit`` and ``--merge`` run it in parts.  Writes ``benchmarks/results/detection.json`` and ``detection.md`` and puts
the section into ``report.md`` (:func:`include_section`; ``benchmarks.report`` does the same
whenever it writes the report).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from pathlib import Path

from benchmarks.suites import SUITE_NAMES, Suite, build_suites, shared_dir, tortured_phrases

RESULTS = Path(__file__).resolve().parent / "results"
SPUN_SUITES = ("news-unseen", "news-unseen-moby", "news", "tortured-unseen", "tortured")
SYSTEMS = ("restore", "lookup-pps", "lookup-tables")
BEGIN, END = "<!-- detection -->", "<!-- /detection -->"
Span = tuple[int, int]


def auroc(positives: list[float], negatives: list[float]) -> float:
    """Area under the ROC curve: P(a positive scores above a negative), ties counting half."""
    if not positives or not negatives:
        return float("nan")
    ranked = sorted([(s, 1) for s in positives] + [(s, 0) for s in negatives])
    rank_sum, k = 0.0, 0
    while k < len(ranked):
        j = k
        while j < len(ranked) and ranked[j][0] == ranked[k][0]:
            j += 1
        mid = (k + 1 + j) / 2  # mean rank of the tie group (ranks from 1)
        rank_sum += mid * sum(lab for _, lab in ranked[k:j])
        k = j
    n_pos, n_neg = len(positives), len(negatives)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def span_counts(predicted: list[Span], gold: list[Span]) -> dict[str, int]:
    """Overlap counts: predicted spans that overlap a gold span, gold spans overlapped."""
    return {
        "predicted": len(predicted),
        "predicted_right": sum(any(a < gz and ga < z for ga, gz in gold) for a, z in predicted),
        "gold": len(gold),
        "gold_found": sum(any(a < gz and ga < z for a, z in predicted) for ga, gz in gold),
    }


def span_scores(counts: list[dict[str, int]], beta: float = 0.5) -> dict[str, float]:
    """Precision, recall and F-beta of summed :func:`span_counts`."""
    total = {k: sum(c[k] for c in counts) for k in ("predicted", "predicted_right", "gold", "gold_found")}
    p = total["predicted_right"] / total["predicted"] if total["predicted"] else 0.0
    r = total["gold_found"] / total["gold"] if total["gold"] else 0.0
    f = (1 + beta**2) * p * r / (beta**2 * p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f0.5": f, **total}


class PhraseLookup:
    """Whole-word, case-insensitive matches of a list of phrases (longest first, no overlaps)."""

    def __init__(self, phrases: list[str]) -> None:
        words = sorted({p.strip().lower() for p in phrases if p.strip()}, key=lambda p: (-len(p), p))
        body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in words)
        self.pattern = re.compile(rf"(?<![\w'’-])(?:{body})(?![\w-])", re.IGNORECASE)

    def __call__(self, text: str) -> list[Span]:
        return [m.span() for m in self.pattern.finditer(text)]


class TableLookup:
    """Runs of words the inverted spinner tables list as spun and say are more likely spun
    than genuine (``Channel.unchanged_logp`` below log 0.5), in free (unprotected) words."""

    def __init__(self, model_dir: Path) -> None:
        from restore.candidates.channel import Channel, norm

        self.channel, self.norm = Channel.load(model_dir / "candidates.tsv.gz"), norm

    def __call__(self, text: str) -> list[Span]:
        from restore.text import protected_mask, tokenize

        tokens = tokenize(text)
        free = [not p for p in protected_mask(text, tokens)]
        found: list[Span] = []
        for a, z, _ in sorted(self.channel.spans(text, tokens, free), key=lambda s: (s[0], -(s[1] - s[0]))):
            key = tuple(self.norm(t.text) for t in tokens[a:z])
            unchanged = self.channel.unchanged_logp.get(key, self.channel.keep_logp.get(key[0], 0.0))
            span = (tokens[a].start, tokens[z - 1].end)
            if unchanged < math.log(0.5) and all(span[1] <= s or e <= span[0] for s, e in found):
                found.append(span)
        return sorted(found)


def _words(text: str) -> int:
    return max(1, len(text.split()))


def score_system(name: str, suites: dict[str, Suite], detect) -> dict:
    """Scores of one system; ``detect(texts) -> [(document score, [spans])]``."""
    texts = sorted({t for s in suites.values() for it in s.items for t in (it.source, it.reference) if t})
    started = time.perf_counter()
    found = dict(zip(texts, detect(texts)))
    seconds = time.perf_counter() - started
    clean = [found[it.source][0] for it in suites["clean"].items] if "clean" in suites else []
    out: dict = {"seconds": round(seconds, 1), "words_per_s": round(sum(map(_words, texts)) / max(seconds, 1e-9))}
    for name_, suite in suites.items():
        if name_ not in SPUN_SUITES:
            continue
        spun = [it for it in suite.items if it.gold and it.reference and it.source != it.reference]
        pos = [found[it.source][0] for it in spun]
        neg = [found[it.reference][0] for it in spun]
        counts = [span_counts(found[it.source][1], [(a, z) for a, z, _ in it.gold]) for it in spun]
        clean_words = sum(_words(it.reference) for it in spun)
        out[name_] = {
            "units": len(spun),
            "auroc": auroc(pos, neg),
            "auroc_vs_clean": auroc(pos, clean),
            **span_scores(counts),
            "clean_spans_per_100_words": 100 * sum(len(found[it.reference][1]) for it in spun) / max(clean_words, 1),
        }
    return out


def restore_detector(model: str | None, batch: int = 64):
    from restore import Restorer

    restorer = Restorer.from_pretrained(model)

    def run(texts: list[str]):
        out = []
        for k in range(0, len(texts), batch):
            for d in restorer.detect(texts[k : k + batch]):
                out.append((d.probability, [(s.start, s.end) for s in d.spans]))
            print(f"\rdetect {min(k + batch, len(texts))}/{len(texts)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        return out

    return run, restorer


def lookup_detector(lookup):
    def run(texts: list[str]):
        out = []
        for t in texts:
            spans = lookup(t)
            out.append((len(spans) / _words(t), spans))
        return out

    return run


def render_section(result: dict) -> str:
    """The report's markdown section for ``detection.json``."""
    lines = [BEGIN, "## Detection", "",
             f"`python -m benchmarks.detection` — {result['started']}; units per suite in the table. "
             "Document AUROC: each spun unit against the clean original of the same unit (in brackets: "
             "against the `clean` suite). Spans: a suspected span is right if it overlaps a gold spun span; "
             "P/R/F0.5 over the suite's spun units; false spans per 100 words of the clean originals. "
             "`lookup-pps`: the Problematic Paper Screener's tortured forms that training may use (the "
             "list the `tortured` suite is built from: circular there); `lookup-tables`: the model's "
             "inverted spinner tables, where spun is likelier than genuine.", "",
             "| suite | units | system | AUROC (vs clean suite) | span P | span R | span F0.5 | false spans /100 clean words |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for suite in SPUN_SUITES:
        for system in SYSTEMS:
            r = result["systems"].get(system, {}).get(suite)
            if r:
                lines.append(f"| {suite} | {r['units']} | {system} | {r['auroc']:.3f} ({r['auroc_vs_clean']:.3f}) | "
                             f"{r['precision']:.1%} | {r['recall']:.1%} | {r['f0.5']:.1%} | "
                             f"{r['clean_spans_per_100_words']:.2f} |")
    calib = result.get("calibration") or {}
    if calib:
        lines += ["", f"Calibration (`{calib.get('file', 'detect.json')}`): {calib.get('about', '')}"]
    lines += ["", END]
    return "\n".join(lines)


def include_section(markdown: str, section: str) -> str:
    """``markdown`` with its detection section replaced by ``section`` (appended if none)."""
    from benchmarks.report import include_section as include

    return include(markdown, section, "detection")


def section_for(output: Path) -> str | None:
    """The section for ``output``'s ``detection.json``, or None when there is none."""
    path = output / "detection.json"
    return render_section(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m benchmarks.detection", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="the small prefix of each suite")
    p.add_argument("--suites", nargs="+", default=[*SPUN_SUITES, "clean"], choices=SUITE_NAMES, metavar="NAME")
    p.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=SYSTEMS, metavar="NAME")
    p.add_argument("--model", default=None, help="model folder (default: the shipped one)")
    p.add_argument("--output", type=Path, default=RESULTS, help="folder for detection.json (default: %(default)s)")
    p.add_argument("--shared", default=None, help="the shared data folder")
    p.add_argument("--limit", type=int, default=None, metavar="N", help="the first N units of each suite")
    p.add_argument("--merge", action="store_true",
                   help="keep the other suites' scores of the existing detection.json (runs in parts, each short)")
    args = p.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    suites = {s.name: s for s in build_suites(args.suites, quick=args.quick, shared=args.shared)}
    for suite in suites.values():
        if args.limit:
            suite.items = suite.items[: args.limit]
            suite.params["limit"] = args.limit
    result: dict = {"quick": args.quick, "started": started, "suites": {n: s.signature() for n, s in suites.items()},
                    "systems": {}}
    previous = args.output / "detection.json"
    if args.merge and previous.is_file():
        old = json.loads(previous.read_text(encoding="utf-8"))
        result["suites"] = {**old["suites"], **result["suites"]}
        result["systems"] = {name: {k: v for k, v in scores.items() if k not in suites}
                             for name, scores in old["systems"].items()}
    calibration = None
    for system in args.systems:
        if system == "restore":
            run, restorer = restore_detector(args.model)
        elif system == "lookup-pps":
            phrases = [f for forms in tortured_phrases(shared_dir(args.shared)).values() for f in forms]
            run = lookup_detector(PhraseLookup(phrases))
        else:
            from restore.restorer import DEFAULT_MODEL_DIR

            run = lookup_detector(TableLookup(Path(args.model) if args.model else DEFAULT_MODEL_DIR))
        result["systems"][system] = {**result["systems"].get(system, {}), **score_system(system, suites, run)}
        if system == "restore":
            calibration = getattr(restorer, "_detect_calibration", None)
        print(system, json.dumps({k: v for k, v in result["systems"][system].items()}, default=str)[:600], file=sys.stderr)
    if calibration is not None:
        result["calibration"] = {"file": f"{args.model or 'restore/models/default'}/detect.json",
                                 "about": calibration.info.get("about", "the default rule (no detect.json)")}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "detection.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    section = render_section(result)
    (args.output / "detection.md").write_text(section + "\n", encoding="utf-8")
    report = args.output / "report.md"
    if report.is_file():
        report.write_text(include_section(report.read_text(encoding="utf-8"), section), encoding="utf-8")
    print(section)
    return result


if __name__ == "__main__":
    main()
