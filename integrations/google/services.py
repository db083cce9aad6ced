"""Google Calendar sync: OAuth connect, the dedicated calendar, pushing blocks as an upsert keyed
by the CalendarBlock mapping, pulling the student's edits, and busy time."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import hygiene
from accounts.errors import ApplicationError
from courses.models import Topic
from integrations import planning
from integrations.google import client as google
from integrations.models import CalendarBlock, IntegrationSettings, OAuthState, Provider
from integrations.providers import CleanupOutcome
from scheduling import services as scheduling_services
from scheduling.models import StudyTask, TaskStatus

DEDICATED_CALENDAR_NAME = "Study Planner"
# An authorisation not finished within this time is abandoned; its state no longer matches.
OAUTH_STATE_TTL = timedelta(minutes=10)
# The seed: calendar constraints are cached for 15-minute intervals to reduce API calls.
BUSY_CACHE_SECONDS = 15 * 60
EVENT_TAG = "plannerBlockId"
# Account deletion waits on each request in the page's own request; a short timeout keeps the
# whole cleanup inside the web server's 30-second limit.
CLEANUP_REQUEST_TIMEOUT_SECONDS = 5

logger = logging.getLogger(__name__)


# --- OAuth ---------------------------------------------------------------------------------------
def google_oauth_start(*, user, redirect_uri: str) -> str:
    url, state, code_verifier = google.authorization_url(redirect_uri=redirect_uri)
    with transaction.atomic():
        OAuthState.objects.for_user(user).filter(provider=Provider.GOOGLE).delete()
        OAuthState.objects.create(
            user=user, provider=Provider.GOOGLE, state=state, code_verifier=code_verifier
        )
    return url


def google_oauth_finish(*, user, state: str, code: str, redirect_uri: str) -> IntegrationSettings:
    pending = OAuthState.objects.for_user(user).filter(provider=Provider.GOOGLE, state=state)
    oauth_state = pending.first()
    if oauth_state is None or oauth_state.created_at < timezone.now() - OAUTH_STATE_TTL:
        raise ApplicationError("This Google authorisation expired or was not started here.")
    oauth_state.delete()
    try:
        tokens = google.exchange_code(
            redirect_uri=redirect_uri,
            state=state,
            code_verifier=oauth_state.code_verifier,
            code=code,
        )
    except google.GoogleError as exc:
        raise ApplicationError(exc.message) from exc
    integration, _ = IntegrationSettings.objects.get_or_create(user=user)
    integration.google_access_token = tokens.access_token
    integration.google_refresh_token = tokens.refresh_token or integration.google_refresh_token
    integration.google_token_expiry = tokens.expiry
    integration.google_calendar_enabled = True
    integration.google_error = ""
    integration.save()
    return integration


def google_client_for(
    integration: IntegrationSettings, *, timeout_seconds: float = google.HTTP_TIMEOUT_SECONDS
) -> google.GoogleCalendarClient:
    def save_refreshed(token: str, expiry: datetime | None) -> None:
        # Saved at once, outside any sync transaction, so a later failure cannot lose it.
        IntegrationSettings.objects.filter(pk=integration.pk).update(
            google_access_token=token, google_token_expiry=expiry
        )
        integration.google_access_token, integration.google_token_expiry = token, expiry

    return google.build_client(
        access_token=integration.google_access_token,
        refresh_token=integration.google_refresh_token,
        expiry=integration.google_token_expiry,
        rate_key=str(integration.user_id),
        on_token_refresh=save_refreshed,
        timeout_seconds=timeout_seconds,
    )


def google_disconnect(*, integration: IntegrationSettings, message: str = "") -> None:
    """Forgets the tokens; `message` tells the student why when it was not their choice."""
    integration.google_calendar_enabled = False
    integration.google_access_token = ""
    integration.google_refresh_token = ""
    integration.google_token_expiry = None
    integration.google_error = message
    integration.save()


def google_revoke(*, integration: IntegrationSettings) -> None:
    token = integration.google_refresh_token or integration.google_access_token
    if token:
        google.revoke_token(token)


def google_pushed_remove(*, integration: IntegrationSettings, deadline: float) -> CleanupOutcome:
    """Before the account goes: the dedicated calendar is deleted in one request when it holds
    only our blocks; when the student added events of their own to it, only our blocks are
    deleted and the calendar stays. Stops at `deadline` and says what is left; never raises,
    so a provider that is down never blocks the deletion."""
    calendar_id = integration.google_calendar_id
    if not calendar_id or not integration.google_refresh_token:
        return CleanupOutcome(removed=0)
    name = f"“{DEDICATED_CALENDAR_NAME}”"
    removed = 0
    try:
        client = google_client_for(integration, timeout_seconds=CLEANUP_REQUEST_TIMEOUT_SECONDS)
        events, _ = client.list_event_changes(calendar_id=calendar_id, sync_token="")
        live = [event for event in events if event.get("status") != "cancelled"]
        ours = [event for event in live if _is_ours(event)]
        foreign = len(live) - len(ours)
        if not foreign:
            client.delete_calendar(calendar_id)
            return CleanupOutcome(removed=len(ours))
        for event in ours:
            if time.monotonic() > deadline:
                break
            with contextlib.suppress(google.GoogleNotFoundError):
                client.delete_event(calendar_id=calendar_id, event_id=event["id"])
            removed += 1
    except google.GoogleNotFoundError:
        return CleanupOutcome(removed=removed)  # the calendar is already gone
    except Exception as exc:  # any failure must leave the deletion going
        logger.warning("removing the Google calendar of %s failed: %s", integration.user_id, exc)
        reason = (
            "no longer accepts this app's access"
            if isinstance(exc, google.GoogleAuthError)
            else "could not be reached"
        )
        return CleanupOutcome(
            removed=removed,
            remaining=(
                f"Google Calendar {reason}, so your {name} calendar and its study blocks may "
                "still be there: delete that calendar in Google Calendar."
            ),
        )
    remaining = (
        f"Your {name} calendar stays in Google Calendar because it holds {foreign} "
        f"event{'s' if foreign != 1 else ''} you added yourself"
    )
    left = len(ours) - removed
    if left:
        remaining += f", and {left} study block{'s' if left != 1 else ''} we had no time to remove"
    return CleanupOutcome(removed=removed, remaining=remaining + ".")


def _is_ours(event: dict) -> bool:
    return bool(((event.get("extendedProperties") or {}).get("private") or {}).get(EVENT_TAG))


# --- calendars -----------------------------------------------------------------------------------
def google_calendar_ensure(
    *, client: google.GoogleCalendarClient, integration: IntegrationSettings
) -> str:
    """Reuses the dedicated calendar (ours by id, or one named like it), else creates it."""
    if integration.google_calendar_id:
        return integration.google_calendar_id
    existing = next(
        (
            calendar
            for calendar in client.list_calendars()
            if calendar.get("summary") == DEDICATED_CALENDAR_NAME
            and calendar.get("accessRole") == "owner"
        ),
        None,
    )
    calendar = existing or client.create_calendar(
        summary=DEDICATED_CALENDAR_NAME, time_zone=integration.user.timezone
    )
    integration.google_calendar_id = calendar["id"]
    integration.google_sync_token = ""
    integration.save(update_fields=["google_calendar_id", "google_sync_token", "updated_at"])
    return calendar["id"]


def google_calendars_list(*, integration: IntegrationSettings) -> list[dict]:
    """The student's other calendars, for choosing which ones count as busy."""
    client = google_client_for(integration)
    return [
        {"id": calendar["id"], "summary": calendar.get("summary", calendar["id"])}
        for calendar in client.list_calendars()
        if calendar["id"] != integration.google_calendar_id
    ]


