"""Candidate features: what the scorer reads about each candidate replacement.

:class:`CandidateFeatures` turns the runs of words a unit's tagger doubts into feature rows,
one per candidate (:data:`CANDIDATE_FEATURES`, in that order): the tag doubt, the candidate
tables' statistics (:class:`restore.candidates.channel.Channel`), the trigram language model's
view and best reading of the unit (:class:`restore.candidates.viterbi.Decoder`), the in-domain
n-gram model's (:class:`restore.candidates.ngram.NgramLM`), the decoder's n-best
(:func:`with_generated`), and each as a lead over the candidate's rivals (:func:`rival_leads`).
A new candidate source is a module that yields ``(first, stop, candidates)`` runs, one line in
:meth:`CandidateFeatures.rows`, and, if it brings new evidence, features appended at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import itemgetter

import numpy as np

from restore.candidates.channel import Candidate, Channel, match_apostrophes, neighbours, norm
from restore.candidates.compose import with_composed
from restore.candidates.ngram import NgramLM, ngram_word, ngram_words
from restore.candidates.viterbi import Decoder
from restore.edits import Edit, shared_edges
from restore.text import Token

SPIN_PROFILES = ("news", "tortured")
"""The profiles whose spin-in-context counts the candidate features read (see ``training.candidates``)."""

CANDIDATE_FEATURES = (
    "log tag doubt",  # log(1 - the highest keep probability among the words the candidate changes)
    "channel log-prob",  # log P(clean | spun) of the candidate tables (see training.candidates)
    "span words",
    "log candidates",  # how many candidates the span has
    "unchanged log-prob",  # log P(the spun-looking words are genuine), from the tables
    "context fit",  # word-bigram log-score of the candidate between its neighbours minus the spun words'
    "log times counted",  # log(1 + how often the spun words were seen where the table counts were taken)
    "trigram fit",  # trigram LM log-prob of the candidate in its sentence minus the spun words' (Decoder.fit)
    "on best reading",  # 1 if the LM × tables Viterbi reading of the unit makes this replacement, else 0
    "log unit doubt",  # log(1e-4 + the mean tag doubt of the unit's free words): is the unit spun at all?
    "unit share doubted",  # the share of the unit's free words whose keep probability is below 0.5
    # How the candidate compares with its rivals (the unit's other candidates on any of its
    # words): its value minus the best rival's, clipped to ±RIVAL_CLIP (RIVAL_CLIP: no rival).
    "trigram fit lead",
    "channel lead",
    "context fit lead",
    "log rivals",  # log(1 + how many rivals)
    "tag doubt lead",
    "unchanged lead",
    "times counted lead",
    # How often each profile of SPIN_PROFILES in fact spun the span's words next to the same
    # neighbours in the training pairs (Channel.context_spin; 0 without its counts): per profile,
    # the log-odds of spun given the word before, given the word after, given both, and
    # log(1 + how often seen between both).
    *(f"{profile} {what}" for profile in SPIN_PROFILES
      for what in ("spin odds after word before", "spin odds before word after", "spin odds in context",
                   "log times in context")),
    # The model's in-domain n-gram LM (restore.candidates.ngram; 0 without one): log P(the unit with the
    # candidate) - log P(the unit as it is), and that minus the best rival's, clipped as above.
    "ngram fit",
    "ngram fit lead",
    # The decoder's n-best replacements of the span (Seq2SeqEditor.nbest; 0 for both when off):
    # 1 if the candidate is one no table lists (the decoder proposed it), and the decoder's
    # log-probability of the candidate as the span's replacement (NBEST_FLOOR if not in its n-best).
    "generated",
    "decoder log-prob",
    # 1 if the candidate was composed from the one-word candidates of a run of doubted words
    # (restore.candidates.compose; 0 for every candidate when composition is off).
    "composed",
)
"""What a candidate edit's confidence is computed from (in this order).  New features go at the
end: a scorer fitted on fewer reads the first ones (:meth:`Seq2SeqEditor.candidate_confidence`)."""

RIVAL_CLIP = 10.0
GENERATED_CHANNEL_LOGP = math.log(1e-6)
"""The ``channel log-prob`` of a candidate that only the decoder proposed (no table lists it)."""
NBEST_FLOOR = -30.0
"""The ``decoder log-prob`` of a candidate the decoder's n-best does not hold."""
LEADS = (7, 1, 5, None, 0, 4, 6)  # the CANDIDATE_FEATURES each lead compares (None: log rivals)
SKIPPABLE = {
    "on best reading": ("on best reading",),
    "trigram fit": ("trigram fit", "trigram fit lead"),
    "ngram fit": ("ngram fit", "ngram fit lead"),
}
"""The costly features :meth:`CandidateFeatures.rows` can leave at 0, each with the features it
feeds: the Viterbi best reading of every doubted unit, the trigram fit of every candidate, the
n-gram fit of every candidate.  A scorer fitted without one (``training.calibrate
--skip_features``) reads none of them, and the editor then skips the work
(:func:`unread_skippable`)."""


