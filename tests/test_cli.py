"""The command line: every error path through a real process, success paths in-process."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from restore import cli
from restore.restorer import DEFAULT_MODEL_DIR, Restorer
from table_editor import TableEditor

REPO = Path(__file__).resolve().parent.parent
SHIPPED = (DEFAULT_MODEL_DIR / "config.json").is_file()
SPUN = "They mentioned it.\r\n\r\n“They mentioned it,” she mentioned earlier than noon.\r\n"
FIXED = "They said it.\r\n\r\n“They mentioned it,” she said before noon.\r\n"


def run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "restore", *args], input=stdin, capture_output=True, cwd=REPO, timeout=60
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, status: int, fragment: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == status, err
    assert err.startswith("restore error: ") and err.count("\n") == 1, err
    assert fragment in err
    assert proc.stdout == b""


@pytest.fixture
def spun_file(tmp_path: Path) -> Path:
    path = tmp_path / "spun.txt"
    path.write_bytes(SPUN.encode())
    return path


@pytest.fixture
def table_model(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Make ``Restorer.from_pretrained`` give a restorer with the table editor."""
    loads: list[tuple] = []

    def fake(path_or_hub_id=None, device="cpu", batch_size=32, dtype="auto", encoder="auto", rounds=2, workers="auto",
             later_rounds="sparse"):
        loads.append((path_or_hub_id, device, *((dtype,) if dtype != "auto" else ()), *((encoder,) if encoder != "auto" else ()),
                      *((f"rounds={rounds}",) if rounds != 2 else ()), *((f"workers={workers}",) if workers != "auto" else ()),
                      *((f"later_rounds={later_rounds}",) if later_rounds != "sparse" else ())))
        return Restorer(TableEditor(), rounds, later_rounds)

    monkeypatch.setattr(Restorer, "from_pretrained", staticmethod(fake))
    return loads


# ---- errors, through `python -m restore` -------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(run("fix", str(tmp_path / "nope.txt")), 1, "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(run("explain", str(tmp_path)), 1, "is a directory")


def test_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("café au lait".encode("latin-1"))
    assert_one_line_error(run("fix", str(path)), 1, "not valid UTF-8 (byte 0xe9 at offset 3)")


