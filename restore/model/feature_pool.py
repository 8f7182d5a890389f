"""Candidate features on several cores: the pure-Python half of restoring in worker processes.

Scoring candidates (:class:`restore.candidates.features.CandidateFeatures` and the candidate
scorer) is most of the time restoring takes, and it runs in one Python thread, while the encoder
uses every core only for its own short share.  A :class:`FeaturePool` forks ``workers``
processes that inherit the editor's candidate tables and language models (forked, so shared
with this process until written, and loaded once), splits each call's units between them
(features depend only on their own unit, so the rows are those one process would compute), and
sends back only the candidates at the confidence floor or above.

Forking needs the ``fork`` start method (Linux and most Unixes; :func:`can_fork`); the workers
never touch the encoder, torch or the tokenizer, whose threads a fork does not copy.  The pool
is made on first use and ends with the editor (or :meth:`FeaturePool.close`, or the
interpreter's exit).  Should a worker die (killed, out of memory), its share is scored in this
process instead, the same, and the editor starts new workers for its next call.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from restore.model.scorer import confidences

MIN_UNITS = 16
"""Calls with fewer units than this are scored in this process: a worker's round trip costs
more than it saves on a sentence or two."""

_features = None  # in a worker: the CandidateFeatures it inherited


def can_fork() -> bool:
    """True where worker processes can be forked (the ``fork`` start method exists)."""
    return "fork" in multiprocessing.get_all_start_methods()


def usable_cores() -> int:
    """The cores this process may run on (its affinity, e.g. under ``taskset`` or a cgroup), else all."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def check_workers(value: int | str) -> int:
    """``workers`` as a number of processes: ``"auto"`` (:func:`auto_workers`), 0 (none) or 2 or
    more; anything else, or workers where this platform cannot fork, is a ValueError."""
    if value == "auto":
        return auto_workers()
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value == 1:
        raise ValueError(f"workers must be 0 (none), a whole number of at least 2, or 'auto', got {value!r}")
    if value and not can_fork():
        raise ValueError("feature workers are forked processes, and this platform cannot fork: use workers=0")
    return value


def auto_workers() -> int:
    """How many feature workers ``workers="auto"`` means here: one per usable core (at most 4)
    where there are two or more and processes can be forked, else 0 (score in this process)."""
    cores = usable_cores()
    return min(cores, 4) if cores >= 2 and can_fork() else 0


def _start(features) -> None:
    global _features
    _features = features


def _score(compose_words: int, *job) -> list[tuple]:
    """In a worker: :func:`score` of one share of a call's units with the features it inherited
    (told the editor's ``compose_words`` of the moment)."""
    _features.compose_words = compose_words
    return score(_features, *job)


def score(features, units: list[str], views: list, keep_bar: float, nbest: list[dict] | None,
          skip: frozenset[str], focus: list | None, scorer, floor: float) -> list[tuple]:
    """The feature rows of ``units`` (:meth:`CandidateFeatures.rows`), each with its confidence
    appended, those at ``floor`` or above (:func:`keep_confident`)."""
    return keep_confident(features.rows(units, views, keep_bar, nbest, skip=skip, focus=focus), scorer, floor)


def keep_confident(rows: list[tuple], scorer, floor: float) -> list[tuple]:
    """``rows`` (:data:`restore.candidates.features.Row`) each with its confidence appended
    (:func:`restore.model.scorer.confidences` with ``scorer``), those at ``floor`` or above."""
    found = confidences(scorer, [row[-1] for row in rows])
    return [(*row, c) for row, c in zip(rows, found) if c >= floor]


def split(weights: list[int], parts: int) -> list[list[int]]:
    """Indices ``0..len(weights)-1`` in ``parts`` groups of about equal total weight (the
    heaviest first, each to the lightest group), each group in index order; empty groups dropped."""
    groups: list[list[int]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        g = loads.index(min(loads))
        groups[g].append(i)
        loads[g] += weights[i]
    return [sorted(g) for g in groups if g]


class FeaturePool:
    """``workers`` forked processes that score candidates for the ``features`` they inherit."""

    def __init__(self, features, workers: int) -> None:
        if workers < 2:
            raise ValueError(f"a feature pool needs at least 2 workers, got {workers}")
        if not can_fork():
            raise RuntimeError("a feature pool forks its workers, and this platform cannot fork")
        self.features, self.workers = features, workers
        self.broken = False  # a worker died (killed, out of memory): the editor starts new ones
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_start, initargs=(features,))

    def submit(self, units: list[str], views: list, keep_bar: float, nbest: list[dict] | None,
               skip: frozenset[str], focus: list | None, scorer, floor: float) -> Callable[[], list[tuple]]:
        """:func:`score` of ``units`` with ``features``, started in the workers without waiting for
        them (this process can tag the next batch meanwhile): returns the function that waits and
        gives the rows, in the same order (unit by unit)."""
        groups = split([sum(v.free) for v in views], self.workers)
        pick = lambda seq, g: None if seq is None else [seq[i] for i in g]  # noqa: E731
        jobs = [([units[i] for i in g], [views[i] for i in g], keep_bar, pick(nbest, g), skip, pick(focus, g),
                 scorer, floor) for g in groups]
        try:
            started = [self._pool.submit(_score, self.features.compose_words, *job) for job in jobs]
        except BrokenProcessPool:
            self.broken, started = True, [None] * len(jobs)

        def result() -> list[tuple]:
            by_unit: list[list[tuple]] = [[] for _ in units]
            for g, job, future in zip(groups, jobs, started):
                try:
                    found = future.result() if future is not None else None
                except BrokenProcessPool:
                    self.broken, found = True, None
                if found is None:  # the workers are gone: this share is scored here, the same
                    found = score(self.features, *job)
                for row in found:
                    by_unit[g[row[0]]].append((g[row[0]], *row[1:]))
            return [row for rows in by_unit for row in rows]

        return result

    def close(self) -> None:
        """Stop the workers (idempotent)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
