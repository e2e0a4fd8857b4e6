"""The demo logins, created through review's ``user_create`` (one ``role_changed`` event each,
recorded as made by the machine source ``seed_demo``)."""

from __future__ import annotations

from annotation.services.audited_writes import Actor
from review.models import User
from review.services.users import user_create

DEMO_SEED_SOURCE = "seed_demo"
DEMO_USERS = (
    ("admin", "demo-admin", User.Role.ADMIN),
    ("reviewer", "demo-reviewer", User.Role.REVIEWER),
    ("annotator", "demo-annotator", User.Role.ANNOTATOR),
)


def demo_users_ensure() -> list[tuple[str, str, str]]:
    """Create the demo logins that do not exist yet; return (username, password, role) of all."""
    for username, password, role in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(username=username, password=password, role=role, by=Actor.machine(DEMO_SEED_SOURCE))
    return [(u, p, str(r)) for u, p, r in DEMO_USERS]