@pytest.mark.parametrize("content", [b"", b" \r\n\t\n"])
def test_empty_input(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert_one_line_error(run("fix", str(path)), 1, "empty" if not content else "only whitespace")
    assert_one_line_error(run("fix", "-", stdin=content), 1, "stdin")


@pytest.mark.skipif(SHIPPED, reason="a model ships now")
def test_no_shipped_model_exits_3(spun_file: Path) -> None:
    assert_one_line_error(run("fix", str(spun_file)), 3, "no trained model ships")
    assert_one_line_error(run("explain", "--json", str(spun_file)), 3, "no trained model ships")


def test_missing_model_folder_exits_3(spun_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(run("fix", str(spun_file), "--model", str(tmp_path / "none")), 3, "no model folder")


def test_failed_run_writes_nothing_to_output(spun_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old contents")
    proc = run("fix", str(spun_file), "-o", str(out), "--model", str(tmp_path / "none"))
    assert proc.returncode == 3
    assert out.read_text() == "old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "spun.txt"]


def test_output_into_missing_directory(spun_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(run("fix", str(spun_file), "-o", str(tmp_path / "no" / "out.txt")), 1, "no such directory")


def test_output_is_a_directory(spun_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(run("fix", str(spun_file), "-o", str(tmp_path)), 1, "is a directory")


def test_spin_bad_profile_and_rate(spun_file: Path) -> None:
    assert_one_line_error(run("spin", str(spun_file), "--profile", "nope"), 1, "unknown spinner profile 'nope'")
    assert_one_line_error(run("spin", str(spun_file), "--rate", "3"), 1, "rate must be in [0, 1]")


def test_usage_errors_exit_2(spun_file: Path) -> None:
    assert run().returncode == 2
    assert run("fix", str(spun_file), "--device", "gpu").returncode == 2
    assert run("frobnicate").returncode == 2
    help_ = run("--help")
    assert help_.returncode == 0 and b"fix" in help_.stdout and b"explain" in help_.stdout


def test_spin_is_deterministic(spun_file: Path, tmp_path: Path) -> None:
    from restore.spin import spin

    clean = (REPO / "seeds").glob("*.txt").__next__().read_text(encoding="utf-8")
    try:
        expected = spin(clean, seed=3)
    except FileNotFoundError as e:  # the spinner tables are built by training/, not shipped yet
        pytest.skip(str(e))
    path = tmp_path / "clean.txt"
    path.write_text(clean, encoding="utf-8")
    first = run("spin", str(path), "--seed", "3")
    assert first.returncode == 0 and first.stdout.decode() == expected
    assert run("spin", "-", "--seed", "3", stdin=clean.encode()).stdout == first.stdout


def test_fix_and_explain_with_a_trained_model(spun_file: Path, tmp_path: Path, tiny_model_dir: Path) -> None:
    """The real success path: a tiny model trained by tests/conftest.py, in a new process."""
    expected = Restorer.from_pretrained(str(tiny_model_dir)).explain(SPUN, progress=False)
    out = tmp_path / "out.txt"
    proc = run("fix", str(spun_file), "-o", str(out), "--model", str(tiny_model_dir))
    assert proc.returncode == 0, proc.stderr.decode()
    assert out.read_bytes() == expected.text.encode()
    assert proc.stdout == b"" and proc.stderr == b""  # no progress bars when not in a terminal


# ---- success paths, in-process with the table editor --------------------------------------


def test_fix_file_to_stdout_keeps_bytes(spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main(["fix", str(spun_file), "--device", "cuda"]) == 0
    assert capsysbinary.readouterr().out == FIXED.encode()
    assert table_model == [(None, "cuda")]


def test_dtype_reaches_the_loader_and_a_bad_one_is_a_usage_error(spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main(["fix", str(spun_file), "--dtype", "float32"]) == 0
    assert table_model == [(None, "cpu", "float32")]
    with pytest.raises(SystemExit) as raised:
        cli.main(["fix", str(spun_file), "--dtype", "fp8"])
    assert raised.value.code == 2


@pytest.mark.parametrize("command", ["fix", "explain"])
def test_rounds_reach_the_loader_and_zero_is_a_usage_error(command: str, spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main([command, str(spun_file), "--rounds", "1"]) == 0
    assert table_model == [(None, "cpu", "rounds=1")]
    with pytest.raises(SystemExit) as raised:
        cli.main([command, str(spun_file), "--rounds", "0"])
    assert raised.value.code == 2


@pytest.mark.parametrize("command", ["fix", "explain"])
def test_later_rounds_reach_the_loader(command: str, spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main([command, str(spun_file), "--later-rounds", "near"]) == 0
    assert cli.main([command, str(spun_file)]) == 0
    assert table_model == [(None, "cpu", "later_rounds=near"), (None, "cpu")]
    with pytest.raises(SystemExit) as raised:
        cli.main([command, str(spun_file), "--later-rounds", "all"])
    assert raised.value.code == 2


@pytest.mark.parametrize("command", ["fix", "explain"])
def test_workers_reach_the_loader_and_one_is_a_usage_error(command: str, spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main([command, str(spun_file), "--workers", "0"]) == 0
    assert cli.main([command, str(spun_file), "--workers", "3"]) == 0
    assert table_model == [(None, "cpu", "workers=0"), (None, "cpu", "workers=3")]
    for bad in ("1", "-2", "many"):
        with pytest.raises(SystemExit) as raised:
            cli.main([command, str(spun_file), "--workers", bad])
        assert raised.value.code == 2


def test_fix_stdin(table_model: list, capsysbinary, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SPUN.encode())))
    assert cli.main(["fix"]) == 0
    assert capsysbinary.readouterr().out == FIXED.encode()


def test_fix_to_output_file(spun_file: Path, tmp_path: Path, table_model: list) -> None:
    out = tmp_path / "out.txt"
    out.write_text("old contents")
    assert cli.main(["fix", str(spun_file), "-o", str(out), "--model", "some/model"]) == 0
    assert out.read_bytes() == FIXED.encode()
    assert table_model == [("some/model", "cpu")]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt", "spun.txt"]


def test_failure_during_fix_leaves_output_alone(spun_file: Path, tmp_path: Path, monkeypatch) -> None:
    class Exploding(TableEditor):
        def propose(self, units, protected=None):
            raise MemoryError("boom")

    monkeypatch.setattr(Restorer, "from_pretrained", staticmethod(lambda *a, **k: Restorer(Exploding())))
    out = tmp_path / "out.txt"
    with pytest.raises(MemoryError):
        cli.main(["fix", str(spun_file), "-o", str(out)])
    assert not out.exists()


def test_model_that_fails_to_load_exits_3(spun_file: Path, monkeypatch, capsys) -> None:
    def unreachable(*args, **kwargs):
        raise OSError("We couldn't connect to 'https://huggingface.co'\nmore details")

    monkeypatch.setattr(Restorer, "from_pretrained", staticmethod(unreachable))
    assert cli.main(["fix", str(spun_file), "--model", "owner/name"]) == 3
    assert capsys.readouterr().err == "restore error: could not load owner/name: We couldn't connect to 'https://huggingface.co'\n"


def test_explain_json(spun_file: Path, table_model: list, capsys) -> None:
    assert cli.main(["explain", str(spun_file), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["text"] == FIXED
    assert [(e["before"], e["after"]) for e in record["edits"]] == [
        ("mentioned", "said"),
        ("mentioned", "said"),
        ("earlier than", "before"),
    ]
    assert all(SPUN[e["start"] : e["end"]] == e["before"] for e in record["edits"])


def test_explain_plain_diff(spun_file: Path, table_model: list, capsysbinary) -> None:
    assert cli.main(["explain", str(spun_file)]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert out == (
        "They [-mentioned-]{+said+} it.\r\n\r\n“They mentioned it,” she [-mentioned-]{+said+} "
        "[-earlier than-]{+before+} noon.\r\n"
    )
    assert "\x1b[" not in out


def test_render_diff_in_colour() -> None:
    explained = Restorer(TableEditor()).explain("they mentioned it")
    coloured = cli.render_diff("they mentioned it", explained.edits, color=True)
    assert coloured == "they \x1b[9;31mmentioned\x1b[0m\x1b[32msaid\x1b[0m it\n"
