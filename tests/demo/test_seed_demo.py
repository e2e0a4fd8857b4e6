import io

import av
import pytest
from django.core.management import call_command
from django.db import transaction

from annotation.audit.replay import replay_mismatches
from annotation.domain.taxonomy import QUESTIONS_PER_VIDEO, TASKS
from annotation.models import AuditEvent, Benchmark, Caption, QAItem, QualityFlag
from demo.seeding import DEMO_SOURCE
from review.models import User


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker):
    """Seed once for the module (rendering takes seconds), rolled back at its end."""
    output = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=output)
        yield Benchmark.objects.get(name="MA-Bench Demo"), output.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    return seeded_once


def test_seed_demo_writes_twelve_clips_with_captions_and_the_task_mix(seeded):
    benchmark, output = seeded
    videos = list(benchmark.videos.all())
    assert len(videos) == 12 and Caption.objects.filter(video__benchmark=benchmark).count() == 12
    for video in videos:
        tasks = list(video.items.values_list("task", flat=True))
        assert len(tasks) == QUESTIONS_PER_VIDEO
        assert {t: tasks.count(t) for t in TASKS} == {code: task.per_video for code, task in TASKS.items()}
    assert "Seeded 'MA-Bench Demo': 12 clips, 144 questions." in output


def test_demo_clips_are_real_h264_files(seeded):
    benchmark, _ = seeded
    for video in benchmark.videos.all()[:3]:
        with av.open(video.file.path) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert sum(1 for _ in container.decode(stream)) == 60


def test_the_deliberate_faults_are_in_the_data_and_named_in_the_import_event(seeded):
    benchmark, _ = seeded
    items = {item.qid: item for item in QAItem.objects.filter(benchmark=benchmark)}
    duplicated = [i for i in items.values() if len(set(i.options)) < len(i.options)]
    leaked = [i for i in items.values() if any(o.split(" ")[0] in {"B1", "G2", "C5", "F1"} for o in i.options)]
    assert len(duplicated) == 1 and len(leaked) == 1
    imported = AuditEvent.objects.get(event_type="imported", target_kind="benchmark", target_id=benchmark.pk)
    assert imported.actor_source == DEMO_SOURCE
    assert len(imported.after["deliberate_faults"]) == 3
    faulty = {fault.split(":")[0] for fault in imported.after["deliberate_faults"]}
    assert {duplicated[0].qid, leaked[0].qid} < faulty
    # Lint ran after seeding and points a reviewer at each of the three.
    flags = QualityFlag.objects.filter(benchmark=benchmark, status="open")
    assert flags.get(kind="duplicate_options").item == duplicated[0]
    assert flags.get(kind="label_leak").item == leaked[0]
    [wrong_key] = faulty - {duplicated[0].qid, leaked[0].qid}
    wrong_clip = QAItem.objects.get(benchmark=benchmark, qid=wrong_key).video
    assert flags.get(kind="caption_label").caption.video == wrong_clip
    assert flags.get(kind="mare_label_mismatch").item.video == wrong_clip


def test_everything_seeded_is_in_the_trail_and_replays_exactly(seeded):
    created = AuditEvent.objects.filter(event_type="created", actor_source=DEMO_SOURCE)
    assert created.filter(target_kind="qaitem").count() == 144
    assert created.filter(target_kind="caption").count() == 12
    assert replay_mismatches() == []


def test_demo_logins_exist_with_their_roles(seeded):
    _, output = seeded
    roles = dict(User.objects.values_list("username", "role"))
    assert roles == {"admin": "admin", "reviewer": "reviewer", "annotator": "annotator"}
    assert User.objects.get(username="admin").is_staff
    assert User.objects.get(username="reviewer").check_password("demo-reviewer")
    assert "reviewer / demo-reviewer / reviewer" in output


def test_the_demo_logins_and_queue_are_recorded_as_made_by_the_seed(seeded):
    benchmark, _ = seeded
    users = dict(User.objects.values_list("pk", "username"))
    roles = AuditEvent.objects.filter(event_type="role_changed", target_kind="user")
    assert sorted((users[e.target_id], e.actor_source, e.before, e.after["role"]) for e in roles) == [
        ("admin", "seed_demo", None, "admin"),
        ("annotator", "seed_demo", None, "annotator"),
        ("reviewer", "seed_demo", None, "reviewer"),
    ]
    [queue] = AuditEvent.objects.filter(event_type="queue_created")
    assert (queue.actor_user, queue.actor_source, queue.target_id) == (None, "seed_demo", benchmark.queues.get().pk)
    assert queue.after["annotators"] == ["annotator"] and queue.after["slot_count"] == 12
