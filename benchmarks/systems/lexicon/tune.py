"""Choose the lexicon baseline's settings on development text that no benchmark suite uses.

    python -m benchmarks.systems.lexicon.tune [--shared DIR] [--units 150]

Development sets (all from documents ``training.make_pairs`` may train on, never the held-out ones
the suites draw from): Wikinews training paragraphs spun with the ``news`` profile (other seeds
than the suites'), other Wikinews training paragraphs left clean, and UN speeches (part 1) with a
tortured phrase put in.  Prints spin removed, damage and false-edit rate for each setting of the
grid; the defaults in :mod:`benchmarks.systems.lexicon` were picked from this table.
"""

from __future__ import annotations

import argparse
import gzip
import random
import time

from benchmarks import suites as S
from benchmarks.systems.lexicon import LexiconEditor
from restore.candidates.channel import Channel
from benchmarks.systems.lexicon.lm import LANGUAGE_MODELS

GRID_PROFILES = (("news",), ("news", "tortured"), ("news", "wordnet", "tortured"))
GRID_KEEP_BONUS = (1.0, 1.5, 2.0, 2.5, 3.0)
DEV_SEED = 10_000


def dev_sets(shared, units: int) -> dict[str, list[tuple[str, str]]]:
    from restore.segment import sentence_spans
    from restore.spin import spin

    lo, hi = S.PARAGRAPH_WORDS
    paragraphs = [p for _, ps, held_out in S._wikinews_docs(shared) if not held_out for p in ps[1:] if lo <= len(p.split()) <= hi]
    random.Random(DEV_SEED).shuffle(paragraphs)
    news = [(spin(p, seed=DEV_SEED + k, profile="news"), p) for k, p in enumerate(paragraphs[:units])]
    clean = [(p, p) for p in paragraphs[units : 2 * units]]

    def un_sentences():
        with gzip.open(shared / "corpora/ungdc/un-general-debate-part1.txt.gz", "rt", encoding="utf-8") as f:
            for k, p in enumerate(f):
                yield from ((f"ungdc1:{k}:{a}", p[a:b]) for a, b in sentence_spans(p))

    tortured = [(it.source, it.reference) for it in S.tortured_items(un_sentences(), S.tortured_phrases(shared), units, DEV_SEED)]
    return {"news": news, "clean": clean, "tortured": tortured}


def main(argv: list[str] | None = None) -> None:
    from restore import Restorer

    from benchmarks.metrics.restoration.restoration import restoration_scores

    p = argparse.ArgumentParser(prog="python -m benchmarks.systems.lexicon.tune", description=__doc__.split("\n\n")[0])
    p.add_argument("--shared", default=None)
    p.add_argument("--units", type=int, default=150)
    p.add_argument("--lm", default="cmu-trigram", choices=list(LANGUAGE_MODELS))
    args = p.parse_args(argv)
    sets = dev_sets(S.shared_dir(args.shared), args.units)
    lm = LANGUAGE_MODELS[args.lm]()
    print("| tables | keep bonus | news spin removed | news damage | tortured spin removed | clean changed | words/s |")
    print("|---|---|---|---|---|---|---|")
    for profiles in GRID_PROFILES:
        channel = Channel.from_profiles(list(profiles))
        for keep_bonus in GRID_KEEP_BONUS:
            restorer = Restorer(editor=LexiconEditor(channel, lm, keep_bonus=keep_bonus))
            row, words, seconds = {}, 0, 0.0
            for name, pairs in sets.items():
                sources, references = [s for s, _ in pairs], [r for _, r in pairs]
                t = time.perf_counter()
                predictions = restorer.fix(sources, progress=False)
                seconds += time.perf_counter() - t
                words += sum(len(s.split()) for s in sources)
                row[name] = restoration_scores(sources, predictions, references)
            print(
                f"| {'+'.join(profiles)} | {keep_bonus} | {row['news']['spin_removed']:.3f} | {row['news']['damage']:.4f} "
                f"| {row['tortured']['spin_removed']:.3f} | {row['clean']['changed_share']:.4f} | {words / seconds:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
