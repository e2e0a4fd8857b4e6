import json

import pytest

from annotation.models import BaselineRun, JudgeScore, Prediction
from annotation.predictors.judge import parse_judgement, rubric
from annotation.selectors.scores import CLOSED_TASKS, run_scores
from annotation.services.judging import run_judge


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ('{"L1": 4, "L2": 3, "L3": 5, "reasoning": "close"}', (4, 3, 5)),
        ('```json\n{"L1": 0, "L2": 0, "L3": 1}\n```', (0, 0, 1)),
        ('{"L1": 6, "L2": 3, "L3": 5}', None),
        ('{"L1": "4", "L2": 3, "L3": 5}', None),
        ("four, three, five", None),
        ('{"L1": true, "L2": 3, "L3": 5}', None),
    ],
)
def test_judgements_are_three_integers_from_0_to_5(reply, expected):
    judgement = parse_judgement(reply)
    assert (None if judgement is None else (judgement.l1, judgement.l2, judgement.l3)) == expected


def test_the_rubric_names_the_tasks_dimensions():
    assert "behavioural-semantic alignment" in rubric("MADU") and "temporal-structural coherence" in rubric("MADU")
    assert "fine-label accuracy" in rubric("MARE") and "causal-reasoning consistency" in rubric("MARE")


def test_a_judge_scores_open_answers_with_retries_on_invalid_replies(benchmark, make_item, chat_endpoint, reply_with):
    madu = make_item("MADU_0001", task="MADU", question="Describe.", answer="The head nods twice.")
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm", predictor="external", settings_hash="h")
    prediction = Prediction.objects.create(
        run=run, item=madu, item_version=1, parsed_answer="The head nods.", outcome="parsed"
    )

    def script(request, call):
        content = "not json" if call == 1 else json.dumps({"L1": 4, "L2": 5, "L3": 2, "reasoning": "one nod, not two"})
        return 200, reply_with(content), 0

    with chat_endpoint(script) as server:
        outcome = run_judge(run=run, base_url=server.base_url, model="judge-1")
        again = run_judge(run=run, base_url=server.base_url, model="judge-1")
    assert outcome == {"judged": 1, "errors": 0, "first_error": ""} and again["judged"] == 0  # resumable
    system, user = server.requests[0]["json"]["messages"]
    assert "behavioural-semantic alignment" in system["content"]
    assert (
        "Reference answer:\nThe head nods twice." in user["content"]
        and "Answer to grade:\nThe head nods." in user["content"]
    )
    score = JudgeScore.objects.get(prediction=prediction)
    assert (score.l1, score.l2, score.l3, score.reasoning, score.judge) == (4, 5, 2, "one nod, not two", "judge-1")


def test_the_mac_final_score_is_the_mean_of_twelve_subscores(benchmark, make_item):
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm", predictor="external", settings_hash="h2")
    coarse = {
        "options": ["Body", "Head", "Upper limb", "Lower limb", "Body-hand", "Head-hand", "Leg-hand"],
        "answer": "B",
    }
    for n, task in enumerate(CLOSED_TASKS):
        for k in range(4):  # n + 1 of 4 correct: CMAR 25%, FMAR 50%, SAD 75%, the rest 100%
            item = make_item(
                f"{task}_{k:04d}", task=task, question=f"{task} question {k}?", **(coarse if task == "CMAR" else {})
            )
            Prediction.objects.create(run=run, item=item, item_version=1, outcome="parsed", correct=k < min(n + 1, 4))
    for task, scores in (("MADU", (5, 4, 3)), ("MARE", (2, 1, 0))):
        item = make_item(f"{task}_0001", task=task, question=f"{task}?", answer="A reference answer text.")
        prediction = Prediction.objects.create(run=run, item=item, item_version=1, outcome="parsed")
        JudgeScore.objects.create(prediction=prediction, judge="j", l1=scores[0], l2=scores[1], l3=scores[2])
    scores = run_scores(run)
    accuracies = [25.0, 50.0, 75.0, 100.0, 100.0, 100.0]
    assert [scores.accuracy[t] for t in CLOSED_TASKS] == accuracies
    assert scores.closed_average == pytest.approx(sum(accuracies) / 6)
    assert scores.open_scores == {"MADU": {"l1": 5.0, "l2": 4.0, "l3": 3.0}, "MARE": {"l1": 2.0, "l2": 1.0, "l3": 0.0}}
    assert scores.open_average == pytest.approx(2.5)
    assert scores.mac_final == pytest.approx((sum(accuracies) + 20 * (5 + 4 + 3 + 2 + 1 + 0)) / 12)
