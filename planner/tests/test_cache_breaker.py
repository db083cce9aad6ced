"""The cache's circuit breaker: one failed Redis call makes the process skip Redis for a pause
(every call a quiet miss), then Redis is tried again; locks never go through the breaker."""

import time

import pytest
from django_redis.client import DefaultClient

from conftest import redis_url
from planner.cache import BreakerRedisCache
from planner.testing.services import free_port


def breaker_cache(location: str, *, pause_s: float) -> BreakerRedisCache:
    return BreakerRedisCache(
        location,
        {
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.5,
                "SOCKET_TIMEOUT": 0.5,
                "BREAKER_SECONDS": pause_s,
            }
        },
    )


@pytest.fixture
def redis_calls(monkeypatch):
    """How many cache reads and writes reached django-redis's own client."""
    calls = []
    for name in ("get", "set"):
        real = getattr(DefaultClient, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            calls.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(DefaultClient, name, counted)
    return calls


def test_one_failure_opens_the_breaker_and_later_calls_skip_redis(redis_calls):
    cache = breaker_cache(f"redis://127.0.0.1:{free_port()}/0", pause_s=60)
    cache.breaker.reset()

    assert cache.get("key", "miss") == "miss"
    assert redis_calls == ["get"]
    assert cache.breaker.is_open

    assert cache.get("key", "miss") == "miss"
    cache.set("key", "value")
    assert redis_calls == ["get"], "calls while the breaker is open must not reach Redis"


def test_locks_are_never_skipped_by_the_breaker():
    cache = breaker_cache(f"redis://127.0.0.1:{free_port()}/0", pause_s=60)
    cache.breaker.trip()
    lock = cache.lock("a-lock", timeout=5)
    assert lock is not None and hasattr(lock, "acquire")


def test_after_the_pause_redis_is_used_again(require_redis, redis_calls):
    # A database of its own: the breaker is shared per location, and the default cache's
    # (a longer pause) must not be the one this test trips.
    cache = breaker_cache(redis_url().rsplit("/", 1)[0] + "/14", pause_s=0.05)
    cache.breaker.trip()
    assert cache.get("breaker-test", "miss") == "miss"
    assert redis_calls == []
    time.sleep(0.1)  # the pause, not a timing assertion

    cache.set("breaker-test", "value", 30)
    assert cache.get("breaker-test") == "value"
    assert redis_calls == ["set", "get"]
    assert not cache.breaker.is_open
    cache.delete("breaker-test")
