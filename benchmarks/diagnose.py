"""Where a model's errors on spun news come from, span by span.

    python -m benchmarks.diagnose [--model restore/models/default] [--suite news] [--limit 0]

Re-spins each item of a spun suite with the seed and profile that built it, so every change
the spinner made (a *gold span*) is known, then restores each unit and sorts the gold spans:

* ``restored``: an edit made gives the clean words back (an edit over several adjacent
  spans must give them all back; words a span shares with its clean side at its edges, as
  in ``in the`` → ``within the``, need not be part of the edit);
* ``wrong replacement``: an edit touched the span but wrote something else;
* ``proposed below the bar``: no edit touched it, yet the right replacement was among the
  editor's proposals (generated or candidate), with too low a confidence or held back by the
  unit gate;
* ``never proposed``: the right replacement was not among the proposals at all.

It also counts the edits made on words the spinner left alone (``false edits``), and how
the confidences of the proposed-below-the-bar answers spread.  Each item is chosen as one
document, as ``restore.fix`` chooses a text.  Needs a model whose editor has ``proposals``
and ``choose_document`` (:class:`restore.model.editor.Seq2SeqEditor`).  Writes
nothing; prints a table.
"""

from __future__ import annotations

import argparse
from collections import Counter

from benchmarks.suites import NEWS_PROFILE, SEED, UNSEEN_PROFILE, Item, build_suites
from restore.edits import Edit, shared_edges
from restore.restorer import DEFAULT_MODEL_DIR, Restorer
from restore.spin import spin
from restore.text import tokenize

PROFILES = {"news": NEWS_PROFILE, "news-unseen-profile": UNSEEN_PROFILE}
OUTCOMES = ("restored", "wrong replacement", "proposed below the bar", "never proposed")
CONFIDENCE_STEPS = (0.3, 0.5, 0.6, 0.7, 0.8)


def changed_part(spun: str, start: int, end: int, clean: str) -> tuple[int, int, str]:
    """A gold span ``spun[start:end]`` → ``clean`` without the words both sides share at its
    edges (:func:`restore.edits.shared_edges`, case aside): the spinner's ``in the`` →
    ``within the`` is the change ``in`` → ``within``, which an edit ``within`` → ``in`` gives back."""
    outer, inner = tokenize(spun[start:end]), tokenize(clean)
    head, tail = shared_edges([t.text.lower() for t in outer], [t.text.lower() for t in inner])
    if not head and not tail:
        return start, end, clean
    o, i = outer[head : len(outer) - tail], inner[head : len(inner) - tail]
    return start + o[0].start, start + o[-1].end, clean[i[0].start : i[-1].end]


def gives_back(edit: Edit, unit: str, gold: list[tuple[int, int, str]]) -> bool:
    """True if ``edit`` writes exactly what the gold spans inside it give back (``gold``:
    (start, end, clean words) in ``unit``), with the first letter's case aside.  An edit that
    runs over several adjacent spun spans restores them all; one that cuts a span does not."""
    if any(a < edit.end and edit.start < z and not (edit.start <= a and z <= edit.end) for a, z, _ in gold):
        return False
    expected, at = [], edit.start
    for a, z, clean in sorted(g for g in gold if edit.start <= g[0] and g[1] <= edit.end):
        expected += [unit[at:a], clean]
        at = z
    expected.append(unit[at : edit.end])
    return edit.after.lower() == "".join(expected).lower()


def diagnose(restorer: Restorer, items: list[Item], profile: str, first_seed: int = SEED,
             progress: bool = False) -> dict:
    """Counts of :data:`OUTCOMES` over the gold spans of ``items`` (item ``k`` spun with seed
    ``first_seed + k``), ``false edits``, and ``below bar confidences``: the best confidence
    of the right answer for each span proposed below the bar.  ``progress``: a bar over the items."""
    from tqdm.auto import tqdm

    editor = restorer.editor
    counts: Counter = Counter()
    below: list[float] = []
    for k, item in enumerate(tqdm(items, desc="diagnose", unit="item", disable=not progress)):
        result = spin(item.reference, seed=first_seed + k, profile=profile, return_spans=True)
        if result.text != item.source:
            raise ValueError(f"item {item.id} was not spun with seed {first_seed + k} and profile {profile!r}")
        gold = [changed_part(result.text, s.spun_start, s.spun_end, s.clean) for s in result.spans]
        jobs = restorer._jobs(0, item.source)
        proposals = editor.proposals([j.text for j in jobs], [j.protected for j in jobs])
        chosen = editor.choose_document(proposals) if jobs else []
        for job, proposed, made in zip(jobs, proposals, chosen):
            lo, hi = job.start, job.start + len(job.text)
            inside = [(a - lo, z - lo, clean) for a, z, clean in gold if lo <= a and z <= hi]
            for a, z, _ in inside:
                def restores(e: Edit) -> bool:
                    return e.start <= a and z <= e.end and gives_back(e, job.text, inside)

                right = [e.confidence for e in proposed if restores(e)]
                if any(restores(e) for e in made):
                    counts["restored"] += 1
                elif any(e.start < z and a < e.end for e in made):
                    counts["wrong replacement"] += 1
                elif right:
                    counts["proposed below the bar"] += 1
                    below.append(max(right))
                else:
                    counts["never proposed"] += 1
            counts["false edits"] += sum(not any(e.start < z and a < e.end for a, z, _ in inside) for e in made)
    return {**{o: counts[o] for o in OUTCOMES}, "gold spans": sum(counts[o] for o in OUTCOMES),
            "false edits": counts["false edits"], "below bar confidences": below}


def report(found: dict) -> str:
    """The counts as a markdown table, with the spread of the below-the-bar confidences."""
    total = max(1, found["gold spans"])
    lines = ["| gold spans | count | share |", "| --- | --- | --- |"]
    lines += [f"| {o} | {found[o]:,} | {found[o] / total:.1%} |" for o in OUTCOMES]
    lines += [f"| (false edits on words the spinner left alone) | {found['false edits']:,} | |", ""]
    below = found["below bar confidences"]
    if below:
        spread = ", ".join(f"≥ {q}: {sum(c >= q for c in below):,}" for q in CONFIDENCE_STEPS)
        lines.append(f"Right answers proposed below the bar, by their best confidence: {spread} (of {len(below):,}).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model folder or Hub id")
    parser.add_argument("--suite", default="news", choices=sorted(PROFILES), help="spun suite to diagnose")
    parser.add_argument("--limit", type=int, default=0, help="first N items only (0: all)")
    parser.add_argument("--shared", default=None, help="the shared data folder (default: as benchmarks.run)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    suite = build_suites([args.suite], shared=args.shared)[0]
    items = suite.items[: args.limit] if args.limit else suite.items
    restorer = Restorer.from_pretrained(args.model)
    if not callable(getattr(restorer.editor, "proposals", None)) or not callable(getattr(restorer.editor, "choose_document", None)):
        parser.error(f"{args.model}: its editor cannot list its proposals (proposals, choose_document); use a seq2seq model")
    found = diagnose(restorer, items, PROFILES[args.suite], progress=not args.no_progress)
    print(f"{args.suite} ({len(items)} items), model {args.model}\n")
    print(report(found))
    return found


if __name__ == "__main__":
    main()
