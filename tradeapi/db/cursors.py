"""Cursors on which PostgreSQL can keep a statement's plan."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


def prepared_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A Django cursor over a server-binding psycopg cursor on `connection` (PostgreSQL).

    Django's PostgreSQL cursors bind parameters client-side, so every run sends new SQL text
    and PostgreSQL plans it from scratch. A server-binding cursor on the same connection,
    and so in the same transaction, lets psycopg prepare a statement once per connection
    (with the connection's prepare_threshold, which settings.py sets: Django's default turns
    preparing off). Django still wraps it, so query logging and the query-count assertions
    see every query.

    It does not run Django's connection health check (CONN_HEALTH_CHECKS), which only its
    own `cursor()` does: a caller that is a request's first query decides (as
    tradeapi.api.caching.read_data_version does).
    """
    connection.ensure_connection()
    server_binding = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return PreparedDebugWrapper(server_binding, connection)
    # The stubs expect a wrapper here, but Django passes the driver's cursor to this method
    # itself (BaseDatabaseWrapper._prepare_cursor).
    return connection.make_cursor(server_binding)  # type: ignore[arg-type]


class PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a prepared statement by its text, parameters apart.

    psycopg keeps no text of a statement it runs prepared, so Django's own wrapper, which
    logs the driver's last query, would log None (query logging, the test suite's query
    assertions and debugging tools would see an empty statement)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(str(sql), params):
            return CursorWrapper.execute(self, sql, params)
