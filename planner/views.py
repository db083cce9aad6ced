"""The project's own endpoints: liveness and readiness probes, and the handler of server errors.
The student's pages live in their apps (journey on top)."""

import logging
import sys

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader

from planner.api import (
    API_PATH_PREFIX,
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_DETAIL,
    is_database_unavailable,
)

logger = logging.getLogger(__name__)


# --- Health -----------------------------------------------------------------------------------


def healthz(request):
    return JsonResponse({"status": "ok"})


def readyz(request):
    # The probe is public: it says which dependency is down, the log says why.
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means not ready
        logger.warning("Readiness: database unavailable", exc_info=True)
        checks["database"] = "unavailable"
    if settings.REDIS_URL:
        try:
            cache.set("readyz", "1", 5)
            checks["redis"] = "ok" if cache.get("readyz") == "1" else "error"
        except Exception:
            logger.warning("Readiness: Redis unavailable", exc_info=True)
            checks["redis"] = "unavailable"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"ready": ready, "checks": checks}, status=200 if ready else 503)


# --- Errors -----------------------------------------------------------------------------------


def server_error(request):
    """handler500: a database that is restarting answers 503 with Retry-After, anything else 500;
    JSON under /api/, a plain page elsewhere. Never a traceback."""
    # Django calls this inside its `except` block, so the exception is still the current one.
    is_unavailable = is_database_unavailable(sys.exception())
    status_code = 503 if is_unavailable else 500
    if request.path_info.startswith(API_PATH_PREFIX):
        detail = UNAVAILABLE_DETAIL if is_unavailable else "Internal server error."
        response = JsonResponse({"detail": detail}, status=status_code)
    else:
        # Rendered without the request context: it would query the user, maybe from the very
        # database that just failed.
        template = loader.get_template("503.html" if is_unavailable else "500.html")
        response = HttpResponse(template.render(), status=status_code)
    if is_unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
