"""Gold spans: what a spinner changed in a text, and whether an edit gives it back.

A gold span is ``(start, end, clean)``: the spun words at ``[start, end)`` of a text came from
``clean``.  Words a span shares with its clean side at its edges are left out
(:func:`gold_span`), so the spinner's ``in the`` → ``within the`` is the change ``in`` →
``within``.  :func:`gives_back` is the test that the report's reachability and
``benchmarks.diagnose`` apply to every replacement a system made or considered.
"""

from __future__ import annotations

from typing import Iterable

from restore.edits import Edit, shared_edges
from restore.text import tokenize


def gold_span(spun: str, start: int, end: int, clean: str) -> tuple[int, int, str]:
    """A spun span ``spun[start:end]`` → ``clean`` without the words both sides share at its
    edges (:func:`restore.edits.shared_edges`, case aside)."""
    outer, inner = tokenize(spun[start:end]), tokenize(clean)
    head, tail = shared_edges([t.text.lower() for t in outer], [t.text.lower() for t in inner])
    if not head and not tail:
        return start, end, clean
    o, i = outer[head : len(outer) - tail], inner[head : len(inner) - tail]
    return start + o[0].start, start + o[-1].end, clean[i[0].start : i[-1].end]


def gives_back(edit: Edit, text: str, gold: Iterable[tuple[int, int, str]]) -> bool:
    """True if ``edit`` writes exactly what the gold spans inside it give back (``gold``:
    (start, end, clean words) in ``text``), with the first letter's case aside.  An edit that
    runs over several adjacent spun spans restores them all; one that cuts a span does not."""
    gold = list(gold)
    if any(a < edit.end and edit.start < z and not (edit.start <= a and z <= edit.end) for a, z, _ in gold):
        return False
    expected, at = [], edit.start
    inside = sorted(g for g in gold if edit.start <= g[0] and g[1] <= edit.end)
    if not inside:
        return False
    for a, z, clean in inside:
        expected += [text[at:a], clean]
        at = z
    expected.append(text[at : edit.end])
    return edit.after.lower() == "".join(expected).lower()


def restores(edit: Edit, span: tuple[int, int, str], text: str, gold: list[tuple[int, int, str]]) -> bool:
    """True if ``edit`` covers gold ``span`` and gives back every gold span inside it."""
    return edit.start <= span[0] and span[1] <= edit.end and gives_back(edit, text, gold)


def reachable(considered: list[Edit], text: str, gold: list[tuple[int, int, str]]) -> list[bool]:
    """For each gold span of ``text``, whether some replacement in ``considered`` restores it."""
    return [any(restores(e, span, text, gold) for e in considered if e.start < span[1] and span[0] < e.end)
            for span in gold]
