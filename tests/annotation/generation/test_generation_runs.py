"""Generation runs: written as the generator through the audited path, linted at once,
resumable, whole clips or nothing, balanced yes/no keys, on a real Celery worker too."""

import json
from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from annotation.audit.replay import replay_mismatches
from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput
from annotation.models import AuditEvent, Caption, GeneratedClip, GenerationRun, QAItem, QualityFlag
from annotation.services.audited_writes import Actor
from annotation.services.content import caption_edit, item_edit, review_status_set
from annotation.services.generation import generation_prepare

TEMPLATE = "template-generator 2.0"


@pytest.fixture
def clips(make_captioned_clip):
    return [make_captioned_clip(f"take_{n:03d}", fine) for n, fine in enumerate(["B1", "B4", "C4", "G1", "F9"])]


def model_settings(server, **more):
    return {"base_url": server.base_url, "model": "local-llm", "max_retries": 0, "timeout": 10, **more}


@pytest.mark.django_db
def test_a_template_run_writes_lint_clean_items_as_the_generator(benchmark, clips, tasks_in_process):
    with tasks_in_process():
        run = generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    run.refresh_from_db()
    assert (run.status, run.source, run.total, run.done, run.errors) == ("done", TEMPLATE, 5, 5, 0)
    items = QAItem.objects.filter(benchmark=benchmark)
    assert sorted(items.values_list("qid", flat=True)) == [
        f"{t}_{n:04d}" for t in ("CMAR", "FMAR") for n in range(1, 6)
    ]
    assert set(items.values_list("generated_by", "review_status")) == {(TEMPLATE, "imported")}
    events = AuditEvent.objects.filter(target_kind="qaitem", target_id__in=items.values_list("id"))
    assert set(events.values_list("event_type", "actor_source", "actor_user")) == {("created", TEMPLATE, None)}
    assert not QualityFlag.objects.filter(benchmark=benchmark, status="open").exists()
    assert set(run.clips.values_list("status", "items_created")) == {("done", 2)}


@pytest.mark.django_db
def test_lint_runs_on_what_was_written(benchmark, make_captioned_clip, make_item, tasks_in_process):
    video = make_captioned_clip("take_001", "B1")
    make_item(
        "MARE_0001",
        task="MARE",
        video=video,
        question="Why?",
        answer="It bows. **[Body part (coarse-grained)] Head | [Micro-action (fine-grained)] Bowing head**",
    )
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    # The new FMAR key (Nodding) contradicts the older MARE answer: lint saw both at once.
    flag = QualityFlag.objects.get(benchmark=benchmark, kind="mare_label_mismatch", status="open")
    assert flag.item.qid == "MARE_0001" and "Nodding" in flag.message


@pytest.mark.django_db
def test_clips_without_a_reviewed_caption_are_left_out_or_refused_by_name(
    benchmark, clips, make_captioned_clip, tasks_in_process
):
    make_captioned_clip("draft_001", "A1", reviewed=False)
    with tasks_in_process():
        run = generation_prepare(benchmark=benchmark, generator="template")
    assert run.total == 5 and not QAItem.objects.filter(video__clip_name="draft_001").exists()
    with pytest.raises(InvalidInput, match="clip not with a reviewed caption: draft_001"):
        generation_prepare(benchmark=benchmark, generator="template", clips=["take_000", "draft_001"])
    with pytest.raises(InvalidInput, match="has no clip nope"):
        generation_prepare(benchmark=benchmark, generator="template", clips=["nope"])
    with pytest.raises(InvalidInput, match="does not write SAD"):
        generation_prepare(benchmark=benchmark, generator="template", tasks=["SAD"])
    with pytest.raises(InvalidInput, match="needs a base_url and a model"):
        generation_prepare(benchmark=benchmark, generator="model")


