"""The Redis cache backend with a circuit breaker.

django-redis already turns a failed cache call into a miss (IGNORE_EXCEPTIONS), but each call
still waits out its socket timeout first. A hung Redis (it accepts connections and never
answers) would then cost every request one timeout per cache touch: the session, the rate
limits, the dashboard's generation counter and its panels. After one failure this backend skips
Redis in the whole process for `REDIS_BREAKER_SECONDS`, so only the first request pays a
timeout; the next call after the pause tries Redis again.

Locks are left out: `accounts.locks` talks to Redis through its own error handling, and a lock
that is refused must look busy, not acquired.
"""

from __future__ import annotations

import threading
import time

import redis
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted

DEFAULT_BREAKER_SECONDS = 5.0
# Methods that never become a cache miss: they return Redis objects, not cached values.
UNGUARDED = frozenset({"lock", "get_client", "get_client_with_index", "connect", "make_key"})


class CircuitBreaker:
    """Open for `open_seconds` after a failure; shared by every thread of the process."""

    def __init__(self, open_seconds: float):
        self.open_seconds = open_seconds
        self._open_until = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        with self._lock:
            self._open_until = time.monotonic() + self.open_seconds

    def reset(self) -> None:
        with self._lock:
            self._open_until = 0.0


_breakers: dict[str, CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(location: str, open_seconds: float) -> CircuitBreaker:
    # Django builds one cache object per thread; the breaker is per server, so one thread's
    # timeout spares the others theirs.
    with _breakers_lock:
        breaker = _breakers.get(location)
        if breaker is None:
            breaker = _breakers[location] = CircuitBreaker(open_seconds)
        return breaker


class _GuardedClient:
    """The django-redis client, its calls skipped while the breaker is open."""

    def __init__(self, client, breaker: CircuitBreaker):
        self._client = client
        self._breaker = breaker

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if name in UNGUARDED or not callable(attribute):
            return attribute
        breaker = self._breaker

        def guarded(*args, **kwargs):
            if breaker.is_open:
                # Raised as django-redis raises it, so IGNORE_EXCEPTIONS turns it into a miss.
                raise ConnectionInterrupted(connection=None) from redis.ConnectionError(
                    "Redis skipped after a recent failure"
                )
            try:
                return attribute(*args, **kwargs)
            except ConnectionInterrupted:
                breaker.trip()
                raise

        return guarded


class BreakerRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        options = params.get("OPTIONS", {})
        location = server if isinstance(server, str) else ",".join(server)
        self.breaker = breaker_for(
            location, float(options.get("BREAKER_SECONDS", DEFAULT_BREAKER_SECONDS))
        )

    @property
    def client(self):
        return _GuardedClient(super().client, self.breaker)
