"""The signed-in student of a browser session, read from the cache instead of the database.

Every page loads its user from the session's user id; this keeps that row in the cache, so a
warm page runs no query for it. The row is stamped with the user's generation, a counter in the
cache that every save or delete of the user row increments, at the write and again on commit
(journey-style retirement, see accounts.page_cache): a row read before a change, and stored
after it, carries the old stamp and is never served. So a password change, a deactivation, or a
new email takes effect on the next request, and Django still checks the session's password hash
against the row it gets. With the cache unreachable, or SESSION_USER_CACHE_ENABLED=false, the
row is read from the database as before.

The row is stored as its column values, not as a pickled model, so a deploy that changes the
user's columns reads the database instead of a copy in the old shape.

The same round trip reads the student's page generation (accounts.page_cache), which every
page then needs: the user it gives carries it for the rest of the request.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import router, transaction

from accounts import page_cache
from accounts.page_cache import cache_call

GENERATION_KEY = "session-user:generation:{user_id}"
ROW_KEY = "session-user:v1:{user_id}"
# Bounds how long a change missed while Redis was unreachable can show.
ROW_SECONDS = 300


def _columns(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def session_user_get(user_id, *, load: Callable[[], object | None]):
    """The user with this id as `load()` would give it (None: no such active user)."""
    if not settings.SESSION_USER_CACHE_ENABLED:
        return load()
    model = get_user_model()
    generation_key = GENERATION_KEY.format(user_id=user_id)
    row_key = ROW_KEY.format(user_id=user_id)
    pages_key = page_cache.GENERATION_KEY.format(user_id=user_id)
    retired = page_cache.retirement_mark()
    found = cache_call(cache.get_many, [generation_key, row_key, pages_key])
    if found is None:
        return load()
    generation = found.get(generation_key)
    stored = found.get(row_key)
    columns = _columns(model)
    if (
        generation is not None
        and stored is not None
        and stored["generation"] == generation
        and stored["columns"] == columns
    ):
        user = model.from_db(router.db_for_read(model), columns, stored["values"])
        page_cache.remember_generation(user, found.get(pages_key), retired=retired)
        return user
    if generation is None:
        # A random start: a counter evicted and begun again must not meet an old stamp.
        cache_call(cache.add, generation_key, secrets.randbits(62), None, answers=True)
        generation = cache_call(cache.get, generation_key)
    user = load()
    if user is not None and generation is not None:
        values = tuple(getattr(user, column) for column in columns)
        cache_call(
            cache.set,
            row_key,
            {"generation": generation, "columns": columns, "values": values},
            ROW_SECONDS,
        )
    return user


def session_user_retire(*, user_id) -> None:
    """The stored row of this user is never served again: now, for the rest of this
    transaction, and after commit, for a reader that stored the old row meanwhile."""
    if user_id is None:
        return

    def retire():
        # Without a counter (ValueError) nothing is stored under it.
        with contextlib.suppress(ValueError):
            cache_call(cache.incr, GENERATION_KEY.format(user_id=user_id), answers=True)

    retire()
    transaction.on_commit(retire)
