"""Excluding QA items from release and including them again (annotation/services/exclusions.py and the API):
a reason is required, the transition map decides, every attempt on an item is one audit event (refusals too),
a bulk move is one transaction, and a clip held blind is not found."""

import json

import pytest
from django.core.exceptions import PermissionDenied

from annotation.errors import InvalidInput
from annotation.models import AuditEvent, QAItem
from annotation.services import exclusions
from annotation.services.audited_writes import Actor, EditConflict
from annotation.services.content import review_status_set
from annotation.services.exclusions import (
    ItemNotFound,
    StatusMoveRefused,
    item_exclude,
    item_include,
    items_exclude,
    items_include,
)
from annotation.services.releases import release_blockers


def status_of(item) -> str:
    return QAItem.objects.get(pk=item.pk).review_status


def moved_to(item, status: str, by) -> QAItem:
    """``item`` moved from imported to ``status`` (one step the transition map allows)."""
    return review_status_set(model=QAItem, pk=item.pk, status=status, actor=Actor.person(by), expected_version=None)


def shape(event) -> tuple:
    return (event.actor_user, event.event_type, event.target_kind, event.target_id, event.before, event.after)


@pytest.fixture
def accepted(make_item, admin_user):
    return moved_to(make_item("SAD_0001"), "accepted", admin_user)


# --- one item -----------------------------------------------------------------------------------


def test_an_exclusion_is_one_status_event_with_the_persons_reason(accepted, reviewer, events_during):
    with events_during() as events:
        item = item_exclude(item_id=accepted.pk, user=reviewer, reason="duplicate of SAD_0002")
    assert (item.review_status, item.version) == ("excluded", accepted.version + 1)
    assert [shape(e) for e in events] == [
        (
            reviewer,
            "status_changed",
            "qaitem",
            accepted.pk,
            {"review_status": "accepted"},
            {"review_status": "excluded"},
        )
    ]
    assert events[0].reason == "duplicate of SAD_0002"


@pytest.mark.parametrize("reason", ["", "   \n"])
def test_a_reason_is_required_and_nothing_is_written_without_one(accepted, reviewer, events_during, reason):
    with events_during() as events, pytest.raises(InvalidInput, match="needs a reason") as refused:
        item_exclude(item_id=accepted.pk, user=reviewer, reason=reason)
    assert refused.value.field == "reason" and events == [] and status_of(accepted) == "accepted"
    with pytest.raises(InvalidInput) as refused:
        item_include(item_id=accepted.pk, user=reviewer, reason=reason)
    assert refused.value.field == "reason"


def test_excluding_twice_is_refused_and_the_refusal_is_recorded(accepted, reviewer, events_during):
    item_exclude(item_id=accepted.pk, user=reviewer, reason="off-topic")
    with events_during() as events, pytest.raises(StatusMoveRefused, match="SAD_0001 is excluded already"):
        item_exclude(item_id=accepted.pk, user=reviewer, reason="again")
    assert [shape(e) for e in events] == [
        (
            reviewer,
            "refused",
            "qaitem",
            accepted.pk,
            {"review_status": "excluded"},
            {"review_status": "excluded"},
        )
    ]
    assert events[0].reason == "SAD_0001 is excluded already"


def test_the_transition_map_refuses_an_item_in_review_and_the_refusal_is_recorded(
    make_item, admin_user, reviewer, events_during
):
    item = moved_to(make_item("SAD_0001"), "in_review", admin_user)
    with events_during() as events, pytest.raises(StatusMoveRefused, match="in review") as refused:
        item_exclude(item_id=item.pk, user=reviewer, reason="bad clip")
    assert refused.value.status == 409 and status_of(item) == "in_review"
    assert [(e.event_type, e.before) for e in events] == [("refused", {"review_status": "in_review"})]


@pytest.mark.parametrize("status", ["imported", "accepted", "rejected", "needs_adjudication"])
def test_every_status_the_map_allows_is_excluded(make_item, admin_user, reviewer, status):
    item = make_item("SAD_0001")
    if status != "imported":
        item = moved_to(item, status, admin_user)
    assert item_exclude(item_id=item.pk, user=reviewer, reason="r").review_status == "excluded"


def test_an_inclusion_sends_an_excluded_item_back_to_review_as_imported(accepted, reviewer, admin_user, events_during):
    item_exclude(item_id=accepted.pk, user=reviewer, reason="unclear clip")
    with events_during() as events:
        item = item_include(item_id=accepted.pk, user=admin_user, reason="clip re-cut, ask again")
    assert item.review_status == "imported"
    assert [(e.actor_user, e.event_type, e.before, e.after, e.reason) for e in events] == [
        (
            admin_user,
            "status_changed",
            {"review_status": "excluded"},
            {"review_status": "imported"},
            "clip re-cut, ask again",
        )
    ]


