"""The student's time zone, the one way every app turns a user (or a zone name) into a ZoneInfo.

Local calendar days decide review dates, streaks, the week plan and all-day deadlines, so every
layer needs the same answer. The profile form only accepts IANA names, but rows written before
that check, imports and tests may still carry an empty or unknown name: those mean UTC rather
than a 500.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FALLBACK_ZONE_NAME = "UTC"


def user_zone(user_or_name) -> ZoneInfo:
    """The zone of a user (anything with a `timezone` attribute) or of an IANA zone name."""
    name = user_or_name if isinstance(user_or_name, str | None) else user_or_name.timezone
    try:
        return ZoneInfo(name or FALLBACK_ZONE_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE_NAME)
