"""Import speed: 12,000 MA-Bench-shaped questions on 1,000 clips, lint included.

`make bench` runs it on PostgreSQL in a throwaway database. Prints wall time of a
first import, of a re-import of the same file (changes nothing), and the number of
SQL queries for two sizes, which must not grow per row.
"""

from __future__ import annotations

import json
import time

from throwaway_database import throwaway_database

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotation.services.importing import ImportFile, benchmark_import  # noqa: E402
from synthetic_benchmark import synthetic_rows  # noqa: E402


def timed_import(name: str, content: bytes) -> tuple[float, dict]:
    start = time.perf_counter()
    summary = benchmark_import(
        benchmark_name=name, source="bench generator 1.0", questions=ImportFile("bench.json", content)
    )
    return time.perf_counter() - start, summary.as_dict()


def query_count(name: str, clips: int) -> int:
    content = json.dumps(synthetic_rows(clips, seed=clips)).encode()
    with CaptureQueriesContext(connection) as queries:
        benchmark_import(benchmark_name=name, source="bench", questions=ImportFile("q.json", content))
    return len(queries)


def main() -> None:
    with throwaway_database() as db:
        content = json.dumps(synthetic_rows(1000)).encode()
        first, summary = timed_import("bench: import", content)
        again, resummary = timed_import("bench: import", content)
        print(f"database: {db.vendor}")
        print(
            f"import 12,000 questions / 1,000 clips, lint included: {first:.2f} s "
            f"({summary['items_created']} items, flags {summary['flags_raised']})"
        )
        print(f"re-import of the same file: {again:.2f} s ({resummary['items_unchanged']} unchanged)")
        small, large = query_count("bench: 10 clips", 10), query_count("bench: 80 clips", 80)
        print(f"SQL queries: 120 rows {small}, 960 rows {large} ({'constant' if small == large else 'GROWS'})")


if __name__ == "__main__":
    main()
