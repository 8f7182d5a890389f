"""Command line: ``restore fix``, ``restore explain``, ``restore detect``, ``restore spin``, ``restore serve``,
``restore fix-corpus``.

A thin layer over the library.  Errors the user can act on print one line,
``restore error: ...``, on stderr and exit non-zero: 1 for input and output problems (a
missing or unreadable file, invalid UTF-8, binary or empty input, input over
``--max-bytes``), 2 for bad arguments, 3 when no model can be loaded (none there, damaged
or incompatible files, an unreachable Hub id, a device that is not there).

``fix`` and ``explain`` read their input in blocks of whole paragraphs
(:func:`restore.streams.read_blocks`) and write each block as soon as it is restored, so
memory stays bounded whatever the input's size; ``explain --json`` and ``spin`` need the
whole text.  Output files are written whole or not at all (:class:`restore.streams.AtomicOutput`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn, Sequence

from restore.edits import Edit, shift
from restore.model import DTYPES, ENCODERS
from restore.restorer import DEFAULT_LATER_ROUNDS, DEFAULT_ROUNDS, LATER_ROUNDS
from restore.streams import DEFAULT_MAX_BYTES, AtomicOutput, InputError, read_blocks

EXIT_INPUT = 1
EXIT_USAGE = 2
EXIT_MODEL = 3

_STRIKE_RED, _GREEN, _RESET = "\x1b[9;31m", "\x1b[32m", "\x1b[0m"


class CLIError(Exception):
    """An error reported as one line, with an exit status."""

    def __init__(self, message: str, status: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.status = status


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one ``restore error:`` line, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"restore error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
    except InputError as e:
        print(f"restore error: {e}", file=sys.stderr)
        return EXIT_INPUT
    except CLIError as e:
        print(f"restore error: {e}", file=sys.stderr)
        return e.status
    except KeyboardInterrupt:
        print("restore error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `restore fix big.txt | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="restore", description="Repair synonym-spun text back to its source wording.")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def model_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", metavar="PATH", help="model folder or Hub id (default: the shipped model)")
        p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to run the model")
        p.add_argument("--dtype", choices=DTYPES, default="auto",
                       help="number format of the network: auto (default) is bfloat16 where the hardware computes "
                            "it natively (about 1.6 times the words/s on a 2-core AVX-512 BF16 CPU), else float32")
        p.add_argument("--encoder", choices=ENCODERS, default="auto",
                       help="what tags the text: auto (default) is the model's int8 ONNX encoder on the CPU where the "
                            "folder has one, else the network's own; torch is the reference path")

    def rounds_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--rounds", type=_positive, default=DEFAULT_ROUNDS, metavar="N",
                       help=f"restore what a round wrote again, up to N rounds (default {DEFAULT_ROUNDS}); 1: one pass, "
                            "about twice the words/s on spun text, but restoring its output again changes some")
        p.add_argument("--later-rounds", choices=LATER_ROUNDS, default=DEFAULT_LATER_ROUNDS,
                       help=f"what a later round reads again: sparse (default {DEFAULT_LATER_ROUNDS}) is near the "
                            "last edits of units with at most two; near: of every changed unit (about 1.5 times the "
                            "time on densely spun text, and a second pass changes less); whole: all of a changed unit")

    def workers_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--workers", type=_workers, default="auto", metavar="N",
                       help="processes that score candidates on the other cores for long texts: auto (default) is "
                            "one per core where there are several, 0 none")

    def input_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", nargs="?", default="-", metavar="FILE", help="UTF-8 text file, or - for stdin (default)")
        p.add_argument("--max-bytes", type=_byte_count, default=DEFAULT_MAX_BYTES, metavar="N",
                       help="stop with an error once the input passes N bytes (suffixes K, M, G; "
                            "default 1G; 0: no limit)")

    def output_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("-o", "--output", metavar="OUT",
                       help="write here instead of stdout, whole or not at all (keeps the file's mode; "
                            "a symbolic link is written through)")

    fix = commands.add_parser("fix", help="print the restored text")
    input_options(fix)
    output_option(fix)
    model_options(fix)
    rounds_option(fix)
    workers_option(fix)
    fix.set_defaults(command=_fix)

    explain = commands.add_parser("explain", help="show what fix would change")
    input_options(explain)
    explain.add_argument("--json", action="store_true", help="print the restored text and its edits as JSON")
    model_options(explain)
    rounds_option(explain)
    workers_option(explain)
    explain.set_defaults(command=_explain)

    spin = commands.add_parser("spin", help="spin a clean text like an article spinner")
    input_options(spin)
    output_option(spin)
    spin.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    spin.add_argument("--profile", default="news", help="spinner profile (default news)")
    spin.add_argument("--rate", type=float, default=None, help="share of table entries spun (default: the profile's)")
    spin.set_defaults(command=_spin)

    corpus = commands.add_parser("fix-corpus", help="restore a corpus (JSONL, Parquet, a saved dataset, text files) into shards")
    corpus.add_argument("input", metavar="IN", help="a .jsonl or .parquet file, a folder of Parquet files, a dataset "
                        "saved with save_to_disk, a folder of text files (one a document) or one text file")
    corpus.add_argument("output", metavar="OUT", help="folder for the shards, manifest.json and summary.json; "
                        "a rerun skips the shards already written")
    corpus.add_argument("--text-field", default="text", metavar="NAME", help="the field or column to restore (default text)")
    corpus.add_argument("--format", choices=("jsonl", "parquet", "dataset", "text"), help="the input's format (default: from IN)")
    corpus.add_argument("--split", help="the split of a saved DatasetDict")
    corpus.add_argument("--shard-size", type=_positive, metavar="N",
                        help="records a shard (default 64; for one text file 8 blocks of about 16 K characters)")
    corpus.add_argument("--jobs", type=_positive, default=1, metavar="N",
                        help="worker processes (or Ray actors), each with its own model (default 1)")
    corpus.add_argument("--threads", type=_positive, metavar="N", help="torch threads a worker (default: cores / jobs)")
    corpus.add_argument("--engine", choices=("pool", "ray"), default="pool",
                        help="pool: processes on this machine (default); ray: Ray Data actors")
    corpus.add_argument("--ray-address", metavar="ADDR", help="Ray cluster to join (default: a local Ray instance)")
    corpus.add_argument("--no-progress", action="store_true", help="no progress bar (none either when stderr is not a terminal)")
    model_options(corpus)
    rounds_option(corpus)
    corpus.set_defaults(command=_fix_corpus)

    detect = commands.add_parser("detect", help="say how likely a text is spun, and where")
    input_options(detect)
    detect.add_argument("--json", action="store_true", help="print the probability and the suspected spans as JSON")
    model_options(detect)
    detect.set_defaults(command=_detect)

    serve = commands.add_parser("serve", help="a web page and JSON API to restore pasted text (needs restore[serve])")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--max-bytes", type=_byte_count, default=1 << 20, metavar="N",
                       help="largest request accepted (suffixes K, M, G; default 1M)")
    model_options(serve)
    rounds_option(serve)
    serve.set_defaults(command=_serve)
    return parser


def _fix(args: argparse.Namespace) -> int:
    _check_output(args.output)
    with _input(args.file) as (stream, label, size), _output(args.output) as out:
        restorer = None
        with _progress(size) as bar:
            for block in read_blocks(stream, label, args.max_bytes or None):
                restorer = restorer or _load_restorer(args)
                out.write(restorer.fix(block, progress=False))
                bar.update(len(block.encode("utf-8")))
    return 0


def _explain(args: argparse.Namespace) -> int:
    color = not args.json and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    texts: list[str] = []
    edits: list[Edit] = []
    offset = 0
    with _input(args.file) as (stream, label, size), _output(None) as out, _progress(size) as bar:
        restorer = None
        for block in read_blocks(stream, label, args.max_bytes or None):
            restorer = restorer or _load_restorer(args)
            explained = restorer.explain(block, progress=False)
            if args.json:
                texts.append(explained.text)
                edits.extend(shift(explained.edits, offset))
                offset += len(block)
            else:
                out.write(render_diff(block, explained.edits, color=color, final_newline=False))
            bar.update(len(block.encode("utf-8")))
        if args.json:
            record = {"text": "".join(texts), "edits": [e.to_dict() for e in edits]}
            out.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
        elif not block.endswith("\n"):
            out.write("\n")
    return 0


def _spin(args: argparse.Namespace) -> int:
    from restore.spin import spin

    _check_output(args.output)
    with _input(args.file) as (stream, label, _):
        text = "".join(read_blocks(stream, label, args.max_bytes or None))
    try:
        spun = spin(text, seed=args.seed, profile=args.profile, rate=args.rate)
    except (ValueError, OSError) as e:  # a bad profile or rate; spinner tables not built
        raise CLIError(str(e)) from None
    with _output(args.output) as out:
        out.write(spun)
    return 0


def _detect(args: argparse.Namespace) -> int:
    with _input(args.file) as (stream, label, _):
        text = "".join(read_blocks(stream, label, args.max_bytes or None))
    found = _load_restorer(args).detect(text)
    with _output(None) as out:
        if args.json:
            out.write(json.dumps(found.to_dict(), ensure_ascii=False, indent=2) + "\n")
            return 0
        verdict = "likely spun" if found.spun else "likely not spun"
        out.write(f"spun: {found.probability:.1%} ({verdict}); {len(found.spans)} suspected span(s)\n")
        for s in found.spans:
            hint = f" -> {s.suggestion!r}" if s.suggestion else ""
            out.write(f"{s.start}-{s.end}\t{s.probability:.2f}\t{s.text!r}{hint}\n")
    return 0


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from restore.serve import create_app
    except ImportError as e:
        raise CLIError(f"restore serve needs the serve extra: pip install 'restore[serve]' ({e.name} is missing)") from None
    if args.max_bytes < 1:
        raise CLIError("serve needs a request limit: --max-bytes must be at least 1", EXIT_USAGE)
    restorer = _load_restorer(args)
    print(f"restore: serving on http://{args.host}:{args.port}/ (Ctrl+C stops)", file=sys.stderr)
    uvicorn.run(create_app(restorer, max_bytes=args.max_bytes), host=args.host, port=args.port, log_level="warning")
    return 0


def _fix_corpus(args: argparse.Namespace) -> int:
    from restore.batch import CorpusError, fix_corpus
    from restore.restorer import ModelLoadError, ModelNotFoundError

    _quiet_transformers()
    try:
        summary = fix_corpus(
            args.input, args.output, text_field=args.text_field, fmt=args.format, split=args.split,
            shard_size=args.shard_size, jobs=args.jobs, engine=args.engine, model=args.model, device=args.device,
            dtype=args.dtype, threads=args.threads, progress=False if args.no_progress else None,
            ray_address=args.ray_address, encoder=args.encoder, rounds=args.rounds, later_rounds=args.later_rounds,
        )
    except (ModelNotFoundError, ModelLoadError) as e:
        raise CLIError(str(e), EXIT_MODEL) from None
    except CorpusError as e:
        raise CLIError(str(e)) from None
    except OSError as e:
        raise CLIError(f"{e.filename or 'fix-corpus'}: {e.strerror or e}") from None
    print(summary.line())
    return 0


def render_diff(text: str, edits: Sequence[Edit], color: bool, final_newline: bool = True) -> str:
    """``text`` with each edit shown in place: struck red before, green after (ANSI), or
    ``[-before-]{+after+}`` (wdiff style) without colour; ending in a line break if
    ``final_newline``."""
    parts: list[str] = []
    pos = 0
    for e in edits:
        parts.append(text[pos : e.start])
        if color:
            parts.append(f"{_STRIKE_RED}{e.before}{_RESET}" if e.before else "")
            parts.append(f"{_GREEN}{e.after}{_RESET}" if e.after else "")
        else:
            parts.append(f"[-{e.before}-]" if e.before else "")
            parts.append(f"{{+{e.after}+}}" if e.after else "")
        pos = e.end
    parts.append(text[pos:])
    out = "".join(parts)
    return out if out.endswith("\n") or not final_newline else out + "\n"


def _load_restorer(args: argparse.Namespace):
    from restore.restorer import ModelLoadError, ModelNotFoundError, Restorer

    try:
        _quiet_transformers()
        # only fix and explain take --workers: detect reads short texts, and serve's
        # requests run on a thread of their own, where no worker process is forked
        return Restorer.from_pretrained(args.model, device=args.device, dtype=args.dtype, encoder=args.encoder,
                                        rounds=getattr(args, "rounds", DEFAULT_ROUNDS), workers=getattr(args, "workers", 0),
                                        later_rounds=getattr(args, "later_rounds", DEFAULT_LATER_ROUNDS))
    except (ModelNotFoundError, ModelLoadError) as e:
        raise CLIError(str(e), EXIT_MODEL) from None
    except (OSError, ValueError, RuntimeError, ImportError) as e:
        where = args.model or "the shipped model"
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CLIError(f"could not load {where}: {message}", EXIT_MODEL) from None


def _quiet_transformers() -> None:
    """No library warnings between the user and the result (read by transformers when it is
    first imported; set before, so a missing model stays fast)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _positive(value: str) -> int:
    """A whole number of at least 1 (``--jobs``, ``--shard-size``, ``--threads``)."""
    if not value.strip().isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def _workers(value: str) -> int | str:
    """``--workers``: ``auto``, 0, or a whole number of at least 2."""
    if value.strip() == "auto":
        return "auto"
    if not value.strip().isdigit() or int(value) == 1:
        raise argparse.ArgumentTypeError(f"expected auto, 0 or a whole number of at least 2, got {value!r}")
    return int(value)


