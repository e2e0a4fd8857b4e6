"""Model instances from the rows of a plain SQL query, for the reads every review request makes.

Django's ORM spends more CPU building a query than the database spends answering it: the held slot
with its queue, benchmark, clip and caption took about 1 ms to compile and 0.2 ms to run. A hot read
names its columns here (every concrete field of the model unless told, so the SQL follows the model)
and builds each instance as the ORM would: the database's values through the same converters (JSON,
SQLite's booleans and datetimes), then ``Model.from_db`` (fields left out are deferred, as after
``only()``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, TypeVar

from django.db import connection
from django.db.models import Model

M = TypeVar("M", bound=Model)


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


def placeholders(values: Sequence) -> str:
    """``%s, %s, ...`` for an IN list of ``values`` (never empty: the caller reads nothing for no values)."""
    return ", ".join(["%s"] * len(values))


def _converted(value, converters, col):
    for converter in converters:
        value = converter(value, col, connection)
    return value
