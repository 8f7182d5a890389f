"""Every documented call works every time, and bad input or a bad model gets one clear line.

Regression tests for issue 24: the spin export, lone surrogates, damaged model folders, a
missing CUDA, an unreachable Hub id, streaming with an input limit, ``-o`` onto a file's mode
or a symbolic link, one-line usage errors, and no loading bar from the API.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import restore
from restore import cli, streams
from restore.restorer import DEFAULT_MODEL_DIR, ModelLoadError, ModelNotFoundError, Restorer
from restore.streams import AtomicOutput, InputError, read_blocks
from table_editor import TableEditor

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()
SPUN = "They mentioned it.\n\nShe mentioned it earlier than noon.\n"
FIXED = "They said it.\n\nShe said it before noon.\n"


def run(*args: str, stdin: bytes = b"", env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restore", *args], input=stdin, capture_output=True, cwd=REPO, timeout=120,
        env={**os.environ, **(env or {})},
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, status: int, fragment: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == status, err
    assert err.startswith("restore error: ") and err.count("\n") == 1, err
    assert fragment in err, err


@pytest.fixture
def table_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Restorer.from_pretrained`` gives a restorer with the table editor."""
    monkeypatch.setattr(Restorer, "from_pretrained", staticmethod(lambda *a, **k: Restorer(TableEditor())))


# ---- 1. every name of restore.__all__, twice, in any import order ---------------------------

CALL_EVERY_NAME = """
import sys
sys.path.insert(0, "tests")
{prelude}
import restore
from table_editor import TableEditor
ns = {{name: getattr(restore, name) for name in restore.__all__}}
if "{star}":
    star = {{}}
    exec("from restore import *", star)
    assert sorted(k for k in star if not k.startswith("__")) == sorted(restore.__all__), sorted(star)
    ns = {{name: star[name] for name in restore.__all__}}
for _ in range(2):
    assert ns["spin"]("They said it.", seed=0) == ns["spin"]("They said it.", seed=0) != "They said it."
    assert ns["spin"]("They said it.", seed=0, return_spans=True).__class__ is ns["SpinResult"]
    assert "news" in ns["PROFILES"]
    assert ns["SpinSpan"].__name__ == "SpinSpan"
    edit = ns["Edit"](5, 14, "mentioned", "said")
    assert ns["apply_edits"]("They mentioned it.", [edit]) == "They said it."
    assert ns["ExplainedText"]("x", []).to_dict() == {{"text": "x", "edits": []}}
    r = ns["Restorer"](TableEditor())
    assert r.fix("They mentioned it.") == "They said it."
    assert ns["fix"]("  ") == "  " and ns["explain"]("") == ns["ExplainedText"]("", [])
    assert issubclass(ns["ModelNotFoundError"], FileNotFoundError) and issubclass(ns["ModelLoadError"], RuntimeError)
    assert restore.spin("They said it.", seed=0) == ns["spin"]("They said it.", seed=0)
print("ok")
"""


@pytest.mark.parametrize(
    "prelude, star",
    [
        ("", ""),
        ("import restore; restore.fix('  '); restore.PROFILES", ""),
        ("import restore.spin", ""),
        ("from restore.spin import PROFILES", ""),
        ("import restore.restorer, restore.model.editor", ""),
        ("", "star"),
        ("import restore.spin.spinner", "star"),
    ],
    ids=["plain", "after-fix-and-PROFILES", "submodule-first", "from-submodule", "model-first", "star", "star-after-submodule"],
)
def test_every_exported_name_works_twice_in_any_import_order(prelude: str, star: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CALL_EVERY_NAME.format(prelude=prelude, star=star)],
        capture_output=True, cwd=REPO, timeout=120,
    )
    assert proc.returncode == 0 and proc.stdout == b"ok\n", proc.stderr.decode()


def test_spin_is_the_function_after_the_submodule_is_imported() -> None:
    import restore.spin.spinner  # noqa: F401  (loads the subpackage again by name)

    assert callable(restore.spin) and restore.spin("They said it.", seed=0) == restore.spin("They said it.", seed=0)


