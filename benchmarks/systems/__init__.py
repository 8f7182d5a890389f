"""Restoration systems compared by the benchmark, behind one small interface.

A system is any object with ``name: str``, ``restore(texts: list[str]) -> list[str]`` and
``info() -> dict`` (what its scores depend on: version, model hash, settings; it goes into the
report's signature).  :data:`REGISTRY` maps a name to a factory that builds the system (loading
its model); a factory raises :class:`SystemUnavailable` when the system cannot run here (for
example no trained model yet), and the harness skips it with that message.  Adding a system is
one module and one line in :data:`REGISTRY`.
"""

from __future__ import annotations

from typing import Callable, Protocol


class System(Protocol):
    name: str

    def restore(self, texts: list[str]) -> list[str]: ...

    def info(self) -> dict: ...


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
