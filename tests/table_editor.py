"""Test doubles for the editor contract (see ``restore.restorer.Editor``).

``TableEditor`` replaces phrases from a fixed table, left to right, longest first, like a
tiny inverse spinner; it is deterministic and records every call.  With
``respect_protection=False`` it ignores the protected mask, to test the restorer's veto.
"""

from __future__ import annotations

from restore.edits import Edit, edit_kind
from restore.text import tokenize

SPIN_TABLE = {
    "mentioned": "said",
    "earlier than": "before",
    "information convention": "news conference",
    "international locations": "countries",
    "japanese": "eastern",
    "with out": "without",
    "had been": "were",
    "calls for": "demands",
    "famous": "noted",
}


class TableEditor:
    def __init__(
        self,
        table: dict[str, str] | None = None,
        max_words: int = 12,
        respect_protection: bool = True,
    ) -> None:
        self.table = SPIN_TABLE if table is None else table
        self.max_words = max_words
        self.respect_protection = respect_protection
        self.calls: list[list[str]] = []
        self._phrases = sorted(
            ((k.split(), v) for k, v in self.table.items()), key=lambda kv: -len(kv[0])
        )

    def propose(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        self.calls.append(list(units))
        out: list[list[Edit]] = []
        for i, unit in enumerate(units):
            tokens = tokenize(unit)
            mask = protected[i] if protected is not None and self.respect_protection else [False] * len(tokens)
            assert len(mask) == len(tokens), "protected mask must have one entry per token"
            edits: list[Edit] = []
            k = 0
            while k < len(tokens):
                for words, after in self._phrases:
                    n = len(words)
                    if [t.text for t in tokens[k : k + n]] == words and not any(mask[k : k + n]):
                        start, end = tokens[k].start, tokens[k + n - 1].end
                        before = unit[start:end]
                        edits.append(Edit(start, end, before, after, edit_kind(before, after), 0.9))
                        k += n
                        break
                else:
                    k += 1
            out.append(edits)
        return out


class EveryWordEditor:
    """Proposes to replace every word token (upper-casing it), protected or not."""

    def __init__(self, max_words: int = 10) -> None:
        self.max_words = max_words

    def propose(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        return [
            [Edit(t.start, t.end, t.text, t.text.upper() + "X", "R:WORD", 0.5) for t in tokenize(u) if t.is_word]
            for u in units
        ]
