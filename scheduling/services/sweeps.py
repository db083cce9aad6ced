"""What the hourly sweeps look for: nightly replans, changed busy time, missed blocks."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from scheduling.models import (
    PlanSnapshot,
    StudyTask,
)
from scheduling.selectors import busy_fingerprints_by_user

# -- Sweeps ----------------------------------------------------------------------------------

# The nightly replan runs at this local hour.
NIGHTLY_LOCAL_HOUR = 2


def users_due_for_nightly(
    *, now: datetime | None = None, after_pk=None, limit: int | None = None
) -> list[tuple]:
    """Active users whose local clock reads 02:xx and who were not replanned tonight, as
    (user, local date) in pk order: at most `limit` of them, after `after_pk` when given.

    The filtering happens in the database, so a batch costs the same however many students
    are due; the sweep walks the rest with `after_pk` (a cursor, so a user whose mark could
    not be written is still visited only once per sweep).
    """
    now = now or timezone.now()
    user_model = get_user_model()
    today_by_zone = {}
    for name in (
        user_model.objects.filter(is_active=True).values_list("timezone", flat=True).distinct()
    ):
        try:
            local = now.astimezone(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            continue
        if local.hour == NIGHTLY_LOCAL_HOUR:
            today_by_zone[name] = local.date()
    if not today_by_zone:
        return []
    due_filter = Q()
    for name, today in today_by_zone.items():
        due_filter |= Q(timezone=name) & ~Q(plan_snapshot__last_nightly_date=today)
    users = user_model.objects.filter(due_filter, is_active=True).order_by("pk")
    if after_pk is not None:
        users = users.filter(pk__gt=after_pk)
    if limit is not None:
        users = users[:limit]
    return [(user, today_by_zone[user.timezone]) for user in users]


def nightly_mark(*, user, local_date: date) -> None:
    PlanSnapshot.objects.filter(user=user).update(last_nightly_date=local_date)


def users_with_changed_busy() -> list[str]:
    """Users whose stored busy time differs from what their last plan used."""
    snapshots = dict(PlanSnapshot.objects.values_list("user_id", "busy_fingerprint"))
    current = busy_fingerprints_by_user(snapshots)
    return sorted(str(pk) for pk, seen in snapshots.items() if current[str(pk)] != seen)


def users_with_missed_blocks(*, now: datetime | None = None) -> list[str]:
    now = now or timezone.now()
    ids = StudyTask.objects.missed_by(now).values_list("user_id", flat=True).distinct()
    return sorted(str(pk) for pk in ids)
