"""restore.detect with the shipped model: the typed report, its offsets, the CLI and the calibration file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from restore.detection import DETECT_FILE, DOCUMENT_FEATURES, DetectCalibration, Detection, SuspectedSpan
from restore.restorer import DEFAULT_MODEL_DIR

SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()
pytestmark = pytest.mark.skipif(not SHIPPED, reason="no shipped model")
SPUN = "Officials mentioned the information convention in japanese Ukraine was cancelled earlier than noon."
CLEAN = "Officials said the press conference in eastern Ukraine was cancelled before noon."


@pytest.fixture(scope="module")
def restorer():
    from restore import Restorer

    return Restorer.from_pretrained()


def test_spun_text_scores_high_with_spans_at_the_spun_words(restorer) -> None:
    found = restorer.detect(SPUN)
    assert isinstance(found, Detection) and found.spun and found.probability > 0.9
    assert all(isinstance(s, SuspectedSpan) for s in found.spans)
    for s in found.spans:
        assert SPUN[s.start : s.end] == s.text and 0 <= s.probability <= 1
    texts = {s.text: s.suggestion for s in found.spans}
    assert texts.get("mentioned") == "said" and texts.get("earlier than") == "before"
    assert [s.start for s in found.spans] == sorted(s.start for s in found.spans)
    assert all(a.end <= b.start for a, b in zip(found.spans, found.spans[1:]))
    assert set(found.features) == set(DOCUMENT_FEATURES)


def test_clean_text_scores_low(restorer) -> None:
    found = restorer.detect(CLEAN)
    assert not found.spun and found.probability < restorer.detect(SPUN).probability
    assert not any(s.suggestion for s in found.spans)


def test_lists_batch_like_single_calls_and_offsets_survive_non_bmp_text(restorer) -> None:
    text = "😀 " + SPUN + "\n\n" + "“She mentioned nothing,” he said."
    one = restorer.detect(text)
    both = restorer.detect([text, CLEAN])
    # the same spans; probabilities within a hair (the int8 encoder scales activations per batch)
    assert [(s.start, s.end, s.suggestion) for s in both[0].spans] == [(s.start, s.end, s.suggestion) for s in one.spans]
    assert all(abs(a.probability - b.probability) < 0.02 for a, b in zip(both[0].spans, one.spans))
    assert abs(both[0].probability - one.probability) < 0.02 and both[0].spun == one.spun
    for s in one.spans:
        assert text[s.start : s.end] == s.text
    assert not any("nothing" in s.text or "She mentioned" in s.text for s in one.spans)  # quotes are protected


def test_module_function_blank_and_type_errors() -> None:
    import restore

    assert restore.detect("  \n").probability == 0.0
    with pytest.raises(TypeError):
        restore.detect(b"bytes")  # type: ignore[arg-type]
    assert json.loads(json.dumps(restore.detect(SPUN).to_dict()))["spun"] is True


def test_shipped_calibration_is_read_and_small() -> None:
    path = DEFAULT_MODEL_DIR / DETECT_FILE
    assert path.is_file() and path.stat().st_size < 4000
    calibration = DetectCalibration.load(DEFAULT_MODEL_DIR)
    assert len(calibration.weights) == len(DOCUMENT_FEATURES) and 0.5 <= calibration.span_threshold < 1
    assert "dev_paragraphs" in calibration.info["about"]  # fitted on dev data, never a suite


def test_cli_detect_text_and_json(tmp_path: Path) -> None:
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "restore", "detect", str(spun)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("spun: ") and "likely spun" in out.stdout
    out = subprocess.run([sys.executable, "-m", "restore", "detect", "--json", str(spun)], capture_output=True, text=True)
    record = json.loads(out.stdout)
    assert record["spun"] and {"start", "end", "text", "probability", "suggestion", "source"} <= set(record["spans"][0])
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe spun")
    out = subprocess.run([sys.executable, "-m", "restore", "detect", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1 and out.stderr.startswith("restore error: ") and len(out.stderr.splitlines()) == 1