def google_monitored_calendars_set(
    *, integration: IntegrationSettings, calendar_ids: list[str]
) -> IntegrationSettings:
    integration.google_monitored_calendars = sorted(
        {
            calendar_id
            for calendar_id in calendar_ids
            if calendar_id != integration.google_calendar_id
        }
    )
    integration.save(update_fields=["google_monitored_calendars", "updated_at"])
    cache.delete(busy_cache_key(integration.user_id))
    return integration


# --- the event a block becomes -------------------------------------------------------------------
def event_id_for(block: CalendarBlock) -> str:
    """Client-chosen id: base32hex (Google's allowed alphabet) of the block id and generation,
    so a replayed insert hits the same id and answers 409 instead of making a duplicate."""
    raw = block.id.bytes + block.generation.to_bytes(2, "big")
    return base64.b32hexencode(raw).decode().rstrip("=").lower()


def event_body(*, task: StudyTask, topics_by_id: dict[str, Topic], time_zone: str) -> dict:
    topics = [topics_by_id[str(tid)] for tid in task.topic_ids if str(tid) in topics_by_id]
    topic_name = topics[0].name if topics else task.title
    lines = [task.title]
    if task.description:
        lines.append(task.description)
    if task.reason:
        lines += ["", f"Why now: {task.reason}"]
    resources = [link["url"] for topic in topics for link in topic.resource_links]
    if resources:
        lines += ["", "Resources:", *(f"- {url}" for url in resources)]
    return {
        "summary": f"[{task.course.code}] {topic_name} ({task.get_difficulty_display()})",
        "description": "\n".join(lines),
        "start": {"dateTime": task.scheduled_start.isoformat(), "timeZone": time_zone},
        "end": {"dateTime": task.scheduled_end.isoformat(), "timeZone": time_zone},
    }


