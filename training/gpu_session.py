"""One bounded training session on a lent GPU: pre-train a little, fine-tune, export, pack.

    python -m training.gpu_session --out "$OUT"                                  # on the GPU machine
    python -m training.gpu_session --out /tmp/gs --preset tiny --minutes 1 \\
        --init_from PATH_TO_A_SMALL_MODEL --pairs_words 20000 --corpus_words 20000  # CPU smoke run
    python -m training.gpu_session --unpack /path/to/files_at --to runs/gpu_session   # back here

Within ``--minutes`` of wall clock from its start (default 9: one device command may run
10 minutes), starting from ``--init_from`` (default: the shipped model; ``scratch``: a new network
with the shipped tokenizer, :data:`SCRATCH`):

1. makes spinner pairs (``training.make_pairs``, ``--pairs_words``) unless ``--pairs`` gives
   them, and denoising pairs of clean text (``training.pretrain``, ``--corpus_words``) unless
   ``--pretrain_share 0``, both with every core;
2. pre-trains on the denoising pairs for ``--pretrain_share`` of the training time left,
   then fine-tunes on the spinner pairs for the rest (each stage stops itself by
   ``--stop_at``; its last ``--decay_fraction`` a linear decay of the learning rate to 0),
   keeping ``--reserve_minutes`` for the final evaluations, the export and the packing;
3. exports the fine-tuned model (``training.export``: fp16 weights, tokenizer, the card and
   ``training_history.json`` with both stages behind the shipped history) and packs it, with
   each stage's ``run_config.json``, trainer state and summary, into a tar archive cut into
   parts of at most 15 MiB (the device tool brings back at most 8 files of 16 MiB), beside
   ``gpu_session.json`` (the timings and each stage's final dev scores).

``--unpack`` joins the parts and unpacks them: ``model/`` is then a model folder to
calibrate, benchmark or continue (``training.train --init_from``), with the int8 encoder written
there (``training.export_encoder``, which the GPU machine need not have the packages for); the optimizer state stays
on the GPU machine (fp32 weights and Adam moments do not fit what comes back), so a later run
continues from the weights with a fresh optimizer, as ``--init_from`` always does.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import tarfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from training.make_pairs import BENCHMARK_SOURCES, CORPORA, DEFAULT_SOURCES, MakePairsArgs, make_pairs

SHIPPED = Path(__file__).resolve().parent.parent / "restore" / "models" / "default"
PART_BYTES = 15 * 1024 * 1024
ARCHIVE = "session.tar"
SUMMARY = "gpu_session.json"


@dataclass
class SessionArgs:
    """Settings of one session (see the module doc)."""

    out: str
    init_from: str = str(SHIPPED)
    pairs: str | None = None
    work: str = "runs/gpu_session"
    preset: str = "gpu"
    minutes: float = 9.0
    reserve_minutes: float = 1.0
    pretrain_share: float = 0.3
    decay_fraction: float = 0.3
    learning_rate: float = 1e-3
    pairs_words: int = 8_000_000
    corpus_words: int = 8_000_000
    corpora: str = str(CORPORA)
    sources: str = ",".join(s for s in DEFAULT_SOURCES if s not in BENCHMARK_SOURCES)
    validation_percent: float = 1.0
    num_proc: int = os.cpu_count() or 1

    def __post_init__(self) -> None:
        if not 0.0 <= self.pretrain_share < 1.0:
            raise ValueError("pretrain_share must be in [0, 1)")
        if self.minutes <= self.reserve_minutes:
            raise ValueError("minutes must exceed reserve_minutes")


SCRATCH = "scratch"
"""``--init_from scratch``: the first stage builds a new network (the preset's architecture) with the
shipped tokenizer, so no weights need carrying to the GPU machine (``gpu_session.sh slim``)."""


def _stage_flags(args: SessionArgs, output_dir: Path, init_from: str) -> list[str]:
    """Command-line flags of a stage (``training.pretrain`` or ``training.train``); its
    ``stop_at`` is set when the stage starts.  ``init_from`` :data:`SCRATCH`: a new network."""
    start = ["--tokenizer", str(SHIPPED)] if init_from == SCRATCH else ["--init_from", init_from]
    return [
        "--preset", args.preset, "--output_dir", str(output_dir), *start,
        "--learning_rate", str(args.learning_rate), "--time_limit_minutes", str(args.minutes),
        "--time_decay_fraction", str(args.decay_fraction), "--disable_tqdm", "true",
    ]


def run_session(args: SessionArgs) -> dict:
    """The session of the module doc; returns what it writes to ``gpu_session.json``."""
    from training import pretrain, train
    from training.export import export

    started = time.time()
    deadline = started + (args.minutes - args.reserve_minutes) * 60
    work, out = Path(args.work), Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    sources = args.sources.split(",")
    timings: dict[str, float] = {}

    pairs = args.pairs
    if pairs is None:
        pairs = str(work / "pairs")
        make_pairs(MakePairsArgs(output=pairs, sources=sources, corpora=args.corpora, max_words=args.pairs_words,
                                 validation_percent=args.validation_percent, num_proc=args.num_proc))
        timings["make_pairs"] = time.time() - started
    init_from = args.init_from
    if args.pretrain_share > 0:
        mark = time.time()
        corruption, model_args, data_args, train_args, preset = pretrain.parse_args(
            _stage_flags(args, work / "pretrain", init_from)
            + ["--sources", *sources, "--corpora", args.corpora, "--max_words", str(args.corpus_words),
               "--validation_percent", str(args.validation_percent),
               "--num_proc", str(args.num_proc), "--preprocessing_num_workers", str(args.num_proc),
               "--denoise_pairs", str(work / "denoise_pairs")])
        pretrain.build_denoise_pairs(corruption, corruption.denoise_pairs)
        timings["denoise_pairs"] = time.time() - mark
        mark = time.time()
        data_args.stop_at = mark + args.pretrain_share * max(0.0, deadline - mark)
        init_from = str(pretrain.run(corruption, model_args, data_args, train_args, preset) / "final")
        timings["pretrain"] = time.time() - mark
    mark = time.time()
    model_args, data_args, train_args, preset = train.parse_args(
        _stage_flags(args, work / "finetune", init_from)
        + ["--pairs", pairs, "--preprocessing_num_workers", str(args.num_proc)])
    data_args.stop_at = deadline
    tuned = train.run(model_args, data_args, train_args, preset)
    timings["finetune"] = time.time() - mark
    model = export(tuned, work / "model", encoder=False)  # the int8 encoder is made back here (needs onnx; 11 MB)
    summary = {
        "args": asdict(args),
        "seconds": {k: round(v, 1) for k, v in timings.items()},
        "stages": {run.name: _final(run) for run in (work / "pretrain", tuned) if (run / "final").exists()},
    }
    parts = pack(work, model, out)
    summary["seconds"]["total"] = round(time.time() - started, 1)
    summary["parts"] = [p.name for p in parts]
    (out / SUMMARY).write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))
    return summary


def _final(run_dir: Path) -> dict:
    """A stage's ``train_summary.json``."""
    return json.loads((run_dir / "final" / "train_summary.json").read_text())


def pack(work: Path, model: Path, out: Path, part_bytes: int = PART_BYTES) -> list[Path]:
    """Write ``model`` (as ``model/``) and each stage's records (``<stage>/...``) as one tar
    archive cut into ``session.tar.NN`` parts of at most ``part_bytes`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(model, arcname="model")
        for stage in ("pretrain", "finetune"):
            run_dir = work / stage
            records = [run_dir / "run_config.json", run_dir / "final" / "train_summary.json"]
            records += sorted(run_dir.glob("checkpoint-*/trainer_state.json"))
            for path in records:
                if path.exists():
                    tar.add(path, arcname=f"{stage}/{path.relative_to(run_dir)}")
    data = buffer.getvalue()
    parts = []
    for n, at in enumerate(range(0, len(data), part_bytes)):
        part = out / f"{ARCHIVE}.{n:02d}"
        part.write_bytes(data[at : at + part_bytes])
        parts.append(part)
    return parts


def unpack(folder: Path, to: Path) -> Path:
    """Join the ``session.tar.NN`` parts in ``folder`` and unpack them into ``to`` (with
    ``gpu_session.json`` copied beside), and write the model's int8 encoder; returns ``to``."""
    parts = sorted(folder.glob(f"{ARCHIVE}.*"))
    if not parts:
        raise SystemExit(f"restore error: no {ARCHIVE}.NN parts in {folder}")
    to.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(b"".join(p.read_bytes() for p in parts)), mode="r") as tar:
        tar.extractall(to, filter="data")
    if (folder / SUMMARY).exists():
        shutil.copy(folder / SUMMARY, to / SUMMARY)
    if (to / "model" / "config.json").exists():
        from training.export_encoder import export_encoder

        export_encoder(to / "model")
    print(f"unpacked {len(parts)} parts into {to}; the model is {to / 'model'}")
    return to


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--unpack", type=Path, help="a folder of parts brought back: join and unpack them (with --to)")
    parser.add_argument("--to", type=Path, default=Path("runs/gpu_session"), help="where --unpack writes")
    parser.add_argument("--out", help="where the parts and gpu_session.json go (on the device: $OUT)")
    for name, value in asdict(SessionArgs(out="")).items():
        if name != "out":
            parser.add_argument(f"--{name}", type=type(value) if value is not None else str, default=value)
    args = parser.parse_args(argv)
    if args.unpack:
        unpack(args.unpack, args.to)
        return
    if not args.out:
        parser.error("give --out (or --unpack)")
    run_session(SessionArgs(**{k: v for k, v in vars(args).items() if k not in ("unpack", "to")}))


if __name__ == "__main__":
    main()
