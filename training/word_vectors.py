"""Distributional neighbours as a spinner table: words no thesaurus lists as synonyms.

    python -m training.word_vectors [--words 30000000] [--output restore/spin/data/vectors.tsv.gz]

Trains word2vec (``gensim``, CBOW with a narrow window, so neighbours are words that fill the
same slots: ``regarding``/``about``, ``merely``/``just``) on the train-split documents of the
shared corpora (:func:`training.candidates.training_text`: never a benchmark, validation or
test document), then writes, for every common word, its nearest common neighbours as a table
in the format of :mod:`training.build_lexicon` (``word -> neighbours``).  The ``broad``
profile and the candidate channel read it; the vectors themselves are not shipped.

A neighbour is kept only if it is common (wordfreq Zipf ≥ ``--min_zipf``), of a plain word
shape, not a form of the same lemma (``said``/``says``), not a number word or a different
quantity (:data:`training.build_lexicon.MAGNITUDES`), shares a part of speech with the word
where WordNet knows both, and is close enough (cosine ≥ ``--min_cosine``).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from restore.candidates.channel import norm
from restore.text import tokenize

OUT = Path(__file__).resolve().parent.parent / "restore" / "spin" / "data" / "vectors.tsv.gz"
SOURCES = ("wikinews", "current-events", "ungdc-1", "ungdc-2", "ungdc-3", "gutenberg")
_PLAIN = re.compile(r"[a-z][a-z'\-]*")
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety first second third "
    "fourth fifth sixth seventh eighth ninth tenth".split()
)
_DAYS_MONTHS = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december".split()
)


def sentences(texts: list[str]) -> Iterator[list[str]]:
    """Lower-cased word tokens of each paragraph (punctuation dropped, apostrophes straight)."""
    for text in texts:
        for paragraph in text.split("\n"):
            words = [norm(t.text) for t in tokenize(paragraph) if t.is_word]
            if len(words) > 2:
                yield words


def lemmas(word: str) -> set[str]:
    """Every lemma ``lemminflect`` gives ``word`` (any part of speech), and the word itself."""
    from lemminflect import getAllLemmas

    return {word} | {lemma for forms in getAllLemmas(word).values() for lemma in forms}


def neighbour_table(vectors, min_zipf: float, min_cosine: float, neighbours: int,
                    progress: bool = True) -> dict[str, list[str]]:
    """``{word: [nearest usable neighbours]}`` for every common word of ``vectors`` (gensim
    ``KeyedVectors``), filtered as the module says."""
    from wordfreq import zipf_frequency

    from training.build_lexicon import MAGNITUDES, parts_of_speech

    def usable(word: str) -> bool:
        return (bool(_PLAIN.fullmatch(word)) and len(word) > 1 and word not in NUMBER_WORDS
                and word not in _DAYS_MONTHS and zipf_frequency(word, "en") >= min_zipf)

    heads = [w for w in vectors.index_to_key if usable(w)]
    table: dict[str, list[str]] = {}
    for head in tqdm(heads, desc="neighbours", disable=not progress):
        head_lemmas, head_pos = lemmas(head), parts_of_speech(head)
        kept = []
        for word, cosine in vectors.most_similar(head, topn=4 * neighbours):
            if cosine < min_cosine or len(kept) == neighbours:
                break
            if not usable(word) or (word in MAGNITUDES) != (head in MAGNITUDES) or (word in MAGNITUDES):
                continue
            if lemmas(word) & head_lemmas:
                continue
            pos = parts_of_speech(word)
            if head_pos and pos and not head_pos & pos:
                continue
            kept.append(word)
        if kept:
            table[head] = kept
    return table


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), help="corpora (make_pairs names), train split only")
    parser.add_argument("--words", type=int, default=30_000_000, help="words to train on, shared out over the sources")
    parser.add_argument("--dim", type=int, default=100)
    parser.add_argument("--window", type=int, default=3, help="context words each side (narrow: substitutes, not topics)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--min_count", type=int, default=20)
    parser.add_argument("--neighbours", type=int, default=10, help="neighbours kept per word")
    parser.add_argument("--min_cosine", type=float, default=0.55)
    parser.add_argument("--min_zipf", type=float, default=3.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--output", default=str(OUT))
    parser.add_argument("--no-progress", dest="progress", action="store_false")
    args = parser.parse_args(argv)
    if args.neighbours < 1 or args.words < 1:
        parser.error("--neighbours and --words must be positive")

    from gensim.models import Word2Vec

    from training.build_lexicon import weighted, write_table
    from training.candidates import training_text
    from training.make_pairs import check_source

    for source in args.sources:
        check_source(source, flag="--sources")
    started = time.time()
    texts = training_text(args.sources, args.words)
    corpus = list(sentences(tqdm(texts, desc="tokenising", disable=not args.progress)))
    words = sum(len(s) for s in corpus)
    print(f"word2vec on {len(texts)} train documents, {words:,} words")
    model = Word2Vec(corpus, vector_size=args.dim, window=args.window, min_count=args.min_count, sg=0,
                     negative=10, epochs=args.epochs, workers=args.workers, seed=1)
    table = neighbour_table(model.wv, args.min_zipf, args.min_cosine, args.neighbours, args.progress)
    note = (f"distributional neighbours: word2vec (gensim, CBOW, window {args.window}, dim {args.dim}) trained by "
            f"training.word_vectors on {words:,} words of train-split documents of {', '.join(args.sources)}")
    write_table(Path(args.output), weighted(table), note)
    settings = {k: v for k, v in vars(args).items() if k != "progress"}
    info = {**settings, "max_words": args.words, "documents": len(texts), "words": words,
            "vocabulary": len(model.wv), "entries": len(table), "minutes": round((time.time() - started) / 60, 1)}
    Path(args.output).with_suffix("").with_suffix(".json").write_text(json.dumps(info, indent=1) + "\n")
    print(json.dumps(info))
    return info


if __name__ == "__main__":
    main()
