"""The append-only tables and the PostgreSQL triggers that keep them so.

A row trigger refuses UPDATE and DELETE; a statement trigger refuses TRUNCATE (row
triggers do not fire on it). The owner of a table can still disable its triggers, so
the site runs as a role that owns nothing and may only SELECT and INSERT here
(``annotation.services.database_roles``, the ``create_app_role`` command).

``APPEND_ONLY_TABLES`` is the one list: the TRUNCATE migration (0015) and the app
role's grants read it. A table that becomes append-only later is added here and gets
both triggers (``append_only_sql``) in the migration that creates it.
"""

APPEND_ONLY_TABLES = (
    "annotation_auditevent",
    "annotation_release",
    "annotation_releaseitem",
    "annotation_releaseclip",
    "review_blindanswer",  # a person's answer from the video, written once (review migration 0005)
)

FUNCTION = "annotation_refuse_change"

FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def trigger_sql(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {FUNCTION}();
"""


def drop_trigger_sql(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"


def truncate_trigger_sql(table: str) -> str:
    return f"""
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}();
"""


def drop_truncate_trigger_sql(table: str) -> str:
    return f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"


def append_only_sql(table: str) -> tuple[str, str]:
    """Both triggers, for a table made append-only in the migration that creates it."""
    return trigger_sql(table), truncate_trigger_sql(table)


def run_on_postgresql(*statements: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run
