"""Judge a run's open answers (MADU, MARE) with an OpenAI-compatible judge model."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from django.db import transaction

from annotation.domain.taxonomy import TASKS
from annotation.errors import InvalidInput
from annotation.models import AuditEvent, BaselineRun, JudgeScore, Prediction
from annotation.predictors.base import PredictorError
from annotation.predictors.chat import ChatPredictor
from annotation.predictors.judge import Judge
from annotation.selectors.scores import OPEN_TASKS

from .audited_writes import Actor, record_action

DIMENSIONS = ("l1", "l2", "l3")


def run_judge(
    *, run: BaselineRun, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4
) -> dict[str, int | str]:
    """Score every parsed open answer of ``run`` not yet judged by ``model``; resumable."""
    chat = ChatPredictor(
        base_url=base_url, model=model, api_key=os.environ.get(api_key_env, ""), frames=None, max_tokens=400
    )
    judge = Judge(chat)
    todo = list(
        Prediction.objects.filter(run=run, item__task__in=OPEN_TASKS, outcome=Prediction.Outcome.PARSED)
        .exclude(judge_scores__judge=model)
        .select_related("item")
    )

    def score(prediction: Prediction) -> JudgeScore | str:
        item = prediction.item
        try:
            j = judge.judge(
                task=item.task, question=item.question, reference=item.answer, answer=prediction.parsed_answer
            )
        except PredictorError as error:
            return f"{item.qid}: {error}"
        return JudgeScore(prediction=prediction, judge=model, l1=j.l1, l2=j.l2, l3=j.l3, reasoning=j.reasoning)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        results = list(pool.map(score, todo))
    JudgeScore.objects.bulk_create([r for r in results if isinstance(r, JudgeScore)])
    errors = [r for r in results if isinstance(r, str)]
    return {"judged": len(results) - len(errors), "errors": len(errors), "first_error": errors[0] if errors else ""}


def human_score_record(*, prediction: Prediction, user, scores: dict[str, int], reasoning: str = "") -> JudgeScore:
    """A reviewer's own 0-5 scores of a model's open answer, on the judge's dimensions; scoring again replaces them.

    One ``scored`` event (target: the prediction) with the person's previous scores (None the first
    time) and the new ones; giving the same scores again changes and records nothing."""
    if not TASKS[prediction.item.task].is_open:
        raise InvalidInput(f"{prediction.item.qid}: only open answers are scored by hand")
    values = {}
    for dimension in DIMENSIONS:
        raw = scores.get(dimension)
        if raw is None or not str(raw).isdigit() or not 0 <= int(raw) <= 5:
            raise InvalidInput(f"{dimension}: give an integer from 0 to 5 (got {raw!r})", field=dimension)
        values[dimension] = int(raw)
    judge = f"human:{user.username}"
    with transaction.atomic():
        score = JudgeScore.objects.select_for_update(no_key=True).filter(prediction=prediction, judge=judge).first()
        before = None if score is None else _score_state(score)
        score = score or JudgeScore(prediction=prediction, judge=judge)
        for name, value in (values | {"reasoning": reasoning}).items():
            setattr(score, name, value)
        if _score_state(score) == before:
            return score
        score.save()
        record_action(
            actor=Actor.person(user),
            event_type=AuditEvent.EventType.SCORED,
            target_kind=Prediction.audit_kind,
            target_id=prediction.pk,
            before=before,
            after=_score_state(score),
        )
    return score


def _score_state(score: JudgeScore) -> dict:
    return {"judge": score.judge, **{name: getattr(score, name) for name in DIMENSIONS}, "reasoning": score.reasoning}