@pytest.mark.django_db
def test_a_rerun_skips_clips_generated_from_their_current_caption(benchmark, clips, tasks_in_process, annotator):
    with tasks_in_process():
        run = generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    events = AuditEvent.objects.count()
    with tasks_in_process():
        again = generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    assert again.pk == run.pk and (again.total, again.done) == (5, 5)
    assert AuditEvent.objects.count() == events  # nothing generated again

    fmar = QAItem.objects.get(video=clips[0], task="FMAR")
    for status in (ReviewStatus.IN_REVIEW, ReviewStatus.ACCEPTED):
        review_status_set(model=QAItem, pk=fmar.pk, status=status, actor=Actor.person(annotator), expected_version=None)
    caption = Caption.objects.get(video=clips[0])
    caption_edit(
        caption_id=caption.pk,
        actor=Actor.person(annotator),
        expected_version=caption.version,
        changes={"fine_label": "B5"},
    )  # the reviewer corrected the caption: bowing, not nodding
    with tasks_in_process():
        resumed = generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    resumed.refresh_from_db()
    assert (resumed.total, resumed.done, resumed.status) == (5, 5, "done")
    assert list(resumed.clips.filter(items_revised__gt=0).values_list("video__clip_name", flat=True)) == ["take_000"]
    fmar.refresh_from_db()
    assert fmar.qid == "FMAR_0001" and "Bowing head" in fmar.options and "Nodding" in fmar.options
    assert fmar.options["ABCDE".index(fmar.answer)] == "Bowing head"
    assert (fmar.review_status, fmar.generated_by, fmar.version) == ("imported", TEMPLATE, 4)  # to be reviewed again
    last = AuditEvent.objects.filter(target_kind="qaitem", target_id=fmar.pk).last()
    assert (last.actor_source, last.reason) == (TEMPLATE, "generated from caption version 4")
    assert QAItem.objects.filter(benchmark=benchmark).count() == 10  # new versions, no new items
    assert replay_mismatches() == []  # every write went through the audited path


@pytest.mark.django_db
def test_an_item_a_person_edited_is_kept_with_a_flag(benchmark, clips, tasks_in_process, annotator):
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})
    cmar = QAItem.objects.get(video=clips[1], task="CMAR")
    item_edit(
        item_id=cmar.pk,
        actor=Actor.person(annotator),
        expected_version=cmar.version,
        changes={"question": "Which body part moves?"},
    )
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 1})  # same output: no flag
    assert not QualityFlag.objects.filter(kind="import_conflict").exists()
    with tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="template", settings={"seed": 2})
    cmar.refresh_from_db()
    assert cmar.question == "Which body part moves?"
    flag = QualityFlag.objects.get(kind="import_conflict", item=cmar)
    assert flag.source == f"generation: {TEMPLATE}" and "options" in flag.details["incoming"]


@pytest.mark.django_db
def test_existing_qids_of_a_clip_get_new_versions_and_new_ones_follow_the_highest(
    benchmark, make_captioned_clip, make_item, tasks_in_process, chat_endpoint, faithful_model
):
    imported = make_captioned_clip("take_imported", "C4")
    fresh = make_captioned_clip("take_fresh", "C4")
    for qid in ("SAD_0316", "SAD_1200"):
        make_item(qid, video=imported, question=f"Imported question {qid}?", answer="Yes")
    with chat_endpoint(faithful_model()) as server, tasks_in_process():
        generation_prepare(benchmark=benchmark, generator="model", settings=model_settings(server), tasks=["SAD"])
    revised = QAItem.objects.filter(video=imported).order_by("qid")
    assert [(i.qid, i.version, i.generated_by) for i in revised] == [
        ("SAD_0316", 2, "model-generator 1.0 (local-llm)"),
        ("SAD_1200", 2, "model-generator 1.0 (local-llm)"),
    ]
    assert sorted(QAItem.objects.filter(video=fresh).values_list("qid", flat=True)) == ["SAD_1201", "SAD_1202"]


