"""Write a release's frozen rows from plain values: COPY on PostgreSQL, bulk_create elsewhere.

A cut writes thousands of rows it never reads back as objects; building a model instance per row and
preparing each field through Django costs more than the COPY itself (``bulk_insert.insert_many``
does that for rows whose ids the caller needs). Ids come from the table's sequence."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, models

from annotation.exports.json_encoding import ENCODERS

BATCH = 1000
DUMPS = ENCODERS[False]  # json.dumps without its cost per call (a JSON column keeps no key order)


class JsonText(str):
    """A JSON column's value already as JSON text (the database built it): written as it is, not dumped again."""


def rows_copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Insert ``rows`` (values in the order of ``columns``, attnames such as ``release_id``; JSON fields as
    Python values or ``JsonText``) into ``model``'s table."""
    connection = connections[DEFAULT_DB_ALIAS]
    fields = [model._meta.get_field(column) for column in columns]
    if connection.vendor != "postgresql":
        names = [field.attname for field in fields]  # type: ignore[union-attr]
        objs = [
            model(**{name: json.loads(v) if isinstance(v, JsonText) else v for name, v in zip(names, row, strict=True)})
            for row in rows
        ]
        model._default_manager.bulk_create(objs, batch_size=BATCH)
        return
    is_json = [isinstance(field, models.JSONField) for field in fields]
    quoted = ", ".join(connection.ops.quote_name(field.column) for field in fields)  # type: ignore[union-attr,arg-type]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({quoted}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [
                    DUMPS(value) if json_column and value is not None and not isinstance(value, JsonText) else value
                    for value, json_column in zip(row, is_json, strict=True)
                ]
            )


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a cut builds its rows: its tens of thousands of new dicts set off
    collections that walk every live object, a third of a 12,000-item cut's CPU. Frozen rows hold no cycles;
    what they leave is freed by reference counting all the same."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
