import pytest
from django.db import DatabaseError, connection, transaction

from annotation.models import AuditEvent

pytestmark = pytest.mark.postgresql


@pytest.fixture
def event(make_item):
    make_item("SAD_0001")
    return AuditEvent.objects.get(target_kind="qaitem")


def refused(statement, *params):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_the_database_refuses_update_and_delete_on_the_trail(event):
    assert connection.vendor == "postgresql"
    refused("UPDATE annotation_auditevent SET reason = 'rewritten' WHERE id = %s", event.pk)
    refused("DELETE FROM annotation_auditevent WHERE id = %s", event.pk)
    refused("UPDATE annotation_auditevent SET after = '{}'::jsonb")
    event.refresh_from_db()
    assert event.reason == "" and event.after["qid"] == "SAD_0001"


def test_the_orm_cannot_rewrite_the_trail_either(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, reason="").exists()


def test_appending_still_works(event):
    AuditEvent.objects.create(actor_source="gen", event_type="imported", target_kind="benchmark", target_id=1)
    assert AuditEvent.objects.count() >= 2
