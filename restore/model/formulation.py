"""The tag-then-generate contract between the model and the text.

A unit (a sentence or a window of one) is a list of tokens (:func:`restore.text.tokenize`).
The model does two things:

* the **encoder tags** every token ``KEEP``, ``BEGIN`` (first token of a span to replace)
  or ``INSIDE`` (a further token of that span);
* the **decoder writes only the replacements**, span after span.  Span *k*'s tokens carry
  span id *k* in the encoder states.  Two target formats:

  - *echo* (the default): each span's spun words are given to the decoder after its
    marker, and it writes the replacement after ``<sep>``:
    ``<e1> mentioned <sep> said <e2> information convention <sep> news conference </s>``;
    the marker, the echoed words and ``<sep>`` are forced, never predicted;
  - *plain*: markers and replacements only, ``<e1> said <e2> news conference </s>``; the
    decoder must find span *k*'s words through the span ids alone.

:func:`spans_from_pair` derives the training target from a (spun, clean) pair;
:func:`edits_from_spans` turns predicted spans and replacements back into edits of the
input.  Both use the same conventions as :func:`restore.edits.align`, so
``apply_edits(spun, edits_from_spans(spun, *spans_from_pair(spun, clean)))`` restores the
clean text for every pair whose differences are word-level.
"""

from __future__ import annotations

from dataclasses import dataclass

from restore.edits import Edit, align, edit_kind
from restore.text import Token, tokenize

KEEP, BEGIN, INSIDE = 0, 1, 2
TAG_NAMES = ("KEEP", "BEGIN", "INSIDE")
MAX_SPANS = 64
"""Spans per unit the model can address; marker tokens are ``<e1>`` … ``<e64>``."""


SEP = "<sep>"
"""Ends the echoed spun words of a span in the *echo* target."""

MASK = "<mask>"
"""Stands for the words of a span in pre-training's corrupted text (``training.pretrain``): the
encoder tags it like any spun span, and the decoder writes the words it hides."""


def marker(k: int) -> str:
    """The decoder marker of span ``k`` (1-based)."""
    return f"<e{k}>"


MARKERS = [marker(k) for k in range(1, MAX_SPANS + 1)]


@dataclass(frozen=True, slots=True)
class Span:
    """Tokens ``[first, last)`` of a unit, to be replaced by ``replacement``."""

    first: int
    last: int
    replacement: str


def spans_from_pair(spun: str, clean: str) -> tuple[list[Token], list[Span]]:
    """Tokens of ``spun`` and the spans that turn it into ``clean``.

    Built on :func:`restore.edits.align`: each word-level edit becomes the span of the
    tokens it covers.  Edits with no token inside (whitespace-only differences, an empty
    ``spun``) are not representable and are dropped.
    """
    tokens = tokenize(spun)
    spans: list[Span] = []
    k = 0
    for e in align(spun, clean):
        while k < len(tokens) and tokens[k].end <= e.start:
            k += 1
        first = k
        while k < len(tokens) and tokens[k].end <= e.end:
            k += 1
        if k > first:
            spans.append(Span(first, k, e.after))
    return tokens, spans


def tags_from_spans(n_tokens: int, spans: list[Span]) -> list[int]:
    """Per-token tags (KEEP/BEGIN/INSIDE) for ``spans``."""
    tags = [KEEP] * n_tokens
    for s in spans:
        tags[s.first] = BEGIN
        for i in range(s.first + 1, s.last):
            tags[i] = INSIDE
    return tags


def spans_from_tags(tags: list[int]) -> list[tuple[int, int]]:
    """Token ranges ``[first, last)`` of the spans in a tag sequence.

    A span starts at BEGIN, or at INSIDE after KEEP, and runs over the INSIDE tags after it.
    """
    ranges: list[tuple[int, int]] = []
    for i, t in enumerate(tags):
        if t == BEGIN or (t == INSIDE and (i == 0 or tags[i - 1] == KEEP)):
            ranges.append((i, i + 1))
        elif t == INSIDE:
            ranges[-1] = (ranges[-1][0], i + 1)
    return ranges


def edits_from_spans(
    text: str,
    tokens: list[Token],
    spans: list[Span],
    confidences: list[float] | None = None,
    source: str = "table",
) -> list[Edit]:
    """Edits of ``text`` that replace each span's tokens with its replacement, each with
    ``source`` (:data:`restore.edits.SOURCES`).

    A span whose replacement equals its text is no edit.  An empty replacement deletes the
    tokens together with the whitespace before them (after them at the start of the text).
    """
    edits: list[Edit] = []
    for n, s in enumerate(spans):
        start, end = tokens[s.first].start, tokens[s.last - 1].end
        if text[start:end] == s.replacement:
            continue
        if not s.replacement:
            if s.first > 0:
                start = tokens[s.first - 1].end
            elif s.last < len(tokens):
                end = tokens[s.last].start
        before = text[start:end]
        conf = 1.0 if confidences is None else confidences[n]
        edits.append(Edit(start, end, before, s.replacement, edit_kind(before, s.replacement), conf, source))
    return edits


MAX_FREE_TOKENS = 12
"""Longest replacement, in subwords, the decoder may write for one span."""


def free_tokens(segment: list[int]) -> int:
    """Subwords the decoder may write for the span of an echo ``segment`` (``<ek> words <sep>``):
    spinners change a phrase's length a little, never ten-fold."""
    return min(MAX_FREE_TOKENS, 2 * (len(segment) - 2) + 4)
