"""The locking policy (docs/locking.md) holds: every lock is documented, row locks are FOR NO KEY UPDATE,
and a benchmark-wide mutex stops only its own kind, never an insert that references the benchmark.

The concurrency tests run on PostgreSQL on real connections: the lock holder and the probe each have a
connection of their own (a thread each). A probe waits at most ``lock_timeout``, so a regression fails
at once instead of hanging."""

from __future__ import annotations

import ast
import re
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from annotation.benchmark_locks import MutexOutsideTransaction, MutexPurpose, benchmark_mutex
from annotation.errors import DomainError
from annotation.generation.base import GeneratedItem
from annotation.models import AuditEvent, QAItem, QualityFlag, Video
from annotation.services import generation, releases
from annotation.services.audited_writes import Actor, change_audited, create_audited, record_action
from annotation.services.content import benchmark_create, video_register
from annotation.services.importing import ImportFile, benchmark_import
from annotation.services.releases import ReleaseBlocked, release_create
from review.models import Queue, User
from review.services import option_balance
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.users import user_role_set

PROJECT_DIR = Path(__file__).resolve().parent.parent
LOCKING_DOC = PROJECT_DIR / "docs" / "locking.md"
APPS = ("annotation", "review")
LOCKING_CALLS = {"select_for_update", "update_or_create", "benchmark_mutex"}
FOR_UPDATE_ON_PURPOSE: set[tuple[str, str]] = set()  # (file, function) allowed a key lock; none today
MACHINE = Actor.machine("lock probe")
HOLD = 30  # seconds a test waits for a thread at most


# --- every lock is documented ----------------------------------------------------------------


