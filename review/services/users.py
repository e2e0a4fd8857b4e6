"""Writes on the human side: users and their roles.

A role is set only here: ``is_staff`` (the Django admin) follows it, admins get it and no one
else; ``is_superuser`` is never granted. Each new user and each change of role is one
``role_changed`` audit event (target: the user; before/after: role and is_staff; before is
None for a new user). A new password is one ``password_changed`` event that says only that it changed.
"""

from __future__ import annotations

from django.db import transaction

from annotation.errors import InvalidInput, Refused
from annotation.models import AuditEvent
from annotation.services.audited_writes import Actor, record_action, records_refusals
from review.models import User


class RoleChangeRefused(Refused):
    """Someone who is not an admin tried to change a role."""


def _role_state(user: User) -> dict:
    return {"role": user.role, "is_staff": user.is_staff}


def _role_recorded(*, user: User, by: Actor, before: dict | None) -> None:
    record_action(
        actor=by,
        event_type=AuditEvent.EventType.ROLE_CHANGED,
        target_kind=User.audit_kind,
        target_id=user.pk,
        before=before,
        after=_role_state(user),
    )


def user_create(*, username: str, password: str, role: str, by: Actor, email: str = "") -> User:
    """A user with a role; ``by`` is the admin (``Actor.person``) or the machine source (a seed, a test) creating it."""
    user = User(username=username, email=email, role=role)
    user.set_password(password)
    return user_add(user=user, by=by)


@transaction.atomic
def user_add(*, user: User, by: Actor) -> User:
    """Save a new ``user`` built elsewhere (the Django admin's add form sets its password) with the
    role it carries: is_staff follows the role, is_superuser stays off."""
    user.is_staff, user.is_superuser = user.role == User.Role.ADMIN, False
    user.full_clean()
    user.save(force_insert=True)
    _role_recorded(user=user, by=by, before=None)
    return user


@records_refusals
def user_role_set(*, user: User, role: str, by: User) -> User:
    """An admin gives ``user`` another role; returns the user as saved. Setting the role it has records nothing."""
    if role not in User.Role.values:
        raise InvalidInput(f"unknown role {role!r}; expected one of {', '.join(User.Role.values)}", field="role")
    with transaction.atomic():
        locked = User.objects.select_for_update(no_key=True).get(pk=user.pk)
        if not by.is_admin_role:
            raise RoleChangeRefused(
                f"{by.username} may not change the role of {locked.username}: only admins do"
            ).recording(
                actor=Actor.person(by),
                target_kind=User.audit_kind,
                target_id=locked.pk,
                before=_role_state(locked),
                after={"role": role},
            )
        before = _role_state(locked)
        locked.role, locked.is_staff = role, role == User.Role.ADMIN
        if _role_state(locked) != before:
            locked.save(update_fields=["role", "is_staff"])
            _role_recorded(user=locked, by=Actor.person(by), before=before)
    return locked


@transaction.atomic
def user_password_set(*, user: User, password: str, by: Actor) -> User:
    """A new password for ``user`` (already validated by the form that asked for it)."""
    if not password:
        raise InvalidInput("password: a password is required", field="password")
    user.set_password(password)
    user.save(update_fields=["password"])
    record_action(
        actor=by,
        event_type=AuditEvent.EventType.PASSWORD_CHANGED,
        target_kind=User.audit_kind,
        target_id=user.pk,
        before=None,
        after={"password": "changed"},
    )
    return user