# ---- 2. lone surrogates ------------------------------------------------------------------


def test_a_lone_surrogate_passes_through_the_trained_model(tiny_model_dir: Path) -> None:
    r = Restorer.from_pretrained(tiny_model_dir)
    text = "They mentioned \ud800 it.\n\nThe minister said \udfff the talks were over before noon."
    explained = r.explain(text, progress=False)
    assert "\ud800" in explained.text and "\udfff" in explained.text
    assert restore.apply_edits(text, explained.edits) == explained.text
    assert not any("\ud800" in e.before or "\udfff" in e.before for e in explained.edits)


def test_a_lone_surrogate_is_never_edited_even_by_an_editor_that_ignores_protection() -> None:
    editor = TableEditor({"mentioned": "said", "\ufffd": "x"}, respect_protection=False)
    assert Restorer(editor).fix("They mentioned \ud800 it.") == "They said \ud800 it."


@pytest.mark.skipif(not SHIPPED, reason="no shipped model")
def test_a_lone_surrogate_passes_through_the_shipped_model() -> None:
    assert restore.fix("They mentioned \ud800 it.", progress=False) == "They said \ud800 it."


# ---- 3. damaged or incompatible model folders, a missing CUDA: one line, exit 3 ---------------


def _damaged(tiny_model_dir: Path, tmp_path: Path, damage: str) -> Path:
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    if damage == "truncated weights":
        data = (model / "model.safetensors").read_bytes()
        (model / "model.safetensors").write_bytes(data[: len(data) // 2])
    elif damage == "truncated candidates":
        if not SHIPPED:
            pytest.skip("no shipped candidate tables to truncate")
        data = (DEFAULT_MODEL_DIR / "candidates.tsv.gz").read_bytes()
        (model / "candidates.tsv.gz").write_bytes(data[: len(data) // 3])
    elif damage == "bad max_words":
        config = json.loads((model / "config.json").read_text())
        config.setdefault("restore", {})["max_words"] = "abc"
        (model / "config.json").write_text(json.dumps(config))
    elif damage == "config not JSON":
        (model / "config.json").write_text("{ not json")
    elif damage == "no weights":
        (model / "model.safetensors").unlink()
    return model


DAMAGES = ["truncated weights", "truncated candidates", "bad max_words", "config not JSON", "no weights"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_model_folder_is_one_line_and_exit_3(tiny_model_dir: Path, tmp_path: Path, damage: str) -> None:
    model = _damaged(tiny_model_dir, tmp_path, damage)
    with pytest.raises(ModelLoadError) as raised:
        Restorer.from_pretrained(model)
    assert "\n" not in str(raised.value) and str(model) in str(raised.value)
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN)
    assert_one_line_error(run("fix", str(spun), "--model", str(model)), 3, f"could not load the model at {model}")


def test_bad_max_words_names_the_setting(tiny_model_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="max_words in config.json must be a whole number"):
        Restorer.from_pretrained(_damaged(tiny_model_dir, tmp_path, "bad max_words"))


def test_a_file_given_as_the_model_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"x")
    with pytest.raises(ModelNotFoundError, match="is a file; a model is a folder"):
        Restorer.from_pretrained(tmp_path / "model.safetensors")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is here")
def test_cuda_without_cuda_is_one_line_and_exit_3(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="device 'cuda'"):
        Restorer.from_pretrained(device="cuda")
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN)
    assert_one_line_error(run("fix", str(spun), "--device", "cuda"), 3, "device 'cuda'")


def test_an_unknown_device_is_a_load_error() -> None:
    with pytest.raises(ModelLoadError, match="unknown device 'toaster'"):
        Restorer.from_pretrained(device="toaster")


# ---- 8. an unreachable Hub id: one line, fast, no retries -----------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_hub_fails_at_once_with_one_line(tmp_path: Path) -> None:
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN)
    env = {"HF_ENDPOINT": f"http://127.0.0.1:{_closed_port()}", "HF_HOME": str(tmp_path / "hf")}
    proc = run("fix", str(spun), "--model", "owner/name", env=env)
    assert_one_line_error(proc, 3, "cannot reach the Hugging Face Hub")
    assert "owner/name" in proc.stderr.decode()


def test_offline_hub_is_not_asked(tmp_path: Path) -> None:
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN)
    env = {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    assert_one_line_error(run("fix", str(spun), "--model", "owner/name", env=env), 3, "HF_HUB_OFFLINE is set")


def test_a_silent_hub_times_out_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A Hub that accepts the connection and never answers costs one timeout, no retries."""
    from huggingface_hub import constants

    from restore import restorer

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(restorer, "HUB_TIMEOUT_S", 0.5)
    started = time.monotonic()
    try:
        with pytest.raises(ModelNotFoundError, match="cannot reach the Hugging Face Hub"):
            Restorer.from_pretrained("owner/name")
    finally:
        server.close()
    assert time.monotonic() - started < 5 and len(accepted) == 1


def test_a_cached_hub_model_loads_without_the_network(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A Hub id already in the local cache is read from it, with the Hub unreachable."""
    from huggingface_hub import constants

    cache = tmp_path / "cache"
    snapshot = cache / "models--owner--name" / "snapshots" / ("0" * 40)
    shutil.copytree(tiny_model_dir, snapshot)
    (cache / "models--owner--name" / "refs").mkdir()
    (cache / "models--owner--name" / "refs" / "main").write_text("0" * 40)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    loaded = Restorer.from_pretrained("owner/name")
    assert loaded.fix(SPUN, progress=False) == Restorer.from_pretrained(tiny_model_dir).fix(SPUN, progress=False)


# ---- 6. streaming: bounded blocks, an input limit, binary and endless input ------------------


def test_blocks_join_to_the_input_and_end_at_paragraph_breaks() -> None:
    paragraph = "They mentioned it earlier than noon. " * 20 + "\r\n\r\n"
    data = (paragraph * 50).encode()
    blocks = list(read_blocks(io.BytesIO(data), "x", block_chars=2000))
    assert "".join(blocks).encode() == data
    assert len(blocks) > 5 and all(len(b) <= 2000 for b in blocks)
    assert all(b.endswith("\r\n\r\n") for b in blocks)


def test_a_long_single_line_is_cut_at_whitespace_and_a_run_without_any_at_the_limit() -> None:
    line = ("word " * 3000).encode()
    blocks = list(read_blocks(io.BytesIO(line), "x", block_chars=1000))
    assert "".join(blocks).encode() == line and all(b.endswith(" ") for b in blocks)
    solid = ("é" * 2500).encode()
    assert [len(b) for b in read_blocks(io.BytesIO(solid), "x", block_chars=1000)] == [1000, 1000, 500]


def test_invalid_utf8_is_found_at_its_offset_across_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "READ_BYTES", 7)
    data = "abcdeé".encode() + b"xyz\xff"  # é straddles the first read
    with pytest.raises(InputError, match=r"not valid UTF-8 \(byte 0xff at offset 10\)"):
        list(read_blocks(io.BytesIO(data), "x"))


