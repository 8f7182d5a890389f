"""Command line: ``restore fix``, ``restore explain``, ``restore spin``.

A thin layer over the library.  Errors the user can act on (a missing or unreadable file,
invalid UTF-8, empty input, no model) print one line, ``restore error: ...``, on stderr and
exit non-zero: 1 for input/output problems, 3 when no model can be loaded, 2 for usage
errors (argparse).  Output files are written whole or not at all.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from restore.edits import Edit
from restore.model import DTYPES

EXIT_INPUT = 1
EXIT_MODEL = 3

_STRIKE_RED, _GREEN, _RESET = "\x1b[9;31m", "\x1b[32m", "\x1b[0m"


class CLIError(Exception):
    """An error reported as one line, with an exit status."""

    def __init__(self, message: str, status: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.command(args)
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
    parser = argparse.ArgumentParser(
        prog="restore", description="Repair synonym-spun text back to its source wording."
    )
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    def model_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", metavar="PATH", help="model folder or Hub id (default: the shipped model)")
        p.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="where to run the model")
        p.add_argument("--dtype", choices=DTYPES, default="auto",
                       help="number format of the network: auto (default) is bfloat16 where the hardware computes "
                            "it natively (about 1.6 times the words/s on a 2-core AVX-512 BF16 CPU), else float32")

    fix = commands.add_parser("fix", help="print the restored text")
    fix.add_argument("file", nargs="?", default="-", metavar="FILE", help="UTF-8 text file, or - for stdin (default)")
    fix.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    model_options(fix)
    fix.set_defaults(command=_fix)

    explain = commands.add_parser("explain", help="show what fix would change")
    explain.add_argument("file", nargs="?", default="-", metavar="FILE", help="UTF-8 text file, or - for stdin (default)")
    explain.add_argument("--json", action="store_true", help="print the restored text and its edits as JSON")
    model_options(explain)
    explain.set_defaults(command=_explain)

    spin = commands.add_parser("spin", help="spin a clean text like an article spinner")
    spin.add_argument("file", nargs="?", default="-", metavar="FILE", help="UTF-8 text file, or - for stdin (default)")
    spin.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    spin.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    spin.add_argument("--profile", default="news", help="spinner profile (default news)")
    spin.add_argument("--rate", type=float, default=None, help="share of table entries spun (default: the profile's)")
    spin.set_defaults(command=_spin)
    return parser


def _fix(args: argparse.Namespace) -> int:
    _check_output(args.output)
    text = _read_text(args.file)
    restorer = _load_restorer(args)
    _write_text(restorer.fix(text), args.output)
    return 0


def _explain(args: argparse.Namespace) -> int:
    text = _read_text(args.file)
    explained = _load_restorer(args).explain(text)
    if args.json:
        out = json.dumps(explained.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = render_diff(text, explained.edits, color=color)
    _write_text(out, None)
    return 0


def _spin(args: argparse.Namespace) -> int:
    from restore.spin import spin

    _check_output(args.output)
    text = _read_text(args.file)
    try:
        spun = spin(text, seed=args.seed, profile=args.profile, rate=args.rate)
    except (ValueError, OSError) as e:  # a bad profile or rate; spinner tables not built
        raise CLIError(str(e)) from None
    _write_text(spun, args.output)
    return 0


def render_diff(text: str, edits: Sequence[Edit], color: bool) -> str:
    """``text`` with each edit shown in place: struck red before, green after (ANSI), or
    ``[-before-]{+after+}`` (wdiff style) without colour."""
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
    return out if out.endswith("\n") else out + "\n"


def _load_restorer(args: argparse.Namespace):
    from restore.restorer import ModelNotFoundError, Restorer

    try:
        _quiet_transformers()
        return Restorer.from_pretrained(args.model, device=args.device, dtype=args.dtype)
    except ModelNotFoundError as e:
        raise CLIError(str(e), EXIT_MODEL) from None
    except (OSError, ValueError, RuntimeError, ImportError) as e:
        where = args.model or "the shipped model"
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CLIError(f"could not load {where}: {message}", EXIT_MODEL) from None


def _quiet_transformers() -> None:
    """No weight-loading bars or library warnings between the user and the result (read
    by transformers when it is first imported; set before, so a missing model stays fast)."""
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def _read_text(name: str) -> str:
    """The UTF-8 text of file ``name`` (``-``: stdin), exactly as stored (CRLF kept)."""
    label = "stdin" if name == "-" else name
    try:
        data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except FileNotFoundError:
        raise CLIError(f"no such file: {name}") from None
    except IsADirectoryError:
        raise CLIError(f"{name} is a directory, not a text file") from None
    except PermissionError:
        raise CLIError(f"cannot read {name}: permission denied") from None
    except OSError as e:
        raise CLIError(f"cannot read {label}: {e.strerror or e}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CLIError(
            f"{label} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None
    if not text.strip():
        raise CLIError(f"{label} is empty" if not text else f"{label} holds only whitespace")
    return text


def _check_output(out: str | None) -> None:
    """Fail before any work if ``out`` cannot be written."""
    if out is None:
        return
    path = Path(out)
    if path.is_dir():
        raise CLIError(f"{out} is a directory; give a file name for -o")
    if not path.parent.is_dir():
        raise CLIError(f"cannot write {out}: no such directory {path.parent}")


def _write_text(text: str, out: str | None) -> None:
    """Write ``text`` as UTF-8 to stdout, or atomically to file ``out``."""
    data = text.encode("utf-8")
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    path = Path(out)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise CLIError(f"cannot write {out}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise CLIError(f"cannot write {out}: {e.strerror or e}") from None
        raise
