"""The word language model that judges how well a candidate fits its sentence.

:class:`CmuTrigramLM` reads the CMU US English trigram model that the ``pocketsphinx`` wheel
carries (``model/en-us/en-us.lm.bin``, a binary trie read by ``pocketsphinx.NGramModel``;
lower-case words, no punctuation, American spelling, broadcast-news vocabulary; BSD-style
license, see the wheel).  ``logprob(word, prev1, prev2)`` takes lower-cased words with straight
apostrophes (``prev1`` is the word just before; :data:`BOS` marks a sentence start, :data:`EOS`
its end) and returns a natural-log probability; words the model does not know get
:data:`OOV_LOGPROB`.  Loading takes about 0.2 s; answers are cached.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

OOV_LOGPROB = math.log(1e-7)
BOS, EOS = "<s>", "</s>"


class CmuTrigramLM:
    """Trigram probabilities from pocketsphinx's ``en-us.lm.bin`` (back-off handled inside)."""

    name = "cmu-trigram"

    def __init__(self, path: str | Path | None = None):
        import pocketsphinx

        pocketsphinx.set_loglevel("FATAL")  # the reader logs every section at INFO
        self.path = Path(path or pocketsphinx.get_model_path("en-us/en-us.lm.bin"))
        if not self.path.is_file():
            raise FileNotFoundError(f"no trigram model at {self.path}")
        self._lm = pocketsphinx.NGramModel.readfile(str(self.path))
        self._scale = math.log(1.0001)  # pocketsphinx's LogMath base
        self.logprob = lru_cache(maxsize=1 << 20)(self._logprob)

    def _logprob(self, word: str, prev1: str, prev2: str) -> float:
        # the word first, then its history, nearest first; nothing before a sentence start
        raw = self._lm.prob([word, prev1] if prev1 == BOS else [word, prev1, prev2])
        if raw <= -(1 << 28):  # log(0): the word is not in the vocabulary
            return OOV_LOGPROB
        return max(raw * self._scale, OOV_LOGPROB)

    def info(self) -> str:
        return f"{self.name}:{self.path.name}:{self.path.stat().st_size}"
