"""The spinner: its contract (spans, protection, determinism, errors) and its habits."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from restore.spin import PROFILES, SpinResult, SpinSpan, spin
from restore.spin.articles import agree, article_for
from restore.spin.tables import load_table, merge, parse_table
from restore.text import protected_mask, tokenize

NEWS = (
    "The U.S. has delivered its reply to recent Russian demands for sweeping security guarantees, "
    "including a withdrawal of forces and hard assurances that the country will never join the alliance.\n\n"
    "Moscow issued its demands in the form of proposed security “treaties” following an outcry over a "
    "massive military mobilization involving more than 100,000 troops as well as tanks and other "
    "sophisticated weapons. At his news conference, the secretary general called for restoring channels "
    "that have broken down in recent years, officials said.\n"
    'He said the two countries were ready to hear the concerns about its role in the war in eastern regions. '
    "A photo showed him wearing a black mask before leaving without replying to a reporter's question. "
    "It's an important step, and they don't know where the delivery went; see https://example.com/a-b for more."
)


def replay(clean: str, spans: list[SpinSpan]) -> str:
    out, pos = [], 0
    for s in spans:
        assert clean[s.clean_start : s.clean_end] == s.clean
        out.append(clean[pos : s.clean_start])
        out.append(s.spun)
        pos = s.clean_end
    out.append(clean[pos:])
    return "".join(out)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("seed", [0, 1, 7])
def test_spans_replay_to_the_spun_text(profile, seed):
    result = spin(NEWS, seed=seed, profile=profile, return_spans=True)
    assert isinstance(result, SpinResult)
    assert result.profile == profile and result.seed == seed
    assert result.spans, "the default rate changes something in this text"
    assert replay(NEWS, result.spans) == result.text
    for s in result.spans:
        assert result.text[s.spun_start : s.spun_end] == s.spun
        assert s.clean != s.spun
    assert all(a.clean_end <= b.clean_start for a, b in zip(result.spans, result.spans[1:]))
    assert spin(NEWS, seed=seed, profile=profile) == result.text


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_protected_tokens_whitespace_and_punctuation_survive(profile):
    result = spin(NEWS, seed=3, profile=profile, rate=1.0, return_spans=True)
    tokens = tokenize(NEWS)
    mask = protected_mask(NEWS, tokens)
    for tok, protected in zip(tokens, mask):
        if not protected:
            continue
        for s in result.spans:
            if s.clean_start <= tok.start < s.clean_end:
                # the only protected token a change may take along: a capitalised article it fixed
                assert tok.text in ("A", "An") and tok.start == s.clean_start, (tok, s)
    for s in result.spans:
        assert "\n" not in s.clean and "\n" not in s.spun
    assert result.text.count("\n") == NEWS.count("\n")
    assert "“treaties”" in result.text and "100,000" in result.text and "https://example.com/a-b" in result.text
    assert result.text.startswith("The U.S. ") and "\n\nMoscow " in result.text and "\nHe " in result.text


def test_standalone_numbers_are_free_to_restore_but_never_spun():
    """Spinners write number words as digits (two -> 2), so a standalone digit is not protected;
    a number inside a figure is, and so is 10 or more (news writes those in digits); the
    spinner changes none of them either way."""
    text = "Only 2 of the 12 ships, (3) in all, cost 2.5 million, $4, 5%, 3,000 or 10:30 in 2019, 7."
    tokens = tokenize(text)
    free = {(t.text, t.start) for t, p in zip(tokens, protected_mask(text, tokens)) if not p and t.text[0].isdigit()}
    assert free == {("2", 5), ("3", 25), ("7", 86)}
    for seed in range(20):
        result = spin(text, seed=seed, profile="news", rate=1.0, return_spans=True)
        assert not any(any(c.isdigit() for c in s.clean) for s in result.spans)
    assert any("2" in spin("The two ships left.", seed=s, profile="news", rate=1.0) for s in range(20))


def test_small_numbers_where_news_writes_figures_stay_protected():
    """Dates, times, measures, ranges and labels keep their figures in news even for one to nine."""
    def free(text: str) -> list[str]:
        tokens = tokenize(text)
        return [t.text for t, p in zip(tokens, protected_mask(text, tokens)) if not p and t.text.isdigit()]

    assert free("The 2 teams met on June 2, on Aug. 7 and at 7 a.m. and 3 p.m.") == ["2"]
    assert free("Expect 2 to 4 inches, up to 6 inches, 5 million, 3 percent and 8 years old; 9 years passed.") == ["9"]
    assert free("On Day 3 they watched Channel 5 with 2 friends.") == ["2"]
    assert free("In 3 days, 4 of them left.") == ["3", "4"]  # a capital that opens the sentence is no label


def test_deterministic_and_seed_dependent():
    outs = {spin(NEWS, seed=s) for s in range(6)}
    assert len(outs) > 1
    assert spin(NEWS, seed=5) == spin(NEWS, seed=5)
    assert spin(NEWS, seed=5, consistent=False) == spin(NEWS, seed=5, consistent=False)


def test_consistent_choice_per_document():
    text = "She said it was fine. He said no. They said yes. We said maybe. You said so."
    out = spin(text, seed=2, rate=1.0, return_spans=True)
    said = {s.spun for s in out.spans if s.clean == "said"}
    assert len(said) == 1 and "said" not in out.text
    # the same seed gives the same choice in another piece of the same document
    piece = spin("Officials said so.", seed=2, rate=1.0)
    assert piece == f"Officials {said.pop()} so."


def test_rate_zero_and_empty_and_type_errors():
    assert spin(NEWS, rate=0.0) == NEWS
    assert spin("") == ""
    assert spin("", return_spans=True) == SpinResult("", [], "news", 0)
    with pytest.raises(TypeError, match="bytes"):
        spin(b"text")
    with pytest.raises(TypeError, match="NoneType"):
        spin(None)
    with pytest.raises(ValueError, match="profile"):
        spin("text", profile="nope")
    with pytest.raises(ValueError, match="rate"):
        spin("text", rate=1.5)


def test_profiles_named_and_calibrated():
    assert {"news", "wordnet", "tortured", "moby"} <= set(PROFILES)
    for p in PROFILES.values():
        assert 0 < p.rate <= 1 and p.description and p.tables


def test_inflection_kept():
    assert spin("He called for talks.", rate=1.0, seed=0) in {
        "He known as for talks.",
        "He referred to as for talks.",
    }
    out = spin("the two countries and their offices", rate=1.0, seed=4)
    assert out.startswith("the 2 ") and ("nations" in out or "international locations" in out)
    assert "places of work" in out or "workplaces" in out
    assert spin("they showed it", rate=1.0, seed=0).split()[1] in {"confirmed", "presented", "exhibited"}
    assert spin("had broken down", rate=1.0, seed=0) == "had damaged down"


def test_article_agreement_takes_the_article_into_the_span():
    seen = set()
    for seed in range(40):
        result = spin("It was a massive mobilization. A huge crowd came.", seed=seed, rate=1.0, return_spans=True)
        for s in result.spans:
            words = s.spun.split(" ")
            if s.clean.split(" ")[0].lower() in ("a", "an"):
                assert words[0].lower() == article_for(words[1]), s
                seen.add(s.spun.split(" ")[0])
        assert " a enormous" not in result.text and "an huge" not in result.text
    assert "an" in seen or "An" in seen


def test_articles():
    assert article_for("enormous") == "an" and article_for("huge") == "a"
    assert article_for("university") == "a" and article_for("hour") == "an"
    assert agree("A", "enormous") == "An" and agree("an", "large") == "a" and agree("a", "big") == "a"


def test_apostrophe_style_follows_the_text():
    assert spin("they don’t know", rate=1.0, seed=0) == "they do not know"
    curly = spin("it is fine, isn’t it", rate=1.0, seed=0, profile="news")
    assert "it’s" in curly or "it is" in curly
    assert "'" not in curly


def test_grammar_rewrites_of_the_news_profile():
    text = "most of the people were there in the morning, including those who came because of rain"
    out = spin(text, seed=0, rate=1.0)
    for expected in ("many of the", "had been", "within the", "together with", "these"):
        assert expected in out or expected.replace("had been", "have been") in out, out


def test_phrase_entries_shadow_thesaurus_phrases():
    curated = {"called": (1.0, ("known as",))}
    thesaurus = {"called for": (1.0, ("requested",)), "tables": (1.0, ("boards",))}
    lex = merge([(curated, 1.0, 0), (thesaurus, 1.0, 0)])
    assert "called for" not in lex.entries and lex.entries["tables"] == (1.0, ("boards",))
    assert lex.max_len == {"called": 1, "tables": 1}


def test_tables_parse_and_stay_compact():
    assert parse_table(["# note\n", "in the\t1.5\twithin the\n"]) == {"in the": (1.5, ("within the",))}
    data = Path(__file__).resolve().parent.parent / "restore" / "spin" / "data"
    assert sum(f.stat().st_size for f in data.iterdir()) < 8_000_000  # the broad tables and vectors: 2.3 MB
    assert (data / "LICENSES.md").exists()
    for f in data.glob("*.tsv.gz"):
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            assert fh.readline().startswith("# ")
    assert load_table("phrases_content")["said"][1][0] == "mentioned"


def test_phrases_never_span_other_whitespace():
    assert spin("in the", rate=1.0) == "within the"
    for text in ("in  the", "in\tthe", "in\nthe", "in\u00a0the"):
        assert "within" not in spin(text, rate=1.0, profile="news")
    out = spin("it was a\nmassive crowd", rate=1.0, seed=1, return_spans=True)
    assert all("\n" not in s.clean for s in out.spans) and " a\n" in out.text
