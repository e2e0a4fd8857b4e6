"""The app's PostgreSQL role (create_app_role): reads and appends, never rewrites the append-only tables.

The role is cluster-wide, so each test makes one with a unique name and drops it at the
end; the tests commit (transactional) so that the role's own connection sees the rows.
"""

import secrets

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from annotation.audit.append_only import APPEND_ONLY_TABLES
from annotation.models import AuditEvent, QAItem, Release
from annotation.services.audited_writes import Actor
from annotation.services.content import review_status_set
from annotation.services.releases import release_create

pytestmark = pytest.mark.postgresql

PASSWORD_VARIABLE = "MABENCH_TEST_APP_ROLE_PASSWORD"


@pytest.fixture
def app_role(monkeypatch):
    """A unique role name, with its password in the environment; the role is dropped afterwards."""
    name, password = f"mabench_test_app_{secrets.token_hex(4)}", secrets.token_urlsafe(16)
    monkeypatch.setenv(PASSWORD_VARIABLE, password)
    yield name, password
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{name}"')
            cursor.execute(f'DROP ROLE "{name}"')


@pytest.fixture
def released(benchmark, make_item, reviewer, admin_user):
    item = make_item("SAD_0001")
    for status in ("in_review", "accepted"):
        item = review_status_set(
            model=QAItem, pk=item.pk, status=status, actor=Actor.person(reviewer), expected_version=item.version
        )
    return release_create(benchmark=benchmark, tag="v1", user=admin_user)


def connect_as(role: str, password: str) -> psycopg.Connection:
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=role,
        password=password,
        autocommit=True,
    )


def create_app_role(name: str) -> None:
    call_command("create_app_role", name, "--password-env", PASSWORD_VARIABLE)


def refused(app: psycopg.Connection, statement: str, match: str) -> None:
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match=match):
        app.execute(statement)


@pytest.mark.django_db(transaction=True)
def test_the_app_role_reads_and_appends_but_cannot_rewrite_or_unguard(released, app_role):
    name, password = app_role
    create_app_role(name)
    events = AuditEvent.objects.count()
    with connect_as(name, password) as app:
        assert app.execute("SELECT count(*) FROM annotation_auditevent").fetchone() == (events,)
        (event_id,) = app.execute(
            "INSERT INTO annotation_auditevent (at, actor_source, event_type, target_kind, target_id, reason)"
            " VALUES (now(), 'app-role-test', 'imported', 'benchmark', 1, '') RETURNING id"
        ).fetchone()
        assert app.execute("SELECT nextval(pg_get_serial_sequence('annotation_releaseitem', 'id'))").fetchone()[0] > 0
        assert app.execute("UPDATE annotation_qaitem SET version = version").rowcount == 1  # ordinary tables: writable
        assert {"annotation_auditevent", "annotation_release", "annotation_releaseitem"} <= set(APPEND_ONLY_TABLES)
        for table in APPEND_ONLY_TABLES:
            for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table}"):
                refused(app, statement, f"permission denied for table {table}")
        refused(app, "TRUNCATE annotation_qaitem", "permission denied for table annotation_qaitem")
        refused(
            app,
            "ALTER TABLE annotation_auditevent DISABLE TRIGGER annotation_auditevent_append_only",
            "must be owner of table annotation_auditevent",
        )
        refused(
            app,
            "SET session_replication_role = replica",
            'permission denied to set parameter "session_replication_role"',
        )
        refused(app, "CREATE TABLE annotation_owned_by_app (id int)", "permission denied for schema public")
    assert AuditEvent.objects.filter(pk=event_id, actor_source="app-role-test").exists()
    assert AuditEvent.objects.count() == events + 1 and Release.objects.get().items.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rerun_takes_back_grants_made_by_hand_and_later_tables_are_usable_at_once(db, app_role, capsys):
    name, password = app_role
    create_app_role(name)
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE, TRUNCATE ON annotation_auditevent TO "{name}"')
    create_app_role(name)
    assert capsys.readouterr().out.count(f"role {name}:") == 2
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'annotation_auditevent', 'UPDATE'),"
            " has_table_privilege(%s, 'annotation_auditevent', 'TRUNCATE')",
            [name, name],
        )
        assert cursor.fetchone() == (False, False)
        cursor.execute("CREATE TABLE annotation_created_later (id int)")  # as a later migrate would, by the owner
    try:
        with connect_as(name, password) as app:
            app.execute("INSERT INTO annotation_created_later VALUES (1)")
            assert app.execute("SELECT count(*) FROM annotation_created_later").fetchone() == (1,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE annotation_created_later")


def test_a_role_with_powers_a_member_of_the_owner_or_the_owner_itself_is_refused(db, app_role):
    name, _ = app_role
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
        cursor.execute(f'CREATE ROLE "{name}" LOGIN CREATEDB')
    with pytest.raises(CommandError, match=f"role {name} has CREATEDB; an app role must not"):
        create_app_role(name)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER ROLE "{name}" NOCREATEDB')
        cursor.execute(f'GRANT "{owner}" TO "{name}"')
    with pytest.raises(CommandError, match=f"role {name} is a member of {owner}, the owner of the tables"):
        create_app_role(name)
    with pytest.raises(CommandError, match=f"{owner} is the role running this command"):
        call_command("create_app_role", owner)


def test_the_command_is_refused_on_sqlite(db, monkeypatch):
    monkeypatch.setattr(connections["default"], "vendor", "sqlite")
    with pytest.raises(CommandError, match="create_app_role is for PostgreSQL; this database is sqlite"):
        call_command("create_app_role", "mabench_app")
