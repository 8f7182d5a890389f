"""Run systems on suites and write the report.

    python -m benchmarks.run [--quick] [--systems identity lexicon seq2seq] [--suites news clean ...]
                             [--output benchmarks/results] [--shared ../shared] [--suites-file FILE]

Every system runs on the same suites in this one run (each in its own process, one after
another), so speed and memory compare on equal terms.  Scores come from the restoration metric
loaded by path with ``evaluate.load``.  Writes ``report.md``, ``report.json``, the plot and the
seed outputs into ``--output`` and prints the tables.  Exits 1 if a system failed (a system
that cannot run here, such as ``seq2seq`` before a model ships, is skipped with a note).
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from benchmarks import report
from benchmarks.measure import run_isolated
from benchmarks.spans import reachable
from benchmarks.suites import SIZES, SUITE_NAMES, Suite, build_suites, load_suites_file
from benchmarks.systems import REGISTRY, SYSTEMS
from benchmarks.systems.seq2seq import MODEL_ENV
from restore.model.feature_pool import usable_cores

METRIC_DIR = Path(__file__).resolve().parent / "metrics" / "restoration"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results"
PACKAGES = ("evaluate", "sacrebleu", "rapidfuzz", "torch", "transformers", "pocketsphinx", "ufal.kenlm")
ABOUT = {
    "news-unseen": "Held-out news paragraphs (NTREX + held-out Wikinews) spun with `heldout`, a profile built to "
    "resemble a commercial spinner from resources that no training pair, candidate table or calibration uses "
    "(a held-out team phrase table, common Moby synonyms). The headline.",
    "news-unseen-moby": "The same paragraphs spun with `moby` (loose Moby senses), also unseen and harder.",
    "news": "The same paragraphs spun with the default `news` profile, which training uses (in-distribution).",
    "tortured-unseen": "Held-out sentences first, then others, with a real tortured phrase put in from the 25% of "
    "the pps-dev list that the spinner's tables, the candidate tables and calibration do not use. The shipped "
    "network's first stage (2026-11-28) was trained on pairs spun from the whole list, before the split, so it "
    "may still know some of these phrases; its later stages, tables and calibration never saw them.",
    "tortured": "The same with the other 75% of the pps-dev list, which feeds the `tortured` training profile and "
    "the candidate tables: known phrases in new contexts.",
    "clean": "Unspun held-out news: every change is a false edit.",
    "clean-speeches": "Unspun paragraphs of UN General Debate speeches of make_pairs' test split (never trained on).",
    "clean-fiction": "Unspun paragraphs of the Gutenberg book in make_pairs' test split (never trained on).",
    "seed": "The real spun article in seeds/ (no clean original): tokens changed.",
}


@dataclass
class Args:
    quick: bool
    systems: list[str]
    suites: list[str]
    output: Path
    shared: str | None
    suites_file: str | None
    examples: int
    progress: bool
    model: str | None


def parse_args(argv: list[str] | None) -> Args:
    p = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help=f"small suites (~{SIZES['quick']['news']} units each)")
    p.add_argument("--systems", nargs="+", default=list(REGISTRY), choices=list(SYSTEMS), metavar="NAME",
                   help=f"systems to run (default: all of {', '.join(REGISTRY)}; ablations: {', '.join(s for s in SYSTEMS if s not in REGISTRY)})")
    p.add_argument("--suites", nargs="+", default=None, metavar="NAME",
                   help=f"suites to run (default: all of {', '.join(SUITE_NAMES)}, or all in --suites-file)")
    p.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="folder for the report (default: %(default)s)")
    p.add_argument("--shared", default=None, help="the shared data folder (default: ../shared, then /work/shared)")
    p.add_argument("--suites-file", default=None,
                   help="read suites from a JSON-lines file of {suite, id, source, reference} instead of building them")
    p.add_argument("--examples", type=int, default=3, help="failure examples of each kind per system and suite")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    p.add_argument("--model", default=None,
                   help="model folder for the seq2seq system (default: the shipped restore/models/default)")
    a = p.parse_args(argv)
    return Args(a.quick, a.systems, a.suites, a.output, a.shared, a.suites_file, a.examples, a.progress, a.model)


def load_suites(args: Args) -> list[Suite]:
    if args.suites_file:
        suites = load_suites_file(args.suites_file)
        if args.suites:
            suites = [s for s in suites if s.name in args.suites]
        if args.quick:
            for s in suites:
                s.items = s.items[: SIZES["quick"].get(s.name, SIZES["quick"]["news"])]
        return suites
    return build_suites(args.suites or SUITE_NAMES, quick=args.quick, shared=args.shared)


def environment() -> dict:
    import restore

    versions = {"restore": restore.__version__}
    for pkg in PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "none"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = usable_cores()
    return {
        "versions": versions,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {cores} cores, {cpu}",
    }


def signature(suites: list[Suite], systems: dict, env: dict) -> str:
    """sacrebleu-style line pinning what every score depends on."""
    models = [s["info"]["model"] for s in systems.values() if "model" in s.get("info", {})]
    parts = ["suites:" + ",".join(f"{s.name}@v{s.version}#{s.content_hash}" for s in suites)]
    parts.append("model:" + (",".join(models) if models else "none"))
    parts += [f"{k}:{v}" for k, v in env["versions"].items()]
    parts += [f"python:{env['python']}", "machine:" + env["machine"].replace("|", "/")]
    return "|".join(parts)


def score(suites: list[Suite], systems: dict, n_examples: int) -> tuple[dict, dict, dict]:
    """Metric scores per suite and system, failure examples, and the seed outputs."""
    import evaluate

    metric = evaluate.load(str(METRIC_DIR))
    scores: dict[str, dict] = {}
    examples: dict[str, dict] = {name: {} for name in systems}
    seed_outputs: dict[str, dict] = {}
    for suite in suites:
        ids = [it.id for it in suite.items]
        sources = [it.source for it in suite.items]
        references = [it.reference for it in suite.items]
        has_reference = all(r is not None for r in references)
        scores[suite.name] = {}
        for name, result in systems.items():
            if result["status"] != "ok":
                continue
            run = result["suites"][suite.name]
            predictions = run.pop("outputs")
            gold = references if has_reference else sources  # no reference: count changes
            s = metric.compute(sources=sources, predictions=predictions, references=gold)
            if not has_reference:
                s = {k: s[k] for k in ("changed", "changed_share", "source_tokens", "units")}
            stable = run.pop("stable", None)
            s["stable"] = sum(stable) / len(stable) if stable else None
            s.update(reachability(suite, run.pop("considered", None)))
            scores[suite.name][name] = {**s, "words_per_s": run["words_per_s"], "seconds": run["seconds"]}
            refs = references if has_reference else [None] * len(sources)
            found = report.failure_examples(ids, sources, predictions, refs, k=n_examples)
            if found:
                examples[name][suite.name] = found
            if not has_reference:
                seed_outputs.setdefault(name, {}).update(zip(ids, predictions))
    return scores, examples, seed_outputs


def reachability(suite: Suite, considered: list | None) -> dict:
    """``reachability``: the share of the suite's gold spans whose clean words one of the
    replacements the system considered gives back (:func:`benchmarks.spans.reachable`), with
    ``gold_spans`` and ``reachable_spans``; empty without gold spans or a ``considered`` list."""
    if considered is None or not any(it.gold for it in suite.items):
        return {}
    found = total = 0
    for item, weighed in zip(suite.items, considered):
        if item.gold:
            found += sum(reachable(weighed, item.source, list(item.gold)))
            total += len(item.gold)
    return {"reachability": found / total if total else None, "gold_spans": total, "reachable_spans": found}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.model:
        os.environ[MODEL_ENV] = str(Path(args.model).resolve())  # read by the seq2seq worker process
    started = time.perf_counter()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    suites = load_suites(args)
    if not suites:
        print("benchmarks.run: no suites to run", file=sys.stderr)
        return 2
    payload = [(s.name, [it.source for it in s.items], any(it.gold for it in s.items)) for s in suites]
    systems: dict[str, dict] = {}
    for name in args.systems:
        print(f"running {name} on {', '.join(f'{s.name} ({len(s.items)})' for s in suites)}", file=sys.stderr)
        result = run_isolated(name, payload, progress=args.progress)
        if result["status"] != "ok":
            print(f"  {name}: {result['status']}: {result['note']}", file=sys.stderr)
        systems[name] = result
    scores, examples, seed_outputs = score(suites, systems, args.examples)
    env = environment()
    for name, result in systems.items():
        if result["status"] == "ok":
            runs = result.pop("suites")
            seconds = sum(r["seconds"] for r in runs.values())
            result["words_per_s"] = sum(r["words"] for r in runs.values()) / seconds if seconds else None
            result["signature"] = "|".join([f"system:{name}", *(f"{k}:{v}" for k, v in result["info"].items())])
    run = {
        "signature": signature(suites, systems, env),
        "command": "python -m benchmarks.run " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "started": when,
        "environment": env,
        "suites": {
            s.name: {
                "signature": s.signature(),
                "units": len(s.items),
                "words": s.words,
                "has_reference": all(it.reference is not None for it in s.items),
                "about": ABOUT.get(s.name, ""),
            }
            for s in suites
        },
        "systems": systems,
        "scores": scores,
        "examples": examples,
        "seed_outputs": seed_outputs,
    }
    run["duration_s"] = time.perf_counter() - started
    written = report.write(run, args.output)
    print(report.systems_table(run))
    for suite in run["suites"]:
        print(f"\n{suite}: {run['suites'][suite]['signature']}\n{report.score_table(run, suite)}")
    print(f"\n{run['signature']}\nwrote {', '.join(str(p) for p in written)}")
    return 1 if any(s["status"] == "error" for s in systems.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
