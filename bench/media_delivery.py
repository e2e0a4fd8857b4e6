"""Frames and clips from a bucket: a redirect to a presigned URL, or bytes streamed through the web process?

The scrubber asks for every stored frame of a clip as the page opens (six at a time, as a browser
does per host), then one frame per step; the player asks for byte ranges of the clip. Both modes
are served by gunicorn on loopback (2 workers x 4 threads, gthread) from the same bucket on moto's
S3 server, one server per mode, in alternating rounds; the floor is the same requests sent straight
to the bucket with URLs signed in advance. Each row also prints the CPU the web workers spent.

moto is a Python server on this machine, so the bucket's own time is far above a real S3's and the
network between browser, web and bucket is loopback: the figures compare what each mode costs the
web process and how many round trips it adds, not what a deployment's latency will be.

Run with `scripts/with_test_services.py .venv/bin/python bench/media_delivery.py`.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.s3_server import S3Server, free_port  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="mabench-bench-delivery-"))
S3 = S3Server(WORK / "moto_server.log").start()
BUCKET = S3.create_bucket("mabench-bench-delivery")
os.environ.update(S3.env(BUCKET))
os.environ["MEDIA_ROOT"] = str(WORK / "media")  # must stay empty: everything goes to the bucket

from throwaway_database import throwaway_database  # noqa: E402  (sets Django up)

import urllib3  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.files.storage import default_storage  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from synthetic_clips import render_clip  # noqa: E402

from annotation.media_storage import presigned_url  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from annotation.services.content import benchmark_create, video_attach_file, video_register  # noqa: E402
from annotation.services.video_processing import video_processing_run_here  # noqa: E402
from review.models import User  # noqa: E402
from review.scrubber import scrub_view  # noqa: E402
from review.services import user_create  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ACTOR = Actor.machine("bench: media delivery")
ROUNDS, BROWSER_CONNECTIONS, STEPS, RANGES, RANGE_BYTES = 5, 6, 60, 30, 512 * 1024


@contextlib.contextmanager
def gunicorn(delivery: str):
    db, port = connection.settings_dict, free_port()
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_DELIVERY": delivery,
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    argv = [sys.executable, "-m", "gunicorn", "mabench_site.wsgi", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"]
    server = subprocess.Popen(argv, cwd=ROOT, env=env)
    try:
        for _ in range(200):
            with contextlib.suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", reverse("healthz"))
                if probe.getresponse().status == 200:
                    break
            time.sleep(0.1)
        else:
            sys.exit("gunicorn did not answer within 20 s")
        yield f"http://127.0.0.1:{port}", server.pid
    finally:
        server.terminate()
        server.wait(30)


def cpu_seconds(master: int) -> float:
    """User + system CPU of gunicorn's workers (Linux /proc)."""
    total = 0.0
    for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Browser:
    """A pool of keep-alive connections that follows redirects to the bucket (without the session cookie)."""

    def __init__(self, cookie: str):
        self.http = urllib3.PoolManager(maxsize=BROWSER_CONNECTIONS, block=True)
        self.cookie = cookie

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[float, bytes]:
        start = time.perf_counter()
        response = self.http.request("GET", url, headers={"Cookie": self.cookie, **(headers or {})}, redirect=True)
        body = response.data
        if response.status not in (200, 206):
            raise RuntimeError(f"{url}: {response.status}")
        return time.perf_counter() - start, body


def preload(browser: Browser, urls: list[str]) -> float:
    """Every stored frame, six at a time: what the scrubber does as the page opens."""
    start = time.perf_counter()
    with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
        list(pool.map(browser.get, urls))
    return time.perf_counter() - start


def steps(browser: Browser, urls: list[str]) -> float:
    """The median of one frame at a time (a step the cache did not have)."""
    return statistics.median(browser.get(url)[0] for url in random.Random(1).sample(urls, STEPS))


def ranges(browser: Browser, url: str, size: int) -> float:
    """The median of 512 KB byte ranges at random offsets (the player seeking)."""
    offsets = [random.Random(2 + n).randrange(0, size - RANGE_BYTES) for n in range(RANGES)]
    times = []
    for offset in offsets:
        elapsed, body = browser.get(url, {"Range": f"bytes={offset}-{offset + RANGE_BYTES - 1}"})
        assert len(body) == RANGE_BYTES
        times.append(elapsed)
    return statistics.median(times)


