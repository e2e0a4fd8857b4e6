"""A training-corpus cut over the API is one release_cut event; a cut blocked by a shared participant
is one refused event on the corpus, kept although the attempt rolled back."""

from django.core.management import call_command

from annotation.models import Release
from review.models import User


def test_a_blocked_then_a_disjoint_corpus_cut_are_one_event_each(
    as_role, reviewed_corpus, eval_benchmark, overlapping_eval, train_rows, events_during
):
    client = as_role("admin")
    admin = User.objects.get(username="admin-api")
    with events_during() as blocked:
        response = client.post(
            "/api/releases/",
            {"benchmark": "Train", "tag": "v1", "disjoint_from": ["Eval overlap"]},
            content_type="application/json",
        )
    assert response.status_code == 409 and not Release.objects.exists()
    assert [(e.actor_user, e.event_type, e.target_kind, e.target_id, e.after) for e in blocked] == [
        (admin, "refused", "benchmark", reviewed_corpus.pk, {"tag": "v1", "disjoint_from": ["Eval overlap"]})
    ]
    assert f"participant {train_rows.people[0]}" in blocked[0].reason

    with events_during() as cut:
        response = client.post(
            "/api/releases/",
            {"benchmark": "Train", "tag": "v1", "disjoint_from": ["Eval"]},
            content_type="application/json",
        )
    assert response.status_code == 201
    release = Release.objects.get()
    assert [(e.actor_user, e.event_type, e.target_kind, e.target_id, e.before, e.after) for e in cut] == [
        (
            admin,
            "release_cut",
            "release",
            release.pk,
            None,
            {
                "benchmark": "Train",
                "tag": "v1",
                "kind": "train",
                "item_count": 6,
                "clip_count": 3,
                "disjoint_from": ["Eval"],
                "sha256": release.sha256,
            },
        )
    ]
    call_command("verify_audit_trail")
