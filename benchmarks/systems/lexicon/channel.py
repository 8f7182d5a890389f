"""The channel model of the lexicon baseline: the spinner's own tables, inverted.

A spinner table entry ``source -> choices`` with spin probability ``p`` (the profile's rate
times the entry's weight, capped at 1) gives, for every choice ``c``, P(c | source) =
p / len(choices), and P(source | source) = 1 − p for a source left alone.  The rate of a given
text is unknown, so both are averaged over :data:`RATE_SCALES` times the profile's default.
Inverting all entries maps each spun phrase to the clean phrases that could have produced it.  The tables hold surface forms
already inflected by the spinner's builder, so the inverted pairs are inflected pairs.
Several profiles are mixed with equal weight.  Only the tables are read, never a reference.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from restore.text import tokenize

RATE_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)
Table = dict[str, tuple[float, tuple[str, ...]]]  # source -> (weight, choices), as restore.spin.tables


@dataclass(frozen=True, slots=True)
class Candidate:
    """A clean phrase that a spun phrase may come from, and log P(spun | clean)."""

    source: str
    words: tuple[str, ...]
    logp: float


def norm(word: str) -> str:
    """The form words are compared in: lower case, straight apostrophes."""
    return word.lower().replace("’", "'")


def _words(phrase: str) -> tuple[str, ...] | None:
    """The normalised word tokens of ``phrase``, or None if it holds punctuation."""
    toks = tokenize(phrase)
    if not toks or not all(t.is_word for t in toks):
        return None
    return tuple(norm(t.text) for t in toks)


class Channel:
    """Inverted spinner tables: spun word tuple -> candidates; keep probabilities per word."""

    def __init__(self, tables: list[tuple[Table, float]]):
        """``tables``: (merged table, spin rate) per profile; mixed with equal weight."""
        share = 1.0 / len(tables)
        prob: dict[tuple[str, ...], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        keep: dict[str, float] = defaultdict(float)
        for table, rate in tables:
            for source, (weight, choices) in table.items():
                p = sum(min(1.0, scale * rate * weight) for scale in RATE_SCALES) / len(RATE_SCALES)
                source_words = _words(source)
                if source_words is None or p <= 0:
                    continue
                if len(source_words) == 1:
                    keep[source_words[0]] += share * p
                for choice in choices:
                    spun = _words(choice)
                    if spun is None or spun == source_words:
                        continue
                    prob[spun][source] += share * p / len(choices)
        self.candidates: dict[tuple[str, ...], list[Candidate]] = {
            spun: [Candidate(s, _words(s), math.log(p)) for s, p in sorted(sources.items())]  # type: ignore[arg-type]
            for spun, sources in prob.items()
        }
        self.keep_logp: dict[str, float] = {w: math.log(max(1.0 - p, 1e-3)) for w, p in keep.items()}
        self.max_len: dict[str, int] = {}
        for spun in self.candidates:
            self.max_len[spun[0]] = max(self.max_len.get(spun[0], 0), len(spun))

    @classmethod
    def from_profiles(cls, names: list[str]) -> "Channel":
        """The channel of the named spinner profiles (their merged tables and default rates)."""
        from restore.spin import PROFILES
        from restore.spin.tables import profile_lexicon

        return cls([(profile_lexicon(n).entries, PROFILES[n].rate) for n in names])

    def __len__(self) -> int:
        return len(self.candidates)
