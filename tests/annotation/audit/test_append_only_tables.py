"""Even the owner of the append-only tables cannot TRUNCATE them: a statement trigger refuses it."""

import pytest
from django.db import DatabaseError, connection, transaction

from annotation.audit.append_only import APPEND_ONLY_TABLES
from annotation.models import AuditEvent

pytestmark = pytest.mark.postgresql


def truncate(statement: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key check pending from the fixtures' inserts
        cursor.execute(statement)


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_the_owner_cannot_truncate_an_append_only_table(db, table):
    assert connection.vendor == "postgresql"
    with pytest.raises(DatabaseError, match=f"{table} is append-only: TRUNCATE refused"):
        truncate(f"TRUNCATE {table} CASCADE")  # CASCADE: a table others refer to is not refused for that


def test_a_cascading_truncate_stops_at_the_trail(make_item):
    make_item("SAD_0001")
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"):
        truncate("TRUNCATE annotation_benchmark CASCADE")  # the cascade reaches the release tables and the trail
    assert AuditEvent.objects.filter(target_kind="qaitem").exists()


def test_ordinary_tables_still_truncate(make_item):
    make_item("SAD_0001")
    truncate("TRUNCATE annotation_qualityflag")
