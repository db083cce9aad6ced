"""Shared fixtures. Services a test needs fail the test in CI and skip it elsewhere."""

import os
from datetime import datetime

import pytest

IN_CI = os.environ.get("CI") == "true"

# No test reads the real clock: every session runs from a fixed instant, the clock ticking from
# there, so the suite gives the same result at any hour of any day. The default is an ordinary
# weekday morning in term. `PLANNER_TEST_NOW=2026-12-06T23:30:00-06:00 pytest …` moves a session
# to a late hour, a weekend, a DST change or a year end (`make test-clock`);
# `PLANNER_TEST_NOW=real` runs it at the real time, to look for a hidden dependence on it. A test
# that freezes its own instant keeps it.
TEST_NOW_VARIABLE = "PLANNER_TEST_NOW"
DEFAULT_TEST_NOW = "2026-12-09T10:00:00-06:00"
REAL_CLOCK = "real"
# How long a test that published to the session's worker waits, at its end, for it to go idle.
WORKER_DRAIN_S = 20
# The real epoch second at which the session's clock read the instant; processes the tests start
# (xdist workers, a Celery worker, gunicorn) take it to stand at the same moment of the same day.
TEST_NOW_SINCE_VARIABLE = "PLANNER_TEST_NOW_SINCE"


def session_instant() -> datetime | None:
    """The instant the session travels to, or None to run at the real time."""
    value = os.environ.get(TEST_NOW_VARIABLE, "").strip() or DEFAULT_TEST_NOW
    if value == REAL_CLOCK:
        return None
    instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise pytest.UsageError(f"{TEST_NOW_VARIABLE}={value} needs an offset, e.g. -06:00 or Z")
    return instant


def pytest_configure(config):
    instant = session_instant()
    if instant is None:
        return
    from planner.testing.clock import travel_from

    # Process-wide (C-level) patching, so the live server's thread in browser tests travels too;
    # a fixed-offset instant leaves the process's TZ alone (Django sets it from TIME_ZONE).
    config._planner_travel = travel_from(instant)
    config._planner_travel.start()


def pytest_unconfigure(config):
    travel = getattr(config, "_planner_travel", None)
    if travel is not None:
        travel.stop()


def pytest_report_header(config):
    instant = session_instant()
    return [f"{TEST_NOW_VARIABLE}: {instant.isoformat() if instant else REAL_CLOCK}"]


def require(condition: bool, reason: str) -> None:
    """Fail in CI (where every service must be there), skip with a reason elsewhere."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def redis_available(url: str | None = None) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url or redis_url(), socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(autouse=True)
def fast_password_hasher(request):
    """Argon2 is deliberately slow; tests only need passwords to round-trip.

    Tests of hashing itself opt out with `@pytest.mark.real_password_hashers`.
    """
    if request.node.get_closest_marker("real_password_hashers"):
        yield
        return
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def require_postgres(db):
    from django.db import connection

    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL or CI=true)")


@pytest.fixture
def require_redis():
    url = redis_url()
    require(redis_available(url), f"needs Redis at {url}")
    return url


@pytest.fixture
def user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="ada@example.org", full_name="Ada Lovelace")


@pytest.fixture
def other_user(db):
    from accounts.tests.factories import UserFactory

    return UserFactory(email="mallory@example.org", full_name="Mallory Other")


def _api_client():
    # Imported lazily so pure-core tests can run without Django configured.
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def api_client(user):
    client = _api_client()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_api_client(other_user):
    client = _api_client()
    client.force_authenticate(other_user)
    return client


@pytest.fixture
def anon_api_client():
    return _api_client()


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client


# --- A real Celery worker (CI: Redis + PostgreSQL) ----------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """One `celery worker` subprocess per session on the test database, always terminated.

    Tests that use it need `@pytest.mark.django_db(transaction=True)` (the worker only sees
    committed rows) and must publish to the broker: see `celery_broker` below.
    """
    from django.db import connection

    from planner.testing.workers import WorkerDidNotStart, database_url, start_worker, stop_worker

    url = redis_url()
    require(redis_available(url), f"needs Redis at {url}")
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL or CI=true)")
    try:
        handle = start_worker(broker_url=url, database_url=database_url(connection.settings_dict))
    except WorkerDidNotStart as exc:
        pytest.fail(f"the Celery worker did not start:\n{exc}")
    handle.process.log_path = handle.log_path
    try:
        yield handle.process
    finally:
        stop_worker(handle)


@pytest.fixture
def worker_log(celery_worker_process):
    """The worker's own output so far, for failure messages."""
    from pathlib import Path

    return lambda: Path(celery_worker_process.log_path).read_text(errors="replace")[-4000:]


@pytest.fixture
def celery_broker(celery_worker_process):
    """Make this process publish to the worker's Redis instead of running tasks eagerly."""
    from planner.testing.services import publishing_to

    with publishing_to(redis_url()) as celery_app:
        yield celery_app
    # Let the worker finish what this test sent before the database is flushed under it: a flush
    # that meets a task's open transaction can deadlock and fail the next test instead.
    # Bounded and never failing: a task held for a long countdown is left to the worker.
    import time
    from pathlib import Path

    from planner.testing.workers import outstanding_tasks

    log_path = Path(celery_worker_process.log_path)
    deadline = time.monotonic() + WORKER_DRAIN_S
    while outstanding_tasks(log_path.read_text(errors="replace")) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits and quotas count in the cache; each test starts with none spent."""
    from django.core.cache import cache

    from accounts.limits import CACHE_KEY_PREFIX

    if hasattr(cache, "delete_pattern"):
        # Redis also holds the broker's queues in tests: remove only the counters (ours and
        # allauth's ACCOUNT_RATE_LIMITS).
        cache.delete_pattern(f"{CACHE_KEY_PREFIX}*")
        cache.delete_pattern("allauth:rl:*")
        # Platform-wide values cached from rows an earlier test wrote (a flush sends no signal).
        cache.delete_pattern("mastery:forecast:*")
    else:
        cache.clear()
    yield


@pytest.fixture
def page_cache_on(settings):
    """The page cache on, parts kept five minutes, from an empty cache and leaving none."""
    from django.core.cache import cache

    from accounts.page_cache import local_parts

    settings.DASHBOARD_CACHE_ENABLED = True
    settings.DASHBOARD_CACHE_SECONDS = 300
    cache.clear()
    local_parts.clear()
    yield
    cache.clear()
    local_parts.clear()


# The browser fixtures (one Chromium for the whole session, whichever app's tests drive it) and the
# real SMTP server (`smtp`) that account and notification mail is delivered to.
pytest_plugins = ["planner.testing.browser", "planner.testing.smtp"]
