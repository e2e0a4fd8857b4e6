"""Every human and admin action on the human side leaves exactly one audit event of the one shape,
through its real caller: queues on the queue admin pages, roles in the Django admin, hand scores
on the review page. A refused role change is recorded although its transaction rolled back."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotation.models import BaselineRun, Prediction, QAItem
from annotation.services.audited_writes import Actor
from review.models import Queue, QueueSlot, User
from review.services import user_create, user_role_set
from review.services.claims import claim_next
from review.services.queues import queue_create
from review.services.users import RoleChangeRefused


@pytest.fixture
def clips(make_clip):
    """Three clips, each with a SAD (comprehension) and an FMAR (perception) question."""
    return [
        make_clip(f"take_{n:03d}", {f"SAD_{n:04d}": ("SAD", "Yes"), f"FMAR_{n:04d}": ("FMAR", "A")})[0]
        for n in range(3)
    ]


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def shape(event) -> tuple:
    return (
        event.actor_user,
        event.actor_source,
        event.event_type,
        event.target_kind,
        event.target_id,
        event.before,
        event.after,
    )


# Queues


def test_a_queue_made_on_its_page_is_one_event_with_its_settings_filters_annotators_and_slots(
    admin_client, admin_user, benchmark, clips, annotator, events_during
):
    with events_during() as events:
        admin_client.post(
            reverse("queue-new", args=[benchmark.pk]),
            {
                "name": "FMAR check",
                "stage": "verification",
                "tasks": ["FMAR"],
                "clips": "take_001, take_002",
                "annotators": [annotator.pk],
                "overlap": 2,
                "overlap_sample_percent": 100,
                "blind": "on",
                "lease_seconds": 900,
                "order": "clip",
            },
        )
    queue = Queue.objects.get(name="FMAR check")
    assert [shape(e) for e in events] == [
        (
            admin_user,
            "",
            "queue_created",
            "queue",
            queue.pk,
            None,
            {
                "benchmark_id": benchmark.pk,
                "name": "FMAR check",
                "stage": "verification",
                "filters": {"tasks": ["FMAR"], "clips": ["take_001", "take_002"]},
                "overlap": 2,
                "overlap_sample_percent": 100,
                "blind": True,
                "scoped": True,  # a task filter: the queue serves the FMAR questions of its clips
                "lease_seconds": 900,
                "order": "clip",
                "paused": False,
                "annotators": ["annotator"],
                "slot_count": 4,
                "scope_questions": 2,
            },
        )
    ]


def test_bulk_creation_on_its_page_is_one_event_per_queue(admin_client, admin_user, benchmark, clips, events_during):
    with events_during() as events:
        admin_client.post(
            reverse("queue-bulk-new", args=[benchmark.pk]),
            {
                "name_prefix": "tiered",
                "split_by": "tier",
                "stage": "first_pass",
                "overlap": 1,
                "overlap_sample_percent": 100,
                "lease_seconds": 1800,
                "order": "flagged_first",
            },
        )
    queues = {q.pk: q for q in Queue.objects.all()}
    assert len(queues) == 2 and sorted(e.target_id for e in events) == sorted(queues)
    for event in events:
        queue = queues[event.target_id]
        assert (event.actor_user, event.event_type, event.target_kind, event.before) == (
            admin_user,
            "queue_created",
            "queue",
            None,
        )
        assert (event.after["name"], event.after["filters"], event.after["slot_count"]) == (
            queue.name,
            queue.filters,
            queue.slots.count(),
        )


def test_pausing_and_resuming_on_the_manage_page_are_one_event_each_and_a_repeat_none(
    admin_client, admin_user, benchmark, clips, events_during
):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user)
    url = reverse("queue-pause", args=[queue.pk])
    with events_during() as paused:
        admin_client.post(url, {"paused": "1"})
    with events_during() as repeated:
        admin_client.post(url, {"paused": "1"})
    with events_during() as resumed:
        admin_client.post(url, {"paused": "0"})
    assert [shape(e) for e in paused] == [
        (admin_user, "", "queue_changed", "queue", queue.pk, {"paused": False}, {"paused": True})
    ]
    assert repeated == [] and Queue.objects.get(pk=queue.pk).paused is False
    assert [shape(e) for e in resumed] == [
        (admin_user, "", "queue_changed", "queue", queue.pk, {"paused": True}, {"paused": False})
    ]


def test_reassigning_on_the_manage_page_records_the_people_before_and_after_and_the_claims_returned(
    admin_client, admin_user, benchmark, clips, make_user, events_during
):
    first, second = make_user(User.Role.ANNOTATOR, "first"), make_user(User.Role.ANNOTATOR, "second")
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[first])
    slot = claim_next(queue=queue, user=first)
    url = reverse("queue-annotators", args=[queue.pk])
    with events_during() as events:
        admin_client.post(url, {"annotators": [second.pk]})
    assert QueueSlot.objects.get(pk=slot.pk).claimed_by is None
    assert [shape(e) for e in events] == [
        (
            admin_user,
            "",
            "queue_changed",
            "queue",
            queue.pk,
            {"annotators": ["first"]},
            {"annotators": ["second"], "claims_returned": 1},
        )
    ]
    with events_during() as repeated:
        admin_client.post(url, {"annotators": [second.pk]})
    assert repeated == []


# Roles, through the Django admin


def add_user(client, **fields):
    data = {
        "username": "newcomer",
        "usable_password": "true",
        "password1": "a-long-pass-4711",
        "password2": "a-long-pass-4711",
        "_save": "Save",
    } | fields
    return client.post(reverse("admin:review_user_add"), data)


def change_user(client, user, **fields):
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": user.role,
        "is_active": "on",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "09:00:00",
        "_save": "Save",
    } | fields
    return client.post(reverse("admin:review_user_change", args=[user.pk]), data)


@pytest.mark.parametrize("role, staff", [("admin", True), ("reviewer", False)])
def test_adding_a_user_in_the_django_admin_is_one_role_event_and_is_staff_follows_the_role(
    admin_client, admin_user, role, staff, events_during
):
    with events_during() as events:
        response = add_user(admin_client, role=role, is_superuser="on", is_staff="" if staff else "on")
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newcomer")
    assert (user.role, user.is_staff, user.is_superuser) == (role, staff, False)
    assert user.check_password("a-long-pass-4711")
    assert [shape(e) for e in events] == [
        (admin_user, "", "role_changed", "user", user.pk, None, {"role": role, "is_staff": staff})
    ]


def test_changing_a_role_in_the_django_admin_is_one_event_and_staff_and_superuser_are_not_posted_through(
    admin_client, admin_user, annotator, events_during
):
    page = admin_client.get(reverse("admin:review_user_change", args=[annotator.pk])).content.decode()
    assert 'name="role"' in page
    assert not any(f'name="{field}"' in page for field in ("is_staff", "is_superuser", "groups", "user_permissions"))
    with events_during() as promoted:
        response = change_user(admin_client, annotator, role="admin", is_superuser="on", user_permissions=["1"])
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(pk=annotator.pk)
    assert (user.role, user.is_staff, user.is_superuser, user.user_permissions.count()) == ("admin", True, False, 0)
    assert [shape(e) for e in promoted] == [
        (
            admin_user,
            "",
            "role_changed",
            "user",
            user.pk,
            {"role": "annotator", "is_staff": False},
            {"role": "admin", "is_staff": True},
        )
    ]
    with events_during() as demoted:
        change_user(admin_client, user, role="reviewer", is_staff="on")
    user.refresh_from_db()
    assert (user.role, user.is_staff) == ("reviewer", False)
    assert [(e.event_type, e.before, e.after) for e in demoted] == [
        ("role_changed", {"role": "admin", "is_staff": True}, {"role": "reviewer", "is_staff": False})
    ]


def test_editing_other_fields_in_the_django_admin_records_no_role_event(admin_client, annotator, events_during):
    with events_during() as events:
        response = change_user(admin_client, annotator, email="someone@example.org")
    assert response.status_code == 302 and User.objects.get(pk=annotator.pk).email == "someone@example.org"
    assert events == []


def test_a_role_change_by_someone_not_an_admin_is_refused_and_the_refusal_recorded(reviewer, annotator, events_during):
    with (
        events_during() as events,
        pytest.raises(RoleChangeRefused, match="reviewer may not change the role of annotator: only admins"),
    ):
        user_role_set(user=annotator, role=User.Role.ADMIN, by=reviewer)
    assert User.objects.get(pk=annotator.pk).role == "annotator"
    [event] = events
    assert shape(event) == (
        reviewer,
        "",
        "refused",
        "user",
        annotator.pk,
        {"role": "annotator", "is_staff": False},
        {"role": "admin"},
    )
    assert "only admins" in event.reason


def test_a_user_made_by_a_machine_source_names_that_source(events_during):
    with events_during() as events:
        user = user_create(
            username="seeded", password="pw-for-tests-1", role=User.Role.REVIEWER, by=Actor.machine("seed_demo")
        )
    assert [shape(e) for e in events] == [
        (None, "seed_demo", "role_changed", "user", user.pk, None, {"role": "reviewer", "is_staff": False})
    ]


# Hand scores, on the review page


def test_a_hand_score_on_the_review_page_is_one_scored_event_with_the_scores_before_and_after(
    answered_clip, benchmark, annotator, events_during
):
    client, slot = answered_clip
    madu = QAItem.objects.get(qid="MADU_0001")
    run = BaselineRun.objects.create(benchmark=benchmark, name="vlm-a", predictor="external", settings_hash="x")
    prediction = Prediction.objects.create(
        run=run, item=madu, item_version=madu.version, outcome="parsed", parsed_answer="The head nods."
    )
    url = reverse("review-score", args=[slot.pk, prediction.pk])
    first_scores = {"judge": "human:annotator", "l1": 4, "l2": 2, "l3": 3, "reasoning": ""}
    with events_during() as first:
        assert client.post(url, {"l1": "4", "l2": "2", "l3": "3"}).status_code == 200
    with events_during() as again:
        assert client.post(url, {"l1": "5", "l2": "2", "l3": "3"}).status_code == 200
    with events_during() as same:
        client.post(url, {"l1": "5", "l2": "2", "l3": "3"})
    with events_during() as bad:
        assert client.post(url, {"l1": "5", "l2": "9", "l3": "3"}).status_code == 400
    assert [shape(e) for e in first] == [(annotator, "", "scored", "prediction", prediction.pk, None, first_scores)]
    assert [shape(e) for e in again] == [
        (annotator, "", "scored", "prediction", prediction.pk, first_scores, first_scores | {"l1": 5})
    ]
    assert same == [] and bad == []


def test_the_trail_still_replays_after_these_actions(admin_client, admin_user, benchmark, clips, annotator, reviewer):
    queue = queue_create(benchmark=benchmark, name="q", created_by=admin_user, annotators=[annotator])
    admin_client.post(reverse("queue-pause", args=[queue.pk]), {"paused": "1"})
    change_user(admin_client, annotator, role="reviewer")
    with pytest.raises(RoleChangeRefused):
        user_role_set(user=admin_user, role=User.Role.ANNOTATOR, by=reviewer)
    call_command("verify_audit_trail")
