"""Baseline runs: prepare (resumable), fan out as Celery tasks chunk by chunk with
bounded concurrency against the endpoint, store every prediction, finish with flags."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from annotation.dispatch import PREDICT_CHUNK, enqueue_on_commit, settings_hash, tasks_run_in_process
from annotation.domain.answer_parsing import parse_answer
from annotation.domain.taxonomy import TASKS, AnswerFormat
from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput
from annotation.models import BaselineRun, Benchmark, Prediction, QAItem, RunChunk
from annotation.predictors.base import ItemPrompt, Predictor, PredictorError, Reply
from annotation.predictors.builtin import PriorPredictor, RandomPredictor
from annotation.predictors.chat import ChatPredictor

from .bulk_insert import insert_many

P = BaselineRun.Predictor
CHAT_PREDICTORS = (P.OPENAI_COMPATIBLE, P.BLIND)
OUT_OF_BENCHMARK = (ReviewStatus.EXCLUDED, ReviewStatus.REJECTED)
CHUNK_MIN = 64


def run_prepare(
    *,
    benchmark: Benchmark,
    predictor: str,
    name: str,
    settings: dict | None = None,
    tasks: list[str] | None = None,
    concurrency: int = 4,
    user=None,
) -> BaselineRun:
    """The run for these settings (an earlier one is resumed), with chunks for what is left to predict."""
    settings, tasks = settings or {}, sorted(tasks or [])
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise InvalidInput(f"unknown task(s) {', '.join(unknown)}; expected {', '.join(TASKS)}", field="tasks")
    with transaction.atomic():
        run, _ = BaselineRun.objects.select_for_update(no_key=True).get_or_create(
            benchmark=benchmark,
            settings_hash=settings_hash(predictor=predictor, settings=settings, tasks=tasks),
            defaults={"name": name, "predictor": predictor, "settings": settings, "tasks": tasks, "created_by": user},
        )
        items = _target_items(run)
        done = set(run.predictions.exclude(outcome=Prediction.Outcome.ERROR).values_list("item_id", "item_version"))
        todo = [pk for pk, version in items.values_list("id", "version") if (pk, version) not in done]
        run.predictions.filter(outcome=Prediction.Outcome.ERROR, item_id__in=todo).delete()  # retried now
        run.chunks.exclude(status=RunChunk.Status.DONE).delete()
        size = max(CHUNK_MIN, concurrency * 24)  # big enough that per-chunk costs vanish, small enough to show progress
        RunChunk.objects.bulk_create(RunChunk(run=run, item_ids=todo[i : i + size]) for i in range(0, len(todo), size))
        run.total, run.done, run.errors = items.count(), items.count() - len(todo), 0
        run.concurrency, run.status, run.finished_at = concurrency, BaselineRun.Status.RUNNING, None
        run.save()
        transaction.on_commit(lambda: dispatch_chunks(run.pk))
    return run


def _target_items(run: BaselineRun):
    items = QAItem.objects.filter(benchmark=run.benchmark).exclude(review_status__in=OUT_OF_BENCHMARK)
    if run.predictor in (P.RANDOM, P.PRIOR):
        items = items.exclude(task__in=[c for c, t in TASKS.items() if t.answer_format == AnswerFormat.OPEN])
    return items.filter(task__in=run.tasks) if run.tasks else items


def dispatch_chunks(run_id: int) -> None:
    """Start the run: ``BASELINE_PARALLEL_CHUNKS`` chains of chunks, one per worker process."""
    for _ in range(1 if tasks_run_in_process() else django_settings.BASELINE_PARALLEL_CHUNKS):
        dispatch_next_chunk(run_id)


def dispatch_next_chunk(run_id: int) -> None:
    """Enqueue the run's next pending chunk, or finish the run when none is left.

    Each chain has one chunk in flight, predicted with ``concurrency / chains`` threads,
    so the endpoint sees at most ``run.concurrency`` requests at once. In-process (the
    embedded default) the chunks run in a loop: a chain of eager tasks would nest calls."""
    chunks = RunChunk.objects.filter(run_id=run_id)
    while chunk := chunks.filter(status=RunChunk.Status.PENDING).order_by("id").first():
        if tasks_run_in_process():
            chunk_predict(chunk.pk)
            continue
        if chunks.filter(pk=chunk.pk, status=RunChunk.Status.PENDING).update(status=RunChunk.Status.QUEUED):
            enqueue_on_commit(PREDICT_CHUNK, chunk.pk)  # that task dispatches the next one when it is done
            return
    if not chunks.exclude(status=RunChunk.Status.DONE).exists():
        run_finish(run_id)


def chunk_predict(chunk_id: int) -> int | None:
    """Predict one chunk's items; returns its run's id, or None if another worker had it."""
    if not RunChunk.claim(chunk_id, claimable=Q(status__in=[RunChunk.Status.PENDING, RunChunk.Status.QUEUED])):
        return None  # a duplicate delivery
    chunk = RunChunk.objects.select_related("run").get(pk=chunk_id)
    run = chunk.run
    items = list(QAItem.objects.filter(pk__in=chunk.item_ids).select_related("video"))
    # Built here, so the threads below touch no database: they only call the predictor.
    predictor = predictor_for(run, videos={item.video_id: item.video for item in items})
    chains = 1 if tasks_run_in_process() else django_settings.BASELINE_PARALLEL_CHUNKS
    with ThreadPoolExecutor(max_workers=max(1, run.concurrency // chains)) as pool:
        predictions = list(pool.map(lambda item: _prediction(run, predictor, item), items))
    with transaction.atomic():
        insert_many(Prediction, predictions)
        errors = [p for p in predictions if p.outcome == Prediction.Outcome.ERROR]
        BaselineRun.objects.filter(pk=run.pk).update(
            done=F("done") + len(predictions) - len(errors),
            errors=F("errors") + len(errors),
            last_error=errors[-1].error if errors else F("last_error"),
        )
        RunChunk.objects.filter(pk=chunk_id).update(status=RunChunk.Status.DONE)
    return run.pk


def _prediction(run: BaselineRun, predictor: Predictor, item: QAItem) -> Prediction:
    prompt = ItemPrompt(
        item_id=item.pk,
        qid=item.qid,
        task=item.task,
        question=item.question,
        options=item.options,
        video_id=item.video_id,
    )
    prediction = Prediction(run=run, item=item, item_version=item.version)
    try:
        reply = predictor.predict(prompt)
    except PredictorError as error:
        prediction.outcome, prediction.error = Prediction.Outcome.ERROR, str(error)[:2000]
        return prediction
    return prediction_scored(prediction, reply, item)


def prediction_scored(prediction: Prediction, reply: Reply, item: QAItem) -> Prediction:
    """Fill ``prediction`` from ``reply``: parsed answer, outcome, and whether it matches the key."""
    prediction.prompt, prediction.raw_reply = reply.prompt, reply.raw
    prediction.latency_ms, prediction.prompt_tokens = reply.latency_ms, reply.prompt_tokens
    prediction.completion_tokens = reply.completion_tokens
    parsed = parse_answer(reply.raw, task=item.task, options=item.options)
    prediction.parsed_answer = parsed or ""
    prediction.outcome = Prediction.Outcome.PARSED if parsed else Prediction.Outcome.UNPARSEABLE
    if TASKS[item.task].answer_format != AnswerFormat.OPEN and item.answer:
        prediction.correct = parsed == item.answer
    return prediction


def predictor_for(run: BaselineRun, *, videos: dict) -> Predictor:
    settings = run.settings
    if run.predictor == P.RANDOM:
        return RandomPredictor(seed=int(settings.get("seed", 0)))
    if run.predictor == P.PRIOR:
        return PriorPredictor(keys_by_task=_accepted_keys(run.benchmark))
    if run.predictor in CHAT_PREDICTORS:
        from annotation.predictors.model_view import stored_model_view_frames

        strategy = settings.get("sampling", "mac2026")
        frames = (
            None
            if run.predictor == P.BLIND
            else (lambda video_id: stored_model_view_frames(videos[video_id], strategy))
        )
        return ChatPredictor.from_settings(settings, frames=frames)  # one client per chunk
    raise InvalidInput(
        f"predictor {run.predictor!r} does not predict (its predictions are imported)", field="predictor"
    )


def _accepted_keys(benchmark: Benchmark) -> dict[str, list[tuple[int, str]]]:
    keys: dict[str, list[tuple[int, str]]] = {}
    accepted = QAItem.objects.filter(benchmark=benchmark, review_status=ReviewStatus.ACCEPTED).exclude(answer="")
    for pk, task, answer in accepted.values_list("id", "task", "answer"):
        keys.setdefault(task, []).append((pk, answer))
    return keys


def run_finish(run_id: int) -> None:
    from .model_flags import model_flags_sync

    run = BaselineRun.objects.get(pk=run_id)
    status = BaselineRun.Status.DONE if run.errors == 0 else BaselineRun.Status.FAILED
    finished = BaselineRun.objects.filter(pk=run_id, status=BaselineRun.Status.RUNNING).update(
        status=status, finished_at=timezone.now()
    )
    if finished:  # two chains ending together both get here; one finishes the run
        model_flags_sync(benchmark=run.benchmark)
