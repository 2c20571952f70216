"""Django's database sessions, read with one fixed statement: every request of a signed-in user reads one."""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    """The same table, encoding and expiry as Django's store; only the read skips building an ORM query."""

    def load(self) -> dict:
        database = connections[router.db_for_read(self.model, instance=None)]
        now = database.ops.adapt_datetimefield_value(timezone.now())
        table = database.ops.quote_name(self.model._meta.db_table)
        with database.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s", [self.session_key, now]
            )
            row = cursor.fetchone()
        if row is None:
            # As Django's store: an unknown or expired key gets a new one when the session is next saved.
            self._session_key = None
            return {}
        return self.decode(row[0])
