"""The API's query parameters and names: a benchmark by id or name, unknown values a 400 that names
the parameter with its valid choices, tags one token, export names safe in a header."""

import pytest
from rest_framework.test import APIClient

from annotation.models import Release
from annotation.services.content import benchmark_create
from annotation.services.releases import release_create


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def two_benchmarks(benchmark, make_item, generator):
    make_item("SAD_0001")
    other = benchmark_create(name="2026", actor=generator)  # a name made of digits
    return benchmark, other


@pytest.mark.parametrize("path", ["/api/items/", "/api/videos/", "/api/runs/"])
def test_a_benchmark_is_named_by_id_or_name(api, two_benchmarks, path):
    bench, other = two_benchmarks
    by_id = api.get(path, {"benchmark": bench.pk})
    by_name = api.get(path, {"benchmark": bench.name})
    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json()["results"] == by_name.json()["results"]
    assert api.get(path, {"benchmark": "2026"}).status_code == 200  # no id 2026: the name is tried


@pytest.mark.parametrize("path", ["/api/items/", "/api/videos/", "/api/runs/"])
@pytest.mark.parametrize("value", ["no such bench", "\x00", "9" * 5000, "-1"])
def test_an_unknown_benchmark_is_a_400_listing_the_known_ones(api, two_benchmarks, path, value):
    response = api.get(path, {"benchmark": value})
    assert response.status_code == 400
    assert "benchmark" in response.json()
    assert "Test bench" in response.json()["benchmark"][0]


@pytest.mark.parametrize(
    ("path", "name", "value", "valid"),
    [
        ("/api/items/", "task", "\x00", "SAD"),
        ("/api/items/", "task", "XYZ", "CMAR"),
        ("/api/items/", "status", "\x00", "accepted"),
        ("/api/items/", "tier", "top", "perception"),
        ("/api/items/", "flag", "\x00", "ambiguous_key"),
        ("/api/videos/", "status", "done", "ready"),
    ],
)
def test_a_filter_value_it_does_not_take_is_a_400_with_the_choices(api, benchmark, path, name, value, valid):
    response = api.get(path, {name: value})
    assert response.status_code == 400
    assert valid in response.json()[name][0]


def test_a_participant_with_a_nul_is_a_400(api, benchmark):
    response = api.get("/api/videos/", {"participant": "p\x00"})
    assert response.status_code == 400 and "participant" in response.json()


def test_filters_still_filter(api, benchmark, make_item):
    make_item("SAD_0001")
    make_item("FMAR_0001", task="FMAR")
    tasks = {row["task"] for row in api.get("/api/items/", {"task": "FMAR"}).json()["results"]}
    assert tasks == {"FMAR"}
    assert api.get("/api/items/", {"tier": "perception"}).json()["results"][0]["qid"] == "FMAR_0001"


@pytest.fixture
def release(benchmark, accepted_items, admin_user):
    return release_create(benchmark=benchmark, tag="v1.0", user=admin_user)


@pytest.mark.parametrize("tag", ["v2\r\nX-Evil: 1", 'v3"; filename="evil.html', "v\u2028x", "vé", "", "a/b"])
def test_a_tag_that_is_not_one_token_is_refused_naming_the_field(api, benchmark, accepted_items, tag):
    response = api.post("/api/releases/", {"benchmark": benchmark.name, "tag": tag}, format="json")
    assert response.status_code == 400
    assert response.json().get("field") == "tag" or "tag" in response.json()
    assert not Release.objects.exists()


def test_a_release_is_created_naming_the_benchmark_by_id(api, benchmark, accepted_items):
    response = api.post("/api/releases/", {"benchmark": benchmark.pk, "tag": "2026-12-rc1"}, format="json")
    assert response.status_code == 201
    assert response.json()["benchmark"] == benchmark.name


@pytest.mark.parametrize("benchmark_value", ["a\x00b", "nope", None])
def test_a_release_of_an_unknown_benchmark_is_a_400(api, benchmark, benchmark_value):
    response = api.post("/api/releases/", {"benchmark": benchmark_value, "tag": "v1"}, format="json")
    assert response.status_code == 400 and "benchmark" in response.json()


def test_release_notes_are_plain_text(api, benchmark, accepted_items):
    response = api.post(
        "/api/releases/", {"benchmark": benchmark.pk, "tag": "v1", "notes": "see <img src=x onerror=1>"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "notes"
    assert not Release.objects.exists()


@pytest.mark.parametrize("against", ["\x00", "v1\r\n", "x" * 5000])
def test_a_diff_against_a_tag_no_release_can_have_is_a_400(api, release, against):
    response = api.get(f"/api/releases/{release.pk}/diff/", {"against": against})
    assert response.status_code == 400 and response.json()["field"] == "against"


def test_a_diff_against_an_unknown_tag_is_a_404(api, release):
    assert api.get(f"/api/releases/{release.pk}/diff/", {"against": "v9"}).status_code == 404


def test_an_export_names_its_file_in_one_header_value(api, release, benchmark):
    benchmark.name = 'Bench "quoted" é'
    benchmark.save(update_fields=["name"])
    response = api.get(f"/api/releases/{release.pk}/export/", {"format": "mac"})
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert header.startswith("attachment; filename*=utf-8''")
    assert "\r" not in header and "\n" not in header and '"' not in header
