"""One sync at a time per student and provider, across every worker.

`accounts.locks.cache_lock` takes and releases it atomically on Redis and on locmem, so the
same code guards production and development. The timeout (SYNC_LOCK_TIMEOUT_SECONDS) outlives
the sync task's hard time limit, so a killed worker's lock expires and the redelivered run or the
outbox sweep can take over.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from accounts.locks import cache_lock
from integrations.errors import SyncBusyError


def sync_lock_key(user_id, provider: str) -> str:
    return f"sync-lock:{provider}:{user_id}"


@contextmanager
def sync_lock(user_id, provider: str) -> Iterator[None]:
    key = sync_lock_key(user_id, provider)
    with cache_lock(key, timeout=settings.SYNC_LOCK_TIMEOUT_SECONDS) as acquired:
        if not acquired:
            raise SyncBusyError(key)
        yield
