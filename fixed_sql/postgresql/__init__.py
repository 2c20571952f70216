"""Django's PostgreSQL backend, with statements kept within the server's limit on bound parameters."""
