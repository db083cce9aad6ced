"""One sync at a time per student and provider, across every worker.

`cache.add` is atomic on Redis (SET NX) and on locmem, so the same code guards production and
development. The timeout (SYNC_LOCK_TIMEOUT_SECONDS) outlives the sync task's hard time limit,
so a killed worker's lock expires and the redelivered run or the outbox sweep can take over.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from integrations.errors import SyncBusyError


def sync_lock_key(user_id, provider: str) -> str:
    return f"sync-lock:{provider}:{user_id}"


@contextmanager
def sync_lock(user_id, provider: str) -> Iterator[None]:
    key = sync_lock_key(user_id, provider)
    owner = secrets.token_hex(8)
    timeout = settings.SYNC_LOCK_TIMEOUT_SECONDS
    if not cache.add(key, owner, timeout=timeout):
        raise SyncBusyError(key)
    try:
        yield
    finally:
        # Only the holder releases; after an expiry another worker may own the key.
        if cache.get(key) == owner:
            cache.delete(key)