def unread_skippable(reads) -> frozenset[str]:
    """The :data:`SKIPPABLE` features none of whose fed features ``reads(index)`` (e.g.
    :meth:`CandidateScorer.reads`) says the scorer depends on."""
    return frozenset(name for name, fed in SKIPPABLE.items()
                     if not any(reads(CANDIDATE_FEATURES.index(f)) for f in fed))


@dataclass(frozen=True, slots=True)
class CandidateEdit:
    """A candidate replacement of tokens ``span`` from the inverted tables, scored."""

    span: tuple[int, int]
    source: str  # the clean phrase as the tables write it
    doubt: float  # 1 - the highest keep probability among the words it changes (shared edge words aside)
    features: tuple[float, ...]  # CANDIDATE_FEATURES
    edit: Edit  # confidence = candidate_confidence(features)


@dataclass(frozen=True, slots=True)
class UnitView:
    """What the tagger made of one unit: its tokens, which of them may change,
    each token's probability of being kept, and where its subwords lie."""

    tokens: list[Token]
    free: list[bool]
    p_keep: list[float]
    sub2tok: list[int]  # per subword of the batch's encoding, the token it starts in (-1: none)

Row = tuple[int, int, int, str, str, float, tuple[float, ...]]
"""A candidate as :meth:`CandidateFeatures.rows` gives it: (unit, first token, stop token,
replacement as written, the clean phrase as the tables write it, doubt, features)."""


