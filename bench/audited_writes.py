"""What the audit trail costs: audited writes against plain ORM writes, same run.

Run with `make bench` (PostgreSQL as for the tests), or directly with
`python bench/audited_writes.py` on whatever DATABASE_URL names; it works in a
throwaway database of its own.
"""

from __future__ import annotations

import os
import statistics
import time

from throwaway_database import throwaway_database

from annotation.models import QAItem  # noqa: E402
from annotation.services.audited_writes import Actor, create_audited_many  # noqa: E402
from annotation.services.content import benchmark_create, item_edit, video_register  # noqa: E402

ITEMS = 12_000  # the size of MA-Bench
EDITS = 300
ACTOR = Actor.machine("bench")


def item_rows(benchmark, videos, prefix):
    return [
        {
            "benchmark": benchmark,
            "video": videos[n % len(videos)],
            "qid": f"{prefix}_{n:05d}",
            "task": "SAD",
            "question": f"Does the head move down in clip {n}?",
            "answer": "Yes" if n % 2 else "No",
        }
        for n in range(ITEMS)
    ]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    with throwaway_database() as connection:
        print(f"database: {connection.vendor}")
        benchmark = benchmark_create(name="bench: audited writes", actor=ACTOR)
        videos = [video_register(benchmark=benchmark, clip_name=f"clip_{n:04d}", actor=ACTOR) for n in range(1000)]
        report_creation(benchmark, videos)
        report_edits(list(QAItem.objects.filter(benchmark=benchmark, qid__startswith="AUDIT")[:EDITS]))


def report_creation(benchmark, videos) -> None:
    plain = timed(
        lambda: QAItem.objects.bulk_create(
            [QAItem(**row) for row in item_rows(benchmark, videos, "PLAIN")], batch_size=1000
        )
    )
    audited = timed(lambda: create_audited_many(model=QAItem, actor=ACTOR, rows=item_rows(benchmark, videos, "AUDIT")))
    print(
        f"create {ITEMS} items: plain bulk_create {plain:.2f} s, audited {audited:.2f} s, ratio {audited / plain:.2f}x"
    )


def timed_cpu(fn) -> tuple[float, float]:
    """(wall, this process's CPU) seconds of one call: CPU moves far less than wall time on a shared machine."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def report_edits(items) -> None:
    plain, audited = [], []
    for item in items:
        item.question += " (plain)"
        plain.append(timed_cpu(lambda item=item: item.save(update_fields=["question"])))
        flipped = "No" if item.answer == "Yes" else "Yes"
        audited.append(
            timed_cpu(
                lambda item=item, flipped=flipped: item_edit(
                    item_id=item.pk, actor=ACTOR, expected_version=1, changes={"answer": flipped}
                )
            )
        )
    p_med, a_med = (statistics.median(wall for wall, _ in runs) * 1000 for runs in (plain, audited))
    p_cpu, a_cpu = (statistics.median(cpu for _, cpu in runs) * 1000 for runs in (plain, audited))
    print(
        f"edit one item (median of {len(items)}): plain save {p_med:.2f} ms (client CPU {p_cpu:.2f}), "
        f"audited {a_med:.2f} ms (client CPU {a_cpu:.2f}), ratio {a_med / p_med:.2f}x; "
        f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
