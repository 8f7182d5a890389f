"""The benchmark harness: suites, the lexicon editor, failure examples and a --quick run end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from restore import Restorer
from restore.edits import Edit, apply_edits

from benchmarks import suites as S
from benchmarks.report import failure_examples
from benchmarks.systems import REGISTRY, SystemUnavailable
from benchmarks.systems.lexicon import LexiconEditor
from restore.candidates.channel import Channel
from benchmarks.systems.seq2seq import Seq2SeqSystem

TINY = Path(__file__).parent / "data" / "bench_tiny.jsonl"


class UnigramLM:
    """A toy language model: fixed log-probabilities per word, no context."""

    LOGP = {"said": -2.0, "news": -3.0, "conference": -3.0, "massive": -5.0, "a": -1.0}

    def logprob(self, word: str, prev1: str, prev2: str) -> float:
        return self.LOGP.get(word, -8.0)


@pytest.fixture(scope="module")
def toy_editor() -> LexiconEditor:
    table = {
        "said": (1.0, ("mentioned", "stated")),
        "news conference": (1.0, ("information convention",)),
        "massive": (1.0, ("enormous",)),
    }
    return LexiconEditor(Channel([(table, 0.4)]), UnigramLM(), keep_bonus=1.0)


def test_channel_inverts_the_tables():
    channel = Channel([({"said": (1.0, ("mentioned", "stated")), "were": (2.0, ("had been",))}, 0.5)])
    assert [c.source for c in channel.candidates[("mentioned",)]] == ["said"]
    assert [c.source for c in channel.candidates[("had", "been")]] == ["were"]
    assert channel.max_len["had"] == 2
    assert channel.keep_logp["were"] < channel.keep_logp["said"] < 0  # more eagerly spun, less likely kept


def test_lexicon_editor_undoes_spin_and_fixes_the_article(toy_editor):
    unit = "At an information convention he mentioned an enormous risk."
    [edits] = toy_editor.propose([unit])
    assert apply_edits(unit, edits) == "At a news conference he said a massive risk."
    assert all(0.0 < e.confidence <= 1.0 for e in edits)


def test_lexicon_editor_respects_protection_and_leaves_clean_text(toy_editor):
    restorer = Restorer(editor=toy_editor)
    clean = 'He said “it was mentioned” and left.\n\nThey said so.'
    assert restorer.fix(clean) == clean
    assert restorer.fix("Mentioned twice, he mentioned it.") == "Mentioned twice, he said it."


def test_failure_examples_name_false_edits_and_misses():
    found = failure_examples(
        ["u1"], ["he mentioned the supply yesterday ."], ["he said the provide yesterday ."],
        ["he said the delivery yesterday ."],
    )
    [miss] = found["misses"]
    [false_edit] = found["false_edits"]
    assert miss["source"] == "he mentioned the **supply** yesterday ."
    assert (miss["system"], miss["reference"]) == ("provide", "delivery")
    assert (false_edit["system"], false_edit["reference"]) == ("provide", "delivery")
    changes = failure_examples(["s"], ["a b c"], ["a x c"], [None])["changes"]
    assert changes == [{"id": "s", "before": "b", "after": "x"}]


def test_torture_replaces_whole_words_only():
    assert S.torture("cancer and cancerous cancer.", "cancer", "malignant growth") == (
        "malignant growth and cancerous malignant growth."
    )
    assert S.torture("big data data", "data", "information data") == "big information data information data"


def test_suites_file_and_seed_suite():
    suites = {s.name: s for s in S.load_suites_file(TINY)}
    assert set(suites) == {"news", "clean", "seed"}
    assert suites["seed"].items[0].reference is None
    seed = S.build_suites(["seed"])[0]
    assert seed.items and seed.items[0].reference is None
    assert seed.signature().startswith(f"suite:seed|v:{S.VERSION}|")


def test_news_suites_are_deterministic_and_know_their_gold_spans():
    try:
        S.shared_dir()
    except FileNotFoundError:
        pytest.skip("no shared data folder")
    names = ["news-unseen", "news-unseen-moby", "news"]
    a = S.build_suites(names, quick=True)
    b = S.build_suites(names, quick=True)
    assert [s.content_hash for s in a] == [s.content_hash for s in b]
    unseen, moby, news = a
    assert (unseen.params["profile"], moby.params["profile"], news.params["profile"]) == ("heldout", "moby", "news")
    assert len(news.items) == S.SIZES["quick"]["news"]
    assert [i.reference for i in news.items] == [i.reference for i in unseen.items] == [i.reference for i in moby.items]
    assert all(i.id.startswith(("ntrex:", "wikinews/")) for i in news.items)
    for suite in a:
        assert sum(i.source != i.reference for i in suite.items) > 0.8 * len(suite.items)
        for item in suite.items:  # every gold span, put back, gives the reference
            assert item.gold is not None and bool(item.gold) == (item.source != item.reference)
            restored = apply_edits(item.source, [Edit(a, z, item.source[a:z], c) for a, z, c in item.gold])
            assert restored.lower() == item.reference.lower()


def test_tortured_suites_split_the_list_and_clean_registers_hold_no_spin():
    try:
        shared = S.shared_dir()
    except FileNotFoundError:
        pytest.skip("no shared data folder")
    from training.heldout import is_heldout_phrase

    known, unseen = S.build_suites(["tortured", "tortured-unseen"], quick=True)
    for suite, held_out in ((known, False), (unseen, True)):
        assert len(suite.items) == S.SIZES["quick"][suite.name]
        for item in suite.items:
            expected = item.id.split("|", 1)[1]
            assert is_heldout_phrase(expected) == held_out
            assert all(item.reference.lower().find(c.lower()) >= 0 for _, _, c in item.gold)
            restored = apply_edits(item.source, [Edit(a, z, item.source[a:z], c) for a, z, c in item.gold])
            assert restored.lower() == item.reference.lower()  # edge words shared case-blind stay as spun
    assert not set(S.tortured_phrases(shared)) & set(S.tortured_phrases(shared, held_out=True))
    for suite in S.build_suites(["clean-speeches", "clean-fiction"], quick=True):
        assert suite.items and all(i.source == i.reference and i.gold == () for i in suite.items)
        prefix = {"clean-speeches": "ungdc-4/", "clean-fiction": "gutenberg/"}[suite.name]
        assert all(i.id.startswith(prefix) for i in suite.items)


def test_held_out_resources_stay_out_of_training_and_tables():
    from restore.candidates.features import SPIN_PROFILES
    from restore.spin import PROFILES
    from restore.spin.tables import load_table
    from training.candidates import DEFAULT_PROFILES
    from training.heldout import HELD_OUT_PROFILES, HELD_OUT_TABLES, is_heldout_phrase
    from training.make_pairs import TRAINING_PROFILES

    used = set(TRAINING_PROFILES) | set(DEFAULT_PROFILES) | set(SPIN_PROFILES)
    assert not used & HELD_OUT_PROFILES
    for name in used:
        assert not {t.table for t in PROFILES[name].tables} & HELD_OUT_TABLES
    assert {t.table for t in PROFILES["heldout"].tables} <= HELD_OUT_TABLES
    try:
        held_out = {e.lower() for e in S.tortured_phrases(S.shared_dir(), held_out=True)}
    except FileNotFoundError:
        pytest.skip("no shared data folder")
    assert held_out and all(is_heldout_phrase(e) for e in held_out)
    tortured = load_table("tortured")
    assert tortured and not held_out & set(tortured)
    # the word-by-word swaps: the shipped table is what the list gives with the held-out rows taken out first
    from training.build_lexicon import parse_pps, tortured_word_table

    rows = parse_pps(S.shared_dir() / "tortured-phrases" / "pps-dev.tsv")
    learned = tortured_word_table([r for r in rows if not is_heldout_phrase(r[0])])
    assert {k: list(v) for k, (_, v) in load_table("tortured_words").items()} == learned


def test_dev_paragraphs_are_held_out_news_that_no_suite_scores():
    try:
        shared = S.shared_dir()
    except FileNotFoundError:
        pytest.skip("no shared data folder")
    dev = S.dev_paragraphs(shared)
    assert len(dev) > 500 and all(i.startswith(("ntrex:", "wikinews/")) for i, _ in dev)
    scored = S.build_suites(["news", "clean", "tortured", "tortured-unseen"])
    texts = [p for _, p in dev]
    for suite in scored:
        references = {it.reference for it in suite.items}
        assert not references & set(texts)
        if suite.name.startswith("tortured"):  # not even as a sentence of a dev paragraph
            assert not any(r in p for r in references for p in texts)
    assert S.dev_paragraphs(shared) == dev


def test_diagnose_on_dev_paragraphs_spins_them_with_the_suites_profile(capsys):
    from benchmarks.diagnose import dev_items, main

    try:
        shared = S.shared_dir()
    except FileNotFoundError:
        pytest.skip("no shared data folder")
    items = dev_items("news-unseen", 4)
    dev = S.dev_paragraphs(shared)[:4]
    assert [it.reference for it in items] == [p for _, p in dev]
    assert all(bool(it.gold) == (it.source != it.reference) for it in items) and any(it.gold for it in items)
    assert items == [S.spun_item(it.id, it.reference, S.SEED + k, S.SPUN_PROFILES["news-unseen"]) for k, it in enumerate(items)]
    with pytest.raises(SystemExit):
        main(["--suite", "tortured", "--dev"])
    assert "--dev spins dev news paragraphs" in capsys.readouterr().err


def test_seq2seq_without_a_model_is_unavailable(tmp_path):
    with pytest.raises(SystemUnavailable):
        Seq2SeqSystem.load(tmp_path)
    assert {"identity", "lexicon", "seq2seq"} <= set(REGISTRY)


def test_quick_run_end_to_end(tmp_path):
    from benchmarks.run import main

    code = main(["--quick", "--systems", "identity", "lexicon", "--suites-file", str(TINY),
                 "--output", str(tmp_path), "--no-progress"])
    assert code == 0
    run = json.loads((tmp_path / "report.json").read_text())
    news = run["scores"]["news"]
    assert news["identity"]["spin_removed"] == 0.0 and news["identity"]["damage"] == 0.0
    assert news["lexicon"]["spin_removed"] > 0.2
    assert run["scores"]["clean"]["lexicon"]["spin_removed"] is None
    assert run["scores"]["seed"]["lexicon"]["changed"] > 0
    assert news["identity"]["stable"] == 1.0 and 0.0 < news["lexicon"]["stable"] <= 1.0
    # reachability: tiny:0 lists its gold spans; the lexicon system considers "said" for "mentioned"
    assert news["lexicon"]["gold_spans"] == 10 and 0 < news["lexicon"]["reachable_spans"] <= 10
    assert "reachability" not in news["identity"]  # identity considers nothing
    assert run["systems"]["lexicon"]["peak_rss_mb"] > 0 and news["lexicon"]["words_per_s"] > 0
    assert run["signature"].startswith("suites:news@v")
    md = (tmp_path / "report.md").read_text()
    assert "| lexicon |" in md and "## Failures" in md
    assert (tmp_path / "spin_removed_vs_speed.png").stat().st_size > 0
    assert (tmp_path / "seed-lexicon.txt").read_text().startswith("Stoltenberg said")



def test_lexicon_editor_keeps_other_whitespace(toy_editor):
    unit = "an information  convention, an information\tconvention"
    [edits] = toy_editor.propose([unit])
    assert edits == []


def test_model_hash_ignores_the_card_but_not_the_weights(tmp_path) -> None:
    from benchmarks.systems.seq2seq import model_hash

    (tmp_path / "model.safetensors").write_bytes(b"weights")
    (tmp_path / "README.md").write_text("card")
    first = model_hash(tmp_path)
    (tmp_path / "README.md").write_text("card with scores")
    assert model_hash(tmp_path) == first
    (tmp_path / "model.safetensors").write_bytes(b"other weights")
    assert model_hash(tmp_path) != first


def test_diagnose_sorts_every_gold_span(tiny_model_dir: Path) -> None:
    from benchmarks.diagnose import OUTCOMES, diagnose, report
    from benchmarks.spans import gives_back, gold_span as changed_part, reachable

    clean = ["The minister said the plan would help many people in eastern regions.",
             "Officials said on Monday that the government would hold a news conference."]
    items = [S.spun_item(str(k), c, 7 + k, "news") for k, c in enumerate(clean)]
    found = diagnose(Restorer.from_pretrained(tiny_model_dir), items)
    assert found["gold spans"] == sum(found[o] for o in OUTCOMES) == sum(len(i.gold) for i in items) > 0
    assert len(found["rejected confidences"]) == found["reachable but rejected"]
    assert "| restored |" in report(found) and "| unreachable |" in report(found)
    unit = "He mentioned information convention."
    gold = [(3, 12, "said"), (13, 24, "news"), (25, 35, "conference")]
    assert gives_back(Edit(3, 12, "mentioned", "Said", "R:WORD", 0.9), unit, gold)
    assert not gives_back(Edit(3, 12, "mentioned", "told", "R:WORD", 0.9), unit, gold)
    assert gives_back(Edit(13, 35, "information convention", "news conference", "R:PHRASE", 0.9), unit, gold)
    assert not gives_back(Edit(13, 20, "informa", "news", "R:WORD", 0.9), unit, gold)  # cuts a span
    spun = "Rain within the city."  # the spinner's "in the" -> "within the" is "in" -> "within"
    assert changed_part(spun, 5, 15, "in the") == (5, 11, "in")
    assert gives_back(Edit(5, 11, "within", "in", "R:WORD", 0.9), spun, [changed_part(spun, 5, 15, "in the")])
    assert changed_part("a peace treaty", 2, 14, "peace") == (2, 14, "peace")  # a deletion keeps its word
    considered = [Edit(3, 12, "mentioned", "told"), Edit(3, 12, "mentioned", "said"), Edit(13, 24, "information", "news")]
    assert reachable(considered, unit, gold) == [True, True, False]
    with pytest.raises(ValueError, match="no gold spans"):
        diagnose(Restorer.from_pretrained(tiny_model_dir), [S.Item("x", "He mentioned it.", "He said it.")])
