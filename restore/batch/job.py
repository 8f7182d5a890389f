"""The corpus job: plan the shards, skip those already done, restore the rest on an engine,
keep the manifest, write the summary.

``OUT/manifest.json`` names the job (input, its fingerprint, format, text field, shard size,
model) and holds one entry per finished shard (file, records, first record, SHA-256, words,
edits, failures, seconds).  It is rewritten atomically after every shard, and a shard file is
written whole before its entry, so a job stopped anywhere resumes where it stopped: a rerun
skips every shard whose file still has its entry's hash and restores the others.
``OUT/summary.json`` holds the totals of the whole corpus and the speed of the last run.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator

from restore.batch import formats
from restore.batch.formats import CorpusError
from restore.model.feature_pool import usable_cores
from restore.restorer import DEFAULT_LATER_ROUNDS, DEFAULT_ROUNDS, check_later_rounds

MANIFEST = "manifest.json"
SUMMARY = "summary.json"
ENGINES = ("pool", "ray")
DEFAULT_SHARD_SIZE = 64
TEXT_FILE_SHARD_SIZE = 8  # blocks of one text file a shard (about 128 K characters)
Task = tuple[int, dict, str]  # (shard index, shard spec, file name)
Results = Iterator[tuple[int, dict]]  # (shard index, manifest entry), as shards finish


@dataclass(frozen=True)
class ModelSpec:
    """How each worker loads its restorer (``Restorer.from_pretrained`` arguments)."""

    path: str | None = None
    device: str = "cpu"
    dtype: str = "auto"
    threads: int | None = None  # CPU threads in each worker (int8 encoder, network); None: their defaults
    encoder: str = "auto"
    rounds: int = DEFAULT_ROUNDS
    later_rounds: str = DEFAULT_LATER_ROUNDS

    def load(self):
        """The restorer, its encoder (and network, if loaded) on ``threads`` threads."""
        from restore.restorer import Restorer

        # the job's own processes use the cores: no feature workers inside each
        return Restorer.from_pretrained(self.path, device=self.device, dtype=self.dtype, encoder=self.encoder,
                                        threads=self.threads, rounds=self.rounds, later_rounds=self.later_rounds,
                                        workers=0)


@dataclass
class Summary:
    """Totals of a corpus job (every shard, this run's and earlier runs'), and this run's speed."""

    records: int = 0
    words: int = 0
    edits: int = 0
    failures: int = 0
    shards: int = 0
    shards_skipped: int = 0
    seconds: float = 0.0
    words_restored: int = 0  # words of the shards restored in this run
    words_per_second: float = 0.0
    engine: str = "pool"
    jobs: int = 1
    output: str = ""
    peak_rss_mb: float | None = None  # the largest peak resident memory of a worker that restored a shard
    restored_file: str | None = None  # for one text file: the restored text, whole
    failed: list[dict] = field(default_factory=list)  # {"shard", "index", "error"}, the first 100

    def line(self) -> str:
        """One line for the terminal."""
        skipped = f", {self.shards_skipped} of {self.shards} shards already done" if self.shards_skipped else ""
        return (
            f"restored {self.records:,} records ({self.words:,} words, {self.edits:,} edits, "
            f"{self.failures:,} failed) in {self.seconds:,.1f} s, {self.words_per_second:,.0f} words/s"
            f"{skipped}; summary in {Path(self.output) / SUMMARY}"
            + (f", restored text in {self.restored_file}" if self.restored_file else "")
        )


def restore_shard(restorer, spec: dict, text_field: str, out_dir: str, name: str) -> dict:
    """Restore one shard and write it to ``out_dir/name``; returns its manifest entry.

    The shard's texts are restored together (one batched call); if that call fails, each
    text alone, so only the texts that fail keep their input and an error.  A record with
    no text (missing, null, not a string, not UTF-8) is written unchanged with an error."""
    start = time.perf_counter()
    batch = formats.read_shard(spec, text_field)
    texts = list(batch.texts)
    errors: list[str | None] = list(batch.reason or [None] * len(texts))
    todo = [i for i, e in enumerate(errors) if e is None]
    edits = [0] * len(texts)
    try:
        explained = restorer.explain([texts[i] for i in todo], progress=False) if todo else []
        for i, ex in zip(todo, explained):
            texts[i], edits[i] = ex.text, len(ex.edits)
    except Exception:
        for i in todo:
            try:
                ex = restorer.explain(texts[i], progress=False)
                texts[i], edits[i] = ex.text, len(ex.edits)
            except Exception as e:
                errors[i] = f"{type(e).__name__}: {formats.one_line(e)}"
    sha = formats.write_shard(formats.with_restored(batch, text_field, texts, errors), Path(out_dir) / name)
    failed = [{"index": spec["first"] + i, "error": e} for i, e in enumerate(errors) if e is not None]
    return {
        "file": name, "first": spec["first"], "records": len(texts), "sha256": sha,
        "words": sum(len(t.split()) for t in batch.texts if isinstance(t, str)),
        "edits": sum(edits), "failures": len(failed), "failed": failed[:100],
        "seconds": round(time.perf_counter() - start, 3), "worker": os.getpid(), "peak_rss_mb": _peak_rss_mb(),
    }


