"""Filters on many ids at once.

``pk__in=[...]`` of 12,000 ids sends 12,000 placeholders: the client splices each into the SQL and
PostgreSQL parses and plans a 12,000-term list, some 0.1-0.5 s a query for a release's items. One
array parameter, unnested, is the same set for a fraction of that."""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection
from django.db.models.expressions import RawSQL


def ids_in(ids: Collection[int]) -> RawSQL | list[int]:
    """The right-hand side of an ``__in`` filter on integer ids: one array parameter on PostgreSQL. No ids
    stay an empty list, which Django answers without a query."""
    values = list(ids)
    if connection.vendor != "postgresql" or not values:
        return values
    return RawSQL("SELECT unnest(%s::bigint[])", (ids_literal(values),))


def ids_literal(ids: Collection[int]) -> str:
    """``ids`` as one PostgreSQL array literal (``{1,2,3}``), to pass as a parameter cast to ``bigint[]``: the
    client's per-element adaptation of a list costs more than the query."""
    return "{" + ",".join(str(int(value)) for value in ids) + "}"