class CandidateFeatures:
    """The feature rows of every candidate of a batch of tagged units.

    ``channel``: the candidate tables; ``reader``: the trigram LM × tables reading of a unit
    (:class:`Decoder`); ``ngram``: the in-domain n-gram model (None: its features are 0);
    ``compose_words``: the longest run of doubted words whose one-word candidates are also
    combined into candidates for the run (:mod:`restore.candidates.compose`; below 2: none)."""

    def __init__(self, channel: Channel, reader: Decoder, ngram: NgramLM | None = None,
                 compose_words: int = 0) -> None:
        self.channel, self.reader, self.ngram = channel, reader, ngram
        self.compose_words = compose_words

    def rows(self, units: list[str], views: list[UnitView], keep_bar: float,
             nbest: list[dict] | None = None, skip: frozenset[str] = frozenset(),
             focus: list[list[bool] | None] | None = None) -> list[Row]:
        """Every candidate of every run of words whose changed words the tagger doubts (keep
        probability below ``keep_bar``), with its features: candidates of the tables and,
        given ``nbest`` (per unit ``{(first, stop): {words: decoder log-prob}}``), the
        decoder's.  The :data:`SKIPPABLE` features named in ``skip`` are left at 0 (their
        work is not done).  ``focus[i]`` (per token; None: every token): only runs with a
        token in it are looked at."""
        unknown = set(skip) - SKIPPABLE.keys()
        if unknown:
            raise ValueError(f"cannot skip {sorted(unknown)}: the skippable features are {sorted(SKIPPABLE)}")
        read_best = "on best reading" not in skip
        read_trigram = "trigram fit" not in skip
        ngram_on = self.ngram is not None and "ngram fit" not in skip
        # (unit, first, stop, replacement, source, doubt, features, spin-in-context features, (ngram fit,),
        #  (generated, decoder log-prob), (composed,))
        found: list[tuple[int, int, int, str, str, float, tuple[float, ...], tuple[float, ...], tuple[float],
                          tuple[float, float], tuple[float]]] = []
        tables, reader, ngram = self.channel, self.reader, (self.ngram if ngram_on else None)
        for i, (unit, view) in enumerate(zip(units, views)):
            best_reading = None  # read only for units with a doubted span
            ngram_reading = None  # the n-gram model's view, likewise
            doubts = [1.0 - p for p, f in zip(view.p_keep, view.free) if f] or [0.0]
            unit_features = (math.log(1e-4 + sum(doubts) / len(doubts)), sum(d > 0.5 for d in doubts) / len(doubts))
            spans = tables.spans(unit, view.tokens, view.free)
            parts = {}
            if self.compose_words > 1:
                spans, parts = with_composed(spans, unit, view.tokens, view.p_keep, keep_bar, self.compose_words)
            if nbest is not None:
                spans = with_generated(spans, nbest[i])
            near = None if focus is None else focus[i]
            for a, z, cands, *generated in spans:
                if near is not None and not any(near[a:z]):
                    continue  # a later round looks only near the last one's edits
                if 1.0 - min(view.p_keep[a:z]) <= 1.0 - keep_bar:
                    continue  # no word of the run is doubted enough for any of its candidates
                spun = unit[view.tokens[a].start : view.tokens[z - 1].end]
                key = tuple(norm(t.text) for t in view.tokens[a:z])
                doubted = []  # (candidate, replacement, doubt) of the candidates doubted enough
                for c in cands:
                    replacement = match_apostrophes(match_case(c.source, spun), spun, unit)
                    if replacement == spun:
                        continue
                    # the doubt of the words the candidate changes: ``within the`` -> ``in the``
                    # rests on ``within`` alone, however surely ``the`` is kept
                    head, tail = shared_edges(key, c.words)
                    doubt = 1.0 - max(view.p_keep[a + head : z - tail])
                    if doubt > 1.0 - keep_bar:
                        doubted.append((c, replacement, doubt))
                if not doubted:
                    continue
                if len(key) == 1 or key in tables.candidates:
                    unchanged = tables.unchanged_logp.get(key, tables.keep_logp.get(key[0], 0.0))
                else:  # a run only composition proposes: each of its words genuine
                    unchanged = sum(tables.unchanged_logp.get((w,), tables.keep_logp.get(w, 0.0)) for w in key)
                before, after = neighbours(view.tokens, a, z)
                spun_fit = tables.context_logp(key, before, after)
                in_context = tuple(x for p in SPIN_PROFILES for x in tables.context_spin(p, key, before, after))
                if best_reading is None:
                    fixed = [not f for f in view.free] if near is None else [not (f and n) for f, n in zip(view.free, near)]
                    best_reading = reader.chosen(unit, view.tokens, fixed) if read_best else ()
                if ngram is not None and ngram_reading is None:
                    ngram_reading = ngram.reading(ngram_words(view.tokens))
                fits = reader.fits(view.tokens, a, z, [c.words for c, _, _ in doubted]) if read_trigram else [0.0] * len(doubted)
                for (c, replacement, doubt), trigram_fit in zip(doubted, fits):
                    decoder = (0.0, 0.0) if nbest is None else (
                        float(c.source in generated[0]), nbest[i].get((a, z), {}).get(c.words, NBEST_FLOOR))
                    features = (
                        math.log(max(doubt, 1e-6)), c.logp, float(z - a), math.log(len(cands)), unchanged,
                        tables.context_logp(c.words, before, after) - spun_fit, math.log1p(tables.seen.get(key, 0)),
                        trigram_fit, (_on_reading((a, z, c.source), best_reading, parts) if parts
                                      else float((a, z, c.source) in best_reading)),
                        *unit_features,
                    )
                    fit = 0.0 if ngram is None else ngram_reading.fit(a, z, [ngram_word(w) for w in c.words])
                    composed = (float((a, z, c.source) in parts),) if parts else (0.0,)
                    found.append((i, a, z, replacement, c.source, doubt, features, in_context, (fit,), decoder, composed))
        leads = rival_leads([(f[0], f[1], f[2], f[6]) for f in found])
        if ngram is not None:
            fit_leads = rival_leads([(f[0], f[1], f[2], f[8]) for f in found], compared=(0,))
        else:
            fit_leads = [(0.0,)] * len(found)
        return [(*f[:6], f[6] + lead + f[7] + f[8] + fit_lead + f[9] + f[10]) for f, lead, fit_lead in zip(found, leads, fit_leads)]


def _on_reading(candidate: tuple[int, int, str], best_reading, parts: dict) -> float:
    """1.0 if the best reading makes ``candidate`` (a composed one: every part of it), else 0.0."""
    if candidate in best_reading:
        return 1.0
    composed = parts.get(candidate)
    return float(composed is not None and all(p in best_reading for p in composed))