@pytest.mark.django_db
def test_a_clip_whose_replies_stay_invalid_writes_nothing_and_is_retried_on_resume(
    benchmark, clips, tasks_in_process, chat_endpoint, faithful_model
):
    broken = {"on": True}

    def spoil(request, call):
        mare_of_take_002 = (
            "Stretching arms" in request["messages"][1]["content"] and "Task: MARE" in request["messages"][0]["content"]
        )
        return '{"answer": "too short"}' if broken["on"] and mare_of_take_002 else None

    with chat_endpoint(faithful_model(spoil)) as server:
        with tasks_in_process():
            run = generation_prepare(
                benchmark=benchmark, generator="model", settings=model_settings(server, attempts=2), concurrency=2
            )
        run.refresh_from_db()
        assert (run.status, run.total, run.done, run.errors) == ("failed", 5, 4, 1)
        assert (
            run.last_error.startswith("take_002: MARE: no valid reply in 2 attempts") and "too short" in run.last_error
        )
        assert not QAItem.objects.filter(
            video=clips[2]
        ).exists()  # SAD..MADU were fine, but the clip is whole or nothing
        assert QAItem.objects.filter(benchmark=benchmark).count() == 4 * 10

        broken["on"] = False
        asked = len(server.requests)
        with tasks_in_process():
            run = generation_prepare(
                benchmark=benchmark, generator="model", settings=model_settings(server, attempts=2)
            )
        run.refresh_from_db()
    assert (run.status, run.done, run.errors) == ("done", 5, 0)
    assert len(server.requests) == asked + 6  # only the failed clip was asked again
    assert QAItem.objects.filter(video=clips[2]).count() == 10


@pytest.mark.django_db
def test_yes_no_keys_are_balanced_per_task_across_the_set(
    benchmark, make_captioned_clip, tasks_in_process, chat_endpoint, faithful_model
):
    for n in range(12):
        make_captioned_clip(f"take_{n:03d}", ["B1", "C4", "D8", "E5"][n % 4])
    with chat_endpoint(faithful_model()) as server, tasks_in_process():
        generation_prepare(
            benchmark=benchmark,
            generator="model",
            settings=model_settings(server, seed=7),
            tasks=["SAD", "MAD", "MAS", "PPR"],
        )
    keys = Counter(QAItem.objects.filter(benchmark=benchmark).values_list("task", "answer"))
    for task in ("SAD", "MAD", "MAS", "PPR"):
        share = keys[(task, "Yes")] / (keys[(task, "Yes")] + keys[(task, "No")])
        assert keys[(task, "Yes")] + keys[(task, "No")] == 24 and 0.45 <= share <= 0.55
    assert not QualityFlag.objects.filter(kind="yes_no_balance", status="open").exists()  # lint agrees (>= 20 keys)
    first_keys = Counter(
        QAItem.objects.filter(benchmark=benchmark, task="SAD").order_by("qid").values_list("answer", flat=True)[::2]
    )
    assert set(first_keys) == {"Yes", "No"}  # the Yes question is not always the first qid of a clip


@pytest.mark.django_db(transaction=True)  # the run is dispatched on commit, before the command follows it
def test_the_command_runs_the_generator_and_reports_progress(benchmark, clips, tasks_in_process):
    out = StringIO()
    with tasks_in_process():
        call_command(
            "generate_questions",
            "--benchmark",
            benchmark.name,
            "--generator",
            "template",
            "--clips",
            "take_000",
            "take_001",
            "--tasks",
            "FMAR",
            "--seed",
            "9",
            stdout=out,
        )
    assert f"{TEMPLATE}: 2/2 clips generated, 0 errors (done)" in out.getvalue()
    assert sorted(QAItem.objects.values_list("qid", flat=True)) == ["FMAR_0001", "FMAR_0002"]
    assert GenerationRun.objects.get().settings == {"seed": 9, "tasks": ["FMAR"]}
    with pytest.raises(CommandError, match="needs --base-url and --model"):
        call_command("generate_questions", "--benchmark", benchmark.name, "--generator", "model")
    with pytest.raises(CommandError, match="no benchmark named 'nope'"):
        call_command("generate_questions", "--benchmark", "nope", "--generator", "template")
    with pytest.raises(CommandError, match="has no clip take_999"):
        call_command(
            "generate_questions", "--benchmark", benchmark.name, "--generator", "template", "--clips", "take_999"
        )


