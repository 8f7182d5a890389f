"""Edits between two texts: the record, word-level alignment, and replay.

An :class:`Edit` replaces ``source[start:end]`` (``before``) with ``after``.  Edits of one
text never overlap and are kept sorted by ``start``; :func:`apply_edits` replays them.
:func:`align` turns a (source, target) pair into such edits at word level, so that
``apply_edits(source, align(source, target)) == target`` for every pair.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from restore.text import tokenize


SOURCES = ("table", "generated", "mixed")
"""Where an :class:`Edit`'s replacement may come from (``mixed``: a restorer's merge of edits
of both kinds, :mod:`restore.restorer`)."""


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``before`` (the source text at ``[start, end)``) with ``after``.

    ``kind`` is ERRANT-style: ``R:WORD`` (one word for one), ``R:PHRASE`` (more words on a
    side), ``D`` (deletion), ``I`` (insertion).  ``confidence`` is in [0, 1].  ``source`` says
    where the replacement came from (:data:`SOURCES`): ``generated`` when the model's decoder
    wrote it, ``table`` (the default) when a table listed it: the inverted spinner tables of
    the model's candidates, or any other fixed list.
    """

    start: int
    end: int
    before: str
    after: str
    kind: str = "R:WORD"
    confidence: float = 1.0
    source: str = "table"

    def to_dict(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "before": self.before,
            "after": self.after,
            "kind": self.kind,
            "confidence": round(self.confidence, 4),
            "source": self.source,
        }


def edit_kind(before: str, after: str) -> str:
    """ERRANT-style kind of replacing ``before`` with ``after``."""
    if not after.strip():
        return "D"
    if not before.strip():
        return "I"
    return "R:WORD" if _one_word(before) and _one_word(after) else "R:PHRASE"


def _one_word(text: str) -> bool:
    """True if ``text`` is one token (letters and digits alone are, and words apart are not,
    without tokenizing: no token holds whitespace)."""
    if text.isalnum():
        return True
    return len(text.split()) < 2 and len(tokenize(text)) == 1


def shared_edges(before: Sequence[str], after: Sequence[str]) -> tuple[int, int]:
    """How many words a replacement of ``before`` by ``after`` leaves as they are at its start
    and at its end, keeping at least one word of each side between them: ``within the`` →
    ``in the`` shares one word at its end, ``(0, 1)``; words are compared as given."""
    head = 0
    while head < min(len(before), len(after)) - 1 and before[head] == after[head]:
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head - 1 and before[-1 - tail] == after[-1 - tail]:
        tail += 1
    return head, tail


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Replay sorted, non-overlapping ``edits`` on ``text``.

    Raises ``ValueError`` if an edit overlaps the previous one or its ``before`` does not
    match the text at its span.
    """
    out: list[str] = []
    pos = 0
    for e in edits:
        if e.start < pos or e.end < e.start or e.end > len(text):
            raise ValueError(f"edit {e} overlaps a previous edit or lies outside the text")
        if text[e.start : e.end] != e.before:
            raise ValueError(f"edit {e} does not match the text {text[e.start:e.end]!r}")
        out.append(text[pos : e.start])
        out.append(e.after)
        pos = e.end
    out.append(text[pos:])
    return "".join(out)


def shift(edits: Iterable[Edit], offset: int) -> list[Edit]:
    """The same edits with their spans moved by ``offset`` characters."""
    return [replace(e, start=e.start + offset, end=e.end + offset) for e in edits]


def align(source: str, target: str) -> list[Edit]:
    """Word-level edits turning ``source`` into ``target``.

    Tokens are compared exactly (case and punctuation count).  Each differing block becomes
    one edit spanning its first to last source token, with the target text of its block
    (inner whitespace carried over from the target).  A pure insertion is attached to the
    neighbouring source token, so every edit covers at least one source token whenever the
    source has any; a deletion takes the whitespace before it along.  If whitespace between
    equal tokens differs as well, a character-level alignment is returned instead, so the
    replay is always exact.
    """
    src, tgt = tokenize(source), tokenize(target)
    matcher = difflib.SequenceMatcher(None, [t.text for t in src], [t.text for t in tgt], autojunk=False)
    blocks: list[list[int]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "insert" and src:
            if i1 > 0:
                i1, j1 = i1 - 1, j1 - 1
            else:
                i2, j2 = i2 + 1, j2 + 1
        if blocks and i1 <= blocks[-1][1]:
            blocks[-1][1], blocks[-1][3] = max(blocks[-1][1], i2), max(blocks[-1][3], j2)
        else:
            blocks.append([i1, i2, j1, j2])
    edits: list[Edit] = []
    for i1, i2, j1, j2 in blocks:
        if i1 == i2:  # insertion into an empty source
            start = end = len(source)
        elif j1 == j2:  # deletion: take the whitespace before (or after, at the start) along
            start = src[i1 - 1].end if i1 > 0 else src[i1].start
            end = src[i2 - 1].end if i1 > 0 or i2 == len(src) else src[i2].start
        else:
            start, end = src[i1].start, src[i2 - 1].end
        after = target[tgt[j1].start : tgt[j2 - 1].end] if j1 < j2 else ""
        edits.append(Edit(start, end, source[start:end], after, edit_kind(source[start:end], after)))
    if apply_edits(source, edits) != target:
        edits = _character_edits(source, target)
    return edits


def _character_edits(source: str, target: str) -> list[Edit]:
    """Character-level edits: one per differing region."""
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    return [
        Edit(i1, i2, source[i1:i2], target[j1:j2], edit_kind(source[i1:i2], target[j1:j2]))
        for op, i1, i2, j1, j2 in matcher.get_opcodes()
        if op != "equal"
    ]
