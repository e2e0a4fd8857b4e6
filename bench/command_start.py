"""How soon the data commands (lint, release, export, import) start their work, beside the floor.

Each command runs as its own process, as a person or a cron job runs it, on a throwaway database, with
work that takes a few milliseconds (a benchmark that does not exist; a dry-run import of one clip), so
its wall time is the time to its first work. Beside it, in the same run, alternating rounds: the floor,
`python -c "import django; django.setup()"` with the same settings, Python alone (`python -c pass`: what
the floor costs beyond it is Django and the project's imports), and `manage.py check` (the system checks a
data command no longer runs first; `check`, `migrate` and the deploy still run them).

Run: `python scripts/with_test_services.py python bench/command_start.py` (or `make bench`).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from throwaway_database import throwaway_database  # sets Django up: first

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 5
FLOOR = "import django; django.setup()"


def database_url(settings: dict) -> str:
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    host = settings.get("HOST") or "127.0.0.1"
    port = settings.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


def one_clip(folder: Path) -> Path:
    from synthetic_benchmark import synthetic_rows  # noqa: PLC0415 - after Django is set up

    path = folder / "one_clip.json"
    path.write_text(json.dumps(synthetic_rows(1)))
    return path


def seconds(argv: list[str], env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of one run: CPU (user + system of the process) moves far less than wall time
    when other work shares the cores."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    python = sys.executable
    with throwaway_database() as connection, tempfile.TemporaryDirectory() as folder:
        if connection.vendor != "postgresql":
            raise SystemExit("run it on PostgreSQL (scripts/with_test_services.py)")
        env = os.environ | {
            "DATABASE_URL": database_url(connection.settings_dict),
            "DJANGO_SETTINGS_MODULE": "mabench_site.settings",
        }
        questions = one_clip(Path(folder))
        manage = [python, "manage.py"]
        runs = {
            "Python alone: python -c pass": [python, "-c", "pass"],
            "floor: django.setup()": [python, "-c", FLOOR],
            "manage.py check (the system checks)": [*manage, "check"],
            "lint_benchmark": [*manage, "lint_benchmark", "no such benchmark"],
            "create_release": [*manage, "create_release", "no such benchmark", "v1", "--user", "nobody"],
            "export_release": [*manage, "export_release", "no such benchmark", "v1"],
            "import_benchmark --dry-run --in-process (1 clip)": [
                *manage,
                "import_benchmark",
                str(questions),
                "--benchmark",
                "bench: one clip",
                "--dry-run",
                "--in-process",  # where a broker is set (the test services), no worker would pick the job up
            ],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        for _ in range(ROUNDS):
            for name, argv in runs.items():
                times[name].append(seconds(argv, env))
    walls = {name: statistics.median(wall for wall, _ in samples) for name, samples in times.items()}
    cpus = {name: statistics.median(cpu for _, cpu in samples) for name, samples in times.items()}
    floor = "floor: django.setup()"
    print(
        f"medians of {ROUNDS} alternating rounds, each a process of its own: wall s, CPU s (beyond the floor); "
        f"load average {' '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )
    for name in runs:
        beyond = "" if name == floor else f"  ({walls[name] - walls[floor]:+.2f} s, {cpus[name] - cpus[floor]:+.2f} s)"
        print(f"{name:<40} wall {walls[name]:6.2f} s, CPU {cpus[name]:5.2f} s{beyond}")


if __name__ == "__main__":
    main()
