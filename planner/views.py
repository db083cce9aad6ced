"""The project's own handler of server errors. The health probes are in `planner.health`; the
student's pages live in their apps (journey on top)."""

import logging
import sys

from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.templatetags.static import static

from planner.api import (
    API_PATH_PREFIX,
    RETRY_AFTER_SECONDS,
    UNAVAILABLE_DETAIL,
    is_database_unavailable,
)

logger = logging.getLogger(__name__)


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


def favicon(request):
    """Browsers ask for /favicon.ico before (or without) reading the page's <link rel=icon>;
    the icon itself is a static SVG, so this only points there."""
    return redirect(static("favicon.svg"))
