"""Where a model's misses come from, gold span by gold span.

    python -m benchmarks.diagnose [--model restore/models/default] [--suite news-unseen] [--limit 0] [--nbest 5]
    python -m benchmarks.diagnose --suite news-unseen --dev --limit 150 --nbest 5    # for choosing settings

Every spun suite knows where its spinner changed words (``Item.gold``, :mod:`benchmarks.suites`).
Each item is restored as ``restore.fix`` restores a text (chosen as one document), and each gold
span is sorted:

* ``restored``: an edit made gives the clean words back (an edit over several adjacent spans must
  give them all back; words a span shares with its clean side at its edges, as in ``in the`` →
  ``within the``, need not be part of the edit);
* ``wrong choice``: an edit touched the span but wrote something else;
* ``reachable but rejected``: no edit touched it, yet the right replacement was among the
  editor's proposals (generated or candidate), with too low a confidence or held back by a gate;
* ``unreachable``: the right replacement was not among the proposals at all.

It also counts the edits made on words the spinner left alone (``false edits``), and how the
confidences of the rejected right answers spread.  With ``--nbest N`` the decoder's N likeliest
replacements of every doubted run join the proposals (``Seq2SeqEditor.nbest``), and the table
also says how many of the spans no table candidate restores have their original among them
(``in the decoder's n-best``).  Needs a model whose editor has ``proposals``
and ``choose_document`` (:class:`restore.model.editor.Seq2SeqEditor`).  Writes nothing; prints a
table.  With ``--dev`` the items are not the suite's but the dev paragraphs no suite holds
(:func:`benchmarks.suites.dev_paragraphs`), spun with the suite's profile: the numbers to
choose settings by, where the suite's own are for reporting.
"""

from __future__ import annotations

import argparse
from collections import Counter

from benchmarks.spans import restores
from benchmarks.suites import SEED, SPUN_PROFILES, SUITE_NAMES, Item, build_suites, dev_paragraphs, shared_dir, spun_item
from restore.restorer import DEFAULT_MODEL_DIR, Restorer

OUTCOMES = ("restored", "wrong choice", "reachable but rejected", "unreachable")
CONFIDENCE_STEPS = (0.3, 0.5, 0.6, 0.7, 0.8)
SPUN_SUITES = tuple(n for n in SUITE_NAMES if not n.startswith("clean") and n != "seed")


def diagnose(restorer: Restorer, items: list[Item], progress: bool = False) -> dict:
    """Counts of :data:`OUTCOMES` over the gold spans of ``items`` (each item must carry
    ``gold``), ``false edits``, and ``rejected confidences``: the best confidence of the right
    answer for each reachable-but-rejected span.  ``progress``: a bar over the items."""
    from tqdm.auto import tqdm

    editor = restorer.editor
    counts: Counter = Counter()
    rejected: list[float] = []
    for item in tqdm(items, desc="diagnose", unit="item", disable=not progress):
        if item.gold is None:
            raise ValueError(f"item {item.id} has no gold spans: diagnose needs a spun suite")
        jobs = restorer._jobs(0, item.source)
        proposals = editor.proposals([j.text for j in jobs], [j.protected for j in jobs]) if jobs else []
        chosen = editor.choose_document(proposals) if jobs else []
        for job, proposed, made in zip(jobs, proposals, chosen):
            lo, hi = job.start, job.start + len(job.text)
            inside = [(a - lo, z - lo, clean) for a, z, clean in item.gold if lo <= a and z <= hi]
            for span in inside:
                a, z, _ = span
                restoring = [e for e in proposed if restores(e, span, job.text, inside)]
                right = [e.confidence for e in restoring]
                if all(e.source == "generated" for e in restoring):
                    counts["no table candidate"] += 1
                    counts["in the decoder's n-best"] += bool(restoring)
                if any(restores(e, span, job.text, inside) for e in made):
                    counts["restored"] += 1
                elif any(e.start < z and a < e.end for e in made):
                    counts["wrong choice"] += 1
                elif right:
                    counts["reachable but rejected"] += 1
                    rejected.append(max(right))
                else:
                    counts["unreachable"] += 1
            counts["false edits"] += sum(not any(e.start < z and a < e.end for a, z, _ in inside) for e in made)
    return {**{o: counts[o] for o in OUTCOMES}, "gold spans": sum(counts[o] for o in OUTCOMES),
            "false edits": counts["false edits"], "no table candidate": counts["no table candidate"],
            "in the decoder's n-best": counts["in the decoder's n-best"], "rejected confidences": rejected}