def shard_name(index: int, fmt: str) -> str:
    return f"shard-{index:05d}{formats.output_suffix(fmt)}"


class Manifest:
    """``OUT/manifest.json``: the job's identity and an entry per finished shard."""

    def __init__(self, out: Path, job: dict) -> None:
        self.path = out / MANIFEST
        self.job = job
        self.shards: dict[str, dict] = {}
        if self.path.exists():
            try:
                old = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise CorpusError(f"cannot read {self.path}: {formats.one_line(e)}; remove it to start over") from None
            if old.get("job") != job:
                diff = sorted(k for k in set(job) | set(old.get("job", {})) if job.get(k) != old.get("job", {}).get(k))
                raise CorpusError(
                    f"{out} holds the shards of another job (it differs in {', '.join(diff)}); "
                    "give a new output folder or empty this one"
                )
            self.shards = old.get("shards", {})

    def done(self, index: int, name: str) -> bool:
        """True if shard ``index`` has an entry and its file still has the entry's hash."""
        entry = self.shards.get(str(index))
        return entry is not None and entry["file"] == name and formats.file_sha256(self.path.parent / name) == entry["sha256"]

    def add(self, index: int, entry: dict) -> None:
        self.shards[str(index)] = entry
        self.save()

    def save(self) -> None:
        data = json.dumps({"job": self.job, "shards": dict(sorted(self.shards.items(), key=lambda kv: int(kv[0])))},
                          ensure_ascii=False, indent=1)
        _write_atomic(self.path, data)


