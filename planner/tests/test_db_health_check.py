"""The PostgreSQL connection health check (planner/db/base.py): no probe for a connection that
served a request moments ago, the usual probe after it idled, and a connection that died is
still replaced.

Each "request" here is what Django's request signals do around a view: close_old_connections()
as it starts, the view's queries, close_old_connections() as it ends.
"""

import psycopg
import pytest
from django.db import OperationalError, close_old_connections, connection

from accounts.models import User
from planner.db import base as db_base


@pytest.fixture
def persistent_connection(transactional_db, require_postgres, monkeypatch):
    """The default connection as the web tier runs it: persistent, with health checks."""
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)
    monkeypatch.setitem(connection.settings_dict, "CONN_HEALTH_CHECKS", True)
    probes = []
    real_is_usable = connection.is_usable

    def counting_is_usable():
        probes.append(1)
        return real_is_usable()

    monkeypatch.setattr(connection, "is_usable", counting_is_usable)
    connection.ensure_connection()
    yield probes
    connection.close()


def serve_request() -> int:
    close_old_connections()
    try:
        return User.objects.count()
    finally:
        close_old_connections()


def test_busy_connection_is_not_probed_before_every_request(persistent_connection):
    probes = persistent_connection
    for _ in range(5):
        serve_request()
    assert probes == []


def test_connection_idle_past_the_window_is_probed_once_per_request(
    persistent_connection, monkeypatch
):
    probes = persistent_connection
    monkeypatch.setattr(db_base, "HEALTHY_FOR_SECONDS", 0.0)
    for _ in range(3):
        serve_request()
    assert len(probes) == 3


def _terminate_backend() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_connection_killed_while_idle_is_replaced_by_the_probe(persistent_connection, monkeypatch):
    monkeypatch.setattr(db_base, "HEALTHY_FOR_SECONDS", 0.0)
    serve_request()
    _terminate_backend()
    assert serve_request() >= 0


def test_connection_killed_inside_the_window_fails_one_request_then_is_replaced(
    persistent_connection,
):
    serve_request()
    _terminate_backend()
    # As a restart during a request: this one fails (the API answers it with a 503)...
    with pytest.raises(OperationalError):
        serve_request()
    # ...and the broken connection is closed at its end, so the next request reconnects.
    assert serve_request() >= 0
