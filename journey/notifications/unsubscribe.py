"""Signed one-click unsubscribe tokens: who, and which kind of notification.

The token carries no expiry: RFC 8058 expects the List-Unsubscribe URL of an old message to
keep working, and all it can do is switch one kind of notification off for its student. The
salt keeps it from being valid as any other signed value of the site.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core import signing

from journey.notifications.kinds import NotificationKind

SALT = "journey.notifications.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    user_id: str
    kind: NotificationKind


def unsubscribe_token(*, user_id, kind: str) -> str:
    return signing.dumps({"u": str(user_id), "k": str(kind)}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> UnsubscribeRequest | None:
    """The request a token stands for, or None for a forged, altered or unknown one."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") not in NotificationKind.values:
        return None
    return UnsubscribeRequest(user_id=str(payload.get("u")), kind=NotificationKind(payload["k"]))
