"""The spinner: rewrite text the way an article spinner does, recording every change.

Left to right over the word tokens, the longest table entry that starts at a word is tried
first; an entry is spun with probability ``rate * weight`` and turned into one of its
choices.  Protected tokens (quotations, capitalised words, numbers, URLs, punctuation) are
never part of an entry, and an entry only spans single plain spaces, so whitespace, punctuation
and paragraph structure come back byte-identical.  A preceding ``a``/``an`` is corrected to agree
with the new word and is then part of the change.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from restore.spin.articles import agree
from restore.spin.profiles import PROFILES
from restore.spin.tables import Entry, profile_lexicon
from restore.text import Token, protected_mask, tokenize

_ARTICLES = frozenset({"a", "an"})


@dataclass(frozen=True)
class SpinSpan:
    """One change: ``clean[clean_start:clean_end]`` became ``spun[spun_start:spun_end]``."""

    clean_start: int
    clean_end: int
    spun_start: int
    spun_end: int
    clean: str
    spun: str


@dataclass(frozen=True)
class SpinResult:
    """The spun text, its changes in order, and what produced it."""

    text: str
    spans: list[SpinSpan]
    profile: str
    seed: int


class _Chooser:
    """Decides whether an entry is spun and into which choice.

    With ``consistent`` the decision depends only on (seed, entry), so it is the same for
    every occurrence in a document and for every piece of a document spun separately with
    the same seed.  Otherwise each occurrence draws afresh from ``random.Random(seed)``.
    """

    def __init__(self, seed: int, rate: float, consistent: bool):
        self.seed = seed
        self.rate = rate
        self.consistent = consistent
        self.rng = random.Random(seed)
        self.memo: dict[str, str | None] = {}

    def __call__(self, key: str, entry: Entry) -> str | None:
        weight, choices = entry
        p = self.rate * weight
        if not self.consistent:
            return self.rng.choice(choices) if self.rng.random() < p else None
        if key in self.memo:
            return self.memo[key]
        digest = hashlib.blake2b(f"{self.seed}\x1f{key}".encode(), digest_size=8).digest()
        u = int.from_bytes(digest[:4], "little") / 2**32
        choice = choices[int.from_bytes(digest[4:], "little") % len(choices)] if u < p else None
        self.memo[key] = choice
        return choice


def _joinable(text: str, left: Token, right: Token) -> bool:
    """True when exactly one plain space separates two tokens, so a phrase may span them
    (any other whitespace — line breaks, tabs, double or non-breaking spaces — is kept)."""
    return right.start == left.end + 1 and text[left.end] == " "


def _match(text: str, tokens: list[Token], keys: list[str | None], profile: str, chooser: _Chooser):
    """Yield ``(first, stop, replacement)`` token ranges to replace, left to right."""
    lexicon = profile_lexicon(profile)
    entries, max_len = lexicon.entries, lexicon.max_len
    n = len(tokens)
    i = 0
    while i < n:
        key = keys[i]
        longest = max_len.get(key) if key is not None else None
        if longest is None:
            i += 1
            continue
        # The longest run of joinable, unprotected tokens from i, up to the longest entry.
        stop = i + 1
        while stop < min(n, i + longest) and keys[stop] is not None and _joinable(text, tokens[stop - 1], tokens[stop]):
            stop += 1
        for end in range(stop, i, -1):
            phrase = " ".join(keys[i:end])  # type: ignore[arg-type]
            entry = entries.get(phrase)
            if entry is None:
                continue
            choice = chooser(phrase, entry)
            if choice is not None:
                yield i, end, choice
                i = end
                break
        else:
            i += 1


def _apostrophes(choice: str, clean: str, curly_doc: bool) -> str:
    """Write the choice's apostrophes in the style of the text it replaces."""
    if "'" not in choice:
        return choice
    curly = "’" in clean or ("'" not in clean and curly_doc)
    return choice.replace("'", "’") if curly else choice


def spin(
    text: str,
    seed: int = 0,
    profile: str = "news",
    rate: float | None = None,
    consistent: bool = True,
    return_spans: bool = False,
) -> str | SpinResult:
    """Spin ``text`` like an article spinner; deterministic for a given ``seed``.

    ``profile`` names an entry of :data:`PROFILES`; ``rate`` (default: the profile's) is the
    probability that a table entry is spun where it occurs.  With ``consistent`` each entry
    gets one decision and one choice per document (per seed).  Returns the spun text, or a
    :class:`SpinResult` whose spans, applied to ``text``, give the spun text exactly.
    """
    if not isinstance(text, str):
        raise TypeError(f"spin() expects a str, got {type(text).__name__}")
    if profile not in PROFILES:
        raise ValueError(f"unknown spinner profile {profile!r}; choose one of {sorted(PROFILES)}")
    rate = PROFILES[profile].rate if rate is None else float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be in [0, 1], got {rate}")

    tokens = tokenize(text)
    mask = protected_mask(text, tokens)
    keys = [None if protected else tok.text.replace("’", "'") for tok, protected in zip(tokens, mask)]
    chooser = _Chooser(seed, rate, consistent)
    curly_doc = text.count("’") > text.count("'")

    out: list[str] = []
    spans: list[SpinSpan] = []
    pos = 0  # next clean character not yet copied
    shift = 0  # len(spun so far) - len(clean so far)
    for first, stop, choice in _match(text, tokens, keys, profile, chooser):
        start, end = tokens[first].start, tokens[stop - 1].end
        spun = _apostrophes(choice, text[start:end], curly_doc)
        article = tokens[first - 1] if first > 0 else None
        if article is not None and article.start >= pos and article.text.lower() in _ARTICLES:
            if _joinable(text, article, tokens[first]):
                fixed = agree(article.text, spun)
                if fixed != article.text:
                    spun = fixed + text[article.end : start] + spun
                    start = article.start
        out.append(text[pos:start])
        out.append(spun)
        spans.append(SpinSpan(start, end, start + shift, start + shift + len(spun), text[start:end], spun))
        shift += len(spun) - (end - start)
        pos = end
    out.append(text[pos:])
    spun_text = "".join(out)
    if return_spans:
        return SpinResult(spun_text, spans, profile, seed)
    return spun_text
