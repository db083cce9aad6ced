"""A cache lock that only its holder can release, atomically, on Redis and in development.

On Redis (django-redis) it is redis-py's `Lock`: SET NX PX to take it and a Lua
compare-and-delete to release it, so a holder whose lock expired (and was taken by another
worker) can never delete the new holder's key. Without Redis (the embedded default, one
process) the local-memory cache is guarded by this process's own lock instead.

An unreachable or hung Redis counts as "not acquired": the caller backs off and retries, which
is what it does for a lock held by someone else, instead of running unguarded.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

# Serializes get-then-delete on the local-memory cache, which lives in this process only.
_local_release_lock = threading.Lock()


@contextmanager
def cache_lock(key: str, *, timeout: float) -> Iterator[bool]:
    """Try once to take `key` for at most `timeout` seconds; yields whether it was taken.

    The timeout outlives any normal run of the guarded work and still expires after a killed
    holder, so the redelivered work can take over.
    """
    if hasattr(cache, "lock"):
        with _redis_lock(key, timeout=timeout) as acquired:
            yield acquired
        return
    owner = secrets.token_hex(8)
    acquired = bool(cache.add(key, owner, timeout=timeout))
    try:
        yield acquired
    finally:
        if acquired:
            with _local_release_lock:
                if cache.get(key) == owner:
                    cache.delete(key)


@contextmanager
def _redis_lock(key: str, *, timeout: float) -> Iterator[bool]:
    lock = cache.lock(key, timeout=timeout, blocking=False, thread_local=False)
    try:
        acquired = bool(lock.acquire(blocking=False))
    except RedisError as exc:
        logger.warning("cache lock %s not taken: Redis unavailable (%s)", key, type(exc).__name__)
        acquired = False
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except LockError:
                # Expired and maybe taken by another holder: theirs now, nothing to release.
                logger.warning("cache lock %s expired before its holder released it", key)
            except RedisError as exc:
                # It expires by itself after `timeout`.
                logger.warning("cache lock %s not released (%s)", key, type(exc).__name__)
