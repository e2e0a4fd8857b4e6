"""Turn a JSON array or JSONL file into rows as it is read, or say exactly where it breaks.

The file is read in pieces of at most ``CHUNK_BYTES`` (a line, or part of a long one), so
memory stays bounded whatever its size: JSONL line by line, a JSON array through ijson's
incremental parser (https://github.com/ICRAR/ijson), one element at a time. No value may
nest deeper than ``MAX_DEPTH``: a deeper one is a problem of its row, found without recursion.
"""

from __future__ import annotations

import codecs
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

import ijson

from .problems import Problem, ProblemLog

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_ROW_BYTES = 1024 * 1024
MAX_DEPTH = 32  # a row is an object of strings and lists of strings: 3 levels
CHUNK_BYTES = 64 * 1024
BOM = b"\xef\xbb\xbf"
OPENERS = frozenset(b"[{")


@dataclass(frozen=True)
class Row:
    number: int  # 1-based: array position, or line number in JSONL
    data: object


class _StopReading(Exception):
    """A problem after which nothing more of the file can be read; it is in the log."""


class RowReader:
    """``for row in RowReader(stream, file=..., problems=log)``: the rows that parse, in order; every problem of
    reading goes to ``problems``. ``bytes_read`` says how far it got (for progress)."""

    def __init__(self, stream: BinaryIO, *, file: str, problems: ProblemLog):
        self.stream, self.file, self.problems = stream, file, problems
        self.bytes_read = 0
        self.line = 1  # of the next chunk
        self._utf8 = codecs.getincrementaldecoder("utf-8")()

    def __iter__(self) -> Iterator[Row]:
        try:
            first = self._first_chunk()
            if first is None:
                return
            if first.lstrip()[:1] == b"[":
                yield from self._array_rows(first)
            else:
                yield from self._jsonl_rows(first)
        except _StopReading:
            return

    def _problem(self, message: str, row: int | None = None, *, kind: str) -> None:
        self.problems.add(Problem(self.file, message, row, kind=kind))

    def _chunk(self) -> bytes:
        """The next line of the file, or its next ``CHUNK_BYTES`` when the line is longer; checked as UTF-8."""
        chunk = self.stream.readline(CHUNK_BYTES)
        start, self.bytes_read = self.bytes_read, self.bytes_read + len(chunk)
        if self.bytes_read > MAX_FILE_BYTES:
            self._problem(f"file is over {MAX_FILE_BYTES} bytes, the limit", kind="size")
            raise _StopReading
        try:
            self._utf8.decode(chunk, final=not chunk)
        except UnicodeDecodeError as error:
            pending = len(error.object) - len(chunk)  # bytes of a character begun in the chunk before
            offset = start - pending + error.start
            line = self.line + error.object[: error.start].count(b"\n")
            bad = error.object[error.start]
            self._problem(
                f"not UTF-8: byte 0x{bad:02x} at offset {offset} (line {line}); save the file as UTF-8", kind="encoding"
            )
            raise _StopReading from None
        return chunk

    def _advance_line(self, chunk: bytes) -> None:
        self.line += chunk.endswith(b"\n")

    def _first_chunk(self) -> bytes | None:
        """The first chunk that holds more than whitespace (the BOM of the very start dropped), or None when empty."""
        chunk = self._chunk()
        if chunk.startswith(BOM):
            chunk = chunk[len(BOM) :]
        while chunk and not chunk.strip():
            self._advance_line(chunk)
            chunk = self._chunk()
        if not chunk:
            self._problem("file is empty: expected a JSON array or JSON lines", kind="json")
            return None
        return chunk

    # --- JSON lines ---------------------------------------------------------------------------

    def _jsonl_rows(self, chunk: bytes) -> Iterator[Row]:
        while chunk:
            number, parts, size, ended = self.line, [chunk], len(chunk), chunk.endswith(b"\n")
            while not ended and (more := self._chunk()):
                size, ended = size + len(more), more.endswith(b"\n")
                if size <= MAX_ROW_BYTES + 1:
                    parts.append(more)
            self.line += 1
            length = size - ended  # without the newline
            if length > MAX_ROW_BYTES:
                self._problem(f"line is {length} bytes; the limit is {MAX_ROW_BYTES}", number, kind="size")
            elif chunk.strip() or len(parts) > 1:
                row = self._jsonl_row(b"".join(parts), number)
                if row is not None:
                    yield row
            chunk = self._chunk()

    def _jsonl_row(self, line: bytes, number: int) -> Row | None:
        text = line.decode("utf-8").removesuffix("\n")
        if text.startswith("\ufeff"):
            self._problem("a byte-order mark starts this line (files concatenated?)", number, kind="json")
            return None
        if text.count("[") + text.count("{") > MAX_DEPTH:  # could nest too deep: parse it without recursion
            return next(self._values_of([line], first_row=number, one_row=True), None)
        try:
            return Row(number, json.loads(text))
        except json.JSONDecodeError as error:
            self._problem(f"invalid JSON at column {error.colno}: {error.msg}", number, kind="json")
            return None

    # --- a JSON array -------------------------------------------------------------------------

    def _array_rows(self, first: bytes) -> Iterator[Row]:
        def chunks() -> Iterator[bytes]:
            chunk = first
            while chunk:
                yield chunk
                self._advance_line(chunk)
                chunk = self._chunk()

        yield from self._values_of(chunks(), first_row=1, one_row=False)

    def _values_of(self, chunks: Iterable[bytes], *, first_row: int, one_row: bool) -> Iterator[Row]:
        """Rows built from ijson's events: the elements of the top array (or, with ``one_row``, the one value);
        a value deeper than ``MAX_DEPTH`` is a problem of its row and is skipped, not built."""
        events = ijson.sendable_list()
        parser = ijson.basic_parse_coro(events, use_float=True)
        top = 0 if one_row else 1  # the depth at which a row is complete
        depth, number, builder, too_deep = 0, first_row - 1 + one_row, None, False
        try:
            for chunk in chain(chunks, [b""]):
                if chunk:
                    parser.send(chunk)
                else:
                    parser.close()
                for event, value in events:
                    if depth == top and not (event == "end_array" and not one_row):
                        if not one_row:
                            number += 1
                        builder, too_deep = ijson.ObjectBuilder(), False
                    if event in ("start_map", "start_array"):
                        depth += 1
                        too_deep = too_deep or depth - top > MAX_DEPTH
                    elif event in ("end_map", "end_array"):
                        depth -= 1
                    if builder is None:
                        continue
                    if not too_deep:
                        builder.event(event, value)
                    if depth == top:
                        if too_deep:
                            self._problem(f"nested more than {MAX_DEPTH} levels deep", number, kind="depth")
                        else:
                            yield Row(number, builder.value)
                        builder = None
                del events[:]
        except ijson.JSONError as error:
            message = str(error).split("\n", 1)[0].removeprefix("b'").strip()
            if one_row:
                self._problem(f"invalid JSON: {message}", number, kind="json")
                return
            self._problem(f"invalid JSON at line {self.line}: {message}", max(number, 1), kind="json")
            raise _StopReading from None


def read_rows(raw: bytes, *, file: str) -> list[Row]:
    """Rows of a JSON array or a JSONL file held in memory. A UTF-8 byte-order mark at the very
    start is tolerated (editors add it); anywhere else it is an error."""
    problems = ProblemLog()
    rows = list(RowReader(io.BytesIO(raw), file=file, problems=problems))
    if problems:
        raise problems.rejected()
    return rows
