"""The secret ICS feed URL: rotate and revoke."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from scheduling.models import (
    CalendarFeedToken,
)

# -- Calendar feed ----------------------------------------------------------------------------

# 32 random bytes: unguessable, and URL-safe so it fits a path segment.
FEED_TOKEN_BYTES = 32


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def calendar_feed_rotate(*, user) -> tuple[CalendarFeedToken, str]:
    """A new secret feed URL; the old one stops working. The raw token is returned once."""
    raw = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    with transaction.atomic():
        CalendarFeedToken.objects.for_user(user).active().update(revoked_at=timezone.now())
        token = CalendarFeedToken.objects.create(user=user, token_hash=hash_feed_token(raw))
    return token, raw


def calendar_feed_revoke(*, user) -> int:
    return CalendarFeedToken.objects.for_user(user).active().update(revoked_at=timezone.now())
