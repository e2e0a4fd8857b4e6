"""Dashboards: a benchmark's state as SVG charts and tables; a queue's people; bounded queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotation.services.flags import lint_run
from review.dashboard_charts import horizontal_bars, stacked_bars
from review.models import User
from review.services.queues import queue_create


@pytest.fixture
def reviewed(benchmark, make_clip, admin_user, make_user, add_review):
    """Three clips (SAD Yes, SAD No, FMAR with a duplicate option) reviewed twice; a queue named with markup."""
    ann, bob = make_user(User.Role.ANNOTATOR, "ann"), make_user(User.Role.ANNOTATOR, "bob")
    items = [
        make_clip("take_0", {"SAD_0001": ("SAD", "Yes")})[1][0],
        make_clip("take_1", {"SAD_0002": ("SAD", "No")})[1][0],
    ]
    _, [fmar] = make_clip("take_2", {"FMAR_0001": ("FMAR", "A")})
    fmar.options = ["Nodding", "Waving", "Waving", "Shrugging", "Tiptoe"]  # B twice; the key (A) once
    fmar.save()
    lint_run(benchmark=benchmark)
    queue = queue_create(
        benchmark=benchmark, name="Q & \"x\" 'y'", created_by=admin_user, overlap=2, annotators=[ann, bob]
    )
    for item, (a, b) in zip(items + [fmar], [("Yes", "Yes"), ("No", "Yes"), ("A", "A")], strict=True):
        add_review(queue=queue, item=item, user=ann, answer=a, seconds=12)
        add_review(
            queue=queue, item=item, user=bob, answer=b, decision="reject" if b != item.answer else "accept", seconds=40
        )
    return queue


def test_the_benchmark_dashboard_draws_status_flags_balance_and_progress(client, admin_user, benchmark, reviewed):
    client.force_login(admin_user)
    page = client.get(reverse("benchmark-dashboard", args=[benchmark.pk])).content.decode()
    assert (
        page.count("<svg width") == 6
    )  # (legend swatches are <svg class="swatch">) status, flags, balance, timeline, and two per-person charts
    assert "<title>comprehension · Imported (not yet reviewed): 2</title>" in page
    assert "<title>Duplicate options: 1</title>" in page
    assert "<title>SAD · Yes: 1 (50 %)</title>" in page and "<title>FMAR · A: 1 (100 %)</title>" in page
    assert "6 reviews, 6 in all</title>" in page
    assert "Q &amp; &quot;x&quot; &#x27;y&#x27;" in page and 'Q & "x"' not in page
    accuracy = page[page.index('id="human-accuracy"') :].split("</table>")[0]
    cells = accuracy.split("<tbody>")[1].count('<td class="num">')
    assert (
        cells == 8 and '<td class="num">100.0</td>' in accuracy and '<td class="num">75.0</td>' in accuracy
    )  # FMAR, SAD
    assert "<title>bob: 3</title>" in page


def test_the_queue_dashboard_shows_each_person(client, admin_user, reviewed):
    client.force_login(admin_user)
    page = client.get(reverse("queue-dashboard", args=[reviewed.pk])).content.decode()
    assert "Q &amp; &quot;x&quot; &#x27;y&#x27;" in page and 'Q & "x"' not in page
    assert "<title>bob · Reject: 1 (33 %)</title>" in page
    row = page[page.index("<td>ann</td>") :].split("</tr>")[0]
    assert '<td class="num">3</td>' in row and '<td class="num">12</td>' in row and '<td class="num">67</td>' in row


def test_the_queue_dashboard_colours_decisions_by_what_they_mean(client, admin_user, reviewed):
    client.force_login(admin_user)
    page = client.get(reverse("queue-dashboard", args=[reviewed.pk])).content.decode()
    decisions = page[page.index("Decisions per person") :]

    def fill(title: str) -> str:
        return decisions.split(f"><title>{title}")[0].rsplit('fill="', 1)[1].split('"')[0]

    green, red = "#2e9e5b", "#b23a48"
    assert fill("bob · Accept: 2 (67 %)</title>") == green
    assert fill("bob · Reject: 1 (33 %)</title>") == red
    assert f'fill="{red}"/></svg>Reject' in decisions and f'fill="{green}"/></svg>Accept' in decisions


def test_dashboard_queries_do_not_grow_with_the_reviews(
    client, admin_user, benchmark, reviewed, make_clip, add_review, make_user
):
    client.force_login(admin_user)
    urls = [reverse("benchmark-dashboard", args=[benchmark.pk]), reverse("queue-dashboard", args=[reviewed.pk])]

    def queries() -> list[int]:
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            counts.append(len(captured))
        return counts

    before = queries()
    more = [make_clip(f"more_{n}", {f"SAD_1{n:03d}": ("SAD", "Yes")})[1][0] for n in range(5)]
    extra = queue_create(benchmark=benchmark, name="more", created_by=admin_user, overlap=2)
    for person in (make_user(User.Role.ANNOTATOR, "cy"), make_user(User.Role.ANNOTATOR, "di")):
        for item in more:
            add_review(queue=extra, item=item, user=person, answer="Yes")
    after = queries()
    assert after[1] == before[1]
    assert after[0] == before[0]


def test_charts_scale_and_keep_the_text_for_escaping():
    chart = stacked_bars(["a", "b"], [("x", [1, 3]), ("y", [1, 0])], label="l", percent=True)
    assert [round(r["height"]) for r in chart["rects"]] == [80, 80, 160]  # 50 %, 50 %, 100 % of 160 px
    bars = horizontal_bars([("<b>", 2), ("c", 4)], label="l")
    assert bars["rects"][1]["width"] == 2 * bars["rects"][0]["width"] and bars["texts"][0]["text"] == "<b>"


def test_queue_pages_count_in_the_right_plural(client, admin_user, benchmark, make_clip, make_user, add_review):
    [item] = make_clip("single", {"SAD_0009": ("SAD", "Yes")})[1]
    queue = queue_create(benchmark=benchmark, name="one clip", created_by=admin_user, overlap=1)
    add_review(queue=queue, item=item, user=make_user(User.Role.ANNOTATOR, "solo"), answer="Yes")
    client.force_login(admin_user)
    dashboard = client.get(reverse("queue-dashboard", args=[queue.pk])).content.decode()
    assert "of 1 clip review done" in dashboard and "1 review, 1 in all</title>" in dashboard
    manage = client.get(reverse("queue-manage", args=[queue.pk])).content.decode()
    assert "1 review per clip" in manage and "1 question review<" in manage and "reviews per clip" not in manage
