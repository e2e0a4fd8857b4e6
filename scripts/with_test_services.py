#!/usr/bin/env python3
"""Run a command with the PostgreSQL and Redis the test suite needs.

Usage: with_test_services.py COMMAND [ARG...]

DATABASE_URL and CELERY_BROKER_URL, when set, are used as they are. Otherwise
a server already answering on its standard local port (127.0.0.1:5432 as user
postgres with trust auth, 127.0.0.1:6379) is used, with a database name unique
to this run; failing that, a throwaway server is started from the installed
programs in a temporary folder and stopped at the end. Set
MABENCH_TEST_OWN_SERVICES=1 to always start throwaway servers.

Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PG_PACKAGE_HINT = "PostgreSQL server programs not found: install them with `sudo apt-get install postgresql`"
REDIS_PACKAGE_HINT = "redis-server not found: install it with `sudo apt-get install redis-server`"


def say(message: str) -> None:
    print(f"test services: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(port: int, probe: bytes, expect: bytes) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(probe)
            return expect in sock.recv(64)
    except OSError:
        return False


def local_postgres_trusts_postgres_user() -> bool:
    psql = shutil.which("psql")
    if not psql or not port_open(5432):
        return False
    result = subprocess.run(
        [psql, "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", "postgres", "-Atc", "select 1"],
        capture_output=True,
        text=True,
        env={**os.environ, "PGCONNECT_TIMEOUT": "3"},
    )
    return result.returncode == 0 and result.stdout.strip() == "1"


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def postgres_bin_dir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class Services:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.stops: list[tuple[list[str], Path]] = []

    def as_postgres_user(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def start_postgres(self) -> str:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            sys.exit(f"test services: {PG_PACKAGE_HINT}")
        pg_dir = self.workdir / "pg"
        pg_dir.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pg_dir, "postgres", "postgres")
        data, port = pg_dir / "data", free_port()
        subprocess.run(
            self.as_postgres_user(
                [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=pg_dir,
        )
        options = f"-p {port} -k {pg_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
        subprocess.run(
            self.as_postgres_user([*pg_ctl, "-o", options, "-l", str(pg_dir / "log"), "-w", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
            cwd=pg_dir,
        )
        self.stops.append((self.as_postgres_user([*pg_ctl, "-m", "immediate", "stop"]), pg_dir))
        say(f"started a throwaway PostgreSQL on 127.0.0.1:{port} in {pg_dir}")
        return f"postgres://postgres@127.0.0.1:{port}/mabench"

    def start_redis(self) -> str:
        server = shutil.which("redis-server")
        if server is None:
            sys.exit(f"test services: {REDIS_PACKAGE_HINT}")
        port = free_port()
        subprocess.run(
            [
                server,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.workdir),
                "--pidfile",
                str(self.workdir / "redis.pid"),
                "--logfile",
                str(self.workdir / "redis.log"),
            ],
            check=True,
        )
        for _ in range(50):
            if answers(port, b"PING\r\n", b"PONG"):
                break
            time.sleep(0.1)
        self.stops.append((["kill", (self.workdir / "redis.pid").read_text().strip()], self.workdir))
        say(f"started a throwaway Redis on 127.0.0.1:{port}")
        return f"redis://127.0.0.1:{port}/0"

    def stop_all(self) -> None:
        for argv, cwd in reversed(self.stops):
            subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main(argv: list[str]) -> int:
    if not argv:
        sys.exit(__doc__)
    own = os.environ.get("MABENCH_TEST_OWN_SERVICES") == "1"
    workdir = Path(tempfile.mkdtemp(prefix="mabench-test-"))
    workdir.chmod(0o755)  # the postgres user must reach its data folder
    services = Services(workdir)
    env = dict(os.environ)
    try:
        if not env.get("DATABASE_URL"):
            if not own and local_postgres_trusts_postgres_user():
                env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/mabench_run_{os.getpid()}"
                say("using the PostgreSQL on 127.0.0.1:5432 (the suite creates and drops its own database)")
            else:
                env["DATABASE_URL"] = services.start_postgres()
        if not env.get("CELERY_BROKER_URL"):
            if not own and answers(6379, b"PING\r\n", b"PONG"):
                env["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/0"
                say("using the Redis on 127.0.0.1:6379 (with a queue name unique to this run)")
            else:
                env["CELERY_BROKER_URL"] = services.start_redis()
        env.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
        env.setdefault("SECURE_SSL_REDIRECT", "false")  # the test client and live server speak plain HTTP
        env.setdefault("CELERY_TASK_DEFAULT_QUEUE", f"mabench-test-{os.getpid()}")
        env.setdefault("MEDIA_ROOT", str(workdir / "media"))
        env.setdefault("MABENCH_VAR_DIR", str(workdir / "var"))
        return subprocess.run(argv, env=env).returncode
    finally:
        services.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
