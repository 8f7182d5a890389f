"""Segmentation: exact offsets, sensible sentence ends, windows within the limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from restore.segment import paragraph_spans, segment, sentence_spans, units
from restore.text import tokenize


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def check_units(text: str, max_words: int, max_chars: int | None = None) -> None:
    """The invariants every segmentation must keep."""
    max_chars = 16 * max_words if max_chars is None else max_chars
    paragraphs = segment(text, max_words, max_chars)
    flat = [u for p in paragraphs for u in p.units]
    assert flat == units(text, max_words, max_chars)
    tokens = tokenize(text)
    starts = {t.start for t in tokens}
    ends = {t.end for t in tokens}
    pos = 0
    for p in paragraphs:
        assert pos <= p.start < p.end <= len(text)
        assert p.start in starts and p.end in ends
        assert list(p.tokens) == tokenize(text[p.start : p.end])
        for u in p.units:
            assert p.start <= u.start < u.end <= p.end
            inside = [(t.start, t.end) for t in p.tokens if p.start + t.start >= u.start and p.start + t.end <= u.end]
            shift = u.start - p.start
            assert [(t.start + shift, t.end + shift) for t in tokenize(text[u.start : u.end])] == inside
            assert u.start in starts and u.end in ends  # never inside a token
            chunk = text[u.start : u.end]
            assert sum(t.is_word for t in tokenize(chunk)) <= max_words
            assert len(chunk) <= max_chars or len(tokenize(chunk)) == 1
        pos = p.end
    # every token lies in exactly one unit
    covered = iter(flat)
    unit = next(covered, None)
    for t in tokens:
        while unit is not None and unit.end <= t.start:
            unit = next(covered, None)
        assert unit is not None and unit.start <= t.start and t.end <= unit.end, t


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One.\n\nTwo.", ["One.", "Two."]),
        ("One.\r\n\r\nTwo.\r\n", ["One.", "Two."]),
        ("  lead\n \t \nmid\nstill mid\n\n\n\ntail  ", ["lead", "mid\nstill mid", "tail"]),
        ("a\u2029b", ["a", "b"]),
        ("\n\n \t\r\n", []),
        ("", []),
    ],
)
def test_paragraphs(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in paragraph_spans(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He left. She stayed.", ["He left.", "She stayed."]),
        ("Mr. Smith met Dr. Jones.", ["Mr. Smith met Dr. Jones."]),
        ("The U.S. has replied. Moscow waits.", ["The U.S. has replied.", "Moscow waits."]),
        ("He flew to Washington, D.C. on Monday.", ["He flew to Washington, D.C. on Monday."]),
        ("U.S. Secretary of State Antony Blinken spoke.", ["U.S. Secretary of State Antony Blinken spoke."]),
        ("John F. Kennedy spoke. Then he left.", ["John F. Kennedy spoke.", "Then he left."]),
        ("It grew 3.5 per cent. Prices fell.", ["It grew 3.5 per cent.", "Prices fell."]),
        ("See No. 5 on Jan. 26 today.", ["See No. 5 on Jan. 26 today."]),
        ('He said, "we are ready." Then he left.', ['He said, "we are ready."', "Then he left."]),
        ("She said: “It is over.” Nobody answered.", ["She said: “It is over.”", "Nobody answered."]),
        ('"Why?" he asked. "Because."', ['"Why?" he asked.', '"Because."']),
        ("Wait... what? Yes!! Fine.", ["Wait... what?", "Yes!!", "Fine."]),
        ("It ended… Nobody knew.", ["It ended…", "Nobody knew."]),
        ("He paused . . . Then spoke.", ["He paused . . .", "Then spoke."]),
        ("(It ended.) Then more.", ["(It ended.)", "Then more."]),
        ("e.g. this and i.e. that.", ["e.g. this and i.e. that."]),
        ("Headline without stop\nThe story begins here.", ["Headline without stop", "The story begins here."]),
        ("a hard-wrapped line\ncontinues here.", ["a hard-wrapped line\ncontinues here."]),
        ("Er ist da. Sie kommt später.", ["Er ist da.", "Sie kommt später."]),
        ("Привет. Как дела?", ["Привет.", "Как дела?"]),
        ("Good news 🎉. More news 🚀!", ["Good news 🎉.", "More news 🚀!"]),
        ("see www.example.com. Then go.", ["see www.example.com.", "Then go."]),
        ("  padded.   Text.  ", ["padded.", "Text."]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_sentence_spans_in_a_slice_use_original_offsets() -> None:
    text = "xx One. Two. yy"
    spans = sentence_spans(text, 3, 12)
    assert [text[a:b] for a, b in spans] == ["One.", "Two."]


def test_long_unpunctuated_paragraph_is_cut_at_max_words() -> None:
    text = " ".join(["alpha"] * 100)
    got = [text[u.start : u.end] for u in units(text, 30)]
    assert [len(g.split()) for g in got] == [30, 30, 30, 10]
    check_units(text, 30)


def test_window_prefers_a_cut_after_clause_punctuation() -> None:
    text = "one two three four five six, seven eight nine ten eleven twelve"
    got = [text[u.start : u.end] for u in units(text, 8)]
    assert got == ["one two three four five six,", "seven eight nine ten eleven twelve"]


def test_window_keeps_numbers_and_contractions_whole() -> None:
    text = "a b c 3.5 d won’t e f g h"
    for u in units(text, 4):
        chunk = text[u.start : u.end]
        assert "3." not in chunk or "3.5" in chunk
        assert "won" not in chunk or "won’t" in chunk
    check_units(text, 4)


def test_oversized_token_becomes_its_own_unit() -> None:
    blob = "x" * 500
    text = f"before it {blob} after it"
    got = [text[u.start : u.end] for u in units(text, 10, max_chars=100)]
    assert got == ["before it", blob, "after it"]


def test_text_without_spaces_is_not_cut_inside_words() -> None:
    text = "これは日本語の文です。次の文です。"
    check_units(text, 2)
    assert "".join(text[u.start : u.end] for u in units(text, 2)) == text


def test_seed_article_units_cover_every_token() -> None:
    from pathlib import Path

    for path in sorted((Path(__file__).parent.parent / "seeds").glob("*.txt")):
        check_units(path.read_text(encoding="utf-8"), 60)


def test_max_words_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_words"):
        segment("text", 0)


_ALPHABET = st.sampled_from(
    list("abc XYZ éü") + [" ", "  ", "\t", "\n", "\r\n", "\n\n", "\r", "\u2029", "\u00a0"]
    + list(".,;:!?…'’\"“”‘«»()-—") + ["U.S.", "Mr.", "3.5", "...", "🎉", "日本", "www.x.com", "don’t"]
)


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(_ALPHABET, max_size=80), max_words=st.integers(1, 6))
def test_segmentation_invariants_hold_for_any_text(parts: list[str], max_words: int) -> None:
    check_units("".join(parts), max_words)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200), max_words=st.integers(1, 8))
def test_segmentation_invariants_hold_for_arbitrary_unicode(text: str, max_words: int) -> None:
    check_units(text, max_words)
