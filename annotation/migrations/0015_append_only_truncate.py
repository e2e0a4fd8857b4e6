"""On PostgreSQL the append-only tables refuse TRUNCATE too (row triggers do not fire on it)."""

from django.db import migrations

from annotation.audit.append_only import APPEND_ONLY_TABLES, drop_truncate_trigger_sql, truncate_trigger_sql


def _existing_tables(schema_editor) -> list[str]:
    # A table that joins APPEND_ONLY_TABLES later does not exist yet on a fresh database;
    # the migration that creates it adds its triggers (append_only.append_only_sql).
    present = set(schema_editor.connection.introspection.table_names())
    return [table for table in APPEND_ONLY_TABLES if table in present]


def add_truncate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in _existing_tables(schema_editor):
            schema_editor.execute(truncate_trigger_sql(table), params=None)


def drop_truncate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in _existing_tables(schema_editor):
            schema_editor.execute(drop_truncate_trigger_sql(table), params=None)


class Migration(migrations.Migration):
    dependencies = [("annotation", "0014_audit_event_kinds")]

    operations = [migrations.RunPython(add_truncate_triggers, drop_truncate_triggers)]
