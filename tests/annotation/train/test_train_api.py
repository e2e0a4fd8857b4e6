"""Training-corpus releases over the API, per role: create (admins; 409 naming a shared participant) and export."""

import pytest

from review.models import User

ROLES = ("anonymous", User.Role.ANNOTATOR, User.Role.REVIEWER, User.Role.ADMIN)


@pytest.mark.parametrize(
    ("role", "expected"), [("anonymous", 403), ("annotator", 403), ("reviewer", 403), ("admin", 201)]
)
def test_only_admins_create_a_train_release(as_role, role, expected, reviewed_corpus, eval_benchmark):
    response = as_role(role).post(
        "/api/releases/",
        {"benchmark": "Train", "tag": "v1", "disjoint_from": ["Eval"]},
        content_type="application/json",
    )
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["kind"] == "train" and response.json()["clip_count"] == 3
        assert response.json()["disjoint_from"] == ["Eval"]


def test_a_shared_participant_is_a_409_naming_it(as_role, reviewed_corpus, overlapping_eval, train_rows):
    response = as_role("admin").post(
        "/api/releases/",
        {"benchmark": "Train", "tag": "v1", "disjoint_from": ["Eval overlap"]},
        content_type="application/json",
    )
    assert response.status_code == 409
    [blocker] = response.json()["blockers"]
    assert train_rows.people[0] in blocker


def test_disjoint_from_names_evaluation_benchmarks_only(as_role, reviewed_corpus):
    response = as_role("admin").post(
        "/api/releases/",
        {"benchmark": "Train", "tag": "v1", "disjoint_from": ["Train"]},
        content_type="application/json",
    )
    assert response.status_code == 400 and "disjoint_from" in response.json()


@pytest.mark.parametrize("role", ROLES)
def test_train_exports_are_for_admins_and_reviewers(as_role, role, reviewed_corpus, eval_benchmark, admin_user):
    from annotation.services.releases import release_create

    release = release_create(benchmark=reviewed_corpus, tag="v1", user=admin_user)
    response = as_role(role).get(f"/api/releases/{release.pk}/export/?format=sft-frames")
    assert response.status_code == {"anonymous": 403, "annotator": 403, "reviewer": 200, "admin": 200}[role]
