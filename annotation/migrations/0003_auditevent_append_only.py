"""On PostgreSQL the audit trail refuses UPDATE and DELETE at the database."""

from django.db import migrations

from annotation.audit.append_only import FUNCTION, FUNCTION_SQL, drop_trigger_sql, run_on_postgresql, trigger_sql

TABLE = "annotation_auditevent"


class Migration(migrations.Migration):
    dependencies = [("annotation", "0002_initial")]

    operations = [
        migrations.RunPython(
            run_on_postgresql(FUNCTION_SQL, trigger_sql(TABLE)),
            run_on_postgresql(drop_trigger_sql(TABLE), f"DROP FUNCTION IF EXISTS {FUNCTION}();"),
        )
    ]
