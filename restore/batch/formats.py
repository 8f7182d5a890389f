"""Corpus readers and shard writers: what a record is in each input format, how a corpus is
cut into shards, how one shard is read back and written out.

A corpus is planned once into *shard specs*: small JSON-ready dicts (a byte range of a JSONL
file, a row range of a Parquet file or a saved dataset, a list of files, the paragraph blocks
of a text file) from which any process, on any node that sees the input, reads the shard's
records with :func:`read_shard`.  Records come back as a :class:`Batch`, restored in place and
written whole to one file with :func:`write_shard`:

- ``jsonl``: one JSON object a line (blank lines are not records); written as JSONL, each
  line byte for byte as read but for the text field's value (where it changed) and the error.
- ``parquet``: a ``.parquet`` file, or a folder of them (in name order); written as Parquet with
  the input's schema, the text column replaced and every other column as read.
- ``dataset``: a ``datasets`` dataset saved with ``save_to_disk`` (``--split`` picks one of a
  ``DatasetDict``); written as Parquet.
- ``text``: a folder with one document a file (``id`` is its path in the folder), or one text
  file cut into blocks of whole paragraphs (``id`` is the block's number, from 0); written as
  JSONL records ``{"id": ..., "text": ...}``.

A record whose restoring failed keeps its input text and gets :data:`ERROR_FIELD` (in Parquet
a column, null where nothing failed).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restore.streams import InputError, read_blocks

FORMATS = ("jsonl", "parquet", "dataset", "text")
ERROR_FIELD = "restore_error"
TEXT_BLOCK_CHARS = 1 << 14
"""Characters in a record of a single text file (16 Ki, about 2,700 words): blocks of whole
paragraphs; the restorer's document gate weighs each block as one text."""
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


class CorpusError(Exception):
    """A corpus that cannot be read or an output folder that cannot be used; one line."""


@dataclass
class Batch:
    """The records of one shard: ``rows`` (list of dicts) for JSON output, or ``table`` (a
    ``pyarrow.Table``) for Parquet output; ``texts`` are the text field's values in order."""

    texts: list[Any]
    rows: list[dict] | None = None
    table: Any = None
    reason: list[str | None] | None = None  # why a record cannot be restored, read time
    raw: list[str] | None = None  # JSONL input: each record's line as read, without its line break


