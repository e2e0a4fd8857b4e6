"""What the frame pipeline costs, against PyAV's decode alone and one ffmpeg process per frame.

1. One 4 s 1080p30 H.264 clip: the PyAV decode-only floor; our one pass without a proxy
   (hash, probe, scrub frames, model-view frames, index, manifest, publish); the same
   pass when a proxy is needed too; the JPEG writers alone over the decoded frames (their CPU
   with no decode beside them); one ffmpeg process per stored frame (the same frames).
   Floor and pass alternate, so a busy machine slows both alike; the ratio is the median
   of the per-pair ratios.
2. A 20 s clip with a keyframe every second and a strided scrub: the one pass against
   seeking to each wanted frame (why the pipeline never seeks).
3. Throughput: 200 synthetic 2 s 1080p clips on a real Celery worker with 2 processes,
   and what that means for MA-Bench (1,000 clips) and MA-Bench-Train (20.5K clips).

Run with `scripts/with_test_services.py .venv/bin/python bench/frames.py` (PostgreSQL and
Redis as for the tests); it works in a throwaway database and a temporary media folder.
`bench/frames.py --one-clip` runs part 1 only (about 1 min).
Needs the `ffmpeg` binary for the per-process comparison (Debian: `apt-get install ffmpeg`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

MEDIA = Path(tempfile.mkdtemp(prefix="mabench-bench-frames-"))
os.environ["MEDIA_ROOT"] = str(MEDIA / "media")

from throwaway_database import throwaway_database  # noqa: E402  (sets Django up)

import av  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection  # noqa: E402

from annotation.dispatch import tasks_run_in_process  # noqa: E402
from synthetic_clips import render_clip  # noqa: E402
from annotation.frames.frame_images import ModelJpegWriter, ScrubJpegWriter  # noqa: E402
from annotation.frames.options import FrameOptions  # noqa: E402
from annotation.frames.outputs import local_source  # noqa: E402
from annotation.frames.pipeline import produce_outputs  # noqa: E402
from annotation.frames.probe import opened_clip  # noqa: E402
from annotation.models import Video  # noqa: E402
from annotation.services.audited_writes import Actor, change_audited  # noqa: E402
from annotation.services.content import benchmark_create, video_register  # noqa: E402
from annotation.services.video_processing import video_processing_request  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
ACTOR = Actor.machine("bench: frames")
PAIRS = 21
THROUGHPUT_CLIPS = 200


# --- synthetic clips ------------------------------------------------------------------


def remux(source: Path, target: Path, container_format: str) -> Path:
    """The same packets in another container (MPEG-TS: not browser-friendly, so a proxy is made)."""
    with av.open(str(source)) as src, av.open(str(target), mode="w", format=container_format) as dst:
        stream = dst.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                dst.mux(packet)
    return target


# --- timing ----------------------------------------------------------------------------


def seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@dataclasses.dataclass(frozen=True)
class Paired:
    floor: float  # medians, wall seconds
    work: float
    ratio: float  # median of the per-pair wall ratios
    floor_cpu: float  # medians of process_time (every thread of this process), seconds
    work_cpu: float

    def note(self) -> str:
        return f"{self.ratio:.2f}x; CPU {self.work_cpu:.2f} s against the floor's {self.floor_cpu:.2f} s ({self.work_cpu / self.floor_cpu:.2f}x)"


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall and CPU seconds (process_time: all threads, so the decoder's and the JPEG pool's too)."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def decode_only(path: Path) -> None:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass


_video_ids = itertools.count(1)


def one_pass(name: str, options: FrameOptions) -> dict:
    """A first processing: a folder of its own each time, so nothing is replaced."""
    with local_source(name) as source, opened_clip(source.path, max_pixels=options.max_pixels) as clip:
        return produce_outputs(
            video_id=next(_video_ids), source=source, clip=clip, options=options, force=False
        ).manifest


def paired(floor: Callable[[], object], work: Callable[[], object], pairs: int) -> Paired:
    """Median floor, median work and median per-pair ratio, alternating the two; their CPU beside."""
    floors, works = [], []
    for _ in range(pairs):
        floors.append(timed(floor))
        works.append(timed(work))
    ratios = [w[0] / f[0] for f, w in zip(floors, works, strict=True)]
    return Paired(
        floor=statistics.median(f[0] for f in floors),
        work=statistics.median(w[0] for w in works),
        ratio=statistics.median(ratios),
        floor_cpu=statistics.median(f[1] for f in floors),
        work_cpu=statistics.median(w[1] for w in works),
    )


def stored(path: Path) -> str:
    with path.open("rb") as handle:
        return default_storage.save(f"clips/bench/{path.name}", File(handle))


# --- 1. one clip -------------------------------------------------------------------------


def single_clip_rows(workdir: Path, options: FrameOptions) -> list[tuple[str, float, str]]:
    clip = render_clip(workdir / "clip_4s_1080p30.mp4", seconds=4)
    name, ts_name = stored(clip), stored(remux(clip, workdir / "clip_4s_1080p30.ts", "mpegts"))
    manifest = one_pass(name, options)
    no_proxy = paired(lambda: decode_only(clip), lambda: one_pass(name, options), PAIRS)
    proxy = paired(lambda: decode_only(clip), lambda: one_pass(ts_name, options), 5)
    floor, work = no_proxy.floor, no_proxy.work
    frames = manifest["scrub"]["count"] + len(manifest["model_view"]["files"])
    rows = [
        (
            "PyAV decode only (the floor, decoder threads AUTO as in the pass)",
            floor,
            f"1.00x; CPU {no_proxy.floor_cpu:.2f} s",
        ),
        (f"one pass, no proxy ({frames} JPEGs + index + manifest)", work, no_proxy.note()),
        ("one pass with a proxy (same packets in MPEG-TS)", proxy.work, proxy.note()),
    ]
    scrub_cpu, model_cpu = writers_alone(clip, manifest, options, workdir / "writers")
    rows.append(
        (
            "the JPEG writers alone, one frame after another (CPU)",
            scrub_cpu + model_cpu,
            f"scrub {scrub_cpu * 1000:.0f} ms, model views {model_cpu * 1000:.0f} ms; "
            f"{(scrub_cpu + model_cpu) / no_proxy.floor_cpu:.2f}x the floor's CPU",
        )
    )
    per_process = ffmpeg_per_frame(clip, manifest, workdir / "ffmpeg")
    if per_process is not None:
        rows.append(
            (
                f"one ffmpeg process per frame ({frames} processes)",
                per_process,
                f"{per_process / floor:.1f}x; one pass is {per_process / work:.1f}x faster",
            )
        )
    return rows


def writers_alone(clip: Path, manifest: dict, options: FrameOptions, out: Path, rounds: int = 5) -> tuple[float, float]:
    """Median CPU (process_time, so libswscale's own threads count) of the pass's JPEG writers over the
    clip's decoded frames, held in memory, with no decode beside them: what the outputs cost alone."""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames = list(container.decode(stream))
    scrub_indices = range(0, len(frames), manifest["scrub"]["stride"])
    model_indices = sorted(map(int, manifest["model_view"]["files"]))
    scrub_size, model_size = tuple(manifest["scrub"]["size"]), tuple(manifest["model_view"]["size"])
    out.mkdir()
    scrub_cpu, model_cpu = [], []
    for _ in range(rounds):
        scrub = ScrubJpegWriter(size=scrub_size, rotation=0, qscale=options.scrub_jpeg_qscale)
        model = ModelJpegWriter(size=model_size, rotation=0, quality=options.model_jpeg_quality)
        start = time.process_time()
        for index in scrub_indices:
            scrub.write(frames[index], out / f"s{index:06d}.jpg")
        middle = time.process_time()
        for index in model_indices:
            model.write(frames[index], out / f"m{index:06d}.jpg")
        scrub_cpu.append(middle - start)
        model_cpu.append(time.process_time() - middle)
    return statistics.median(scrub_cpu), statistics.median(model_cpu)


def ffmpeg_per_frame(clip: Path, manifest: dict, out: Path) -> float | None:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("  (no ffmpeg binary: `apt-get install ffmpeg` for the per-process comparison)")
        return None
    out.mkdir()
    scrub_width, model_width = manifest["scrub"]["size"][0], manifest["model_view"]["size"][0]
    jobs = [(i, scrub_width, 3) for i in range(0, manifest["frame_count"], manifest["scrub"]["stride"])]
    jobs += [(int(i), model_width, 2) for i in manifest["model_view"]["files"]]

    def run_all() -> None:
        for number, (index, width, quality) in enumerate(jobs):
            subprocess.run(
                [
                    ffmpeg,
                    "-v",
                    "error",
                    "-nostdin",
                    "-y",
                    "-i",
                    str(clip),
                    "-vf",
                    f"select=eq(n\\,{index}),scale={width}:-2:flags=area",
                    "-frames:v",
                    "1",
                    "-q:v",
                    str(quality),
                    str(out / f"{number:04d}.jpg"),
                ],
                check=True,
            )

    return seconds(run_all)


# --- 2. seek or decode everything ------------------------------------------------------


def seek_rows(workdir: Path, options: FrameOptions) -> list[tuple[str, float, str]]:
    clip = render_clip(workdir / "clip_20s_gop30.mp4", seconds=20, gop=30, seed=1)
    name = stored(clip)
    strided = dataclasses.replace(options, scrub_max_frames=100)
    manifest = one_pass(name, strided)
    wanted = sorted(
        {*range(0, manifest["frame_count"], manifest["scrub"]["stride"]), *map(int, manifest["model_view"]["files"])}
    )
    model_only = sorted(map(int, manifest["model_view"]["files"]))
    floor = min(seconds(lambda: decode_only(clip)) for _ in range(3))
    whole = min(seconds(lambda: one_pass(name, strided)) for _ in range(3))
    seek_all = seconds(lambda: seek_each(clip, wanted, workdir / "seek"))
    seek_model = seconds(lambda: seek_each(clip, model_only, workdir / "seek"))
    stride = manifest["scrub"]["stride"]
    return [
        ("20 s 1080p30 clip, keyframe every 1 s: PyAV decode only", floor, "1.00x"),
        (f"  one pass (scrub every {stride}th frame + model views)", whole, f"{whole / floor:.2f}x"),
        (f"  seek to each of the same {len(wanted)} frames", seek_all, f"{seek_all / floor:.2f}x"),
        (f"  seek to the {len(model_only)} model-view frames only", seek_model, f"{seek_model / floor:.2f}x"),
    ]


def seek_each(path: Path, indices: list[int], out: Path) -> None:
    """Seek by integer pts to the keyframe before each wanted frame and decode up to it."""
    out.mkdir(exist_ok=True)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None)
        writer = ScrubJpegWriter(size=(320, 180), rotation=0, qscale=5)
        for index in indices:
            container.seek(pts[index], stream=stream, backward=True, any_frame=False)
            frame = next(f for f in container.decode(stream) if f.pts >= pts[index])
            writer.write(frame, out / f"{index:06d}.jpg")


