"""The restorer with test editors: exact reassembly, protection veto, batching, bad input.

Every fix is checked against its explanation: replaying ``explain(text).edits`` on the
input must give ``fix(text)`` exactly (see :func:`check`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import restore
from restore.edits import Edit, apply_edits
from restore.restorer import DEFAULT_MODEL_DIR, ExplainedText, ModelNotFoundError, Restorer, protected_spans
from restore.text import tokenize
from table_editor import EveryWordEditor, TableEditor

DATA = Path(__file__).parent / "data"
CASES = json.loads((DATA / "cases.json").read_text(encoding="utf-8"))
NEGATIVE = json.loads((DATA / "negative.json").read_text(encoding="utf-8"))
SEED = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()


def check(restorer: Restorer, text: str) -> ExplainedText:
    """Explain ``text`` and assert that the edits replay to the output and to ``fix``."""
    explained = restorer.explain(text, progress=False)
    assert apply_edits(text, explained.edits) == explained.text
    assert restorer.fix(text, progress=False) == explained.text
    starts = [e.start for e in explained.edits]
    assert starts == sorted(starts)
    return explained


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_cases(case: dict) -> None:
    explained = check(Restorer(TableEditor()), case["input"])
    assert explained.text == case["expected"]


@pytest.mark.parametrize("record", NEGATIVE, ids=[r["name"] for r in NEGATIVE])
def test_veto_keeps_protected_tokens_and_whitespace_of_clean_text(record: dict) -> None:
    """An editor that rewrites every word, protected or not, still cannot touch what is protected."""
    text = record["text"]
    explained = check(Restorer(EveryWordEditor(max_words=7)), text)
    blocked = protected_spans(text)
    for e in explained.edits:
        assert not any(a < e.end and e.start < b for a, b in blocked), e
        assert e.before.split() == [e.before] and e.after.split() == [e.after]  # one word, no whitespace


@pytest.mark.parametrize("record", NEGATIVE + CASES, ids=[r["name"] for r in NEGATIVE + CASES])
def test_the_first_round_notes_what_protected_spans_protects(record: dict) -> None:
    """The spans later rounds keep protected are noted while the first round segments the text."""
    text = record.get("text", record.get("input"))
    noted: list[tuple[int, int]] = []
    Restorer(TableEditor(max_words=7))._jobs(0, text, protected=noted)
    assert noted == protected_spans(text)


@pytest.mark.skipif(not SHIPPED, reason="no shipped model at restore/models/default yet")
@pytest.mark.parametrize("record", NEGATIVE, ids=[r["name"] for r in NEGATIVE])
def test_shipped_model_leaves_clean_text_unchanged(record: dict) -> None:
    assert restore.fix(record["text"], progress=False) == record["text"]


_PIECES = st.sampled_from(
    ["mentioned", "earlier", "than", "had", "been", "with", "out", "Mentioned", "the", "U.S.", "3.5",
     " ", "  ", "\t", "\n", "\r\n", "\n\n", ".", ",", "!", "?", "…", '"', "“", "”", "‘", "’", "«", "»",
     "(", ")", "www.x.com", "🎉", "日本", "é"]
)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(_PIECES, max_size=60), max_words=st.integers(1, 8), obey=st.booleans())
def test_any_text_replays_exactly_and_keeps_protected_tokens(parts: list[str], max_words: int, obey: bool) -> None:
    text = "".join(parts)
    explained = check(Restorer(TableEditor(max_words=max_words, respect_protection=obey)), text)
    blocked = protected_spans(text)
    for e in explained.edits:
        assert not any(a < e.end and e.start < b for a, b in blocked), e
        assert "\n" not in e.before and "\r" not in e.before


def test_veto_drops_edits_on_protected_tokens_even_if_the_editor_ignores_the_mask() -> None:
    rogue = Restorer(TableEditor(respect_protection=False))
    text = "“They mentioned it,” she mentioned. Mentioned is capitalised; www.mentioned.com too."
    assert check(rogue, text).text == text.replace("she mentioned", "she said")


def test_editor_receives_the_protected_mask_of_each_unit() -> None:
    seen: list[tuple[str, list[bool]]] = []

    class Spy(TableEditor):
        def propose(self, units, protected=None):
            seen.extend(zip(units, protected))
            return super().propose(units, protected)

    text = "He said “it will rain. Then snow.” The rain fell."
    check(Restorer(Spy(max_words=5)), text)
    by_unit = {u: [t.text for t, p in zip(tokenize(u), mask) if not p] for u, mask in seen}
    # the quotation spans two sentences: its second sentence is wholly protected, so never sent
    assert not any("snow" in u for u in by_unit)
    assert by_unit["He said “it will rain."] == ["said"]
    assert by_unit["The rain fell."] == ["rain", "fell"]


def test_an_editor_that_chooses_per_text_sees_each_texts_units_together() -> None:
    chosen_for: list[list[str]] = []

    class ByText(TableEditor):
        def proposals(self, units, protected=None):
            return self.propose(units, protected)

        def choose_document(self, units_edits):
            chosen_for.append([e.before for edits in units_edits for e in edits])
            # a text whose units propose two edits or more keeps them, a lone edit is dropped
            return units_edits if sum(map(len, units_edits)) > 1 else [[] for _ in units_edits]

    restorer = Restorer(ByText(max_words=5), rounds=1)  # one round: one choice per text
    texts = ["They mentioned it. It had been famous.", "She mentioned it."]
    out = restorer.fix(texts, progress=False)
    assert sorted(map(sorted, chosen_for)) == [["famous", "had been", "mentioned"], ["mentioned"]]
    assert out[0] == restorer.fix(texts[0], progress=False) != texts[0]
    assert out[1] == "She mentioned it."  # its lone edit was dropped by the text's choice


def test_units_with_nothing_to_change_are_not_sent() -> None:
    editor = TableEditor()
    check(Restorer(editor), "Moscow, NATO. 2022. “Quoted words only.”\n\nU.S. Kyiv 100,000")
    assert editor.calls == []


def test_insertions_between_protected_tokens_are_dropped() -> None:
    class Inserter:
        max_words = 20

        def propose(self, units, protected=None):
            out = []
            for u in units:
                # insert "very" before every word
                out.append([Edit(t.start, t.start, "", "very ", "I", 0.5) for t in tokenize(u) if t.is_word])
            return out

    explained = check(Restorer(Inserter(), rounds=1), "the “quoted words” stay, Bob")
    # inside the quotation and before "Bob" (after a comma) nothing may be inserted
    assert explained.text == "very the “quoted words” very stay, Bob"


def test_malformed_edits_are_dropped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        max_words = 20

        def propose(self, units, protected=None):
            return [
                [
                    Edit(0, 3, "xyz", "said", "R:WORD", 0.9),  # before does not match
                    Edit(4, 13, "mentioned", "said", "R:WORD", 0.9),  # fine
                    Edit(5, 8, "ent", "x", "R:WORD", 0.9),  # overlaps the previous one
                    Edit(90, 99, "mentioned", "said", "R:WORD", 0.9),  # outside the unit
                ]
                for _ in units
            ]

    with caplog.at_level(logging.WARNING, logger="restore.restorer"):
        explained = check(Restorer(Broken(), rounds=1), "the mentioned plan")
    assert explained.text == "the said plan"
    assert len([r for r in caplog.records if "malformed" in r.message]) == 6  # 3 per call, 2 calls


def test_editor_returning_the_wrong_number_of_answers_is_an_error() -> None:
    class Short:
        max_words = 20

        def propose(self, units, protected=None):
            return []

    with pytest.raises(RuntimeError, match="0 edit lists for 1 units"):
        Restorer(Short()).fix("they mentioned it")


def test_list_input_is_batched_across_texts() -> None:
    editor = TableEditor(max_words=30)
    texts = ["They mentioned it. It had been famous.", "", "   \n", "No spin here at all.", SEED]
    restorer = Restorer(editor)
    batched = restorer.explain(texts, progress=False)
    assert len(editor.calls) == 2  # every unit of every text in one call (< 128 units), then the changed ones
    singles = [check(Restorer(TableEditor(max_words=30)), t) for t in texts]
    assert batched == singles
    assert restorer.fix(texts, progress=False) == [s.text for s in singles]
    assert batched[1] == ExplainedText("", []) and batched[2] == ExplainedText("   \n", [])


def test_many_units_are_sent_in_chunks_and_come_back_in_order() -> None:
    editor = TableEditor(max_words=3)
    text = " ".join(f"they mentioned item {i}." for i in range(400))
    explained = check(Restorer(editor), text)
    assert len(editor.calls) > 1
    assert explained.text == text.replace("mentioned", "said")


def test_seed_article_round_trips_exactly() -> None:
    explained = check(Restorer(TableEditor(max_words=60)), SEED)
    assert "Antony Blinken said in remarks" in explained.text
    assert "“we’re not releasing the document publicly.”" in explained.text
    assert explained.text.count("\n") == SEED.count("\n")


def test_one_megabyte_text_works() -> None:
    text = (SEED + "\n\n") * (1_000_000 // len(SEED) + 1)
    explained = Restorer(TableEditor(max_words=60)).explain(text)
    assert apply_edits(text, explained.edits) == explained.text
    assert len(explained.text) > 900_000 and "mentioned in remarks" not in explained.text


def test_deterministic() -> None:
    restorer = Restorer(TableEditor(max_words=10))
    assert restorer.explain(SEED, progress=False) == restorer.explain(SEED, progress=False)


def test_progress_bar_can_be_forced(capsys: pytest.CaptureFixture) -> None:
    text = " ".join(f"they mentioned item {i}." for i in range(100))
    assert Restorer(TableEditor(max_words=3)).fix(text, progress=True) == text.replace("mentioned", "said")
    assert "restore" in capsys.readouterr().err


def test_explained_text_is_a_frozen_record_with_json() -> None:
    explained = Restorer(TableEditor()).explain("they mentioned it")
    assert explained.to_dict() == {
        "text": "they said it",
        "edits": [{"start": 5, "end": 14, "before": "mentioned", "after": "said", "kind": "R:WORD", "confidence": 0.9,
                   "source": "table"}],
    }
    json.dumps(explained.to_dict())
    with pytest.raises(FrozenInstanceError):
        explained.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (None, "expected str or list of str, got NoneType"),
        (42, "got int"),
        (b"bytes", "got bytes (decode bytes first"),
        (["ok", 3], "got list containing int"),
        ({"a": 1}, "got dict"),
    ],
)
def test_non_text_is_a_type_error(bad: object, message: str) -> None:
    for call in (Restorer(TableEditor()).fix, Restorer(TableEditor()).explain, restore.fix, restore.explain):
        with pytest.raises(TypeError, match=message.replace("(", r"\(")):
            call(bad)  # type: ignore[arg-type]


def test_blank_input_comes_back_without_loading_a_model() -> None:
    editor = TableEditor()
    for text in ["", " ", "\r\n\t \n", "\u2029"]:
        assert Restorer(editor).fix(text) == text
        assert restore.fix(text) == text  # no model needed
        assert restore.explain(text) == ExplainedText(text, [])
    assert restore.fix([]) == [] and restore.fix(["", " "]) == ["", " "]
    assert editor.calls == []


def test_editor_must_follow_the_contract() -> None:
    with pytest.raises(TypeError, match="got object"):
        Restorer(object())  # type: ignore[arg-type]


@pytest.mark.skipif(SHIPPED, reason="a model ships now")
def test_no_shipped_model_is_a_clear_error() -> None:
    with pytest.raises(ModelNotFoundError, match="no trained model ships"):
        restore.fix("they mentioned it")
    assert issubclass(ModelNotFoundError, FileNotFoundError)


def test_missing_model_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no model folder at"):
        Restorer.from_pretrained(tmp_path / "nowhere")
    with pytest.raises(ModelNotFoundError):
        Restorer.from_pretrained("./relative/nowhere")


def test_trained_model_end_to_end(tiny_model_dir: Path) -> None:
    """A tiny model trained with the real pipeline (tests/conftest.py): load by path, fix,
    explain, replay; batching texts together changes no restored text (in float32: bfloat16
    rounds differently with the padding of each batch)."""
    restorer = Restorer.from_pretrained(str(tiny_model_dir), dtype="float32")
    texts = [SEED[:700], "The minister mentioned the talks had been over earlier than noon.\r\n", "  "]
    explained = [check(restorer, t) for t in texts]
    batched = restorer.explain(texts, progress=False)
    assert [b.text for b in batched] == [e.text for e in explained]
    for b, e in zip(batched, explained):  # padding in other batches moves confidences a hair
        assert [(x.start, x.end, x.after) for x in b.edits] == [(x.start, x.end, x.after) for x in e.edits]
        assert [x.confidence for x in b.edits] == pytest.approx([x.confidence for x in e.edits], abs=1e-4)
    assert explained[2] == ExplainedText("  ", [])
    blocked = protected_spans(texts[0])
    assert not any(a < e.end and e.start < b for e in explained[0].edits for a, b in blocked)


def test_model_dtype_is_as_named_and_auto_takes_bfloat16_only_where_native(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from restore.model import editor

    assert editor.model_dtype("float32") is torch.float32
    assert editor.model_dtype("bfloat16") is torch.bfloat16
    monkeypatch.setattr(editor, "_cpu_has_bf16", lambda: True)
    assert editor.model_dtype("auto", "cpu") is torch.bfloat16
    monkeypatch.setattr(editor, "_cpu_has_bf16", lambda: False)
    assert editor.model_dtype("auto", "cpu") is torch.float32
    if not torch.cuda.is_available():
        assert editor.model_dtype("auto", "cuda") is torch.float32
    with pytest.raises(ValueError, match="dtype must be one of auto, float32, bfloat16"):
        editor.model_dtype("fp8")


def test_trained_model_in_bfloat16_tags_as_float32_does(tiny_model_dir: Path) -> None:
    """bfloat16 is a speed-up, not another model: the same keep probabilities within a hair,
    and its edits replay like any others."""
    import torch

    float32 = Restorer.from_pretrained(str(tiny_model_dir), dtype="float32").editor
    bfloat16 = Restorer.from_pretrained(str(tiny_model_dir), dtype="bfloat16").editor
    assert bfloat16.model.dtype == torch.bfloat16 and float32.model.dtype == torch.float32
    batch = float32.tokenizer([SEED[:300], SEED[300:500]], padding=True, truncation=True,
                              max_length=float32.max_length, return_tensors="pt")
    keep = [e.model.encode(batch["input_ids"], batch["attention_mask"])[1].float().softmax(-1)[..., 0]
            for e in (float32, bfloat16)]
    assert (keep[0] - keep[1]).abs().max().item() < 0.02
    check(Restorer(bfloat16), SEED[:700])


def test_what_the_input_protects_stays_protected_in_later_rounds() -> None:
    """``A 1`` after a word protects the digit (a label); once round one deletes the word, ``A 1``
    opens the text, where a lone digit reads as a spun number word: round two must not take it."""
    from restore.restorer import _carry_spans

    text = "mentioned A 1 was late."
    assert (12, 13) in protected_spans(text)
    explained = check(Restorer(TableEditor({"mentioned": "", "1": "one"}), rounds=2), text)
    assert explained.text == " A 1 was late." and [e.before for e in explained.edits] == ["mentioned"]
    edits = [Edit(0, 9, "mentioned", "", "D", 0.9), Edit(14, 17, "was", "is", "R:WORD", 0.9)]
    assert _carry_spans([(10, 11), (12, 13), (15, 16), (22, 23)], edits) == [(1, 2), (3, 4), (12, 13)]
