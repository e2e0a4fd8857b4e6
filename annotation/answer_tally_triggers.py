"""The triggers that keep ``AnswerTally`` (annotation/models/flags.py) in step with the QA item table.

Every insert, update or delete of items, through the ORM, a bulk insert, COPY or raw SQL, appends
rows of (benchmark, task, answer key, answer length, +n / -n); nothing is ever updated in place, so
two writers never wait on one tally row and a long transaction holds no lock an edit needs.
PostgreSQL: one statement-level trigger per event, summing its transition table (a 12,000-row COPY
appends a few hundred rows). SQLite has row triggers only: one or two rows per changed item, folded
by the next lint."""

from __future__ import annotations

TALLY = "annotation_answertally"
ITEMS = "annotation_qaitem"
EVENTS = ("insert", "update", "delete")
LENGTH_SQL = {"postgresql": "char_length", "sqlite": "length"}  # characters, as Python's len()


def bucket_columns(row: str, length: str) -> str:
    """The tally bucket of an item row (``row``: "", "NEW." or "OLD."), ``length`` the SQL length function."""
    key = f"CASE WHEN {length}({row}answer) <= 3 THEN {row}answer ELSE '' END"
    return f"{row}benchmark_id, {row}task, {key}, {length}({row}answer)"


POSTGRESQL_FUNCTION = f"""
CREATE OR REPLACE FUNCTION annotation_answer_tally_append() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items)
        SELECT {bucket_columns("", "char_length")}, count(*) FROM new_rows GROUP BY 1, 2, 3, 4;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items)
        SELECT {bucket_columns("", "char_length")}, -count(*) FROM old_rows GROUP BY 1, 2, 3, 4;
    ELSE
        INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items)
        SELECT b, t, k, l, sum(n) FROM (
            SELECT {bucket_columns("", "char_length")}, 1 FROM new_rows
            UNION ALL
            SELECT {bucket_columns("", "char_length")}, -1 FROM old_rows
        ) AS changed (b, t, k, l, n)
        GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0;
    END IF;
    RETURN NULL;
END $$;
"""

POSTGRESQL_TRIGGERS = {
    "insert": "AFTER INSERT ON {items} REFERENCING NEW TABLE AS new_rows",
    "update": "AFTER UPDATE ON {items} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "AFTER DELETE ON {items} REFERENCING OLD TABLE AS old_rows",
}

_COLUMNS = f"INSERT INTO {TALLY} (benchmark_id, task, answer_key, answer_length, items)"
SQLITE_TRIGGERS = {
    "insert": f"AFTER INSERT ON {ITEMS} BEGIN {_COLUMNS} VALUES ({bucket_columns('NEW.', 'length')}, 1); END",
    "update": (
        f"AFTER UPDATE OF benchmark_id, task, answer ON {ITEMS} "
        "WHEN OLD.benchmark_id IS NOT NEW.benchmark_id OR OLD.task IS NOT NEW.task OR OLD.answer IS NOT NEW.answer "
        f"BEGIN {_COLUMNS} VALUES ({bucket_columns('OLD.', 'length')}, -1), ({bucket_columns('NEW.', 'length')}, 1); END"
    ),
    "delete": f"AFTER DELETE ON {ITEMS} BEGIN {_COLUMNS} VALUES ({bucket_columns('OLD.', 'length')}, -1); END",
}

# The tally of the items already there, for the migration that adds the triggers.
BACKFILL = {
    vendor: f"{_COLUMNS} SELECT {bucket_columns('', length)}, count(*) FROM {ITEMS} GROUP BY 1, 2, 3, 4"
    for vendor, length in LENGTH_SQL.items()
}


def trigger_name(event: str) -> str:
    return f"annotation_qaitem_tally_{event}"


def create_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [POSTGRESQL_FUNCTION] + [
            f"CREATE TRIGGER {trigger_name(event)} {POSTGRESQL_TRIGGERS[event].format(items=ITEMS)} "
            "FOR EACH STATEMENT EXECUTE FUNCTION annotation_answer_tally_append()"
            for event in EVENTS
        ]
    if vendor == "sqlite":
        return [f"CREATE TRIGGER {trigger_name(event)} {SQLITE_TRIGGERS[event]}" for event in EVENTS]
    raise NotImplementedError(f"no answer tally triggers for {vendor}")


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {trigger_name(event)} ON {ITEMS}" for event in EVENTS] + [
            "DROP FUNCTION IF EXISTS annotation_answer_tally_append()"
        ]
    return [f"DROP TRIGGER IF EXISTS {trigger_name(event)}" for event in EVENTS]