def setup_clip() -> tuple[object, User]:
    benchmark = benchmark_create(name="bench: media delivery", actor=ACTOR)
    video = video_register(benchmark=benchmark, clip_name="clip_8s_1080p30", actor=ACTOR)
    source = render_clip(WORK / "clip_8s_1080p30.mp4", seconds=8)
    video_attach_file(video=video, source=source, actor=ACTOR)
    assert video_processing_run_here(video_id=video.pk).status == "ready"
    video.refresh_from_db()
    reviewer = user_create(username="bench-reviewer", password="bench-password-1", role=User.Role.REVIEWER, by=ACTOR)
    return video, reviewer


def main() -> None:
    logging.getLogger("urllib3").setLevel(logging.WARNING)  # a line per redirect otherwise
    with throwaway_database():
        video, reviewer = setup_clip()
        client = Client()
        client.force_login(reviewer)
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        view = scrub_view(video)
        frame_paths = [
            f"{reverse('clip-frame', args=[video.pk, i])}?v={view.version}"
            for i in range(0, view.frame_count, view.stride)
        ]
        clip_name = video.proxy_file or video.file.name
        clip_size = default_storage.size(clip_name)
        print(
            f"{os.cpu_count()} cores; one 8 s 1080p30 clip: {len(frame_paths)} scrub frames of "
            f"{view.stride and default_storage.size(view.scrub_file(0)) // 1024} KB, clip {clip_size / 1e6:.1f} MB; "
            f"gunicorn 2 workers x 4 threads (gthread); bucket: moto_server on 127.0.0.1; {ROUNDS} rounds, medians"
        )
        expiry = settings.MEDIA_S3_URL_EXPIRY_SECONDS
        direct_frames = [
            presigned_url(default_storage, view.scrub_file(i), expire=expiry)
            for i in range(0, view.frame_count, view.stride)
        ]
        direct_clip = presigned_url(default_storage, clip_name, expire=expiry)
        results: dict[str, dict[str, list[float]]] = {}
        with gunicorn("redirect") as (redirect_url, redirect_pid), gunicorn("stream") as (stream_url, stream_pid):
            modes = {
                "bucket alone, URLs signed in advance (the floor)": (None, direct_frames, direct_clip),
                "redirect to a presigned URL": (
                    redirect_pid,
                    [redirect_url + p for p in frame_paths],
                    redirect_url + reverse("clip-file", args=[video.pk]),
                ),
                "streamed through the web process": (
                    stream_pid,
                    [stream_url + p for p in frame_paths],
                    stream_url + reverse("clip-file", args=[video.pk]),
                ),
            }
            for _ in range(ROUNDS):
                for mode, (pid, frame_urls, clip_url) in modes.items():
                    browser = Browser(cookie)  # a cold browser: nothing cached, new connections
                    before = cpu_seconds(pid) if pid else 0.0
                    row = results.setdefault(mode, {"preload": [], "step": [], "range": [], "cpu": []})
                    row["preload"].append(preload(browser, frame_urls))
                    row["step"].append(steps(browser, frame_urls))
                    row["range"].append(ranges(browser, clip_url, clip_size))
                    requests = len(frame_urls) + STEPS + RANGES
                    row["cpu"].append((cpu_seconds(pid) - before) / requests if pid else float("nan"))
        print_table(results, len(frame_paths))
        assert not any(Path(os.environ["MEDIA_ROOT"]).rglob("*.jpg")), "frames reached the local disk"


def print_table(results: dict[str, dict[str, list[float]]], frames: int) -> None:
    floor = {key: statistics.median(values) for key, values in next(iter(results.values())).items()}
    print(
        f"\n| mode | preload all {frames} frames, s | one frame (step), ms | 512 KB clip range, ms "
        "| web CPU per request, ms |"
    )
    print("|---|---|---|---|---|")
    for mode, row in results.items():
        m = {key: statistics.median(values) for key, values in row.items()}
        cpu = "-" if m["cpu"] != m["cpu"] else f"{1000 * m['cpu']:.2f}"
        print(
            f"| {mode} | {m['preload']:.2f} ({m['preload'] / floor['preload']:.2f}x) "
            f"| {1000 * m['step']:.1f} ({m['step'] / floor['step']:.2f}x) "
            f"| {1000 * m['range']:.1f} ({m['range'] / floor['range']:.2f}x) | {cpu} |"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        S3.stop()
        import shutil

        shutil.rmtree(WORK, ignore_errors=True)
