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


def instances_read(model: type[M], columns: tuple[str, ...], sql: str, params: Sequence[Any]) -> list[M]:
    """Run ``sql`` (it selects ``columns``, from ``model_columns``, in that order) and make each row a model
    instance with only those fields loaded. JSON fields arrive as text on PostgreSQL (Django's loader) and
    SQLite: decoded here as the field does."""
    json_at = [n for n, name in enumerate(columns) if isinstance(model._meta.get_field(name), models.JSONField)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    objs = []
    for row in rows:
        if json_at:
            row = list(row)
            for n in json_at:
                if isinstance(row[n], str):
                    row[n] = json.loads(row[n])
        objs.append(model.from_db(connection.alias, columns, row))
    return objs
