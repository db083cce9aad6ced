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

from django.db.backends.postgresql import base

# Short enough that a connection left idle between sparse requests is still probed.
HEALTHY_FOR_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.healthy_at: float | None = None

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