def detect_format(path: Path) -> str:
    """The format of ``path``, from what it is (see the module docstring)."""
    if path.is_dir():
        if (path / "dataset_info.json").is_file() or (path / "state.json").is_file() or (
            path / "dataset_dict.json"
        ).is_file():
            return "dataset"
        files = [p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")]
        if files and all(p.suffix == ".parquet" for p in files):
            return "parquet"
        return "text"
    if path.suffix.lower() in _JSONL_SUFFIXES:
        return "jsonl"
    if path.suffix.lower() == ".parquet":
        return "parquet"
    return "text"


def output_suffix(fmt: str) -> str:
    """The file suffix of the shards written for input format ``fmt``."""
    return ".parquet" if fmt in ("parquet", "dataset") else ".jsonl"


def fingerprint(path: Path) -> str:
    """A cheap identity of the input (paths, sizes and modification times of its files), so a
    rerun resumes only the job it started."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(path) if path.is_dir() else p.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def plan(path: Path, fmt: str, shard_size: int, text_field: str, split: str | None = None) -> list[dict]:
    """The shard specs of the corpus at ``path``, in order; each holds ``first`` (index of its
    first record in the corpus) and ``count``.  Raises :class:`CorpusError` (or
    :class:`restore.streams.InputError`) for a corpus that cannot be read."""
    planner = {"jsonl": _plan_jsonl, "parquet": _plan_parquet, "dataset": _plan_dataset, "text": _plan_text}[fmt]
    specs = planner(path, shard_size, text_field, split)
    if not specs:
        raise CorpusError(f"{path} holds no records")
    return specs


def read_shard(spec: dict, text_field: str) -> Batch:
    """The records of one shard."""
    return {"jsonl": _read_jsonl, "parquet": _read_parquet, "dataset": _read_dataset,
            "textdir": _read_textdir, "textfile": _read_textfile}[spec["kind"]](spec, text_field)


def with_restored(batch: Batch, text_field: str, texts: list[Any], errors: list[str | None]) -> Batch:
    """``batch`` with the text field set to ``texts`` and :data:`ERROR_FIELD` where ``errors``
    has a message (JSON: only on those records; Parquet: a column, null elsewhere)."""
    if batch.table is not None:
        import pyarrow as pa

        table = batch.table
        i = table.schema.get_field_index(text_field)
        table = table.set_column(i, table.schema.field(i), pa.array(texts, type=table.schema.field(i).type))
        column = pa.array(errors, type=pa.string())
        if ERROR_FIELD in table.schema.names:
            j = table.schema.get_field_index(ERROR_FIELD)
            return Batch(texts, table=table.set_column(j, ERROR_FIELD, column))
        return Batch(texts, table=table.append_column(ERROR_FIELD, column))
    if batch.raw is not None:
        lines = [_splice(line, text_field, old, text, error)
                 for line, old, text, error in zip(batch.raw, batch.texts, texts, errors)]
        return Batch(texts, raw=lines)
    rows = []
    for row, text, error in zip(batch.rows, texts, errors):
        row = dict(row)
        if text_field in row or error is None:
            row[text_field] = text
        if error is not None:
            row[ERROR_FIELD] = error
        rows.append(row)
    return Batch(texts, rows=rows)


def write_shard(batch: Batch, path: Path) -> str:
    """Write ``batch`` to ``path`` whole or not at all; returns the file's SHA-256."""
    if batch.table is not None:
        import pyarrow.parquet as pq

        buffer = io.BytesIO()
        pq.write_table(batch.table, buffer)
        data = buffer.getvalue()
    elif batch.raw is not None:
        data = "".join(line + "\n" for line in batch.raw).encode("utf-8")
    else:
        data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in batch.rows).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, or None if it is not there."""
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


# ---- JSONL -------------------------------------------------------------------------------


def _plan_jsonl(path: Path, shard_size: int, text_field: str, split: str | None) -> list[dict]:
    specs: list[dict] = []
    start = offset = count = total = 0
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                if count == 0:
                    start = offset
                try:
                    record = json.loads(line)
                except (UnicodeDecodeError, json.JSONDecodeError) as e:
                    raise CorpusError(f"{path}, line {number}: not a JSON object ({one_line(e)})") from None
                if not isinstance(record, dict):
                    raise CorpusError(f"{path}, line {number}: not a JSON object (a {type(record).__name__})")
                count += 1
            offset += len(line)
            if count == shard_size:
                specs.append({"kind": "jsonl", "path": str(path), "start": start, "end": offset,
                              "first": total, "count": count})
                total += count
                count = 0
    if count:
        specs.append({"kind": "jsonl", "path": str(path), "start": start, "end": offset, "first": total, "count": count})
    return specs


def _read_jsonl(spec: dict, text_field: str) -> Batch:
    with open(spec["path"], "rb") as f:
        f.seek(spec["start"])
        data = f.read(spec["end"] - spec["start"])
    raw = [line.decode("utf-8").rstrip("\r") for line in data.split(b"\n") if line.strip()]
    rows = [json.loads(line) for line in raw]
    if len(rows) != spec["count"]:
        raise CorpusError(f"{spec['path']} changed while it was read (a shard has {len(rows)} records, not {spec['count']})")
    texts = [row.get(text_field) for row in rows]
    return Batch(texts, rows=rows, reason=[_reason(row, text_field) for row in rows], raw=raw)


_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _splice(line: str, text_field: str, old: Any, new: Any, error: str | None) -> str:
    """JSON object ``line`` with the value of ``text_field`` replaced by ``new`` (where it
    changed) and ``ERROR_FIELD`` set to ``error`` (if any); every other byte stays as read."""
    if error is None and new == old:
        return line
    spans, close = _field_spans(line)
    edits: list[tuple[int, int, str]] = []
    if error is None and text_field in spans:
        edits.append((*spans[text_field], json.dumps(new, ensure_ascii=False)))
    if error is not None:
        message = json.dumps(error, ensure_ascii=False)
        if ERROR_FIELD in spans:
            edits.append((*spans[ERROR_FIELD], message))
        else:
            edits.append((close, close, f"{', ' if spans else ''}{json.dumps(ERROR_FIELD)}: {message}"))
    for start, end, text in sorted(edits, reverse=True):
        line = line[:start] + text + line[end:]
    return line


def _field_spans(line: str) -> tuple[dict[str, tuple[int, int]], int]:
    """(start, end) of each top-level value of JSON object ``line`` by key (the last of a key
    given twice, as ``json.loads`` keeps it), and where its closing brace is."""
    spans: dict[str, tuple[int, int]] = {}
    i = _WS.match(line, _WS.match(line, 0).end() + 1).end()  # past "{"
    while line[i] != "}":
        key, i = _DECODER.raw_decode(line, i)
        i = _WS.match(line, _WS.match(line, i).end() + 1).end()  # past ":"
        _, end = _DECODER.raw_decode(line, i)
        spans[key] = (i, end)
        i = _WS.match(line, end).end()
        if line[i] == ",":
            i = _WS.match(line, i + 1).end()
    return spans, i


def _reason(row: dict, text_field: str) -> str | None:
    if text_field not in row:
        return f"no field {text_field!r}"
    return None if isinstance(row[text_field], str) else f"{text_field!r} is {_kind(row[text_field])}, not text"


def _kind(value: Any) -> str:
    return "null" if value is None else f"a {type(value).__name__}"


# ---- Parquet and saved datasets ----------------------------------------------------------


def _parquet_files(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.suffix == ".parquet") if path.is_dir() else [path]


def _check_column(names: list[str], text_field: str, where: Path) -> None:
    if text_field not in names:
        raise CorpusError(f"{where} has no column {text_field!r} (columns: {', '.join(names)}); name it with --text-field")


def _parquet():
    """``pyarrow.parquet``, or a one-line error naming the extra that installs it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError("reading Parquet and saved datasets needs pyarrow: pip install 'restore[corpus]'") from None
    return pq


