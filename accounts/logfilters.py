"""No log line may hold a URL with a secret in it.

The calendar feed URL (/calendar/<token>.ics) is its own password, and so are a password-reset
link (/accounts/password/reset/key/<uid>-<token>/) and an email verification link
(/accounts/confirm-email/<signed key>/). The request log already records the route
pattern instead of the path, but Django's own loggers do not: "Not Found: /calendar/<token>.ics"
is written by django.request for a revoked feed, and the record also carries the request object,
whose repr holds the path. This filter, on the handler, rewrites every record that passes it.
"""

import logging
import re

REDACTED = "[redacted]"
SECRET_PATH_PATTERNS = (
    re.compile(r"(/calendar/)[^/?#\s'\"]+?(\.ics)"),
    re.compile(r"(/password/reset/)[^/?#\s'\"]+/[^/?#\s'\"]+(/)"),
    re.compile(r"(/confirm-email/)[^/?#\s'\"]+(/)"),
)


def redact_secret_paths(text: str) -> str:
    for pattern in SECRET_PATH_PATTERNS:
        text = pattern.sub(rf"\g<1>{REDACTED}\g<2>", text)
    return text


def _redact(value):
    if isinstance(value, str):
        return redact_secret_paths(value)
    return value


class RedactSecretPathsFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secret_paths(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact(value) for key, value in record.args.items()}
        request = getattr(record, "request", None)
        if request is not None and not isinstance(request, str):
            # The JSON formatter would write repr(request), path and all; keep only what is safe.
            record.request = redact_secret_paths(
                f"<{type(request).__name__}: {getattr(request, 'method', '')} "
                f"{getattr(request, 'path', '')}>"
            )
        return True
