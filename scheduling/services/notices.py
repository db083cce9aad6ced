"""Module 3's notify_user: a plan change inside the next 24 hours becomes a notice the student
sees on the dashboard until they dismiss it."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from accounts.errors import ApplicationError
from scheduling.models import PlanNotice, StudyTask

# Changes further out are routine replanning; inside a day they change what the student does
# today or tomorrow morning, which is what Module 3 asks to notify.
NOTICE_WINDOW = timedelta(hours=24)


def plan_notice_record(
    *,
    user,
    now: datetime,
    starts_before: dict[str, datetime | None],
    created: list[str],
    moved: list[str],
    deleted: list[str],
    reason: str,
) -> PlanNotice | None:
    """Record the change if it touches a block starting within the window, before or after.

    `starts_before` maps task ids to where their blocks started before the replan. The open
    notice (not yet dismissed) is updated rather than a new one added.
    """
    window_end = now + NOTICE_WINDOW

    def is_soon(start: datetime | None) -> bool:
        return start is not None and now <= start < window_end

    starts_after = {
        str(pk): start
        for pk, start in StudyTask.objects.filter(pk__in=[*created, *moved]).values_list(
            "pk", "scheduled_start"
        )
    }
    added = [pk for pk in created if is_soon(starts_after.get(pk))]
    shifted = [
        pk for pk in moved if is_soon(starts_after.get(pk)) or is_soon(starts_before.get(pk))
    ]
    removed = [pk for pk in deleted if is_soon(starts_before.get(pk))]
    if not (added or shifted or removed):
        return None
    touched = [starts_after.get(pk) for pk in added + shifted]
    touched += [starts_before.get(pk) for pk in shifted + removed]
    first = min(start for start in touched if is_soon(start))
    notice = PlanNotice.objects.for_user(user).undismissed().first()
    if notice is None:
        notice = PlanNotice(user=user)
    notice.reason = reason[:200]
    notice.added_count += len(added)
    notice.moved_count += len(shifted)
    notice.removed_count += len(removed)
    if notice.first_change_at is None or notice.first_change_at < now:
        notice.first_change_at = first
    else:
        notice.first_change_at = min(notice.first_change_at, first)
    notice.save()
    return notice


def plan_notice_dismiss(*, user, notice: PlanNotice) -> PlanNotice:
    if notice.user_id != user.pk:
        raise ApplicationError("Notice not found.")
    if notice.dismissed_at is None:
        notice.dismissed_at = timezone.now()
        notice.save(update_fields=["dismissed_at", "updated_at"])
    return notice
