"""Gates: which of a unit's proposed edits are made.

The editor proposes every edit it considered, each with a confidence; :func:`gated` (one
unit) and :func:`gated_document` (the units of one document) choose the disjoint edits to make:
the most confident of overlapping ones above a floor, and only in text that looks spun.
"""

from __future__ import annotations

from collections.abc import Callable

from restore.edits import Edit


def gated(edits: list[Edit], min_confidence: float, min_evidence: int = 0,
          evidence_confidence: float = 0.5, sure_confidence: float = 1.01,
          choose: Callable[[list[Edit], float], list[Edit]] | None = None) -> list[Edit]:
    """``most_confident(edits, min_confidence)`` in a unit that looks spun: one where at least
    ``min_evidence`` disjoint edits reach ``evidence_confidence``.  In a unit that does not,
    only edits at ``sure_confidence`` or above (above 1: none).  Genuine text rarely has
    several likely spins in one unit; spun text, which comes densely spun, usually does.
    ``choose``: what stands for :func:`most_confident` (the same answers, e.g. cached)."""
    choose = choose or most_confident
    if min_evidence and len(choose(edits, evidence_confidence)) < min_evidence:
        return choose(edits, max(min_confidence, sure_confidence))
    return choose(edits, min_confidence)


def gated_document(units_edits: list[list[Edit]], min_confidence: float, min_evidence: int = 0,
                   evidence_confidence: float = 0.5, sure_confidence: float = 1.01,
                   document_evidence: float = 0.0,
                   choose: Callable[[list[Edit], float], list[Edit]] | None = None) -> list[list[Edit]]:
    """:func:`gated` for each unit of one document, except that in a document of two units or
    more whose units average at least ``document_evidence`` disjoint edits at
    ``evidence_confidence``, every unit counts as spun (a spinner spins a whole document, so
    a sparsely spun sentence of it need not make its own case).  ``document_evidence=0``:
    each unit on its own.  ``choose``: as for :func:`gated`."""
    choose = choose or most_confident
    if min_evidence and document_evidence and len(units_edits) > 1:
        evidence = sum(len(choose(edits, evidence_confidence)) for edits in units_edits)
        if evidence >= document_evidence * len(units_edits):
            return [choose(edits, min_confidence) for edits in units_edits]
    return [gated(edits, min_confidence, min_evidence, evidence_confidence, sure_confidence, choose)
            for edits in units_edits]


def most_confident(edits: list[Edit], min_confidence: float) -> list[Edit]:
    """Edits at or above ``min_confidence``, the more confident first where they overlap;
    sorted by position."""
    chosen: list[Edit] = []
    for e in sorted(edits, key=lambda e: -e.confidence):
        if e.confidence < min_confidence:
            break
        if all(e.end <= c.start or c.end <= e.start for c in chosen):
            chosen.append(e)
    return sorted(chosen, key=lambda e: e.start)