def _plan_parquet(path: Path, shard_size: int, text_field: str, split: str | None) -> list[dict]:
    pq = _parquet()

    specs: list[dict] = []
    total = 0
    for file in _parquet_files(path):
        try:
            meta = pq.ParquetFile(file).metadata
            names = pq.read_schema(file).names
        except Exception as e:
            raise CorpusError(f"cannot read {file} as Parquet: {one_line(e)}") from None
        _check_column(names, text_field, file)
        for start in range(0, meta.num_rows, shard_size):
            count = min(shard_size, meta.num_rows - start)
            specs.append({"kind": "parquet", "path": str(file), "start": start, "stop": start + count,
                          "first": total, "count": count})
            total += count
    return specs


def _read_parquet(spec: dict, text_field: str) -> Batch:
    import pyarrow.parquet as pq

    f = pq.ParquetFile(spec["path"])
    groups, offset, first_row = [], 0, None
    for g in range(f.metadata.num_row_groups):
        n = f.metadata.row_group(g).num_rows
        if offset + n > spec["start"] and offset < spec["stop"]:
            groups.append(g)
            first_row = offset if first_row is None else first_row
        offset += n
    table = f.read_row_groups(groups).slice(spec["start"] - first_row, spec["count"])
    return _arrow_batch(table, text_field)


def _arrow_batch(table, text_field: str) -> Batch:
    texts = table.column(text_field).to_pylist()
    reason = [None if isinstance(t, str) else f"{text_field!r} is {_kind(t)}, not text" for t in texts]
    return Batch(texts, table=table, reason=reason)


