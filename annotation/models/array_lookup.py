"""``field__in_array=[...]``: ``field = ANY(%s)`` with the list as one array parameter on PostgreSQL, ``IN``
elsewhere. Django's ``__in`` builds one placeholder per value, and with psycopg's client-side binding a
2,000-value list costs milliseconds of Python to compile and to split again, for each query of an import."""

from __future__ import annotations

from collections.abc import Collection

from django.db.models import Field, ForeignObject
from django.db.models.fields.related_lookups import RelatedIn
from django.db.models.lookups import In


class _AnyOnPostgres:
    def as_postgresql(self, compiler, connection):
        values = self.rhs  # type: ignore[attr-defined]
        if not isinstance(values, (list, tuple, set, frozenset)) or not values or None in values:
            return self.as_sql(compiler, connection)  # type: ignore[attr-defined]  # a subquery, nothing or a NULL
        lhs, lhs_params = self.process_lhs(compiler, connection)  # type: ignore[attr-defined]
        if all(type(value) is int for value in values):  # ids: one literal, not one adapted element each
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, ids_literal(values))
        return f"{lhs} = ANY(%s)", (*lhs_params, list(values))


@Field.register_lookup
class InArray(_AnyOnPostgres, In):
    lookup_name = "in_array"


@ForeignObject.register_lookup
class RelatedInArray(_AnyOnPostgres, RelatedIn):
    lookup_name = "in_array"


def ids_literal(ids: Collection[int]) -> str:
    """``ids`` as one PostgreSQL array literal (``{1,2,3}``), to pass as a parameter cast to ``bigint[]``: the
    client's per-element adaptation of a list costs more than the query."""
    return "{" + ",".join(str(int(value)) for value in ids) + "}"
