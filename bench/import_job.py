"""A 200,000-row import through the API, as a background job, under the README's production command.

Starts gunicorn (`gunicorn mabench_site.wsgi --workers 3`, its default 30 s timeout) and one Celery worker
(prefork, 1 process) on a throwaway PostgreSQL database and the broker of `scripts/with_test_services.py`,
uploads a 200,000-row JSONL file (synthetic MA-Bench rows, about 40 MB) with an admin's token, follows the
job's URL until it is done, and prints, in the same run:

- the request's time to its 202 (the floor: gunicorn's 30 s timeout it must stay under);
- the job's wall time and rows per second;
- the peak memory (VmHWM) of the worker process that ran the job, beside two floors: that process idle
  (before the job) and a bare Python holding the file's rows as `json.loads` gives them (what reading the
  upload whole used to cost, before any model object).

Run: `scripts/with_test_services.py .venv/bin/python bench/import_job.py [ROWS]`.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from throwaway_database import throwaway_database

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from annotation.dispatch import tasks_run_in_process  # noqa: E402
from annotation.services.audited_writes import Actor  # noqa: E402
from review.models import User  # noqa: E402
from review.services import user_create  # noqa: E402
from synthetic_benchmark import synthetic_rows  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
TARGET_MB = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def service_env(media_root: Path) -> dict:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "MEDIA_ROOT": str(media_root),
        "SECRET_KEY": uuid.uuid4().hex * 2,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on 127.0.0.1; a TLS proxy sits in front in production
        "DEBUG": "false",
    }


@contextlib.contextmanager
def started(command: list[str], env: dict, log_path: Path, ready: str):
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while ready not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{command[2]} did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield process
    finally:
        process.terminate()
        process.wait(30)


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def pool_process(worker_pid: int) -> int:
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one pool process, found {children}")
    return int(children[0])


def write_rows(path: Path) -> int:
    rows = synthetic_rows(-(-ROWS // 12))[:ROWS]
    with path.open("w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    return len(rows)


def multipart(fields: dict[str, str], file_field: str, path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    body = b"".join(parts) + head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def request(port: int, method: str, path: str, token: str, body: bytes = b"", content_type: str = "") -> tuple:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
    if content_type:
        headers["Content-Type"] = content_type
    conn.request(method, path, body=body or None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


def json_load_floor_kb(path: Path) -> int:
    """Peak memory of a bare Python that holds the file's rows as json.loads gives them."""
    code = (
        "import json, resource, sys\n"
        "rows = [json.loads(line) for line in open(sys.argv[1], 'rb')]\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    return int(subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True).stdout)


def main() -> None:
    if tasks_run_in_process():
        sys.exit("needs a broker: run it under scripts/with_test_services.py")
    with throwaway_database(), tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        admin = user_create(username="bench-admin", password="x" * 16, role=User.Role.ADMIN, by=Actor.machine("bench"))
        token = Token.objects.create(user=admin).key
        source = work / "questions.jsonl"
        rows = write_rows(source)
        size_mb = source.stat().st_size / 1e6
        env = service_env(work / "media")
        port = free_port()
        gunicorn = [sys.executable, "-m", "gunicorn", "mabench_site.wsgi", "--bind", f"127.0.0.1:{port}"]
        worker = [sys.executable, "-m", "celery", "-A", "mabench_site", "worker", "--pool=prefork", "--concurrency=1"]
        worker += ["-Q", settings.CELERY_TASK_DEFAULT_QUEUE, "--without-gossip", "--without-mingle", "--loglevel=INFO"]
        with (
            started([*gunicorn, "--workers", "3"], env, work / "gunicorn.log", "Booting worker"),
            started(worker, env, work / "worker.log", "ready.") as celery,
        ):
            time.sleep(2)
            child = pool_process(celery.pid)
            idle_kb = memory_kb(child, "VmRSS")
            body, content_type = multipart({"benchmark": "bench: job", "source": "bench 1.0"}, "questions", source)
            start = time.perf_counter()
            status, job = request(port, "POST", "/api/imports/", token, body, content_type)
            accepted = time.perf_counter() - start
            if status != 202:
                sys.exit(f"POST /api/imports/ answered {status}: {job}")
            while job["status"] not in ("done", "rejected", "failed"):
                time.sleep(0.5)
                _, job = request(port, "GET", job["url"], token)
            wall = time.perf_counter() - start
            peak_kb = memory_kb(child, "VmHWM")
            same_child = pool_process(celery.pid) == child
        floor_kb = json_load_floor_kb(source)
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"database: {connection.vendor}; gunicorn --workers 3 (timeout 30 s); 1 Celery worker process")
        print(f"machine: {os.cpu_count()} cores, load average {load} at the end (other work slows the times)")
        print(f"file: {rows:,} rows of JSONL, {size_mb:.1f} MB")
        print(f"POST /api/imports/ -> {status} in {accepted:.2f} s (gunicorn's timeout: 30 s)")
        print(
            f"job {job['status']}: {job['rows_written']:,} rows written, {job['summary']['items_created']:,} items "
            f"created in {wall:.1f} s ({job['rows_written'] / wall:,.0f} rows/s)"
        )
        print(
            f"worker process memory: peak {peak_kb / 1024:.0f} MB (target < {TARGET_MB} MB); floors: the same process "
            f"idle {idle_kb / 1024:.0f} MB, json.loads of the file's rows {floor_kb / 1024:.0f} MB"
            + ("" if same_child else " (the pool process was replaced: peak not measured)")
        )


if __name__ == "__main__":
    main()
