"""Agreement per task and per queue from overlapping reviews; human accuracy per task; per-person figures."""

import pytest

from review.agreement import fleiss_kappa, krippendorff_alpha
from review.agreement_report import agreement_by_queue, agreement_by_reviewer, agreement_by_task, agreement_of_queue
from review.models import QueueSlot, Review, User
from review.selectors import human_accuracy_by_task
from review.selectors.progress import stats_by_person
from review.services.queues import queue_create


@pytest.fixture
def people(make_user):
    return [make_user(User.Role.ANNOTATOR, name) for name in ("ann", "bob", "cy")]


@pytest.fixture
def sad_items(make_clip):
    """Four clips with one SAD question each (keys Yes, No, Yes, No) and a fifth reviewed once."""
    return [make_clip(f"take_{n}", {f"SAD_{n:04d}": ("SAD", "Yes" if n % 2 == 0 else "No")})[1][0] for n in range(5)]


@pytest.fixture
def pair_queue(benchmark, sad_items, admin_user, people, add_review):
    """Two reviewers on four items: blind answers agree on three (Cohen's kappa 0.5); one item reviewed once."""
    queue = queue_create(benchmark=benchmark, name="pairs", created_by=admin_user, overlap=2, annotators=people[:2])
    ann, bob = people[:2]
    answers = [("Yes", "Yes"), ("No", "No"), ("Yes", "No"), ("No", "No")]
    decisions = [("accept", "fix"), ("accept", "accept"), ("accept", "reject"), ("reject", "reject")]
    for item, (a, b), (da, db) in zip(sad_items, answers, decisions, strict=False):
        add_review(queue=queue, item=item, user=ann, answer=a, decision=da, seconds=10)
        add_review(queue=queue, item=item, user=bob, answer=b, decision=db, seconds=30)
    add_review(queue=queue, item=sad_items[4], user=ann, answer="No", decision="accept", seconds=20)
    return queue


def test_two_reviewers_get_percent_agreement_and_cohens_kappa(pair_queue, benchmark):
    [row] = agreement_by_task(benchmark=benchmark)
    assert row.label == "SAD"
    answers, decisions = row.answers, row.decisions
    assert (answers.units, answers.percent, answers.cohen) == (4, 0.75, 0.5)  # the single review is no unit
    ratings = [["Yes", "Yes"], ["No", "No"], ["Yes", "No"], ["No", "No"]]
    assert answers.fleiss == pytest.approx(fleiss_kappa(ratings))
    assert answers.alpha == pytest.approx(krippendorff_alpha(ratings))
    # keep/reject: accept+fix agree (both keep), accept vs reject do not
    assert (decisions.units, decisions.percent) == (4, 0.75)
    assert decisions.cohen == pytest.approx(0.5)
    [by_queue] = agreement_by_queue(benchmark=benchmark)
    assert by_queue.label == "pairs" and by_queue.answers == answers
    assert agreement_of_queue(queue=pair_queue).decisions == decisions


def test_three_reviewers_get_fleiss_and_krippendorff_but_no_cohen(benchmark, sad_items, admin_user, people, add_review):
    queue = queue_create(benchmark=benchmark, name="triples", created_by=admin_user, overlap=3, annotators=people)
    for item, labels in zip(sad_items, (["Yes"] * 3, ["No", "No", "Yes"], ["No"] * 3), strict=False):
        for user, label in zip(people, labels, strict=True):
            add_review(queue=queue, item=item, user=user, answer=label)
    answers = agreement_of_queue(queue=queue).answers
    ratings = [["Yes"] * 3, ["No", "No", "Yes"], ["No"] * 3]
    assert answers.cohen is None and answers.percent == pytest.approx(2 / 3)
    assert answers.fleiss == pytest.approx(fleiss_kappa(ratings))
    assert answers.alpha == pytest.approx(krippendorff_alpha(ratings))


def test_without_overlap_nothing_is_measured(benchmark, sad_items, admin_user, people, add_review):
    queue = queue_create(benchmark=benchmark, name="single", created_by=admin_user)
    add_review(queue=queue, item=sad_items[0], user=people[0], answer="Yes")
    assert agreement_by_task(benchmark=benchmark) == []
    assert not agreement_of_queue(queue=queue).answers.measured


def test_human_accuracy_compares_blind_answers_with_current_keys(
    benchmark, pair_queue, make_clip, add_review, people, admin_user
):
    _, [fmar, madu] = make_clip("take_f", {"FMAR_0001": ("FMAR", ""), "MADU_0001": ("MADU", "")})
    queue = queue_create(benchmark=benchmark, name="f", created_by=admin_user, filters={"clips": ["take_f"]})
    add_review(queue=queue, item=fmar, user=people[0], answer="B")  # no key yet: not counted
    add_review(queue=queue, item=madu, user=people[0])  # open task: no blind answer
    accuracy = human_accuracy_by_task(benchmark)
    assert accuracy["SAD"] == pytest.approx(100 * 7 / 9)  # 9 blind answers, 7 equal the key (bob's No on take_2)
    assert accuracy["FMAR"] is None and accuracy["MADU"] is None and set(accuracy) >= {"CMAR", "MARE"}


def test_each_person_has_counts_rates_median_time_and_agreement(pair_queue, people):
    reviews, slots = Review.objects.filter(slot__queue=pair_queue), QueueSlot.objects.filter(queue=pair_queue)
    ann, bob = stats_by_person(reviews=reviews, slots=slots)
    assert (ann.username, ann.reviews, ann.clips_done, ann.accept, ann.fix, ann.reject) == ("ann", 5, 5, 4, 0, 1)
    assert (bob.reviews, bob.accept, bob.fix, bob.reject, bob.median_seconds) == (4, 1, 1, 2, 30)
    assert ann.median_seconds == 10 and ann.rate("accept") == 80
    assert (ann.agreement.answers, ann.agreement.decisions, ann.agreement.pairs) == (0.75, 0.75, 4)
    assert agreement_by_reviewer(reviews=reviews)[people[1].pk] == bob.agreement