def test_including_an_item_that_is_not_excluded_is_refused_though_the_map_allows_accepted_to_imported(
    accepted, reviewer, events_during
):
    with events_during() as events, pytest.raises(StatusMoveRefused, match="SAD_0001 is not excluded \\(accepted\\)"):
        item_include(item_id=accepted.pk, user=reviewer, reason="why not")
    assert status_of(accepted) == "accepted"
    assert [e.event_type for e in events] == ["refused"]


def test_a_stale_version_is_refused_with_an_edit_refused_event(accepted, reviewer, events_during):
    with events_during() as events, pytest.raises(EditConflict):
        item_exclude(item_id=accepted.pk, user=reviewer, reason="r", expected_version=accepted.version - 1)
    assert status_of(accepted) == "accepted"
    assert [(e.event_type, e.target_version, e.after, e.reason) for e in events] == [
        ("edit_refused", accepted.version - 1, {"review_status": "excluded"}, "r")
    ]
    assert item_exclude(item_id=accepted.pk, user=reviewer, reason="r", expected_version=accepted.version)


def test_a_person_holding_the_clip_blind_cannot_exclude_or_include_its_items(held_blind, reviewer, events_during):
    with events_during() as events:
        for service in (item_exclude, item_include):
            with pytest.raises(ItemNotFound, match=f"no question #{held_blind.pk}") as refused:
                service(item_id=held_blind.pk, user=reviewer, reason="peek")
            assert refused.value.status == 404
    assert events == [] and status_of(held_blind) == "imported"


def test_annotators_may_not_exclude(accepted, annotator):
    with pytest.raises(PermissionDenied):
        item_exclude(item_id=accepted.pk, user=annotator, reason="r")


def test_an_excluded_item_leaves_the_release_blockers(benchmark, make_item, admin_user, reviewer):
    moved_to(make_item("SAD_0001"), "accepted", admin_user)
    rejected = moved_to(make_item("SAD_0002"), "rejected", admin_user)
    assert any(
        b.message.startswith("SAD_0002: review status is rejected") for b in release_blockers(benchmark=benchmark)
    )
    item_exclude(item_id=rejected.pk, user=reviewer, reason="the key cannot be fixed")
    assert not any("SAD_0002" in b.message for b in release_blockers(benchmark=benchmark))


# --- every item of a filter ---------------------------------------------------------------------


@pytest.fixture
def mixed(make_item, admin_user, reviewer):
    """SAD_0001/2 accepted, SAD_0003 excluded, SAD_0004 in review, FMAR_0001 accepted (another task)."""
    items = {
        "SAD_0001": moved_to(make_item("SAD_0001"), "accepted", admin_user),
        "SAD_0002": moved_to(make_item("SAD_0002"), "accepted", admin_user),
        "SAD_0003": moved_to(make_item("SAD_0003"), "excluded", admin_user),
        "SAD_0004": moved_to(make_item("SAD_0004"), "in_review", admin_user),
        "FMAR_0001": moved_to(make_item("FMAR_0001", task="FMAR"), "accepted", admin_user),
    }
    return items


def test_a_bulk_exclusion_moves_every_matching_item_and_records_one_event_each(
    benchmark, mixed, reviewer, events_during
):
    with events_during() as events:
        outcome = items_exclude(benchmark=benchmark, user=reviewer, reason="SAD is redone", filters={"tasks": ["SAD"]})
    assert outcome.moved == ["SAD_0001", "SAD_0002"]
    assert dict(outcome.refused) == {
        "excluded already": ["SAD_0003"],
        "in review: exclude it once the reviews of its clip are in": ["SAD_0004"],
    }
    assert outcome.summary() == (
        "2 questions excluded; not changed: 1 excluded already (SAD_0003); "
        "1 in review: exclude it once the reviews of its clip are in (SAD_0004)."
    )
    by_item = {mixed[qid].pk: qid for qid in mixed}
    assert [(by_item[e.target_id], e.event_type, e.actor_user) for e in events] == [
        ("SAD_0001", "status_changed", reviewer),
        ("SAD_0002", "status_changed", reviewer),
        ("SAD_0003", "refused", reviewer),
        ("SAD_0004", "refused", reviewer),
    ]
    assert {e.reason for e in events[:2]} == {"SAD is redone"}
    assert status_of(mixed["FMAR_0001"]) == "accepted"


