"""The lexicon baseline: a noisy-channel restorer built from the spinner's own tables.

Candidates come from inverting the tables of the training profiles (:mod:`restore.candidates.channel`); a word
language model with a keep bonus picks among them by Viterbi search over each unit
(:mod:`restore.candidates.viterbi`).  :class:`LexiconEditor` follows the editor contract of
``restore.Restorer`` (``max_words`` and ``propose(units, protected)``), so the restorer does
the segmentation, protection and reassembly exactly as for the seq2seq model.  It never sees a
reference.
"""

from __future__ import annotations

from restore.edits import Edit
from restore.text import protected_mask, tokenize

from restore.candidates.channel import Channel
from restore.candidates.viterbi import KEEP_BONUS, Decoder
from benchmarks.systems.lexicon.lm import LANGUAGE_MODELS

# Picked with ``python -m benchmarks.systems.lexicon.tune`` on development text (see there):
# the CMU trigram model beat symspell bigrams + wordfreq by ~0.25 spin removed at equal damage;
# adding the tortured table costs little on news and turns the tortured suite positive; wordnet
# adds nothing; a keep bonus of 2.5 keeps false edits on clean text under 1%.
DEFAULT_PROFILES = ("news", "tortured")
DEFAULT_LM = "cmu-trigram"
DEFAULT_KEEP_BONUS = KEEP_BONUS


class LexiconEditor:
    """Propose edits undoing spinner entries where the language model prefers the clean phrase."""

    max_words = 200

    def __init__(self, channel: Channel, lm, keep_bonus: float = DEFAULT_KEEP_BONUS, beam: int = 8):
        self.decoder = Decoder(channel, lm, keep_bonus=keep_bonus, beam=beam)

    def propose(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        out: list[list[Edit]] = []
        for k, unit in enumerate(units):
            tokens = tokenize(unit)
            mask = protected[k] if protected is not None else protected_mask(unit, tokens)
            out.append(self.decoder.propose(unit, tokens, mask))
        return out

    def proposals(self, units: list[str], protected: list[list[bool]] | None = None) -> list[list[Edit]]:
        """Every candidate of the channel for every run of free words that it may have spun."""
        out: list[list[Edit]] = []
        for k, unit in enumerate(units):
            tokens = tokenize(unit)
            mask = protected[k] if protected is not None else protected_mask(unit, tokens)
            free = [t.is_word and not p for t, p in zip(tokens, mask)]
            out.append([
                Edit(tokens[a].start, tokens[z - 1].end, unit[tokens[a].start : tokens[z - 1].end], c.source)
                for a, z, cands in self.decoder.channel.spans(unit, tokens, free) for c in cands
            ])
        return out


class LexiconSystem:
    """:class:`LexiconEditor` run through ``restore.Restorer``."""

    name = "lexicon"

    def __init__(self, editor: LexiconEditor, profiles: tuple[str, ...], lm_info: str):
        from restore import Restorer

        self.restorer = Restorer(editor=editor)
        self.editor = editor
        self.profiles = profiles
        self.lm_info = lm_info

    @classmethod
    def load(
        cls,
        profiles: tuple[str, ...] = DEFAULT_PROFILES,
        lm: str = DEFAULT_LM,
        keep_bonus: float = DEFAULT_KEEP_BONUS,
    ) -> "LexiconSystem":
        model = LANGUAGE_MODELS[lm]()
        editor = LexiconEditor(Channel.from_profiles(list(profiles)), model, keep_bonus=keep_bonus)
        return cls(editor, profiles, model.info())

    def restore(self, texts: list[str]) -> list[str]:
        return self.restorer.fix(texts, progress=False)

    def considered(self, texts: list[str]) -> list[list[Edit]]:
        """Every channel candidate for every run of words the tables may have spun."""
        from benchmarks.systems import restorer_considered

        return restorer_considered(self.restorer, texts)

    def info(self) -> dict:
        d = self.editor.decoder
        return {
            "version": "1",
            "tables": "+".join(self.profiles),
            "candidates": len(d.channel),
            "lm": self.lm_info,
            "keep_bonus": d.keep_bonus,
            "beam": d.beam,
        }