def content_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _topics_for(tasks: list[StudyTask]) -> dict[str, Topic]:
    topic_ids = {str(tid) for task in tasks for tid in task.topic_ids}
    return {str(topic.pk): topic for topic in Topic.objects.filter(pk__in=topic_ids)}


def _parse_event_time(value: dict) -> datetime:
    return datetime.fromisoformat(value["dateTime"].replace("Z", "+00:00"))


# --- push ----------------------------------------------------------------------------------------
def google_tasks_push(
    *, client: google.GoogleCalendarClient, integration: IntegrationSettings, task_ids: list[str]
) -> None:
    """Upserts the blocks of these tasks and removes the events of tasks that are gone,
    unscheduled or skipped. Per-block failures are recorded on the block; transient and auth
    errors propagate so the caller can retry or disconnect."""
    calendar_id = google_calendar_ensure(client=client, integration=integration)
    user = integration.user
    tasks = {
        str(task.pk): task
        for task in StudyTask.objects.for_user(user)
        .filter(pk__in=task_ids)
        .select_related("course")
    }
    blocks = {
        str(block.study_task_id): block
        for block in CalendarBlock.objects.for_user(user).filter(study_task_id__in=task_ids)
    }
    topics_by_id = _topics_for(list(tasks.values()))
    for task_id in task_ids:
        task, block = tasks.get(task_id), blocks.get(task_id)
        if task is None or task.scheduled_start is None or task.status == TaskStatus.SKIPPED:
            if block is not None:
                _block_remove(client=client, block=block)
            continue
        _block_upsert(
            client=client,
            integration=integration,
            calendar_id=calendar_id,
            task=task,
            block=block,
            topics_by_id=topics_by_id,
        )
    # A skip changes no block of the plan, so it sends no plan change for the skipped task:
    # every run also removes the events of tasks skipped or unscheduled since their push, so
    # the calendar never keeps a block next to its rescheduled copy. Deleted tasks leave a
    # mapping without a task.
    stale = (
        CalendarBlock.objects.for_user(user)
        .filter(
            Q(study_task__isnull=True)
            | Q(study_task__status=TaskStatus.SKIPPED)
            | Q(study_task__scheduled_start__isnull=True)
        )
        .exclude(study_task__status=TaskStatus.COMPLETED)
    )
    for block in stale:
        _block_remove(client=client, block=block)


def _block_remove(*, client: google.GoogleCalendarClient, block: CalendarBlock) -> None:
    if block.google_event_id and block.google_etag:
        # 404 or 410: already gone, which is what a delete wants.
        with contextlib.suppress(google.GoogleNotFoundError):
            client.delete_event(
                calendar_id=block.google_calendar_id, event_id=block.google_event_id
            )
    block.delete()