def with_generated(table_spans: list, nbest: dict) -> list[tuple[int, int, list[Candidate], set[str]]]:
    """The unit's table spans ``(first, stop, candidates)`` with the decoder's n-best
    replacements that no table lists for the span added as candidates (and spans only the
    decoder proposed for appended), each with the set of its generated candidates' sources."""
    out = []
    for a, z, cands in table_spans:
        listed = {c.words for c in cands}
        extra = [generated_candidate(words) for words in nbest.get((a, z), {}) if words not in listed]
        out.append((a, z, cands + extra, {c.source for c in extra}))
    known = {(a, z) for a, z, _ in table_spans}
    for (a, z), replacements in nbest.items():
        if (a, z) not in known:
            extra = [generated_candidate(words) for words in replacements]
            out.append((a, z, extra, {c.source for c in extra}))
    return out


def rival_leads(found: list[tuple[int, int, int, tuple[float, ...]]],
                compared: tuple[int | None, ...] = LEADS) -> list[tuple[float, ...]]:
    """The rival features of :data:`CANDIDATE_FEATURES` for candidates given as (unit, first
    token, end token, first features): each one's lead over the best of its rivals, the same
    unit's candidates on any of its words (same span or overlapping), for each feature index
    of ``compared`` (None: log(1 + how many rivals)).  Vectorized over candidates and spans."""
    if not found:
        return []
    span_of: dict[tuple[int, int, int], int] = {}
    sid = np.fromiter((span_of.setdefault((i, a, z), len(span_of)) for i, a, z, _ in found), dtype=np.int64, count=len(found))
    columns = [f for f in compared if f is not None]
    pick = itemgetter(*columns)
    values = np.array([pick(row[3]) for row in found], dtype=np.float64).reshape(len(found), len(columns))
    n_spans, order = len(span_of), np.arange(len(found))[:, None]
    # Per span and compared feature: the best value, the first candidate with it, the best of the others.
    best = np.full((n_spans, len(columns)), -np.inf)
    np.maximum.at(best, sid, values)
    at = np.full((n_spans, len(columns)), len(found))
    np.minimum.at(at, sid, np.where(values == best[sid], order, len(found)))
    second = np.full((n_spans, len(columns)), -np.inf)
    np.maximum.at(second, sid, np.where(order == at[sid], -np.inf, values))
    counts = np.bincount(sid, minlength=n_spans)
    # Per span: the best value among the unit's other spans that share a word with it, and the rivals.
    best_other = np.full((n_spans, len(columns)), -np.inf)
    rivals = counts - 1
    spans_of_unit: dict[int, list[int]] = {}
    for (i, _, _), s in span_of.items():
        spans_of_unit.setdefault(i, []).append(s)
    bounds = np.array(list(span_of), dtype=np.int64)[:, 1:]  # (first, stop) of each span
    for members in spans_of_unit.values():
        if len(members) < 2:
            continue
        ids = np.array(members)
        first, stop = bounds[ids, 0], bounds[ids, 1]
        overlap = (first[None, :] < stop[:, None]) & (first[:, None] < stop[None, :])
        np.fill_diagonal(overlap, False)
        rivals[ids] += overlap @ counts[ids]
        best_other[ids] = np.where(overlap[:, :, None], best[ids][None, :, :], -np.inf).max(axis=1)
    rival = np.maximum(np.where(order == at[sid], second[sid], best[sid]), best_other[sid])
    with np.errstate(invalid="ignore"):
        lead = np.where(rival == -np.inf, RIVAL_CLIP, np.clip(values - rival, -RIVAL_CLIP, RIVAL_CLIP))
    n_rivals = np.array([math.log1p(r) for r in rivals.tolist()])[sid]  # math's, to the last bit as before
    out = np.empty((len(found), len(compared)))
    n = 0
    for c, f in enumerate(compared):
        if f is None:
            out[:, c] = n_rivals
        else:
            out[:, c] = lead[:, n]
            n += 1
    return [tuple(row) for row in out.tolist()]


def match_case(phrase: str, spun: str) -> str:
    """``phrase`` capitalised like ``spun``'s first letter (tables are lower case)."""
    if spun[:1].isupper() and phrase[:1].islower():
        return phrase[:1].upper() + phrase[1:]
    return phrase


def generated_candidate(words: tuple[str, ...]) -> Candidate:
    """A candidate the decoder proposed and no table lists (see :data:`GENERATED_CHANNEL_LOGP`)."""
    return Candidate(" ".join(words), words, GENERATED_CHANNEL_LOGP)
