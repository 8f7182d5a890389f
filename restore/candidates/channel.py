"""The spinner's own tables, inverted: which clean phrases a spun phrase may come from.

Used as the channel model of the benchmark's lexicon baseline and as the candidate list of
the seq2seq editor (``restore.model.editor``), which ships it next to the model
(``candidates.tsv.gz``, see :meth:`Channel.save`).

A spinner table entry ``source -> choices`` with spin probability ``p`` (the profile's rate
times the entry's weight, capped at 1) gives, for every choice ``c``, P(c | source) =
p / len(choices), and P(source | source) = 1 − p for a source left alone.  The rate of a given
text is unknown, so both are averaged over :data:`RATE_SCALES` times the profile's default.
Inverting all entries maps each spun phrase to the clean phrases that could have produced it.  The tables hold surface forms
already inflected by the spinner's builder, so the inverted pairs are inflected pairs.
Several profiles are mixed with equal weight.  Only the tables are read, never a reference.

Counted on training pairs, a channel also knows how often each spun phrase was in fact spun
by a given profile next to a given word before or after it (:meth:`Channel.with_spin_counts`,
:meth:`Channel.context_spin`): "individuals who" may be genuine where "individuals said" is
rarely so.
"""

from __future__ import annotations

import gc
import gzip
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from restore.text import Token, tokenize

BOUNDARY_START, BOUNDARY_END = "<s>", "</s>"
"""What the word counts write for punctuation or a unit's end before / after a word."""
RATE_SCALES = (0.5, 0.75, 1.0, 1.25, 1.5)
SPIN_PRIOR_WEIGHT = 2.0
"""How many sightings the coarser estimate counts for in :meth:`Channel.context_spin`."""
Table = dict[str, tuple[float, tuple[str, ...]]]  # source -> (weight, choices), as restore.spin.tables


QUANTITY_WORDS = frozenset(
    "hundred thousand million billion trillion dozen percent pct half quarter".split()
)
"""Words naming a quantity: a candidate never turns one into another quantity or drops it."""
ABBREVIATIONS = frozenset(
    "pct yr yrs ft mln bln bn mn km kg lb lbs oz mi sq approx govt dept est avg vs jr sr corp inc ltd "
    "co mt st ave qtr".split()
)
"""Abbreviations a candidate never expands (``pct`` stays ``pct``, ``yr`` stays ``yr``)."""


def _quantities(words: tuple[str, ...]) -> list[str]:
    """The quantity words among ``words``, plurals as their singular (``millions``), sorted."""
    found = []
    for w in words:
        if w in QUANTITY_WORDS:
            found.append(w)
        elif w.endswith("s") and w[:-1] in QUANTITY_WORDS:
            found.append(w[:-1])
    return sorted(found)


_GUARDED = QUANTITY_WORDS | {w + "s" for w in QUANTITY_WORDS} | ABBREVIATIONS
"""Every word :func:`changes_quantity` looks at."""


def changes_quantity(spun: tuple[str, ...], clean: tuple[str, ...]) -> bool:
    """True if restoring ``spun`` to ``clean`` (normalised words) would change a quantity
    (``billion`` -> ``million``, ``dozen`` -> ``twelve``) or expand an abbreviation."""
    if _GUARDED.isdisjoint(spun) and _GUARDED.isdisjoint(clean):
        return False
    if any(w in ABBREVIATIONS for w in spun) and not any(w in ABBREVIATIONS for w in clean):
        return True
    return _quantities(spun) != _quantities(clean)


_ROW_FIELDS = {"c": 4, "k": 3, "u": 3, "n": 3, "1": 3, "2": 4, "s": 7}
"""The row kinds of a saved channel (:meth:`Channel.save`) and their number of fields."""


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A clean phrase that a spun phrase may come from, and log P(spun | clean)."""

    source: str
    words: tuple[str, ...]
    logp: float


def norm(word: str) -> str:
    """The form words are compared in: lower case, straight apostrophes."""
    return word.lower().replace("’", "'")


_PLAIN_PHRASE = re.compile(r"[a-z]+(?: [a-z]+)*")
"""Lower-case ASCII words, single spaces: a phrase whose words are its words split at spaces."""


def _words(phrase: str) -> tuple[str, ...] | None:
    """The normalised word tokens of ``phrase``, or None if it holds punctuation."""
    if _PLAIN_PHRASE.fullmatch(phrase):
        return tuple(phrase.split(" "))
    toks = tokenize(phrase)
    if not toks or not all(t.is_word for t in toks):
        return None
    return tuple(norm(t.text) for t in toks)


def neighbours(tokens: list[Token], a: int, z: int) -> tuple[str, str]:
    """The word before token ``a`` and after token ``z - 1`` (normalised), or the boundary
    symbols where punctuation or the unit's end is there instead."""
    before = norm(tokens[a - 1].text) if a > 0 and tokens[a - 1].is_word else BOUNDARY_START
    after = norm(tokens[z].text) if z < len(tokens) and tokens[z].is_word else BOUNDARY_END
    return before, after


