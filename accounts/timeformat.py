"""How a student's times and dates are written: in their time zone, with their 12- or 24-hour
clock (UserPreferences.time_format), day and month names in the active language. The template
filters in accounts/templatetags/when.py are the way pages use it."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import dateformat
from django.utils import timezone as dj_timezone

from accounts.models import TimeFormat, UserPreferences
from accounts.timezones import user_zone

CLOCK_FORMATS = {TimeFormat.H24: "H:i", TimeFormat.H12: "g:i A"}
DAY_FORMAT = "D j M"
LONG_DAY_FORMAT = "l j F"
FULL_DATE_FORMAT = "j M Y"
# Cached on the user object, so a page full of times reads the preference once per request.
_CACHE_ATTRIBUTE = "_planner_time_format"


def time_format_of(user) -> str:
    """The student's clock (24h when unknown: anonymous, or no preferences yet)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return TimeFormat.H24
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is None:
        cached = (
            UserPreferences.objects.for_user(user)
            .order_by("-created_at")
            .values_list("time_format", flat=True)
            .first()
        ) or TimeFormat.H24
        setattr(user, _CACHE_ATTRIBUTE, cached)
    return cached


def forget_time_format(user) -> None:
    """After the preference changes, the next time written reads it again."""
    user.__dict__.pop(_CACHE_ATTRIBUTE, None)


def _local(value, user):
    """A datetime in the student's zone (the active zone without a student); dates as they are.
    An ISO 8601 string (as stored in plan snapshots) is read first."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if dj_timezone.is_naive(value):
            return value
        zone = (
            user_zone(user)
            if user is not None and getattr(user, "is_authenticated", False)
            else None
        )
        return dj_timezone.localtime(value, zone)
    return value


def _format(value, pattern: str) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, date):
        return str(value)
    return dateformat.format(value, pattern)


def _clock_pattern(user) -> str:
    return CLOCK_FORMATS.get(time_format_of(user), CLOCK_FORMATS[TimeFormat.H24])


def clock(value, user=None) -> str:
    """The time of day only (also for a `datetime.time`)."""
    if value in (None, ""):
        return ""
    return dateformat.time_format(_local(value, user), _clock_pattern(user))


def day(value, user=None) -> str:
    return _format(_local(value, user), DAY_FORMAT)


def day_clock(value, user=None) -> str:
    return _format(_local(value, user), f"{DAY_FORMAT}, {_clock_pattern(user)}")


def long_day(value, user=None) -> str:
    return _format(_local(value, user), LONG_DAY_FORMAT)


def full_date(value, user=None) -> str:
    return _format(_local(value, user), FULL_DATE_FORMAT)


def full_date_clock(value, user=None) -> str:
    return _format(_local(value, user), f"{FULL_DATE_FORMAT}, {_clock_pattern(user)}")


def is_past_day(value, user=None) -> bool:
    """Whether a date (or the local day of a datetime) is before the student's today."""
    local = _local(value, user)
    if not isinstance(local, date):
        return False
    day_value = local.date() if isinstance(local, datetime) else local
    zone = (
        user_zone(user) if user is not None and getattr(user, "is_authenticated", False) else None
    )
    return day_value < dj_timezone.localdate(timezone=zone)
