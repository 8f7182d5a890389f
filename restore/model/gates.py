"""Gates: which of a unit's proposed edits are made.

The editor proposes every edit it considered, each with a confidence; :func:`gated` (one
unit) and :func:`gated_document` (the units of one document) choose the disjoint edits to make:
the most confident of overlapping ones above a floor, and only in text that looks spun.
"""

from __future__ import annotations

from restore.edits import Edit


def gated(edits: list[Edit], min_confidence: float, min_evidence: int = 0,
          evidence_confidence: float = 0.5, sure_confidence: float = 1.01) -> list[Edit]:
    """``most_confident(edits, min_confidence)`` in a unit that looks spun: one where at least
    ``min_evidence`` disjoint edits reach ``evidence_confidence``.  In a unit that does not,
    only edits at ``sure_confidence`` or above (above 1: none).  Genuine text rarely has
    several likely spins in one unit; spun text, which comes densely spun, usually does."""
    if min_evidence and len(most_confident(edits, evidence_confidence)) < min_evidence:
        return most_confident(edits, max(min_confidence, sure_confidence))
    return most_confident(edits, min_confidence)


def gated_document(units_edits: list[list[Edit]], min_confidence: float, min_evidence: int = 0,
                   evidence_confidence: float = 0.5, sure_confidence: float = 1.01,
                   document_evidence: float = 0.0) -> list[list[Edit]]:
    """:func:`gated` for each unit of one document, except that in a document of two units or
    more whose units average at least ``document_evidence`` disjoint edits at
    ``evidence_confidence``, every unit counts as spun (a spinner spins a whole document, so
    a sparsely spun sentence of it need not make its own case).  ``document_evidence=0``:
    each unit on its own."""
    if min_evidence and document_evidence and len(units_edits) > 1:
        evidence = sum(len(most_confident(edits, evidence_confidence)) for edits in units_edits)
        if evidence >= document_evidence * len(units_edits):
            return [most_confident(edits, min_confidence) for edits in units_edits]
    return [gated(edits, min_confidence, min_evidence, evidence_confidence, sure_confidence) for edits in units_edits]


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
