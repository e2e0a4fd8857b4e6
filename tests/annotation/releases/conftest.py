import pytest

from annotation.models import QAItem
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set


def _accept(item: QAItem, user) -> QAItem:
    for status in ("in_review", "accepted"):
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(user), expected_version=item.version
        )
    return item


@pytest.fixture
def accepted_items(make_item, reviewer):
    items = [make_item(f"SAD_{n:04d}", answer="Yes" if n % 2 else "No") for n in range(1, 5)]
    items.append(make_item("FMAR_0001", task="FMAR"))
    return [_accept(item, reviewer) for item in items]


@pytest.fixture
def accept():
    """Takes an item through review to accepted: ``accept(item, user)``."""
    return _accept
