"""Judge-human agreement on hand-scored open answers, and hand scores kept out of the model's scores."""

import pytest

from annotation.models import BaselineRun, JudgeScore, Prediction
from annotation.selectors.judge_agreement import judge_human_agreement, quadratic_weighted_kappa
from annotation.selectors.scores import run_scores


def test_quadratic_weighted_kappa_on_a_case_worked_by_hand():
    assert quadratic_weighted_kappa([(1, 1), (2, 2), (3, 3), (1, 2)]) == pytest.approx(0.8)
    assert quadratic_weighted_kappa([(0, 0), (5, 5)]) == pytest.approx(1.0)
    assert quadratic_weighted_kappa([(0, 5), (5, 0)]) == pytest.approx(-1.0)
    assert quadratic_weighted_kappa([(3, 3), (3, 3)]) is None  # no variation: undefined
    assert quadratic_weighted_kappa([]) is None


def test_agreement_pairs_the_judge_with_each_reviewer_per_dimension(benchmark, make_item):
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm", predictor="external", settings_hash="a")
    scored = []
    for n, (judge, human) in enumerate([((4, 2, 5), (4, 3, 5)), ((1, 2, 0), (3, 2, 0))]):
        item = make_item(f"MADU_{n:04d}", task="MADU", answer="reference")
        prediction = Prediction.objects.create(run=run, item=item, item_version=1, outcome="parsed", parsed_answer="x")
        JudgeScore.objects.create(prediction=prediction, judge="judge-model", l1=judge[0], l2=judge[1], l3=judge[2])
        JudgeScore.objects.create(prediction=prediction, judge="human:ann", l1=human[0], l2=human[1], l3=human[2])
        scored.append(prediction)
    rows = {(r.task, r.dimension): r for r in judge_human_agreement(benchmark=benchmark)}
    assert set(rows) == {("MADU", "l1"), ("MADU", "l2"), ("MADU", "l3")}
    l1, l2 = rows["MADU", "l1"], rows["MADU", "l2"]
    assert (l1.pairs, l1.exact, l1.within_one, l1.mean_abs_diff) == (2, 50.0, 50.0, 1.0)
    assert (l2.exact, l2.within_one, l2.mean_abs_diff) == (50.0, 100.0, 0.5)
    assert rows["MADU", "l3"].weighted_kappa == pytest.approx(1.0)
    # the model's own open scores are the judge's alone
    assert run_scores(run).open_scores["MADU"] == {"l1": 2.5, "l2": 2.0, "l3": 2.5}
