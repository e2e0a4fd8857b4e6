"""The strict Content-Security-Policy holds on every kind of page: each is opened in Chromium, used a
little (htmx swaps, the scrubber, the Django admin, the API docs), and the console stays free of
refusals (the autouse watcher in conftest.py fails the test on any)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from review.services.queues import queue_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queue(processed_clip, make_caption, make_item, benchmark, admin_user, annotator):
    make_caption()
    make_item("SAD_0001", answer="Yes")
    make_item("FMAR_0001", task="FMAR", answer="B")
    return queue_create(benchmark=benchmark, name="first pass", created_by=admin_user, annotators=[annotator])


def test_the_policy_header_is_strict(client, admin_user):
    client.force_login(admin_user)
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in policy and directives["frame-ancestors"] == "'none'"


def test_the_review_page_works_under_the_policy(log_in, annotator, queue, page):
    log_in(annotator)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#frame-number")).to_have_text("0")
    page.locator("#frame-slider").press("ArrowRight")
    expect(page.locator("#frame-number")).to_have_text("1")
    card = page.locator("article", has_text="SAD_0001")
    card.get_by_role("button", name="Yes").click()
    expect(page.locator("article", has_text="SAD_0001")).to_contain_text("Your answer:")


@pytest.mark.parametrize(
    "path",
    [
        "home",
        "benchmark",
        "report",
        "dashboard",
        "releases",
        "clip",
        "queues",
        "queue-new",
        "adjudication",
        "password",
        "/admin/",
        "/admin/annotation/qaitem/",
        "/admin/review/user/",
        "/api/docs/",
    ],
)
def test_admin_pages_load_under_the_policy(
    log_in, admin_user, queue, benchmark, processed_clip, live_server, page, path
):
    urls = {
        "home": reverse("home"),
        "benchmark": reverse("benchmark-detail", args=[benchmark.pk]),
        "report": reverse("benchmark-report", args=[benchmark.pk]),
        "dashboard": reverse("benchmark-dashboard", args=[benchmark.pk]),
        "releases": reverse("benchmark-releases", args=[benchmark.pk]),
        "clip": reverse("clip-detail", args=[processed_clip.pk]),
        "queues": reverse("queue-overview"),
        "queue-new": reverse("queue-new", args=[benchmark.pk]),
        "adjudication": reverse("adjudication-list"),
        "password": reverse("password-change"),
    }
    log_in(admin_user)
    response = page.goto(live_server.url + urls.get(path, path))
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    if path == "/api/docs/":
        expect(page.locator(".swagger-ui")).to_be_visible()


def test_only_the_api_docs_allow_inline_styles(client, admin_user):
    client.force_login(admin_user)
    assert "'unsafe-inline'" in client.get("/api/docs/")["Content-Security-Policy"]
    for path in ("/", "/admin/", "/api/items/", "/accounts/password/"):
        assert "unsafe" not in client.get(path)["Content-Security-Policy"], path