def test_a_bulk_move_is_one_transaction(benchmark, mixed, reviewer, monkeypatch):
    calls = []
    real = exclusions.review_status_set

    def fail_on_the_second(**kwargs):
        calls.append(kwargs["pk"])
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real(**kwargs)

    monkeypatch.setattr(exclusions, "review_status_set", fail_on_the_second)
    events = AuditEvent.objects.count()
    with pytest.raises(RuntimeError):
        items_exclude(benchmark=benchmark, user=reviewer, reason="r", filters={"statuses": ["accepted"]})
    assert len(calls) == 2 and AuditEvent.objects.count() == events
    assert status_of(mixed["SAD_0001"]) == "accepted"


def test_a_bulk_inclusion_includes_the_excluded_and_names_the_rest(benchmark, mixed, reviewer):
    outcome = items_include(benchmark=benchmark, user=reviewer, reason="all back", filters={"tasks": ["SAD"]})
    assert outcome.moved == ["SAD_0003"] and status_of(mixed["SAD_0003"]) == "imported"
    assert sorted(qid for qids in outcome.refused.values() for qid in qids) == ["SAD_0001", "SAD_0002", "SAD_0004"]


def test_a_bulk_move_needs_a_reason_and_leaves_clips_held_blind_alone(benchmark, accepted, held_blind, reviewer):
    with pytest.raises(InvalidInput) as refused:
        items_exclude(benchmark=benchmark, user=reviewer, reason=" ")
    assert refused.value.field == "reason"
    outcome = items_exclude(benchmark=benchmark, user=reviewer, reason="all of it")
    assert outcome.moved == ["SAD_0001"] and not outcome.refused
    assert status_of(held_blind) == "imported"
    assert not AuditEvent.objects.filter(target_kind="qaitem", target_id=held_blind.pk, actor_user=reviewer).exists()


# --- the API ------------------------------------------------------------------------------------


def test_the_api_excludes_and_includes_with_a_reason(as_role, accepted):
    client = as_role("reviewer")
    response = client.post(f"/api/items/{accepted.pk}/exclude/", {"reason": "duplicate", "version": accepted.version})
    assert response.status_code == 200
    body = response.json()
    assert (body["qid"], body["review_status"], body["version"]) == ("SAD_0001", "excluded", accepted.version + 1)
    again = client.post(f"/api/items/{accepted.pk}/exclude/", {"reason": "again"})
    assert again.status_code == 409 and again.json()["code"] == "StatusMoveRefused"
    assert again.json()["detail"] == "SAD_0001 is excluded already"
    stale = client.post(f"/api/items/{accepted.pk}/include/", {"reason": "back", "version": accepted.version})
    assert stale.status_code == 409 and stale.json()["code"] == "EditConflict"
    included = client.post(f"/api/items/{accepted.pk}/include/", {"reason": "back"}, content_type="application/json")
    assert included.status_code == 200 and included.json()["review_status"] == "imported"


def test_the_api_names_the_missing_reason_and_refuses_annotators(as_role, client, accepted):
    reviewer = as_role("reviewer")
    for data in ({}, {"reason": "  "}):
        response = reviewer.post(f"/api/items/{accepted.pk}/exclude/", data)
        assert response.status_code == 400 and "reason" in response.json()
    assert reviewer.post(f"/api/items/{accepted.pk}/exclude/", {"reason": "r", "version": "x"}).status_code == 400
    client.logout()
    assert as_role("annotator").post(f"/api/items/{accepted.pk}/exclude/", {"reason": "r"}).status_code == 403
    assert status_of(accepted) == "accepted"


def test_the_api_answers_404_for_a_clip_held_blind_and_for_no_item(client, held_blind, reviewer):
    client.force_login(reviewer)
    assert client.post(f"/api/items/{held_blind.pk}/exclude/", {"reason": "peek"}).status_code == 404
    assert client.post("/api/items/999999/include/", {"reason": "r"}).status_code == 404
    assert status_of(held_blind) == "imported"


def test_the_schema_documents_the_actions(as_role):
    response = as_role("reviewer").get("/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"})
    schema = json.loads(response.content)
    for name in ("exclude", "include"):
        operation = schema["paths"][f"/api/items/{{id}}/{name}/"]["post"]
        assert set(operation["responses"]) >= {"200", "400", "403", "404", "409"}
        body = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert body.endswith("/ItemStatusChange")
