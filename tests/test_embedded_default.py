"""The embedded default, as `make demo` runs it: SQLite under var/, tasks in-process."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONFIG_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "MEDIA_ROOT",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "CELERY_TASK_DEFAULT_QUEUE",
)


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    env["MABENCH_VAR_DIR"] = str(tmp_path_factory.mktemp("embedded") / "var")
    return env


def manage(env, *args) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Just enough of a browser: cookies, CSRF token, form posts."""

    def __init__(self, base: str):
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            return response.read().decode()

    def post_form(self, path: str, fields: dict) -> str:
        token = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + path, data=data, headers={"Referer": self.base + path})
        with self.opener.open(request, timeout=10) as response:
            return response.read().decode()


@pytest.fixture(scope="module")
def demo_site(embedded_env):
    manage(embedded_env, "migrate", "--noinput")
    seeded = manage(embedded_env, "seed_demo", "--clips", "2")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=PROJECT_DIR,
        env=embedded_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the demo server did not start"
                time.sleep(0.2)
        yield base, seeded
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_demo_runs_on_sqlite_with_in_process_tasks_and_serves_its_content(demo_site, embedded_env):
    base, seeded = demo_site
    assert "Seeded 'MA-Bench Demo': 2 clips, 24 questions." in seeded
    assert "admin / demo-admin / admin" in seeded
    assert (Path(embedded_env["MABENCH_VAR_DIR"]) / "mabench.sqlite3").is_file()

    browser = Browser(base)
    assert "Log in" in browser.get("/accounts/login/")
    home = browser.post_form("/accounts/login/", {"username": "admin", "password": "demo-admin"})
    benchmark_path = re.search(r'href="(/benchmarks/\d+/)">MA-Bench Demo<', home).group(1)
    page = browser.get(benchmark_path)
    clip_names = re.findall(r'<tr id="clip-\d+">\s*<td><a href="/clips/\d+/">(demo_\w+)</a></td>', page)
    assert len(clip_names) == 2
    assert len(set(re.findall(r'class="mono">((?:CMAR|FMAR|SAD|MAD|MAS|PPR|MADU|MARE)_\d{4})<', page))) == 24
    # The fingerprint task ran in-process after commit: each clip has its sha256.
    assert len(re.findall(r'<td class="mono">[0-9a-f]{16}…</td>', page)) == 2
    assert "audit trail rebuilds all" in manage(embedded_env, "verify_audit_trail")


def test_the_demo_annotator_starts_the_demo_queue(demo_site):
    base, _ = demo_site
    browser = Browser(base)
    browser.get("/accounts/login/")
    home = browser.post_form("/accounts/login/", {"username": "annotator", "password": "demo-annotator"})
    assert "Demo first pass" in home
    start = re.search(r'action="(/queues/\d+/start/)"', home).group(1)
    page = browser.post_form(start, {})
    assert "Your answer from the video" in page and re.search(r"<h1>Clip \d+ <small>Demo first pass", page)
    assert page.count("Your answer from the video") == 10  # every closed question, blind
    assert "Key:" not in page and "· key:" not in page and "Reference answer" not in page  # nothing before the answers
    assert "demo_" not in page  # nor the clip's file name, which carries its label


def test_seeding_twice_changes_nothing(demo_site, embedded_env):
    again = manage(embedded_env, "seed_demo", "--clips", "2")
    assert "already exists; nothing to seed" in again


def test_the_import_command_runs_its_job_in_process_and_prints_progress(demo_site, embedded_env, tmp_path):
    import json

    rows = [
        {"video": f"clip_{n // 12:03d}.mp4", "task": "SAD", "qid": f"SAD_{n:05d}", "question": "Up?", "answer": "Yes"}
        for n in range(1500)
    ]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    result = subprocess.run(
        [sys.executable, "manage.py", "import_benchmark", str(path), "--benchmark", "Embedded import"],
        cwd=PROJECT_DIR,
        env=embedded_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["items_created"] == 1500
    assert "import validating: 1000 rows read, 0 problems, 0 rows written" in result.stderr
    assert result.stderr.splitlines()[-1] == "import writing: 1500 rows read, 0 problems, 1500 rows written"
