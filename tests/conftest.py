from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import override_settings

from annotation.models import AuditEvent, Benchmark, Caption, QAItem, Video
from annotation.services.audited_writes import Actor, create_audited
from annotation.services.content import benchmark_create, video_register
from review.models import User
from review.services import user_create
from tests.support.s3_server import S3Server

PROJECT_DIR = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("MABENCH_SHARED_DATA", PROJECT_DIR.parent / "shared" / "data"))

# The acceptance tests read ../shared/data; where it is absent they are not collected.
collect_ignore = [] if SHARED_DATA.is_dir() else ["acceptance"]

GENERATOR = Actor.machine("test-generator 0.1")
WORKER_FIXTURES = {"celery_worker", "start_worker"}


def pytest_collection_modifyitems(config, items):
    for item in items:  # a real worker runs on the broker and PostgreSQL
        if WORKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker("worker")
            item.add_marker("postgresql")


def pytest_runtest_setup(item):
    """`make test` runs everything; elsewhere (the embedded SQLite default) what needs more says so as it skips."""
    if item.get_closest_marker("postgresql") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run it with `make test`)")
    if item.get_closest_marker("worker") and settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("needs a Celery worker on a broker (run it with `make test`)")


FIXTURES = Actor.machine("test fixtures")  # who creates the tests' users


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's standalone S3 server on a free port of 127.0.0.1, for the whole run."""
    server = S3Server(tmp_path_factory.mktemp("s3") / "moto_server.log").start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class S3Bucket:
    server: S3Server
    name: str

    def keys(self, prefix: str = "") -> list[str]:
        return self.server.keys(self.name, prefix)

    def read(self, key: str) -> bytes:
        return self.server.read(self.name, key)

    def env(self) -> dict[str, str]:
        return self.server.env(self.name)


@pytest.fixture
def s3_bucket(s3_server, media_root):
    """Default storage on a new, empty bucket of the test S3 server (django-storages and the real boto3)."""
    bucket = S3Bucket(s3_server, s3_server.create_bucket(f"mabench-test-{uuid.uuid4().hex[:12]}"))
    with override_settings(STORAGES={**settings.STORAGES, "default": s3_server.storage(bucket.name)}):
        yield bucket


@pytest.fixture(scope="session", autouse=True)
def media_root(tmp_path_factory):
    root = Path(os.environ.get("MEDIA_ROOT") or tmp_path_factory.mktemp("media"))
    with override_settings(MEDIA_ROOT=str(root)):
        yield root


@pytest.fixture(scope="session", autouse=True)
def flush_past_append_only_triggers():
    """Django empties the tables with one TRUNCATE after each transactional test (and
    live-server test), which the append-only tables refuse by trigger. The test
    connection is a superuser, so the flush runs with ``session_replication_role =
    replica``, under which no trigger fires. Only a superuser may set that parameter:
    the app's role (``create_app_role``) cannot, so this is no way around the triggers
    outside the tests. ``SET LOCAL`` ends with the flush's transaction."""
    flush = PostgresOperations.execute_sql_flush

    def execute_sql_flush_as_replica(ops, sql_list):
        with transaction.atomic(using=ops.connection.alias):
            with ops.connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
            flush(ops, sql_list)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PostgresOperations, "execute_sql_flush", execute_sql_flush_as_replica)
        yield


@pytest.fixture
def behind_the_triggers(db):
    """``behind_the_triggers(sql, params)``: run a statement as the superuser with triggers off,
    as a hand edit or a botched restore could: how the tests damage an append-only table."""

    def run(statement: str, params=()) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            try:
                cursor.execute(statement, params)
                return cursor.rowcount
            finally:
                cursor.execute("RESET session_replication_role")

    return run


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def generator() -> Actor:
    return GENERATOR


@pytest.fixture
def make_user(db):
    def make(role: str, username: str | None = None) -> User:
        return user_create(
            username=username or f"{role}-{User.objects.count() + 1}", password="pw-for-tests-1", role=role, by=FIXTURES
        )

    return make


@pytest.fixture
def events_during(db):
    """``with events_during() as events: ...``: ``events`` holds the audit events written in the block, in order."""

    @contextmanager
    def watch():
        events: list[AuditEvent] = []
        last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        yield events
        events.extend(AuditEvent.objects.filter(id__gt=last).select_related("actor_user").order_by("id"))

    return watch


@pytest.fixture
def annotator(make_user) -> User:
    return make_user(User.Role.ANNOTATOR, "annotator")


@pytest.fixture
def reviewer(make_user) -> User:
    return make_user(User.Role.REVIEWER, "reviewer")


@pytest.fixture
def admin_user(make_user) -> User:
    return make_user(User.Role.ADMIN, "admin")


@pytest.fixture
def as_role(client, make_user):
    """``as_role(role)``: the test client logged in as a new user of ``role`` ("anonymous": not logged in)."""

    def login(role):
        if role != "anonymous":
            client.force_login(make_user(role, f"{role}-api"))
        return client

    return login


