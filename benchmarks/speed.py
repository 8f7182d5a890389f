"""Throughput and memory of ``restore.fix`` on one article, and where the time goes.

    python -m benchmarks.speed [--model restore/models/default] [--words 1000] [--repeats 3] [--dtype auto]

Builds an article of about ``--words`` words from the held-out news suite (spun with the
default profile), loads a :class:`restore.Restorer`, warms it up once, then times
``fix`` ``--repeats`` times and reports words/s (best and median), peak RSS of the process
(``ru_maxrss``, so torch allocations count) and a breakdown of one run by stage, read from
``cProfile``: segmentation and protection, tokenising, the encoder (tagging), generation,
candidate features (of which the language model's best reading and the n-gram model), the
candidate scorer, the gates, and the rest (reassembly, Python glue); that run scores its
candidates in this process (no feature workers, which the profile could not see).  With
``--reference`` (the default) the same article is also timed on the reference path
(``encoder="torch"``, the network's own encoder; later rounds on whole units; no feature
workers) in the same run, and the speed-up is the ratio of the best times.
With more than one round (``--rounds``, default as ``restore.Restorer``), the same editor is
also timed restoring in one round (``one_round``: the second round's cost).
Writes ``benchmarks/results/speed.json`` (keeping its ``corpus_job`` entry, which
``python -m benchmarks.corpus_speed`` measures: a 10 MB file through the corpus job) and its
section of ``report.md`` beside it (``benchmarks.run`` keeps that section too).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import resource
import statistics
import time
from pathlib import Path

from restore.restorer import DEFAULT_MODEL_DIR, DEFAULT_ROUNDS, Restorer
from restore.model import DTYPES, ENCODERS

RESULTS = Path(__file__).resolve().parent / "results"
SECTION = "speed"  # the report's section (benchmarks.report.include_section)

# Stage name -> (file fragment, function name) of the profiled functions that make it up.
STAGES = {
    "segmentation + protection": [("restore/segment.py", "segment"), ("restore/text.py", "protected_mask")],
    "tokenising": [("tokenization_utils_base.py", "__call__")],
    "encoder (tagging)": [("restore/model/editor.py", "_encode")],
    "generation (decoder)": [("generation/utils.py", "generate")],
    "candidate features": [("restore/candidates/features.py", "rows")],
    "candidate scorer": [("restore/model/scorer.py", "confidences")],
    "gates": [("restore/model/editor.py", "choose_document"), ("restore/model/editor.py", "choose")],
}
# Parts of the candidate features (inside that stage, so not added to the total again).
SUBSTAGES = {
    "of which: best reading (trigram Viterbi)": [("restore/candidates/viterbi.py", "chosen")],
    "of which: n-gram model": [("restore/candidates/ngram.py", "logprob"), ("restore/candidates/ngram.py", "__init__"),
                               ("restore/candidates/ngram.py", "fit")],
}


def article(n_words: int) -> str:
    """About ``n_words`` words of held-out news, spun with the default profile, as paragraphs."""
    from benchmarks.suites import build_suites

    suite = build_suites(["news"])[0]
    paragraphs, total = [], 0
    for item in suite.items:
        paragraphs.append(item.source)
        total += len(item.source.split())
        if total >= n_words:
            break
    return "\n\n".join(paragraphs)


def stage_seconds(profile: cProfile.Profile) -> dict[str, float]:
    """Cumulative seconds per stage (:data:`STAGES`, then :data:`SUBSTAGES`) in a profile;
    ``total`` is the profiled wall time."""
    stats = pstats.Stats(profile)
    stages = {**STAGES, **SUBSTAGES}
    out = {name: 0.0 for name in stages}
    for (filename, _, function), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        for name, parts in stages.items():
            if any(filename.endswith(f) and function == fn for f, fn in parts):
                out[name] += cumulative
    out["total"] = stats.total_tt  # type: ignore[attr-defined]
    return out


def time_fix(restorer: Restorer, text: str, repeats: int) -> list[float]:
    """Seconds of ``repeats`` calls of ``restorer.fix(text)`` after one warm-up call."""
    restorer.fix(text, progress=False)
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        restorer.fix(text, progress=False)
        timings.append(time.perf_counter() - start)
    return timings


def render_section(result: dict) -> str:
    """The report's markdown section for ``speed.json``: the article, its stages and the corpus job."""
    best = min(result["seconds"])
    lines = [f"<!-- {SECTION} -->", "## Speed", "",
             f"`python -m benchmarks.speed` ({result.get('measured', 'undated')}): an article of {result['words']:,} "
             f"words of the news suite, {result['rounds']} rounds (later: {result.get('later_rounds', '–')}), "
             f"{result['workers']} feature workers, encoder {result['encoder']}: best **{best:.3f} s** "
             f"({result['words_per_second_best']:,.0f} words/s) of {len(result['seconds'])} after a warm-up; load "
             f"{result['load_seconds']} s; peak memory {result['peak_rss_mb']:,.0f} MB."]
    one, ref = result.get("one_round"), result.get("reference")
    if one:
        lines.append(f"One round: {min(one['seconds']):.3f} s ({one['speedup_best']}× as fast; same output: "
                     f"{'yes' if one['same_output'] else 'no'}).")
    if ref:
        lines.append(f"Reference path (encoder {ref['encoder']}, later rounds {ref['later_rounds']}, {ref['workers']} "
                     f"workers): {min(ref['seconds']):.3f} s; the default is {ref['speedup_best']}× as fast (same output: "
                     f"{'yes' if ref['same_output'] else 'no'}).")
    lines += ["", "Where the time goes (one run profiled, candidates scored in the one process):", "",
              "| stage | seconds |", "| --- | --- |"]
    lines += [f"| {stage} | {seconds:.3f} |" for stage, seconds in result["profiled_stage_seconds"].items()]
    job = result.get("corpus_job")
    if job:
        lines += ["", f"`python -m benchmarks.corpus_speed` ({job['measured']}): `{job['command']}` on "
                  f"{job['file']['bytes'] / 1e6:.1f} MB of spun news ({job['file']['words']:,} words): "
                  f"**{job['seconds']:,.1f} s ({job['seconds'] / 60:.1f} minutes)**, {job['words_per_second']:,.0f} "
                  f"words/s, {job['edits']:,} edits, {job['failures']} failed, largest worker peak "
                  f"{job['worker_peak_rss_mb']:,.0f} MB (rounds {job['rounds']}, later: {job['later_rounds']})."]
    lines += ["", f"<!-- /{SECTION} -->"]
    return "\n".join(lines)


