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


def test_the_report_shows_the_article_stages_and_the_corpus_job(tmp_path: Path) -> None:
    from benchmarks import speed

    result = {"measured": "2026-12-07 20:00 UTC", "words": 1000, "rounds": 2, "later_rounds": "sparse", "workers": 2,
              "encoder": "onnx", "seconds": [0.2, 0.15], "words_per_second_best": 6666.7, "load_seconds": 1.5,
              "peak_rss_mb": 500.0, "profiled_stage_seconds": {"encoder (tagging)": 0.06, "total": 0.3},
              "corpus_job": {"measured": "2026-12-07 21:00 UTC", "command": "restore fix-corpus FILE OUT --jobs 2",
                             "file": {"bytes": 10_000_000, "words": 1_500_000}, "seconds": 290.0,
                             "words_per_second": 5172.4, "edits": 200_000, "failures": 0, "worker_peak_rss_mb": 800.0,
                             "rounds": 2, "later_rounds": "sparse"}}
    (tmp_path / "speed.json").write_text(json.dumps(result))
    (tmp_path / "report.md").write_text("# report\n")
    speed.update_report(tmp_path / "speed.json")
    speed.update_report(tmp_path / "speed.json")  # replaced, not added again
    report = (tmp_path / "report.md").read_text()
    assert report.count("## Speed") == 1 and "**0.150 s**" in report and "| encoder (tagging) | 0.060 |" in report
    assert "**290.0 s (4.8 minutes)**" in report and "5,172 words/s" in report