def fix_corpus(
    input: str | os.PathLike, output: str | os.PathLike, *, text_field: str = "text", fmt: str | None = None,
    split: str | None = None, shard_size: int | None = None, jobs: int = 1, engine: str = "pool",
    model: str | None = None, device: str = "cpu", dtype: str = "auto", threads: int | None = None,
    progress: bool | None = None, ray_address: str | None = None, encoder: str = "auto",
    rounds: int = DEFAULT_ROUNDS, later_rounds: str = DEFAULT_LATER_ROUNDS,
) -> Summary:
    """Restore the corpus at ``input`` into shard files in the folder ``output`` (see the
    package docstring); returns the summary, also written to ``output/summary.json``.

    Raises :class:`CorpusError` for an input that cannot be read or an output folder that
    holds another job, and :class:`restore.ModelNotFoundError` / :class:`restore.ModelLoadError`
    when the model cannot be loaded.  ``shard_size``: records a shard; None: :data:`DEFAULT_SHARD_SIZE`,
    or :data:`TEXT_FILE_SHARD_SIZE` blocks for one text file.  ``progress``: None shows a bar when stderr is a terminal.
    ``encoder``, ``rounds``, ``later_rounds``: as :meth:`restore.Restorer.from_pretrained` (a job
    remembers settings other than the defaults, and resumes only with the same).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    src, out = Path(input), Path(output)
    if shard_size is None:
        shard_size = TEXT_FILE_SHARD_SIZE if src.is_file() and (fmt or formats.detect_format(src)) == "text" else DEFAULT_SHARD_SIZE
    if not isinstance(jobs, int) or jobs < 1 or not isinstance(shard_size, int) or shard_size < 1:
        raise ValueError(f"jobs and shard_size must be whole numbers of at least 1, got {jobs!r} and {shard_size!r}")
    if not isinstance(rounds, int) or isinstance(rounds, bool) or rounds < 1:
        raise ValueError(f"rounds must be a whole number of at least 1, got {rounds!r}")
    check_later_rounds(later_rounds)
    if not src.exists():
        raise CorpusError(f"no such file or folder: {src}")
    fmt = fmt or formats.detect_format(src)
    if fmt not in formats.FORMATS:
        raise ValueError(f"format must be one of {', '.join(formats.FORMATS)}, got {fmt!r}")
    if out.exists() and not out.is_dir():
        raise CorpusError(f"{out} is a file; the output is a folder")
    if out.resolve() == src.resolve() or src.resolve() in out.resolve().parents:
        raise CorpusError(f"the output folder {out} must not be inside the input {src}")
    start = time.perf_counter()
    specs = formats.plan(src, fmt, shard_size, text_field, split)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CorpusError(f"cannot create {out}: {e.strerror or e}") from None
    job = {"input": str(src.resolve()), "fingerprint": formats.fingerprint(src), "format": fmt, "split": split,
           "text_field": text_field, "shard_size": shard_size, "model": model or "default", "dtype": dtype,
           **({"encoder": encoder} if encoder != "auto" else {}),
           **({"rounds": rounds} if rounds != DEFAULT_ROUNDS else {}),
           **({"later_rounds": later_rounds} if later_rounds != DEFAULT_LATER_ROUNDS else {})}
    manifest = Manifest(out, job)
    names = [shard_name(i, fmt) for i in range(len(specs))]
    pending = [i for i in range(len(specs)) if not manifest.done(i, names[i])]
    for i in set(map(int, manifest.shards)) - set(range(len(specs))) | set(pending):
        manifest.shards.pop(str(i), None)
    threads = threads or max(1, usable_cores() // jobs)
    spec_model = ModelSpec(model, device, dtype, threads, encoder, rounds, later_rounds)
    total = sum(s["count"] for s in specs)
    done_records = total - sum(specs[i]["count"] for i in pending)
    show = progress if progress is not None else (sys.stderr is not None and sys.stderr.isatty())
    from tqdm import tqdm

    words_restored = 0
    with tqdm(total=total, initial=done_records, unit="rec", desc="fix-corpus", file=sys.stderr,
              disable=not show, leave=False) as bar:
        tasks = [(i, specs[i], names[i]) for i in pending]
        if engine == "ray":
            from restore.batch.ray_engine import run_ray

            results = run_ray(tasks, spec_model, text_field, str(out), jobs, ray_address, show)
        else:
            from restore.batch.pool import run_pool

            results = run_pool(tasks, spec_model, text_field, str(out), jobs)
        for index, entry in results:
            manifest.add(index, entry)
            words_restored += entry["words"]
            bar.update(entry["records"])
    missing = [i for i in range(len(specs)) if str(i) not in manifest.shards]
    if missing:
        raise CorpusError(f"{len(missing)} shards were not written (first: {names[missing[0]]}); run again to resume")
    seconds = time.perf_counter() - start
    entries = [manifest.shards[str(i)] for i in range(len(specs))]
    summary = Summary(
        records=sum(e["records"] for e in entries), words=sum(e["words"] for e in entries),
        edits=sum(e["edits"] for e in entries), failures=sum(e["failures"] for e in entries),
        shards=len(specs), shards_skipped=len(specs) - len(pending), seconds=round(seconds, 3),
        words_restored=words_restored, words_per_second=round(words_restored / seconds, 1) if seconds else 0.0,
        engine=engine, jobs=jobs, output=str(out),
        failed=[dict(f, shard=e["file"]) for e in entries for f in e.get("failed", [])][:100],
    )
    if summary.records != total:
        raise CorpusError(f"the shards hold {summary.records} records, the input {total}")
    rss = [e["peak_rss_mb"] for e in entries if e.get("peak_rss_mb") is not None]
    summary.peak_rss_mb = max(rss) if rss else None
    if specs[0]["kind"] == "textfile":
        target = out / src.name
        if pending or not target.is_file():
            _assemble_text(out, names, target, text_field)
        summary.restored_file = str(target)
    _write_atomic(out / SUMMARY, json.dumps(asdict(summary), ensure_ascii=False, indent=1))
    return summary


def _peak_rss_mb() -> float | None:
    """The peak resident memory of this process so far, in MiB (None where unknown)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def _assemble_text(out: Path, names: list[str], target: Path, text_field: str) -> None:
    """Join the restored blocks of a text file, in order, into ``target`` (whole or not at all)."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        for name in names:
            with open(out / name, encoding="utf-8") as shard:
                for line in shard:
                    f.write(json.loads(line)[text_field])
    os.replace(tmp, target)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)

