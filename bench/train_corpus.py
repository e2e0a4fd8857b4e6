"""Training-corpus scale: import, release and export 20,500 clips with 250,000 QA rows.

`scripts/with_test_services.py .venv/bin/python bench/train_corpus.py` runs it on PostgreSQL in a
throwaway database with a temporary MEDIA_ROOT. MA-Bench-Train's size: 20.5K clips, one
structured caption each, and 250,000 QA rows; 205 participants (MA-52's count), plus a
1,000-clip evaluation benchmark of other participants to check disjointness against.

Review and the frame pipeline are not what is measured (bench/frames.py covers the pipeline):
captions and items are marked accepted and clips ready directly, with a small stand-in file
per clip, as bench/export_release.py does.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

MEDIA = Path(tempfile.mkdtemp(prefix="mabench-train-bench-"))
os.environ["MEDIA_ROOT"] = str(MEDIA)

from own_process import figures_of_own_process, peak_rss_mb  # noqa: E402
from throwaway_database import refresh_planner_statistics, throwaway_database  # noqa: E402

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from annotation.models import Benchmark, Caption, QAItem, QualityFlag, Release, Video  # noqa: E402
from annotation.selectors import release_clip_rows  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.importing import ImportFile, benchmark_import  # noqa: E402
from annotation.services.releases import release_create  # noqa: E402
from annotation.exports.sft_export import export_chunks, write_folder  # noqa: E402
from review.models import User  # noqa: E402
from review.services import user_create  # noqa: E402
from synthetic_benchmark import synthetic_rows  # noqa: E402

CLIPS, QA_ROWS, PARTICIPANTS = 20_500, 250_000, 205


def clip_names(clips: int, participants: int, *, seed: int) -> list[str]:
    """MA-52-style names ``<interview uuid>_<start>_<end>``, clips spread evenly over the participants."""
    people = [str(uuid.UUID(int=seed * 10**6 + p)) for p in range(participants)]
    return [f"{people[n % participants]}_{n * 40}_{n * 40 + 30}" for n in range(clips)]


def corpus_files(clips: int, qa_rows: int, *, seed: int) -> tuple[bytes, bytes]:
    names = clip_names(clips, PARTICIPANTS, seed=seed)
    rows = synthetic_rows(clips, seed=seed)  # 12 per clip; more questions per clip up to qa_rows
    for n, row in enumerate(rows[: max(0, qa_rows - len(rows))]):
        rows.append({**row, "qid": f"X{row['qid']}_{n}"})
    for row in rows:
        row["video"] = names[int(row.pop("video")[len("clip_") : -len(".mp4")])] + ".mp4"
    captions = [
        {
            "video_name": name,
            "coarse_label": "B",
            "fine_label": "B1",
            "dominant_part": "head",
            "other_parts": ["neck"],
            "direction_path": "down, then up",
            "trend": "repetitive",
            "contact": "none",
            "phases": {"early": "the head dips", "middle": "it rises", "late": "it dips again"},
            "description": f"Nods twice, clip {n}.",
        }
        for n, name in enumerate(names)
    ]
    return _jsonl(captions), _jsonl(rows)


def _jsonl(rows: list[dict]) -> bytes:
    return "\n".join(json.dumps(row) for row in rows).encode()


def timed(action):
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def import_corpus(name: str, clips: int, qa_rows: int) -> tuple[dict, float, int]:
    captions, questions = corpus_files(clips, qa_rows, seed=1)
    with CaptureQueriesContext(connection) as queries:
        summary, seconds = timed(
            lambda: benchmark_import(
                benchmark_name=name,
                source="bench captioner 1.0",
                kind="train",
                captions=ImportFile("captions.jsonl", captions),
                questions=ImportFile("questions.jsonl", questions),
            )
        )
    return summary.as_dict(), seconds, len(queries)


def as_reviewed_and_processed(benchmark: Benchmark) -> None:
    """Stand-in files and the state review and the frame pipeline would leave."""
    folder = MEDIA / "clips" / str(benchmark.pk)
    folder.mkdir(parents=True)
    videos = list(Video.objects.filter(benchmark=benchmark).only("pk", "clip_name"))
    for video in videos:
        (folder / f"{video.clip_name}.mp4").write_bytes(b"\0\0\0\x18ftypmp42" + video.clip_name.encode())
        video.file.name = f"clips/{benchmark.pk}/{video.clip_name}.mp4"
        video.size_bytes, video.status = 12 + len(video.clip_name), "ready"
        video.frames_manifest = f"frames/{video.pk}/bench/manifest.json"
        video.model_view_indices = {"mac2026": [0, 3, 6, 9, 12, 15, 18, 21], "uniform-8": [1, 4, 7, 10, 13, 16, 19, 22]}
    Video.objects.bulk_update(
        videos, ["file", "size_bytes", "status", "frames_manifest", "model_view_indices"], batch_size=2000
    )
    Caption.objects.filter(video__benchmark=benchmark).update(review_status="accepted")
    QAItem.objects.filter(benchmark=benchmark).update(review_status="accepted")
    QualityFlag.objects.filter(benchmark=benchmark).update(status="waived", waived_reason="bench")


def stream(release, fmt: str) -> tuple[int, float, float]:
    (size, seconds) = timed(lambda: sum(len(c) for c in export_chunks(fmt, release_clip_rows(release=release))))
    tracemalloc.start()
    sum(len(c) for c in export_chunks(fmt, release_clip_rows(release=release)))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return size, seconds, peak


def cut_in_this_process(database: str, benchmark_id: int, admin_id: int, tag: str = "v1") -> None:
    """``--cut``: cut ``v1`` of the corpus in the benchmark's database; one JSON line of figures on stdout."""
    connection.close()
    connection.settings_dict["NAME"] = database
    corpus, admin = Benchmark.objects.get(pk=benchmark_id), User.objects.get(pk=admin_id)
    against = list(Benchmark.objects.filter(kind="eval"))
    floor = peak_rss_mb()
    cpu = time.process_time()
    with CaptureQueriesContext(connection) as queries:
        release, seconds = timed(lambda: release_create(benchmark=corpus, tag=tag, user=admin, disjoint_from=against))
    figures = {
        "release": release.pk,
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "queries": len(queries),
        "maxrss": peak_rss_mb(),
        "floor": floor,
        "load": " ".join(f"{n:.1f}" for n in os.getloadavg()),
    }
    print(json.dumps(figures))


