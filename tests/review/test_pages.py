import pytest
from django.urls import reverse

from review.models import User

ROLES = ("anonymous", User.Role.ANNOTATOR, User.Role.REVIEWER, User.Role.ADMIN)


@pytest.fixture
def client_as(client, make_user):
    def login(role: str):
        if role != "anonymous":
            client.force_login(make_user(role))
        return client

    return login


def page_urls(benchmark):
    return {
        "home": reverse("home"),
        "benchmark": reverse("benchmark-detail", args=[benchmark.pk]),
        "report": reverse("benchmark-report", args=[benchmark.pk]),
        "admin": reverse("admin:index"),
        "admin-items": reverse("admin:annotation_qaitem_changelist"),
        "admin-users": reverse("admin:review_user_changelist"),
        "admin-runs": reverse("admin:annotation_baselinerun_changelist"),
        "healthz": reverse("healthz"),
    }


# What each role gets: 200, 403, or "login" (a redirect to a login page).
EXPECTED = {
    "home": {"anonymous": "login", "annotator": 200, "reviewer": 200, "admin": 200},
    "benchmark": {"anonymous": "login", "annotator": 403, "reviewer": 200, "admin": 200},
    "report": {"anonymous": "login", "annotator": 403, "reviewer": 200, "admin": 200},
    "admin": {"anonymous": "login", "annotator": "login", "reviewer": "login", "admin": 200},
    "admin-items": {"anonymous": "login", "annotator": "login", "reviewer": "login", "admin": 200},
    "admin-users": {"anonymous": "login", "annotator": "login", "reviewer": "login", "admin": 200},
    "admin-runs": {"anonymous": "login", "annotator": "login", "reviewer": "login", "admin": 200},
    "healthz": {"anonymous": 200, "annotator": 200, "reviewer": 200, "admin": 200},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", EXPECTED)
def test_each_role_gets_what_it_may_see(client_as, benchmark, make_item, role, page):
    make_item("SAD_0001")
    response = client_as(role).get(page_urls(benchmark)[page])
    expected = EXPECTED[page][role]
    if expected == "login":
        assert response.status_code == 302 and "login" in response["Location"]
    else:
        assert response.status_code == expected


def test_annotators_are_told_they_have_no_queue_and_see_no_content(client_as, benchmark, make_item):
    make_item("SAD_0001")
    page = client_as(User.Role.ANNOTATOR).get(reverse("home")).content.decode()
    assert "No review queue is assigned to you yet" in page
    assert "Test bench" not in page


def test_the_benchmark_list_counts_clips_and_questions(client_as, benchmark, make_item):
    for n in range(3):
        make_item(f"SAD_{n:04d}")
    response = client_as(User.Role.REVIEWER).get(reverse("home"))
    [row] = response.context["benchmarks"]
    assert (row.name, row.video_count, row.item_count) == ("Test bench", 1, 3)


def test_machine_generated_text_is_escaped(client_as, benchmark, make_item):
    make_item(
        "FMAR_0001",
        task="FMAR",
        question="Which? <script>alert('q')</script>",
        options=["<img src=x onerror=alert(1)>", "Nodding", "Waving", "Shrugging", "Tiptoe"],
    )
    page = client_as(User.Role.REVIEWER).get(reverse("benchmark-detail", args=[benchmark.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#x27;q&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_filters_swap_only_the_items_table_for_htmx(client_as, benchmark, make_item):
    make_item("SAD_0001")
    make_item("FMAR_0001", task="FMAR")
    client = client_as(User.Role.ADMIN)
    url = reverse("benchmark-detail", args=[benchmark.pk])
    partial = client.get(url, {"task": "FMAR"}, headers={"HX-Request": "true"}).content.decode()
    assert "FMAR_0001" in partial and "SAD_0001" not in partial
    assert "<html" not in partial
    full = client.get(url).content.decode()
    assert "FMAR_0001" in full and "SAD_0001" in full and "<html" in full


def test_unknown_filter_values_are_ignored_not_errors(client_as, benchmark, make_item):
    make_item("SAD_0001")
    response = client_as(User.Role.ADMIN).get(
        reverse("benchmark-detail", args=[benchmark.pk]), {"task": "NOPE", "status": "x"}
    )
    assert response.status_code == 200 and "SAD_0001" in response.content.decode()


def test_pages_refuse_writes(client_as, benchmark):
    client = client_as(User.Role.ADMIN)
    assert client.post(reverse("benchmark-detail", args=[benchmark.pk])).status_code == 405


def test_the_benchmark_page_shows_flags_and_filters_by_them(client_as, benchmark, make_item):
    from annotation.services.flags import lint_run

    make_item("SAD_0001")
    make_item("FMAR_0001", task="FMAR", options=["Nodding", "Waving", "Waving", "Tiptoe", "Shrugging"])
    for n in range(20):  # 20 SAD keys, all Yes: a benchmark-level balance flag
        make_item(f"SAD_{n + 2:04d}", question=f"Does part {n} move?")
    lint_run(benchmark=benchmark)
    client = client_as(User.Role.REVIEWER)
    url = reverse("benchmark-detail", args=[benchmark.pk])
    page = client.get(url).content.decode()
    assert "SAD: 100.0% of 21 keys are Yes (expected 45-55%)." in page
    assert "Duplicate options: 1" in page
    flagged = client.get(url, {"flag": "duplicate_options"}, headers={"HX-Request": "true"}).content.decode()
    assert "FMAR_0001" in flagged and "SAD_0001" not in flagged
    assert 'title="Options B and C are the same: &#x27;Waving&#x27;."' in flagged


def test_the_report_shows_each_runs_scores_in_a_table_and_a_chart(client_as, benchmark, make_item):
    from annotation.models import BaselineRun, Prediction

    items = [make_item(f"SAD_{n:04d}", question=f"Does part {n} move?") for n in range(4)]
    for name, correct in (("<b>vlm</b>", 3), ("random", 2)):
        run = BaselineRun.objects.create(
            benchmark=benchmark, name=name, predictor="external", settings_hash=name, status="done", total=4, done=4
        )
        for n, item in enumerate(items):
            Prediction.objects.create(run=run, item=item, item_version=1, outcome="parsed", correct=n < correct)
    page = client_as(User.Role.REVIEWER).get(reverse("benchmark-report", args=[benchmark.pk])).content.decode()
    assert "&lt;b&gt;vlm&lt;/b&gt;" in page and "<b>vlm</b>" not in page
    assert (
        page.count("<rect x=") == 2 and "random · SAD: 50.0%" in page and "&lt;b&gt;vlm&lt;/b&gt; · SAD: 75.0%" in page
    )
    assert '<td class="num">75.0</td>' in page and '<td class="num">50.0</td>' in page


def test_admins_resume_a_run_from_the_admin(client_as, benchmark, make_item):
    from annotation.models import BaselineRun
    from annotation.services.baselines import run_prepare

    make_item("SAD_0001")
    run = run_prepare(benchmark=benchmark, predictor="random", name="random", settings={"seed": 1})
    client = client_as(User.Role.ADMIN)
    response = client.post(
        reverse("admin:annotation_baselinerun_changelist"),
        {"action": "resume", "_selected_action": [run.pk]},
        follow=True,
    )
    assert "Resumed 1 run;" in response.content.decode()
    assert BaselineRun.objects.get(pk=run.pk).chunks.count() == 1  # re-chunked: nothing was predicted yet


def test_the_report_compares_the_judge_with_hand_scores(client_as, benchmark, make_item):
    from annotation.models import BaselineRun, JudgeScore, Prediction

    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm", predictor="external", settings_hash="vlm")
    item = make_item("MARE_0001", task="MARE", answer="reference")
    prediction = Prediction.objects.create(run=run, item=item, item_version=1, outcome="parsed", parsed_answer="x")
    client = client_as(User.Role.REVIEWER)
    url = reverse("benchmark-report", args=[benchmark.pk])
    assert "No open answer is scored both by the judge and by hand yet" in client.get(url).content.decode()
    JudgeScore.objects.create(prediction=prediction, judge="judge-model", l1=4, l2=3, l3=2)
    JudgeScore.objects.create(prediction=prediction, judge="human:reviewer", l1=4, l2=1, l3=2)
    page = client.get(url).content.decode()
    table = page[page.index('id="judge-agreement"') :]
    assert (
        "<td>MARE</td><td>L2</td>" in table
        and '<td class="num">0.0</td><td class="num">0.0</td><td class="num">2.00</td>' in table
    )


def test_the_report_puts_human_accuracy_from_blind_answers_beside_the_models(
    client_as, benchmark, make_clip, admin_user, make_user, add_review
):
    from annotation.models import BaselineRun, Prediction
    from review.services.queues import queue_create

    _, items = make_clip("take_1", {"SAD_0001": ("SAD", "Yes"), "SAD_0002": ("SAD", "No"), "FMAR_0001": ("FMAR", "B")})
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm", predictor="external", settings_hash="vlm")
    Prediction.objects.create(run=run, item=items[0], item_version=1, outcome="parsed", correct=True)
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, overlap=2)
    first, second = make_user(User.Role.ANNOTATOR, "h1"), make_user(User.Role.ANNOTATOR, "h2")
    for user, answers in ((first, ("Yes", "No", "B")), (second, ("Yes", "Yes", "C"))):
        for item, answer in zip(items, answers, strict=True):
            add_review(queue=queue, item=item, user=user, answer=answer)
    page = client_as(User.Role.REVIEWER).get(reverse("benchmark-report", args=[benchmark.pk])).content.decode()
    human = page[page.index('class="human-row"') : page.index("</tr>", page.index('class="human-row"'))]
    assert "Human (blind answers)" in human
    assert '<td class="num">75.0</td>' in human and '<td class="num">50.0</td>' in human  # SAD 3/4, FMAR 1/2
    assert "Human (blind answers) · SAD: 75.0%" in page  # and a bar in the chart