def _block_upsert(
    *,
    client: google.GoogleCalendarClient,
    integration: IntegrationSettings,
    calendar_id: str,
    task: StudyTask,
    block: CalendarBlock | None,
    topics_by_id: dict[str, Topic],
) -> None:
    body = event_body(task=task, topics_by_id=topics_by_id, time_zone=integration.user.timezone)
    digest = content_hash(body)
    if block is None:
        block = CalendarBlock(user=integration.user, study_task=task)
    elif (
        block.is_synced and block.content_hash == digest and block.google_calendar_id == calendar_id
    ):
        return
    if block.google_calendar_id != calendar_id:
        block.google_calendar_id, block.google_etag = calendar_id, ""
    block.google_event_id = block.google_event_id or event_id_for(block)
    block.start_time, block.end_time = task.scheduled_start, task.scheduled_end
    # The mapping is saved before the insert: a crash after Google created the event leaves a
    # row whose retry re-sends the same event id and reconciles the 409.
    block.is_synced = False
    block.save()
    try:
        if block.google_etag:
            event = client.patch_event(
                calendar_id=calendar_id,
                event_id=block.google_event_id,
                body=body,
                etag=block.google_etag,
            )
        else:
            event = _insert_or_reconcile(client=client, block=block, body=body)
    except google.GooglePreconditionFailedError:
        event = client.get_event(calendar_id=calendar_id, event_id=block.google_event_id)
        _apply_student_edit(block=block, event=event, topics_by_id=topics_by_id)
        return
    except google.GoogleNotFoundError as exc:
        if block.google_etag:
            # The event we wrote is gone: the student deleted it.
            _apply_student_edit(block=block, event={"status": "cancelled"})
            return
        # An insert found no calendar: it was deleted, so the next sync makes a new one.
        integration.google_calendar_id = ""
        integration.save(update_fields=["google_calendar_id", "updated_at"])
        block.sync_error = exc.message
        block.save(update_fields=["sync_error", "updated_at"])
        return
    except (google.GoogleAuthError, google.GoogleRetryableError):
        raise
    except google.GoogleError as exc:
        block.sync_error = exc.message
        block.save(update_fields=["sync_error", "updated_at"])
        return
    _mark_synced(block=block, etag=event["etag"], digest=digest)


def _mark_synced(*, block: CalendarBlock, etag: str, digest: str) -> None:
    block.google_etag, block.content_hash = etag, digest
    block.is_synced, block.last_sync_at, block.sync_error = True, timezone.now(), None
    block.save()


def _insert_or_reconcile(
    *, client: google.GoogleCalendarClient, block: CalendarBlock, body: dict
) -> dict:
    tagged = dict(body, extendedProperties={"private": {EVENT_TAG: str(block.id)}})
    try:
        return client.insert_event(
            calendar_id=block.google_calendar_id, body=dict(tagged, id=block.google_event_id)
        )
    except google.GoogleConflictError:
        existing = client.get_event(
            calendar_id=block.google_calendar_id, event_id=block.google_event_id
        )
    private = (existing.get("extendedProperties") or {}).get("private") or {}
    if private.get(EVENT_TAG) != str(block.id):
        # The id belongs to someone else's event: move to the next generation's id.
        block.generation += 1
        block.google_event_id = event_id_for(block)
        block.save(update_fields=["generation", "google_event_id", "updated_at"])
        return _insert_or_reconcile(client=client, block=block, body=body)
    # Ours from an earlier attempt (or a tombstone of it): bring it up to date, restoring it.
    return client.patch_event(
        calendar_id=block.google_calendar_id,
        event_id=block.google_event_id,
        body=dict(tagged, status="confirmed"),
        etag=existing["etag"],
    )


# --- the student's edits -------------------------------------------------------------------------
def _apply_student_edit(
    *, block: CalendarBlock, event: dict, topics_by_id: dict[str, Topic] | None = None
) -> bool:
    """Returns True when the plan must be rebuilt around the edit."""
    task = block.study_task
    if event.get("status") == "cancelled":
        # Deleted by the student: the task is skipped, never silently recreated.
        if task is not None and task.status != TaskStatus.SKIPPED:
            planning.study_task_skip(task=task)
        block.delete()
        if task is not None:
            planning.plan_replan_request(user_id=block.user_id)
        return True
    start, end = _parse_event_time(event["start"]), _parse_event_time(event["end"])
    if not (hygiene.is_date_in_range(start) and hygiene.is_date_in_range(end)):
        # A move beyond the planner's dates (year 9999) cannot be stored: it is not applied.
        start, end = block.start_time, block.end_time
    moved = start != block.start_time or end != block.end_time
    block.google_etag = event["etag"]
    if not moved:
        block.save(update_fields=["google_etag", "updated_at"])
        return False
    block.start_time, block.end_time, block.manually_modified = start, end, True
    if task is not None:
        # Pinning replans around the block, through the scheduling service.
        task = planning.study_task_pin(task=task, start=start, end=end)
        body = event_body(
            task=task,
            topics_by_id=topics_by_id if topics_by_id is not None else _topics_for([task]),
            time_zone=block.user.timezone,
        )
        block.content_hash = content_hash(body)
    block.is_synced, block.last_sync_at, block.sync_error = True, timezone.now(), None
    block.save()
    return True


