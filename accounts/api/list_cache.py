"""A student's API lists, answered from the cache while none of their rows changed.

A list a script polls (its courses, its mastery, the reviews due, its week) costs several
queries and a serializer walk over every row, and mostly answers the same thing as a moment
ago. The answer is cached with the student's page generation (accounts/page_cache.py) it was
computed under, and served only while that generation is current: every write that changes what
a student's pages or lists show moves it on with one increment, so the next request after a
write reads the rows again. The counter and the answer are read in one round trip.

The key names everything else the answer depends on:
- the address with its query string (filters, ordering, the page) and its host and scheme
  (the pagination links are absolute);
- the student's zone and the zone the response renders datetimes in (a token call renders them
  in UTC, a browser session in the student's zone);
- the current minute: a list may depend on "now" (what is due today, this week's blocks), and a
  cached answer is never older than the minute it was computed in.

Only a 200 is cached. For a JSON answer (what scripts ask for) the cache holds the rendered
bytes: a week of blocks is tens of kilobytes, and encoding it again (and unpickling its UUIDs
and dates first) cost more than the rest of a cached request. Any other renderer (the browsable
API) caches the serialized data and renders it per request. Either way the response's headers
come from the view as on a live answer. The cache only saves work: with Redis unreachable, or
DASHBOARD_CACHE_ENABLED=false, every list is computed live.

A web process also keeps the JSON answers it served lately (accounts.page_cache.local_parts),
each with its generation: while it holds one, a request reads only the generation from Redis
and serves its own copy when that is still current.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.page_cache import GENERATION_KEY, cache_call, local_parts, student_generation
from accounts.timezones import user_zone

# Bump when the shape of a cached answer changes, so a deploy never serves the previous one.
API_LIST_CACHE_VERSION = 2
API_LIST_KEY = "api:list:v{version}:{name}:{user_id}:{extra}"
# The key names its minute, so an answer is never read after it; a little longer than that
# covers a request that started just before the minute turned.
API_LIST_CACHE_SECONDS = 90


def _list_cache_key(request, *, name: str) -> str:
    minute = timezone.now().replace(second=0, microsecond=0)
    extra = "|".join(
        (
            request.build_absolute_uri(),
            user_zone(request.user).key,
            timezone.get_current_timezone_name(),
            # The negotiated type with its parameters (an indent changes the bytes).
            request.accepted_media_type,
            minute.isoformat(),
        )
    )
    return API_LIST_KEY.format(
        version=API_LIST_CACHE_VERSION,
        name=name,
        user_id=request.user.pk,
        extra=hashlib.blake2b(extra.encode(), digest_size=16).hexdigest(),
    )


# For a ListAPIView over the signed-in student's own rows (put it first in the bases). Only for
# lists whose rows are all covered by the page generation's invalidation (journey/receivers.py:
# the student's rows, their courses' topics and assessments, and the domain events). No
# docstring: the schema would take it as the description of every view that uses the mixin.
class StudentListCacheMixin:
    list_cache_name: str

    def list(self, request, *args, **kwargs):
        user = request.user
        if not settings.DASHBOARD_CACHE_ENABLED or not user.is_authenticated:
            return super().list(request, *args, **kwargs)
        key = _list_cache_key(request, name=self.list_cache_name)
        # The answer is stored with the generation it was computed under, and both are read in
        # one round trip; it is served only while that generation is still the student's.
        generation_key = GENERATION_KEY.format(user_id=user.pk)
        now = timezone.now()
        local = local_parts.get(key, now)
        if local is not None:
            kept_generation, body, content_type = local
            if cache_call(cache.get, generation_key) == kept_generation:
                return HttpResponse(body, content_type=content_type)
        found = cache_call(cache.get_many, [generation_key, key]) or {}
        generation = found.get(generation_key)
        if generation is None:
            generation = student_generation(user.pk)
        else:
            entry = found.get(key)
            if entry is not None and entry["generation"] == generation:
                if "body" in entry:
                    _keep(key, entry, now=now)
                    return HttpResponse(entry["body"], content_type=entry["content_type"])
                return Response(entry["data"])
        # The generation was read before the rows: a write landing meanwhile moves it on, so an
        # answer computed from the older rows is stored under a generation no longer current.
        response = super().list(request, *args, **kwargs)
        if generation is not None and response.status_code == 200:
            entry = {"generation": generation}
            renderer = request.accepted_renderer
            if type(renderer) is JSONRenderer:
                # Rendered once here, exactly as the response will render it; the response
                # keeps the bytes, so they are not encoded a second time.
                response.accepted_renderer = renderer
                response.accepted_media_type = request.accepted_media_type
                response.renderer_context = self.get_renderer_context()
                response.render()
                entry["body"] = response.content
                entry["content_type"] = response["Content-Type"]
            else:
                entry["data"] = response.data
            cache_call(cache.set, key, entry, API_LIST_CACHE_SECONDS)
            if "body" in entry:
                _keep(key, entry, now=now)
        return response


def _keep(key: str, entry: dict, *, now) -> None:
    body = entry["body"]
    local_parts.put(
        key,
        (entry["generation"], body, entry["content_type"]),
        now=now,
        expires_at=None,
        size=len(body),
    )
