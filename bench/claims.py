"""Claim latency through the real HTTP stack: gunicorn on loopback, 50 annotators claiming at once.

A queue of 1,000 clips (one slot each) has 50 annotators, each a client thread with its own
session: it fetches the login page's CSRF token, logs in, then POSTs /queues/<id>/start/ and
reads the redirect (not followed) to learn which slot it got. Rounds: all clients are
released together, each claims once, then the bench process marks the round's slots
completed in the database (outside the timing) and checks them. Completing a clip through
the app takes 12 blind answers and 12 decisions, and the app has no release URL; without a
completion, `claim_next` would hand the person their current claim again. Before the
rounds one client claims alone, for the unloaded latency. Every slot is claimed once; a last
round must find nothing left. Each request opens its own loopback connection, as sync workers
serve them. It also prints the CPU each claim costs gunicorn, PostgreSQL and the clients, beside
floors measured in the same bursts (a minimal view through the same middleware, and the 404 of the
claim's URL), and the SQL of one claim. Target (issue 22): under 4 ms of server CPU per claim, and a
lock-step burst of 50 at p95 under 100 ms on 2 cores.

    scripts/with_test_services.py .venv/bin/python bench/claims.py [--workers N] [--worker-class sync|gthread --threads N]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from throwaway_database import refresh_planner_statistics, throwaway_database

from django.conf import settings  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from django.db import connections as db_connections  # noqa: E402
from django.db.models import F  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from latency_summary import summary_ms  # noqa: E402
from sql_summary import statements_brief  # noqa: E402
from review.models import Queue, QueueSlot, User  # noqa: E402
from review.services.queues import queue_create  # noqa: E402
from synthetic_benchmark import synthetic_benchmark_import  # noqa: E402

CLIPS = 1000  # --clips
LOCKSTEP_ROUNDS = 10
PACED_CLAIMS = 400
PASSWORD = "bench-claims-password"
SOLO_CLAIMS = 50
THINK_SECONDS = 1.0  # far quicker than a person reviewing a clip (minutes): 50 claims/s offered
ROOT = Path(__file__).resolve().parent.parent


class Session:
    """One logged-in person: its cookies, and a new connection per request (as gunicorn's sync workers have it)."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def send(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if method == "POST":
            body = urlencode(form or {})
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "X-CSRFToken": self.cookies.get("csrftoken", ""),
            }
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers | {"Connection": "close"})
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookies |= {name: morsel.value for name, morsel in SimpleCookie(header).items()}
        return response.status, response.headers.get("Location", ""), text

    def log_in(self, username: str) -> None:
        _, _, page = self.send("GET", reverse("login"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, location, _ = self.send(
            "POST", reverse("login"), {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        )
        if status != 302 or location != reverse("home"):
            sys.exit(f"log-in of {username} failed: HTTP {status}")

    def claim(self, queue_id: int) -> tuple[float, int | None]:
        """Seconds taken and the slot claimed (None: redirected home, nothing left)."""
        start = time.perf_counter()
        status, location, _ = self.send("POST", reverse("queue-start", args=[queue_id]))
        seconds = time.perf_counter() - start
        if status != 302:
            raise RuntimeError(f"start answered HTTP {status}")
        match = re.fullmatch(r"/review/(\d+)/", location)
        return seconds, int(match.group(1)) if match else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def gunicorn(workers: int, threads: int, worker_class: str):
    db, port = connection.settings_dict, free_port()
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # else WhiteNoise warns in every worker
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "ERROR",  # no "Not Found" line per floor request (a 404 of the claim's URL)
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "mabench_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--worker-class",
            worker_class,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                probe.request("GET", reverse("healthz"))
                if probe.getresponse().status == 200:
                    break
            time.sleep(0.1)
        else:
            sys.exit("gunicorn did not answer within 10 s")
        yield port, server.pid
    finally:
        server.terminate()
        server.wait(30)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (Linux /proc)."""
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def server_processes(master: int) -> dict[str, list[int]]:
    """gunicorn's workers and the PostgreSQL backends serving this database."""
    workers = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    return {"gunicorn workers": workers, "PostgreSQL backends": backends, "bench clients": [os.getpid()]}


class CpuMeter:
    """CPU used by each group of processes while the block runs."""

    def __init__(self, master: int):
        self.master = master

    def __enter__(self):
        self.groups = server_processes(self.master)
        self.start = {name: sum(map(cpu_seconds, pids)) for name, pids in self.groups.items()}
        return self

    def __exit__(self, *exc):
        self.used = {name: sum(map(cpu_seconds, pids)) - self.start[name] for name, pids in self.groups.items()}

    def per_claim(self, claims: int) -> str:
        return ", ".join(f"{name} {1000 * seconds / claims:.1f} ms" for name, seconds in self.used.items())


def people(count: int) -> list[User]:
    # One password hash for all: hashing 50 times (PBKDF2) would only slow the set-up.
    password = make_password(PASSWORD)
    User.objects.bulk_create(
        User(username=f"claimer{n:02d}", password=password, role=User.Role.ANNOTATOR) for n in range(count)
    )
    return list(User.objects.filter(username__startswith="claimer").order_by("username"))


class Rounds:
    """Claims in lock-step rounds; after each, the bench checks and completes what was claimed."""

    def __init__(self, queue: Queue, sessions: dict[int, Session]):
        self.queue, self.sessions = queue, sessions
        self.seconds: list[float] = []
        self.seconds_paced: list[float] = []
        self.handed: list[tuple[int, int]] = []  # (user, slot) as the HTTP answers said
        self.nothing_left = 0  # clients of the last round that found nothing to claim

    def one_round(self, user_ids: list[int]) -> float:
        results, errors = {}, []
        barrier = threading.Barrier(len(user_ids))

        def claimer(user_id: int) -> None:
            try:
                barrier.wait()
                results[user_id] = self.sessions[user_id].claim(self.queue.pk)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(f"user {user_id}: {error!r}")

        threads = [threading.Thread(target=claimer, args=(u,)) for u in user_ids]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - start
        if errors:
            sys.exit("claims failed: " + "; ".join(errors))
        self._settle(results)
        return wall

    def _settle(self, results: dict[int, tuple[float, int | None]]) -> None:
        claimed = {user: slot for user, (_, slot) in results.items() if slot is not None}
        self.nothing_left = len(results) - len(claimed)
        self.seconds += [seconds for seconds, slot in results.values() if slot is not None]
        self.handed += list(claimed.items())
        held = sorted(
            QueueSlot.objects.filter(queue=self.queue, claimed_by__isnull=False, completed_at__isnull=True).values_list(
                "claimed_by", "pk"
            )
        )
        if held != sorted(claimed.items()):
            sys.exit(f"the database holds other claims than the clients were told: {held} != {claimed}")
        QueueSlot.objects.filter(pk__in=claimed.values()).update(
            completed_by=F("claimed_by"), completed_at=timezone.now()
        )


def floor_burst(sessions: list[Session], method: str, path: str, status: int) -> list[float]:
    """The same lock-step burst as the claims' (every client at the same instant), of a request that claims
    nothing: seconds per request."""
    barrier, seconds, errors = threading.Barrier(len(sessions)), [], []

    def client(session: Session) -> None:
        try:
            barrier.wait()
            start = time.perf_counter()
            answered, _, _ = session.send(method, path)
            seconds.append(time.perf_counter() - start)
            if answered != status:
                errors.append(f"{method} {path} answered HTTP {answered}")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        sys.exit("floor requests failed: " + "; ".join(errors[:3]))
    return seconds


def floors(rounds: Rounds, user_ids: list[int], master: int) -> None:
    """Floors of the same run, in the same lock-step bursts: a minimal view through the same middleware (healthz,
    one SELECT 1; no session read), and the 404 of the claim's own URL on a queue that does not exist (session,
    user, the queue lookup: everything a claim does before claiming)."""
    sessions = [rounds.sessions[u] for u in user_ids]
    for name, method, path, status in (
        ("GET healthz", "GET", reverse("healthz"), 200),
        ("POST start of a queue that does not exist (404)", "POST", reverse("queue-start", args=[10**9]), 404),
    ):
        seconds = []
        with CpuMeter(master) as cpu:
            for _ in range(LOCKSTEP_ROUNDS):
                seconds += floor_burst(sessions, method, path, status)
        print(f"floor, {name}, same bursts: {summary_ms(seconds)}; CPU per request: {cpu.per_claim(len(seconds))}")


def paced(rounds: Rounds, user_ids: list[int], claims: int, think: float) -> float:
    """Every client claims, then "works" for a random time (exponential, mean ``think`` s), until ``claims``
    claims are made: arrivals at a human pace instead of in lock-step. Each client completes its own claim in the
    database (off the clock), as its work would. Returns the wall time."""
    remaining = [claims]
    lock = threading.Lock()
    results: dict[int, list[tuple[float, int | None]]] = {u: [] for u in user_ids}

    def client(user_id: int) -> None:
        rng = random.Random(user_id)
        try:
            while True:
                time.sleep(rng.expovariate(1 / think))
                with lock:
                    if remaining[0] <= 0:
                        return
                    remaining[0] -= 1
                seconds, slot = rounds.sessions[user_id].claim(rounds.queue.pk)
                results[user_id].append((seconds, slot))
                QueueSlot.objects.filter(pk=slot).update(completed_by_id=user_id, completed_at=timezone.now())
        finally:
            db_connections.close_all()

    threads = [threading.Thread(target=client, args=(u,)) for u in user_ids]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for user_id, made in results.items():
        rounds.seconds_paced += [seconds for seconds, _ in made]
        rounds.handed += [(user_id, slot) for _, slot in made]
    return time.perf_counter() - start


def verify(queue: Queue, rounds: Rounds, clients: int) -> str:
    slots = [slot for _, slot in rounds.handed]
    doubles = len(slots) - len(set(slots))
    all_slots = set(queue.slots.values_list("pk", flat=True))
    lost = all_slots - set(slots)
    completed_by = dict(queue.slots.values_list("pk", "completed_by"))
    wrong_owner = sum(completed_by[slot] != user for user, slot in rounds.handed)
    ok = doubles == 0 and not lost and wrong_owner == 0 and rounds.nothing_left == clients
    return (
        f"{len(slots)} claims of {len(all_slots)} slots: handed to two people {doubles}, never handed out "
        f"{len(lost)}, held by someone else {wrong_owner}; final round found nothing left for "
        f"{rounds.nothing_left}/{clients} -> {'OK' if ok else 'FAILED'}"
    )


def claim_queries(benchmark, user: User, admin: User) -> str:
    """The SQL of one claim, in process (the Django test client on a fresh queue of the next stage)."""
    queue = queue_create(
        benchmark=benchmark,
        name="query count",
        created_by=admin,
        stage=Queue.Stage.VERIFICATION,
        order=Queue.Order.CLIP,
        annotators=[user],
    )
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("queue-start", args=[queue.pk]))
    assert response.status_code == 302 and response["Location"].startswith("/review/")
    return f"SQL statements per claim: {len(queries)} ({statements_brief(queries)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # Two processes per core: a claim is short and mostly CPU, so threads add nothing (measured: 4 sync workers
    # and 4 x 2 gthread both ~200 claims/s; 2 workers ~165, 1 worker x 8 threads ~130).
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1), help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread only)")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--clips", type=int, default=CLIPS, help="clips in the queue (20500: MA-Bench-Train's size)")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # before our own work: what else the machine was doing
    with throwaway_database() as db:
        if db.vendor != "postgresql":
            sys.exit("bench/claims.py needs PostgreSQL (run it with `make bench`)")
        benchmark = synthetic_benchmark_import("bench: claims", args.clips)
        annotators = people(args.clients)
        admin = User.objects.create(username="bench-admin", role=User.Role.ADMIN)
        queue = queue_create(
            benchmark=benchmark, name="claim rush", created_by=admin, order=Queue.Order.CLIP, annotators=annotators
        )
        refresh_planner_statistics()
        print(
            f"database: {db.vendor}; {args.clips} clips, {queue.slots.count()} slots, {args.clients} annotators; "
            f"gunicorn {args.workers} workers x {args.threads} threads ({args.worker_class}) on {os.cpu_count()} cores; "
            f"load average {load:.1f} at start",
            flush=True,
        )
        with gunicorn(args.workers, args.threads, args.worker_class) as (port, master):
            sessions = {user.pk: Session(port) for user in annotators}
            for user in annotators:  # one after the other: 50 logins at once time out on a busy machine
                sessions[user.pk].log_in(user.username)
            report(queue, Rounds(queue, sessions), [u.pk for u in annotators], master)
        print(claim_queries(benchmark, annotators[0], admin))


