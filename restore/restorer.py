"""The restorer: segment a text, ask an editor for edits, veto the unsafe ones, apply the rest.

``fix(text)`` is ``explain(text).text``, and replaying ``explain(text).edits`` on the input
with :func:`restore.edits.apply_edits` gives exactly that output, so everything outside an
edit comes back byte-identical.

An *editor* is any object with ``max_words`` (the longest unit it takes, in word tokens)
and ``propose(units, protected)`` (see :class:`Editor`); the shipped one is the seq2seq
model in :mod:`restore.model.editor`, loaded by :meth:`Restorer.from_pretrained`.
"""

from __future__ import annotations

import bisect
import logging
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence, overload

from restore.edits import Edit, apply_edits, shift
from restore.segment import segment
from restore.text import protected_mask

__all__ = [
    "DEFAULT_MODEL_DIR",
    "Editor",
    "ExplainedText",
    "ModelNotFoundError",
    "Restorer",
    "explain",
    "fix",
]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"
PROGRESS_MIN_UNITS = 64  # below this many units no progress bar is shown
_CHUNK_UNITS = 128  # units per call to the editor (the editor batches inside a call)
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x85\u2028\u2029")

_log = logging.getLogger(__name__)


class ModelNotFoundError(FileNotFoundError):
    """No model where one was asked for (or none ships with this installation yet)."""


class Editor(Protocol):
    """What the restorer needs from a model.

    ``propose`` returns, for each unit, sorted non-overlapping edits in character offsets
    of that unit, with ``kind`` and ``confidence`` set.  ``protected[i][k]`` is True where
    token ``k`` of ``restore.text.tokenize(units[i])`` must not be touched.

    An editor may also weigh a whole text at once: with ``proposals(units, protected)`` (every
    edit each unit proposes, before any choice) and ``choose_document(units_edits)`` (the
    edits to make in each unit of one text), the restorer asks for proposals and lets it
    choose per text (see :meth:`restore.model.editor.Seq2SeqEditor.choose_document`).
    """

    max_words: int

    def propose(
        self, units: list[str], protected: list[list[bool]] | None = None
    ) -> list[list[Edit]]: ...


@dataclass(frozen=True)
class ExplainedText:
    """A restored text and the edits that turn the input into it."""

    text: str
    edits: list[Edit] = field(default_factory=list)

    def to_dict(self) -> dict:
        """A JSON-ready dict: ``{"text": ..., "edits": [edit.to_dict(), ...]}``."""
        return {"text": self.text, "edits": [e.to_dict() for e in self.edits]}


@dataclass(frozen=True, slots=True)
class _Job:
    """One unit to send to the editor: which text, where, its tokens and their protection.

    ``spans[k]`` is the (start, end) of token ``k`` of ``tokenize(text)`` in unit offsets.
    """

    text_index: int
    start: int
    text: str
    spans: list[tuple[int, int]]
    protected: list[bool]


