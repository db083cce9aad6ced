"""A token bucket per provider key, shared by every worker when Redis is configured.

With REDIS_URL the bucket lives in Redis and is updated by one Lua script, so the check and the
take are atomic across processes. Without it (development, eager Celery) a process-local bucket
gives the same pacing inside the one process that does all the work.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings

# A waiter longer than this means the bucket is far over-subscribed; better to let the task
# retry later than to hold a worker slot asleep.
MAX_WAIT_SECONDS = 30.0
REDIS_KEY_PREFIX = "ratelimit:"

# KEYS[1] bucket; ARGV rate per second, burst, now (seconds). Returns the wait in ms before the
# caller may send (0 = go now). The token is taken either way: a waiter reserves its slot.
BUCKET_LUA_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + (now - at) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
if tokens >= 0 then return 0 end
return math.ceil(-tokens / rate * 1000)
"""


class RateLimitExceeded(Exception):
    def __init__(self, wait_seconds: float):
        super().__init__(f"rate limit: wait {wait_seconds:.1f}s")
        self.wait_seconds = wait_seconds


@dataclass
class _LocalBucket:
    tokens: float
    at: float


class LocalTokenBucket:
    def __init__(self):
        self._buckets: dict[str, _LocalBucket] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, *, rate: float, burst: int, now: float) -> float:
        with self._lock:
            bucket = self._buckets.setdefault(key, _LocalBucket(tokens=burst, at=now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.at) * rate) - 1
            bucket.at = now
            return 0.0 if bucket.tokens >= 0 else -bucket.tokens / rate


class RedisTokenBucket:
    def __init__(self, redis_client):
        self._script = redis_client.register_script(BUCKET_LUA_SCRIPT)

    def reserve(self, key: str, *, rate: float, burst: int, now: float) -> float:
        wait_ms = self._script(keys=[REDIS_KEY_PREFIX + key], args=[rate, burst, now])
        return int(wait_ms) / 1000.0


_bucket: LocalTokenBucket | RedisTokenBucket | None = None
_bucket_lock = threading.Lock()


def get_bucket() -> LocalTokenBucket | RedisTokenBucket:
    global _bucket
    with _bucket_lock:
        if _bucket is None:
            if settings.REDIS_URL:
                import redis

                _bucket = RedisTokenBucket(redis.Redis.from_url(settings.REDIS_URL))
            else:
                _bucket = LocalTokenBucket()
        return _bucket


def reset() -> None:
    """Forget the process-local bucket (tests start each case with full buckets)."""
    global _bucket
    with _bucket_lock:
        _bucket = None


# Indirection so tests can record the pacing instead of sleeping through it.
pause = time.sleep


def acquire(key: str, *, rate: float, burst: int) -> float:
    """Blocks until a request under `key` may be sent; returns how long it waited."""
    wait = get_bucket().reserve(key, rate=rate, burst=burst, now=time.time())
    if wait > MAX_WAIT_SECONDS:
        raise RateLimitExceeded(wait)
    if wait > 0:
        pause(wait)
    return wait
