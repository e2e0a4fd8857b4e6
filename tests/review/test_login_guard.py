"""Logins are throttled (django-axes) and every person can change their own password.

Failures are counted per client address and per username (``AXES_LOCKOUT_PARAMETERS``); at
``AXES_FAILURE_LIMIT`` the address or the username is refused with the lockout page (429),
even with the right password, until the cool-off ends. A success before the limit resets
the count.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from annotation.models import AuditEvent

PASSWORD = "pw-for-tests-1"  # tests/conftest.py make_user
LIMIT = settings.AXES_FAILURE_LIMIT
LOGIN_PAGES = ("login", "admin:login")


def _login(client: Client, page: str, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse(page), {"username": username, "password": password}, REMOTE_ADDR=address)


def _logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


@pytest.mark.parametrize("page", LOGIN_PAGES)
def test_at_the_limit_the_right_password_is_refused_with_the_lockout_page(page, admin_user):
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, page, "admin", "wrong").status_code == 200  # the form again, with its error
    locked = _login(client, page, "admin", "wrong")
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    right = _login(client, page, "admin", PASSWORD)
    assert right.status_code == 429 and not _logged_in(client)


def test_a_username_is_locked_from_any_address(annotator):
    client = Client()
    for n in range(LIMIT):
        _login(client, "login", "annotator", "wrong", address=f"10.0.1.{n}")
    assert _login(client, "login", "annotator", PASSWORD, address="10.0.2.1").status_code == 429
    assert not _logged_in(client)


def test_an_address_is_locked_for_every_username(annotator, reviewer):
    client = Client()
    for n in range(LIMIT):
        _login(client, "login", f"nobody-{n}", "wrong", address="10.0.3.1")
    assert _login(client, "login", "reviewer", PASSWORD, address="10.0.3.1").status_code == 429
    other = Client()
    assert _login(other, "login", "reviewer", PASSWORD, address="10.0.3.2").status_code == 302
    assert _logged_in(other)


def test_a_success_before_the_limit_resets_the_count(annotator):
    client = Client()
    for _ in range(LIMIT - 1):
        _login(client, "login", "annotator", "wrong")
    assert _login(client, "login", "annotator", PASSWORD).status_code == 302
    client.logout()
    for _ in range(LIMIT - 1):
        _login(client, "login", "annotator", "wrong")
    assert _login(client, "login", "annotator", PASSWORD).status_code == 302


def test_after_the_cool_off_the_right_password_works_again(annotator):
    client = Client()
    for _ in range(LIMIT):
        _login(client, "login", "annotator", "wrong")
    assert _login(client, "login", "annotator", PASSWORD).status_code == 429
    past = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= past
        attempt.save(update_fields=["attempt_time"])
    assert _login(client, "login", "annotator", PASSWORD).status_code == 302
    assert _logged_in(client)


def _change(client: Client, old: str, new: str, repeat: str | None = None):
    return client.post(
        reverse("password-change"),
        {"old_password": old, "new_password1": new, "new_password2": new if repeat is None else repeat},
    )


@pytest.mark.parametrize("role", ["annotator", "reviewer", "admin_user"])
def test_every_role_changes_its_password_and_stays_logged_in(role, request):
    user = request.getfixturevalue(role)
    client, elsewhere = Client(), Client()
    client.force_login(user)
    elsewhere.force_login(user)
    response = _change(client, PASSWORD, "a-new-long-passphrase-7")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    user.refresh_from_db()
    assert user.check_password("a-new-long-passphrase-7")
    assert client.get(reverse("home")).status_code == 200  # this session kept
    assert elsewhere.get(reverse("home")).status_code == 302  # the other session ended
    [event] = AuditEvent.objects.filter(event_type=AuditEvent.EventType.PASSWORD_CHANGED)
    assert (event.actor_user_id, event.target_id, event.after) == (user.pk, user.pk, {"password": "changed"})
    assert "pbkdf2" not in str(event.after) + str(event.before)


@pytest.mark.parametrize(
    ("old", "new", "repeat", "field"),
    [
        ("wrong", "a-new-long-passphrase-7", None, "id_old_password-error"),
        (PASSWORD, "a-new-long-passphrase-7", "something-else-7", "id_new_password2-error"),
        (PASSWORD, "123", None, "id_new_password2-error"),  # too short and numeric
    ],
)
def test_a_refused_change_names_the_field_and_changes_nothing(annotator, old, new, repeat, field):
    client = Client()
    client.force_login(annotator)
    response = _change(client, old, new, repeat)
    assert response.status_code == 400
    assert f'id="{field}"'.encode() in response.content
    annotator.refresh_from_db()
    assert annotator.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(event_type=AuditEvent.EventType.PASSWORD_CHANGED).exists()
