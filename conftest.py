"""Shared fixtures. Services a test needs fail the test in CI and skip it elsewhere."""

import os

import pytest
from rest_framework.test import APIClient

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


@pytest.fixture
def api_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def other_api_client(other_user):
    client = APIClient()
    client.force_authenticate(other_user)
    return client


@pytest.fixture
def anon_api_client():
    return APIClient()


@pytest.fixture
def logged_in_client(client, user):
    client.force_login(user)
    return client
