"""Export speed and memory: a 12,000-item release streamed as `mac` and `jsonl`.

Targets (issue 8): under 1 s server time, under 100 MB peak, queries not growing with
items. Peak memory is what Python allocates while streaming (tracemalloc).
"""

from __future__ import annotations

import json
import os
import resource
import time
import tracemalloc

from throwaway_database import throwaway_database

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotation.models import QAItem, QualityFlag  # noqa: E402
from annotation.exports.release_export import export_chunks  # noqa: E402
from annotation.selectors import release_rows  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.importing import ImportFile, benchmark_import  # noqa: E402
from annotation.services.releases import release_create, release_manifest  # noqa: E402
from review.services import user_create  # noqa: E402
from synthetic_benchmark import synthetic_rows  # noqa: E402


def released(name: str, clips: int, admin):
    benchmark_import(
        benchmark_name=name, source="bench", questions=ImportFile("q.json", json.dumps(synthetic_rows(clips)).encode())
    )
    # A benchmark does not need to be reviewed to measure its export: mark it accepted directly.
    QAItem.objects.filter(benchmark__name=name).update(review_status="accepted")
    QualityFlag.objects.filter(benchmark__name=name).update(status="waived", waived_reason="bench")
    benchmark = QAItem.objects.filter(benchmark__name=name).first().benchmark
    start, cpu = time.perf_counter(), time.process_time()
    release = release_create(benchmark=benchmark, tag="v1", user=admin)
    return release, time.perf_counter() - start, time.process_time() - cpu


def copy_floor(release) -> float:
    """The database's floor for the cut's writes: its rows copied out and into a scratch table with COPY."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE scratch_releaseitem (LIKE annotation_releaseitem)")
        start = time.perf_counter()
        with cursor.cursor.copy(
            f"COPY (SELECT * FROM annotation_releaseitem WHERE release_id = {release.pk}) TO STDOUT"
        ) as out:
            data = list(out)
        with cursor.cursor.copy("COPY scratch_releaseitem FROM STDIN") as into:
            for block in data:
                into.write(block)
        seconds = time.perf_counter() - start
        cursor.execute("DROP TABLE scratch_releaseitem")
    return seconds


def stream(release, fmt: str) -> int:
    return sum(len(chunk) for chunk in export_chunks(fmt, release_manifest(release), release_rows(release=release)))


def measure(release, fmt: str) -> tuple[float, float, int, int]:
    """Time without tracing (tracemalloc slows Python down), then peak memory and queries."""
    start = time.perf_counter()
    size = stream(release, fmt)
    seconds = time.perf_counter() - start
    tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        stream(release, fmt)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, len(queries), size


def main() -> None:
    with throwaway_database():
        admin = user_create(username="bench-admin", password="bench-pass-1", role="admin", by=Actor.machine("bench"))
        floor_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        released("bench: warm-up", 10, admin)
        big, creation, cpu = released("bench: 12k", 1000, admin)
        small, _, _ = released("bench: 120", 10, admin)
        print(
            f"create the 12,000-item release (datasheet, benchmark_flags_verify, 4 digests, provenance): "
            f"{creation:.2f} s, CPU {cpu:.2f} s; COPY of its rows out and in again (floor): {copy_floor(big):.3f} s; "
            f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())}"
        )
        for fmt in ("mac", "jsonl"):
            seconds, peak, queries, size = measure(big, fmt)
            small_queries = measure(small, fmt)[2]
            print(
                f"export {fmt:5s} 12,000 items: {seconds:.2f} s, peak {peak:.1f} MB, {size / 2**20:.1f} MB out, "
                f"{queries} queries (120 items: {small_queries})"
            )
        print(
            f"peak RSS of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
            f"(import, cuts and exports; {floor_rss:.0f} MB before them)"
        )


if __name__ == "__main__":
    main()