# --- 3. throughput on a worker with 2 processes ------------------------------------------


@contextlib.contextmanager
def celery_worker(log_path: Path) -> Iterator[None]:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CONN_MAX_AGE": "0",
    }
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mabench_site",
                "worker",
                "--concurrency=2",
                "-Q",
                settings.CELERY_TASK_DEFAULT_QUEUE,
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield
    finally:
        worker.terminate()
        worker.wait(30)


def throughput_rows(workdir: Path) -> list[tuple[str, float, str]]:
    if tasks_run_in_process():
        print("  (no CELERY_BROKER_URL: run under scripts/with_test_services.py for the throughput run)")
        return []
    sources = [render_clip(workdir / f"two_s_{n}.mp4", seconds=2, seed=10 + n) for n in range(4)]
    benchmark = benchmark_create(name="bench: frames throughput", actor=ACTOR)
    ids = []
    for n in range(THROUGHPUT_CLIPS):
        video = video_register(benchmark=benchmark, clip_name=f"clip_{n:04d}", actor=ACTOR)
        with sources[n % len(sources)].open("rb") as handle:
            name = default_storage.save(f"clips/{benchmark.pk}/clip_{n:04d}.mp4", File(handle))
        ids.append(
            change_audited(model=Video, pk=video.pk, actor=ACTOR, expected_version=None, changes={"file": name}).pk
        )
    with celery_worker(workdir / "worker.log"):
        elapsed = seconds(lambda: _process_all(ids))
    failed = Video.objects.filter(pk__in=ids).exclude(status="ready").count()
    per_minute = THROUGHPUT_CLIPS / elapsed * 60
    return [
        (
            f"{THROUGHPUT_CLIPS} clips of 2 s 1080p30, 1 worker x 2 processes ({failed} not ready)",
            elapsed,
            f"{per_minute:.0f} clips/min",
        ),
        _extrapolated("MA-Bench, 1,000 clips, this machine", 1000 / per_minute),
        *[
            _extrapolated(f"MA-Bench-Train, 20.5K clips, {n} such machine(s)", 20_500 / per_minute / n)
            for n in (1, 4, 10)
        ],
    ]