@pytest.mark.django_db(transaction=True)
def test_a_run_fans_out_on_a_real_worker(celery_worker, benchmark, clips, wait_for, chat_endpoint, faithful_model):
    with chat_endpoint(faithful_model()) as server:
        run = generation_prepare(
            benchmark=benchmark,
            generator="model",
            settings=model_settings(server),
            tasks=["PPR", "MADU"],
            concurrency=2,
        )
        wait_for(lambda: GenerationRun.objects.get(pk=run.pk).status != "running", seconds=60)
    run.refresh_from_db()
    assert (run.status, run.done, run.errors) == ("done", 5, 0)
    assert Counter(QAItem.objects.values_list("task", flat=True)) == {"PPR": 10, "MADU": 5}
    assert len(server.requests) == 10
    assert json.loads(json.dumps(run.settings))["tasks"] == ["MADU", "PPR"]
    assert celery_worker.poll() is None


@pytest.mark.django_db
def test_a_killed_workers_clips_are_claimed_again_and_live_claims_are_left_alone(benchmark, clips):
    from annotation.services.generation import clip_batch_generate, generation_finish

    run = generation_prepare(benchmark=benchmark, generator="template")  # not dispatched: the test is the worker
    rows = list(run.clips.order_by("id"))
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 1)
    GeneratedClip.objects.filter(pk=rows[0].pk).update(status="running", claimed_at=timezone.now())  # a live worker's
    GeneratedClip.objects.filter(pk=rows[1].pk).update(status="running", claimed_at=long_ago)  # a killed worker's
    run = generation_prepare(benchmark=benchmark, generator="template")
    assert run.clips.get(pk=rows[0].pk).status == "running"  # left to its worker
    while clip_batch_generate(run.pk):
        pass
    assert not generation_finish(run.pk)  # one clip is still claimed
    run.refresh_from_db()
    assert (run.status, run.done) == ("running", 4) and not QAItem.objects.filter(video=clips[0]).exists()

    GeneratedClip.objects.filter(pk=rows[0].pk).update(claimed_at=long_ago)  # that worker died too
    assert clip_batch_generate(run.pk)
    assert generation_finish(run.pk)
    run.refresh_from_db()
    assert (run.status, run.done, QAItem.objects.count()) == ("done", 5, 10)


@pytest.mark.django_db
def test_generated_text_is_shown_as_text(
    benchmark, clips, tasks_in_process, chat_endpoint, faithful_model, client, reviewer
):
    script = 'the "left" & right (1 < 2) hand'  # plain text a page must still escape; markup is refused (replies.py)

    def spoil(request, call):
        if "Task: SAD" in request["messages"][0]["content"]:
            keys = json.loads(request["messages"][1]["content"].split("in order: ", 1)[1].split("\n", 1)[0])
            return json.dumps(
                {"questions": [{"question": f"Does {script} move {n}?", "answer": key} for n, key in enumerate(keys)]}
            )
        return None

    with chat_endpoint(faithful_model(spoil)) as server, tasks_in_process():
        generation_prepare(
            benchmark=benchmark, generator="model", settings=model_settings(server), clips=["take_000"], tasks=["SAD"]
        )
    assert QAItem.objects.filter(question__contains=script).count() == 2  # stored as written
    client.force_login(reviewer)
    page = client.get(reverse("benchmark-detail", args=[benchmark.pk]), {"task": "SAD"}).content.decode()
    assert script not in page and "the &quot;left&quot; &amp; right (1 &lt; 2) hand" in page
