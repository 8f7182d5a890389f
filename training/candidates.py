"""Ship the candidate tables with a model: the spinner's inverted tables, reweighted on pairs.

    python -m training.candidates restore/models/default --pairs data/pairs --samples 20000

Inverts the tables of the training profiles that :class:`restore.spin.inverse.Channel`
covers (``--profiles``); counts on ``--samples`` units of the pairs' *train* split how often
each spun phrase was in fact restored to each candidate (and how often it was genuine text);
counts word unigrams and bigrams on training documents of the corpora (``--context_sources``,
never benchmark, validation or test documents), so the editor can compare how a candidate and
the spun words fit their neighbours.  Writes the tables to ``MODEL_DIR/candidates.tsv.gz``,
where :class:`restore.model.editor.Seq2SeqEditor` finds them, and a summary to
``candidates.json``.  Run ``training.calibrate`` after it (and this after ``training.export``,
which rewrites the folder).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from tqdm.auto import tqdm

from restore.model.editor import CANDIDATES_FILE
from restore.spin.inverse import BOUNDARY_END, BOUNDARY_START, Channel, norm
from restore.text import protected_mask, tokenize
from training.make_pairs import MakePairsArgs, doc_id, is_benchmark_doc, read_documents, source_spec, split_of

DEFAULT_PROFILES = ("news", "tortured")
CONTEXT_SOURCES = ("wikinews", "current-events", "ungdc-1", "ungdc-3", "gutenberg")
VALIDATION_PERCENT = MakePairsArgs.validation_percent
TEST_PERCENT = MakePairsArgs.test_percent


def count_restorations(channel: Channel, spun: list[str], clean: list[str], progress: bool = True):
    """(seen, restored): how often each spun phrase of ``channel`` occurs in ``spun`` (where
    it may be changed), and how often replacing it by each candidate brings the unit closer
    to its reference (fewer word-level edits)."""
    from rapidfuzz.distance import Levenshtein

    seen: Counter = Counter()
    restored: Counter = Counter()
    for s, c in tqdm(list(zip(spun, clean)), desc="counting restorations", disable=not progress):
        tokens = tokenize(s)
        words = [t.text for t in tokens]
        reference = [t.text for t in tokenize(c)]
        before = Levenshtein.distance(words, reference)
        free = [t.is_word and not p for t, p in zip(tokens, protected_mask(s, tokens))]
        for a, z, cands in channel.spans(s, tokens, free):
            key = tuple(norm(t.text) for t in tokens[a:z])
            seen[key] += 1
            if not before:
                continue
            for cand in cands:
                replaced = words[:a] + [t.text for t in tokenize(cand.source)] + words[z:]
                if Levenshtein.distance(replaced, reference) < before:
                    restored[key, cand.source] += 1
    return seen, restored


def training_text(sources: list[str], max_words: int) -> list[str]:
    """Documents of ``sources`` that make_pairs puts in the train split (never benchmark,
    validation or test documents), up to about ``max_words`` words, shared out evenly."""
    texts: list[str] = []
    budget = max_words // max(len(sources), 1)
    for source in sources:
        name, path, sample_by, _ = source_spec(source)
        words = 0
        for index, doc in enumerate(read_documents(path, sample_by)):
            ident = doc_id(name, index)
            if is_benchmark_doc(name, ident) or split_of(ident, VALIDATION_PERCENT, TEST_PERCENT) != "train":
                continue
            texts.append(doc)
            words += len(doc.split())
            if words >= budget:
                break
    return texts


def count_words(texts: list[str], min_count: int = 2, progress: bool = True):
    """Word unigram and bigram counts of clean ``texts`` (punctuation and unit ends become
    ``<s>``/``</s>``); entries seen fewer than ``min_count`` times are dropped."""
    unigrams: Counter = Counter()
    bigrams: Counter = Counter()
    for text in tqdm(texts, desc="counting words", disable=not progress):
        prev = BOUNDARY_START
        for tok in tokenize(text):
            if not tok.is_word:
                if prev != BOUNDARY_START:
                    bigrams[prev, BOUNDARY_END] += 1
                    unigrams[BOUNDARY_START] += 1
                prev = BOUNDARY_START
                continue
            w = norm(tok.text)
            unigrams[w] += 1
            bigrams[prev, w] += 1
            prev = w
        if prev != BOUNDARY_START:
            bigrams[prev, BOUNDARY_END] += 1
            unigrams[BOUNDARY_START] += 1
    return (
        {w: c for w, c in unigrams.items() if c >= min_count},
        {p: c for p, c in bigrams.items() if c >= min_count},
    )


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", help="an exported model folder (training.export)")
    parser.add_argument("--pairs", default="data/pairs", help="pairs dataset (its train split is counted)")
    parser.add_argument("--samples", type=int, default=20000, help="train units to count on (0: none, table probabilities only)")
    parser.add_argument("--context_sources", nargs="+", default=list(CONTEXT_SOURCES), help="corpora (make_pairs names) to count words on")
    parser.add_argument("--context_words", type=int, default=12_000_000, help="words to count, shared out over the sources (0: no counts)")
    parser.add_argument("--profiles", nargs="+", default=list(DEFAULT_PROFILES), help="spinner profiles to invert")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    channel = Channel.from_profiles(args.profiles)
    info = {"profiles": args.profiles, "counted_units": 0, "seen": 0, "restored": 0, "context_sources": [],
            "context_documents": 0, "unigrams": 0, "bigrams": 0}
    if args.samples:
        from datasets import load_from_disk

        train = load_from_disk(args.pairs)["train"].shuffle(seed=11)
        train = train.select(range(min(args.samples, len(train))))
        seen, restored = count_restorations(channel, list(train["spun"]), list(train["clean"]), not args.no_progress)
        channel = channel.reweighted(seen, restored)
        info.update(counted_units=len(train), seen=sum(seen.values()), restored=sum(restored.values()))
        print(f"counted {len(train)} units: {sum(seen.values())} spun-looking phrases, {sum(restored.values())} restored")
    if args.context_words:
        texts = training_text(args.context_sources, args.context_words)
        unigrams, bigrams = count_words(texts, progress=not args.no_progress)
        channel.with_counts(unigrams, bigrams)
        info.update(context_sources=args.context_sources, context_documents=len(texts),
                    unigrams=len(unigrams), bigrams=len(bigrams))
        print(f"word counts from {len(texts)} training documents of {','.join(args.context_sources)}: "
              f"{len(unigrams)} words, {len(bigrams)} word pairs")
    out = Path(args.model_dir) / CANDIDATES_FILE
    channel.save(out)
    info["spun_phrases"] = len(channel)
    (Path(args.model_dir) / "candidates.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"wrote {out} ({len(channel)} spun phrases, {out.stat().st_size / 1e6:.1f} MB)")
    return out


if __name__ == "__main__":
    main()
