"""Import predictions made elsewhere, in the MAC 2026 submission format, as a run."""

from __future__ import annotations

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from annotation.domain.taxonomy import TASKS
from annotation.importing.problems import ImportRejected, Problem
from annotation.models import BaselineRun, Benchmark, Prediction, QAItem
from annotation.predictors.base import Reply

from .baselines import prediction_scored
from .bulk_insert import insert_many
from .model_flags import model_flags_sync


def _submission(content: bytes, file: str) -> dict:
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportRejected([Problem(file, f"not a JSON submission: {error}")]) from None
    if not isinstance(data, dict) or not isinstance(data.get("answers"), list):
        raise ImportRejected([Problem(file, "expected an object with 'answers': [{'qid', 'pred_answer'}, ...]")])
    return data


def _answers(data: dict, file: str, items: dict[str, QAItem]) -> list[tuple[QAItem, str]]:
    answers, problems, seen = [], [], set()
    for row_number, row in enumerate(data["answers"], start=1):
        qid = row.get("qid") if isinstance(row, dict) else None
        answer = row.get("pred_answer") if isinstance(row, dict) else None
        if not isinstance(qid, str) or not isinstance(answer, str):
            problems.append(Problem(file, "each answer needs a string 'qid' and 'pred_answer'", row_number))
        elif qid not in items:
            problems.append(Problem(file, "no such qid in the benchmark", row_number, qid, "qid"))
        elif qid in seen:
            problems.append(Problem(file, "a second answer for this qid", row_number, qid, "qid"))
        else:
            seen.add(qid)
            answers.append((items[qid], answer))
    if problems:
        raise ImportRejected(problems)
    return answers


def predictions_import(*, benchmark: Benchmark, name: str, content: bytes, file: str, user=None) -> BaselineRun:
    data = _submission(content, file)
    items = {item.qid: item for item in QAItem.objects.filter(benchmark=benchmark)}
    answers = _answers(data, file, items)
    prompts = {p.get("task"): p.get("system_prompt") for p in data.get("prompts", []) if isinstance(p, dict)}
    with transaction.atomic():
        run = BaselineRun.objects.create(
            benchmark=benchmark,
            name=name,
            predictor=BaselineRun.Predictor.EXTERNAL,
            created_by=user,
            settings={"file": file, "system_prompts": {t: p for t, p in prompts.items() if t in TASKS}},
            settings_hash=hashlib.sha256(content).hexdigest(),
            total=len(answers),
            done=len(answers),
            status=BaselineRun.Status.DONE,
            finished_at=timezone.now(),
        )
        insert_many(
            Prediction,
            [
                prediction_scored(Prediction(run=run, item=item, item_version=item.version), Reply(raw=answer), item)
                for item, answer in answers
            ],
        )
    model_flags_sync(benchmark=benchmark)
    return run