def _byte_count(value: str) -> int:
    """A byte count for ``--max-bytes``: digits with an optional K, M or G (powers of 1024)."""
    text = value.strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of bytes such as 500000, 64K, 10M or 1G, got {value!r}")
    return int(digits) * scale


@contextlib.contextmanager
def _input(name: str) -> Iterator[tuple[BinaryIO, str, int | None]]:
    """(binary stream, label, size in bytes if known) of file ``name`` (``-``: stdin)."""
    if name == "-":
        yield sys.stdin.buffer, "stdin", None
        return
    try:
        f = open(name, "rb")
    except FileNotFoundError:
        raise CLIError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise CLIError(f"{name} is a directory, not a text file") from None
    except PermissionError:
        raise CLIError(f"cannot read {name}: permission denied") from None
    except OSError as e:
        raise CLIError(f"cannot read {name}: {e.strerror or e}") from None
    with f:
        size = os.fstat(f.fileno()).st_size
        try:
            yield f, name, size if Path(name).is_file() else None
        except OSError as e:
            if isinstance(e, BrokenPipeError):
                raise
            raise CLIError(f"cannot read {name}: {e.strerror or e}") from None


@contextlib.contextmanager
def _output(out: str | None) -> Iterator:
    """Somewhere to ``write(text)``: stdout (as UTF-8, flushed as it goes), or file ``out``
    written whole when the block ends without an error."""
    if out is None:
        class Stdout:
            def write(self, text: str) -> None:
                sys.stdout.buffer.write(text.encode("utf-8"))
                sys.stdout.flush()

        yield Stdout()
        return
    try:
        with AtomicOutput(out) as f:
            yield f
    except CLIError:
        raise
    except OSError as e:
        if isinstance(e, BrokenPipeError):
            raise
        raise CLIError(f"cannot write {out}: {e.strerror or e}") from None


def _progress(size: int | None):
    """A bar on stderr over the input's bytes, when stderr is a terminal."""
    from tqdm import tqdm

    show = sys.stderr is not None and sys.stderr.isatty()
    return tqdm(total=size, unit="B", unit_scale=True, desc="restore", file=sys.stderr, leave=False, disable=not show)


def _check_output(out: str | None) -> None:
    """Fail before any work if ``out`` cannot be written."""
    if out is None:
        return
    path = Path(os.path.realpath(out))
    if path.is_dir():
        raise CLIError(f"{out} is a directory; give a file name for -o")
    if not path.parent.is_dir():
        raise CLIError(f"cannot write {out}: no such directory {path.parent}")