@pytest.fixture
def benchmark(db) -> Benchmark:
    return benchmark_create(name="Test bench", actor=GENERATOR)


@pytest.fixture
def video(benchmark) -> Video:
    return video_register(benchmark=benchmark, clip_name="clip_001", actor=GENERATOR)


@pytest.fixture
def make_item(benchmark, video):
    def make(qid: str, task: str = "SAD", **values) -> QAItem:
        defaults = {"question": f"Does the head move down in {qid}?", "options": [], "answer": "Yes"}
        if task == "FMAR":
            defaults |= {
                "question": "Which fine-grained label fits?",
                "answer": "A",
                "options": ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"],
            }
        return create_audited(
            model=QAItem,
            actor=GENERATOR,
            values={
                "benchmark": benchmark,
                "video": video,
                "qid": qid,
                "task": task,
                "generated_by": GENERATOR.source,
                **defaults,
                **values,
            },
        )

    return make


@pytest.fixture
def processed_clip(video, generator, tmp_path):
    """The ``video`` fixture with a rendered stick-figure clip (frame counter drawn in) run through the frame pipeline."""
    from annotation.services.content import video_attach_file
    from annotation.services.video_processing import video_processing_run_here
    from demo.figure_clips import render_micro_action_clip

    clip = render_micro_action_clip(tmp_path / "clip_001.mp4", action="B1", seconds=2.4, fps=25, width=160, height=120)
    video_attach_file(video=video, source=clip.path, actor=generator)
    video_processing_run_here(video_id=video.pk)
    return Video.objects.get(pk=video.pk)


@pytest.fixture
def make_caption(video, generator):
    def make(**values) -> Caption:
        defaults = {
            "video": video,
            "coarse_label": "B",
            "fine_label": "B1",
            "dominant_part": "head",
            "trend": "repetitive",
            "phase_early": "head dips",
            "phase_middle": "head rises",
            "phase_late": "head dips again",
            "description": "The person nods twice.",
            "generated_by": generator.source,
        }
        return create_audited(model=Caption, actor=generator, values=defaults | values)

    return make


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, media_root, tmp_path_factory):
    """A real Celery worker process on the test database and the run's own queues (the default and each kind's)."""
    if settings.CELERY_TASK_ALWAYS_EAGER or connection.vendor != "postgresql":
        pytest.fail("the worker tests need CELERY_BROKER_URL and a PostgreSQL DATABASE_URL (run them with `make test`)")
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {**os.environ, "DATABASE_URL": _database_url(), "MEDIA_ROOT": str(media_root), "CONN_MAX_AGE": "0"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "mabench_site",
                "worker",
                "--pool=prefork",
                "--concurrency=1",
                "-Q",
                ",".join([settings.CELERY_TASK_DEFAULT_QUEUE, *settings.CELERY_QUEUES_BY_KIND.values()]),
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
        _wait_for(lambda: "ready." in log_path.read_text() or process.poll() is not None, seconds=60)
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited at start:\n{log_path.read_text()}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for(condition, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {seconds} s")
        time.sleep(0.1)


@pytest.fixture
def wait_for():
    return _wait_for


@pytest.fixture
def tasks_in_process(django_capture_on_commit_callbacks):
    """``with tasks_in_process(): ...`` runs the Celery tasks enqueued on commit in this
    process when the block ends (the embedded default's mode). Celery reads the setting from
    Django's (``config_from_object``), so both say the same inside and after the block."""

    @contextmanager
    def in_process():
        with override_settings(CELERY_TASK_ALWAYS_EAGER=True), django_capture_on_commit_callbacks(execute=True):
            yield

    return in_process


def _at_once(calls) -> tuple[list, list[str]]:
    """Run every callable in a thread of its own, all released together; (results, failures). Each thread
    closes its database connection, as a request's worker would."""
    calls = list(calls)
    barrier, results, failures = threading.Barrier(len(calls)), [], []

    def run(call):
        try:
            barrier.wait()
            results.append(call())
        except Exception as error:  # noqa: BLE001 - every failure is reported to the test
            failures.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, failures


@pytest.fixture
def at_once():
    """``results, failures = at_once(callables)``: simultaneous requests on real connections."""
    return _at_once


@pytest.fixture
def held_blind(benchmark, make_item, generator, admin_user, reviewer) -> QAItem:
    """SAD_0101 (no key: an open lint flag) on clip_hidden, which ``reviewer`` holds in a blind queue with no
    blind answer given yet: the clip is withheld from them."""
    from annotation.services.flags import lint_run
    from review.services.claims import claim_next
    from review.services.queues import queue_create

    clip = video_register(benchmark=benchmark, clip_name="clip_hidden", actor=generator)
    item = make_item("SAD_0101", video=clip, answer="")
    lint_run(benchmark=benchmark)
    queue = queue_create(
        benchmark=benchmark,
        name="blind",
        created_by=admin_user,
        annotators=[reviewer],
        filters={"clips": ["clip_hidden"]},
    )
    claim_next(queue=queue, user=reviewer)
    assert reviewer.clips_withheld() == [clip.pk]
    return item
