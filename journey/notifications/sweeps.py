"""What beat runs: find the students and events to notify, in bounded batches.

Daily plan and weekly summary: students are selected in the database by timezone bucket (see
timing.py): one filter per group of zones that share the slot's local window, joined with OR,
and only those without a notification for that local date (or ISO week) yet. At most `batch`
students per run; a full batch re-queues the run for the same slot (Saleor style), and the
rows it made keep those students out of the next batch, so the runs always progress.

Block reminders, plan changes, at-risk alerts: selected from the rows that carry the event
(a block's start, a plan notice, the planner's snapshot), each bounded too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import REMINDER_MAX_MINUTES, NotificationSettings, User
from journey.notifications import builders, readmodels
from journey.notifications.kinds import NotificationKind
from journey.notifications.models import Notification, PushSubscription
from journey.notifications.services import (
    Recipient,
    notification_draft,
    notifications_save,
)
from journey.notifications.timing import LocalWindow, zone_buckets
from scheduling.models import PlanNotice, PlanSnapshot, StudyTask, TaskStatus

MONDAY = 0


@dataclass(frozen=True)
class SlotRun:
    created: int
    is_batch_full: bool


def daily_key(window: LocalWindow) -> str:
    return window.local_date.isoformat()


def weekly_key(window: LocalWindow) -> str | None:
    if window.local_date.weekday() != MONDAY:
        return None
    # The summary of the week that just ended, keyed by that week's Monday.
    return (window.local_date - timedelta(days=7)).isoformat()


SLOT_KINDS = {
    NotificationKind.DAILY_PLAN: ("daily_plan_email", daily_key),
    NotificationKind.WEEKLY_SUMMARY: ("progress_updates", weekly_key),
}


def slot_settings(
    *, kind: str, end: datetime, slot_minutes: int, batch: int
) -> list[tuple[NotificationSettings, str]]:
    """Up to `batch` settings rows (with their user) due for `kind` in the slot ending at
    `end`, each with the event key of its local date; no user is loaded in Python to decide."""
    switch, key_for = SLOT_KINDS[kind]
    switched_on = NotificationSettings.objects.filter(**{switch: True}, user__is_active=True)
    zones = switched_on.values_list("user__timezone", flat=True).distinct().order_by()
    condition = Q(pk__in=[])
    for window, names in zone_buckets(zones, end=end, slot_minutes=slot_minutes).items():
        key = key_for(window)
        if key is None:
            continue
        times = Q(daily_plan_time__in=sorted(window.times))
        already = Notification.objects.filter(user_id=OuterRef("user_id"), kind=kind, event_key=key)
        condition |= Q(times, ~Exists(already), user__timezone__in=names)
    rows = list(switched_on.filter(condition).select_related("user").order_by("user_id")[:batch])
    buckets = zone_buckets({row.user.timezone for row in rows}, end=end, slot_minutes=slot_minutes)
    due = []
    for row in rows:
        for window, names in buckets.items():
            if row.user.timezone in names and window.contains(row.daily_plan_time):
                key = key_for(window)
                if key is not None:
                    due.append((row, key))
                break
    return due


def _push_users(user_ids) -> set[str]:
    return {
        str(uid)
        for uid in PushSubscription.objects.filter(user_id__in=user_ids)
        .values_list("user_id", flat=True)
        .distinct()
    }


def slot_run(*, kind: str, end: datetime, now: datetime | None = None, batch: int) -> SlotRun:
    """Make the `kind` notifications of one slot, at most `batch`."""
    now = now or timezone.now()
    due = slot_settings(kind=kind, end=end, slot_minutes=settings.NOTIFY_SLOT_MINUTES, batch=batch)
    if not due:
        return SlotRun(created=0, is_batch_full=False)
    users = [row.user for row, _ in due]
    pushers = _push_users([u.pk for u in users])
    drafts = []
    if kind == NotificationKind.DAILY_PLAN:
        dates = {str(row.user_id): date.fromisoformat(key) for row, key in due}
        models = readmodels.daily_models_for(users, now=now, local_dates=dates)
        for row, key in due:
            message = builders.daily_plan(models[str(row.user_id)])
            drafts.append(_draft(row, kind, key, message, now, pushers))
    else:
        for row, key in due:
            model = readmodels.weekly_model(row.user, week_start=date.fromisoformat(key))
            drafts.append(_draft(row, kind, key, builders.weekly_summary(model), now, pushers))
    notifications_save(drafts)
    return SlotRun(created=len(due), is_batch_full=len(due) >= batch)


def _draft(row, kind, key, message, now, pushers, stale_after=None):
    recipient = Recipient(user=row.user, settings=row, has_push=str(row.user_id) in pushers)
    return notification_draft(
        recipient=recipient,
        kind=kind,
        event_key=key,
        message=message,
        now=now,
        stale_after=stale_after,
    )


def reminder_key(task: StudyTask) -> str:
    # A moved block is a new event: its reminder is for its new start.
    return f"{task.pk}:{task.scheduled_start.isoformat()}"


def reminders_run(*, now: datetime | None = None, batch: int) -> SlotRun:
    """Reminders of the blocks whose reminder time has come and that have not started."""
    now = now or timezone.now()
    # One condition per distinct lead time in use (at most REMINDER_MAX_MINUTES - MIN + 1):
    # the database compares the block's start with a constant, which any backend can index.
    leads = (
        NotificationSettings.objects.filter(study_reminders=True)
        .values_list("reminder_minutes_before", flat=True)
        .distinct()
        .order_by()
    )
    due = Q(pk__in=[])
    for minutes in leads:
        due |= Q(
            user__notification_settings__reminder_minutes_before=minutes,
            scheduled_start__lte=now + timedelta(minutes=minutes),
        )
    reminded = Notification.objects.filter(
        user_id=OuterRef("user_id"),
        kind=NotificationKind.BLOCK_REMINDER,
        event_key__startswith=Concat(Cast(OuterRef("pk"), CharField()), Value(":")),
        created_at__gte=OuterRef("updated_at"),
    )
    tasks = list(
        StudyTask.objects.filter(
            due,
            status=TaskStatus.SCHEDULED,
            scheduled_start__gt=now,
            scheduled_start__lte=now + timedelta(minutes=REMINDER_MAX_MINUTES),
            user__is_active=True,
            user__notification_settings__study_reminders=True,
        )
        # Blocks already reminded of since their last change are left out in the database, so
        # they cannot crowd a batch; the exact key (with the start) is checked below, and the
        # unique constraint behind it.
        .exclude(Exists(reminded))
        .select_related("course", "user", "user__notification_settings")
        .order_by("scheduled_start", "id")[: batch * 2]
    )
    if not tasks:
        return SlotRun(created=0, is_batch_full=False)
    keys = {(str(t.user_id), reminder_key(t)) for t in tasks}
    done = {
        (str(uid), key)
        for uid, key in Notification.objects.filter(
            user_id__in={t.user_id for t in tasks},
            kind=NotificationKind.BLOCK_REMINDER,
            event_key__in=[key for _, key in keys],
        ).values_list("user_id", "event_key")
    }
    todo = [t for t in tasks if (str(t.user_id), reminder_key(t)) not in done][:batch]
    pushers = _push_users({t.user_id for t in todo})
    drafts = [
        _draft(
            task.user.notification_settings,
            NotificationKind.BLOCK_REMINDER,
            reminder_key(task),
            builders.block_reminder(readmodels.reminder_model(task)),
            now,
            pushers,
            stale_after=task.scheduled_start,
        )
        for task in todo
    ]
    notifications_save(drafts)
    return SlotRun(created=len(todo), is_batch_full=len(todo) >= batch)


def plan_events_for_user(*, user: User, now: datetime | None = None) -> list[str]:
    """Plan-change notice and at-risk alerts of one student, from the rows the replan wrote.

    Idempotent: each event's key is made of what it tells (the notice's counts; the
    assessment and its due date), so running it again after the same replan adds nothing.
    A recovered assessment that falls at risk again before the same due date is not alerted
    twice; the dashboard and the at-risk page keep showing it.
    """
    from accounts.services import notification_settings_get

    now = now or timezone.now()
    recipient = Recipient(
        user=user,
        settings=notification_settings_get(user=user),
        has_push=PushSubscription.objects.for_user(user).exists(),
    )
    drafts = []
    notice = (
        PlanNotice.objects.for_user(user).undismissed().filter(first_change_at__gte=now).first()
    )
    if notice is not None:
        key = f"{notice.pk}:{notice.added_count}:{notice.moved_count}:{notice.removed_count}"
        message = builders.plan_change(readmodels.plan_change_model(user, notice))
        drafts.append(
            notification_draft(
                recipient=recipient,
                kind=NotificationKind.PLAN_CHANGE,
                event_key=key,
                message=message,
                now=now,
            )
        )
    for assessment, model in readmodels.at_risk_models(user, now=now):
        drafts.append(
            notification_draft(
                recipient=recipient,
                kind=NotificationKind.AT_RISK,
                event_key=f"{assessment.pk}:{assessment.due_date.isoformat()}",
                message=builders.at_risk(model),
                now=now,
            )
        )
    return notifications_save(drafts)


def plan_event_users(*, now: datetime, lookback: timedelta, batch: int) -> list[str]:
    """Students whose plan changed within `lookback`: a replan saves the snapshot (and the
    notice) in its transaction, so these rows are the durable record of the event."""
    since = now - lookback
    replanned = PlanSnapshot.objects.filter(planned_at__gte=since).values_list("user_id", flat=True)
    noticed = PlanNotice.objects.filter(updated_at__gte=since, dismissed_at__isnull=True)
    ids = {str(uid) for uid in replanned[:batch]}
    ids |= {str(uid) for uid in noticed.values_list("user_id", flat=True)[:batch]}
    return sorted(ids)[:batch]


def delivery_due(*, now: datetime, grace: timedelta, batch: int) -> list[str]:
    """Notifications still pending on a channel, due, and older than the grace (younger ones
    are in their own delivery task). `sending` is never resent: at most once."""
    return [
        str(pk)
        for pk in Notification.objects.awaiting_delivery(now)
        .filter(deliver_after__lt=now - grace)
        .order_by("deliver_after")
        .values_list("pk", flat=True)[:batch]
    ]
