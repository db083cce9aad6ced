"""PostgreSQL whose connection health check costs a round trip only after the connection idled.

Django's CONN_HEALTH_CHECKS sends `SELECT 1` before the first query of every request, so a
persistent connection that died while idle (a database restart, a proxy's idle timeout) is
replaced instead of failing the request. On a busy web tier that probe is a third of the
round trips of a cheap request. A connection that finished a request without a database error
moments ago is as good as probed: the check is skipped for HEALTHY_FOR_SECONDS after that, and
made as before once the connection has been idle longer. A restart inside that window fails the
requests already holding such a connection exactly as a restart during a request does (the API
answers 503 with Retry-After, planner/api.py), and Django then closes the connection because an
error occurred, so the next request reconnects.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base, operations

# Short enough that a connection left idle between sparse requests is still probed.
HEALTHY_FOR_SECONDS = 1.0
# psycopg prepares a statement after this many runs, or at once when asked; no statement runs
# this often on one connection.
_ONLY_WHEN_ASKED = 2**31 - 1


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        if isinstance(cursor, _PreparingCursor):
            # Its statement went to the server with $n parameters; the log shows the values.
            return self.compose_sql(sql, params)
        return super().last_executed_query(cursor, sql, params)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.healthy_at: float | None = None

    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("prepare_threshold") is None:
            # Django turns psycopg's automatic preparing off (a transaction-pooling proxy
            # loses prepared statements). It stays off for every ORM query, which runs through
            # client-side binding and is never prepared whatever the threshold, and only the
            # preparing cursor below asks for it. Its statements need a direct connection or
            # a session-pooling proxy.
            params["prepare_threshold"] = _ONLY_WHEN_ASKED
        return params

    def connect(self):
        super().connect()
        self.healthy_at = time.monotonic()

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self.healthy_at is not None
            and time.monotonic() - self.healthy_at < HEALTHY_FOR_SECONDS
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def close_if_unusable_or_obsolete(self):
        # Called as each request starts and ends. A connection that served this request (its
        # health check is done) without a database error is known to be alive now.
        if self.connection is not None and self.health_check_done and not self.errors_occurred:
            self.healthy_at = time.monotonic()
        super().close_if_unusable_or_obsolete()

    def prepared_cursor(self):
        """A cursor whose every statement is prepared on the server, once per connection.

        For the few fixed reads every API request makes (accounts/prepared.py): PostgreSQL
        then skips parsing and planning them on each request. Other queries keep Django's
        client-side binding, which the ORM's SQL needs.
        """
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = _PreparingCursor(self.connection)
            tzloader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
            if self.timezone != tzloader.timezone:
                base.register_tzloader(self.timezone, cursor)
            return self._prepare_cursor(cursor)


class _PreparingCursor(base.ServerBindingCursor):
    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)
