"""Candidates composed word by word (restore.candidates.compose)."""

from __future__ import annotations

import shutil
from pathlib import Path

from restore.candidates.channel import Channel
from restore.candidates.compose import with_composed
from restore.candidates.features import CANDIDATE_FEATURES
from restore.edits import apply_edits
from restore.model.editor import CANDIDATES_FILE, Seq2SeqEditor
from restore.model.scorer import CandidateScorer
from restore.text import protected_mask, tokenize

# word-by-word swaps, as the generators behind tortured phrases make them
SWAPS = {"artificial": ("counterfeit", "fake"), "intelligence": ("consciousness",), "deep": ("profound",),
         "big": ("enormous",), "data": ("information",)}
CHANNEL = Channel([({clean: (1.0, spun) for clean, spun in SWAPS.items()}, 0.8)])


def _spans(text: str, p_keep: list[float] | None = None, max_words: int = 3, keep_bar: float = 0.9):
    tokens = tokenize(text)
    spans = CHANNEL.spans(text, tokens, [t.is_word for t in tokens])
    return tokens, with_composed(spans, text, tokens, p_keep or [0.1] * len(tokens), keep_bar, max_words)


def test_adjacent_doubted_words_get_their_candidates_combined() -> None:
    text = "Research on counterfeit consciousness grows."
    tokens, (spans, parts) = _spans(text)
    by_run = {text[tokens[a].start:tokens[z - 1].end]: [c.source for c in cands] for a, z, cands in spans}
    assert by_run["counterfeit"] == ["artificial"] and by_run["consciousness"] == ["intelligence"]
    assert by_run["counterfeit consciousness"] == ["artificial intelligence"]
    (a, z, (composed,)), = [s for s in spans if s[1] - s[0] == 2]
    one = {c.source: c.logp for s in spans if s[1] - s[0] == 1 for c in s[2]}
    assert composed.words == ("artificial", "intelligence")
    assert composed.logp == one["artificial"] + one["intelligence"]  # independent swaps
    assert parts[a, z, "artificial intelligence"] == ((a, a + 1, "artificial"), (a + 1, z, "intelligence"))


def test_composition_needs_every_word_doubted_adjacent_and_joined_by_one_space() -> None:
    text = "Research on counterfeit consciousness grows."
    tokens, (spans, parts) = _spans(text, p_keep=[0.1, 0.1, 0.1, 0.95, 0.1, 0.1])  # "consciousness" kept surely
    assert all(z - a == 1 for a, z, _ in spans) and parts == {}
    for split in ("counterfeit, consciousness", "counterfeit\nconsciousness", "counterfeit and consciousness"):
        _, (spans, parts) = _spans(f"Research on {split}.")
        assert all(z - a == 1 for a, z, _ in spans) and parts == {}
    _, (spans, parts) = _spans(text, max_words=0)
    assert parts == {} and all(z - a == 1 for a, z, _ in spans)


def test_runs_grow_to_max_words_and_every_combination_changes_every_word() -> None:
    text = "An enormous information profound model."
    tokens, (spans, parts) = _spans(text, max_words=3)
    runs = {(a, z): [c.source for c in cands] for a, z, cands in spans}
    assert runs[1, 3] == ["big data"] and runs[2, 4] == ["data deep"] and runs[1, 4] == ["big data deep"]
    _, (spans, _) = _spans(text, max_words=2)
    assert max(z - a for a, z, _ in spans) == 2
    text = "Some fake consciousness."  # two candidates for one word: one composed candidate each
    tokens, (spans, _) = _spans(text)
    fake = Channel([({"artificial": (1.0, ("fake",)), "false": (1.0, ("fake",)), "intelligence": (1.0, ("consciousness",))}, 0.8)])
    spans = with_composed(fake.spans(text, tokens, [t.is_word for t in tokens]), text, tokens, [0.1] * len(tokens), 0.9, 3)[0]
    assert sorted(c.source for a, z, cands in spans if z - a == 2 for c in cands) == ["artificial intelligence", "false intelligence"]


def test_a_run_the_tables_list_whole_keeps_its_candidate_once() -> None:
    channel = Channel([({"artificial": (1.0, ("counterfeit",)), "intelligence": (1.0, ("consciousness",)),
                         "artificial intelligence": (1.0, ("counterfeit consciousness",))}, 0.8)])
    text = "On counterfeit consciousness."
    tokens = tokenize(text)
    spans = channel.spans(text, tokens, [t.is_word for t in tokens])
    listed = [cands for a, z, cands in spans if z - a == 2][0]
    out, parts = with_composed(spans, text, tokens, [0.1] * len(tokens), 0.9, 3)
    assert [cands for a, z, cands in out if z - a == 2] == [listed] and parts == {}
    assert channel.spans(text, tokens, [t.is_word for t in tokens]) == spans  # the table's lists untouched


def test_the_editor_restores_a_phrase_swapped_word_by_word(tiny_model_dir: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    CHANNEL.save(model / CANDIDATES_FILE)
    n = len(CANDIDATE_FEATURES)
    span_words = CANDIDATE_FEATURES.index("span words")  # a scorer that prefers the longer run
    scorer = CandidateScorer([0.0] * n, [1.0] * n, [[1.0 if k == span_words else 0.0 for k in range(n)]], [0.0], [10.0], -5.0)
    text = "Work on counterfeit consciousness goes on."
    editor = Seq2SeqEditor.from_pretrained(str(model), keep_threshold=0.0, min_confidence=0.5,
                                           candidate_keep_threshold=1.0, candidate_scorer=scorer)
    assert editor.compose_words == 0
    (_, plain), = editor.propose_all([text], [protected_mask(text)])
    assert {c.source for c in plain} == {"artificial", "intelligence"}
    editor.compose_words = 3
    (_, composed), = editor.propose_all([text], [protected_mask(text)])
    assert {c.source for c in composed} == {"artificial", "intelligence", "artificial intelligence"}
    row = next(c for c in composed if c.source == "artificial intelligence").features
    assert row[span_words] == 2.0 and len(row) == n
    edits = editor.propose([text], [protected_mask(text)])[0]
    assert apply_edits(text, edits) == "Work on artificial intelligence goes on."
    # the setting comes from the model's config, as training.calibrate writes it
    import json

    config = json.loads((model / "config.json").read_text())
    config.setdefault("restore", {})["compose_words"] = 2
    (model / "config.json").write_text(json.dumps(config))
    assert Seq2SeqEditor.from_pretrained(str(model)).compose_words == 2
