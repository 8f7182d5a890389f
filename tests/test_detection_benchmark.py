"""benchmarks.detection's measures (no model): AUROC, span overlap scores, the lookup baseline, the report section."""

from __future__ import annotations

import math

from benchmarks.detection import (
    BEGIN, END, PhraseLookup, auroc, include_section, lookup_detector, render_section, span_counts, span_scores,
)


def test_auroc_ranks_with_ties_half() -> None:
    assert auroc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auroc([0.1], [0.9]) == 0.0
    assert auroc([0.5, 0.5], [0.5]) == 0.5
    assert auroc([0.9, 0.4], [0.5, 0.1]) == 0.75
    assert math.isnan(auroc([], [0.1]))


def test_span_scores_count_overlaps() -> None:
    counts = span_counts([(0, 5), (10, 12), (30, 40)], [(3, 8), (20, 25), (35, 36)])
    assert counts == {"predicted": 3, "predicted_right": 2, "gold": 3, "gold_found": 2}
    scores = span_scores([counts])
    assert scores["precision"] == scores["recall"] == 2 / 3 and abs(scores["f0.5"] - 2 / 3) < 1e-12
    assert span_scores([span_counts([], [(1, 2)])])["f0.5"] == 0.0


def test_phrase_lookup_whole_words_any_case() -> None:
    lookup = PhraseLookup(["counterfeit consciousness", "bosom peril"])
    text = "Counterfeit  consciousness and bosom perils, not counterfeit consciousnesses; bosom peril."
    assert [text[a:z] for a, z in lookup(text)] == ["Counterfeit  consciousness", "bosom peril"]
    (score, spans), = lookup_detector(lookup)(["bosom peril here"])
    assert spans == [(0, 11)] and score == 1 / 3


def test_section_goes_into_the_report_once() -> None:
    result = {"quick": True, "started": "now", "systems": {"restore": {"news": {"units": 3,
        "auroc": 0.99, "auroc_vs_clean": 0.98, "precision": 0.9, "recall": 0.5, "f0.5": 0.8,
        "clean_spans_per_100_words": 1.0}}}}
    section = render_section(result)
    assert section.startswith(BEGIN) and section.endswith(END) and "| news | 3 | restore | 0.990 (0.980) |" in section
    once = include_section("# report\n", section)
    assert include_section(once, section) == once and once.count(BEGIN) == 1
