"""The built-in baselines on the real published sample."""

import io
import statistics

import pytest
from django.core.management import call_command

from annotation.models import Benchmark, QAItem
from annotation.selectors.scores import run_scores
from annotation.services.baselines import run_prepare

PUBLISHED_RANDOM_CLOSED_AVERAGE = 39.05


@pytest.fixture
def sample(db, shared_data):
    call_command(
        "import_benchmark",
        "--in-process",
        str(shared_data / "mabench" / "mabench_data_sample_100.json"),
        "--benchmark",
        "sample",
        stdout=io.StringIO(),
    )
    return Benchmark.objects.get(name="sample")


def test_the_random_baseline_matches_the_published_one_within_noise(sample, tasks_in_process):
    averages = []
    for seed in range(10):
        with tasks_in_process():
            run = run_prepare(
                benchmark=sample, predictor="random", name=f"random {seed}", settings={"seed": seed}, concurrency=1
            )
        scores = run_scores(run)
        assert scores.scored == {"CMAR": 100, "FMAR": 100, "SAD": 200, "MAD": 200, "MAS": 200, "PPR": 200}
        averages.append(scores.closed_average)
    # One run's closed average has a standard deviation of about 1.5 points; ten runs, about 0.5.
    assert abs(statistics.mean(averages) - PUBLISHED_RANDOM_CLOSED_AVERAGE) < 1.5, averages


def test_the_prior_baseline_answers_each_tasks_majority_key(sample, tasks_in_process):
    QAItem.objects.filter(benchmark=sample).update(review_status="accepted")  # the prior learns from accepted keys
    with tasks_in_process():
        run = run_prepare(benchmark=sample, predictor="prior", name="prior", concurrency=1)
    mas = run.predictions.filter(item__task="MAS")
    assert set(mas.values_list("parsed_answer", flat=True)) == {"No"}  # 121 No against 79 Yes
    assert run_scores(run).accuracy["MAS"] == pytest.approx(60.5)