def _extrapolated(what: str, minutes: float) -> tuple[str, float, str]:
    return f"  {what} (extrapolated)", minutes * 60, f"{minutes:.1f} min"


def _process_all(ids: list[int]) -> None:
    video_processing_request(video_ids=ids)
    settled = Video.objects.filter(pk__in=ids, status__in=("ready", "failed")).exclude(sha256="")
    while settled.count() < len(ids):
        time.sleep(0.25)


# --- report ------------------------------------------------------------------------------


def print_table(title: str, rows: list[tuple[str, float, str]]) -> None:
    print(f"\n{title}\n")
    print("| what | seconds | |")
    print("|---|---|---|")
    for what, secs, note in rows:
        print(f"| {what} | {secs:.2f} | {note} |")


def load_average() -> str:
    return "load average " + ", ".join(f"{load:.2f}" for load in os.getloadavg())


def main() -> None:
    options = FrameOptions.from_settings()
    print(load_average())
    print(
        f"{os.cpu_count()} cores, PyAV {av.__version__}, FFmpeg libavcodec {av.library_versions['libavcodec']}; "
        f"scrub {options.scrub_width} px qscale {options.scrub_jpeg_qscale}, model views max {options.model_max_side} px "
        f"q{options.model_jpeg_quality}, uniform-{options.uniform_k} + mac2026"
    )
    workdir = MEDIA / "work"
    workdir.mkdir(parents=True)
    try:
        with throwaway_database():
            print_table("One clip: 4 s, 1080p30 H.264 (medians)", single_clip_rows(workdir, options))
            print(f"\n{load_average()}")
            if "--one-clip" not in sys.argv:
                print_table("Seek or decode everything", seek_rows(workdir, options))
                print_table("Throughput", throughput_rows(workdir))
                print(f"\n{load_average()}")
    finally:
        shutil.rmtree(MEDIA, ignore_errors=True)


if __name__ == "__main__":
    main()
