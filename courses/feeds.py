"""Fetching a student's LMS calendar feed by URL, safely.

The URL comes from the user, so every check of `accounts.netguard` applies (one lookup, public
addresses only, the connection pinned to the checked address, ports 80 and 443, one deadline over
the whole fetch with its redirects). `LMS_FEED_ALLOW_PRIVATE_HOSTS` lifts the address and port
checks for tests and local demos, which serve feeds from 127.0.0.1.

Each fetch holds a web thread for up to the timeout, so fetches are also limited per student
(`LMS_FEED_FETCHES_PER_HOUR`): a few parallel requests must not be able to stall the site.
"""

from __future__ import annotations

from django.conf import settings

from accounts import limits, netguard
from accounts.errors import ApplicationError

# Canvas and Moodle answer feed requests in well under a second; ten seconds covers a slow
# LMS without tying up a web worker for long.
DEFAULT_FEED_TIMEOUT_SECONDS = 10.0
# A feed of several terms of several courses is a few hundred KB.
DEFAULT_FEED_MAX_BYTES = 2 * 1024 * 1024
# A student re-fetching a feed to check an import needs a handful an hour; 30 is generous.
DEFAULT_FEED_FETCHES_PER_HOUR = 30
FETCH_WINDOW_SECONDS = 3600


class FeedFetchError(ApplicationError):
    def __init__(self, message: str):
        super().__init__(message, field_errors={"url": [message]})


def feed_timeout() -> float:
    return float(getattr(settings, "LMS_FEED_TIMEOUT_SECONDS", DEFAULT_FEED_TIMEOUT_SECONDS))


def feed_max_bytes() -> int:
    return int(getattr(settings, "LMS_FEED_MAX_BYTES", DEFAULT_FEED_MAX_BYTES))


def private_hosts_allowed() -> bool:
    return bool(getattr(settings, "LMS_FEED_ALLOW_PRIVATE_HOSTS", False))


def feed_fetches_per_hour() -> int:
    return int(getattr(settings, "LMS_FEED_FETCHES_PER_HOUR", DEFAULT_FEED_FETCHES_PER_HOUR))


def fetch_feed(url: str, *, user=None, resolver: netguard.Resolver | None = None) -> bytes:
    """The body of an http(s) feed, within the limits above, or FeedFetchError.

    With `user`, the fetch counts against that student's hourly allowance (RateLimitedError,
    a 429 in the API, past it)."""
    if user is not None:
        limits.enforce(
            "lms-feed-fetch",
            str(user.pk),
            limit=feed_fetches_per_hour(),
            window_seconds=FETCH_WINDOW_SECONDS,
            message="Too many feed downloads in the last hour; try again later.",
            field="url",
        )
    policy = netguard.FetchPolicy(
        timeout_seconds=feed_timeout(),
        max_bytes=feed_max_bytes(),
        allow_private=private_hosts_allowed(),
    )
    try:
        return netguard.guarded_fetch((url or "").strip(), policy=policy, resolver=resolver)
    except netguard.OutboundFetchError as exc:
        raise FeedFetchError(exc.message) from exc
