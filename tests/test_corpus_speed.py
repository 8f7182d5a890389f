"""The corpus job's speed measure (benchmarks.corpus_speed) on a tiny model and a tiny corpus."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from benchmarks import corpus_speed

PARAGRAPHS = [
    "Officials said the new bridge would open next year after a long delay.",
    "The company announced that its profits had risen sharply in the third quarter.",
    "",
    "Residents were told to leave their homes as the river kept rising.",
]


def shared_news(root: Path) -> Path:
    news = root / "corpora" / "news"
    news.mkdir(parents=True)
    for name, lines in (("ntrex-newstest2019-en.txt.gz", PARAGRAPHS[:2]), ("wikinews-x.txt.gz", PARAGRAPHS[2:])):
        with gzip.open(news / name, "wt", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    return root


def test_the_file_holds_whole_spun_paragraphs_seed_after_seed(tmp_path: Path) -> None:
    shared = shared_news(tmp_path / "shared")
    held = corpus_speed.spun_news_file(tmp_path / "a.txt", 600, shared)
    text = (tmp_path / "a.txt").read_text(encoding="utf-8")
    paragraphs = text.rstrip("\n").split("\n\n")
    assert held["bytes"] == len(text.encode()) >= 600 and held["paragraphs"] == len(paragraphs) > 3
    assert held["seeds"] >= 2 and held["sources"] == ["ntrex-newstest2019-en.txt.gz", "wikinews-x.txt.gz"]
    assert paragraphs[0] != PARAGRAPHS[0]  # spun
    corpus_speed.spun_news_file(tmp_path / "b.txt", 600, shared)
    assert (tmp_path / "b.txt").read_text(encoding="utf-8") == text  # deterministic


def test_the_measure_joins_speed_json_beside_what_is_there(tmp_path: Path, tiny_model_dir: Path) -> None:
    shared = shared_news(tmp_path / "shared")
    output = tmp_path / "speed.json"
    output.write_text(json.dumps({"words": 1000}))
    result = corpus_speed.main(["--megabytes", "0.001", "--jobs", "1", "--model", str(tiny_model_dir),
                                "--shared", str(shared), "--output", str(output)])
    saved = json.loads(output.read_text())
    assert saved["words"] == 1000 and saved[corpus_speed.CORPUS_JOB] == result
    assert result["records"] >= 1 and result["failures"] == 0 and result["file"]["bytes"] >= 1000
    assert result["words_per_second"] > 0 and result["jobs"] == 1
