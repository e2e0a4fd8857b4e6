"""The REST API for content and releases: access per role, cursor pages, filters, exports with ETags."""

import hashlib
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from annotation.models import QualityFlag, Release
from annotation.services.releases import release_create
from review.models import User

ROLES = ("anonymous", User.Role.ANNOTATOR, User.Role.REVIEWER, User.Role.ADMIN)
READERS = {"anonymous": 403, "annotator": 403, "reviewer": 200, "admin": 200}


@pytest.fixture
def release(benchmark, accepted_items, admin_user):
    return release_create(benchmark=benchmark, tag="v1.0", user=admin_user)


def read_urls(release):
    return [
        "/api/benchmarks/",
        f"/api/benchmarks/{release.benchmark_id}/",
        "/api/videos/",
        "/api/items/",
        "/api/flags/",
        "/api/releases/",
        f"/api/releases/{release.pk}/",
        f"/api/releases/{release.pk}/export/?format=mac",
        f"/api/releases/{release.pk}/diff/?against=v1.0",
        "/api/runs/",
        f"/api/runs/{run_of(release).pk}/",
        f"/api/runs/{run_of(release).pk}/predictions/",
    ]


def run_of(release):
    from annotation.models import BaselineRun, Prediction

    run, created = BaselineRun.objects.get_or_create(
        benchmark=release.benchmark, settings_hash="api-test", defaults={"name": "m", "predictor": "external"}
    )
    if created:
        item = release.benchmark.items.order_by("qid").last()  # SAD_0004
        Prediction.objects.create(run=run, item=item, item_version=item.version, outcome="parsed", correct=True)
    return run


@pytest.mark.parametrize("role", ROLES)
def test_reads_and_exports_are_for_admins_and_reviewers(as_role, release, role):
    client = as_role(role)
    for url in read_urls(release):
        assert client.get(url).status_code == READERS[role], url


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 403), ("annotator", 403), ("reviewer", 403), ("admin", 201)]
)
def test_only_admins_create_releases(as_role, benchmark, accepted_items, role, expected):
    response = as_role(role).post("/api/releases/", {"benchmark": benchmark.name, "tag": "v2.0", "notes": "n"})
    assert response.status_code == expected
    assert Release.objects.filter(tag="v2.0").exists() == (expected == 201)


def test_a_blocked_release_answers_409_with_the_blockers(as_role, benchmark, accepted_items, make_item):
    make_item("SAD_0042")
    response = as_role("admin").post("/api/releases/", {"benchmark": benchmark.name, "tag": "v2.0"})
    assert response.status_code == 409
    assert "SAD_0042: review status is imported; accept it or exclude it" in response.json()["blockers"]


def test_exports_stream_with_the_release_digest_as_etag_and_answer_304_when_unchanged(as_role, release):
    client = as_role("reviewer")
    for fmt in ("mac", "questions-only", "jsonl", "json"):
        response = client.get(f"/api/releases/{release.pk}/export/", {"format": fmt})
        body = b"".join(response.streaming_content)
        assert response.status_code == 200 and response.streaming
        assert response["ETag"] == f'"{release.export_sha256[fmt]}"' == f'"{hashlib.sha256(body).hexdigest()}"'
        again = client.get(f"/api/releases/{release.pk}/export/", {"format": fmt})
        assert b"".join(again.streaming_content) == body
        cached = client.get(
            f"/api/releases/{release.pk}/export/", {"format": fmt}, headers={"If-None-Match": response["ETag"]}
        )
        assert cached.status_code == 304
    jsonl = client.get(f"/api/releases/{release.pk}/export/", {"format": "jsonl"})
    assert jsonl["ETag"] == f'"{release.sha256}"'
    assert client.get(f"/api/releases/{release.pk}/export/", {"format": "xml"}).status_code == 400


def test_the_export_query_count_does_not_grow_with_the_items(
    as_role, benchmark, make_item, reviewer, admin_user, accept
):
    client = as_role("reviewer")

    def queries(tag, new_items):
        for n in new_items:
            accept(make_item(f"PPR_{n:04d}", question=f"Does part {n} approach the head?"), reviewer)
        release = release_create(benchmark=benchmark, tag=tag, user=admin_user)
        with CaptureQueriesContext(connection) as captured:
            b"".join(client.get(f"/api/releases/{release.pk}/export/", {"format": "jsonl"}).streaming_content)
        return len(captured)

    assert queries("small", range(3)) == queries("large", range(3, 60))


def test_items_page_by_cursor_and_filter_by_task_tier_status_and_flag(as_role, benchmark, make_item):
    for n in range(5):
        make_item(f"SAD_{n:04d}", question=f"Does part {n} move?")
    make_item("FMAR_0001", task="FMAR", options=["Nodding", "Waving", "Waving", "Tiptoe", "Shrugging"])
    from annotation.services.flags import lint_run

    lint_run(benchmark=benchmark)
    client = as_role("admin")
    page = client.get("/api/items/", {"page_size": 2}).json()
    assert len(page["results"]) == 2 and "cursor=" in page["next"]
    second = client.get(page["next"]).json()
    assert {r["qid"] for r in second["results"]}.isdisjoint({r["qid"] for r in page["results"]})

    def qids(**params):
        return sorted(r["qid"] for r in client.get("/api/items/", params).json()["results"])

    assert qids(task="FMAR") == ["FMAR_0001"] == qids(tier="perception") == qids(flag="duplicate_options")
    assert len(qids(tier="comprehension")) == 5 and len(qids(status="imported")) == 6
    item = client.get("/api/items/", {"task": "FMAR"}).json()["results"][0]
    assert item["open_flags"][0]["kind"] == "duplicate_options" and item["clip"] == "clip_001"


def test_reviewers_waive_flags_with_a_reason_and_annotators_cannot(as_role, client, benchmark, make_item, make_user):
    make_item("SAD_0001", answer="")
    from annotation.services.flags import lint_run

    lint_run(benchmark=benchmark)
    flag = QualityFlag.objects.get(kind="missing_answer_key")
    url = f"/api/flags/{flag.pk}/waive/"
    assert as_role("annotator").post(url, {"reason": "fine"}).status_code == 403
    client.logout()
    reviewer = as_role("reviewer")
    assert reviewer.post(url, {}).status_code == 400
    response = reviewer.post(url, {"reason": "keys come in the next batch"})
    assert response.status_code == 200 and response.json()["status"] == "waived"
    assert reviewer.post(url, {"reason": "again"}).status_code == 409


def test_token_authentication_works_for_scripts(client, release, reviewer):
    token = Token.objects.create(user=reviewer)
    response = client.get(
        f"/api/releases/{release.pk}/export/", {"format": "mac"}, headers={"Authorization": f"Token {token.key}"}
    )
    assert response.status_code == 200 and len(json.loads(b"".join(response.streaming_content))) == 5


def test_the_openapi_schema_validates(as_role):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "/api/releases/{id}/export/" in schema["paths"] and "/api/items/" in schema["paths"]


def test_runs_report_their_scores_and_predictions(as_role, release):
    run = run_of(release)
    client = as_role("reviewer")
    body = client.get(f"/api/runs/{run.pk}/").json()
    assert body["scores"]["accuracy"] == {"SAD": 100.0} and body["scores"]["closed_average"] is None
    [prediction] = client.get(f"/api/runs/{run.pk}/predictions/").json()["results"]
    assert (prediction["qid"], prediction["correct"], prediction["outcome"]) == ("SAD_0004", True, "parsed")
