"""Insert many new rows at once: COPY on PostgreSQL, bulk_create elsewhere.

COPY with ids reserved from the table's sequence is several times faster than
Django's multi-row INSERT for the 12,000-row imports of a benchmark, and keeps
the primary keys on the objects as bulk_create does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

BATCH = 1000


def insert_many(model: type[models.Model], objs: Sequence[models.Model]) -> None:
    if not objs:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per value
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        return
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    for obj, pk in zip(objs, reserved_ids(model, len(objs)), strict=True):
        obj.pk = pk
    with connection.cursor() as cursor:
        # django-stubs types every field's column as str | None; a concrete field's is a str
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)  # type: ignore[arg-type]
        preparers = [_preparer(f, connection) for f in fields]
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([prepare(obj) for prepare in preparers])
    for obj in objs:
        obj._state.adding, obj._state.db = False, connection.alias


def insert_rows(
    model: type[models.Model], rows: Sequence[Mapping[str, Any]], *, same: Mapping[str, Any] | None = None
) -> list[int]:
    """Insert rows given as values by attribute name (a field left out takes its default), without building a
    model per row; returns their primary keys. ``same``: values every row has, given once (a row's own value
    of the field wins). The values are stored as ``insert_many`` stores an object's."""
    if not rows:
        return []
    same = same or {}
    fields = list(model._meta.concrete_fields)
    connection = connections[DEFAULT_DB_ALIAS]
    pks = reserved_ids(model, len(rows))
    pk_name = model._meta.pk.attname
    if connection.vendor != "postgresql":
        objs = [model(**{pk_name: pk, **same, **row}) for pk, row in zip(pks, rows, strict=True)]
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        return pks
    writers = {f.attname: _text_writer(f) for f in fields}
    keys = rows[0].keys()
    with connection.cursor() as cursor:
        if (
            None not in writers.values()
            and pk_name not in keys | same.keys()
            and not keys & same.keys()
            and all(row.keys() == keys for row in rows)
        ):
            _copy_as_text(cursor, model, fields, writers, pks, rows, same)  # type: ignore[arg-type]
            return pks
        preparers = [(f.attname, f.get_default, _value_preparer(f, connection)) for f in fields]
        with cursor.cursor.copy(_copy_statement(model, fields, connection)) as copy:
            for pk, row in zip(pks, rows, strict=True):
                values = {pk_name: pk, **same, **row}
                copy.write_row(
                    [prepare(values[name] if name in values else default()) for name, default, prepare in preparers]
                )
    return pks


def _copy_as_text(
    cursor,
    model: type[models.Model],
    fields: list,
    writers: dict[str, Callable[[Any], str]],
    pks,
    rows,
    same: Mapping[str, Any],
) -> None:
    """Rows that all give the same fields, COPYed in the text format written here, ``BATCH`` lines at a time
    (psycopg's ``write_row`` adapts each value through its dumpers, several times the cost of formatting the
    few types these columns hold). The columns in the order: the key, the rows' fields, the fields whose
    default is made anew for each row (a time, a new list), then those of ``same`` and the others, each with
    its one value's text."""
    pk, given = model._meta.pk, list(rows[0].keys())
    by_name = {f.attname: f for f in fields}
    left_out = [f for f in fields if f.attname not in rows[0] and f.attname not in same and f is not pk]
    made = [f for f in left_out if f.has_default() and callable(f.default)]
    constant = [by_name[name] for name in same] + [f for f in left_out if f not in made]
    suffix = "".join(
        "\t" + writers[f.attname](same[f.attname] if f.attname in same else f.get_default()) for f in constant
    )
    given_writers = [writers[name] for name in given]
    made_writers = [(writers[f.attname], f.get_default) for f in made]
    values_of = itemgetter(*given) if len(given) > 1 else lambda row: (row[given[0]],)
    order = [pk, *(by_name[name] for name in given), *made, *constant]
    lines: list[str] = []
    with cursor.cursor.copy(_copy_statement(model, order, cursor.db)) as copy:
        for key, row in zip(pks, rows, strict=True):
            texts = [write(value) for write, value in zip(given_writers, values_of(row), strict=True)]
            texts += [write(default()) for write, default in made_writers]
            lines.append(f"{key}\t{TAB.join(texts)}{suffix}")
            if len(lines) == BATCH:
                copy.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            copy.write("\n".join(lines) + "\n")