def test_input_over_the_limit_and_binary_input_are_errors() -> None:
    with pytest.raises(InputError, match="longer than the input limit of 100 bytes"):
        list(read_blocks(io.BytesIO(b"word " * 100), "x", max_bytes=100))
    with pytest.raises(InputError, match="binary data, not text \\(a NUL byte at offset 3\\)"):
        list(read_blocks(io.BytesIO(b"abc\0def"), "x"))
    assert "".join(read_blocks(io.BytesIO(b"word " * 100), "x", max_bytes=None)) == "word " * 100


def test_dev_zero_is_one_line_and_exit_1() -> None:
    assert_one_line_error(run("fix", "/dev/zero"), 1, "binary data, not text")


@pytest.mark.parametrize("command", ["fix", "explain", "spin"])
def test_endless_text_stops_at_the_limit_with_one_line(command: str) -> None:
    proc = subprocess.run(
        f"yes 'They mentioned it.' | {sys.executable} -m restore {command} - --max-bytes 64K",
        shell=True, capture_output=True, cwd=REPO, timeout=60,
    )
    assert_one_line_error(proc, 1, "stdin is longer than the input limit of 65,536 bytes")


def test_a_large_input_is_restored_block_by_block(
    table_model: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsysbinary
) -> None:
    """Memory is bounded because the restorer only ever holds one block."""
    seen: list[int] = []
    fix = Restorer.fix

    def spy(self, text, **kwargs):
        seen.append(len(text))
        return fix(self, text, **kwargs)

    monkeypatch.setattr(Restorer, "fix", spy)
    monkeypatch.setattr(streams, "BLOCK_CHARS", 4096)
    text = SPUN * 3000 + "one long line " * 2000
    path = tmp_path / "big.txt"
    path.write_text(text)
    out = tmp_path / "out.txt"
    assert cli.main(["fix", str(path), "-o", str(out)]) == 0
    assert out.read_text() == FIXED * 3000 + "one long line " * 2000
    assert len(seen) > 20 and max(seen) <= 4096


