"""Health probes that need nothing: answered before any middleware that reads the session,
the user or the database.

`HealthCheckMiddleware` sits right after the request id (so probe log lines keep their id) and
before SecurityMiddleware, sessions and auth. A probe therefore answers whatever cookies it
carries: with PostgreSQL down, a session cookie can no longer turn `/healthz` into a 503 or
`/readyz` into an HTML error page, and no HTTPS redirect sends a plain-HTTP probe elsewhere.

- `/healthz` is liveness: 200 while the process serves requests, with no database or Redis.
- `/readyz` is readiness: JSON naming each check and its state, 200 only when all are "ok".
  The probe is public: it says which dependency is down, the log says why.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.urls import resolve

from accounts.failed_tasks import failed_task_details

logger = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})


def healthz(request) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def readyz(request) -> JsonResponse:
    checks = {"database": _database_check()}
    if settings.REDIS_URL:
        checks["redis"] = _redis_check()
    ready = all(state == "ok" for state in checks.values())
    failed = sorted(name for name, state in checks.items() if state != "ok")
    body = {"ready": ready, "checks": checks, "failed": failed}
    if checks["database"] == "ok":
        # Informational (tasks that failed for good in the last day): not a readiness check.
        body.update(failed_task_details())
    return JsonResponse(body, status=200 if ready else 503)


def _database_check() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any failure means not ready
        logger.warning("Readiness: database unavailable", exc_info=True)
        return "unavailable"
    return "ok"


def _redis_check() -> str:
    # The cache ignores Redis errors (a miss instead), so a failed round trip reads as "error";
    # its socket timeouts bound how long a hung Redis can hold the probe.
    try:
        cache.set("readyz", "1", 5)
        return "ok" if cache.get("readyz") == "1" else "unavailable"
    except Exception:
        logger.warning("Readiness: Redis unavailable", exc_info=True)
        return "unavailable"


class HealthCheckMiddleware:
    """Answers the two probe paths before sessions, auth or the database are touched."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info in HEALTH_PATHS:
            # Resolving reads only the URLconf; it names the route in the request log line.
            request.resolver_match = resolve(request.path_info)
            return request.resolver_match.func(request)
        return self.get_response(request)
