"""On PostgreSQL the audit trail refuses UPDATE and DELETE at the database.

TRUNCATE stays possible for the table owner (the test runner empties tables
with it between transactional tests); production should run the site under a
role that does not own the tables.
"""

from django.db import migrations

FUNCTION = "annotation_auditevent_refuse_change"
TRIGGER = "annotation_auditevent_append_only"

INSTALL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'annotation_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER {TRIGGER}
    BEFORE UPDATE OR DELETE ON annotation_auditevent
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""

REMOVE = f"""
DROP TRIGGER IF EXISTS {TRIGGER} ON annotation_auditevent;
DROP FUNCTION IF EXISTS {FUNCTION}();
"""


def run_on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("annotation", "0002_initial")]

    operations = [migrations.RunPython(run_on_postgresql(INSTALL), run_on_postgresql(REMOVE))]
