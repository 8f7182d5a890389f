"""Restoration systems compared by the benchmark, behind one small interface.

A system is any object with ``name: str``, ``restore(texts: list[str]) -> list[str]`` and
``info() -> dict`` (what its scores depend on: version, model hash, settings; it goes into the
report's signature).  :data:`REGISTRY` maps a name to a factory that builds the system (loading
its model); a factory raises :class:`SystemUnavailable` when the system cannot run here (for
example no trained model yet), and the harness skips it with that message.  Adding a system is
one module and one line in :data:`REGISTRY`.

A system may also have ``considered(texts) -> list[list[Edit]]``: every replacement it weighed
for each text (made or not, from any source), in the text's character offsets; the report's
reachability reads it.  :func:`restorer_considered` gives it for any
``restore.Restorer`` whose editor has ``proposals(units, protected)``.
"""

from __future__ import annotations

from typing import Callable, Protocol

from restore.edits import Edit, shift


class System(Protocol):
    name: str

    def restore(self, texts: list[str]) -> list[str]: ...

    def info(self) -> dict: ...


def restorer_considered(restorer, texts: list[str]) -> list[list[Edit]]:
    """Every edit the restorer's editor proposes for each text (``editor.proposals``, before any
    choice or gate), in the text's offsets."""
    out: list[list[Edit]] = []
    for k, text in enumerate(texts):
        jobs = restorer._jobs(k, text)
        proposals = restorer.editor.proposals([j.text for j in jobs], [j.protected for j in jobs]) if jobs else []
        out.append([e for j, edits in zip(jobs, proposals) for e in shift(edits, j.start)])
    return out


class SystemUnavailable(RuntimeError):
    """The system cannot run in this installation; the message says why (shown in the report)."""


def _identity() -> System:
    from benchmarks.systems.identity import Identity

    return Identity()


def _lexicon() -> System:
    from benchmarks.systems.lexicon import LexiconSystem

    return LexiconSystem.load()


def _seq2seq() -> System:
    from benchmarks.systems.seq2seq import Seq2SeqSystem

    return Seq2SeqSystem.load()


REGISTRY: dict[str, Callable[[], System]] = {
    "identity": _identity,
    "lexicon": _lexicon,
    "seq2seq": _seq2seq,
}

ABLATION_SOURCES: dict[str, tuple[str, ...]] = {
    "seq2seq-thesauri": ("news", "wordnet", "tortured", "broad"),
    "seq2seq-ours": ("news", "wordnet", "tortured"),
}
"""The seq2seq model with some candidate sources taken out (same scorer and settings): only the
training profiles' tables and the broad thesauri (no word-vector neighbours), then those alone.
Not run by default: ``python -m benchmarks.run --systems seq2seq seq2seq-ours seq2seq-thesauri``."""
ABLATION_ORIGINS: dict[str, str] = {"seq2seq-tables": "tables", "seq2seq-decoder": "decoder"}
"""The seq2seq model with the candidates of one origin alone (same scorer and settings): the
tables' (the decoder's n-best off) or the decoder's n-best (no table candidate).  Beside
``seq2seq`` (both), the generator's ablation; the decoder's needs a model calibrated with
``--nbest``.  Not run by default: ``--systems seq2seq seq2seq-tables seq2seq-decoder``."""


ABLATION_ROUNDS: dict[str, int] = {"seq2seq-1round": 1}
"""The seq2seq model restoring in one round instead of the default two (``--rounds 1``): the
speed that the second round costs, and the spin and stability it brings, in one run:
``--systems seq2seq seq2seq-1round``."""


ABLATION_LATER_ROUNDS: dict[str, str] = {"seq2seq-near": "near"}
"""The seq2seq model whose later rounds read again near the last round's edits in every changed
unit (``later_rounds="near"``), not only in units it edited sparsely (the default ``sparse``):
what the cheaper second look gives up, in one run: ``--systems seq2seq seq2seq-near``."""


REFERENCE_PATHS: dict[str, str] = {"seq2seq-torch": "torch"}
"""The seq2seq model with its accelerated parts swapped back for the reference: the network's own
encoder instead of the int8 ONNX one (``restore.model.onnx_encoder``), later rounds that read the
whole of a changed unit again (``later_rounds="whole"``, not only near the last edits) and every
candidate scored in the one process (no feature workers).  Beside ``seq2seq``, the check that the
fast path keeps the scores: ``python -m benchmarks.run --systems seq2seq seq2seq-torch``."""


def _ablation(name: str) -> Callable[[], System]:
    def load() -> System:
        from benchmarks.systems.seq2seq import Seq2SeqSystem

        if name in REFERENCE_PATHS:
            return Seq2SeqSystem.load(encoder=REFERENCE_PATHS[name], name=name, later_rounds="whole", workers=0)
        if name in ABLATION_ORIGINS:
            return Seq2SeqSystem.load(origin=ABLATION_ORIGINS[name], name=name)
        if name in ABLATION_ROUNDS:
            return Seq2SeqSystem.load(rounds=ABLATION_ROUNDS[name], name=name)
        if name in ABLATION_LATER_ROUNDS:
            return Seq2SeqSystem.load(later_rounds=ABLATION_LATER_ROUNDS[name], name=name)
        return Seq2SeqSystem.load(sources=ABLATION_SOURCES[name], name=name)

    return load


ABLATIONS: dict[str, Callable[[], System]] = {
    name: _ablation(name) for name in (*ABLATION_SOURCES, *ABLATION_ORIGINS, *ABLATION_ROUNDS, *ABLATION_LATER_ROUNDS)
}
REFERENCES: dict[str, Callable[[], System]] = {name: _ablation(name) for name in REFERENCE_PATHS}
SYSTEMS: dict[str, Callable[[], System]] = {**REGISTRY, **ABLATIONS, **REFERENCES}
"""Every system the harness can run: :data:`REGISTRY` (the default), :data:`ABLATIONS` and :data:`REFERENCES`."""
