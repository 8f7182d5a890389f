"""Text in and out of the command line, in bounded memory.

:func:`read_blocks` reads a byte stream as UTF-8 in blocks of whole paragraphs (about
:data:`BLOCK_CHARS` characters each), so input of any size is restored block by block;
:class:`AtomicOutput` writes a file whole or not at all, keeping the mode of the file it
replaces and writing through a symbolic link to its target.  Errors the user can act on
raise :class:`InputError` with a one-line message.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import regex

BLOCK_CHARS = 1 << 18
"""Characters in a block (256 Ki, about 40,000 words of English); a block ends at the last
paragraph break within it, else the last line break, else the last whitespace."""
READ_BYTES = 1 << 16  # bytes read at a time
DEFAULT_MAX_BYTES = 1 << 30  # the input limit of the command line (1 GiB)

_PARAGRAPH_BREAK = regex.compile(r"(?:\r\n|[\n\r\x0b\x0c\x85\u2028])[^\S\r\n\x0b\x0c\x85\u2028\u2029]*(?:\r\n|[\n\r\x0b\x0c\x85\u2028])|\u2029")
_LINE_BREAK = regex.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028\u2029]")
_WHITESPACE = regex.compile(r"\s")


class InputError(Exception):
    """Input the command line cannot take: invalid UTF-8, binary, empty or over the limit."""


def read_blocks(
    stream: BinaryIO, label: str, max_bytes: int | None = DEFAULT_MAX_BYTES, block_chars: int | None = None
) -> Iterator[str]:
    """The UTF-8 text of ``stream`` in blocks that, joined, are the input exactly.

    A block ends at a paragraph break (a blank line) where one lies within ``block_chars``
    characters (None: :data:`BLOCK_CHARS`), else at a line break, else after whitespace; a run of ``block_chars``
    characters without any is cut where the block ends.  Memory stays within a few blocks
    whatever the input's size.  Raises :class:`InputError` (``label`` names the input) for
    bytes that are not UTF-8, a NUL byte (binary data), an input that is empty or holds only
    whitespace, or one longer than ``max_bytes`` (None: no limit), as soon as it is read.
    """
    block_chars = BLOCK_CHARS if block_chars is None else block_chars
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    pending = ""
    held: list[str] = []  # whitespace-only blocks before the first with any text
    read = 0
    while True:
        chunk = stream.read(READ_BYTES)
        if max_bytes is not None and read + len(chunk) > max_bytes:
            raise InputError(
                f"{label} is longer than the input limit of {max_bytes:,} bytes; "
                "raise it with --max-bytes (0: no limit)"
            )
        nul = chunk.find(b"\0")
        if nul != -1:
            raise InputError(f"{label} is binary data, not text (a NUL byte at offset {read + nul})")
        buffered = decoder.getstate()[0]
        try:
            pending += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as e:
            data = buffered + chunk
            raise InputError(
                f"{label} is not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {read - len(buffered) + e.start})"
            ) from None
        read += len(chunk)
        while len(pending) > block_chars or (not chunk and pending):
            cut = len(pending) if not chunk and len(pending) <= block_chars else _cut(pending, block_chars)
            block, pending = pending[:cut], pending[cut:]
            if held is not None and not block.strip():
                held.append(block)
                continue
            if held is not None:
                yield from held
                held = None
            yield block
        if not chunk:
            break
    if held is not None:
        raise InputError(f"{label} is empty" if read == 0 else f"{label} holds only whitespace")


def _cut(text: str, limit: int) -> int:
    """Where to end a block of ``text`` (``0 < cut <= limit``): after the last paragraph
    break, line break or whitespace that ends within ``limit`` characters, else at ``limit``."""
    for pattern in (_PARAGRAPH_BREAK, _LINE_BREAK, _WHITESPACE):
        last = None
        for last in pattern.finditer(text, 0, limit):
            pass
        if last is not None and last.end() > 0:
            cut = last.end()
            if text[cut - 1] == "\r" and text[cut : cut + 1] == "\n":
                cut += 1  # never split a CRLF
            return cut
    return limit


class AtomicOutput:
    """A file written whole or not at all: text goes to a temporary file beside the target,
    which replaces the target when the ``with`` block ends without an error and is removed
    when it ends with one.  The target keeps its permission bits if it exists (else the
    umask's); a symbolic link is written through, so the link stays and its target changes.
    Raises :class:`OSError` (with the path) when the file cannot be written."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.target = Path(os.path.realpath(path))
        self._tmp: str | None = None
        self._file = None

    def __enter__(self) -> "AtomicOutput":
        fd, self._tmp = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.", suffix=".tmp")
        self._file = os.fdopen(fd, "wb")
        return self

    def write(self, text: str) -> None:
        """Add ``text``, as UTF-8."""
        self._file.write(text.encode("utf-8"))

    def __exit__(self, kind, error, trace) -> None:
        assert self._file is not None and self._tmp is not None
        try:
            self._file.close()
            if kind is None:
                os.chmod(self._tmp, _mode_for(self.target))
                os.replace(self._tmp, self.target)
        finally:
            if os.path.exists(self._tmp):
                os.unlink(self._tmp)


def _mode_for(target: Path) -> int:
    """The permission bits of ``target``, or for a new file those the umask allows."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
