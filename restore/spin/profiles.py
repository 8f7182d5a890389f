"""Named spinner profiles: which tables a spinner draws on, and how eagerly.

A profile lists tables in priority order.  When several tables have an entry for the same
words, the first one wins outright (a hand-written entry overrides a thesaurus), just as a
commercial spinner's curated list shadows its bulk synonym list.  Each table carries a
weight that multiplies the spin rate for its entries.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableUse:
    """One table of a profile: its file stem under ``restore/spin/data`` and its weight.

    ``max_choices`` keeps only the first choices of each entry (``0`` keeps all of them).
    """

    table: str
    weight: float = 1.0
    max_choices: int = 0


@dataclass(frozen=True)
class Profile:
    """A spinner configuration.

    ``rate`` is the default probability that an entry of the profile's tables is spun when it
    occurs (multiplied by the entry's and the table's weights, capped at 1).  Defaults are
    calibrated so that 15–25% of the words of news text change.
    """

    name: str
    description: str
    tables: tuple[TableUse, ...]
    rate: float


PROFILES: dict[str, Profile] = {
    p.name: p
    for p in (
        Profile(
            name="news",
            description=(
                "Modelled on a real spun news article: the team phrase table (the spinner's favourite "
                "rewrites, grammar and function-word rewrites), spelling variants, then sense-blind "
                "MyThes synonyms."
            ),
            tables=(
                TableUse("phrases_content", 1.0),
                TableUse("phrases_grammar", 1.0),
                TableUse("spelling", 0.6),
                TableUse("mythes", 0.55, max_choices=4),
            ),
            rate=0.65,
        ),
        Profile(
            name="wordnet",
            description=(
                "Sense-blind WordNet 3.0 synonyms (every sense of a word pooled), with the team "
                "phrase table's grammar rewrites."
            ),
            tables=(
                TableUse("phrases_grammar", 0.8),
                TableUse("wordnet", 1.0, max_choices=5),
            ),
            rate=0.5,
        ),
        Profile(
            name="tortured",
            description=(
                "Tortured phrases as found in published papers (Problematic Paper Screener list, "
                "inverted: expected -> tortured), then the word-by-word swaps behind them "
                "(``network`` -> ``organization``, learned from ``neural network`` -> ``neural "
                "organization``: a phrase the list does not hold is spun, and undone, word by word), "
                "backed by WordNet synonyms."
            ),
            tables=(
                TableUse("tortured", 4.0),
                TableUse("tortured_words", 1.0),
                TableUse("wordnet", 0.8, max_choices=3),
            ),
            rate=0.8,
        ),
        Profile(
            name="broad",
            description=(
                "Every common synonym of every sense that WordNet 3.0 (with its similar-to and "
                "also-see synsets) and MyThes list, behind the team phrase tables and spelling "
                "variants: the broad candidate channel, and a training profile that teaches what "
                "spun text looks like rather than what our narrower tables write."
            ),
            tables=(
                TableUse("phrases_content", 1.0),
                TableUse("phrases_grammar", 1.0),
                TableUse("spelling", 0.6),
                TableUse("mythes_broad", 0.5),
                TableUse("wordnet_broad", 0.5),
            ),
            rate=0.6,
        ),
        Profile(
            name="neighbours",
            description=(
                "Distributional neighbours: word2vec trained on the shared corpora's train split "
                "(training.word_vectors), for words no thesaurus lists as synonyms "
                "(``regarding``/``about``).  Loose (antonyms and co-hyponyms too): a source of "
                "candidates for the scorer to judge; in a training mixture only as a small share "
                "(``make_pairs --profile_mix``), to teach the tagger to doubt a word that does not fit."
            ),
            tables=(TableUse("vectors", 1.0),),
            rate=0.3,
        ),
        Profile(
            name="heldout",
            description=(
                "Built to resemble a commercial spinner from resources nothing else uses: a team "
                "held-out phrase table (grammar, function-word and news-phrase rewrites with choices "
                "of its own), then Moby restricted to common words and their closest common "
                "synonyms.  Never used in training, candidate tables or calibration: the "
                "benchmark's realistic unseen-profile suite."
            ),
            tables=(
                TableUse("phrases_heldout", 1.0),
                TableUse("moby_common", 0.6, max_choices=3),
            ),
            rate=0.8,
        ),
        Profile(
            name="moby",
            description=(
                "Moby thesaurus synonyms with lighter grammar rewrites.  Never used in training: "
                "the benchmark's unseen-profile suite."
            ),
            tables=(
                TableUse("moby", 1.0, max_choices=6),
                TableUse("phrases_grammar", 0.5),
            ),
            rate=0.55,
        ),
    )
}