def match_apostrophes(after: str, before: str, text: str) -> str:
    """Write the replacement's apostrophes in the style of the text it replaces."""
    if "'" not in after:
        return after
    curly = "’" in before or ("'" not in before and text.count("’") > text.count("'"))
    return after.replace("'", "’") if curly else after


class Channel:
    """Inverted spinner tables: spun word tuple -> candidates; keep probabilities per word."""

    def __init__(self, tables: list[tuple[Table, float]] = ()):
        """``tables``: (merged table, spin rate) per profile; mixed with equal weight."""
        share = 1.0 / max(len(tables), 1)
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
                    if spun is None or spun == source_words or changes_quantity(spun, source_words):
                        continue
                    prob[spun][source] += share * p / len(choices)
        self.candidates: dict[tuple[str, ...], list[Candidate]] = {
            spun: [Candidate(s, _words(s), math.log(p)) for s, p in sorted(sources.items())]  # type: ignore[arg-type]
            for spun, sources in prob.items()
        }
        self.keep_logp: dict[str, float] = {w: math.log(max(1.0 - p, 1e-3)) for w, p in keep.items()}
        self.unchanged_logp: dict[tuple[str, ...], float] = {}
        self.seen: dict[tuple[str, ...], int] = {}  # runs of text counted by reweighted()
        self.unigrams: dict[str, int] = {}
        self.bigrams: dict[tuple[str, str], int] = {}
        # (profile, spun phrase, word before, word after) -> (times seen, times spun); "" = any word
        self.spin_counts: dict[tuple[str, tuple[str, ...], str, str], tuple[int, int]] = {}
        self._index()

    def context_logp(self, words: tuple[str, ...], before: str, after: str) -> float:
        """Log-score of ``words`` between ``before`` and ``after`` under the word bigram counts
        (stupid backoff to unigrams; ``<s>``/``</s>`` stand for punctuation and unit ends)."""
        total = self._total or 1
        bigrams, unigrams, log = self.bigrams, self.unigrams, math.log
        score, prev = 0.0, before
        for w in (*words, after):
            pair = bigrams.get((prev, w), 0)
            if pair:
                score += log(pair / max(unigrams.get(prev, 0), pair))
            else:
                score += log(0.4 * (unigrams.get(w, 0) + 0.5) / total)
            prev = w
        return score

    def context_spin(self, profile: str, words: tuple[str, ...], before: str, after: str) -> tuple[float, float, float, float]:
        """How the spin counts of ``profile`` judge ``words`` between ``before`` and ``after``:
        the log-odds that they were spun given the word before, given the word after, and given
        both, and log(1 + times seen between both).  Each estimate is smoothed towards the
        coarser one (both: towards the naive combination of before and after; the phrase alone:
        towards the profile's overall spin rate).  All zeros without counts for ``profile``."""
        if profile not in self._spin_rate:
            return 0.0, 0.0, 0.0, 0.0
        counts = self.spin_counts

        def rate(key, prior: float, weight: float) -> tuple[float, int]:
            seen, spun = counts.get(key, (0, 0))
            return (spun + weight * prior) / (seen + weight), seen

        phrase, _ = rate((profile, words, "", ""), self._spin_rate[profile], 1.0)
        left, _ = rate((profile, words, before, ""), phrase, SPIN_PRIOR_WEIGHT)
        right, _ = rate((profile, words, "", after), phrase, SPIN_PRIOR_WEIGHT)
        naive = _logit(left) + _logit(right) - _logit(phrase)
        both, seen = rate((profile, words, before, after), 1.0 / (1.0 + math.exp(-naive)), SPIN_PRIOR_WEIGHT)
        return _logit(left), _logit(right), _logit(both), math.log1p(seen)

    def with_spin_counts(self, counts: dict[tuple[str, tuple[str, ...], str, str], tuple[int, int]]) -> "Channel":
        """Attach spin counts (for :meth:`context_spin`): (profile, spun phrase, word before,
        word after) -> (times seen, times spun), with ``""`` for any word; returns self."""
        self.spin_counts = dict(counts)
        self._index()
        return self

    def _index(self) -> None:
        totals: dict[str, list[int]] = {}
        for (profile, _, b, a), (n, k) in self.spin_counts.items():
            if not b and not a:
                total = totals.setdefault(profile, [0, 0])
                total[0] += n
                total[1] += k
        self._spin_rate = {p: min(max(k / n, 1e-3), 1 - 1e-3) for p, (n, k) in totals.items() if n}
        self._total = sum(self.unigrams.values())
        self.max_len: dict[str, int] = {}
        for spun in self.candidates:
            self.max_len[spun[0]] = max(self.max_len.get(spun[0], 0), len(spun))

    def spans(self, text: str, tokens: list[Token], free: list[bool]) -> list[tuple[int, int, list[Candidate]]]:
        """Every run of tokens ``[first, stop)`` of ``text`` that the tables may have spun, with
        its candidates.  Only ``free`` word tokens joined by one plain space (the only gap
        the spinner's phrases span) take part.
        """
        keys = [norm(t.text) if t.is_word else "" for t in tokens]
        found = []
        for i, key in enumerate(keys):
            if not free[i] or key not in self.max_len:
                continue
            stop = i + 1
            while (
                stop < min(len(tokens), i + self.max_len[key])
                and free[stop]
                and text[tokens[stop - 1].end : tokens[stop].start] == " "
            ):
                stop += 1
            for end in range(i + 1, stop + 1):
                cands = self.candidates.get(tuple(keys[i:end]))
                if cands:
                    found.append((i, end, cands))
        return found

    def with_counts(self, unigrams: dict[str, int], bigrams: dict[tuple[str, str], int]) -> "Channel":
        """Attach word unigram/bigram counts of clean text (for :meth:`context_logp`); returns self."""
        self.unigrams, self.bigrams = dict(unigrams), dict(bigrams)
        self._index()
        return self

    def reweighted(self, seen: dict[tuple[str, ...], int], restored: dict[tuple[tuple[str, ...], str], int],
                   prior_weight: float = 2.0) -> "Channel":
        """A copy whose candidate log-probs are log P(clean phrase | spun phrase) as counted on
        pairs: ``seen[spun]`` runs of text read ``spun``, ``restored[spun, source]`` of them
        came from ``source``; the table's own probability counts as ``prior_weight`` runs.
        ``unchanged_logp[spun]`` is the log-probability that ``spun`` was not spun at all.
        """
        out = Channel()
        out.keep_logp = dict(self.keep_logp)
        out.unigrams, out.bigrams, out.spin_counts = self.unigrams, self.bigrams, self.spin_counts
        for spun, cands in self.candidates.items():
            n = seen.get(spun, 0) + prior_weight
            counts = [restored.get((spun, c.source), 0) + prior_weight * math.exp(c.logp) for c in cands]
            out.candidates[spun] = [Candidate(c.source, c.words, math.log(k / n)) for c, k in zip(cands, counts)]
            out.unchanged_logp[spun] = math.log(max(n - sum(counts), 0.5) / n)
            if seen.get(spun):
                out.seen[spun] = seen[spun]
        out._index()
        return out

    def restricted(self, allowed: "Channel") -> "Channel":
        """A copy with only the candidates that ``allowed`` lists for the same spun words (its
        probabilities are not read): the channel with some of its sources taken out, for an
        ablation (``Channel.from_profiles`` of the sources kept)."""
        out = Channel()
        out.keep_logp, out.unchanged_logp, out.seen = self.keep_logp, self.unchanged_logp, self.seen
        out.unigrams, out.bigrams, out.spin_counts = self.unigrams, self.bigrams, self.spin_counts
        for spun, cands in self.candidates.items():
            listed = {c.source for c in allowed.candidates.get(spun, ())}
            kept = [c for c in cands if c.source in listed]
            if kept:
                out.candidates[spun] = kept
        out._index()
        return out

    def save(self, path: str | Path) -> None:
        """Write the inverted tables as gzipped TSV: ``c spun source logp``, ``k word logp``,
        ``u spun logp``, ``n spun times-seen``, ``1 word count``, ``2 word word count`` and
        ``s profile spun before after times-seen times-spun`` rows."""
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
            f.write("# restore inverted spinner tables v1\n")
            for spun in sorted(self.candidates):
                for c in self.candidates[spun]:
                    f.write(f"c\t{' '.join(spun)}\t{c.source}\t{c.logp:.4f}\n")
            for word in sorted(self.keep_logp):
                f.write(f"k\t{word}\t{self.keep_logp[word]:.4f}\n")
            for spun in sorted(self.unchanged_logp):
                f.write(f"u\t{' '.join(spun)}\t{self.unchanged_logp[spun]:.4f}\n")
            for spun in sorted(self.seen):
                f.write(f"n\t{' '.join(spun)}\t{self.seen[spun]}\n")
            for word in sorted(self.unigrams):
                f.write(f"1\t{word}\t{self.unigrams[word]}\n")
            for pair in sorted(self.bigrams):
                f.write(f"2\t{pair[0]}\t{pair[1]}\t{self.bigrams[pair]}\n")
            for key in sorted(self.spin_counts):
                seen, spun = self.spin_counts[key]
                f.write(f"s\t{key[0]}\t{' '.join(key[1])}\t{key[2]}\t{key[3]}\t{seen}\t{spun}\n")

    @classmethod
    def load(cls, path: str | Path) -> "Channel":
        """Read what :meth:`save` wrote (rows of each kind parsed in bulk: the word counts are
        most of the file)."""
        collecting = gc.isenabled()
        gc.disable()  # millions of small objects, none cyclic: the collector would only slow it
        try:
            return cls._parse(path)
        finally:
            if collecting:
                gc.enable()

    @classmethod
    def _parse(cls, path: str | Path) -> "Channel":
        channel = cls()
        with gzip.open(path, "rt", encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":  # the newline that ends the last row
            lines.pop()
        rows: dict[str, list[list[str]]] = {kind: [] for kind in _ROW_FIELDS}
        for line in lines:
            if line.startswith("#"):
                continue
            row = line.split("\t")
            if _ROW_FIELDS.get(row[0]) != len(row):
                raise ValueError(f"{path}: not an inverted spinner table row: {line[:80]!r}")
            rows[row[0]].append(row)
        words_of: dict[str, tuple[str, ...] | None] = {}  # a clean phrase recurs under many spun ones
        for _, spun_text, source, logp in rows["c"]:
            if source not in words_of:
                words_of[source] = _words(source)
            spun, words = tuple(spun_text.split(" ")), words_of[source]
            if words is not None and not changes_quantity(spun, words):
                channel.candidates.setdefault(spun, []).append(Candidate(source, words, float(logp)))
        channel.keep_logp = {w: float(v) for _, w, v in rows["k"]}
        channel.unchanged_logp = {tuple(w.split(" ")): float(v) for _, w, v in rows["u"]}
        channel.seen = {tuple(w.split(" ")): int(v) for _, w, v in rows["n"]}
        channel.unigrams = {w: int(v) for _, w, v in rows["1"]}
        channel.bigrams = {(w1, w2): int(v) for _, w1, w2, v in rows["2"]}
        phrases: dict[str, tuple[str, ...]] = {}  # one tuple per phrase, shared by all its contexts
        for _, profile, phrase, before, after, seen, spun in rows["s"]:
            words = phrases.get(phrase)
            if words is None:
                words = phrases[phrase] = tuple(phrase.split(" "))
            channel.spin_counts[profile, words, before, after] = (int(seen), int(spun))
        channel._index()
        return channel

    @classmethod
    def from_profiles(cls, names: list[str]) -> "Channel":
        """The channel of the named spinner profiles (their merged tables and default rates)."""
        from restore.spin import PROFILES
        from restore.spin.tables import profile_lexicon

        return cls([(profile_lexicon(n).entries, PROFILES[n].rate) for n in names])

    def __len__(self) -> int:
        return len(self.candidates)