def _text_writer(field: models.Field) -> Callable[[Any], str] | None:
    """How a value of ``field`` is written in COPY's text format, for the column types whose value as the
    database stores it is plain (text, numbers, booleans, times, JSON); None for the others."""
    if isinstance(field, models.JSONField):
        encode = (field.encoder or json.JSONEncoder)().encode  # what json.dumps(value, cls=field.encoder) gives
        return lambda value: NULL if value is None else _escaped(encode(value))
    if isinstance(field, models.BooleanField):
        return lambda value: NULL if value is None else ("t" if value else "f")
    if isinstance(field, models.DateTimeField):
        return lambda value: NULL if value is None else _time_text(field, value)
    plain = _plain_type(field)
    if plain is int:
        return lambda value: NULL if value is None else str(int(value))
    if plain is str:
        return lambda value: NULL if value is None else _escaped(value if type(value) is str else str(value))
    return None


NULL, TAB = "\\N", "\t"


def _time_text(field: models.DateTimeField, value: Any) -> str:
    """A time in ISO form with its zone (timestamptz reads it); a naive one or a date made a time as Django's
    ``get_prep_value`` makes it (in the current time zone, with its warning)."""
    if type(value) is datetime and value.tzinfo is not None:
        return str(value)
    return str(field.get_prep_value(value))


def _escaped(text: str) -> str:
    """``text`` with COPY's special characters escaped (backslash, tab, newline, carriage return)."""
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _copy_statement(model: type[models.Model], fields: list, connection) -> str:
    # django-stubs types every field's column as str | None; a concrete field's is a str
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"


def _value_preparer(field: models.Field, connection) -> Callable[[Any], Any]:
    """``field.get_db_prep_save`` of a value, skipped where it changes nothing (as in ``_preparer``)."""
    prepare = field.get_db_prep_save
    plain = _plain_type(field)
    if plain is None:
        return lambda value: prepare(value, connection)
    return lambda value: value if value is None or type(value) is plain else prepare(value, connection)


def _plain_type(field: models.Field) -> type | None:
    plain = _PLAIN.get(type(field))
    if plain is None and isinstance(field, models.ForeignKey) and type(field.target_field) in _PLAIN:
        plain = int if _PLAIN[type(field.target_field)] is int else None
    return plain


def _preparer(field: models.Field, connection) -> Callable[[models.Model], Any]:
    """The function giving ``field``'s value of an object as the database stores it. Django's ``pre_save`` and
    ``get_db_prep_save`` for each value, except where they change nothing: a plain text or whole-number field
    (or a foreign key to one) holding a ``str`` (an ``int``) or None."""
    pre_save, prepare = field.pre_save, field.get_db_prep_save
    plain = _plain_type(field)
    if plain is None:
        return lambda obj: prepare(pre_save(obj, True), connection)
    attname = field.attname

    def prepared(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) is plain:
            return value
        return prepare(pre_save(obj, True), connection)

    return prepared


_PLAIN: dict[type, type] = {
    models.CharField: str,
    models.TextField: str,
    **dict.fromkeys(
        (
            models.AutoField,
            models.BigAutoField,
            models.IntegerField,
            models.BigIntegerField,
            models.PositiveIntegerField,
            models.PositiveBigIntegerField,
            models.SmallIntegerField,
        ),
        int,
    ),
}


def reserved_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for ``count`` rows inserted later in this transaction (before rows
    that refer to them: Django's foreign keys are checked at commit). On SQLite, whose
    writers are serialised, the ids after the largest one."""
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, count],
            )
            return [pk for (pk,) in cursor.fetchall()]
    last = model._default_manager.aggregate(last=models.Max("pk"))["last"] or 0
    return list(range(last + 1, last + 1 + count))
