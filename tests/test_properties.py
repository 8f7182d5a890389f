"""Properties of ``fix`` over generated text, what is protected, and restoring restored text.

Generated text mixes spun words with quotes of every kind (straight single quotes too),
names, numbers, URLs, code-like lines and arbitrary Unicode (lone surrogates included):
``fix`` never raises on a ``str``, protected tokens come back byte-identical, and replaying
``explain(text).edits`` on the input gives ``fix(text)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from restore.edits import Edit, apply_edits
from restore.restorer import DEFAULT_MODEL_DIR, Restorer, compose, protected_spans
from restore.text import code_spans, is_code_line, protected_mask, quoted_spans, tokenize
from table_editor import EveryWordEditor, TableEditor

SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()
SEED = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")

_PIECES = st.one_of(
    st.sampled_from([
        "mentioned", "earlier than", "had been", "information convention", "japanese", "the", "said", "Moscow",
        "NATO", "2", "3.5", "10:30", "$4", "https://example.com/a?b=c", "x@y.org", "'", "'quoted words'",
        "don't", "Russia's", "students'", "'90s", '"', "“", "”", "‘", "’", "«", "»", "„", "`code`", "```",
        "if x > 2:", "x = 3 + 4", "replace('mentioned', 'said')", "print(x)", "}", "{",
        " ", "  ", "\t", "\n", "\r\n", "\n\n", "\u2029", ".", ",", "!", "?", "…", "(", ")", "—",
        "\ud800", "\udfff", "\x00", "\u200b", "🎉", "日本", "é",
    ]),
    st.text(max_size=4),  # arbitrary Unicode, lone surrogates included
)
TEXTS = st.lists(_PIECES, max_size=30).map(lambda parts: " ".join(parts))


@pytest.fixture(scope="module")
def tiny_restorer(tiny_model_dir: Path) -> Restorer:
    return Restorer.from_pretrained(tiny_model_dir)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXTS)
def test_the_trained_model_never_raises_and_its_edits_replay(tiny_restorer: Restorer, text: str) -> None:
    explained = tiny_restorer.explain(text, progress=False)
    assert isinstance(explained.text, str)
    assert apply_edits(text, explained.edits) == explained.text == tiny_restorer.fix(text, progress=False)
    blocked = protected_spans(text)
    assert not any(a < e.end and e.start < b for e in explained.edits for a, b in blocked)


@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
def test_protected_tokens_come_back_byte_identical_whatever_the_editor_wants(text: str) -> None:
    explained = Restorer(EveryWordEditor(max_words=7)).explain(text, progress=False)
    assert apply_edits(text, explained.edits) == explained.text
    blocked = protected_spans(text)
    assert not any(a < e.end and e.start < b for e in explained.edits for a, b in blocked)
    for a, b in blocked:  # each protected token is in the output, unmoved relative to the edits before it
        shift = sum(len(e.after) - (e.end - e.start) for e in explained.edits if e.end <= a)
        assert explained.text[a + shift : b + shift] == text[a:b]


@pytest.mark.skipif(not SHIPPED, reason="no shipped model")
@settings(max_examples=15, deadline=None)
@given(text=TEXTS)
def test_the_shipped_model_never_raises_and_its_edits_replay(text: str) -> None:
    import restore

    explained = restore.explain(text, progress=False)
    assert apply_edits(text, explained.edits) == explained.text == restore.fix(text, progress=False)


# ---- 4. straight single quotes, 5. code ------------------------------------------------------

SINGLE_QUOTED = "He said 'the officials mentioned the information convention had been cancelled' today."


def free_words(text: str) -> list[str]:
    tokens = tokenize(text)
    return [t.text for t, p in zip(tokens, protected_mask(text, tokens)) if not p]


def test_straight_single_quotes_protect_their_words() -> None:
    assert free_words(SINGLE_QUOTED) == ["said", "today"]
    assert Restorer(TableEditor()).fix(SINGLE_QUOTED) == SINGLE_QUOTED


@pytest.mark.parametrize(
    "text, free",
    [
        ("They don't know what Russia's students' plan mentioned.",
         ["don't", "know", "what", "students", "plan", "mentioned"]),
        ("In the '90s they mentioned it, and 'tis famous.", ["the", "they", "mentioned", "it", "and", "tis", "famous"]),
        ("rock 'n' roll was mentioned", ["rock", "roll", "was", "mentioned"]),
        ("'unclosed quote mentioned here", ["unclosed", "quote", "mentioned", "here"]),
        ("'one'\n\ntwo' mentioned", ["two", "mentioned"]),
    ],
)
def test_apostrophes_are_not_quotes(text: str, free: list[str]) -> None:
    assert free_words(text) == free


@pytest.mark.parametrize(
    "line", ["if x > 2:", "x = 3 + 4", "replace('mentioned', 'said')", "print(x)", "for (i = 0; i < n; i++) {",
             "}", "else:", "total += 2", "while n >= 2:", "return a == b"],
)
def test_code_lines_are_protected(line: str) -> None:
    assert is_code_line(line)
    text = f"They mentioned it.\n{line}\nThey mentioned it."
    assert Restorer(TableEditor({"mentioned": "said", "2": "two", "3": "three", "4": "four", "replace": "swap",
                                 "print": "show", "x": "y", "total": "sum"})).fix(text) == (
        f"They said it.\n{line}\nThey said it."
    )


@pytest.mark.parametrize(
    "line",
    ["for example:", "If the talks fail, they said:", "The word(s) were mentioned.", "Prices rose (by 2%) this year.",
     "The score was 3 - 2 at half time.", "_(Looking at watch, startled.)_", "He said the talks were over before noon;"],
)
def test_prose_lines_are_not_code(line: str) -> None:
    assert not is_code_line(line)


def test_inline_and_fenced_code_are_protected() -> None:
    text = "Run `mentioned --fast` now.\n```\nmentioned = 2\nfamous\n```\nIt was famous."
    spans = [text[a:b] for a, b in code_spans(text)]
    assert spans == ["`mentioned --fast`", "```\nmentioned = 2\nfamous\n```"]
    assert Restorer(TableEditor()).fix(text) == text.replace("It was famous", "It was noted")


def test_quoted_spans_pair_straight_single_quotes_only_around_words() -> None:
    text = "She said 'yes' and he said 'no, they mentioned it' - 'twas late."
    assert [text[a:b] for a, b in quoted_spans(text)] == ["'yes'", "'no, they mentioned it'"]


# ---- 9. restoring restored text changes nothing more ------------------------------------------

CHAIN = {"close to": "roughly", "roughly": "around", "mentioned": "said"}


def test_a_second_round_restores_what_the_first_wrote() -> None:
    text = "The troops stood close to Ukraine, officials mentioned."
    restorer = Restorer(TableEditor(CHAIN))
    explained = restorer.explain(text)
    assert explained.text == "The troops stood around Ukraine, officials said."
    assert restorer.fix(explained.text) == explained.text
    assert [(e.before, e.after) for e in explained.edits] == [("close to", "around"), ("mentioned", "said")]
    assert apply_edits(text, explained.edits) == explained.text
    one_round = Restorer(TableEditor(CHAIN), rounds=1)
    assert one_round.fix(text) != one_round.fix(one_round.fix(text))  # what a single pass left unstable


def test_an_edit_undone_by_the_second_round_leaves_no_edit() -> None:
    restorer = Restorer(TableEditor({"famous": "noted", "noted": "famous"}), rounds=2)
    explained = restorer.explain("It was famous.")
    assert explained == restorer.explain("It was famous.") and explained.text == "It was famous." and explained.edits == []


def test_rounds_must_be_a_positive_whole_number() -> None:
    with pytest.raises(ValueError, match="rounds must be"):
        Restorer(TableEditor(), rounds=0)


@st.composite
def two_rounds(draw) -> tuple[str, list[Edit], list[Edit]]:
    """A text, sorted edits of it, and sorted edits of what those make."""

    def edits_of(text: str) -> list[Edit]:
        cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
        out, pos = [], 0
        for a, b in zip(cuts[::2], cuts[1::2]):
            if a < pos:
                continue
            out.append(Edit(a, b, text[a:b], draw(st.text("abc ", max_size=4)), "R:WORD", draw(st.floats(0, 1))))
            pos = b + 1
        return out

    text = draw(st.text("xyz ", max_size=20))
    first = edits_of(text)
    return text, first, edits_of(apply_edits(text, first))


@settings(max_examples=300, deadline=None)
@given(case=two_rounds())
def test_composed_edits_replay_both_rounds(case: tuple[str, list[Edit], list[Edit]]) -> None:
    text, first, second = case
    composed = compose(text, first, second)
    assert apply_edits(text, composed) == apply_edits(apply_edits(text, first), second)
    assert all(text[e.start : e.end] == e.before for e in composed)
    assert all(a.end <= b.start for a, b in zip(composed, composed[1:]))


@pytest.mark.skipif(not SHIPPED, reason="no shipped model")
def test_the_shipped_model_is_stable_on_the_seed_article() -> None:
    import restore

    once = restore.fix(SEED, progress=False)
    assert restore.fix(once, progress=False) == once
