"""The compiled spinner tables under ``restore/spin/data`` and their merge into a lexicon.

A table file is gzip TSV, one entry a line: ``source<TAB>weight<TAB>choice|choice|...``.
``source`` is the lower-case surface form (space-separated words, straight apostrophes);
choices are surface forms already inflected to match it.  ``training/build_lexicon.py``
writes these files.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from restore.spin.profiles import PROFILES, Profile

Entry = tuple[float, tuple[str, ...]]


def data_dir() -> Path:
    """The folder holding the compiled tables."""
    return Path(str(resources.files("restore.spin") / "data"))


def parse_table(lines) -> dict[str, Entry]:
    """Parse table lines (``source<TAB>weight<TAB>choices``) into ``{source: (weight, choices)}``."""
    table: dict[str, Entry] = {}
    for line in lines:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        source, weight, choices = line.split("\t")
        table[source] = (float(weight), tuple(choices.split("|")))
    return table


@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, Entry]:
    """Load the compiled table ``name`` (``data/<name>.tsv.gz``)."""
    path = data_dir() / f"{name}.tsv.gz"
    if not path.exists():
        raise FileNotFoundError(f"spinner table {path} is missing; run `python -m training.build_lexicon`")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return parse_table(f)


@dataclass(frozen=True)
class Lexicon:
    """A profile's tables merged: ``entries[source] = (weight, choices)``.

    ``max_len[first_word]`` is the longest entry (in words) starting with ``first_word``,
    so the spinner only tries n-grams that can match.
    """

    entries: dict[str, Entry]
    max_len: dict[str, int]


def merge(tables: list[tuple[dict[str, Entry], float, int]]) -> Lexicon:
    """Merge ``(table, weight, max_choices)`` triples; the first table with an entry wins.

    A word that an earlier table has an entry for also shadows the later tables' phrases that
    start with it, so a curated ``called -> known as`` is not pre-empted by a thesaurus's
    ``called for -> requested`` (the longer match would otherwise always be tried first).
    """
    entries: dict[str, Entry] = {}
    for table, weight, max_choices in tables:
        shadowing = {source for source in entries if " " not in source}
        for source, (w, choices) in table.items():
            if source in entries or source.split(" ", 1)[0] in shadowing:
                continue
            entries[source] = (w * weight, choices[:max_choices] if max_choices else choices)
    max_len: dict[str, int] = {}
    for source in entries:
        words = source.split(" ")
        if len(words) > max_len.get(words[0], 0):
            max_len[words[0]] = len(words)
    return Lexicon(entries, max_len)


@lru_cache(maxsize=None)
def profile_lexicon(name: str) -> Lexicon:
    """The merged lexicon of profile ``name`` (loaded once per process)."""
    profile: Profile = PROFILES[name]
    return merge([(load_table(t.table), t.weight, t.max_choices) for t in profile.tables])