def _load_dataset(path: str, split: str | None):
    try:
        from datasets import Dataset, DatasetDict, load_from_disk
    except ImportError:
        raise CorpusError("reading a saved dataset needs datasets: pip install 'restore[corpus]'") from None

    try:
        data = load_from_disk(path)
    except Exception as e:
        raise CorpusError(f"cannot load the dataset at {path}: {one_line(e)}") from None
    if isinstance(data, DatasetDict):
        if split is None and len(data) == 1:
            split = next(iter(data))
        if split not in data:
            raise CorpusError(f"{path} holds the splits {', '.join(data)}; choose one with --split")
        data = data[split]
    elif split is not None:
        raise CorpusError(f"{path} is a single dataset with no splits; leave out --split")
    assert isinstance(data, Dataset)
    return data.with_format("arrow")


def _plan_dataset(path: Path, shard_size: int, text_field: str, split: str | None) -> list[dict]:
    data = _load_dataset(str(path), split)
    _check_column(data.column_names, text_field, path)
    return [{"kind": "dataset", "path": str(path), "split": split, "start": start,
             "first": start, "count": min(shard_size, len(data) - start)}
            for start in range(0, len(data), shard_size)]


_datasets: dict[tuple[str, str | None], Any] = {}  # loaded once a process (memory-mapped)


def _read_dataset(spec: dict, text_field: str) -> Batch:
    key = (spec["path"], spec["split"])
    if key not in _datasets:
        _datasets[key] = _load_dataset(*key)
    table = _datasets[key][spec["start"] : spec["start"] + spec["count"]]
    return _arrow_batch(table, text_field)


# ---- plain text ----------------------------------------------------------------------------


def _plan_text(path: Path, shard_size: int, text_field: str, split: str | None) -> list[dict]:
    if path.is_dir():
        files = sorted(
            p.relative_to(path).as_posix() for p in path.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        return [{"kind": "textdir", "path": str(path), "files": files[i : i + shard_size], "first": i,
                 "count": len(files[i : i + shard_size])} for i in range(0, len(files), shard_size)]
    try:
        with open(path, "rb") as f:
            bounds = [0]
            for block in read_blocks(f, str(path), None, block_chars=TEXT_BLOCK_CHARS):
                bounds.append(bounds[-1] + len(block.encode("utf-8", "surrogatepass")))
    except InputError as e:
        raise CorpusError(str(e)) from None
    n = len(bounds) - 1
    return [{"kind": "textfile", "path": str(path), "bounds": bounds[i : i + shard_size + 1], "first": i,
             "count": min(shard_size, n - i)} for i in range(0, n, shard_size)]


def _read_textdir(spec: dict, text_field: str) -> Batch:
    rows, reason = [], []
    for name in spec["files"]:
        data = (Path(spec["path"]) / name).read_bytes()
        try:
            text, why = data.decode("utf-8"), None
        except UnicodeDecodeError as e:
            text, why = None, f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
        rows.append({"id": name, text_field: text})
        reason.append(why)
    return Batch([r[text_field] for r in rows], rows=rows, reason=reason)


def _read_textfile(spec: dict, text_field: str) -> Batch:
    bounds = spec["bounds"]
    with open(spec["path"], "rb") as f:
        f.seek(bounds[0])
        data = f.read(bounds[-1] - bounds[0])
    rows = [{"id": spec["first"] + k, text_field: data[a - bounds[0] : b - bounds[0]].decode("utf-8")}
            for k, (a, b) in enumerate(zip(bounds, bounds[1:]))]
    return Batch([r[text_field] for r in rows], rows=rows, reason=[None] * len(rows))


def one_line(error: BaseException) -> str:
    """The first line of an error's message, or its type's name when it has none."""
    lines = str(error).strip().splitlines()
    return lines[0].strip() if lines else type(error).__name__