class Restorer:
    """Restores spun text with an :class:`Editor`.  Load once, reuse; deterministic."""

    def __init__(self, editor: Editor) -> None:
        if not callable(getattr(editor, "propose", None)) or not isinstance(
            getattr(editor, "max_words", None), int
        ):
            raise TypeError(
                f"expected an editor with max_words: int and propose(units, protected), "
                f"got {type(editor).__name__}"
            )
        self.editor = editor

    @classmethod
    def from_pretrained(
        cls, path_or_hub_id: str | Path | None = None, device: str = "cpu", batch_size: int = 32,
        dtype: str = "auto",
    ) -> "Restorer":
        """Load the seq2seq editor from a model folder or a Hugging Face Hub id.

        With no argument, the model shipped inside the package (``restore/models/default``);
        raises :class:`ModelNotFoundError` if there is none, or if a local path is given
        that does not exist.  ``dtype``: ``auto`` (bfloat16 where the hardware computes it
        natively, else float32), ``float32`` or ``bfloat16``; see
        :func:`restore.model.editor.model_dtype`.
        """
        if path_or_hub_id is None:
            if not (DEFAULT_MODEL_DIR / "config.json").is_file():
                raise ModelNotFoundError(
                    f"no trained model ships with restore yet (looked in {DEFAULT_MODEL_DIR}); "
                    "train one (python -m training.train --preset cpu --output_dir runs/cpu, then "
                    "python -m training.export runs/cpu) or point at a model folder: "
                    "Restorer.from_pretrained('path/to/model') or restore fix --model PATH"
                )
            path_or_hub_id = DEFAULT_MODEL_DIR
        location = str(path_or_hub_id)
        if _looks_local(location) and not Path(location).expanduser().exists():
            raise ModelNotFoundError(f"no model folder at {location}")
        from restore.model.editor import Seq2SeqEditor

        if _looks_local(location):
            location = str(Path(location).expanduser())
        return cls(Seq2SeqEditor.from_pretrained(location, device=device, batch_size=batch_size, dtype=dtype))

    @overload
    def fix(self, text: str, *, progress: bool | None = None) -> str: ...
    @overload
    def fix(self, text: list[str], *, progress: bool | None = None) -> list[str]: ...

    def fix(self, text: str | list[str], *, progress: bool | None = None) -> str | list[str]:
        """The restored text (or texts: a list is batched across all its texts' units)."""
        explained = self.explain(text, progress=progress)
        if isinstance(explained, ExplainedText):
            return explained.text
        return [e.text for e in explained]

    @overload
    def explain(self, text: str, *, progress: bool | None = None) -> ExplainedText: ...
    @overload
    def explain(self, text: list[str], *, progress: bool | None = None) -> list[ExplainedText]: ...

    def explain(
        self, text: str | list[str], *, progress: bool | None = None
    ) -> ExplainedText | list[ExplainedText]:
        """The restored text with its edits (for a list, one :class:`ExplainedText` each).

        ``progress``: ``None`` shows a bar on stderr for long inputs when stderr is a
        terminal, ``True`` always, ``False`` never.
        """
        texts, single = _as_texts(text)
        results = self._explain_all(texts, progress)
        return results[0] if single else results

    def _explain_all(self, texts: list[str], progress: bool | None) -> list[ExplainedText]:
        jobs = [job for i, t in enumerate(texts) for job in self._jobs(i, t)]
        edits: list[list[Edit]] = [[] for _ in texts]
        order = sorted(range(len(jobs)), key=lambda j: len(jobs[j].text), reverse=True)
        proposed: list[list[Edit]] = [[] for _ in jobs]
        by_text = callable(getattr(self.editor, "proposals", None)) and callable(
            getattr(self.editor, "choose_document", None)
        )
        ask = self.editor.proposals if by_text else self.editor.propose
        with _progress_bar(len(jobs), progress) as bar:
            for c in range(0, len(order), _CHUNK_UNITS):
                chunk = [jobs[j] for j in order[c : c + _CHUNK_UNITS]]
                answers = ask([j.text for j in chunk], [j.protected for j in chunk])
                if len(answers) != len(chunk):
                    raise RuntimeError(
                        f"editor returned {len(answers)} edit lists for {len(chunk)} units"
                    )
                for j, answer in zip(order[c : c + _CHUNK_UNITS], answers):
                    proposed[j] = answer
                bar.update(len(chunk))
        if by_text:
            of_text: dict[int, list[int]] = {}
            for j, job in enumerate(jobs):
                of_text.setdefault(job.text_index, []).append(j)
            for idx in of_text.values():
                for j, chosen in zip(idx, self.editor.choose_document([proposed[j] for j in idx])):
                    proposed[j] = chosen
        for job, answer in zip(jobs, proposed):
            edits[job.text_index].extend(shift(_safe_edits(job, answer), job.start))
        return [ExplainedText(apply_edits(t, es), es) for t, es in zip(texts, edits)]

    def _jobs(self, text_index: int, text: str) -> list[_Job]:
        """The units of ``text`` that hold at least one word the editor may change."""
        jobs: list[_Job] = []
        for para in segment(text, self.editor.max_words):
            mask = protected_mask(text[para.start : para.end], list(para.tokens))
            starts = [t.start for t in para.tokens]
            for unit in para.units:
                offset = unit.start - para.start
                lo = bisect.bisect_left(starts, offset)
                hi = bisect.bisect_left(starts, unit.end - para.start)
                if all(mask[lo:hi]):
                    continue
                spans = [(t.start - offset, t.end - offset) for t in para.tokens[lo:hi]]
                jobs.append(_Job(text_index, unit.start, text[unit.start : unit.end], spans, mask[lo:hi]))
        return jobs


