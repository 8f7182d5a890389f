"""The restorer: segment a text, ask an editor for edits, veto the unsafe ones, apply the rest.

``fix(text)`` is ``explain(text).text``, and replaying ``explain(text).edits`` on the input
with :func:`restore.edits.apply_edits` gives exactly that output, so everything outside an
edit comes back byte-identical.

A restorer restores what it wrote again, until a round changes nothing or it has run
``rounds`` rounds (:data:`DEFAULT_ROUNDS`): an edit's words may themselves read as spun
(``close to`` → ``roughly``, then ``roughly`` → ``around``), and without a second round
restoring restored text would change them.  A unit the editor has answered is not asked
again (its answer is kept by its text), so a later round costs only the units an edit
changed, and in those an editor that takes a ``focus`` looks only near the edits; by default
(``later_rounds="sparse"``) only in units the last round changed in at most two places, where a
second look pays (part of a multi-word phrase undone): on densely spun text two rounds then
take about 1.2 times as long as one (1.7 with ``near``: every changed unit), on clean text
almost no longer.  ``rounds=1`` gives up the second look: spin removed stays within two
points, but restoring its output again changes about a tenth of spun units (``sparse``: about
a twentieth; ``near``: almost none).
What the input protects stays protected in every round, whatever context an edit gives it
(:func:`protected_spans`, carried along each round's edits).

An *editor* is any object with ``max_words`` (the longest unit it takes, in word tokens)
and ``propose(units, protected)`` (see :class:`Editor`); the shipped one is the seq2seq
model in :mod:`restore.model.editor`, loaded by :meth:`Restorer.from_pretrained`.
"""

from __future__ import annotations

import bisect
import functools
import gc
import inspect
import logging
import math
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence, overload

from restore.edits import Edit, apply_edits, shift
from restore.segment import paragraph_spans, segment
from restore.text import protected_mask, tokenize

if TYPE_CHECKING:
    from restore.detection import Detection

__all__ = [
    "DEFAULT_MODEL_DIR",
    "Editor",
    "ExplainedText",
    "ModelLoadError",
    "ModelNotFoundError",
    "Restorer",
    "detect",
    "explain",
    "fix",
]

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "default"
PROGRESS_MIN_UNITS = 64  # below this many units no progress bar is shown
_CHUNK_UNITS = 128  # units per call to the editor (the editor batches inside a call)
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x85\u2028\u2029")
DEFAULT_ROUNDS = 2  # restoring rounds, the first on the input, each next on what the last wrote
LATER_ROUNDS = ("sparse", "near", "whole")
"""What a later round looks at again in a unit that an edit changed: only the spans within
:data:`NEAR_TOKENS` tokens of the last round's edits (``near``; an editor that takes ``focus``
proposes nothing elsewhere), and that only in units where the last round made at most
:data:`SPARSE_EDITS` edits (``sparse``, the default), or the whole unit (``whole``, the
reference).  A second look pays where a round undid part of a multi-word phrase; in a densely
spun unit it costs as much as the first for about one more edit in a hundred."""
NEAR_TOKENS = 2  # a later round's reach around each edit, in tokens (a trigram's context)
SPARSE_EDITS = 2  # ``sparse`` later rounds: the most edits the last round made in a unit read again
DEFAULT_LATER_ROUNDS = "sparse"
HUB_TIMEOUT_S = 5.0  # seconds to wait for the Hugging Face Hub before calling it unreachable
_SURROGATES = {c: "\ufffd" for c in range(0xD800, 0xE000)}  # what an editor sees for a lone surrogate

_log = logging.getLogger(__name__)


def check_later_rounds(value: str) -> str:
    """``value`` if it is one of :data:`LATER_ROUNDS`, else a ValueError naming them."""
    if value not in LATER_ROUNDS:
        raise ValueError(f"later_rounds must be one of {', '.join(LATER_ROUNDS)}, got {value!r}")
    return value


class ModelNotFoundError(FileNotFoundError):
    """No model where one was asked for (or none ships with this installation yet), or a
    Hub id that is neither in the local cache nor reachable."""


class ModelLoadError(RuntimeError):
    """A model was found but cannot be used: damaged or incompatible files, or a device
    that is not there.  The message is one line; the cause is chained."""


