"""The corpus job's speed on a 10 MB text file: ``restore fix-corpus FILE OUT --jobs 2``.

    python -m benchmarks.corpus_speed [--megabytes 10] [--jobs 2] [--model restore/models/default]

Writes a text file of ``--megabytes`` MB (10^6 bytes) of densely spun news: the paragraphs of the
shared news corpora (``corpora/news/*.txt.gz`` in name order: NTREX, Wikinews, Wikipedia current
events), each spun by ``restore.spin(profile="news")`` with seed 0, then all again with seed 1, and
so on, one blank line between paragraphs, until the size is reached (:func:`spun_news_file`).  Then
restores it with :func:`restore.batch.fix_corpus` (``--jobs`` worker processes, every other
setting the default) into a temporary folder, and adds the job's summary (seconds, words/s,
edits, the largest worker's peak memory) to ``benchmarks/results/speed.json`` as ``corpus_job``,
with the settings and the time it was measured (``benchmarks.speed`` keeps that entry when it
rewrites the file).  A paragraph is spun again with another seed once the corpora are used up, so
the file repeats source sentences (spun differently); the language models' caches gain a little
from that.  Run it on an otherwise idle machine: it uses every core it is given.
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.speed import update_report
from benchmarks.suites import shared_dir
from restore.restorer import DEFAULT_LATER_ROUNDS, DEFAULT_MODEL_DIR, DEFAULT_ROUNDS

RESULTS = Path(__file__).resolve().parent / "results"
CORPUS_JOB = "corpus_job"  # its key in speed.json


def spun_news_file(path: Path, n_bytes: int, shared: Path) -> dict:
    """Write ``n_bytes`` (at least; whole paragraphs) of spun news to ``path`` (see the module
    docstring); returns what it holds: bytes, words, paragraphs and the seeds used."""
    from restore.spin import spin

    sources = sorted((shared / "corpora" / "news").glob("*.txt.gz"))
    if not sources:
        raise FileNotFoundError(f"no news corpora in {shared / 'corpora' / 'news'}")
    paragraphs = [line.strip() for src in sources for line in gzip.open(src, "rt", encoding="utf-8") if line.strip()]
    out: list[str] = []
    size, seed = 0, 0
    while size < n_bytes:
        for paragraph in paragraphs:
            spun = spin(paragraph, seed=seed, profile="news")
            out.append(spun)
            size += len(spun.encode("utf-8")) + 2
            if size >= n_bytes:
                break
        seed += 1
    text = "\n\n".join(out) + "\n"
    path.write_text(text, encoding="utf-8")
    return {"bytes": len(text.encode("utf-8")), "words": len(text.split()), "paragraphs": len(out),
            "seeds": seed, "sources": [s.name for s in sources]}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=float, default=10.0, help="size of the spun file, in 10^6 bytes (default 10)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes of the job (default 2)")
    parser.add_argument("--model", default=None, help="model folder or Hub id (default: the shipped model)")
    parser.add_argument("--shared", default=None, help="the shared data folder (default: ../shared, then /work/shared)")
    parser.add_argument("--output", type=Path, default=RESULTS / "speed.json", help="the JSON to add the result to")
    args = parser.parse_args(argv)
    if args.megabytes <= 0 or args.jobs < 1:
        parser.error("--megabytes must be above 0 and --jobs at least 1")
    from restore.batch import fix_corpus

    with tempfile.TemporaryDirectory(prefix="restore-corpus-speed-") as tmp:
        text_file = Path(tmp) / "spun-news.txt"
        held = spun_news_file(text_file, int(args.megabytes * 1_000_000), shared_dir(args.shared))
        start = time.perf_counter()
        summary = fix_corpus(text_file, Path(tmp) / "out", jobs=args.jobs, model=args.model, progress=False)
        wall = time.perf_counter() - start
    result = {
        "measured": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": f"restore fix-corpus FILE OUT --jobs {args.jobs}",
        "model": args.model or str(DEFAULT_MODEL_DIR),
        "rounds": DEFAULT_ROUNDS,
        "later_rounds": DEFAULT_LATER_ROUNDS,
        "file": {"what": "spun news (benchmarks.corpus_speed.spun_news_file)", **held},
        "jobs": args.jobs,
        "records": summary.records,
        "failures": summary.failures,
        "edits": summary.edits,
        "seconds": round(summary.seconds, 1),
        "wall_seconds": round(wall, 1),  # with loading the models and writing the shards
        "words_per_second": round(summary.words_per_second, 1),
        "worker_peak_rss_mb": summary.peak_rss_mb,
    }
    existing = json.loads(args.output.read_text()) if args.output.is_file() else {}
    existing[CORPUS_JOB] = result
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(existing, indent=2) + "\n")
    if "seconds" in existing:  # benchmarks.speed has run: the report's speed section shows both
        update_report(args.output)
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
