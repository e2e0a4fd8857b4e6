"""The PostgreSQL role the site runs as: it logs in, owns nothing, and may only read and
append where a table is append-only.

Run as the role that owns the tables (the one that runs ``migrate``), again after each
``migrate``. The grants are stated afresh every time (everything revoked, then granted
in one transaction), so a rerun also takes back what was granted by hand since. Not
owning the tables, the app role cannot ``ALTER TABLE ... DISABLE TRIGGER``; without the
TRUNCATE privilege (granted nowhere) and without UPDATE and DELETE on the append-only
tables, it cannot rewrite them whatever the triggers do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql

from annotation.audit.append_only import APPEND_ONLY_TABLES
from annotation.domain.plurals import counted
from annotation.errors import DomainError

ORDINARY_PRIVILEGES = sql.SQL("SELECT, INSERT, UPDATE, DELETE")
SEQUENCE_PRIVILEGES = sql.SQL("USAGE, SELECT")
POWERS = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


class AppRoleRefused(DomainError):
    """The app role cannot be set up as asked; nothing was changed."""


@dataclass(frozen=True)
class AppRoleGrants:
    role: str
    created: bool
    database: str
    schema: str
    owner: str
    tables: int
    append_only: tuple[str, ...]
    sequences: int
    warnings: tuple[str, ...]


def app_role_grant(*, role: str, password: str | None = None) -> AppRoleGrants:
    """Create or update the login ``role`` and grant it exactly what the site needs."""
    if connection.vendor != "postgresql":
        raise AppRoleRefused(
            f"create_app_role is for PostgreSQL; this database is {connection.vendor}, which has no "
            "roles (the embedded default runs as the owner of its file): nothing was done"
        )
    with transaction.atomic(), connection.cursor() as cursor:
        database, schema, me = _one(cursor, "SELECT current_database(), current_schema(), current_user")
        if role == me:
            raise AppRoleRefused(
                f"{role} is the role running this command, which owns the tables; the site needs a role of its own"
            )
        owner = _append_only_owner(cursor, schema)
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        created = cursor.fetchone() is None
        if not created:
            _refuse_powerful_role(cursor, role, owner)
        _role_upsert(cursor, role, password, exists=not created)
        _grant(cursor, role=role, database=database, schema=schema, owner=owner)
        tables, sequences = _one(
            cursor,
            "SELECT (SELECT count(*) FROM pg_tables WHERE schemaname = %s), "
            "(SELECT count(*) FROM pg_sequences WHERE schemaname = %s)",
            [schema, schema],
        )
        warnings = _schema_warnings(cursor, role, schema)
    return AppRoleGrants(
        role=role,
        created=created,
        database=database,
        schema=schema,
        owner=owner,
        tables=tables,
        append_only=APPEND_ONLY_TABLES,
        sequences=sequences,
        warnings=warnings,
    )


def _one(cursor, query: str, params=None) -> tuple:
    cursor.execute(query, params)
    return cursor.fetchone()


def _run(cursor, statement: sql.Composable) -> None:
    cursor.execute(statement.as_string(connection.connection))


def _append_only_owner(cursor, schema: str) -> str:
    """The owner of the append-only tables, once they all carry both triggers (else: migrate first)."""
    cursor.execute(
        "SELECT c.relname, pg_get_userbyid(c.relowner), count(t.oid) FILTER (WHERE t.tgname = c.relname || '_append_only'),"
        " count(t.oid) FILTER (WHERE t.tgname = c.relname || '_no_truncate')"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND t.tgenabled <> 'D'"
        " WHERE n.nspname = %s AND c.relname = ANY(%s) GROUP BY c.relname, c.relowner",
        [schema, list(APPEND_ONLY_TABLES)],
    )
    found = {table: (owner, rows, truncate) for table, owner, rows, truncate in cursor.fetchall()}
    unguarded = [t for t in APPEND_ONLY_TABLES if t not in found or 0 in found[t][1:]]
    if unguarded:
        raise AppRoleRefused(
            f"{', '.join(unguarded)}: missing, or without its enabled append-only triggers; run "
            "`manage.py migrate` as the owner first"
        )
    owners = sorted({owner for owner, _, _ in found.values()})
    if len(owners) > 1:
        raise AppRoleRefused(f"the append-only tables belong to several roles ({', '.join(owners)}); migrate as one")
    return owners[0]


def _role_upsert(cursor, role: str, password: str | None, *, exists: bool) -> None:
    """Create ``role`` with LOGIN, or give the existing one LOGIN; set the password when one is given."""
    statement = sql.SQL("ALTER ROLE {} LOGIN" if exists else "CREATE ROLE {} LOGIN").format(sql.Identifier(role))
    if password is not None:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(password))
    _run(cursor, statement)


def _refuse_powerful_role(cursor, role: str, owner: str) -> None:
    """The app role must have no power beyond its grants: no role attributes, no objects, no owner's rights."""
    powers = _one(cursor, f"SELECT {', '.join(POWERS)} FROM pg_roles WHERE rolname = %s", [role])
    held = [attribute for attribute, has in zip(POWERS.values(), powers, strict=True) if has]
    if held:
        raise AppRoleRefused(
            f"role {role} has {', '.join(held)}; an app role must not (choose another name, or "
            f"ALTER ROLE {role} NO{' NO'.join(held)})"
        )
    (owned,) = _one(
        cursor,
        "SELECT count(*) FROM pg_shdepend WHERE deptype = 'o'"
        " AND refobjid = (SELECT oid FROM pg_roles WHERE rolname = %s)"
        " AND dbid IN (0, (SELECT oid FROM pg_database WHERE datname = current_database()))",
        [role],
    )
    if owned:
        raise AppRoleRefused(
            f"role {role} owns {counted(owned, 'object')}; an app role must own nothing (REASSIGN OWNED BY {role} TO {owner})"
        )
    (member,) = _one(cursor, "SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
    if member:
        raise AppRoleRefused(
            f"role {role} is a member of {owner}, the owner of the tables, so it could act as the owner "
            f"(REVOKE {owner} FROM {role})"
        )


def _grant(cursor, *, role: str, database: str, schema: str, owner: str) -> None:
    role_, schema_, owner_ = sql.Identifier(role), sql.Identifier(schema), sql.Identifier(owner)
    append_only = sql.SQL(", ").join(sql.Identifier(schema, table) for table in APPEND_ONLY_TABLES)
    statements = [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role_),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_, role_),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(schema_, role_),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema_, role_),
        sql.SQL("GRANT {} ON ALL TABLES IN SCHEMA {} TO {}").format(ORDINARY_PRIVILEGES, schema_, role_),
        sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(append_only, role_),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema_, role_),
        sql.SQL("GRANT {} ON ALL SEQUENCES IN SCHEMA {} TO {}").format(SEQUENCE_PRIVILEGES, schema_, role_),
        # Tables and sequences a later migrate creates: usable at once. A new append-only
        # table has its triggers from its migration; the rerun after migrate narrows its grants.
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON TABLES TO {}").format(
            owner_, schema_, ORDINARY_PRIVILEGES, role_
        ),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT {} ON SEQUENCES TO {}").format(
            owner_, schema_, SEQUENCE_PRIVILEGES, role_
        ),
    ]
    for statement in statements:
        _run(cursor, statement)


def _schema_warnings(cursor, role: str, schema: str) -> tuple[str, ...]:
    (can_create,) = _one(cursor, "SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
    if can_create:  # through PUBLIC, as on PostgreSQL before 15
        return (
            f"{role} may still create tables in schema {schema} through PUBLIC (and would own them); "
            f"run REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        )
    return ()
