"""Every human and admin action on the human side leaves exactly one audit event of the one shape,
through its real caller: roles in the Django admin. A refused role change is recorded although its
transaction rolled back."""

import pytest
from django.urls import reverse

from annotation.services.audited_writes import Actor
from review.models import User
from review.services import user_create, user_role_set
from review.services.users import RoleChangeRefused


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def shape(event) -> tuple:
    return (event.actor_user, event.actor_source, event.event_type, event.target_kind, event.target_id, event.before,
            event.after)  # fmt: skip


# Roles, through the Django admin


def add_user(client, **fields):
    data = {"username": "newcomer", "usable_password": "true", "password1": "a-long-pass-4711",
            "password2": "a-long-pass-4711", "_save": "Save"} | fields  # fmt: skip
    return client.post(reverse("admin:review_user_add"), data)


def change_user(client, user, **fields):
    data = {"username": user.username, "first_name": user.first_name, "last_name": user.last_name, "email": user.email,
            "role": user.role, "is_active": "on", "date_joined_0": "2026-12-01", "date_joined_1": "09:00:00",
            "_save": "Save"} | fields  # fmt: skip
    return client.post(reverse("admin:review_user_change", args=[user.pk]), data)


@pytest.mark.parametrize("role, staff", [("admin", True), ("reviewer", False)])
def test_adding_a_user_in_the_django_admin_is_one_role_event_and_is_staff_follows_the_role(
        admin_client, admin_user, role, staff, events_during):  # fmt: skip
    with events_during() as events:
        response = add_user(admin_client, role=role, is_superuser="on", is_staff="" if staff else "on")
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(username="newcomer")
    assert (user.role, user.is_staff, user.is_superuser) == (role, staff, False)
    assert user.check_password("a-long-pass-4711")
    assert [shape(e) for e in events] == [(admin_user, "", "role_changed", "user", user.pk, None,
                                           {"role": role, "is_staff": staff})]  # fmt: skip


def test_changing_a_role_in_the_django_admin_is_one_event_and_staff_and_superuser_are_not_posted_through(
        admin_client, admin_user, annotator, events_during):  # fmt: skip
    page = admin_client.get(reverse("admin:review_user_change", args=[annotator.pk])).content.decode()
    assert 'name="role"' in page
    assert not any(f'name="{field}"' in page for field in ("is_staff", "is_superuser", "groups", "user_permissions"))
    with events_during() as promoted:
        response = change_user(admin_client, annotator, role="admin", is_superuser="on", user_permissions=["1"])
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(pk=annotator.pk)
    assert (user.role, user.is_staff, user.is_superuser, user.user_permissions.count()) == ("admin", True, False, 0)
    assert [shape(e) for e in promoted] == [(admin_user, "", "role_changed", "user", user.pk,
                                             {"role": "annotator", "is_staff": False}, {"role": "admin", "is_staff": True})]  # fmt: skip
    with events_during() as demoted:
        change_user(admin_client, user, role="reviewer", is_staff="on")
    user.refresh_from_db()
    assert (user.role, user.is_staff) == ("reviewer", False)
    assert [(e.event_type, e.before, e.after) for e in demoted] == [
        ("role_changed", {"role": "admin", "is_staff": True}, {"role": "reviewer", "is_staff": False})]  # fmt: skip


def test_editing_other_fields_in_the_django_admin_records_no_role_event(admin_client, annotator, events_during):
    with events_during() as events:
        response = change_user(admin_client, annotator, email="someone@example.org")
    assert response.status_code == 302 and User.objects.get(pk=annotator.pk).email == "someone@example.org"
    assert events == []


def test_a_role_change_by_someone_not_an_admin_is_refused_and_the_refusal_recorded(reviewer, annotator, events_during):
    with events_during() as events:
        with pytest.raises(RoleChangeRefused, match="reviewer may not change the role of annotator: only admins"):
            user_role_set(user=annotator, role=User.Role.ADMIN, by=reviewer)
    assert User.objects.get(pk=annotator.pk).role == "annotator"
    [event] = events
    assert shape(event) == (reviewer, "", "refused", "user", annotator.pk, {"role": "annotator", "is_staff": False},
                            {"role": "admin"})  # fmt: skip
    assert "only admins" in event.reason


def test_a_user_made_by_a_machine_source_names_that_source(events_during):
    with events_during() as events:
        user = user_create(username="seeded", password="pw-for-tests-1", role=User.Role.REVIEWER,
                           by=Actor.machine("seed_demo"))  # fmt: skip
    assert [shape(e) for e in events] == [(None, "seed_demo", "role_changed", "user", user.pk, None,
                                           {"role": "reviewer", "is_staff": False})]  # fmt: skip
