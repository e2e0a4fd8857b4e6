"""Reads of a few rows in plain SQL, made into model instances, where building the ORM queryset would cost
more than the database's work (an edit's lint reads four small sets of rows; every review request reads the
held slot with its queue, benchmark, clip and caption: about 1 ms to compile in the ORM, 0.2 ms to run).

A read names its columns (``ModelColumns``: every concrete field of the model unless told, so the SQL follows
the model) and builds each instance as the ORM would: the database's values through the same converters
(JSON, SQLite's booleans and datetimes), then ``Model.from_db`` (fields left out are deferred, as after
``only()``)."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def model_columns(model: type[models.Model], names: Sequence[str]) -> tuple[str, ...]:
    """``names`` (attribute names, e.g. ``video_id``) in the model's field order, as ``Model.from_db`` takes them."""
    wanted = set(names)
    columns = tuple(f.attname for f in model._meta.concrete_fields if f.attname in wanted)
    if len(columns) != len(wanted):
        raise ValueError(f"{model.__name__} has no column(s) {', '.join(sorted(wanted - set(columns)))}")
    return columns


def placeholders(values: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(values))


Statement = tuple[str, Sequence[Any]]


def one_round_trip() -> bool:
    """Whether several statements can go to the database as one string: PostgreSQL with client-side binding
    (Django's default), whose simple query protocol runs them one after the other, each with a snapshot of
    its own, as if sent one at a time."""
    return connection.vendor == "postgresql" and not connection.settings_dict["OPTIONS"].get("server_side_binding")


def statements_rows(statements: Sequence[Statement]) -> list[list[tuple]]:
    """The rows of each statement (none for a write), in order: in one round trip where ``one_round_trip()``,
    else one by one."""
    with connection.cursor() as cursor:
        if len(statements) > 1 and one_round_trip():
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            results = [_rows_of(cursor)]
            while cursor.nextset():
                results.append(_rows_of(cursor))
            return results
        results = []
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(_rows_of(cursor))
        return results


def _rows_of(cursor) -> list[tuple]:
    return cursor.fetchall() if cursor.description is not None else []  # a write returns no rows


def instances_of(model: type[M], columns: tuple[str, ...], rows: Sequence[Sequence[Any]]) -> list[M]:
    """Model instances with only ``columns`` (from ``model_columns``, the primary key among them) loaded, from
    rows selecting them in order."""
    part = _model_columns_part(model, columns)
    return [part.instance(row) for row in rows]


@functools.cache
def _model_columns_part(model: type[M], columns: tuple[str, ...]) -> ModelColumns[M]:
    part = ModelColumns(model, "", columns)
    if tuple(part._attnames) != columns:
        raise ValueError(f"{model.__name__}: columns {columns} are not the model's in its field order with its key")
    return part


class ModelColumns(Generic[M]):
    """The columns of ``model``'s concrete ``fields`` (default: all; the primary key always, as in ``only()``)
    under the table alias ``alias``."""

    def __init__(self, model: type[M], alias: str, fields: Iterable[str] | None = None):
        self.model, self.alias = model, alias
        concrete = model._meta.concrete_fields
        names = set(fields) if fields is not None else None
        self.fields = [f for f in concrete if names is None or f.primary_key or f.name in names or f.attname in names]
        self.sql = ", ".join(f'{alias}."{f.column}"' for f in self.fields)
        self.width = len(self.fields)
        self._attnames = [f.attname for f in self.fields]
        self._converters: dict[str, list] = {}

    def instance(self, values: Sequence[Any]) -> M:
        """The instance of one row's slice of these columns, as a query of the ORM would give it."""
        converted = [
            _converted(value, converters, col)
            for value, (col, converters) in zip(values, self._field_converters, strict=True)
        ]
        return self.model.from_db(connection.alias, self._attnames, converted)

    @property
    def _field_converters(self) -> list:
        converters = self._converters.get(connection.vendor)  # they depend on the database backend
        if converters is None:
            cols = [f.get_col(self.alias) for f in self.fields]
            converters = [(c, connection.ops.get_db_converters(c) + c.get_db_converters(connection)) for c in cols]
            self._converters[connection.vendor] = converters
        return converters


def fetched(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def row_parts(row: Sequence, parts: Sequence[ModelColumns]) -> list[Sequence]:
    """``row`` cut into each part's columns, in order, and what follows them (extra columns) last."""
    cut, start = [], 0
    for part in parts:
        cut.append(row[start : start + part.width])
        start += part.width
    return [*cut, row[start:]]


def instances(sql: str, params, *parts: ModelColumns) -> list[list]:
    """Per row of the query: an instance per part (its columns in ``parts``' order), then the row's extra columns."""
    return [
        [*(part.instance(v) for part, v in zip(parts, cut, strict=False)), *cut[-1]]
        for cut in (row_parts(row, parts) for row in fetched(sql, params))
    ]


def _converted(value, converters, col):
    for converter in converters:
        value = converter(value, col, connection)
    return value