def main() -> None:
    if sys.argv[1:2] == ["--cut"]:
        try:
            cut_in_this_process(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6])
        finally:
            shutil.rmtree(MEDIA, ignore_errors=True)
        return
    try:
        with throwaway_database() as db:
            run(db)
    finally:
        shutil.rmtree(MEDIA, ignore_errors=True)


def run(db) -> None:
    admin = user_create(username="bench-admin", password="bench-pass-1", role="admin", by=Actor.machine("bench"))
    if (
        db.vendor != "postgresql"
    ):  # the cut runs in a process of its own, which an in-memory database is not shared with
        sys.exit("bench/train_corpus.py needs PostgreSQL (run it with scripts/with_test_services.py)")
    print(f"database: {db.vendor}")
    _, small_seconds, small_queries = import_corpus("bench: 100 clips", 100, 1220)
    _, _, mid_queries = import_corpus("bench: 400 clips", 400, 4880)
    summary, seconds, queries = import_corpus("bench: train", CLIPS, QA_ROWS)
    print(
        f"import {CLIPS:,} clips with captions + {summary['items_created']:,} QA rows, lint included: {seconds:.1f} s "
        f"({summary['videos_created']:,} clips, {summary['captions_created']:,} captions, {queries} SQL queries; "
        f"100 clips: {small_queries}, 400 clips: {mid_queries})"
    )
    eval_rows = synthetic_rows(1000, seed=7)
    eval_names = clip_names(1000, 50, seed=2)
    for row in eval_rows:
        row["video"] = eval_names[int(row["video"][len("clip_") : -len(".mp4")])] + ".mp4"
    benchmark_import(
        benchmark_name="bench: eval", source="bench", questions=ImportFile("eval.jsonl", _jsonl(eval_rows))
    )
    corpus = Benchmark.objects.get(name="bench: train")
    as_reviewed_and_processed(corpus)
    refresh_planner_statistics()
    # The cut runs in a process of its own, so its peak memory is its own and not the import's above.
    figures = figures_of_own_process(__file__, "--cut", connection.settings_dict["NAME"], str(corpus.pk), str(admin.pk))
    release = Release.objects.get(pk=figures["release"])
    print(
        f"release {release.clip_count:,} clips / {release.item_count:,} QA items (disjointness against "
        f"{len(release.disjoint_from)} eval benchmarks, 5 digests, provenance): {figures['seconds']:.1f} s "
        f"(CPU of the process {figures['cpu']:.1f} s), {figures['queries']} SQL queries; peak RSS "
        f"{figures['maxrss']:.0f} MB beside {figures['floor']:.0f} MB for the same process before the cut; "
        f"load average {figures['load']}"
    )
    for fmt in ("sft-video", "sft-video-qa", "sft-frames-qa", "corpus-jsonl"):
        size, seconds, peak = stream(release, fmt)
        print(f"stream {fmt:13s}: {seconds:.2f} s, {size / 2**20:.0f} MB, peak {peak:.0f} MB Python memory")
    out = MEDIA / "export" / "sft"
    folder, seconds = timed(
        lambda: write_folder(out=out, fmt="sft-video-qa", dataset="bench", rows=release_clip_rows(release=release))
    )
    print(
        f"export_sft folder sft-video-qa: {seconds:.1f} s ({folder.rows:,} conversations, {folder.linked:,} clips hard-linked)"
    )
    lines = (out / "sft-video-qa.jsonl").read_text().splitlines()
    missing = sum(not (out / path).is_file() for line in lines for path in json.loads(line)["videos"])
    print(f"check: {len(lines):,} lines parse, {missing} media paths missing")


if __name__ == "__main__":
    main()
