"""The corpus job (``restore fix-corpus``): no record lost or duplicated, order, ids and every
other field kept, failures flagged, resumable, on both engines, with the tiny model of
tests/conftest.py (a real model, restored in real worker processes and Ray actors)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from restore import cli
from restore.batch import ERROR_FIELD, CorpusError, fix_corpus
from restore.batch.job import ModelSpec, restore_shard
from restore.restorer import Restorer

REPO = Path(__file__).resolve().parent.parent
SPUN = [
    "The minister mentioned the talks had been over earlier than noon.",
    "Officials mentioned the information convention in the capital was cancelled.",
    "Fighting in japanese Ukraine continued, together with in the north.",
    "The two international locations mentioned they had been ready.",
    "Nothing here needs a change.",
]


def records(n: int) -> list[dict]:
    """Records with ids, nested and unicode fields, and a few that cannot be restored."""
    rows = []
    for i in range(n):
        row = {"id": f"doc-{i:03d}", "text": SPUN[i % len(SPUN)] + f" Item {i}.", "meta": {"n": i, "score": i / 7, "tags": ["a", "ü"]}}
        if i == 5:
            row["text"] = None
        if i == 11:
            del row["text"]
        if i == 17:
            row["text"] = 17
        rows.append(row)
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    """JSONL with escapes, spacing and a number literal that a JSON round trip would not keep."""
    lines = [json.dumps(r, ensure_ascii=True, indent=None, separators=(" ,", " :"))[:-1] + ', "price": 1.50 }' for r in rows]
    lines.insert(9, "")  # a blank line is not a record
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def read_out(out: Path, suffix: str = ".jsonl") -> list[dict]:
    shards = sorted(out.glob(f"shard-*{suffix}"))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return [r for s in shards for r in pq.read_table(s).to_pylist()]
    return [json.loads(line) for s in shards for line in s.read_text(encoding="utf-8").splitlines()]


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def restored(restorer: Restorer, texts: list) -> dict:
    """{text: ExplainedText} for the strings among ``texts`` (one batched call: a list gives
    what each text alone gives)."""
    strings = sorted({t for t in texts if isinstance(t, str)})
    return dict(zip(strings, restorer.explain(strings, progress=False)))


def assert_no_loss(rows_in: list[dict], rows_out: list[dict], restorer: Restorer) -> None:
    """Every input record exactly once, in order, each field but the text byte-identical, the
    text restored as ``restorer`` restores it, and failures flagged with the input kept."""
    assert [r["id"] for r in rows_out] == [r["id"] for r in rows_in]
    assert len({r["id"] for r in rows_out}) == len(rows_in)
    expected = restored(restorer, [r.get("text") for r in rows_in])
    for a, b in zip(rows_in, rows_out):
        assert {k: digest(v) for k, v in a.items() if k != "text"} == {
            k: digest(v) for k, v in b.items() if k not in ("text", ERROR_FIELD)
        }
        if isinstance(a.get("text"), str):
            assert ERROR_FIELD not in b or b[ERROR_FIELD] is None
            assert b["text"] == expected[a["text"]].text
        else:
            assert b[ERROR_FIELD] and b.get("text") == a.get("text") and ("text" in b) == ("text" in a)


@pytest.fixture(scope="module")
def tiny(tiny_model_dir: Path) -> Restorer:
    return Restorer.from_pretrained(str(tiny_model_dir))


def test_two_worker_processes_lose_nothing(tmp_path: Path, tiny_model_dir: Path, tiny: Restorer) -> None:
    """The command line, in a new process, with a pool of two workers each loading the model."""
    rows = records(30)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "restore.batch", str(src), str(out), "--model", str(tiny_model_dir),
         "--shard-size", "4", "--jobs", "2"], capture_output=True, cwd=REPO, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().startswith("restored 30 records (") and proc.stderr == b""  # no bar off a terminal
    rows_out = read_out(out)
    assert_no_loss([dict(r, price=1.5) for r in rows], rows_out, tiny)
    lines_in = [line for line in src.read_text(encoding="utf-8").splitlines() if line]
    lines_out = [line for p in sorted(out.glob("shard-*.jsonl")) for line in p.read_text(encoding="utf-8").splitlines()]
    for a, b, row in zip(lines_in, lines_out, rows_out):  # every byte outside the text's value as read
        if ERROR_FIELD in row:
            assert b == a[:-1] + f', "{ERROR_FIELD}": {json.dumps(row[ERROR_FIELD])}}}'
        else:
            old_text = json.loads(a)["text"]
            assert b.replace(json.dumps(row["text"], ensure_ascii=False), "T") == a.replace(json.dumps(old_text), "T")
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["records"], summary["failures"], summary["shards"], summary["jobs"]) == (30, 3, 8, 2)
    assert summary["words"] == sum(len(r["text"].split()) for r in rows if isinstance(r.get("text"), str))
    expected = restored(tiny, [r.get("text") for r in rows])
    assert summary["edits"] == sum(len(expected[r["text"]].edits) for r in rows if isinstance(r.get("text"), str))
    assert summary["edits"] > 0
    assert [f["index"] for f in summary["failed"]] == [5, 11, 17]
    manifest = json.loads((out / "manifest.json").read_text())
    for entry in manifest["shards"].values():
        assert hashlib.sha256((out / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]


def test_a_rerun_skips_finished_shards_and_redoes_missing_or_damaged_ones(tmp_path: Path, tiny_model_dir: Path) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", records(20))
    out = tmp_path / "out"
    first = fix_corpus(src, out, model=str(tiny_model_dir), shard_size=3, progress=False)
    assert (first.shards, first.shards_skipped) == (7, 0)
    before = {p.name: p.read_bytes() for p in out.glob("shard-*")}
    again = fix_corpus(src, out, model=str(tiny_model_dir), shard_size=3, progress=False)
    assert (again.shards_skipped, again.words_restored, again.records) == (7, 0, 20)
    (out / "shard-00002.jsonl").unlink()
    damaged = out / "shard-00004.jsonl"
    damaged.write_bytes(damaged.read_bytes().replace(b"doc-", b"DOC-", 1))
    (out / "shard-00003.jsonl").write_bytes((out / "shard-00003.jsonl").read_bytes())  # touched, same bytes: kept
    resumed = fix_corpus(src, out, model=str(tiny_model_dir), shard_size=3, progress=False)
    assert resumed.shards_skipped == 5 and resumed.records == 20 and resumed.failures == 3
    assert {p.name: p.read_bytes() for p in out.glob("shard-*")} == before
    with pytest.raises(CorpusError, match="another job .*shard_size"):
        fix_corpus(src, out, model=str(tiny_model_dir), shard_size=4, progress=False)


def test_rounds_reach_the_workers_and_the_manifest(tmp_path: Path, tiny_model_dir: Path) -> None:
    assert ModelSpec(str(tiny_model_dir), threads=1, rounds=1).load().rounds == 1
    rows = records(6)
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out"
    summary = fix_corpus(src, out, model=str(tiny_model_dir), shard_size=3, rounds=1, progress=False)
    assert summary.records == 6
    assert_no_loss([dict(r, price=1.5) for r in rows], read_out(out), Restorer.from_pretrained(str(tiny_model_dir), rounds=1))
    assert json.loads((out / "manifest.json").read_text())["job"]["rounds"] == 1
    with pytest.raises(CorpusError, match="another job .*rounds"):  # resumed only with the same rounds
        fix_corpus(src, out, model=str(tiny_model_dir), shard_size=3, progress=False)
    with pytest.raises(ValueError, match="rounds"):
        fix_corpus(src, tmp_path / "other", model=str(tiny_model_dir), rounds=0, progress=False)


def test_later_rounds_reach_the_workers_and_the_manifest(tmp_path: Path, tiny_model_dir: Path) -> None:
    assert ModelSpec(str(tiny_model_dir), threads=1, later_rounds="near").load().later_rounds == "near"
    src = write_jsonl(tmp_path / "in.jsonl", records(4))
    out = tmp_path / "out"
    fix_corpus(src, out, model=str(tiny_model_dir), shard_size=2, later_rounds="whole", progress=False)
    assert json.loads((out / "manifest.json").read_text())["job"]["later_rounds"] == "whole"
    with pytest.raises(CorpusError, match="another job .*later_rounds"):  # resumed only with the same setting
        fix_corpus(src, out, model=str(tiny_model_dir), shard_size=2, progress=False)
    with pytest.raises(ValueError, match="later_rounds"):
        fix_corpus(src, tmp_path / "other", model=str(tiny_model_dir), later_rounds="all", progress=False)


def test_parquet_and_saved_datasets_keep_their_other_columns(tmp_path: Path, tiny_model_dir: Path, tiny: Restorer) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import Dataset, DatasetDict

    rows = [{"id": r["id"], "body": r.get("text") if isinstance(r.get("text"), str) else None, "n": i,
             "tags": r["meta"]["tags"]} for i, r in enumerate(records(13))]
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, tmp_path / "in.parquet", row_group_size=5)
    out = tmp_path / "out-parquet"
    summary = fix_corpus(tmp_path / "in.parquet", out, text_field="body", model=str(tiny_model_dir), shard_size=4, progress=False)
    assert (summary.records, summary.failures, summary.shards) == (13, 2, 4)
    got = pa.concat_tables([pq.read_table(p) for p in sorted(out.glob("shard-*.parquet"))])
    for name in ("id", "n", "tags"):
        assert got.column(name).equals(table.column(name))
    expected = restored(tiny, table.column("body").to_pylist())
    assert got.column("body").to_pylist() == [expected[t].text if t is not None else None for t in table.column("body").to_pylist()]
    assert [e is not None for e in got.column(ERROR_FIELD).to_pylist()] == [t is None for t in table.column("body").to_pylist()]

    DatasetDict(train=Dataset.from_list(rows), test=Dataset.from_list(rows[:2])).save_to_disk(str(tmp_path / "ds"))
    with pytest.raises(CorpusError, match="--split"):
        fix_corpus(tmp_path / "ds", tmp_path / "out-ds", text_field="body", model=str(tiny_model_dir), progress=False)
    fix_corpus(tmp_path / "ds", tmp_path / "out-ds", text_field="body", split="train", model=str(tiny_model_dir),
               shard_size=4, progress=False)
    from_ds = pa.concat_tables([pq.read_table(p) for p in sorted((tmp_path / "out-ds").glob("shard-*.parquet"))])
    assert from_ds.column("body").to_pylist() == got.column("body").to_pylist()
    assert from_ds.column("id").to_pylist() == table.column("id").to_pylist()


def test_text_folders_and_text_files(tmp_path: Path, tiny_model_dir: Path, tiny: Restorer) -> None:
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    for i, text in enumerate(SPUN):
        (docs / ("sub" if i % 2 else ".") / f"{i}.txt").write_text(text + "\n", encoding="utf-8")
    (docs / "latin1.txt").write_bytes("caf\xe9 mentioned".encode("latin-1"))
    (docs / ".hidden").write_text("not a document", encoding="utf-8")
    summary = fix_corpus(docs, tmp_path / "out-docs", model=str(tiny_model_dir), shard_size=2, progress=False)
    rows = read_out(tmp_path / "out-docs")
    names = ["0.txt", "2.txt", "4.txt", "latin1.txt", "sub/1.txt", "sub/3.txt"]
    assert [r["id"] for r in rows] == names and summary.failures == 1
    expected = restored(tiny, [(docs / n).read_text(encoding="utf-8") for n in names if n != "latin1.txt"])
    for r in rows:
        if r["id"] == "latin1.txt":
            assert r["text"] is None and "UTF-8" in r[ERROR_FIELD]
        else:
            assert r["text"] == expected[(docs / r["id"]).read_text(encoding="utf-8")].text

    from restore.batch import formats

    book = tmp_path / "book.txt"
    book.write_text("\r\n\r\n".join(SPUN[i % len(SPUN)] for i in range(12)) + "\n", encoding="utf-8")
    formats.TEXT_BLOCK_CHARS, old = 150, formats.TEXT_BLOCK_CHARS  # small blocks: several a shard
    try:
        summary = fix_corpus(book, tmp_path / "out-book", model=str(tiny_model_dir), shard_size=2, progress=False)
    finally:
        formats.TEXT_BLOCK_CHARS = old
    blocks = read_out(tmp_path / "out-book")
    assert [b["id"] for b in blocks] == list(range(len(blocks))) and len(blocks) > 4
    restored_book = "".join(tiny.fix(_blocks(book, 150), progress=False))
    assert "".join(b["text"] for b in blocks) == restored_book
    assert summary.restored_file == str(tmp_path / "out-book" / "book.txt")
    assert (tmp_path / "out-book" / "book.txt").read_bytes() == restored_book.encode()  # CRLF kept


def _blocks(path: Path, chars: int) -> list[str]:
    from restore.streams import read_blocks

    with open(path, "rb") as f:
        return list(read_blocks(f, str(path), None, block_chars=chars))


def test_a_record_that_fails_to_restore_is_kept_and_counted(tmp_path: Path) -> None:
    """Shard logic alone: a restorer that fails on one text fails that record only."""

    class Failing:
        def explain(self, text, progress=None):
            from restore.restorer import ExplainedText

            texts = [text] if isinstance(text, str) else text
            if any("BOOM" in t for t in texts):
                raise RuntimeError("the model fell over\nsecond line")
            done = [ExplainedText(t.upper(), []) for t in texts]
            return done[0] if isinstance(text, str) else done

    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "text": "a"}, {"id": 2, "text": "BOOM"}, {"id": 3, "text": "c"}])
    spec = {"kind": "jsonl", "path": str(src), "start": 0, "end": src.stat().st_size, "first": 0, "count": 3}
    entry = restore_shard(Failing(), spec, "text", str(tmp_path), "shard-00000.jsonl")
    assert entry["failures"] == 1 and entry["failed"] == [{"index": 1, "error": "RuntimeError: the model fell over"}]
    assert read_out(tmp_path) == [
        {"id": 1, "text": "A", "price": 1.5},
        {"id": 2, "text": "BOOM", "price": 1.5, ERROR_FIELD: "RuntimeError: the model fell over"},
        {"id": 3, "text": "C", "price": 1.5},
    ]


def test_ray_engine_writes_what_the_pool_writes(tmp_path: Path, tiny_model_dir: Path) -> None:
    """A local Ray instance, two actors each holding the model, streaming one shard a batch."""
    import ray

    src = write_jsonl(tmp_path / "in.jsonl", records(14))
    pool = fix_corpus(src, tmp_path / "pool", model=str(tiny_model_dir), shard_size=4, progress=False)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        on_ray = fix_corpus(src, tmp_path / "ray", model=str(tiny_model_dir), shard_size=4, jobs=2, engine="ray",
                            progress=False)
    finally:
        ray.shutdown()
    assert (on_ray.records, on_ray.failures, on_ray.engine) == (pool.records, pool.failures, "ray") == (14, 2, "ray")
    for a in sorted((tmp_path / "pool").glob("shard-*")):
        assert (tmp_path / "ray" / a.name).read_bytes() == a.read_bytes()
    manifests = [json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("pool", "ray")]
    assert [{k: e["sha256"] for k, e in m["shards"].items()} for m in manifests][0] == {
        k: e["sha256"] for k, e in manifests[1]["shards"].items()
    }


def test_ray_missing_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    src = write_jsonl(tmp_path / "in.jsonl", records(2))
    assert cli.main(["fix-corpus", str(src), str(tmp_path / "out"), "--engine", "ray"]) == 1
    err = capsys.readouterr().err
    assert err == "restore error: --engine ray needs Ray, which is not installed: pip install 'restore[ray]'\n"


@pytest.mark.parametrize(
    "args, status, fragment",
    [
        (["missing.jsonl", "out"], 1, "no such file or folder: missing.jsonl"),
        (["bad.jsonl", "out"], 1, "bad.jsonl, line 2: not a JSON object"),
        (["good.jsonl", "out", "--jobs", "0"], 2, "--jobs: expected a whole number of at least 1"),
        (["good.jsonl", "out", "--model", "no/such/model/here"], 3, "no model folder at no/such/model/here"),
        (["good.jsonl", "good.jsonl"], 1, "is a file; the output is a folder"),
    ],
)
def test_errors_are_one_line(args: list[str], status: int, fragment: str, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.jsonl").write_text('{"text": "a"}\n{"text": \n', encoding="utf-8")
    write_jsonl(tmp_path / "good.jsonl", records(3))
    if status == 2:
        with pytest.raises(SystemExit) as raised:
            cli.main(["fix-corpus", *args])
        assert raised.value.code == 2
    else:
        assert cli.main(["fix-corpus", *args]) == status
    err = capsys.readouterr().err
    assert err.startswith("restore error: ") and err.count("\n") == 1 and fragment in err, err


class _DyingModel(ModelSpec):
    """A worker whose process dies while it loads the model (as one killed for memory would)."""

    def load(self):
        os._exit(9)


def test_a_worker_that_dies_is_one_line_and_the_job_resumable(tmp_path: Path) -> None:
    from restore.batch.pool import run_pool

    src = write_jsonl(tmp_path / "in.jsonl", records(4))
    spec = {"kind": "jsonl", "path": str(src), "start": 0, "end": src.stat().st_size, "first": 0, "count": 4}
    tasks = [(0, spec, "shard-00000.jsonl"), (1, spec, "shard-00001.jsonl")]
    with pytest.raises(CorpusError, match="a worker process died .*run again to resume"):
        list(run_pool(tasks, _DyingModel(), "text", str(tmp_path), jobs=2))
    assert not list(tmp_path.glob("shard-*"))
