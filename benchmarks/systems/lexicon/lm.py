"""Word language models for the lexicon baseline, both from wheels already installed.

- :class:`restore.candidates.trigram.CmuTrigramLM`: the CMU US English trigram model inside the
  ``pocketsphinx`` wheel (the one the seq2seq editor uses too).
- :class:`BigramCountLM`: ``symspellpy``'s bundled bigram counts (242 k bigrams) interpolated with
  ``wordfreq`` unigram frequencies.

Both take lower-cased words with straight apostrophes and return natural-log probabilities
``logprob(word, prev1, prev2)`` (``prev1`` is the word just before); ``<s>`` marks a sentence
start.  Unknown words get the fixed floor :data:`OOV_LOGPROB`.
"""

from __future__ import annotations

import math
from functools import lru_cache

from restore.candidates.trigram import OOV_LOGPROB, CmuTrigramLM

__all__ = ["BigramCountLM", "CmuTrigramLM", "LANGUAGE_MODELS"]


class BigramCountLM:
    """P(w | v) = λ·c(v w)/c(v) + (1 − λ)·f(w): symspellpy bigram counts, wordfreq unigrams."""

    name = "symspell-bigram"

    def __init__(self, interpolation: float = 0.7):
        import importlib.resources as resources

        self.interpolation = interpolation
        base = resources.files("symspellpy")
        self._unigram: dict[str, int] = {}
        with open(base / "frequency_dictionary_en_82_765.txt", encoding="utf-8") as f:
            for line in f:
                word, count = line.split()
                self._unigram[word] = int(count)
        self._bigram: dict[tuple[str, str], int] = {}
        with open(base / "frequency_bigramdictionary_en_243_342.txt", encoding="utf-8") as f:
            for line in f:
                first, second, count = line.split()
                self._bigram[(first, second)] = int(count)
        self.logprob = lru_cache(maxsize=1 << 20)(self._logprob)

    @staticmethod
    @lru_cache(maxsize=1 << 18)
    def _frequency(word: str) -> float:
        from wordfreq import word_frequency

        return word_frequency(word, "en")

    def _logprob(self, word: str, prev1: str, prev2: str) -> float:
        unigram = self._frequency(word)
        count = self._unigram.get(prev1, 0)
        bigram = self._bigram.get((prev1, word), 0) / count if count else 0.0
        p = self.interpolation * bigram + (1 - self.interpolation) * unigram if count else unigram
        return math.log(p) if p > 0 else OOV_LOGPROB

    def info(self) -> str:
        return f"{self.name}:λ={self.interpolation}"


LANGUAGE_MODELS = {"cmu-trigram": CmuTrigramLM, "symspell-bigram": BigramCountLM}
