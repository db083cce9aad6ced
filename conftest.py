"""Shared fixtures. Services a test needs fail the test in CI and skip it elsewhere."""

import os

import pytest

IN_CI = os.environ.get("CI") == "true"


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
# Long enough for a cold `celery worker` start (Django setup, broker connect) on a busy CI box.
WORKER_START_TIMEOUT_S = 60
WORKER_STOP_TIMEOUT_S = 10


def _database_url(settings_dict) -> str:
    from urllib.parse import quote

    credentials = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """One `celery worker` subprocess per session on the test database, always terminated.

    Tests that use it need `@pytest.mark.django_db(transaction=True)` (the worker only sees
    committed rows) and must publish to the broker: see `celery_broker` below.
    """
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    from django.db import connection

    url = redis_url()
    require(redis_available(url), f"needs Redis at {url}")
    require(connection.vendor == "postgresql", "needs PostgreSQL (set DATABASE_URL or CI=true)")
    env = {
        **os.environ,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "REDIS_URL": url,
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "DATABASE_URL": _database_url(connection.settings_dict),
    }
    log = tempfile.NamedTemporaryFile(prefix="celery-worker-", suffix=".log", delete=False)  # noqa: SIM115
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "planner",
        "worker",
        "-Q",
        "mastery,planning,sync",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        command,
        cwd=Path(__file__).resolve().parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT_S
        while "ready." not in Path(log.name).read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                output = Path(log.name).read_text(errors="replace")
                pytest.fail(f"the Celery worker did not start:\n{output[-4000:]}")
            time.sleep(0.2)
        process.log_path = log.name
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


@pytest.fixture
def worker_log(celery_worker_process):
    """The worker's own output so far, for failure messages."""
    from pathlib import Path

    return lambda: Path(celery_worker_process.log_path).read_text(errors="replace")[-4000:]


@pytest.fixture
def celery_broker(celery_worker_process):
    """Make this process publish to the worker's Redis instead of running tasks eagerly."""
    from planner.celery import app as celery_app

    url = redis_url()
    saved = {
        key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "result_backend")
    }
    _drop_broker_connections(celery_app)
    celery_app.conf.update(task_always_eager=False, broker_url=url, result_backend=url)
    try:
        yield celery_app
    finally:
        _drop_broker_connections(celery_app)
        celery_app.conf.update(saved)


def _drop_broker_connections(celery_app) -> None:
    """Celery caches its connection and producer pools for the broker URL it first saw; drop
    them so the next publish connects to the broker now configured."""
    # Not closed: kombu shares pools per URL across apps, so only our reference is dropped.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
