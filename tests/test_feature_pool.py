"""Candidates scored in worker processes, and later rounds that look only near the last edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from restore.model import feature_pool
from restore.model.feature_pool import MIN_UNITS, split
from restore.restorer import Restorer, _near, _placed
from restore.edits import Edit
from restore.text import protected_mask
from tests.table_editor import TableEditor
from tests.test_candidates import _with_toy_candidates

needs_fork = pytest.mark.skipif(not feature_pool.can_fork(), reason="feature workers are forked; this platform cannot fork")

SENTENCES = [
    "Officials mentioned an information convention in the capital.",
    "The minister mentioned it earlier than noon.",
    "Troops had been seen in japanese Ukraine.",
    "International locations met with out a plan.",
    "The famous writer mentioned a new book.",
    "Nothing here needs a change at all.",
    "She calls for an information convention soon.",
    "They had been in japanese towns earlier than dawn.",
]


def test_split_balances_the_weight_and_keeps_every_index_once() -> None:
    weights = [5, 1, 1, 1, 1, 1, 4, 0]
    groups = split(weights, 2)
    assert sorted(i for g in groups for i in g) == list(range(len(weights)))
    assert all(g == sorted(g) for g in groups)
    assert sorted(sum(weights[i] for i in g) for g in groups) == [7, 7]
    assert split([3], 4) == [[0]]  # no empty groups


@needs_fork
def test_workers_score_exactly_what_this_process_scores(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    editor = _with_toy_candidates(model, None, decoys=True)  # no scorer: tag doubt x table probability
    units = (SENTENCES * 3)[: max(MIN_UNITS, 20)]
    masks = [protected_mask(u) for u in units]
    alone = editor.propose_all(units, masks, floor=0.01)
    assert any(candidates for _, candidates in alone)
    editor.workers = 2
    try:
        assert editor.propose_all(units, masks, floor=0.01) == alone
        pool = editor._pool
        assert pool is not None and pool.workers == 2
        assert editor.propose_all(units, masks, floor=0.01) == alone  # the same workers again
        assert editor._pool is pool
        assert editor.propose_all(units[:2], masks[:2], floor=0.01) == alone[:2]  # a short call: this process
        restorer = Restorer(editor)
        with_workers = restorer.fix(units, progress=False)
    finally:
        editor.workers = 0  # stops them
    assert editor._pool is None
    assert Restorer(editor).fix(units, progress=False) == with_workers


def test_workers_setting_is_checked(tiny_model_dir: Path) -> None:
    import gc

    restorer = Restorer.from_pretrained(str(tiny_model_dir), workers=0)
    assert gc.get_freeze_count() > 0  # the loaded model is out of the cyclic collector's way
    editor = restorer.editor
    assert editor.workers == 0
    for bad in (1, -1, 2.5, True, "many"):
        with pytest.raises(ValueError, match="workers"):
            editor.workers = bad
    editor.workers = "auto"
    assert editor.workers == feature_pool.auto_workers()
    editor.close()
    editor.close()  # idempotent


def test_auto_means_one_worker_a_core_where_there_are_several(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feature_pool, "can_fork", lambda: True)
    monkeypatch.setattr(feature_pool, "usable_cores", lambda: 1)
    assert feature_pool.auto_workers() == 0
    monkeypatch.setattr(feature_pool, "usable_cores", lambda: 2)
    assert feature_pool.auto_workers() == 2
    monkeypatch.setattr(feature_pool, "usable_cores", lambda: 64)
    assert feature_pool.auto_workers() == 4
    monkeypatch.setattr(feature_pool, "can_fork", lambda: False)
    assert feature_pool.auto_workers() == 0


def test_edits_are_placed_in_the_text_they_make() -> None:
    text = "They mentioned it earlier than noon."
    edits = [Edit(5, 14, "mentioned", "said", "word", 0.9), Edit(18, 30, "earlier than", "before", "phrase", 0.9)]
    placed = _placed(edits)
    made = "They said it before noon."
    assert [made[a:b] for a, b in placed] == ["said", "before"]


def test_near_marks_the_tokens_around_each_edit() -> None:
    # tokens of "a b c d e f g h" at 0, 2, 4, ...; an edit wrote "d"
    tokens = [(2 * k, 2 * k + 1) for k in range(8)]
    assert _near([(6, 7)], tokens) == (False, True, True, True, True, True, False, False)
    assert _near([(40, 45)], tokens) is None  # not in this unit
    # a deletion (an empty span) between "b" and "c" touches neither... but the gap's neighbours
    assert _near([(3, 3)], tokens) == (True, True, True, True, False, False, False, False)


def test_a_later_round_asks_only_about_the_words_near_the_last_edits() -> None:
    asked: list[tuple[str, object]] = []

    class Focused(TableEditor):
        def proposals(self, units, protected=None, focus=None):
            asked.extend(zip(units, focus or [None] * len(units)))
            return self.propose(units, protected)

        def choose_document(self, units_edits):
            return units_edits

    text = "We met at the famous hall and then walked home past the old mill by the river."
    editor = Focused({"famous": "noted", "noted": "known"}, max_words=40)
    assert Restorer(editor, rounds=2).fix(text, progress=False) == text.replace("famous", "known")
    first, second = asked[0], asked[1]
    assert first[1] is None
    near = [t for t, n in zip(second[0].split(), second[1]) if n]
    assert near == ["at", "the", "noted", "hall", "and"]
    asked.clear()
    Restorer(editor, rounds=2, later_rounds="whole").fix(text, progress=False)
    assert [f for _, f in asked] == [None, None]
    with pytest.raises(ValueError, match="later_rounds"):
        Restorer(editor, later_rounds="some")


def test_sparse_later_rounds_leave_densely_edited_units_alone() -> None:
    asked: list[str] = []

    class Focused(TableEditor):
        def proposals(self, units, protected=None, focus=None):
            asked.extend(units)
            return self.propose(units, protected)

        def choose_document(self, units_edits):
            return units_edits

    # one sentence a unit: the first gets three edits, the second one
    text = "The famous hall had a large door and a small gate. The famous mill stood by the river."
    table = {"famous": "noted", "large": "big", "small": "little", "noted": "known"}
    restored = Restorer(Focused(table, max_words=12), rounds=2).fix(text, progress=False)
    assert restored == "The noted hall had a big door and a little gate. The known mill stood by the river."
    assert asked[2:] == ["The noted mill stood by the river."]  # only the sparsely edited unit again
    asked.clear()
    near = Restorer(Focused(table, max_words=12), rounds=2, later_rounds="near").fix(text, progress=False)
    assert near == text.replace("famous", "known").replace("large", "big").replace("small", "little")
    assert len(asked) == 4


def test_from_pretrained_refuses_bad_settings_before_loading(tmp_path: Path) -> None:
    missing = tmp_path / "no-model"
    with pytest.raises(ValueError, match="workers"):
        Restorer.from_pretrained(str(missing), workers=1)
    with pytest.raises(ValueError, match="later_rounds"):
        Restorer.from_pretrained(str(missing), later_rounds="all")


@needs_fork
def test_a_killed_worker_costs_time_not_results(tiny_model_dir: Path, tmp_path: Path) -> None:
    import os
    import signal
    import time

    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    editor = _with_toy_candidates(model, None, decoys=True)
    units = (SENTENCES * 3)[: max(MIN_UNITS, 20)]
    alone = editor.propose_all(units, floor=0.01)
    editor.workers = 2
    try:
        assert editor.propose_all(units, floor=0.01) == alone
        pool = editor._pool
        for pid in list(pool._pool._processes):
            os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
        assert editor.propose_all(units, floor=0.01) == alone  # scored here instead
        assert editor.propose_all(units, floor=0.01) == alone  # new workers
        assert editor._pool is not pool and not editor._pool.broken
    finally:
        editor.workers = 0
