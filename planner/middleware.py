"""Request middleware: the student's timezone, and a request id that follows every log line.

The request id comes from a sane incoming X-Request-ID (a proxy's or a client's), else a new
uuid4 hex. It is echoed in the response, kept in a context variable that a logging filter adds
to every record (with the signed-in user's id, never an email or a secret), and carried into
the Celery tasks the request enqueues.
"""

import contextvars
import logging
import re
import time
import uuid
import zoneinfo

from django.utils import timezone

REQUEST_ID_HEADER = "X-Request-ID"
API_PATH_PREFIX = "/api/"
# Long enough for a uuid or a trace id, short and plain enough to be safe in any log line.
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# The Celery message header that carries the request id into a task.
TASK_REQUEST_ID_HEADER = "request_id"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)
user_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("user_id", default=None)

request_logger = logging.getLogger("planner.request")


def request_id_from(value: str | None) -> str:
    """The incoming id when it is a plain bounded token, else a fresh one (never the input)."""
    if value and REQUEST_ID_PATTERN.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """First in the stack, so every log line of the request carries its id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # META, not request.headers: building the headers mapping costs more than this lookup.
        request_id = request_id_from(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        user_token = user_id_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            if not request_logger.isEnabledFor(logging.INFO):
                return response
            match = getattr(request, "resolver_match", None)
            # The URL pattern, not the path: paths can hold secrets (the calendar feed token).
            route = f"/{match.route}" if match else None
            request_logger.info(
                "%s %s %s",
                request.method,
                route or "(unresolved)",
                response.status_code,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            user_id_var.reset(user_token)
            request_id_var.reset(id_token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_token_api_call(request):
            # The token is checked later, inside the API view; the session holds nobody here.
            return
        # By now the session is read; the user is loaded once here and cached on the request.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            user_id_var.set(str(user.pk))


def is_token_api_call(request) -> bool:
    """An API call carrying a Bearer token: its user comes from the token (in the API view), so
    the middleware need not load a session user for it (a script sends no session cookie, and
    one that did would be answered as the token's owner anyway)."""
    return (
        request.path_info.startswith(API_PATH_PREFIX)
        and request.META.get("HTTP_AUTHORIZATION", "")[:7].lower() == "bearer "
    )


class RequestContextFilter(logging.Filter):
    """Adds request_id and user_id to every record (None outside a request or a task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            record.user_id = user_id_var.get()
        return True


# --- Celery: the request id travels in a message header ---------------------------------------


def add_request_id_header(sender=None, headers=None, **kwargs) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None and TASK_REQUEST_ID_HEADER not in headers:
        headers[TASK_REQUEST_ID_HEADER] = request_id


def bind_task_request_id(sender=None, task=None, **kwargs) -> None:
    if task is None:
        return
    request_id = getattr(task.request, TASK_REQUEST_ID_HEADER, None) or (
        task.request.headers or {}
    ).get(TASK_REQUEST_ID_HEADER)
    # An eager task runs inside the request and already has its id.
    if request_id and REQUEST_ID_PATTERN.fullmatch(str(request_id)):
        request_id_var.set(str(request_id))


def clear_task_request_id(sender=None, task=None, **kwargs) -> None:
    if task is not None and not task.request.is_eager:
        request_id_var.set(None)


class StudentTimezoneMiddleware:
    """Render every date and time in the signed-in student's own IANA timezone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_token_api_call(request):
            # No student is known before the API view checks the token: the call renders in
            # UTC. Nothing activates a zone without restoring it (the code uses override), and
            # every other request deactivates its own at its end, so there is none to clear.
            return self.get_response(request)
        user = getattr(request, "user", None)
        zone_name = getattr(user, "timezone", None) if user and user.is_authenticated else None
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                timezone.deactivate()
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
