"""Daily check-ins: how hard the plan felt, which tunes the next one."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from scheduling.models import (
    DailyCheckIn,
)
from scheduling.services.plan import (
    plan_replan_enqueue,
)
from scheduling.work import (
    user_zone,
)

# -- Check-ins --------------------------------------------------------------------------------


def checkin_submit(
    *,
    user,
    difficulty: int,
    time_burden: int,
    mood: int | None = None,
    energy: int | None = None,
    note: str = "",
    on_date: date | None = None,
) -> DailyCheckIn:
    """Today's check-in (local date); a second one the same day replaces the first."""
    errors = {}
    for name, value, required in (
        ("difficulty", difficulty, True),
        ("time_burden", time_burden, True),
        ("mood", mood, False),
        ("energy", energy, False),
    ):
        if value is None and not required:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
            errors[name] = ["Must be a whole number from 1 to 5."]
    if errors:
        raise ApplicationError("The check-in is invalid.", field_errors=errors)
    day = on_date or timezone.now().astimezone(user_zone(user)).date()
    with transaction.atomic():
        checkin, _ = DailyCheckIn.objects.update_or_create(
            user=user,
            date=day,
            defaults={
                "difficulty": difficulty,
                "time_burden": time_burden,
                "mood": mood,
                "energy": energy,
                "note": (note or "").strip()[:2000],
            },
        )
        plan_replan_enqueue(user_id=user.pk, reason="checkin")
    return checkin
