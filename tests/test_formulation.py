"""The tag-then-generate contract: targets from pairs, and edits back from spans."""

from __future__ import annotations

import pytest

from restore.edits import apply_edits
from restore.model.formulation import BEGIN, INSIDE, KEEP, Span, edits_from_spans, spans_from_pair, spans_from_tags, tags_from_spans

PAIRS = [
    ("He mentioned the information convention was held within the city.", "He said the news conference was held in the city."),
    ("the brand new plan", "the new plan"),
    ("brand new plans", "new plans"),
    ("Officials had been prepared to listen.", "Officials were ready to listen."),
    ("He known as for talks", "He called for talks"),
    ("It was fine.", "It was fine."),
    ("a b", "a x b"),
    ("x", "y z"),
    ("Troops within the east", "Troops in the east, too"),
]


@pytest.mark.parametrize("spun,clean", PAIRS)
def test_spans_replay_to_clean(spun: str, clean: str) -> None:
    tokens, spans = spans_from_pair(spun, clean)
    assert apply_edits(spun, edits_from_spans(spun, tokens, spans)) == clean


def test_spans_cover_the_spun_words() -> None:
    tokens, spans = spans_from_pair(*PAIRS[0])
    assert [(" ".join(t.text for t in tokens[s.first : s.last]), s.replacement) for s in spans] == [
        ("mentioned", "said"),
        ("information convention", "news conference"),
        ("within", "in"),
    ]


def test_tags_round_trip() -> None:
    spans = [Span(1, 2, "said"), Span(3, 5, "news conference"), Span(5, 6, "in")]
    tags = tags_from_spans(7, spans)
    assert tags == [KEEP, BEGIN, KEEP, BEGIN, INSIDE, BEGIN, KEEP]
    assert spans_from_tags(tags) == [(1, 2), (3, 5), (5, 6)]
    assert spans_from_tags([INSIDE, INSIDE, KEEP, INSIDE]) == [(0, 2), (3, 4)]


def test_unchanged_replacement_is_no_edit() -> None:
    tokens, _ = spans_from_pair("He said it", "He said it")
    assert edits_from_spans("He said it", tokens, [Span(1, 2, "said")]) == []
