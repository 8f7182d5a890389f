"""An in-domain n-gram language model of clean text, read with KenLM.

``training.ngram`` estimates it (KenLM's ``lmplz``) on the clean side of the training pairs
and writes it beside a model as :data:`NGRAM_FILE`; the seq2seq editor then scores each
candidate replacement by how much it raises the whole unit's probability (the ``ngram fit``
candidate features).  Text is read as :func:`ngram_words` writes it: every token of
:func:`restore.text.tokenize`, punctuation included, lower case, straight apostrophes, with
the unambiguous contractions written out (``hasn't`` → ``has not``, ``they're`` → ``they are``),
so that the model, estimated mostly on formal text, has no say on whether to contract.
Loading needs the ``kenlm`` module (the ``ufal.kenlm`` wheel, a base dependency).
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from restore.candidates.channel import norm
from restore.text import Token, tokenize

NGRAM_FILE = "ngram.bin"
"""The n-gram model a model folder may carry (KenLM binary, written by ``training.ngram``)."""
_LN10 = math.log(10)
# Contractions with one reading ('s and 'd have two, and stay as they are).
_WHOLE = {"can't": "can not", "won't": "will not", "shan't": "shall not", "ain't": "is not"}
_ENDINGS = (("n't", " not"), ("'re", " are"), ("'m", " am"), ("'ve", " have"), ("'ll", " will"))


@lru_cache(maxsize=1 << 16)
def ngram_word(word: str) -> str:
    """What the n-gram model reads for one token: :func:`norm`, and a contraction with one
    reading written out (``"hasn't"`` → ``"has not"``: one entry, two words)."""
    word = norm(word)
    if word in _WHOLE:
        return _WHOLE[word]
    for ending, full in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending):
            return word[: -len(ending)] + full
    return word


def ngram_words(text: str | list[Token]) -> list[str]:
    """The words the n-gram model reads for ``text`` (or its tokens): :func:`ngram_word` of
    each token, one entry a token (so token offsets index it)."""
    tokens = tokenize(text) if isinstance(text, str) else text
    return [ngram_word(t.text) for t in tokens]


class NgramLM:
    """A KenLM model (ARPA or binary) over :func:`ngram_words`."""

    name = "kenlm"

    def __init__(self, path: str | Path):
        try:
            import kenlm
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise ImportError(
                f"{path} is a KenLM n-gram model; reading it needs the kenlm module: pip install ufal.kenlm==26.4.1"
            ) from exc
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"no n-gram model at {self.path}")
        self.model = kenlm.Model(str(self.path))
        self.order = int(self.model.order)

    def logprob(self, words: list[str] | tuple[str, ...]) -> float:
        """Natural-log probability of ``words`` as one sentence (start and end included)."""
        return self.model.score(" ".join(words), bos=True, eos=True) * _LN10

    def reading(self, words: list[str]) -> "NgramReading":
        """``words`` (one :func:`ngram_words` entry a token) read once, to score replacements of
        their runs cheaply (:meth:`NgramReading.fit`)."""
        return NgramReading(self, words)

    def info(self) -> str:
        return f"{self.name}:{self.order}-gram:{self.path.name}:{self.path.stat().st_size}"


class NgramReading:
    """One unit as the n-gram model reads it, left to right, remembering the model's state
    before each word, so that replacing tokens ``[a, z)`` is scored on the words it can change
    (the replacement and the ``order - 1`` words after it) instead of on the whole unit."""

    def __init__(self, lm: NgramLM, words: list[str]) -> None:
        import kenlm

        self._kenlm, self.model, self.context = kenlm, lm.model, lm.order - 1
        self.words: list[str] = []
        self.first: list[int] = []  # per token entry (and one past the last): the index of its first word
        for entry in words:
            self.first.append(len(self.words))
            self.words.extend(entry.split())
        self.first.append(len(self.words))
        state = kenlm.State()
        self.model.BeginSentenceWrite(state)
        self.states, self.scores = [state], []  # the state before each word (and after the last); each word's log10-prob
        for w in self.words:
            after = kenlm.State()
            self.scores.append(self.model.BaseScore(state, w, after))
            self.states.append(after)
            state = after
        self.end = self.model.BaseScore(state, "</s>", kenlm.State())

    def fit(self, a: int, z: int, replacement: list[str]) -> float:
        """Natural-log probability of the unit with tokens ``[a, z)`` read as ``replacement``
        (:func:`ngram_word` entries) minus that of the unit as it is."""
        replacement = [w for entry in replacement for w in entry.split()]
        lo, hi = self.first[a], self.first[z]
        stop = min(len(self.words), hi + self.context)  # later words see none of the change
        model, new_state, new, old = self.model, self._kenlm.State, 0.0, sum(self.scores[lo:stop])
        state = self.states[lo]
        for w in (*replacement, *self.words[hi:stop]):
            after = new_state()
            new += model.BaseScore(state, w, after)
            state = after
        if stop == len(self.words):
            new += model.BaseScore(state, "</s>", new_state())
            old += self.end
        return (new - old) * _LN10