def _locking_calls() -> list[tuple[str, str, ast.Call]]:
    """(file, enclosing function, call) for every call that takes a lock in the apps (migrations aside)."""
    found = []
    for app in APPS:
        for path in sorted((PROJECT_DIR / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for function in ast.walk(tree):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    name = getattr(getattr(node, "func", None), "attr", None) or getattr(
                        getattr(node, "func", None), "id", None
                    )
                    if isinstance(node, ast.Call) and name in LOCKING_CALLS:
                        found.append((path.relative_to(PROJECT_DIR).as_posix(), function.name, node))
    innermost = {id(call): (file, function, call) for file, function, call in found}  # a nested def is walked later
    return sorted(innermost.values(), key=lambda t: (t[0], t[2].lineno))


def _table_rows() -> list[str]:
    return [line for line in LOCKING_DOC.read_text().splitlines() if line.startswith("| `")]


def test_every_lock_in_the_apps_is_listed_in_the_locking_doc():
    calls = _locking_calls()
    assert len({file for file, _, _ in calls}) >= 10, (
        "the scan found too few lock sites: is it looking in the right place?"
    )
    rows = _table_rows()
    missing = sorted(
        {
            f"{file}: {function}"
            for file, function, _ in calls
            if not any(f"`{file}`" in row and re.search(rf"`{re.escape(function)}`", row) for row in rows)
        }
    )
    assert not missing, "lock sites not in docs/locking.md (add a row: file, function, what, how, why):\n" + "\n".join(
        missing
    )


def test_the_locking_doc_lists_no_lock_that_is_gone():
    sites = {(file, function) for file, function, _ in _locking_calls()}
    for row in _table_rows():
        file = row.split("`")[1]
        assert (PROJECT_DIR / file).is_file(), f"docs/locking.md names {file}, which does not exist"
        function = row.split("|")[2].split("`")[1]
        assert (file, function) in sites, f"docs/locking.md lists {file}: {function}, which takes no lock"


def test_every_row_lock_is_for_no_key_update():
    """A row lock guards the row's own columns; FOR UPDATE would also stop inserts of rows that reference it."""
    key_locks = [
        f"{file}:{call.lineno} ({function})"
        for file, function, call in _locking_calls()
        if getattr(call.func, "attr", None) == "select_for_update"
        and (file, function) not in FOR_UPDATE_ON_PURPOSE
        and not any(k.arg == "no_key" and getattr(k.value, "value", None) is True for k in call.keywords)
    ]
    assert not key_locks, "select_for_update without no_key=True:\n" + "\n".join(key_locks)


# --- helpers: a lock holder and a probe on connections of their own ---------------------------


def on_another_connection(call, *, lock_timeout: str = "2s"):
    """``call()`` in a thread of its own (so on a database connection of its own) that waits at most
    ``lock_timeout`` for any lock; returns what it returned, or raises what it raised."""
    outcome = {}

    def run():
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SET lock_timeout = '{lock_timeout}'")
            outcome["result"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(HOLD)
    assert not thread.is_alive(), "the probe hung"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


@contextmanager
def paused_at(monkeypatch, module, name: str, call):
    """Run ``call()`` in a thread that stops when it calls ``module.name`` (its transaction open, its locks
    held) until the block ends; yields the thread's outcome, filled in once it finished."""
    reached, resume, outcome = threading.Event(), threading.Event(), {}
    original = getattr(module, name)

    def pausing(*args, **kwargs):
        reached.set()
        assert resume.wait(HOLD), "the test never let the lock holder go on"
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, pausing)

    def run():
        try:
            outcome["result"] = call()
        except BaseException as error:  # noqa: BLE001 - handed to the test
            outcome["error"] = error
        finally:
            reached.set()
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert reached.wait(HOLD) and "error" not in outcome, f"the lock holder did not get there: {outcome}"
        yield outcome
    finally:
        resume.set()
        thread.join(HOLD)
    assert not thread.is_alive(), "the lock holder hung"


def mutex_free(benchmark_id: int, purpose: MutexPurpose) -> bool:
    """Whether this connection could take the mutex right now (it is released again at once)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [int(purpose), benchmark_id])
        return cursor.fetchone()[0]


def _a_flag(benchmark) -> QualityFlag:
    return QualityFlag.objects.create(
        benchmark=benchmark,
        target_key="benchmark",
        kind=QualityFlag.Kind.YES_NO_BALANCE,
        source="lock probe",
        message="raised while a mutex is held",
    )


def _postgresql() -> None:
    assert connection.vendor == "postgresql", "locks are only taken on PostgreSQL: run this with `make test`"


# --- row locks: NO KEY UPDATE lets rows that reference the locked row be inserted ---------------


@pytest.mark.django_db(transaction=True)
def test_an_edit_holding_its_video_lets_items_of_that_video_be_inserted_and_makes_a_second_edit_wait(benchmark, video):
    _postgresql()
    with transaction.atomic():
        change_audited(
            model=Video, pk=video.pk, actor=MACHINE, changes={"participant_id": "P001"}, expected_version=None
        )
        item = on_another_connection(
            lambda: create_audited(
                model=QAItem,
                actor=MACHINE,
                values={
                    "benchmark": benchmark,
                    "video": video,
                    "qid": "SAD_0001",
                    "task": "SAD",
                    "question": "Does the head move?",
                    "answer": "Yes",
                },
            )
        )
        with pytest.raises(OperationalError, match="lock timeout"):
            on_another_connection(
                lambda: change_audited(
                    model=Video, pk=video.pk, actor=MACHINE, expected_version=None, changes={"participant_id": "P002"}
                ),
                lock_timeout="300ms",
            )
    assert QAItem.objects.get(pk=item.pk).video_id == video.pk
    assert Video.objects.get(pk=video.pk).participant_id == "P001"


@pytest.mark.django_db(transaction=True)
def test_a_role_change_in_progress_does_not_stop_that_persons_audit_events(make_user, admin_user):
    _postgresql()
    person = make_user(User.Role.ANNOTATOR, "busy-annotator")
    with transaction.atomic():
        user_role_set(user=person, role=User.Role.REVIEWER, by=admin_user)
        event = on_another_connection(
            lambda: record_action(
                actor=Actor.person(person), event_type="claimed", target_kind="queueslot", target_id=1
            )
        )
    assert AuditEvent.objects.get(pk=event.pk).actor_user_id == person.pk
    assert User.objects.get(pk=person.pk).role == User.Role.REVIEWER


# --- benchmark mutexes: advisory locks, not the Benchmark row ----------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_release_cut_holds_its_mutexes_while_videos_and_flags_of_the_benchmark_are_inserted(
    benchmark, admin_user, monkeypatch
):
    _postgresql()
    other = benchmark_create(name="Other bench", actor=MACHINE)
    cut = lambda: release_create(benchmark=benchmark, tag="v1", user=admin_user)  # noqa: E731
    with paused_at(monkeypatch, releases, "release_blockers", cut) as outcome:
        video = on_another_connection(lambda: video_register(benchmark=benchmark, clip_name="late_clip", actor=MACHINE))
        flag = on_another_connection(lambda: _a_flag(benchmark))
        assert not on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT))
        assert not on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.CONTENT_WRITES))
        assert on_another_connection(lambda: mutex_free(other.pk, MutexPurpose.RELEASE_CUT))  # per benchmark
        with pytest.raises(OperationalError, match="lock timeout"):  # a second cut waits
            on_another_connection(
                lambda: release_create(benchmark=benchmark, tag="v2", user=admin_user), lock_timeout="300ms"
            )
    assert isinstance(outcome.get("error"), ReleaseBlocked)  # nothing accepted: the cut itself went on to its end
    assert Video.objects.filter(pk=video.pk, benchmark=benchmark).exists()
    assert QualityFlag.objects.filter(pk=flag.pk).exists()
    assert mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT) and mutex_free(benchmark.pk, MutexPurpose.CONTENT_WRITES)


@pytest.mark.django_db(transaction=True)
def test_a_generated_clip_write_holds_the_content_mutex_while_videos_and_flags_are_inserted(
    benchmark, video, monkeypatch
):
    _postgresql()
    generated = [GeneratedItem(task="SAD", question="Does the head move down?", answer="Yes")]
    write = lambda: generation.clip_items_write(
        benchmark=benchmark,
        video=video,
        items=generated,
        actor=MACHINE,  # noqa: E731
        reason="lock probe",
    )
    questions = ImportFile(
        "q.json",
        b'[{"video": "import_clip.mp4", "task": "SAD", "qid": "SAD_0001", '
        b'"question": "Does the head move?", "answer": "Yes"}]',
    )
    with paused_at(monkeypatch, generation, "_next_qids", write) as outcome:
        on_another_connection(lambda: video_register(benchmark=benchmark, clip_name="late_clip", actor=MACHINE))
        on_another_connection(lambda: _a_flag(benchmark))
        assert not on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.CONTENT_WRITES))
        assert on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT))
        with pytest.raises(OperationalError, match="lock timeout"):  # an import waits: it would take SAD_0001 too
            on_another_connection(
                lambda: benchmark_import(benchmark_name=benchmark.name, source="lock probe", questions=questions),
                lock_timeout="300ms",
            )
    assert "error" not in outcome, outcome
    assert list(QAItem.objects.filter(benchmark=benchmark).values_list("qid", "video_id")) == [("SAD_0001", video.pk)]
    assert Video.objects.filter(benchmark=benchmark, clip_name="late_clip").exists()
    assert mutex_free(benchmark.pk, MutexPurpose.CONTENT_WRITES)


@pytest.mark.django_db(transaction=True)
def test_a_mutex_is_released_when_its_transaction_ends(benchmark):
    _postgresql()
    with transaction.atomic():
        benchmark_mutex(benchmark.pk, MutexPurpose.RELEASE_CUT)
        assert not on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT))
    assert on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT))
    with pytest.raises(RuntimeError), transaction.atomic():
        benchmark_mutex(benchmark.pk, MutexPurpose.RELEASE_CUT)
        raise RuntimeError("rolled back")
    assert on_another_connection(lambda: mutex_free(benchmark.pk, MutexPurpose.RELEASE_CUT))


def test_a_mutex_outside_a_transaction_is_refused():
    assert issubclass(MutexOutsideTransaction, DomainError)
    with pytest.raises(MutexOutsideTransaction, match="inside transaction.atomic"):
        benchmark_mutex(1, MutexPurpose.RELEASE_CUT)


@pytest.mark.django_db
def test_a_benchmark_id_that_does_not_fit_the_key_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        benchmark_mutex(2**31, MutexPurpose.CONTENT_WRITES)


@pytest.mark.django_db
def test_on_sqlite_a_mutex_runs_no_statement(benchmark, monkeypatch):
    """The embedded default's IMMEDIATE transactions serialise writers already; there is no advisory lock."""
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with CaptureQueriesContext(connections["default"]) as queries:
        benchmark_mutex(benchmark.pk, MutexPurpose.RELEASE_CUT)
    assert len(queries) == 0


# --- a rebalance of key letters holds only the clips it reorders ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_rebalance_keeps_claimers_off_the_clips_it_reorders_and_only_those(
    benchmark, make_item, admin_user, annotator, monkeypatch
):
    _postgresql()
    clips = [video_register(benchmark=benchmark, clip_name=f"r_{n:02d}", actor=MACHINE) for n in range(25)]
    items = [make_item(f"FMAR_{n:04d}", task="FMAR", video=clip) for n, clip in enumerate(clips, 1)]  # all key A
    queue = queue_create(
        benchmark=benchmark, name="blind", created_by=admin_user, annotators=[annotator], order=Queue.Order.CLIP
    )
    run = lambda: option_balance.options_rebalance(benchmark=benchmark, task="FMAR", user=admin_user)  # noqa: E731
    with paused_at(monkeypatch, option_balance, "_apply", run) as outcome:
        slot = on_another_connection(lambda: claim_next(queue=queue, user=annotator))
    moved = {move.item_id for move in outcome["result"].moves}
    assert len(moved) == 20 and items[20].pk not in moved  # FMAR_0001-0020 move, 0021-0025 keep A
    assert slot.video_id == clips[20].pk  # the first clip in queue order that the rebalance does not hold
    assert QAItem.objects.get(pk=items[20].pk).answer == "A"
