"""API-wide plumbing: the one place ApplicationError becomes HTTP 400, and a database that is
restarting or unreachable becomes HTTP 503."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.errors import ApplicationError

logger = logging.getLogger(__name__)

API_PATH_PREFIX = "/api/"

# A lost or refused connection, a server shutting down, a deadlock or lock timeout: the work
# was rolled back, nothing about the request itself was wrong, and the same request can succeed
# once the database is back. CONN_HEALTH_CHECKS reconnects on the next request.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
# A PostgreSQL restart or failover takes seconds; clients should not hammer it meanwhile.
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_DETAIL = "Service temporarily unavailable. Please retry shortly."


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE_ERRORS)


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        body.update(exc.field_errors)
        # A rate limit (accounts.limits.RateLimitedError) is a 429 with Retry-After.
        retry_after = getattr(exc, "retry_after_seconds", None)
        return Response(
            body,
            status=getattr(exc, "status_code", status.HTTP_400_BAD_REQUEST),
            headers={"Retry-After": str(retry_after)} if retry_after else None,
        )
    if is_database_unavailable(exc):
        # Logged with its traceback for operators; the client gets no internals.
        logger.warning("Database unavailable, answered 503", exc_info=exc)
        return Response(
            {"detail": UNAVAILABLE_DETAIL},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # A body the endpoint cannot read is bad input like any other: a 400 that says which
        # content types it takes (a missing Content-Type header arrives here as "").
        accepted = sorted({parser.media_type for parser in context["request"].parsers})
        return Response(
            {"detail": f"Send the body as {' or '.join(accepted)}.", "content_type": accepted},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        )
    return drf_exception_handler(exc, context)


REFUSED_INPUT_DESCRIPTION = (
    "Refused input: a value in the query string or the body that the API does not accept "
    "(a NUL byte, a lone surrogate, a number or date out of range); the response names it."
)


def document_refused_input(result, generator, request, public):
    """drf-spectacular hook: every operation may answer 400, because a query string with a NUL
    or a lone surrogate is refused before any view runs (accounts.hygiene), list views
    included."""
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("400", {"description": REFUSED_INPUT_DESCRIPTION})
    return result
