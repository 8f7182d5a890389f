"""Table building: source parsers on tiny fixtures, inflection expansion, the team phrase table."""

from __future__ import annotations

import gzip
from pathlib import Path

from restore.spin.tables import parse_table
from training.build_lexicon import (
    PHRASE_TABLE,
    TAGS,
    Thresholds,
    expand,
    parse_moby,
    parse_mythes,
    parse_pps,
    parse_wordnet,
    phrase_tables,
    read_phrase_table,
    round_robin,
    thesaurus_table,
    tortured_table,
    tortured_word_table,
    write_table,
)

FIXTURES = Path(__file__).resolve().parent / "data" / "spin"


def test_parse_wordnet_keeps_every_sense_in_order():
    wn = parse_wordnet(FIXTURES / "wordnet")
    assert wn[("country", "NOUN")] == [["state"], ["rural area"]]
    assert wn[("say", "VERB")] == [["state", "tell"]]
    assert wn[("eastern", "ADJ")] == [["oriental"]]


def test_parse_wordnet_relations_add_similar_and_also_see_synsets_after_the_senses():
    assert parse_wordnet(FIXTURES / "wordnet")[("huge", "ADJ")] == [[]]
    assert parse_wordnet(FIXTURES / "wordnet", relations=True)[("huge", "ADJ")] == [[], ["large", "big"]]
    assert parse_wordnet(FIXTURES / "wordnet", relations=True)[("large", "ADJ")] == [["big"], ["huge"]]


def test_broad_tables_take_function_words_as_adverb_and_adjective_heads_only():
    senses = {("just", "ADV"): [["merely", "only"], ["exactly"]], ("can", "NOUN"): [["tin"]],
              ("said", "-"): [["stated"]]}
    narrow = thesaurus_table(senses, Thresholds(), 6)
    broad = thesaurus_table(senses, Thresholds(), 24, function_heads=True)
    assert "just" not in narrow and broad["just"] == ["merely", "exactly"]  # "only" is a function word: never a choice
    assert "can" not in broad


def test_parse_mythes_drops_generic_related_and_antonyms():
    th = parse_mythes(FIXTURES / "mythes.dat")
    assert th[("say", "VERB")] == [["state", "tell"]]
    assert th[("say", "NOUN")] == [["voice"]]
    assert th[("delivery", "NOUN")] == [["supply", "bringing"]]


def test_parse_moby_and_pps():
    assert parse_moby(FIXTURES / "moby.txt")["big"] == ["large", "huge", "great"]
    rows = parse_pps(FIXTURES / "pps.tsv")
    assert ("artificial intelligence", "counterfeit consciousness", 100) in rows


def test_tortured_table_inverts_ranks_and_pluralises():
    table = tortured_table(parse_pps(FIXTURES / "pps.tsv"))
    assert table["artificial intelligence"] == ["simulated intelligence", "counterfeit consciousness"]
    assert table["random forests"] == ["irregular woodlands"]
    assert not any(k.startswith("big") for k in table)  # capitalised: never spun anyway


def test_tortured_word_table_pairs_the_swapped_words_and_skips_held_out_rows():
    rows = [
        ("neural network", "neural organization", 30),
        ("neural networks", "neural organizations", 5),
        ("network traffic", "organization traffic", 9),
        ("network model", "system model", 40),
        ("classification methods", "grouping methods", 20),
        ("deep learning", "profound learning", 500),  # held out by evaluation: none of its words is learned
        ("machine translation", "machine interpretation of", 3),  # not as many words: no pairing
        ("speech of data", "discourse for data", 2),  # function words are never swaps
        ("Big Data", "Big Data", 3),
    ]
    table = tortured_word_table(rows)
    assert table["network"] == ["organization", "system"]  # two phrases before one, more papers notwithstanding
    assert table["networks"] == ["organizations"] and table["classification"] == ["grouping"]
    assert "deep" not in table and "learning" not in table and "translation" not in table
    assert table["speech"] == ["discourse"] and "of" not in table
    assert all(" " not in k and all(" " not in c for c in v) for k, v in table.items())


def test_expand_inflects_heads():
    called = expand("call", ["know as"], "VERB")
    assert called["called"] == ["known as"]  # past tense and participle alike: the participle wins
    assert called["calls"] == ["knows as"] and called["calling"] == ["knowing as"]
    assert expand("country", ["international location"], "NOUN")["countries"] == ["international locations"]
    assert expand("office", ["place of work"], "NOUN")["offices"] == ["places of work"]
    assert expand("demand", ["call for"], "NOUN")["demands"] == ["calls for"]
    assert expand("break down", ["damage down"], "VERB")["broken down"] == ["damaged down"]
    assert expand("said", ["mentioned"], "-") == {"said": ["mentioned"]}


def test_round_robin_interleaves_senses():
    assert list(round_robin([["a", "b", "c"], ["d", "a"], ["e"]])) == ["a", "d", "e", "b", "c"]


def test_team_phrase_table():
    rows = read_phrase_table(PHRASE_TABLE)
    assert len(rows) >= 300
    assert {r.kind for r in rows} == {"grammar", "content", "spelling"}
    assert all(r.pos in ("-", *TAGS) and r.weight >= 0 and r.choices for r in rows)
    tables = phrase_tables(rows)
    assert tables["content"]["said"][1][0] == "mentioned"
    assert tables["grammar"]["including"][1][0] == "together with"
    assert "including" not in tables["content"]  # the surface row beats include -> embodying
    assert tables["spelling"]["colours"][1] == ["colors"]  # spelling rows go both ways
    assert tables["content"]["report"][0] == 0.0  # a blocker


def test_write_table_round_trips_and_is_byte_stable(tmp_path):
    table = {"in the": (1.5, ["within the"]), "don’t": (1.0, ["do not"])}
    write_table(tmp_path / "a.tsv.gz", table, "note")
    write_table(tmp_path / "b.tsv.gz", table, "note")
    assert (tmp_path / "a.tsv.gz").read_bytes() == (tmp_path / "b.tsv.gz").read_bytes()
    with gzip.open(tmp_path / "a.tsv.gz", "rt", encoding="utf-8") as f:
        assert parse_table(f) == {"don't": (1.0, ("do not",)), "in the": (1.5, ("within the",))}