def google_changes_pull(
    *, client: google.GoogleCalendarClient, integration: IntegrationSettings
) -> int:
    """Applies the student's edits since the last pull; returns how many blocks changed."""
    calendar_id = google_calendar_ensure(client=client, integration=integration)
    sync_token = integration.google_sync_token
    try:
        events, next_token = client.list_event_changes(
            calendar_id=calendar_id, sync_token=sync_token
        )
    except google.GoogleSyncTokenExpiredError:
        sync_token = ""
        events, next_token = client.list_event_changes(calendar_id=calendar_id, sync_token="")
    is_full_sync = not sync_token
    blocks = {
        block.google_event_id: block
        for block in CalendarBlock.objects.for_user(integration.user)
        .filter(google_calendar_id=calendar_id)
        .exclude(google_etag="")
        .select_related("study_task__course", "user")
    }
    changed = 0
    with transaction.atomic():
        for event in events:
            block = blocks.pop(event["id"], None)
            if block is None or event.get("etag") == block.google_etag:
                continue  # not ours, or our own write echoed back
            changed += _apply_student_edit(block=block, event=event)
        if is_full_sync:
            # A full listing includes tombstones, so a block whose event is missing is gone.
            for block in blocks.values():
                changed += _apply_student_edit(block=block, event={"status": "cancelled"})
        integration.google_sync_token = next_token
        integration.save(update_fields=["google_sync_token", "updated_at"])
    return changed


# --- busy time -----------------------------------------------------------------------------------
# The source of the busy rows this provider writes into scheduling's store.
GOOGLE_BUSY_SOURCE = "google"


def busy_cache_key(user_id) -> str:
    """Where the planner finds the student's busy intervals (ISO start/end pairs)."""
    return f"calendar-busy:{user_id}"


def google_busy_refresh(
    *, client: google.GoogleCalendarClient, integration: IntegrationSettings
) -> list[tuple[datetime, datetime]]:
    """freeBusy over the planning horizon on the chosen calendars, never our own; a change
    from what the planner last saw triggers a replan."""
    calendar_ids = [
        calendar_id
        for calendar_id in integration.google_monitored_calendars
        if calendar_id != integration.google_calendar_id
    ]
    intervals: list[tuple[datetime, datetime]] = []
    now = timezone.now()
    if calendar_ids:
        answer = client.free_busy(
            calendar_ids=calendar_ids,
            time_min=now,
            time_max=now + timedelta(days=settings.PLANNING_HORIZON_DAYS),
        )
        intervals = _merge(
            (_parse_iso(busy["start"]), _parse_iso(busy["end"]))
            for busy_list in answer.values()
            for busy in busy_list
        )
    serialized = [[start.isoformat(), end.isoformat()] for start, end in intervals]
    cache.set(busy_cache_key(integration.user_id), serialized, BUSY_CACHE_SECONDS)
    digest = content_hash({"busy": serialized})
    seen_digest = integration.google_busy_hash or content_hash({"busy": []})
    if digest != seen_digest:
        integration.google_busy_hash = digest
        integration.save(update_fields=["google_busy_hash", "updated_at"])
    # The planner reads busy time from scheduling's store, which replans when it changed.
    scheduling_services.busy_intervals_replace(
        user=integration.user,
        source=GOOGLE_BUSY_SOURCE,
        intervals=intervals,
        window_start=now,
        window_end=now + timedelta(days=settings.PLANNING_HORIZON_DAYS),
    )
    return intervals


def google_busy_forget(*, integration: IntegrationSettings) -> None:
    """After a disconnect: the busy time pulled from the student's calendars goes, so the plan
    stops avoiding events it can no longer see change (a replan follows when it had any)."""
    scheduling_services.busy_intervals_replace(
        user=integration.user, source=GOOGLE_BUSY_SOURCE, intervals=[]
    )
    cache.delete(busy_cache_key(integration.user_id))
    if integration.google_busy_hash:
        integration.google_busy_hash = ""
        integration.save(update_fields=["google_busy_hash", "updated_at"])


def busy_intervals_get(*, integration: IntegrationSettings) -> list[tuple[datetime, datetime]]:
    """Cached busy time, asking Google only when the 15-minute cache has expired."""
    cached = cache.get(busy_cache_key(integration.user_id))
    if cached is None:
        if not integration.google_calendar_enabled:
            return []
        return google_busy_refresh(client=google_client_for(integration), integration=integration)
    return [(_parse_iso(start), _parse_iso(end)) for start, end in cached]


def _parse_iso(value: str) -> datetime:
    return hygiene.clamp_moment(datetime.fromisoformat(value.replace("Z", "+00:00")))


def _merge(intervals) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