def _safe_edits(job: _Job, edits: Sequence[Edit]) -> list[Edit]:
    """The editor's edits for ``job`` that are well-formed and touch nothing protected."""
    kept: list[Edit] = []
    pos = 0
    for e in edits:
        if not (pos <= e.start <= e.end <= len(job.text)) or job.text[e.start : e.end] != e.before:
            _log.warning("dropped a malformed edit from the editor: %r", e)
            continue
        if e.before == e.after or _touches_protected(job, e):
            continue
        if _LINE_BREAKS.intersection(e.before) or _LINE_BREAKS.intersection(e.after):
            continue
        kept.append(e)
        pos = e.end
    return kept


def _touches_protected(job: _Job, e: Edit) -> bool:
    """True if ``e`` overlaps a protected token, changes only whitespace, or inserts
    between two protected tokens (or between one and the edge of the unit)."""
    if not e.before.strip() and not e.after.strip():
        return True
    if e.start == e.end:
        if any(a < e.start < b for a, b in job.spans):
            return True
        left = [p for (a, b), p in zip(job.spans, job.protected) if b <= e.start]
        right = [p for (a, b), p in zip(job.spans, job.protected) if a >= e.end]
        return (not left or left[-1]) and (not right or right[0])
    return any(p and a < e.end and e.start < b for (a, b), p in zip(job.spans, job.protected))


def _as_texts(text: object) -> tuple[list[str], bool]:
    """``(texts, single)``; raises ``TypeError`` for anything but a str or a list of str."""
    if isinstance(text, str):
        return [text], True
    if isinstance(text, (list, tuple)):
        for t in text:
            if not isinstance(t, str):
                raise TypeError(
                    f"expected str or list of str, got {type(text).__name__} "
                    f"containing {type(t).__name__}"
                )
        return list(text), False
    hint = " (decode bytes first, e.g. data.decode('utf-8'))" if isinstance(text, bytes) else ""
    raise TypeError(f"expected str or list of str, got {type(text).__name__}{hint}")


def _looks_local(location: str) -> bool:
    """A filesystem path rather than a Hub id (``owner/name``)."""
    return (
        Path(location).expanduser().exists()
        or location.startswith(("/", ".", "~"))
        or location.count("/") > 1
        or "\\" in location
        or (len(location) > 1 and location[1] == ":")
    )


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar on stderr; disabled when ``progress`` is False, or when it is None and
    the input is short or stderr is not a terminal."""
    from tqdm import tqdm

    show = progress if progress is not None else (
        total >= PROGRESS_MIN_UNITS and sys.stderr is not None and sys.stderr.isatty()
    )
    return tqdm(total=total, unit="unit", desc="restore", file=sys.stderr, leave=False, disable=not show)


_default: Restorer | None = None
_default_lock = threading.Lock()


def default_restorer() -> Restorer:
    """The shared restorer for the shipped model, loaded on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Restorer.from_pretrained()
        return _default


def fix(text: str | list[str], *, progress: bool | None = None) -> str | list[str]:
    """Restore spun text with the shipped model (loaded once, on first use).

    Blank input comes back unchanged without loading anything.
    """
    texts, single = _as_texts(text)
    if all(not t.strip() for t in texts):
        return texts[0] if single else texts
    return default_restorer().fix(text, progress=progress)


def explain(
    text: str | list[str], *, progress: bool | None = None
) -> ExplainedText | list[ExplainedText]:
    """Restore spun text with the shipped model and say what changed (see :func:`fix`)."""
    texts, single = _as_texts(text)
    if all(not t.strip() for t in texts):
        blank = [ExplainedText(t, []) for t in texts]
        return blank[0] if single else blank
    return default_restorer().explain(text, progress=progress)
