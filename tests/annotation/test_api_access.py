"""Who may use the API: the import endpoint is for admins; the schema and docs for logged-in users."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token

from annotation.models import Benchmark, QAItem
from review.models import User

ROW = {"video": "clip_a.mp4", "task": "SAD", "qid": "SAD_0001", "question": "Does the head move?", "answer": "Yes"}


def upload():
    return {
        "benchmark": "Uploaded",
        "source": "gen 2.0",
        "questions": SimpleUploadedFile("q.json", json.dumps([ROW]).encode()),
    }


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 403),
        (User.Role.ANNOTATOR, 403),
        (User.Role.REVIEWER, 403),
        (User.Role.ADMIN, 202),
    ],
)
def test_only_admins_may_import(client, make_user, tasks_in_process, role, expected):
    if role != "anonymous":
        client.force_login(make_user(role))
    with tasks_in_process():
        response = client.post(reverse("api-import"), upload())
    assert response.status_code == expected
    assert QAItem.objects.exists() == (expected == 202)


def test_an_admin_imports_with_a_token_and_follows_the_job_to_the_summary(client, admin_user, tasks_in_process):
    token = Token.objects.create(user=admin_user)
    auth = {"Authorization": f"Token {token.key}"}
    with tasks_in_process():
        response = client.post(reverse("api-import"), upload(), headers=auth)
        assert response.status_code == 202
        assert response.json()["status"] == "queued" and response["Location"] == response.json()["url"]
        assert not QAItem.objects.exists()  # the worker has not run it yet
    job = client.get(response["Location"], headers=auth).json()
    assert (job["status"], job["rows_read"], job["rows_written"], job["problem_count"]) == ("done", 1, 1, 0)
    assert (job["summary"]["items_created"], job["summary"]["source"]) == (1, "gen 2.0")
    assert Benchmark.objects.get(name="Uploaded").items.get().generated_by == "gen 2.0"


def test_a_dry_run_upload_is_a_job_that_writes_nothing(client, admin_user, tasks_in_process):
    client.force_login(admin_user)
    with tasks_in_process():
        response = client.post(reverse("api-import"), upload() | {"dry_run": "true"})
    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["status"] == "done" and job["summary"]["dry_run"] is True and job["summary"]["items_created"] == 1
    assert not Benchmark.objects.exists()


def test_an_upload_without_files_is_a_clear_400(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("api-import"), {"benchmark": "Nothing"})
    assert response.status_code == 400
    assert "upload a 'questions' file, a 'captions' file, or both" in json.dumps(response.json())


@pytest.mark.parametrize("name", ["api-schema", "api-docs"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("anonymous", 403),
        (User.Role.ANNOTATOR, 200),
        (User.Role.REVIEWER, 200),
        (User.Role.ADMIN, 200),
    ],
)
def test_the_api_schema_and_docs_need_a_login(client, make_user, name, role, expected):
    if role != "anonymous":
        client.force_login(make_user(role))
    assert client.get(reverse(name)).status_code == expected


def test_the_docs_page_loads_its_assets_from_our_own_static_files(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("api-docs")).content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