def report(queue: Queue, rounds: Rounds, user_ids: list[int], master: int) -> None:
    for _ in range(SOLO_CLAIMS):
        rounds.one_round(user_ids[:1])
    print(f"one client alone, {SOLO_CLAIMS} claims: {summary_ms(rounds.seconds)}")
    solo = len(rounds.seconds)
    wall = 0.0
    with CpuMeter(master) as cpu:
        for _ in range(LOCKSTEP_ROUNDS):
            wall += rounds.one_round(user_ids)
    burst = rounds.seconds[solo:]
    print(
        f"{len(user_ids)} clients in lock-step (all claim at the same instant), {len(burst) // len(user_ids)} rounds: "
        f"{summary_ms(burst)}; {len(burst) / wall:.0f} claims/s"
    )
    print(f"CPU per claim under load: {cpu.per_claim(len(burst))}")
    floors(rounds, user_ids, master)
    wall = paced(rounds, user_ids, PACED_CLAIMS, THINK_SECONDS)
    print(
        f"{len(user_ids)} clients at a human pace (each claims, then works {THINK_SECONDS:.0f} s on average): "
        f"{summary_ms(rounds.seconds_paced)}; {len(rounds.seconds_paced) / wall:.0f} claims/s offered and served"
    )
    while QueueSlot.objects.filter(queue=queue, completed_at__isnull=True).exists():
        rounds.one_round(user_ids)  # the remainder, fewer slots than clients
    rounds.one_round(user_ids)  # must find nothing left for anyone
    print(verify(queue, rounds, len(user_ids)))


if __name__ == "__main__":
    main()
