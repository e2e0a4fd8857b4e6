"""Writes on the human side: users and roles (queues and reviews come later)."""

from __future__ import annotations

from review.models import User

DEMO_USERS = (
    ("admin", "demo-admin", User.Role.ADMIN),
    ("reviewer", "demo-reviewer", User.Role.REVIEWER),
    ("annotator", "demo-annotator", User.Role.ANNOTATOR),
)


def user_create(*, username: str, password: str, role: str, email: str = "") -> User:
    """A user with a role; admins also get the Django admin (is_staff)."""
    user = User(username=username, email=email, role=role, is_staff=role == User.Role.ADMIN)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create the demo logins that do not exist yet; return (username, password, role) of all."""
    for username, password, role in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(username=username, password=password, role=role)
    return [(u, p, str(r)) for u, p, r in DEMO_USERS]
