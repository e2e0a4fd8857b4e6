"""The review-integrity tests hold on the embedded default too: the same files, run on SQLite in a process
of their own (the suite itself runs on PostgreSQL). Tests of PostgreSQL-only machinery are marked `postgresql`."""

import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
FILES = [
    "tests/review/test_review_integrity.py",
    "tests/review/test_review_flow.py",
    "tests/review/test_claims.py",
    "tests/review/test_clip_pane.py",
]
SERVICES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_TASK_DEFAULT_QUEUE",
    "MEDIA_ROOT",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
)


def test_the_review_integrity_tests_pass_on_the_embedded_sqlite_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SERVICES} | {"MABENCH_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FILES, "-m", "not postgresql and not worker"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-6000:]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary
