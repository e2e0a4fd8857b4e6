"""Baseline runs end to end on a real Celery worker; resumable; flags from predictions."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from annotation.models import BaselineRun, Prediction, QAItem, QualityFlag
from annotation.selectors.scores import run_scores
from annotation.services.audited_writes import Actor
from annotation.services.baselines import run_prepare
from annotation.services.content import item_edit
from annotation.services.model_flags import model_flags_sync

pytestmark = pytest.mark.django_db(transaction=True)

FINE = ["Nodding", "Shaking head", "Waving", "Shrugging", "Tiptoe"]


@pytest.fixture
def items(make_item):
    made = [
        make_item(f"SAD_{n:04d}", question=f"Does part {n} move?", answer="Yes" if n % 2 else "No") for n in range(40)
    ]
    made += [
        make_item(
            f"FMAR_{n:04d}",
            task="FMAR",
            question=f"Which label fits clip part {n}?",
            options=FINE,
            answer="ABCDE"[n % 5],
        )
        for n in range(10)
    ]
    made.append(make_item("MADU_0001", task="MADU", question="Describe.", answer="The head nods twice and stops."))
    return made


def wait_until_finished(run, wait_for):
    wait_for(lambda: BaselineRun.objects.get(pk=run.pk).status in ("done", "failed"), seconds=60)
    run.refresh_from_db()
    return run


def test_the_command_runs_the_baseline_and_reports_progress_and_scores(benchmark, items, tasks_in_process):
    out = StringIO()
    with tasks_in_process():
        call_command("run_baseline", "--benchmark", benchmark.name, "--predictor", "random", "--seed", "3", stdout=out)
    run = BaselineRun.objects.get()
    first, *rest = out.getvalue().splitlines()
    assert first == "random: 50/50 predicted, 0 errors (done)"
    assert json.loads("\n".join(rest)) == json.loads(json.dumps(run_scores(run).as_dict()))


def test_a_random_run_fans_out_on_the_worker_and_resumes_after_an_edit(
    celery_worker, benchmark, items, wait_for, annotator
):
    run = wait_until_finished(
        run_prepare(benchmark=benchmark, predictor="random", name="random", settings={"seed": 3}, concurrency=2),
        wait_for,
    )
    assert (run.status, run.total, run.done, run.errors) == ("done", 50, 50, 0)  # open MADU is not for random
    assert run.chunks.filter(status="done").count() == 1
    assert Prediction.objects.filter(run=run).count() == 50
    accuracy = run_scores(run).accuracy
    assert set(accuracy) == {"SAD", "FMAR"} and 0 <= accuracy["FMAR"] <= 100

    again = wait_until_finished(
        run_prepare(benchmark=benchmark, predictor="random", name="random", settings={"seed": 3}, concurrency=2),
        wait_for,
    )
    assert again.pk == run.pk and Prediction.objects.filter(run=run).count() == 50  # nothing predicted twice

    edited = items[0]
    item_edit(item_id=edited.pk, actor=Actor.person(annotator), expected_version=1, changes={"answer": "Yes"})
    wait_until_finished(
        run_prepare(benchmark=benchmark, predictor="random", name="random", settings={"seed": 3}), wait_for
    )
    assert list(
        Prediction.objects.filter(run=run, item=edited).values_list("item_version", flat=True).order_by("item_version")
    ) == [1, 2]


def test_a_chat_run_stores_prompts_replies_and_retries_its_errors_on_resume(
    celery_worker, benchmark, items, wait_for, chat_endpoint, reply_with
):
    failing = {"on": True}

    def script(request, call):
        text = request["messages"][-1]["content"][-1]["text"]
        if failing["on"] and "part 7 " in text:
            return 500, {"error": {"message": "model crashed"}}, 0
        return 200, reply_with("<think>hmm</think> B" if "\nA. " in text else "yes, it does"), 0

    with chat_endpoint(script) as server:
        settings = {"base_url": server.base_url, "model": "local", "max_retries": 0}
        run = wait_until_finished(
            run_prepare(benchmark=benchmark, predictor="blind", name="blind", settings=settings, concurrency=4),
            wait_for,
        )
        assert (run.status, run.total, run.done, run.errors) == ("failed", 51, 50, 1)
        assert "InternalServerError" in run.last_error
        sad = Prediction.objects.get(run=run, item__qid="SAD_0003")
        assert (sad.raw_reply, sad.parsed_answer, sad.correct, sad.outcome) == ("yes, it does", "Yes", True, "parsed")
        assert (
            sad.prompt[1]["content"] == [{"type": "text", "text": "Does part 3 move?"}] and sad.latency_ms is not None
        )
        assert Prediction.objects.get(run=run, item__qid="FMAR_0001").parsed_answer == "B"
        assert Prediction.objects.get(run=run, item__qid="MADU_0001").parsed_answer == "yes, it does"

        failing["on"] = False
        requests_before = len(server.requests)
        run = wait_until_finished(
            run_prepare(benchmark=benchmark, predictor="blind", name="blind", settings=settings), wait_for
        )
        assert (run.status, run.done, run.errors) == ("done", 51, 0)
        assert len(server.requests) == requests_before + 1  # only the failed item was asked again


def test_unparseable_replies_are_kept_and_counted_wrong(
    celery_worker, benchmark, items, wait_for, chat_endpoint, reply_with
):
    with chat_endpoint(lambda request, call: (200, reply_with("I cannot tell."), 0)) as server:
        run = wait_until_finished(
            run_prepare(
                benchmark=benchmark,
                predictor="blind",
                name="x",
                tasks=["FMAR"],
                settings={"base_url": server.base_url, "model": "m"},
            ),
            wait_for,
        )
    predictions = Prediction.objects.filter(run=run)
    assert predictions.count() == 10 and set(predictions.values_list("outcome", "correct", "raw_reply")) == {
        ("unparseable", False, "I cannot tell.")
    }
    assert run_scores(run).accuracy == {"FMAR": 0.0}


def fake_run(benchmark, predictor, name, answers):
    """A finished run whose predictions are given, as an imported run would be."""
    run = BaselineRun.objects.create(
        benchmark=benchmark, name=name, predictor=predictor, settings_hash=name, status="done"
    )
    for item, answer in answers.items():
        Prediction.objects.create(
            run=run,
            item=item,
            item_version=item.version,
            parsed_answer=answer,
            outcome="parsed",
            correct=answer == item.answer,
        )
    return run


def test_predictions_raise_blind_solvable_all_wrong_and_key_disputed_flags(benchmark, make_item):
    leaky = make_item("FMAR_0001", task="FMAR", question="Which label? (it nods)", options=FINE, answer="A")
    wrong_key = make_item("FMAR_0002", task="FMAR", question="Which label is it?", options=FINE, answer="C")
    fake_run(benchmark, "blind", "blind", {leaky: "A", wrong_key: "B"})
    fake_run(benchmark, "openai-compatible", "vlm-1", {leaky: "A", wrong_key: "B"})
    fake_run(benchmark, "openai-compatible", "vlm-2", {leaky: "D", wrong_key: "B"})
    model_flags_sync(benchmark=benchmark)
    flags = set(QualityFlag.objects.filter(status="open", source="baseline models").values_list("item__qid", "kind"))
    assert flags == {("FMAR_0001", "blind_solvable"), ("FMAR_0002", "all_models_wrong"), ("FMAR_0002", "key_disputed")}
    disputed = QualityFlag.objects.get(kind="key_disputed")
    assert disputed.message == "3 of 3 runs answer 'B', not the key 'C'." and disputed.details == {"answer": "B"}
    QAItem.objects.filter(pk=wrong_key.pk).update(answer="B")  # as if a reviewer fixed the key
    model_flags_sync(benchmark=benchmark)
    open_kinds = set(QualityFlag.objects.filter(item=wrong_key, status="open").values_list("kind", flat=True))
    assert open_kinds == {"blind_solvable"}  # disputes resolved; now the blind run is right about it
    assert set(QualityFlag.objects.filter(item=wrong_key, status="resolved").values_list("kind", flat=True)) == {
        "all_models_wrong",
        "key_disputed",
    }
