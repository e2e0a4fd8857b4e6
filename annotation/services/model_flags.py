"""Flags from baseline predictions: what models reveal about items.

- blind_solvable: every blind (question-only) run answers right: the question leaks its
  answer. Raised for choice tasks from one blind run; for yes/no (50% by chance) only
  when at least two blind runs agree.
- all_models_wrong: at least two vision runs, all wrong: the key may be wrong.
- key_disputed: at least three runs, and more than half of them give the same other answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from types import SimpleNamespace

from django.db import transaction

from annotation.domain.lint import Finding
from annotation.domain.taxonomy import CLOSED_TASKS, TASKS, AnswerFormat
from annotation.models import BaselineRun, Benchmark, Prediction, QAItem, QualityFlag

from .flags import sync_flags

MODEL_SOURCE = "baseline models"
P = BaselineRun.Predictor
VISION = (P.OPENAI_COMPATIBLE, P.EXTERNAL)


def model_flags_sync(*, benchmark: Benchmark) -> Counter:
    closed = CLOSED_TASKS
    items = {
        pk: SimpleNamespace(id=pk, qid=qid, task=task, answer=answer, version=version)
        for pk, qid, task, answer, version in QAItem.objects.filter(benchmark=benchmark, task__in=closed)
        .exclude(answer="")
        .values_list("id", "qid", "task", "answer", "version")
    }
    answers: defaultdict[int, dict[str, list[str]]] = defaultdict(lambda: {"blind": [], "vision": []})
    predictions = (
        Prediction.objects.filter(run__benchmark=benchmark, item_id__in=items)
        .exclude(outcome=Prediction.Outcome.ERROR)
        .values_list("item_id", "item_version", "run__predictor", "parsed_answer")
    )
    for item_id, version, predictor, answer in predictions:
        if version == items[item_id].version and predictor in (P.BLIND, *VISION):
            answers[item_id]["blind" if predictor == P.BLIND else "vision"].append(answer)
    findings = [f for item_id, seen in answers.items() for f in _item_findings(items[item_id], seen)]
    with transaction.atomic():
        scope = QualityFlag.objects.filter(benchmark=benchmark, source=MODEL_SOURCE)
        return sync_flags(benchmark, findings, scope, MODEL_SOURCE)


def _item_findings(item, seen: dict[str, list[str]]) -> list[Finding]:
    blind, vision = seen["blind"], seen["vision"]
    findings = []
    is_choice = TASKS[item.task].answer_format == AnswerFormat.CHOICE
    if blind and all(a == item.answer for a in blind) and (is_choice or len(blind) >= 2):
        findings.append(
            Finding(
                "blind_solvable",
                "warning",
                f"All {len(blind)} question-only run(s) answer '{item.answer}' correctly without the video.",
                item=item,
            )
        )
    if len(vision) >= 2 and all(a != item.answer for a in vision):
        findings.append(
            Finding(
                "all_models_wrong",
                "warning",
                f"All {len(vision)} vision runs disagree with the key "
                f"'{item.answer}' ({', '.join(sorted(set(vision)))}).",
                item=item,
            )
        )
    everyone = blind + vision
    if len(everyone) >= 3:
        other, votes = (
            Counter(a for a in everyone if a != item.answer).most_common(1)[0]
            if any(a != item.answer for a in everyone)
            else ("", 0)
        )
        if votes * 2 > len(everyone):
            findings.append(
                Finding(
                    "key_disputed",
                    "warning",
                    f"{votes} of {len(everyone)} runs answer '{other}', not the key '{item.answer}'.",
                    item=item,
                    details={"answer": other},
                )
            )
    return findings
