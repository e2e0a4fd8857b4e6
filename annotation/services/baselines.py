"""Baseline runs: prepare (resumable), fan out as Celery tasks chunk by chunk with
bounded concurrency against the endpoint, store every prediction, finish with flags.

A run's settings may ask for a probe: ``sampling`` names the frames (annotation/frames/sampling.py:
``single-frame``, ``shuffled-K``, ``reversed-K`` beside ``mac2026`` and ``uniform-K``), and
``circular: true`` asks each choice item once per rotation of its options (annotation/domain/circular.py).
Both are part of the settings, so of the settings hash: a probe is a run of its own."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from annotation.dispatch import PREDICT_CHUNK, enqueue_on_commit, settings_hash, tasks_run_in_process
from annotation.domain.answer_parsing import parse_answer
from annotation.domain.circular import letter_in_item_order, rotated, rotation_count
from annotation.domain.plurals import for_count
from annotation.domain.taxonomy import TASKS, AnswerFormat, tasks_of
from annotation.domain.transitions import ReviewStatus
from annotation.errors import InvalidInput
from annotation.frames.sampling import MAC2026, run_sampling
from annotation.models import BaselineRun, Benchmark, Prediction, QAItem, RunChunk
from annotation.predictors.base import ItemPrompt, Predictor, PredictorError, Reply
from annotation.predictors.builtin import PriorPredictor, RandomPredictor
from annotation.predictors.chat import ChatPredictor

from .bulk_insert import insert_many

P = BaselineRun.Predictor
CHAT_PREDICTORS = (P.OPENAI_COMPATIBLE, P.BLIND, P.CHOICES_ONLY)
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
    settings, tasks = _checked_settings(predictor, settings or {}), sorted(tasks or [])
    unknown = [t for t in tasks if t not in TASKS]
    if unknown:
        raise InvalidInput(
            f"unknown {for_count(len(unknown), 'task', 'tasks')} {', '.join(unknown)}; expected {', '.join(TASKS)}",
            field="tasks",
        )
    with transaction.atomic():
        run, _ = BaselineRun.objects.select_for_update(no_key=True).get_or_create(
            benchmark=benchmark,
            settings_hash=settings_hash(predictor=predictor, settings=settings, tasks=tasks),
            defaults={"name": name, "predictor": predictor, "settings": settings, "tasks": tasks, "created_by": user},
        )
        needed = _needed_predictions(run)
        done = set(
            run.predictions.exclude(outcome=Prediction.Outcome.ERROR).values_list("item_id", "item_version", "rotation")
        )
        left = [key for key in needed if key not in done]
        asks = Counter(pk for pk, _, _ in left)  # item -> predictions left (rotations of a circular run), in order
        run.predictions.filter(outcome=Prediction.Outcome.ERROR, item_id__in=list(asks)).delete()  # retried now
        run.chunks.exclude(status=RunChunk.Status.DONE).delete()
        size = max(CHUNK_MIN, concurrency * 24)  # big enough that per-chunk costs vanish, small enough to show progress
        RunChunk.objects.bulk_create(RunChunk(run=run, item_ids=ids) for ids in _chunked(asks, size))
        run.total, run.done, run.errors = len(needed), len(needed) - len(left), 0
        run.concurrency, run.status, run.finished_at = concurrency, BaselineRun.Status.RUNNING, None
        run.save()
        transaction.on_commit(lambda: dispatch_chunks(run.pk))
    return run


def _chunked(asks: Counter, size: int) -> list[list[int]]:
    """Item ids in chunks of about ``size`` predictions each (a plain run: ``size`` items)."""
    chunks, current, count = [], [], 0
    for pk, predictions in asks.items():
        current.append(pk)
        count += predictions
        if count >= size:
            chunks.append(current)
            current, count = [], 0
    return chunks + ([current] if current else [])


def _checked_settings(predictor: str, settings: dict) -> dict:
    """The settings a run is named by; a probe setting that names nothing is refused, naming it."""
    settings = dict(settings)
    if not settings.get("circular"):
        settings.pop("circular", None)  # a plain run: its settings (and hash) as before circular runs existed
    elif settings["circular"] is not True:
        raise InvalidInput(f"circular is true or absent, not {settings['circular']!r}", field="circular")
    if predictor == P.OPENAI_COMPATIBLE:
        try:
            run_sampling(settings.get("sampling", MAC2026))
        except ValueError as error:
            raise InvalidInput(str(error), field="sampling") from None
    return settings


def _target_items(run: BaselineRun):
    items = QAItem.objects.filter(benchmark=run.benchmark).exclude(review_status__in=OUT_OF_BENCHMARK)
    if run.predictor in (P.RANDOM, P.PRIOR):
        items = items.exclude(task__in=[c for c, t in TASKS.items() if t.answer_format == AnswerFormat.OPEN])
    if run.predictor == P.CHOICES_ONLY:  # without the question, only options can be asked
        items = items.filter(task__in=tasks_of(AnswerFormat.CHOICE))
    return items.filter(task__in=run.tasks) if run.tasks else items


def _needed_predictions(run: BaselineRun) -> list[tuple[int, int, int]]:
    """(item, version, rotation) of every prediction the run makes of its items as they are now."""
    circular = bool(run.settings.get("circular"))
    rows = _target_items(run).values_list("id", "version", "task", "options")
    return [
        (pk, version, rotation)
        for pk, version, task, options in rows
        for rotation in range(rotation_count(task, options, circular=circular))
    ]


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
        queued = chunks.filter(pk=chunk.pk, status=RunChunk.Status.PENDING)
        if queued.update(status=RunChunk.Status.QUEUED, queued_at=timezone.now()):
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
    asks = _asks(run, items)
    chains = 1 if tasks_run_in_process() else django_settings.BASELINE_PARALLEL_CHUNKS
    with ThreadPoolExecutor(max_workers=max(1, run.concurrency // chains)) as pool:
        predictions = list(pool.map(lambda ask: _prediction(run, predictor, *ask), asks))
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


def _asks(run: BaselineRun, items: list[QAItem]) -> list[tuple[QAItem, int]]:
    """(item, rotation) still to ask: every rotation of a circular run that has no prediction yet."""
    circular = bool(run.settings.get("circular"))
    if not circular:
        return [(item, 0) for item in items]  # run_prepare chunked only items without one
    done = set(
        run.predictions.filter(item_id__in=[item.pk for item in items])
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item_id", "item_version", "rotation")
    )
    return [
        (item, rotation)
        for item in items
        for rotation in range(rotation_count(item.task, item.options, circular=True))
        if (item.pk, item.version, rotation) not in done
    ]


def _prediction(run: BaselineRun, predictor: Predictor, item: QAItem, rotation: int = 0) -> Prediction:
    prompt = ItemPrompt(
        item_id=item.pk,
        qid=item.qid,
        task=item.task,
        question=item.question,
        options=rotated(item.options, rotation),
        video_id=item.video_id,
        rotation=rotation,
    )
    prediction = Prediction(run=run, item=item, item_version=item.version, rotation=rotation)
    try:
        reply = predictor.predict(prompt)
    except PredictorError as error:
        prediction.outcome, prediction.error = Prediction.Outcome.ERROR, str(error)[:2000]
        return prediction
    return prediction_scored(prediction, reply, item)


def prediction_scored(prediction: Prediction, reply: Reply, item: QAItem) -> Prediction:
    """Fill ``prediction`` from ``reply``: parsed answer (in the item's own letters, whatever the rotation
    the model saw), outcome, and whether it matches the key."""
    prediction.prompt, prediction.raw_reply = reply.prompt, reply.raw
    prediction.latency_ms, prediction.prompt_tokens = reply.latency_ms, reply.prompt_tokens
    prediction.completion_tokens = reply.completion_tokens
    rotation = prediction.rotation
    parsed = parse_answer(reply.raw, task=item.task, options=rotated(item.options, rotation))
    if parsed and rotation:
        parsed = letter_in_item_order(parsed, rotation=rotation, option_count=len(item.options))
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
        frames = _frame_source(settings, videos) if run.predictor == P.OPENAI_COMPATIBLE else None
        # one client per chunk
        return ChatPredictor.from_settings(settings, frames=frames, choices_only=run.predictor == P.CHOICES_ONLY)
    raise InvalidInput(
        f"predictor {run.predictor!r} does not predict (its predictions are imported)", field="predictor"
    )


def _frame_source(settings: dict, videos: dict):
    from annotation.predictors.model_view import stored_model_view_frames

    sampling, seed = run_sampling(settings.get("sampling", MAC2026)), settings.get("seed", 0)
    # a shuffled order is drawn per clip: every question (and rotation) of a clip sees the same order
    return lambda video_id: stored_model_view_frames(
        videos[video_id], sampling, seed=f"{seed}:{videos[video_id].clip_name}"
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
