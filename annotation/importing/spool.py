"""The checked rows of the first pass, kept for the writing pass in a temporary file, one pickled batch at a time.

The writing pass used to read and check the file a second time (parsing and checking each row is most of
an import's reading cost); it now writes exactly the rows the first pass checked. Memory holds one batch:
the file is in memory up to ``IN_MEMORY_BYTES`` and on disk beyond."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from typing import Any

IN_MEMORY_BYTES = 16 * 1024 * 1024


class RowSpool:
    """``add`` rows in order; ``batches()`` gives them back in lists of ``batch_size``, once. Closed (its file
    deleted) when the batches are read or on leaving its ``with``."""

    def __init__(self, *, batch_size: int):
        self.batch_size = batch_size
        self.rows = 0
        self._file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115 (closed by close)
        self._pending: list[Any] = []

    def add(self, row: Any) -> None:
        self._pending.append(row)
        self.rows += 1
        if len(self._pending) == self.batch_size:
            self._flush()

    def batches(self) -> Iterator[list[Any]]:
        self._flush()
        self._file.seek(0)
        try:
            while True:
                try:
                    yield pickle.load(self._file)
                except EOFError:
                    return
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> RowSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _flush(self) -> None:
        if self._pending:
            pickle.dump(self._pending, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._pending = []