class Editor(Protocol):
    """What the restorer needs from a model.

    ``propose`` returns, for each unit, sorted non-overlapping edits in character offsets
    of that unit, with ``kind`` and ``confidence`` set.  ``protected[i][k]`` is True where
    token ``k`` of ``restore.text.tokenize(units[i])`` must not be touched.

    An editor may also weigh a whole text at once: with ``proposals(units, protected)`` (every
    edit each unit proposes, before any choice) and ``choose_document(units_edits)`` (the
    edits to make in each unit of one text), the restorer asks for proposals and lets it
    choose per text (see :meth:`restore.model.editor.Seq2SeqEditor.choose_document`).  One
    with a ``gate_floor`` (a confidence) is asked ``proposals(units, protected, floor=gate_floor)``
    and may leave out the edits below it, which its choice never makes.
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
    near: tuple[bool, ...] | None = None  # in a later round: the tokens near the last round's edits


class Restorer:
    """Restores spun text with an :class:`Editor`.  Load once, reuse; deterministic.

    ``rounds``: how many times at most a text is restored, each round on what the last one
    wrote (see the module docstring); 1 is a single pass.  ``later_rounds``: what a later
    round reads again in a changed unit (:data:`LATER_ROUNDS`).
    """

    def __init__(self, editor: Editor, rounds: int = DEFAULT_ROUNDS, later_rounds: str = DEFAULT_LATER_ROUNDS) -> None:
        if not callable(getattr(editor, "propose", None)) or not isinstance(
            getattr(editor, "max_words", None), int
        ):
            raise TypeError(
                f"expected an editor with max_words: int and propose(units, protected), "
                f"got {type(editor).__name__}"
            )
        if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
            raise ValueError(f"rounds must be a whole number of at least 1, got {rounds!r}")
        check_later_rounds(later_rounds)
        self.editor = editor
        self.rounds = rounds
        self.later_rounds = later_rounds

    @classmethod
    def from_pretrained(
        cls, path_or_hub_id: str | Path | None = None, device: str = "cpu", batch_size: int = 32,
        dtype: str = "auto", rounds: int = DEFAULT_ROUNDS, encoder: str = "auto", threads: int | None = None,
        workers: int | str = "auto", later_rounds: str = DEFAULT_LATER_ROUNDS,
    ) -> "Restorer":
        """Load the seq2seq editor from a model folder or a Hugging Face Hub id.

        With no argument, the model shipped inside the package (``restore/models/default``).
        A Hub id is read from the local Hugging Face cache if it is there, else downloaded
        whole; the Hub is asked once, with a :data:`HUB_TIMEOUT_S` timeout and no retries,
        and never with ``HF_HUB_OFFLINE=1``.  ``dtype``: ``auto`` (bfloat16 where the
        hardware computes it natively, else float32), ``float32`` or ``bfloat16``; see
        :func:`restore.model.editor.model_dtype`.  ``encoder``: ``auto`` (on the CPU, the
        folder's int8 ONNX encoder where it has one and ``onnxruntime`` is installed, else the
        network's own), ``onnx`` or ``torch`` (the reference); see
        :mod:`restore.model.onnx_encoder`; with that encoder the network's weights are read only
        when the decoder is first asked to write (never, with the shipped calibration), and
        neither torch nor transformers is imported until then.  ``threads``: CPU threads for
        the int8 encoder and the network (None: their defaults).  ``workers``: processes that
        score candidates on the other cores for long inputs (``auto``: one per core where there
        are several and processes can be forked; 0: none; see :mod:`restore.model.feature_pool`);
        ``later_rounds``: as for the constructor.
        One short sentence is restored before this returns, so a model that loads but cannot
        run fails here.  Then every object the process holds is moved out of the cyclic garbage
        collector's way (:func:`gc.freeze`, after a full collection): the model's hundreds of
        thousands of objects need no scanning while it restores (a quarter of the corpus job's
        time), and forked feature workers share their pages.  A model dropped later is
        collected whole at the next load (or :func:`gc.unfreeze` and :func:`gc.collect`).

        Raises :class:`ModelNotFoundError` when there is no such model (none shipped, no
        folder at a local path, a Hub id neither cached nor reachable) and
        :class:`ModelLoadError` when there is one that cannot be used (damaged or
        incompatible files, a device that is not there), each with a one-line message.
        """
        from restore.model import ENCODERS
        from restore.model.feature_pool import check_workers

        if encoder not in ENCODERS:
            raise ValueError(f"encoder must be one of {', '.join(ENCODERS)}, got {encoder!r}")
        check_later_rounds(later_rounds)  # before loading: a bad setting fails fast
        check_workers(workers)  # before loading: a bad setting fails fast
        location = _model_location(path_or_hub_id)
        _check_device(device)
        from restore.model.editor import Seq2SeqEditor

        try:
            editor = Seq2SeqEditor.from_pretrained(str(location), device=device, batch_size=batch_size, dtype=dtype,
                                                   encoder=encoder, threads=threads, workers=workers)
            if not isinstance(editor.max_words, int) or isinstance(editor.max_words, bool) or editor.max_words < 1:
                raise ValueError(f"max_words in config.json must be a whole number of at least 1, got {editor.max_words!r}")
            restorer = cls(editor, rounds, later_rounds)
            restorer.model_dir = location
            restorer.fix("They mentioned it earlier than noon.", progress=False)
        except MemoryError:
            raise
        except Exception as e:
            raise ModelLoadError(f"could not load the model at {location}: {_one_line(e)} ({type(e).__name__})") from e
        gc.unfreeze()  # what an earlier load froze and is garbage now (a dropped model) is collected
        gc.collect()
        gc.freeze()
        return restorer

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

    @overload
    def detect(self, text: str) -> "Detection": ...
    @overload
    def detect(self, text: list[str]) -> "list[Detection]": ...

    def detect(self, text: str | list[str]) -> "Detection | list[Detection]":
        """How likely ``text`` is spun as a whole, and the suspected spans with their suggested
        originals (:class:`restore.detection.Detection`; a list is batched, one each), calibrated by
        the model folder's ``detect.json`` (``python -m training.calibrate_detect``; without one,
        a fixed rule).  Blank text has probability 0."""
        from restore.detection import DetectCalibration, detect_with

        texts, single = _as_texts(text)
        if getattr(self, "_detect_calibration", None) is None:
            self._detect_calibration = DetectCalibration.load(getattr(self, "model_dir", None))
        found = detect_with(self, texts, self._detect_calibration)
        return found[0] if single else found

    def _explain_all(self, texts: list[str], progress: bool | None) -> list[ExplainedText]:
        """Restore ``texts`` in rounds: each round restores what the last one wrote, until a
        round changes nothing or ``self.rounds`` have run; the edits of all rounds are
        composed into edits of the input (:func:`compose`)."""
        current = list(texts)
        edits: list[list[Edit]] = [[] for _ in texts]
        answers: dict[tuple[str, tuple[bool, ...]], list[Edit]] = {}  # the editor's answer for a unit
        # What the input protects stays protected in later rounds, whatever context an edit gives it
        # (``A 1`` after a deleted word may read as a sentence's lone digit): its character spans,
        # carried along each round's edits (which never touch them).
        frozen: dict[int, list[tuple[int, int]]] = {}
        focus: dict[int, list[tuple[int, int]]] = {}  # where the last round's edits lie in what it wrote
        todo = list(range(len(texts)))
        for round_number in range(self.rounds):
            # the first round notes what the input protects (as protected_spans(texts[i]) would say)
            protected = [[] if round_number == 0 and self.rounds > 1 else None for _ in todo]
            changes = self._round([current[i] for i in todo], answers, progress, [frozen.get(i) for i in todo],
                                  [focus.get(i) for i in todo], protected)
            todo_next = []
            for k, (i, change) in enumerate(zip(todo, changes)):
                if change:
                    if round_number + 1 < self.rounds:
                        spans = frozen[i] if i in frozen else protected[k]
                        frozen[i] = _carry_spans(spans, change)
                        if self.later_rounds != "whole":
                            focus[i] = _placed(change)
                    edits[i] = compose(texts[i], edits[i], change)
                    current[i] = apply_edits(current[i], change)
                    todo_next.append(i)
            todo = todo_next
            if not todo:
                break
        return [ExplainedText(t, es) for t, es in zip(current, edits)]

    def _round(self, texts: list[str], answers: dict, progress: bool | None,
               frozen: list[list[tuple[int, int]] | None] | None = None,
               focus: list[list[tuple[int, int]] | None] | None = None,
               protected: list[list[tuple[int, int]] | None] | None = None) -> list[list[Edit]]:
        """One restoring round: the safe edits for each of ``texts``.  ``answers`` holds the
        editor's answer for each unit already asked about (by its text, protection and focus)
        and gets the new ones; ``progress`` as for :meth:`explain`; ``frozen[i]``: character
        spans of ``texts[i]`` that stay protected whatever their context (see :meth:`_jobs`);
        ``focus[i]``: where the last round's edits lie in ``texts[i]`` (None: look everywhere);
        ``protected[i]``, a list, gets what ``texts[i]`` protects (:func:`protected_spans`).
        A unit with tokens near ``focus`` is asked with them as its ``focus`` by an editor
        whose ``proposals`` takes one; a unit without is asked as it was before."""
        frozen = frozen or [None] * len(texts)
        focus = focus or [None] * len(texts)
        most = SPARSE_EDITS if self.later_rounds == "sparse" else None
        protected = protected or [None] * len(texts)
        jobs = [job for i, t in enumerate(texts) for job in self._jobs(i, t, frozen[i], focus[i], most, protected[i])]
        by_text = callable(getattr(self.editor, "proposals", None)) and callable(
            getattr(self.editor, "choose_document", None)
        )
        focused = by_text and "focus" in inspect.signature(self.editor.proposals).parameters
        keys = [(j.text, tuple(j.protected), j.near if focused else None) for j in jobs]
        ask = self.editor.proposals if by_text else self.editor.propose
        floor = getattr(self.editor, "gate_floor", None) if by_text else None
        if floor is not None:  # edits the gates can never choose need not be made
            ask = functools.partial(self.editor.proposals, floor=floor)
        new = sorted({k: j for k, j in zip(keys, jobs) if k not in answers}.items(), key=lambda kj: -len(kj[0][0]))
        with _progress_bar(len(new), progress) as bar:
            for c in range(0, len(new), _CHUNK_UNITS):
                chunk = new[c : c + _CHUNK_UNITS]
                units, masks = [_for_editor(j.text) for _, j in chunk], [j.protected for _, j in chunk]
                if focused and any(j.near is not None for _, j in chunk):
                    replies = ask(units, masks, focus=[None if j.near is None else list(j.near) for _, j in chunk])
                else:
                    replies = ask(units, masks)
                if len(replies) != len(chunk):
                    raise RuntimeError(f"editor returned {len(replies)} edit lists for {len(chunk)} units")
                for (key, _), reply in zip(chunk, replies):
                    answers[key] = reply
                bar.update(len(chunk))
        proposed = [answers[k] for k in keys]
        if by_text:
            of_text: dict[int, list[int]] = {}
            for j, job in enumerate(jobs):
                of_text.setdefault(job.text_index, []).append(j)
            for idx in of_text.values():
                for j, chosen in zip(idx, self.editor.choose_document([proposed[j] for j in idx])):
                    proposed[j] = chosen
        changes: list[list[Edit]] = [[] for _ in texts]
        for job, answer in zip(jobs, proposed):
            changes[job.text_index].extend(shift(_safe_edits(job, answer), job.start))
        return changes

    def _jobs(self, text_index: int, text: str, frozen: list[tuple[int, int]] | None = None,
              focus: list[tuple[int, int]] | None = None, most_edits: int | None = None,
              protected: list[tuple[int, int]] | None = None) -> list[_Job]:
        """The units of ``text`` that hold at least one word the editor may change.  A token is
        protected as :func:`restore.text.protected_mask` says or where it overlaps one of the
        sorted character spans ``frozen`` (what an earlier round's input protected).  With
        ``focus`` (sorted character spans: the last round's edits), a unit that has tokens
        within :data:`NEAR_TOKENS` of one gets them as its ``near`` mask, and with ``most_edits``
        a unit holding more than that many of them is left out.  ``protected`` (a list) gets
        the character spans of the tokens :func:`restore.text.protected_mask` protects, in order."""
        jobs: list[_Job] = []
        focus_starts = [a for a, _ in focus] if focus and most_edits is not None else None
        for para in segment(text, self.editor.max_words):
            mask = protected_mask(text[para.start : para.end], list(para.tokens))
            if protected is not None:
                protected.extend((para.start + t.start, para.start + t.end) for t, m in zip(para.tokens, mask) if m)
            if frozen:
                mask = [m or _overlaps(frozen, para.start + t.start, para.start + t.end) for t, m in zip(para.tokens, mask)]
            starts = [t.start for t in para.tokens]
            for unit in para.units:
                offset = unit.start - para.start
                lo = bisect.bisect_left(starts, offset)
                hi = bisect.bisect_left(starts, unit.end - para.start)
                if all(mask[lo:hi]):
                    continue
                if focus_starts is not None and (bisect.bisect_right(focus_starts, unit.end)
                                                 - bisect.bisect_left(focus_starts, unit.start)) > most_edits:
                    continue  # densely edited: not read again
                spans = [(t.start - offset, t.end - offset) for t in para.tokens[lo:hi]]
                near = _near(focus, [(para.start + t.start, para.start + t.end) for t in para.tokens[lo:hi]]) if focus else None
                jobs.append(_Job(text_index, unit.start, text[unit.start : unit.end], spans, mask[lo:hi], near))
        return jobs


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the tokens of ``text`` that restoring never changes (as
    :meth:`Restorer._jobs` protects them, paragraph by paragraph), in order."""
    spans: list[tuple[int, int]] = []
    for a, b in paragraph_spans(text):
        tokens = tokenize(text[a:b])
        spans += [(a + t.start, a + t.end) for t, m in zip(tokens, protected_mask(text[a:b], tokens)) if m]
    return spans


def _carry_spans(spans: list[tuple[int, int]], edits: Sequence[Edit]) -> list[tuple[int, int]]:
    """``spans`` (sorted, of a text) where they lie after the sorted ``edits`` are applied; a span
    an edit overlaps is dropped (edits of protected tokens are never made)."""
    carried: list[tuple[int, int]] = []
    k, delta = 0, 0
    for a, b in spans:
        while k < len(edits) and edits[k].end <= a:
            delta += len(edits[k].after) - (edits[k].end - edits[k].start)
            k += 1
        if k < len(edits) and edits[k].start < b and a < edits[k].end:
            continue
        carried.append((a + delta, b + delta))
    return carried


def _placed(edits: Sequence[Edit]) -> list[tuple[int, int]]:
    """Where the sorted ``edits`` lie in the text they make: ``(start, end)`` of each one's
    ``after`` (empty for a deletion)."""
    placed, delta = [], 0
    for e in edits:
        placed.append((e.start + delta, e.start + delta + len(e.after)))
        delta += len(e.after) - (e.end - e.start)
    return placed


def _near(focus: list[tuple[int, int]], tokens: list[tuple[int, int]]) -> tuple[bool, ...] | None:
    """Per token (character spans in the text of the sorted, disjoint ``focus`` spans), whether
    it lies within :data:`NEAR_TOKENS` tokens of a focus span: overlapping it, or touching it
    where it is empty (a deletion).  None if no token does."""
    hit = []
    for k, (a, b) in enumerate(tokens):
        j = bisect.bisect_right(focus, (b, math.inf)) - 1  # the last span starting at or before b
        while j >= 0 and focus[j][1] >= a:
            s, e = focus[j]
            if (s < b and a < e) or (s == e and a <= s <= b):
                hit.append(k)
                break
            j -= 1
    if not hit:
        return None
    near = [False] * len(tokens)
    for k in hit:
        for j in range(max(0, k - NEAR_TOKENS), min(len(tokens), k + NEAR_TOKENS + 1)):
            near[j] = True
    return tuple(near)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """True if ``[start, end)`` overlaps one of the sorted, disjoint ``spans``."""
    k = bisect.bisect_left(spans, (end,))  # spans starting at or after ``end`` cannot overlap
    return k > 0 and spans[k - 1][1] > start


def _for_editor(unit: str) -> str:
    """``unit`` as an editor is given it: a lone surrogate (which no UTF-8 tokenizer reads)
    becomes U+FFFD.  Offsets do not move, and a surrogate is a protected token of its own, so
    no edit that survives :func:`_safe_edits` includes one."""
    return unit.translate(_SURROGATES) if any("\ud800" <= c <= "\udfff" for c in unit) else unit


def compose(source: str, first: Sequence[Edit], second: Sequence[Edit]) -> list[Edit]:
    """Edits of ``source`` that give ``apply_edits(apply_edits(source, first), second)``.

    ``first`` are sorted edits of ``source``; ``second`` sorted edits of the text ``first``
    makes.  Edits of ``second`` that overlap or adjoin text ``first`` wrote are merged with
    those edits into one (its kind from :func:`restore.edits.edit_kind`, the lowest
    confidence, their ``source`` if they share one, else ``mixed``); where they give back
    the source's words, no edit is left.
    """
    from restore.edits import edit_kind

    made = apply_edits(source, first)
    # (start, end) of each edit of ``first`` in the made text, and the shift after it
    placed = _placed(first)
    shifts = [end - e.end for (_, end), e in zip(placed, first)]

    def to_source(pos: int) -> int:
        """``pos`` of the made text, outside every edit of ``first``, in the source."""
        k = bisect.bisect_right([end for _, end in placed], pos)
        return pos - (shifts[k - 1] if k else 0)

    # Clusters of overlapping or adjoining edits: [lo, hi) in the made text, members of each.
    clusters: list[tuple[int, int, list[int], list[Edit]]] = []
    items = sorted(
        [(a, b, k, None) for k, (a, b) in enumerate(placed)] + [(e.start, e.end, -1, e) for e in second],
        key=lambda item: (item[0], item[1]),
    )
    for a, b, k, e in items:
        if clusters and a <= clusters[-1][1]:
            lo, hi, firsts, seconds = clusters[-1]
            clusters[-1] = (lo, max(hi, b), firsts, seconds)
        else:
            clusters.append((a, b, [], []))
            firsts, seconds = clusters[-1][2], clusters[-1][3]
        if e is None:
            firsts.append(k)
        else:
            seconds.append(e)
    out: list[Edit] = []
    for lo, hi, firsts, seconds in clusters:
        if not seconds:
            out.extend(first[k] for k in firsts)
            continue
        if not firsts:
            out.extend(shift(seconds, to_source(seconds[0].start) - seconds[0].start))
            continue
        src_lo = first[firsts[0]].start if placed[firsts[0]][0] == lo else to_source(lo)
        src_hi = first[firsts[-1]].end if placed[firsts[-1]][1] == hi else to_source(hi)
        before = source[src_lo:src_hi]
        after = apply_edits(made[lo:hi], shift(seconds, -lo))
        if before != after:
            merged = [*seconds, *(first[k] for k in firsts)]
            confidence = min(e.confidence for e in merged)
            origin = merged[0].source if len({e.source for e in merged}) == 1 else "mixed"
            out.append(Edit(src_lo, src_hi, before, after, edit_kind(before, after), confidence, origin))
    return out


def _safe_edits(job: _Job, edits: Sequence[Edit]) -> list[Edit]:
    """The editor's edits for ``job`` that are well-formed (against the unit as the editor
    saw it, :func:`_for_editor`) and touch nothing protected."""
    seen = _for_editor(job.text)
    kept: list[Edit] = []
    pos = 0
    for e in edits:
        if not (pos <= e.start <= e.end <= len(seen)) or seen[e.start : e.end] != e.before:
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


def _model_location(path_or_hub_id: str | Path | None) -> Path:
    """The local folder of a model: the shipped one, a folder given, or a Hub id's snapshot."""
    if path_or_hub_id is None:
        if not (DEFAULT_MODEL_DIR / "config.json").is_file():
            raise ModelNotFoundError(
                f"no trained model ships with restore yet (looked in {DEFAULT_MODEL_DIR}); "
                "train one (python -m training.train --preset cpu --output_dir runs/cpu, then "
                "python -m training.export runs/cpu) or point at a model folder: "
                "Restorer.from_pretrained('path/to/model') or restore fix --model PATH"
            )
        return DEFAULT_MODEL_DIR
    location = str(path_or_hub_id)
    if not _looks_local(location):
        return _hub_snapshot(location)
    path = Path(location).expanduser()
    if not path.exists():
        raise ModelNotFoundError(f"no model folder at {location}")
    if not path.is_dir():
        raise ModelNotFoundError(f"{location} is a file; a model is a folder (config.json, model.safetensors, ...)")
    return path


def _hub_snapshot(repo_id: str) -> Path:
    """The local snapshot of Hub model ``repo_id``: from the cache, else downloaded after one
    quick check (:data:`HUB_TIMEOUT_S`, no retries) that the Hub answers and has it."""
    from huggingface_hub import HfApi, constants, snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    except ValueError as e:  # not a valid repo id
        raise ModelNotFoundError(f"no model folder at {repo_id}, and it is not a Hub id: {_one_line(e)}") from None
    if constants.HF_HUB_OFFLINE:
        raise ModelNotFoundError(f"{repo_id} is not in the local Hugging Face cache, and HF_HUB_OFFLINE is set")
    try:
        HfApi().model_info(repo_id, timeout=HUB_TIMEOUT_S)
    except RepositoryNotFoundError:
        raise ModelNotFoundError(f"no model {repo_id} on the Hugging Face Hub (or it is private)") from None
    except HfHubHTTPError as e:
        raise ModelNotFoundError(f"the Hugging Face Hub refused {repo_id}: {_one_line(e)}") from None
    except Exception as e:  # the network: no route, no name, refused, timed out
        raise ModelNotFoundError(
            f"cannot reach the Hugging Face Hub at {constants.ENDPOINT} for {repo_id}, and it is not in "
            f"the local cache ({_one_line(e)}); pass a model folder instead"
        ) from None
    try:
        return Path(snapshot_download(repo_id, etag_timeout=HUB_TIMEOUT_S))
    except Exception as e:
        raise ModelNotFoundError(f"could not download {repo_id} from the Hugging Face Hub: {_one_line(e)}") from None


def _check_device(device: str) -> None:
    """Raise :class:`ModelLoadError` unless torch can run on ``device`` here (``cpu``: always,
    without importing torch)."""
    if device == "cpu":
        return
    import torch

    try:
        where = torch.device(device)
    except (RuntimeError, ValueError, TypeError) as e:
        raise ModelLoadError(f"unknown device {device!r}: {_one_line(e)}") from None
    if where.type != "cuda":
        return
    if torch.version.cuda is None:
        raise ModelLoadError(f"device {device!r}: this torch ({torch.__version__}) is built without CUDA; use cpu")
    if not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r}: no CUDA GPU is visible; use cpu")
    if where.index is not None and where.index >= torch.cuda.device_count():
        raise ModelLoadError(f"device {device!r}: there are {torch.cuda.device_count()} CUDA GPUs")


def _one_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__


def _progress_bar(total: int, progress: bool | None):
    """A tqdm bar on stderr; disabled when ``progress`` is False, or when it is None and
    the input is short or stderr is not a terminal (then tqdm is not even imported)."""
    show = progress if progress is not None else (
        total >= PROGRESS_MIN_UNITS and sys.stderr is not None and sys.stderr.isatty()
    )
    if not show:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="unit", desc="restore", file=sys.stderr, leave=False)


class _NoBar:
    """What :func:`_progress_bar` gives when no bar is shown."""

    def __enter__(self) -> "_NoBar":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, n: int = 1) -> None:
        return None


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


def detect(text: str | list[str]) -> "Detection | list[Detection]":
    """How likely ``text`` is spun, and where, by the shipped model (see :meth:`Restorer.detect`).

    Blank input gives probability 0 without loading anything."""
    texts, single = _as_texts(text)
    if all(not t.strip() for t in texts):
        from restore.detection import DOCUMENT_FEATURES, Detection

        blank = [Detection(0.0, [], dict.fromkeys(DOCUMENT_FEATURES, 0.0)) for _ in texts]
        return blank[0] if single else blank
    return default_restorer().detect(text)


def explain(
    text: str | list[str], *, progress: bool | None = None
) -> ExplainedText | list[ExplainedText]:
    """Restore spun text with the shipped model and say what changed (see :func:`fix`)."""
    texts, single = _as_texts(text)
    if all(not t.strip() for t in texts):
        blank = [ExplainedText(t, []) for t in texts]
        return blank[0] if single else blank
    return default_restorer().explain(text, progress=progress)
