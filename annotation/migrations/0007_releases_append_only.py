"""Releases are immutable: PostgreSQL refuses UPDATE and DELETE on their tables."""

from django.db import migrations

from annotation.audit.append_only import drop_trigger_sql, run_on_postgresql, trigger_sql

TABLES = ("annotation_release", "annotation_releaseitem")


class Migration(migrations.Migration):
    dependencies = [("annotation", "0006_releases")]

    operations = [
        migrations.RunPython(
            run_on_postgresql(*(trigger_sql(t) for t in TABLES)),
            run_on_postgresql(*(drop_trigger_sql(t) for t in TABLES)),
        )
    ]
