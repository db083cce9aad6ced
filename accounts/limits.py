"""Small per-key rate limits on the Django cache, for limits every layer needs.

`integrations.ratelimit` paces calls to providers; this one refuses requests a person makes too
often (feed fetches, imports; the account flows use allauth's ACCOUNT_RATE_LIMITS). It is a
fixed window counted in the cache: Redis in production, so every web process shares the count;
the local-memory cache in development. `cache.add` then `cache.incr` keeps the count atomic in
Redis, and a lost race in the local cache only lets one extra request through. If the cache is
down (django-redis ignores its errors) nothing is limited: these limits protect capacity, not
secrets.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

from accounts.errors import ApplicationError

CACHE_KEY_PREFIX = "limit:"


class RateLimitedError(ApplicationError):
    """Too many requests: the API answers 429 with Retry-After, pages show a form error."""

    status_code = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: int,
        field_errors: dict[str, list[str]] | None = None,
    ):
        super().__init__(message, field_errors=field_errors)
        self.retry_after_seconds = max(1, int(retry_after_seconds))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after_seconds: int


def _key(scope: str, identity: str, window_start: int) -> str:
    # Identities can be emails or IPs: hashed, so the cache never holds them in clear.
    digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
    return f"{CACHE_KEY_PREFIX}{scope}:{digest}:{window_start}"


def hit(
    scope: str, identity: str, *, limit: int, window_seconds: int, now: float | None = None
) -> Verdict:
    """Count one request of `identity` in `scope`; allowed while the count is within `limit`."""
    now = time.time() if now is None else now
    window_start = int(now // window_seconds) * window_seconds
    key = _key(scope, str(identity), window_start)
    retry_after = max(1, math.ceil(window_start + window_seconds - now))
    if limit <= 0:
        return Verdict(allowed=False, count=0, retry_after_seconds=retry_after)
    if cache.add(key, 1, timeout=window_seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window_seconds + 1)
            count = 1
    if count is None:  # the cache is unreachable and ignores its errors
        return Verdict(allowed=True, count=0, retry_after_seconds=retry_after)
    return Verdict(allowed=count <= limit, count=count, retry_after_seconds=retry_after)


def enforce(
    scope: str,
    identity: str,
    *,
    limit: int,
    window_seconds: int,
    message: str,
    field: str | None = None,
) -> None:
    """`hit`, raising RateLimitedError past the limit."""
    verdict = hit(scope, identity, limit=limit, window_seconds=window_seconds)
    if not verdict.allowed:
        raise RateLimitedError(
            message,
            retry_after_seconds=verdict.retry_after_seconds,
            field_errors={field: [message]} if field else None,
        )
