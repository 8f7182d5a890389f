"""Ship the candidate tables with a model: the spinner's inverted tables, reweighted on pairs.

    python -m training.candidates restore/models/default --pairs data/pairs --samples 20000

Inverts the tables of the training profiles that :class:`restore.candidates.channel.Channel`
covers (``--profiles``); counts on ``--samples`` units of the pairs' *train* split how often
each spun phrase was in fact restored to each candidate (and how often it was genuine text);
counts word unigrams and bigrams on training documents of the corpora (``--context_sources``,
never benchmark, validation or test documents), so the editor can compare how a candidate and
the spun words fit their neighbours; and, with ``--spin_profiles news tortured`` (profiles of
:data:`restore.candidates.features.SPIN_PROFILES`), counts on the train units of each how often each
spun-looking phrase was in fact spun next to the word before it, after it and both
(:meth:`Channel.context_spin`).  Measured on the shipped weights, those counts lift spun news
by about 2 points but cost sparse spin (the tortured suite) 3 to 13, so they are not the
default and the shipped tables have none.  Writes the tables to ``MODEL_DIR/candidates.tsv.gz``,
where :class:`restore.model.editor.Seq2SeqEditor` finds them, and a summary to
``candidates.json``.  Run ``training.calibrate`` after it (and this after ``training.export``,
which rewrites the folder).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from benchmarks.metrics.restoration.restoration import align_tokens
from restore.candidates.features import SPIN_PROFILES
from restore.model.editor import CANDIDATES_FILE
from restore.candidates.channel import BOUNDARY_END, BOUNDARY_START, Channel, neighbours, norm
from restore.text import Token, protected_mask, tokenize
from training.make_pairs import (
    CorpusError, MakePairsArgs, check_source, doc_id, is_benchmark_doc, read_documents, source_spec, split_of,
)

DEFAULT_PROFILES = ("news", "tortured")
"""The profiles the shipped candidates invert.  ``--profiles news wordnet tortured broad
neighbours`` adds the broad thesauri and the word2vec neighbours: measured on 2026-12-06 (see
docs/research-log.md) it lifts reachability on the unseen suites by 5-10 points but spin removed
by only 1, costs the news suite 3 points and halves the speed, so it is not the default yet.
Never a held-out resource (``training.heldout``)."""
CONTEXT_SOURCES = ("wikinews", "current-events", "ungdc-1", "ungdc-3", "gutenberg")
VALIDATION_PERCENT = MakePairsArgs.validation_percent
TEST_PERCENT = MakePairsArgs.test_percent


def spun_looking(channel: Channel, text: str, tokens: list[Token]) -> Iterator[tuple[int, int, list, tuple[str, ...]]]:
    """(first, stop, candidates, normalised words) of every run of ``tokens`` that ``channel``
    may have spun, among the words a spinner may change (:meth:`Channel.spans`)."""
    free = [t.is_word and not p for t, p in zip(tokens, protected_mask(text, tokens))]
    for a, z, cands in channel.spans(text, tokens, free):
        yield a, z, cands, tuple(norm(t.text) for t in tokens[a:z])


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
        for a, z, cands, key in spun_looking(channel, s, tokens):
            seen[key] += 1
            if not before:
                continue
            for cand in cands:
                replaced = words[:a] + [t.text for t in tokenize(cand.source)] + words[z:]
                if Levenshtein.distance(replaced, reference) < before:
                    restored[key, cand.source] += 1
    return seen, restored


_COUNTING: Channel | None = None  # the channel a spin-counting worker reads


def _count_spin_chunk(pairs: list[tuple[str, str]]) -> tuple[Counter, Counter]:
    seen: Counter = Counter()
    spun_counts: Counter = Counter()
    for s, c in pairs:
        tokens = tokenize(s)
        kept = align_tokens([t.text for t in tokens], [t.text for t in tokenize(c)]).kept
        for a, z, _, key in spun_looking(_COUNTING, s, tokens):
            before, after = neighbours(tokens, a, z)
            contexts = ((key, "", ""), (key, before, ""), (key, "", after), (key, before, after))
            seen.update(contexts)
            if not all(kept[a:z]):
                spun_counts.update(contexts)
    return seen, spun_counts


def _start_counting(channel: Channel) -> None:
    global _COUNTING
    _COUNTING = channel


def count_spin_in_context(channel: Channel, spun: list[str], clean: list[str], profile: str, min_count: int = 5,
                          num_proc: int = 1, progress: bool = True) -> dict:
    """(times seen, times spun) of each spun phrase of ``channel`` in ``spun`` (spun means the
    word alignment with ``clean`` changes it), alone and next to the word before it, after it
    and both, keyed as :attr:`Channel.spin_counts` under ``profile`` (the profile that spun
    the units); contexts seen fewer than ``min_count`` times are dropped, phrases alone never."""
    chunks = [list(zip(spun[i : i + 2000], clean[i : i + 2000])) for i in range(0, len(spun), 2000)]
    seen: Counter = Counter()
    spun_counts: Counter = Counter()
    bar = tqdm(total=len(spun), desc=f"counting {profile} spin in context", disable=not progress)
    if num_proc > 1:
        with multiprocessing.get_context("fork").Pool(num_proc, _start_counting, (channel,)) as pool:
            for chunk, (n, k) in zip(chunks, pool.imap(_count_spin_chunk, chunks)):
                seen.update(n)
                spun_counts.update(k)
                bar.update(len(chunk))
    else:
        _start_counting(channel)
        for chunk in chunks:
            n, k = _count_spin_chunk(chunk)
            seen.update(n)
            spun_counts.update(k)
            bar.update(len(chunk))
    bar.close()
    return {(profile, *key): (n, spun_counts[key]) for key, n in seen.items() if n >= min_count or not (key[1] or key[2])}


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
    parser.add_argument("--spin_profiles", nargs="*", default=[], choices=SPIN_PROFILES,
                        help="profiles whose train units spin is counted on, each apart (default: none, no spin counts)")
    parser.add_argument("--spin_samples", type=int, default=0, help="most units of each profile to count spin on (0: all of them)")
    parser.add_argument("--spin_min_count", type=int, default=5, help="drop contexts seen fewer times than this")
    parser.add_argument("--num_proc", type=int, default=2, help="worker processes for the spin counts")
    parser.add_argument("--profiles", nargs="+", default=list(DEFAULT_PROFILES), help="spinner profiles to invert")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        for source in args.context_sources if args.context_words else []:
            check_source(source, flag="--context_sources")
    except CorpusError as e:
        raise SystemExit(f"training.candidates: error: {e}") from None

    channel = Channel.from_profiles(args.profiles)
    info = {"profiles": args.profiles, "counted_units": 0, "seen": 0, "restored": 0, "context_sources": [],
            "context_documents": 0, "unigrams": 0, "bigrams": 0, "spin_units": {}, "spin_contexts": 0}
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
    if args.spin_profiles:
        from datasets import load_from_disk

        pairs = load_from_disk(args.pairs)["train"]
        counts: dict = {}
        for profile in args.spin_profiles:
            train = pairs.filter(lambda p: p == profile, input_columns="profile", desc=f"{profile} units")
            if not len(train):
                raise SystemExit(f"restore error: {args.pairs} has no train units of profile {profile!r}")
            if args.spin_samples:
                train = train.select(range(min(args.spin_samples, len(train))))
            counts.update(count_spin_in_context(channel, list(train["spun"]), list(train["clean"]), profile,
                                                args.spin_min_count, args.num_proc, not args.no_progress))
            info["spin_units"][profile] = len(train)
        channel.with_spin_counts(counts)
        info["spin_contexts"] = len(counts)
        print(f"spin in context counted on {info['spin_units']} units: {len(counts)} contexts")
    out = Path(args.model_dir) / CANDIDATES_FILE
    channel.save(out)
    info["spun_phrases"] = len(channel)
    (Path(args.model_dir) / "candidates.json").write_text(json.dumps(info, indent=1) + "\n")
    print(f"wrote {out} ({len(channel)} spun phrases, {out.stat().st_size / 1e6:.1f} MB)")
    return out


if __name__ == "__main__":
    main()