def test_explain_json_offsets_span_blocks(table_model: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(streams, "BLOCK_CHARS", 64)
    text = SPUN * 10
    path = tmp_path / "in.txt"
    path.write_text(text)
    assert cli.main(["explain", "--json", str(path)]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == FIXED * 10 and len(record["edits"]) == 30
    assert all(text[e["start"] : e["end"]] == e["before"] for e in record["edits"])


def test_max_bytes_takes_suffixes_and_a_bad_value_is_a_usage_error() -> None:
    assert cli._byte_count("64K") == 65536 and cli._byte_count("10M") == 10 << 20 and cli._byte_count("0") == 0
    proc = run("fix", "x.txt", "--max-bytes", "lots")
    assert_one_line_error(proc, 2, "argument --max-bytes: expected a number of bytes")


# ---- 7. -o keeps the mode and writes through a symbolic link -------------------------------


def test_output_keeps_an_existing_files_mode(table_model: None, tmp_path: Path) -> None:
    spun, out = tmp_path / "spun.txt", tmp_path / "out.txt"
    spun.write_text(SPUN)
    out.write_text("old")
    out.chmod(0o600)
    assert cli.main(["fix", str(spun), "-o", str(out)]) == 0
    assert out.read_text() == FIXED and out.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "spun.txt"]


def test_output_writes_through_a_symbolic_link(table_model: None, tmp_path: Path) -> None:
    spun, target, link = tmp_path / "spun.txt", tmp_path / "real" / "out.txt", tmp_path / "link.txt"
    spun.write_text(SPUN)
    target.parent.mkdir()
    target.write_text("old")
    target.chmod(0o640)
    link.symlink_to(target)
    assert cli.main(["fix", str(spun), "-o", str(link)]) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == FIXED and target.stat().st_mode & 0o777 == 0o640


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old")
    with pytest.raises(RuntimeError):
        with AtomicOutput(out) as f:
            f.write("half")
            raise RuntimeError("stop")
    assert out.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.txt"]


# ---- 10. small: usage errors are one line; no loading bar from the API ------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((), "the following arguments are required: COMMAND"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
        (("fix", "--device", "gpu"), "argument --device: invalid choice: 'gpu'"),
        (("fix", "a", "b"), "unrecognized arguments: b"),
        (("spin", "--seed", "x"), "argument --seed: invalid int value: 'x'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(run(*args), 2, fragment)


def test_loading_a_model_prints_no_bar(tiny_model_dir: Path, capfd: pytest.CaptureFixture) -> None:
    Restorer.from_pretrained(tiny_model_dir).fix(SPUN, progress=False)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_a_progress_bar_over_the_input_shows_on_a_terminal(table_model: None, tmp_path: Path, monkeypatch) -> None:
    spun = tmp_path / "spun.txt"
    spun.write_text(SPUN * 100)
    err = io.StringIO()
    err.isatty = lambda: True  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", err)
    assert cli.main(["fix", str(spun), "-o", str(tmp_path / "out.txt")]) == 0
    assert "restore" in err.getvalue() and "B" in err.getvalue()
