"""Turn the bytes of a JSON array or JSONL file into rows, or say exactly where they break."""

from __future__ import annotations

import json
from dataclasses import dataclass

from .problems import ImportRejected, Problem

MAX_FILE_BYTES = 512 * 1024 * 1024
MAX_ROW_BYTES = 1024 * 1024
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Row:
    number: int  # 1-based: array position, or line number in JSONL
    data: object


def read_rows(raw: bytes, *, file: str) -> list[Row]:
    """Rows of a JSON array or a JSONL file. A UTF-8 byte-order mark at the very
    start is tolerated (editors add it); anywhere else it is an error."""
    if len(raw) > MAX_FILE_BYTES:
        raise ImportRejected([Problem(file, f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}")])
    text = _decoded(raw.removeprefix(BOM), file=file)
    if not text.strip():
        raise ImportRejected([Problem(file, "file is empty: expected a JSON array or JSON lines")])
    if text.lstrip().startswith("["):
        return _array_rows(text, file=file)
    return _jsonl_rows(text, file=file)


def _decoded(raw: bytes, *, file: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ImportRejected(
            [
                Problem(
                    file,
                    f"not UTF-8: byte 0x{raw[error.start]:02x} at offset {error.start} (line {line}); save the file as UTF-8",
                )
            ]
        ) from None


def _array_rows(text: str, *, file: str) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportRejected(
            [Problem(file, f"invalid JSON at line {error.lineno}, column {error.colno}: {error.msg}")]
        ) from None
    if not isinstance(data, list):
        raise ImportRejected([Problem(file, f"expected a JSON array of rows, found a JSON {type(data).__name__}")])
    return [Row(n, value) for n, value in enumerate(data, start=1)]


def _jsonl_rows(text: str, *, file: str) -> list[Row]:
    rows, problems = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if len(line.encode()) > MAX_ROW_BYTES:
            problems.append(
                Problem(file, f"line is {len(line.encode())} bytes; the limit is {MAX_ROW_BYTES}", row=number)
            )
            continue
        if line.startswith("\ufeff"):
            problems.append(Problem(file, "a byte-order mark starts this line (files concatenated?)", row=number))
            continue
        try:
            rows.append(Row(number, json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(Problem(file, f"invalid JSON at column {error.colno}: {error.msg}", row=number))
    if problems:
        raise ImportRejected(problems)
    return rows