def dev_items(suite: str, limit: int = 0, shared: str | None = None) -> list[Item]:
    """The first ``limit`` (0: all) dev paragraphs (:func:`dev_paragraphs`, held out from every
    suite) spun with the profile of the news suite ``suite``, with their gold spans."""
    pool = dev_paragraphs(shared_dir(shared))
    pool = pool[:limit] if limit else pool
    return [spun_item(f"dev-{i}", p, SEED + k, SPUN_PROFILES[suite]) for k, (i, p) in enumerate(pool)]


def report(found: dict) -> str:
    """The counts as a markdown table, with the spread of the rejected right answers' confidences."""
    total = max(1, found["gold spans"])
    lines = ["| gold spans | count | share |", "| --- | --- | --- |"]
    lines += [f"| {o} | {found[o]:,} | {found[o] / total:.1%} |" for o in OUTCOMES]
    lines += [f"| (false edits on words the spinner left alone) | {found['false edits']:,} | |"]
    in_nbest = found.get("in the decoder's n-best")
    if in_nbest:
        untabled = found["no table candidate"]
        lines.append(f"| (no table candidate restores it) | {untabled:,} | {untabled / total:.1%} |")
        lines.append(f"| (of those, the original is in the decoder's n-best) | {in_nbest:,} | {in_nbest / max(1, untabled):.1%} |")
    lines.append("")
    rejected = found["rejected confidences"]
    if rejected:
        spread = ", ".join(f"≥ {q}: {sum(c >= q for c in rejected):,}" for q in CONFIDENCE_STEPS)
        lines.append(f"Right answers proposed but rejected, by their best confidence: {spread} (of {len(rejected):,}).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder or Hub id")
    parser.add_argument("--suite", default="news-unseen", choices=SPUN_SUITES, help="spun suite to diagnose")
    parser.add_argument("--limit", type=int, default=0, help="first N items only (0: all)")
    parser.add_argument("--shared", default=None, help="the shared data folder (default: as benchmarks.run)")
    parser.add_argument("--nbest", type=int, default=0,
                        help="the decoder's N likeliest replacements join the proposals (0: the model's own setting)")
    parser.add_argument("--dev", action="store_true",
                        help="dev paragraphs no suite holds, spun with the suite's profile, instead of the suite (news suites)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if args.nbest < 0:
        parser.error("--nbest must be 0 or more")
    if args.limit < 0:
        parser.error("--limit must be 0 or more")
    if args.dev:
        if args.suite not in SPUN_PROFILES:
            parser.error(f"--dev spins dev news paragraphs with a suite's profile: choose one of {', '.join(SPUN_PROFILES)}")
        items = dev_items(args.suite, args.limit, args.shared)
    else:
        suite = build_suites([args.suite], shared=args.shared)[0]
        items = suite.items[: args.limit] if args.limit else suite.items
    restorer = Restorer.from_pretrained(args.model)
    if not callable(getattr(restorer.editor, "proposals", None)) or not callable(getattr(restorer.editor, "choose_document", None)):
        parser.error(f"{args.model}: its editor cannot list its proposals (proposals, choose_document); use a seq2seq model")
    if args.nbest:
        if restorer.editor.candidates is None or not getattr(restorer.editor, "echo", False):
            parser.error(f"{args.model}: --nbest needs candidate tables and an echo-format model")
        restorer.editor.nbest = args.nbest
    found = diagnose(restorer, items, progress=not args.no_progress)
    print(f"{args.suite}{' profile on dev paragraphs' if args.dev else ''} ({len(items)} items), model {args.model}\n")
    print(report(found))
    return found


if __name__ == "__main__":
    main()