def section_for(output: Path) -> str | None:
    """The section for ``output``'s ``speed.json``, or None when there is none."""
    path = output / "speed.json"
    return render_section(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else None


def update_report(speed_json: Path) -> None:
    """Put ``speed_json``'s section into the ``report.md`` beside it, if there is one."""
    report = speed_json.parent / "report.md"
    if report.is_file() and speed_json.name == "speed.json":
        from benchmarks.report import include_section

        section = render_section(json.loads(speed_json.read_text(encoding="utf-8")))
        report.write_text(include_section(report.read_text(encoding="utf-8"), section, SECTION), encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder or Hub id")
    parser.add_argument("--words", type=int, default=1000, help="article length in words")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up")
    parser.add_argument("--output", type=Path, default=RESULTS / "speed.json", help="where to write the JSON")
    parser.add_argument("--dtype", choices=DTYPES, default="auto", help="number format of the network (as restore fix --dtype)")
    parser.add_argument("--encoder", choices=ENCODERS, default="auto", help="what tags the text (as restore fix --encoder)")
    parser.add_argument("--no-reference", dest="reference", action="store_false",
                        help="do not also time the reference path (encoder torch)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="restoring rounds (as restore fix --rounds)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    text = article(args.words)
    words = len(text.split())
    start = time.perf_counter()
    restorer = Restorer.from_pretrained(args.model, dtype=args.dtype, encoder=args.encoder, rounds=args.rounds)
    load_seconds = time.perf_counter() - start
    timings = time_fix(restorer, text, args.repeats)
    workers = restorer.editor.workers
    restorer.editor.workers = 0  # the profile sees only this process: score the candidates here for it
    profile = cProfile.Profile()
    profile.enable()
    restorer.fix(text, progress=False)
    profile.disable()
    restorer.editor.workers = workers
    stages = stage_seconds(profile)
    known = sum(v for k, v in stages.items() if k in STAGES)
    stages["rest (reassembly, glue)"] = max(0.0, stages["total"] - known)
    result = {
        "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "model": args.model,
        "words": words,
        "dtype": str(restorer.editor.network_dtype).removeprefix("torch."),
        "encoder": restorer.editor.encoder_name,
        "rounds": restorer.rounds,
        "later_rounds": restorer.later_rounds,
        "workers": workers,
        "load_seconds": round(load_seconds, 2),
        "seconds": [round(t, 3) for t in timings],
        "words_per_second_best": round(words / min(timings), 1),
        "words_per_second_median": round(words / statistics.median(timings), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "profiled_stage_seconds": {k: round(v, 3) for k, v in stages.items()},
    }
    if restorer.rounds > 1:
        one = Restorer(restorer.editor, rounds=1)
        one_timings = time_fix(one, text, args.repeats)
        both = min(timings + time_fix(restorer, text, args.repeats))  # interleaved, as below
        result["one_round"] = {
            "seconds": [round(t, 3) for t in one_timings],
            "words_per_second_best": round(words / min(one_timings), 1),
            "speedup_best": round(both / min(one_timings), 2),
            "same_output": one.fix(text, progress=False) == restorer.fix(text, progress=False),
        }
    if args.reference and restorer.editor.encoder is not None:
        reference = Restorer.from_pretrained(args.model, dtype=args.dtype, encoder="torch", rounds=args.rounds,
                                             later_rounds="whole", workers=0)
        ref_timings = time_fix(reference, text, args.repeats)
        again = time_fix(restorer, text, args.repeats)  # interleaved, so that a slower spell hits both
        best, ref_best = min(timings + again), min(ref_timings)
        result["reference"] = {
            "encoder": "torch",
            "later_rounds": "whole",
            "workers": 0,
            "seconds": [round(t, 3) for t in ref_timings],
            "words_per_second_best": round(words / ref_best, 1),
            "speedup_best": round(ref_best / best, 2),
            "same_output": reference.fix(text, progress=False) == restorer.fix(text, progress=False),
        }
    if args.output.is_file():  # the corpus job's entry is measured apart (benchmarks.corpus_speed): kept
        kept = json.loads(args.output.read_text()).get("corpus_job")
        if kept is not None:
            result["corpus_job"] = kept
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    update_report(args.output)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
