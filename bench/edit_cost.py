"""What one reviewer edit costs, with everything it triggers, in a benchmark of 12,000 and of 246,000 items.

`item_edit` = row lock, version check, validation, audit event, lint of the clip and the benchmark-wide
checks (yes/no balance, key-letter balance, answer-length outliers, from the answer tally). Beside it, in
the same run and database: a plain `save()` of one column of another item (the floor), and what the
benchmark-wide checks cost when recomputed from every item (what each edit paid before the tally;
a release cut still pays it once).

The benchmarks are synthetic MA-Bench-shaped rows (bench/synthetic_benchmark.py) written with COPY
(annotation/services/bulk_insert.py), then linted once in full, as an import would; both live in one
database and the rounds alternate between them, so a busy machine slows both sizes alike. About 4 min,
most of it building and linting the 246,000 items.

Run: `python scripts/with_test_services.py python bench/edit_cost.py` (or `make bench`).
"""

from __future__ import annotations

import os
import random
import statistics
import time
from pathlib import Path

from throwaway_database import refresh_planner_statistics, throwaway_database  # sets Django up: first

from django.db import connection  # noqa: E402, I001

from synthetic_benchmark import synthetic_rows  # noqa: E402, I001

from annotation.domain.mac_format import clip_name_of, item_fields_from_row  # noqa: E402
from annotation.models import QAItem, Video  # noqa: E402
from annotation.services import benchmark_checks  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.bulk_insert import insert_many  # noqa: E402
from annotation.services.content import benchmark_create, item_edit  # noqa: E402
from annotation.services.flags import lint_run  # noqa: E402

SIZES = (1_000, 20_500)  # clips: MA-Bench (12,000 questions) and MA-Bench-Train scale (246,000)
EDITS = 60
ACTOR = Actor.machine("bench")


def build(clips: int):
    benchmark = benchmark_create(name=f"bench: edits at {clips} clips", actor=ACTOR)
    rows = synthetic_rows(clips)
    videos = {name: Video(benchmark=benchmark, clip_name=name) for name in dict.fromkeys(map(clip_name_of, rows))}
    insert_many(Video, list(videos.values()))
    items = [
        QAItem(benchmark=benchmark, video=videos[clip_name_of(row)], generated_by="bench", **item_fields_from_row(row))
        for row in rows
    ]
    insert_many(QAItem, items)
    refresh_planner_statistics()
    started = time.perf_counter()
    lint_run(benchmark=benchmark)
    seconds = time.perf_counter() - started
    refresh_planner_statistics()  # the flags lint raised, as autovacuum would count them
    return benchmark, len(items), seconds


def reviewer_changes(item: QAItem, rng: random.Random) -> dict:
    """What a reviewer fixes: a key, a reference answer (its length moves), or the wording of a question."""
    if rng.random() < 0.25:
        return {"question": item.question.rstrip("?") + ", as the clip shows?"}
    if item.answer in ("Yes", "No"):
        return {"answer": "No" if item.answer == "Yes" else "Yes"}
    if item.options:
        return {"answer": rng.choice([letter for letter in "ABCDEFG"[: len(item.options)] if letter != item.answer])}
    return {"answer": item.answer.rstrip(".") + rng.choice(["", " and back", " twice, then stops"]) + "."}


class BackendCpu:
    """The CPU time of this connection's PostgreSQL backend process, from /proc/<pid>/stat (user + system, in
    clock ticks of 10 ms: a mean over many calls resolves what one call cannot). None where the database runs
    on another machine or the file cannot be read."""

    def __init__(self) -> None:
        self.stat: Path | None = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                stat = Path(f"/proc/{cursor.fetchone()[0]}/stat")
            self.stat = stat if stat.exists() else None
        self.tick_ms = 1000 / os.sysconf("SC_CLK_TCK")

    def ms(self) -> float:
        if self.stat is None:
            return 0.0
        fields = self.stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * self.tick_ms  # utime, stime (fields 14 and 15 of stat)


