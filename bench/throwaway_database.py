"""Benchmarks run on a database of their own: created and migrated at start, dropped at the end."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mabench_site.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402


@contextlib.contextmanager
def throwaway_database():
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def refresh_planner_statistics() -> None:
    """ANALYZE after a bulk load, as autovacuum would soon do on a live database: without statistics the
    planner guesses a fresh 20,000-row table holds a few hundred rows and picks plans it would not pick later."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
