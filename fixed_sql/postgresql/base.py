"""Django's PostgreSQL backend, splitting bulk writes and cascading deletes to fit server-side binding.

With server-side binding (see settings: it lets psycopg prepare the rating queue's statements) PostgreSQL
accepts at most 65,535 parameters per statement. Django 5.2 does not split bulk_create or the IN lists of a
cascading delete to fit; this backend does. The app's own IN lists are chunked where they are built.
"""

from django.db.backends.postgresql import base, operations

MAX_BOUND_PARAMETERS = 65_535


class DatabaseOperations(operations.DatabaseOperations):
    def bulk_batch_size(self, fields: list, objs: list) -> int:
        if not self.connection.features.uses_server_side_binding:
            return super().bulk_batch_size(fields, objs)
        return max(1, MAX_BOUND_PARAMETERS // max(1, len(fields)))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