BACKEND: BackendCpu | None = None


def timed(fn) -> tuple[float, float, float]:
    """(wall ms, this process's CPU ms, the database backend's CPU ms) of one call."""
    backend = BACKEND.ms() if BACKEND else 0.0
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    wall, cpu = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    return wall, cpu, (BACKEND.ms() if BACKEND else 0.0) - backend


def edited(item: QAItem, changes: dict) -> None:
    item_edit(item_id=item.pk, actor=ACTOR, expected_version=item.version, changes=changes)


class Sample:
    """One benchmark's edits and plain saves, taken in rounds that alternate with the other size's."""

    def __init__(self, benchmark, rng: random.Random):
        ids = list(QAItem.objects.filter(benchmark=benchmark).values_list("pk", flat=True))
        self.benchmark, self.rng = benchmark, rng
        picked = rng.sample(ids, 2 * EDITS)
        self.edit_ids, self.save_ids = iter(picked[:EDITS]), iter(picked[EDITS:])
        self.edits: list[tuple[float, float, float]] = []
        self.saves: list[tuple[float, float, float]] = []

    def one_round(self) -> None:
        item = QAItem.objects.get(pk=next(self.edit_ids))
        changes = reviewer_changes(item, self.rng)
        self.edits.append(timed(lambda: edited(item, changes)))
        other = QAItem.objects.get(pk=next(self.save_ids))
        other.question += " (plain)"
        self.saves.append(timed(lambda: other.save(update_fields=["question"])))

    def figures(self) -> dict[str, float]:
        walls = [wall for wall, _, _ in self.edits]
        full = [timed(lambda: benchmark_checks.benchmark_findings_full(self.benchmark))[0] for _ in range(3)]
        return {
            "edit": statistics.median(walls),
            "edit_p90": statistics.quantiles(walls, n=10)[-1],
            "edit_cpu": statistics.median(cpu for _, cpu, _ in self.edits),
            "edit_server": statistics.fmean(server for _, _, server in self.edits),
            "save": statistics.median(wall for wall, _, _ in self.saves),
            "save_cpu": statistics.median(cpu for _, cpu, _ in self.saves),
            "save_server": statistics.fmean(server for _, _, server in self.saves),
            "full": statistics.median(full),
        }


def main() -> None:
    global BACKEND
    rng = random.Random(22)
    with throwaway_database():
        BACKEND = BackendCpu()
        print(
            f"database: {connection.vendor}; {EDITS} edits per size through item_edit (lint included); "
            f"server CPU {'from ' + str(BACKEND.stat) if BACKEND.stat else 'not readable here'}; "
            f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}"
        )
        built = {clips: build(clips) for clips in SIZES}
        samples = {clips: Sample(benchmark, rng) for clips, (benchmark, _, _) in built.items()}
        for _ in range(EDITS):
            for sample in samples.values():
                sample.one_round()
        results = {clips: sample.figures() for clips, sample in samples.items()}
    for clips, figures in results.items():
        _, items, lint_seconds = built[clips]
        print(
            f"{clips:>6,} clips / {items:>7,} items: edit median {figures['edit']:.2f} ms "
            f"(p90 {figures['edit_p90']:.2f}; CPU per edit: client {figures['edit_cpu']:.2f}, server "
            f"{figures['edit_server']:.2f}), plain save {figures['save']:.2f} ms (floor; CPU: client "
            f"{figures['save_cpu']:.2f}, server {figures['save_server']:.2f}), {figures['edit'] / figures['save']:.1f}x "
            f"the floor; the benchmark-wide checks from every item {figures['full']:.0f} ms; "
            f"first full lint {lint_seconds:.1f} s"
        )
    small, large = (results[clips]["edit"] for clips in SIZES)
    print(f"edit at {SIZES[1]:,} clips / edit at {SIZES[0]:,} clips: {large / small:.2f}x (target at most 1.5x)")
    print(f"load average at the end {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
