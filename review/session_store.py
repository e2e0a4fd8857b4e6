"""Django's database sessions, read with one plain query.

Every request of a logged-in person reads its session row first; the ORM spent more CPU building
that ``SELECT`` than the database spent answering it. The row, its expiry rule (``expire_date`` after
now), the encoding and every write are Django's own (``django.contrib.sessions.backends.db``).
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:  # none, or expired: a new session, as Django's own store starts one
            self._session_key = None
            return None
        return self.model(session_key=self.session_key, session_data=row[0])
