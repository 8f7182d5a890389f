"""Training on one's own text, as a new user would: the README's commands, and one-line errors.

``test_the_readmes_own_text_commands_work`` runs every command of the README section "Train on
your own text" on a tiny corpus, sized down (the ``tiny`` preset, few samples) but otherwise as
written; the rest check that each step says in one line what is missing.  The README itself is
checked too: short, its example is what the shipped model writes, its scores are the report's.
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

from conftest import TOY_SENTENCES
from restore import cli
from restore.restorer import DEFAULT_MODEL_DIR
from training import candidates, make_pairs, train, train_tokenizer

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()

# What each step adds to the README's command so that it runs in seconds.
SIZED_DOWN = {
    "training.make_pairs": ["--num_proc", "1", "--validation_percent", "10", "--test_percent", "10"],
    "training.train_tokenizer": ["--vocab_size", "400"],
    "training.train": ["--max_steps", "20", "--learning_rate", "1e-2", "--d_model", "64", "--ffn_dim", "128",
                       "--eval_steps", "10", "--save_steps", "10", "--disable_tqdm", "true"],
    "training.export": [],
    "training.candidates": ["--samples", "200", "--no-progress"],
    "training.calibrate": ["--samples", "12", "--news_samples", "6", "--clean_samples", "4", "--no-progress"],
}


def readme_section_commands(heading: str) -> list[list[str]]:
    """The commands of the first ``bash`` block under ``## heading`` of the README."""
    section = README.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line) for line in block.splitlines() if line.strip()]


def tiny_corpus(path: Path) -> None:
    """120 short documents of the toy sentences, separated by blank lines, with some non-ASCII."""
    docs = []
    for i in range(120):
        picked = [TOY_SENTENCES[(i + k) % len(TOY_SENTENCES)] for k in range(3)]
        docs.append(" ".join(picked) + (" The café said it was open." if i % 7 == 0 else ""))
    path.write_text("\n\n".join(docs) + "\n", encoding="utf-8")


def test_the_readmes_own_text_commands_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    tiny_corpus(tmp_path / "my.txt")
    (tmp_path / "spun.txt").write_text("Officials mentioned the talks had been over earlier than noon.\n")
    commands = readme_section_commands("Train on your own text")
    assert [c[:3] for c in commands[:-1]] == [["python", "-m", m] for m in SIZED_DOWN]
    for command in commands[:-1]:
        module = command[2]
        args = ["tiny" if a == "cpu" and prev == "--preset" else a for prev, a in zip([""] + command[3:], command[3:])]
        importlib.import_module(module).main(args + SIZED_DOWN[module])
    assert commands[-1][:2] == ["restore", "fix"]
    capsys.readouterr()
    assert cli.main(commands[-1][1:]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Officials") and out.endswith("\n")
    model = tmp_path / "models" / "my-model"
    assert (model / "candidates.tsv.gz").is_file() and (model / "calibration.json").is_file()


def test_make_pairs_without_the_shared_corpora_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as raised:
        make_pairs.main(["--corpora", str(tmp_path / "none"), "--output", str(tmp_path / "pairs")])
    message = str(raised.value.code)
    assert message.startswith("training.make_pairs: error: the corpus 'ungdc-1' is not here")
    assert "--sources my.txt" in message and "\n" not in message


def test_make_pairs_on_a_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    corpus = tmp_path / "latin.txt"
    corpus.write_bytes("The café said it was open.\n\nThey said so.\n".encode("latin-1"))
    with pytest.raises(SystemExit) as raised:
        make_pairs.main(["--sources", str(corpus), "--output", str(tmp_path / "pairs")])
    assert str(raised.value.code) == (
        f"training.make_pairs: error: {corpus} is not valid UTF-8 (byte 0xe9 at offset 7); "
        f"convert it first, e.g. iconv -f latin1 -t utf-8 {corpus} > converted.txt"
    )


def test_make_pairs_on_a_folder_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="is not a file: give --sources text files"):
        make_pairs.main(["--sources", str(tmp_path), "--output", str(tmp_path / "pairs")])


def test_candidates_without_the_shared_corpora_names_the_flag(tmp_path: Path) -> None:
    if all(Path(make_pairs.source_spec(s)[1]).is_file() for s in candidates.CONTEXT_SOURCES):
        pytest.skip("the shared corpora are here")
    with pytest.raises(SystemExit, match=r"training.candidates: error: the corpus '[\w-]+' is not here.*--context_sources my.txt"):
        candidates.main([str(tmp_path), "--samples", "0"])


@pytest.mark.parametrize("step", [train_tokenizer, train])
def test_training_before_the_pairs_exist_is_one_line(step, tmp_path: Path) -> None:
    argv = ["--pairs", str(tmp_path / "none")]
    if step is train:
        argv += ["--preset", "tiny", "--output_dir", str(tmp_path / "run")]
    with pytest.raises(SystemExit, match=r"no pairs at .*none; make them first"):
        step.main(argv)


# ---- the README itself ---------------------------------------------------------------------


def test_readme_is_short_and_keeps_the_test_command() -> None:
    assert len(README.splitlines()) <= 180
    after_marker = README.split("<!-- test-command -->", 1)[1]
    block = after_marker.split("```bash\n", 1)[1].split("\n```", 1)[0].splitlines()
    assert block[-1] == "pip install -e '.[test]' && python -m pytest"
    # before it, only the install of Debian's Chromium for the browser test, skipped where it is there
    assert len(block) == 2 and block[0].startswith("command -v chromedriver >/dev/null ||")
    assert "apt-get install -y -qq chromium chromium-driver" in block[0]
    for doc in ("docs/training.md", "docs/how-it-works.md", "docs/research-log.md"):
        assert doc in README and (REPO / doc).is_file()


def test_readme_scores_are_the_reports() -> None:
    report = (REPO / "benchmarks" / "results" / "report.md").read_text(encoding="utf-8")
    table = README.split("## Scores\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows
    for suite, _, removed, reach, damage, speed in ([c.strip() for c in row] for row in rows):
        section = report.split(f"### {suite}\n", 1)[1].split("\n### ", 1)[0]
        lines = section.splitlines()
        header = [c.strip() for c in next(line for line in lines if line.startswith("| system |")).split("|")[1:-1]]
        seq2seq = dict(zip(header, (c.strip() for c in next(line for line in lines if line.startswith("| seq2seq |")).split("|")[1:-1])))
        assert (seq2seq["spin removed"], seq2seq["reachability"], seq2seq["damage"], seq2seq["words/s"]) == (
            removed, reach, damage, speed), suite


@pytest.mark.skipif(not SHIPPED, reason="no shipped model")
def test_readme_example_is_what_the_shipped_model_writes() -> None:
    import restore

    spun = re.search(r"^spun: +(.+)$", README, re.M).group(1)
    restored = re.search(r"^restored: +(.+)$", README, re.M).group(1)
    assert restore.fix(spun, progress=False) == restored
