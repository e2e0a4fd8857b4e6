"""Import speed at MA-Bench size (12,000 questions on 1,000 clips) and MA-Bench-Train size (``--clips``,
default 20,500: 246,000 questions), lint and the audit trail included, each beside its floor.

`make bench` runs it on PostgreSQL in a throwaway database. For each size: the first import, a re-import
of the same file (changes nothing), wall and CPU time (this process's ``time.process_time`` and the
PostgreSQL backend's, read from /proc), and the floor measured in the same run: ``json.loads`` of the
file plus a raw ``COPY`` of the same rows (clip, task, qid, question, answer) into a scratch table.
The peak resident memory of the process (``ru_maxrss``) is read after the large import, before the
floor (which holds the whole file) runs. Last, the number of SQL queries for two small sizes, which
must not grow per row (it grows per write batch of 2,000 rows).

    bench/import_benchmark.py [--clips 20500] [--small 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from throwaway_database import throwaway_database

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotation.services.importing import ImportFile, benchmark_import  # noqa: E402
from synthetic_benchmark import synthetic_row_stream, synthetic_rows  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LocalFile:
    """A file on disk, streamed like a stored upload."""

    name: str
    path: Path

    def open(self):
        return self.path.open("rb")

    def size(self) -> int:
        return self.path.stat().st_size


@dataclass
class Timing:
    wall: float
    cpu: float  # this process
    db_cpu: float | None  # the PostgreSQL backend serving it

    def __str__(self) -> str:
        db = f" + PostgreSQL {self.db_cpu:.2f} s" if self.db_cpu is not None else ""
        return f"{self.wall:.2f} s wall, CPU {self.cpu:.2f} s{db}"


def backend_cpu() -> float | None:
    """CPU seconds (user + system) the PostgreSQL backend of this connection has used, when it is local."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def timed(work) -> tuple[Timing, object]:
    db0, cpu0, wall0 = backend_cpu(), time.process_time(), time.perf_counter()
    result = work()
    wall, cpu, db1 = time.perf_counter() - wall0, time.process_time() - cpu0, backend_cpu()
    return Timing(wall, cpu, None if db0 is None or db1 is None else db1 - db0), result


def write_file(folder: Path, clips: int) -> LocalFile:
    """The synthetic rows as a JSON array on disk, written one row at a time."""
    path = folder / f"bench_{clips}.json"
    with path.open("w") as out:
        out.write("[")
        for n, row in enumerate(synthetic_row_stream(clips)):
            out.write(("," if n else "") + json.dumps(row))
        out.write("]")
    return LocalFile(path.name, path)


def import_of(name: str, file: LocalFile) -> dict:
    return benchmark_import(benchmark_name=name, source="bench generator 1.0", questions=file).as_dict()


def floor(file: LocalFile) -> Timing:
    """json.loads of the file and a raw COPY of its rows into a scratch table (no indexes, no checks)."""

    def work() -> int:
        rows = json.loads(file.path.read_bytes())
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_floor (video text, task text, qid text, question text, "
                "answer text)"
            )
            cursor.execute("TRUNCATE import_floor")
            with cursor.cursor.copy("COPY import_floor FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["video"], row["task"], row["qid"], row["question"], row.get("answer", "")))
        return len(rows)

    timing, _ = timed(work)
    return timing


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def query_count(name: str, clips: int) -> int:
    content = json.dumps(synthetic_rows(clips, seed=clips)).encode()
    with CaptureQueriesContext(connection) as queries:
        benchmark_import(benchmark_name=name, source="bench", questions=ImportFile("q.json", content))
    return len(queries)


def one_size(folder: Path, clips: int) -> tuple[str, float]:
    file = write_file(folder, clips)
    name = f"bench: import {clips}"
    before = peak_mb()
    first, summary = timed(lambda: import_of(name, file))
    again, resummary = timed(lambda: import_of(name, file))
    peak = peak_mb()
    base = floor(file)
    rows = summary["items_created"]
    lines = [
        f"{clips:,} clips / {rows:,} questions ({file.size() / 1e6:.1f} MB):",
        f"  floor (json.loads + raw COPY): {base}",
        f"  first import, lint included:  {first}  = {first.wall / base.wall:.0f}x the floor "
        f"(flags {summary['flags_raised']})",
        f"  re-import (changes nothing):   {again}  = {again.wall / first.wall:.2f} of the first "
        f"({resummary['items_unchanged']:,} unchanged)",
        f"  peak RSS of the process: {peak:.0f} MB (before the import: {before:.0f} MB)",
    ]
    file.path.unlink()
    return "\n".join(lines), peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=1000, help="clips of the small size (12 questions each)")
    parser.add_argument("--clips", type=int, default=20500, help="clips of the large size; 0 skips it")
    args = parser.parse_args()
    with throwaway_database() as db, tempfile.TemporaryDirectory() as tmp:
        print(f"database: {db.vendor}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"code: {Path(benchmark_import.__code__.co_filename).parent.parent.parent}")
        for clips in [args.small] + ([args.clips] if args.clips else []):
            report, _ = one_size(Path(tmp), clips)
            print(report, flush=True)
        # both within one write batch and large enough for the open tasks' length bands (5 queries more)
        small, large = query_count("bench: 40 clips", 40), query_count("bench: 160 clips", 160)
        print(f"SQL queries: 480 rows {small}, 1,920 rows {large} ({'constant' if small == large else 'GROWS'})")
        print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
