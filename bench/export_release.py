"""Cut and export speed and memory: a 12,000-item release (``--items N``: N items, 12 per clip) cut, then
streamed as `mac` and `jsonl`.

Targets (issue 22): the cut of 12,000 items under 1 s; every release and export at 246,000 rows under 300 MB
peak; queries of an export not growing with items. The cut is timed in this process after a warm-up cut
(CPU: process_time); peak memory is measured in a process of its own (VmHWM), which cuts the benchmark again
and streams its exports, beside the same process's memory before them; an export's own Python memory is
traced (tracemalloc) at 12,000 items.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import tracemalloc

from own_process import figures_of_own_process, peak_rss_mb
from throwaway_database import refresh_planner_statistics, throwaway_database

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotation.models import Benchmark, QAItem, QualityFlag  # noqa: E402
from annotation.exports.release_export import export_chunks  # noqa: E402
from annotation.selectors import release_rows  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.importing import ImportFile, benchmark_import  # noqa: E402
from annotation.services.releases import release_create, release_manifest  # noqa: E402
from review.models import User  # noqa: E402
from review.services import user_create  # noqa: E402
from synthetic_benchmark import synthetic_rows  # noqa: E402

PER_CLIP = 12


def imported(name: str, clips: int) -> Benchmark:
    benchmark_import(
        benchmark_name=name, source="bench", questions=ImportFile("q.json", json.dumps(synthetic_rows(clips)).encode())
    )
    # A benchmark does not need to be reviewed to measure its export: mark it accepted directly.
    QAItem.objects.filter(benchmark__name=name).update(review_status="accepted")
    QualityFlag.objects.filter(benchmark__name=name).update(status="waived", waived_reason="bench")
    return Benchmark.objects.get(name=name)


def cut(benchmark: Benchmark, tag: str, admin):
    start, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        release = release_create(benchmark=benchmark, tag=tag, user=admin)
    return release, time.perf_counter() - start, time.process_time() - cpu, len(queries)


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


def measure(release, fmt: str, *, traced: bool) -> tuple[float, float | None, int, int]:
    """Time without tracing (tracemalloc slows Python down), then peak Python memory and queries."""
    start = time.perf_counter()
    size = stream(release, fmt)
    seconds = time.perf_counter() - start
    if traced:
        tracemalloc.start()
    with CaptureQueriesContext(connection) as queries:
        stream(release, fmt)
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if traced else None
    tracemalloc.stop()
    return seconds, peak, len(queries), size


def memory_in_this_process(database: str, benchmark_id: int, admin_id: int) -> None:
    """``--memory``: cut tag ``memory`` of the benchmark, then stream its exports; one JSON line of peaks."""
    connection.close()
    connection.settings_dict["NAME"] = database
    benchmark, admin = Benchmark.objects.get(pk=benchmark_id), User.objects.get(pk=admin_id)
    figures = {"before": peak_rss_mb()}
    release, figures["seconds"], figures["cpu"], figures["queries"] = cut(benchmark, "memory", admin)
    figures["cut"] = peak_rss_mb()
    for fmt in ("mac", "jsonl", "json"):
        stream(release, fmt)
        figures[fmt] = peak_rss_mb()
    print(json.dumps(figures))


def load() -> str:
    return " ".join(f"{n:.1f}" for n in os.getloadavg())


def main() -> None:
    if sys.argv[1:2] == ["--memory"]:
        memory_in_this_process(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=12_000, help=f"items of the release ({PER_CLIP} a clip)")
    items = parser.parse_args().items
    with throwaway_database():
        admin = user_create(username="bench-admin", password="bench-pass-1", role="admin", by=Actor.machine("bench"))
        cut(imported("bench: warm-up", 10), "v1", admin)
        big = imported("bench: big", items // PER_CLIP)
        small = imported("bench: 120", 10)
        refresh_planner_statistics()
        release, seconds, cpu, queries = cut(big, "v1", admin)
        cut(small, "v1", admin)
        print(
            f"cut the {release.item_count:,}-item release (datasheet, benchmark_flags_verify, 4 digests, "
            f"provenance): {seconds:.2f} s, CPU {cpu:.2f} s, {queries} queries; COPY of its rows out and in again "
            f"(floor): {copy_floor(release):.3f} s; load average {load()}"
        )
        small_release = release.__class__.objects.get(benchmark=small, tag="v1")
        for fmt in ("mac", "jsonl"):
            seconds, peak, queries, size = measure(release, fmt, traced=items <= 12_000)
            small_queries = measure(small_release, fmt, traced=False)[2]
            traced = f", peak {peak:.1f} MB Python memory" if peak is not None else ""
            print(
                f"export {fmt:5s} {release.item_count:,} items: {seconds:.2f} s{traced}, {size / 2**20:.1f} MB out, "
                f"{queries} queries (120 items: {small_queries})"
            )
        # Memory in a process of its own, so its peak is the cut's and the exports', not the import's above.
        peaks = figures_of_own_process(
            __file__, "--memory", connection.settings_dict["NAME"], str(big.pk), str(admin.pk)
        )
        print(
            f"peak RSS of a process that cuts the {release.item_count:,}-item release again "
            f"({peaks['seconds']:.2f} s, CPU {peaks['cpu']:.2f} s in a fresh process): {peaks['cut']:.0f} MB; "
            f"then streams mac, jsonl and json: {peaks['mac']:.0f}, {peaks['jsonl']:.0f}, {peaks['json']:.0f} MB "
            f"(the same process before them: {peaks['before']:.0f} MB); load average {load()}"
        )


if __name__ == "__main__":
    main()
