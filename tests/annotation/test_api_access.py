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
        (User.Role.ADMIN, 201),
    ],
)
def test_only_admins_may_import(client, make_user, role, expected):
    if role != "anonymous":
        client.force_login(make_user(role))
    response = client.post(reverse("api-import"), upload())
    assert response.status_code == expected
    assert QAItem.objects.exists() == (expected == 201)


def test_an_admin_imports_with_a_token_and_gets_the_summary(client, admin_user):
    token = Token.objects.create(user=admin_user)
    response = client.post(reverse("api-import"), upload(), headers={"Authorization": f"Token {token.key}"})
    assert response.status_code == 201
    assert (response.json()["items_created"], response.json()["source"]) == (1, "gen 2.0")
    assert Benchmark.objects.get(name="Uploaded").items.get().generated_by == "gen 2.0"


def test_a_dry_run_upload_answers_200_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("api-import"), upload() | {"dry_run": "true"})
    assert response.status_code == 200 and response.json()["dry_run"] is True
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
