"""Rendered parts of a student's pages, cached per student and retired on every change to them.

Each student has one generation number in the cache. Every key of a cached part names it, so
any write that could change what a page shows retires all of that student's cached parts with
one increment (`student_pages_invalidate`): the old keys are never read again and expire. The
writes reach it through journey/receivers.py (the domain events, and saves and deletes of the
rows the pages show) and, for writes that bypass row signals, from the service itself.

A key also names the student's timezone and whatever the page adds (its local minute, its query
string). The clock (12/24-hour) is not in the key, where reading it would cost every warm page
a query: changing it saves the preferences row, which retires the student's parts like any
other write. Forms inside a
cached part carry a placeholder instead of the CSRF token; each response puts the request's own
token in its place, so a part cached from one browser works in another.

Requests that miss the same part together (a new minute, a write that retired the student's
parts) render it once: the first takes a short lock in the cache and the others wait for its
copy. Besides parts, a page may keep small facts per student and generation (`cached_value`:
the page shell's setup state), so a warm page reads no row for them.

Each process also keeps the parts it served lately in its own memory (`_LocalParts`), under
the same keys. A key names the generation, which every request still reads from the cache, so a
retired part is never served from there either; what it saves is fetching and unpickling a
large part (a busy week page is 200 KB) from Redis on every request.

The cache only saves work: with Redis unreachable the pages render live, and
DASHBOARD_CACHE_ENABLED=false turns every cached part off.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import math
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from accounts.timezones import user_zone

logger = logging.getLogger(__name__)

GENERATION_KEY = "pages:generation:{user_id}"
# Bump when the shape of a stored part changes, so a deploy never serves the previous release's.
PAGE_CACHE_VERSION = 1
PART_KEY = "pages:part:v{version}:{name}:{user_id}:{generation}:{tz_name}:{extra}"
VALUE_KEY = "pages:value:v{version}:{name}:{user_id}:{generation}"
# After a failed cache call, how long the pages leave the cache alone.
CACHE_RETRY_AFTER_SECONDS = 5.0
# A render of the costliest part (the stats page, cold) takes a few hundred milliseconds on a
# loaded server; a request that finds another one rendering its part waits this long for that
# copy, polling the cache, before it renders its own.
RENDER_WAIT_SECONDS = 2.0
RENDER_POLL_SECONDS = 0.01
# Bounds a render lock left by a worker that died mid-render (the request timeout is 30 s).
RENDER_LOCK_SECONDS = 30
# A process keeps its copy of a part at most this long; the week and the dashboard name the
# minute in their keys, so their copies are replaced every minute anyway.
LOCAL_PART_SECONDS = 60
# Unguessable per process, so no text a student typed can ever be taken for it.
CSRF_PLACEHOLDER = "csrf" + secrets.token_hex(16)


class _CacheState:
    down_until = 0.0


_cache_state = _CacheState()

# Counts the retirements made in this process. A request keeps the generation it read only while
# this count stands still, so a request that writes and then renders never reads its own
# cached parts from before the write (a retirement anywhere in the process only costs a re-read).
_retirements = itertools.count()
_retired = 0


# What a cached value (not a part) counts for against the process's limit.
LOCAL_VALUE_CHARS = 256


class _LocalParts:
    """The parts and values this process served lately, least recently used dropped first, at
    most `settings.PAGE_CACHE_LOCAL_CHARS` characters of HTML in all (0 keeps none; a value
    counts as LOCAL_VALUE_CHARS unless its `size` is given). Shared by the process's threads."""

    def __init__(self):
        self._entries: OrderedDict[str, tuple[object, datetime, int]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()

    def get(self, key: str, now: datetime):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(
        self,
        key: str,
        kept,
        *,
        now: datetime,
        expires_at: datetime | None,
        size: int | None = None,
    ) -> None:
        limit = settings.PAGE_CACHE_LOCAL_CHARS
        if size is None:
            size = len(kept) if isinstance(kept, str) else LOCAL_VALUE_CHARS
        if size > limit:
            return
        stale_at = now + timedelta(seconds=LOCAL_PART_SECONDS)
        if expires_at is not None:
            stale_at = min(stale_at, expires_at)
        with self._lock:
            self._drop(key)
            self._entries[key] = (kept, stale_at, size)
            self._chars += size
            while self._chars > limit:
                self._drop(next(iter(self._entries)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._chars = 0

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._chars -= entry[2]


local_parts = _LocalParts()


def cache_call(method, *args, answers: bool = False):
    """A cache call that never fails the page or the write around it.

    After a failure the cache is left alone for a few seconds, so a replan saving many blocks
    does not wait out one socket timeout per block.
    """
    if time.monotonic() < _cache_state.down_until:
        return None
    try:
        result = method(*args)
    except ValueError:
        raise
    except Exception:
        logger.warning("page cache unavailable", exc_info=True)
        result = None
    if result is None and answers:
        # This call answers a value when it works; None means the backend swallowed an error.
        _cache_state.down_until = time.monotonic() + CACHE_RETRY_AFTER_SECONDS
    return result


def student_generation(user_id) -> int | None:
    """The student's current generation, or None when the cache cannot be used."""
    key = GENERATION_KEY.format(user_id=user_id)
    generation = cache_call(cache.get, key)
    if generation is None:
        # A random start, not 1: if the counter was evicted, parts stored under its old values
        # may still be alive, and restarting the count could meet one of them.
        cache_call(cache.add, key, secrets.randbits(62), None, answers=True)
        generation = cache_call(cache.get, key)
    return generation


def retirement_mark() -> int:
    """Taken before reading a generation, for `remember_generation`."""
    return _retired


def remember_generation(user, generation: int | None, *, retired: int) -> None:
    """`user`'s generation as read along with the user (accounts.session_user), kept on the
    user object of this request for `request_generation`. `retired` is `retirement_mark()` from
    before that read."""
    if generation is not None:
        user._page_generation = (retired, generation)


def request_generation(request) -> int | None:
    """`request.user`'s generation, read once for all the cached parts of one page."""
    seen = getattr(request, "_page_generation", None)
    if seen is None:
        seen = getattr(request.user, "_page_generation", None)
    if seen is not None and seen[0] == _retired:
        return seen[1]
    retired = _retired
    generation = student_generation(request.user.pk)
    request._page_generation = (retired, generation)
    return generation


def student_pages_invalidate(*, user_id) -> None:
    """Retire every cached part of one student's pages in O(1): their keys name the old
    generation. Called at the write, and again on commit by the domain events."""
    global _retired
    _retired = next(_retirements) + 1
    if not settings.DASHBOARD_CACHE_ENABLED or user_id is None:
        return
    # Without a counter (ValueError) nothing was cached under it, and a new one starts at a
    # random number.
    with contextlib.suppress(ValueError):
        cache_call(cache.incr, GENERATION_KEY.format(user_id=user_id), answers=True)


def _with_token(html: str, request) -> SafeString:
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # noqa: S308 - rendered by our own templates, escaped there


def cached_part(
    request,
    *,
    name: str,
    key: str,
    render: Callable[[dict], tuple[str, datetime | None]],
    now: datetime,
) -> SafeString:
    """One part of a page for `request.user`, from the cache when a fresh copy is there.

    `key` is what else the part depends on besides the student's rows, zone and clock (a date,
    a minute, a query string). `render(extra_context)` renders the part with `extra_context`
    merged into its template context and returns the HTML and the moment it goes stale by
    itself (an assessment falling due), or None.
    """
    live_context = {"csrf_token": CSRF_PLACEHOLDER}
    generation = request_generation(request) if settings.DASHBOARD_CACHE_ENABLED else None
    if generation is None:
        html, _ = render(live_context)
        return _with_token(html, request)
    cache_key = _part_key(request.user, name=name, key=key, generation=generation)
    html = _fresh_html(cache_key, now)
    if html is not None:
        return _with_token(html, request)
    # One render per part at a time: the requests that miss together (a new minute, a write
    # that retired the student's parts, several tabs) wait for the first one's copy instead of
    # each paying for the whole render at once.
    render_lock = f"{cache_key}:rendering"
    # False: another request holds the lock; None (the cache failed) renders without one.
    holds_lock = cache_call(cache.add, render_lock, 1, RENDER_LOCK_SECONDS, answers=True)
    if holds_lock is False:
        html = _wait_for_copy(cache_key, now)
        if html is not None:
            return _with_token(html, request)
    try:
        html, expires_at = render(live_context)
        timeout = settings.DASHBOARD_CACHE_SECONDS
        if expires_at is not None:
            timeout = min(timeout, max(1, math.ceil((expires_at - now).total_seconds())))
        html = str(html)
        cache_call(cache.set, cache_key, {"html": html, "expires_at": expires_at}, timeout)
        local_parts.put(cache_key, html, now=now, expires_at=expires_at)
    finally:
        if holds_lock:
            cache_call(cache.delete, render_lock)
    return _with_token(html, request)


def _part_key(user, *, name: str, key: str, generation: int) -> str:
    return PART_KEY.format(
        version=PAGE_CACHE_VERSION,
        name=name,
        user_id=user.pk,
        generation=generation,
        tz_name=user_zone(user).key,
        extra=hashlib.blake2b(key.encode(), digest_size=12).hexdigest(),
    )


def _fresh_html(cache_key: str, now: datetime) -> str | None:
    html = local_parts.get(cache_key, now)
    if html is not None:
        return html
    cached = cache_call(cache.get, cache_key)
    if cached is not None and (cached["expires_at"] is None or now < cached["expires_at"]):
        local_parts.put(cache_key, cached["html"], now=now, expires_at=cached["expires_at"])
        return cached["html"]
    return None


def _wait_for_copy(cache_key: str, now: datetime) -> str | None:
    """The copy another request is rendering, or None when it is not there in time (that
    request failed or is slow): the caller then renders its own."""
    deadline = time.monotonic() + RENDER_WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(RENDER_POLL_SECONDS)
        html = _fresh_html(cache_key, now)
        if html is not None:
            return html
    return None


def _value_key(request, name: str) -> str | None:
    generation = request_generation(request) if settings.DASHBOARD_CACHE_ENABLED else None
    if generation is None:
        return None
    return VALUE_KEY.format(
        version=PAGE_CACHE_VERSION, name=name, user_id=request.user.pk, generation=generation
    )


def cached_value(request, *, name: str, compute: Callable[[], object], keep=None):
    """A small picklable fact about `request.user` (what the page shell shows on every page),
    from the cache while the student's generation stands, so a warm page reads no row for it.
    The process keeps its own copy too, shared by its threads: the value must be immutable.
    `compute()` reads it live; the answer must not depend on the clock or the zone. `keep(value)`
    says whether a cached value serves this caller (else it is computed and stored anew)."""
    cache_key = _value_key(request, name)
    if cache_key is None:
        return compute()
    now = timezone.now()
    local = local_parts.get(cache_key, now)
    if local is not None and (keep is None or keep(local)):
        return local
    cached = cache_call(cache.get, cache_key)
    if cached is not None and (keep is None or keep(cached["value"])):
        local_parts.put(cache_key, cached["value"], now=now, expires_at=None)
        return cached["value"]
    value = compute()
    cache_call(cache.set, cache_key, {"value": value}, settings.DASHBOARD_CACHE_SECONDS)
    local_parts.put(cache_key, value, now=now, expires_at=None)
    return value


class CachedBodyMixin:
    """For a TemplateView: the page's body (`body_template`, what the page template shows as
    `page_body`) is a cached part, so a warm page runs none of the body's queries.

    `body_context(now)` gives the body's context and the moment it goes stale by itself (or
    None). The key holds the request's path and query and the student's local minute: the
    pages write "today" and times to the minute, so a cached body is never older than that.
    """

    body_template: str
    body_cache_name: str

    def body_context(self, *, now: datetime) -> tuple[dict, datetime | None]:
        raise NotImplementedError

    def body_key(self, *, now: datetime) -> str:
        local = now.astimezone(user_zone(self.request.user))
        return f"{self.request.get_full_path()}|{local:%Y-%m-%dT%H:%M}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()

        def render(extra: dict) -> tuple[str, datetime | None]:
            body, expires_at = self.body_context(now=now)
            html = render_to_string(
                self.body_template, {**context, **body, **extra}, request=self.request
            )
            return html, expires_at

        context["page_body"] = cached_part(
            self.request,
            name=self.body_cache_name,
            key=self.body_key(now=now),
            render=render,
            now=now,
        )
        return context
