"""Candidates composed word by word: a run of adjacent doubted words, each with candidates of
its own, gets the combinations of those as candidates for the whole run.

Spinners swap word by word (the generators behind tortured phrases write ``counterfeit
consciousness`` for ``artificial intelligence``; a thesaurus spinner may swap two neighbours),
and a table rarely lists the spun phrase whole.  Each word's own candidate is then judged in
a sentence whose other word is still spun (``artificial consciousness``), where the language
models read it poorly; the composed candidate is judged as the phrase it restores.

:func:`with_composed` adds them to a unit's table spans; :class:`restore.candidates.features.
CandidateFeatures` reads them like table candidates, with the channel log-probability the sum
of their parts' (the swaps taken as independent) and "on best reading" true when every part is.
"""

from __future__ import annotations

from itertools import product

from restore.candidates.channel import Candidate
from restore.text import Token

COMPOSE_TOP = 3
"""Candidates of each word a composition draws on (the most likely under the tables)."""

Span = tuple[int, int, list[Candidate]]
Parts = dict[tuple[int, int, str], tuple[tuple[int, int, str], ...]]


def with_composed(spans: list[Span], text: str, tokens: list[Token], p_keep: list[float], keep_bar: float,
                  max_words: int, top: int = COMPOSE_TOP) -> tuple[list[Span], Parts]:
    """``spans`` (a unit's ``(first, stop, candidates)`` from :meth:`Channel.spans`) with the
    composed candidates of every run of 2 to ``max_words`` adjacent words joined by one plain
    space, each of which has one-word candidates and a keep probability below ``keep_bar``
    (the tagger doubts it): the combinations of each word's ``top`` candidates, every word
    changed, those a table already lists for the run left out.  Returns the spans (a run that
    is already a table span gets its list extended, in a new list) and, for each composed
    candidate ``(first, stop, source)``, its parts ``((first, first + 1, source), ...)``."""
    if max_words < 2:
        return spans, {}
    single: dict[int, list[Candidate]] = {}
    for a, z, cands in spans:
        if z == a + 1 and p_keep[a] < keep_bar:
            single[a] = sorted(cands, key=lambda c: -c.logp)[:top]
    if len(single) < 2:
        return spans, {}
    at = {(a, z): k for k, (a, z, _) in enumerate(spans)}
    out = list(spans)
    parts: Parts = {}
    for a in sorted(single):
        stop = a + 1
        while (stop in single and stop - a < max_words
               and text[tokens[stop - 1].end : tokens[stop].start] == " "):
            stop += 1
            listed = at.get((a, stop))
            known = {c.words for c in out[listed][2]} if listed is not None else set()
            extra = []
            for combo in product(*(single[k] for k in range(a, stop))):
                words = tuple(w for c in combo for w in c.words)
                if words in known:
                    continue
                known.add(words)
                source = " ".join(c.source for c in combo)
                extra.append(Candidate(source, words, sum(c.logp for c in combo)))
                parts[a, stop, source] = tuple((k, k + 1, c.source) for k, c in zip(range(a, stop), combo))
            if not extra:
                continue
            if listed is None:
                at[a, stop] = len(out)
                out.append((a, stop, extra))
            else:
                out[listed] = (a, stop, out[listed][2] + extra)
    return out, parts
