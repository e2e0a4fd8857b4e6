"""Reads of a few rows in plain SQL, made into model instances, where building the ORM queryset would cost
more than the database's work (an edit's lint reads four small sets of rows)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

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
    """Model instances with only ``columns`` (from ``model_columns``) loaded, from rows selecting them in order;
    JSON fields arrive as text on PostgreSQL (Django's loader) and SQLite: decoded here as the field does."""
    json_at = [n for n, name in enumerate(columns) if isinstance(model._meta.get_field(name), models.JSONField)]
    objs = []
    for row in rows:
        if json_at:
            row = list(row)
            for n in json_at:
                if isinstance(row[n], str):
                    row[n] = json.loads(row[n])
        objs.append(model.from_db(connection.alias, columns, row))
    return objs
