"""Benchmark-wide mutexes: named PostgreSQL advisory locks, held until the transaction ends.

Where a service means "one of these at a time per benchmark" (machine content writes with their
qid allocation, a release cut) it takes ``benchmark_mutex(benchmark_id, purpose)`` instead of
locking the ``Benchmark`` row. A row lock FOR UPDATE conflicts with the FOR KEY SHARE lock that
every foreign-key check takes, so locking the benchmark's row stalled every insert of a row
referencing the benchmark (videos, items, flags, queues...) for as long as the mutex was held.
An advisory lock conflicts with nothing but the same lock: ``pg_advisory_xact_lock(purpose,
benchmark_id)``, the two-int4 form, whose key space does not overlap the one-bigint form. It is
released at commit or rollback.

On SQLite (the embedded default) it does nothing: transactions begin IMMEDIATE there
(``mabench_site/settings.py``), so one writer at a time holds the whole database from BEGIN, and
correctness comes from conditional UPDATEs and unique constraints. See ``docs/locking.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from django.db import connection

from annotation.errors import DomainError
from annotation.plain_sql import Statement, statements_rows

INT4_MAX = 2**31 - 1


class MutexPurpose(IntEnum):
    """The first key of a benchmark mutex (the second is the benchmark's id). Stated once, here;
    a number is never reused for another purpose."""

    # Machine writes of the benchmark's items and captions: an import, a generation clip write (it
    # allocates new qids TASK_NNNN after the highest in use). A release cut holds it too, so the
    # content it checked is the content it freezes.
    CONTENT_WRITES = 1
    RELEASE_CUT = 2  # one release cut of a benchmark at a time; taken before CONTENT_WRITES
    # The sync of the benchmark-wide lint flags (annotation/services/benchmark_checks.py): one at a time,
    # each reading the answer tally after the last one committed. A leaf: taken last, nothing after it
    # but the lint flags it syncs.
    BENCHMARK_CHECKS = 3


class MutexOutsideTransaction(DomainError):
    """A benchmark mutex was asked for outside ``transaction.atomic()``: it would be released at once."""


def benchmark_mutex(
    benchmark_id: int, purpose: MutexPurpose, *, first: Sequence[Statement] = (), then: Sequence[Statement] = ()
) -> list[list[tuple]]:
    """Wait for, then hold until this transaction ends, the ``purpose`` mutex of the benchmark.

    Take it before any row lock of the transaction (``docs/locking.md``, lock order). ``first``: statements
    (writes) to run before it, ``then``: statements to run once it is held; all sent with it in one round
    trip where the driver allows (``statements_rows``). Returns the rows of ``then``."""
    purpose = MutexPurpose(purpose)
    if not connection.in_atomic_block:
        raise MutexOutsideTransaction(
            f"the {purpose.name.lower()} mutex of benchmark #{benchmark_id} is held until "
            "the transaction ends: take it inside transaction.atomic()"
        )
    if not 0 < benchmark_id <= INT4_MAX:
        raise ValueError(f"benchmark id {benchmark_id} does not fit an advisory lock key (1 to {INT4_MAX})")
    if connection.vendor != "postgresql":  # SQLite: the IMMEDIATE transaction already holds the one write lock
        return statements_rows([*first, *then])[len(first) :]
    lock = ("SELECT pg_advisory_xact_lock(%s, %s)", [int(purpose), benchmark_id])
    return statements_rows([*first, lock, *then])[len(first) + 1 :]
