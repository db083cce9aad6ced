"""The security audit trail: `audit_record` is the one way any layer writes an AuditEvent.

The client IP and user agent come from the request being served, held in a contextvar by
`accounts.middleware.AuditRequestMiddleware`, so callers deep in a service need not pass the
request down. Outside a request (Celery tasks, management commands) both are left empty.
"""

import hashlib
import hmac
import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

from accounts.models import AuditAction, AuditEvent

# The user agent is a hint for the student reading their activity, not evidence; a cap keeps a
# hostile client from filling the table with megabyte headers.
USER_AGENT_MAX_LENGTH = AuditEvent._meta.get_field("user_agent").max_length

# Keys that may hold a secret are refused outright: the audit trail is read by staff and kept
# after deletion, so a secret written here would outlive every other copy of it.
FORBIDDEN_DETAIL_KEYS = frozenset(
    {"password", "token", "key", "raw_key", "access_token", "refresh_token", "code", "secret"}
)


# Failed logins name an address that may belong to nobody, or to a student who later deletes
# their account; the trail keeps a keyed digest instead, so staff can still ask "how many
# failures for this address?" (by digesting it) while the table never holds the address.
USERNAME_DIGEST_KEY = "username_digest"
USERNAME_DIGEST_SALT = b"accounts.audit.username"
# Actions whose detail names an attempted login rather than a user row.
ATTEMPTED_LOGIN_ACTIONS = (AuditAction.LOGIN_FAILED, AuditAction.LOGIN_LOCKED_OUT)


def username_digest(username: str) -> str:
    """A keyed SHA-256 of the lower-cased username (an email), hex."""
    key = hashlib.sha256(USERNAME_DIGEST_SALT + settings.SECRET_KEY.encode()).digest()
    normalized = str(username or "").strip().lower().encode()
    return hmac.new(key, normalized, hashlib.sha256).hexdigest()


def audit_forget_username(*, email: str) -> int:
    """Drop the digest of `email` from attempted-login rows (on account deletion): after that
    nothing in the trail can be matched to the address, even by someone who knows it."""
    digest = username_digest(email)
    rows = AuditEvent.objects.filter(
        action__in=ATTEMPTED_LOGIN_ACTIONS, **{f"detail__{USERNAME_DIGEST_KEY}": digest}
    )
    forgotten = 0
    for event in rows.only("id", "detail"):
        event.detail.pop(USERNAME_DIGEST_KEY, None)
        event.detail.pop("username", None)
        event.save(update_fields=["detail"])
        forgotten += 1
    return forgotten


@dataclass(frozen=True)
class RequestOrigin:
    ip_address: str | None = None
    user_agent: str = ""


_NO_ORIGIN = RequestOrigin()
_current_origin: ContextVar[RequestOrigin] = ContextVar("audit_request_origin", default=_NO_ORIGIN)


def _valid_ip(value: str) -> str | None:
    value = (value or "").strip()
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the first X-Forwarded-For hop when AUDIT_TRUST_X_FORWARDED_FOR is on.

    The header is only trustworthy behind a proxy that overwrites it; otherwise any client could
    write whatever address it likes into the trail, so trusting it is an explicit setting."""
    if getattr(settings, "AUDIT_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            first_hop = _valid_ip(forwarded.split(",")[0])
            if first_hop:
                return first_hop
    return _valid_ip(request.META.get("REMOTE_ADDR", ""))


def origin_from_request(request) -> RequestOrigin:
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]
    return RequestOrigin(ip_address=client_ip(request), user_agent=user_agent)


def set_request_origin(request):
    """Bind the request's origin to the current context; returns the token for reset."""
    return _current_origin.set(origin_from_request(request))


def reset_request_origin(token) -> None:
    _current_origin.reset(token)


def current_origin() -> RequestOrigin:
    return _current_origin.get()


def audit_record(*, action: str, user=None, detail: dict | None = None) -> AuditEvent:
    """Append one audit event for `user` (None for an unknown user, as in a failed login)."""
    action = AuditAction(action)
    detail = dict(detail or {})
    forbidden = FORBIDDEN_DETAIL_KEYS.intersection(key.lower() for key in detail)
    if forbidden:
        raise ValueError(f"Audit detail must not hold secrets: {sorted(forbidden)}")
    if "username" in detail:
        # Whatever the caller, an attempted username is only ever stored as its digest.
        detail[USERNAME_DIGEST_KEY] = username_digest(detail.pop("username"))
    origin = current_origin()
    user_id = getattr(user, "pk", None) if user is not None else None
    return AuditEvent.objects.create(
        user=user if user_id is not None else None,
        user_id_snapshot=user_id,
        action=action,
        ip_address=origin.ip_address,
        user_agent=origin.user_agent,
        detail=detail,
    )
