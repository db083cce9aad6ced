"""The issue's sync scenarios end to end through a real Celery worker, on Redis and PostgreSQL
(see sync_worker.py for how the worker and the fake providers are wired)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from integrations import tasks
from integrations.models import (
    CalendarBlock,
    IntegrationSettings,
    NotionTask,
    OutboxEntry,
    Provider,
)
from integrations.notion import services as notion_services
from integrations.testing.fake_google import FakeGoogle
from integrations.testing.fake_notion import FakeNotion
from integrations.tests.conftest import NOTION_TOKEN
from integrations.tests.factories import StudyTaskFactory
from integrations.tests.sync_worker import (
    calendar_of,
    google_student,
    inserts,
    notion_student,
    plan_changed,
    realistic_plan,
    sync,
    wait_delivered,
    wait_for,
)
from scheduling import services as scheduling_services
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


# --- Google ----------------------------------------------------------------------------------
def test_replayed_insert_makes_exactly_one_event(worker, google):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)
    # As if the worker died after Google created the event but before the mapping was saved.
    CalendarBlock.objects.filter(study_task=task).update(google_etag="", is_synced=False)

    plan_changed(integration, moved=[task])
    wait_delivered(integration, worker)

    assert len(google.live_events(calendar_of(integration))) == 1
    assert len(inserts(google)) == 2  # the original and the replay that got 409
    block = CalendarBlock.objects.get(study_task=task)
    assert block.is_synced and block.google_etag


def test_tombstoned_event_id_is_restored_not_duplicated(worker, google):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)
    block = CalendarBlock.objects.get(study_task=task)
    google.student_delete_event(block.google_calendar_id, block.google_event_id)
    CalendarBlock.objects.filter(pk=block.pk).update(google_etag="", is_synced=False)

    plan_changed(integration, moved=[task])
    wait_delivered(integration, worker)

    [event] = google.live_events(block.google_calendar_id)
    assert event["id"] == block.google_event_id and event["status"] == "confirmed"


def test_own_change_echoed_back_is_ignored(worker, google):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)

    assert sync(integration, Provider.GOOGLE, worker).result is True

    task.refresh_from_db()
    block = CalendarBlock.objects.get(study_task=task)
    assert not task.is_pinned and not block.manually_modified
    assert not PlanSnapshot.objects.filter(user=integration.user).exists()  # no replan asked
    integration.refresh_from_db()
    assert integration.google_sync_token


def test_student_move_pins_the_block_and_the_plan_adapts(worker, google):
    integration = google_student(google)
    blocks = realistic_plan(integration.user)  # plan_changed fills the outbox on commit
    assert len(blocks) >= 2
    wait_delivered(integration, worker)
    sync(integration, Provider.GOOGLE, worker)
    moved, displaced = blocks[0], blocks[1]
    # The student drags the first block onto the second one's time.
    new_start = displaced.scheduled_start
    new_end = new_start + (moved.scheduled_end - moved.scheduled_start)
    event = CalendarBlock.objects.get(study_task=moved)
    google.student_move_event(event.google_calendar_id, event.google_event_id, new_start, new_end)

    sync(integration, Provider.GOOGLE, worker)

    moved.refresh_from_db()
    assert moved.is_pinned and (moved.scheduled_start, moved.scheduled_end) == (new_start, new_end)
    assert CalendarBlock.objects.get(study_task=moved).manually_modified
    # The pin asked scheduling for a replan, which the worker ran around the pinned block and
    # whose changes it pushed back to the calendar.
    wait_for(
        lambda: PlanSnapshot.objects.filter(
            user=integration.user, reason="moved_in_calendar"
        ).exists(),
        worker,
        "the replan after the move",
    )
    wait_for(
        lambda: calendar_matches_plan(integration, google),
        worker,
        "the calendar to show the adapted plan",
    )
    moved.refresh_from_db()
    assert moved.is_pinned and moved.scheduled_start == new_start
    others = StudyTask.objects.for_user(integration.user).filter(scheduled_start__isnull=False)
    for task in others.exclude(pk=moved.pk):
        assert task.scheduled_end <= new_start or task.scheduled_start >= new_end, task


def calendar_matches_plan(integration, google) -> bool:
    """Every scheduled task has a synced event at the task's own time."""
    scheduled = StudyTask.objects.for_user(integration.user).filter(scheduled_start__isnull=False)
    blocks = {
        block.study_task_id: block
        for block in CalendarBlock.objects.filter(user=integration.user, is_synced=True)
    }
    for task in scheduled:
        block = blocks.get(task.pk)
        if block is None:
            return False
        event = google.events.get(block.google_calendar_id, {}).get(block.google_event_id)
        if event is None or event["start"]["dateTime"] != task.scheduled_start.isoformat():
            return False
    return True


def test_expired_sync_token_falls_back_to_a_full_resync(worker, google):
    integration = google_student(google)
    # A real plan: the replan that the move asks for keeps its tasks (it would drop bare ones).
    first = realistic_plan(integration.user)[0]
    wait_delivered(integration, worker)
    sync(integration, Provider.GOOGLE, worker)
    token_before = IntegrationSettings.objects.get(pk=integration.pk).google_sync_token
    block = CalendarBlock.objects.get(study_task=first)
    moved_to = first.scheduled_start + timedelta(hours=5)
    google.student_move_event(
        block.google_calendar_id, block.google_event_id, moved_to, moved_to + timedelta(hours=1)
    )
    google.expire_sync_tokens()

    sync(integration, Provider.GOOGLE, worker)

    first.refresh_from_db()
    assert first.is_pinned and first.scheduled_start == moved_to
    integration.refresh_from_db()
    assert integration.google_sync_token not in ("", token_before)
    lists = [p for m, p in google.request_log if m == "GET" and p.endswith("/events")]
    assert len(lists) >= 3  # the first pull, the 410, and the full listing


def test_revoked_refresh_token_disconnects_and_is_not_retried(worker, google):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    google.revoke_refresh_tokens()

    plan_changed(integration, created=[task])
    wait_for(
        lambda: not IntegrationSettings.objects.get(pk=integration.pk).google_calendar_enabled,
        worker,
        "the integration to be disconnected",
    )

    stored = IntegrationSettings.objects.get(pk=integration.pk)
    assert stored.google_access_token == stored.google_refresh_token == ""
    assert "reconnect" in stored.google_error.lower()
    assert not OutboxEntry.objects.filter(user=integration.user).pending().exists()
    result = sync(integration, Provider.GOOGLE, worker)  # a later sync has nothing to do
    assert result.successful()
    assert [p for _, p in google.request_log if p == "/token"] == ["/token"]  # asked once


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, {}, {"Retry-After": "1"}),
        (403, {"error": {"errors": [{"reason": "rateLimitExceeded"}]}}, {}),
        (500, {}, {}),
        (529, {}, {}),
    ],
    ids=["429-retry-after", "403-rate-limit", "500", "529"],
)
def test_google_rate_limits_and_server_errors_are_retried(worker, google, status, body, headers):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user)
    google.inject_fault(
        method="POST", path_contains="/events", status=status, body=body, headers=headers
    )

    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)

    assert len(google.live_events(calendar_of(integration))) == 1
    assert len(inserts(google)) == 2  # the faulted one, then the retry
    entry = OutboxEntry.objects.get(user=integration.user)
    assert entry.attempts == 1 and str(status) in entry.last_error
    assert CalendarBlock.objects.get(study_task=task).is_synced


# --- Notion ------------------------------------------------------------------------------------
def test_notion_minute_rounded_edit_times_are_caught_by_the_overlap(worker, notion):
    clock = {"now": datetime(2026, 11, 2, 10, 0, 50, tzinfo=UTC)}
    notion.now = lambda: clock["now"]
    integration = notion_student(notion, two_way=True)
    task = StudyTaskFactory(user=integration.user)
    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)
    sync(integration, Provider.NOTION, worker)  # cursor: 10:00, the create rounded down
    page_id = NotionTask.objects.get(study_task=task).notion_page_id
    clock["now"] = datetime(2026, 11, 2, 10, 0, 55, tzinfo=UTC)
    notion.student_set_status(page_id, "In Progress")  # also stamped 10:00

    sync(integration, Provider.NOTION, worker)

    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    changed_at = task.updated_at
    sync(integration, Provider.NOTION, worker)  # the same row re-read in the overlap
    task.refresh_from_db()
    assert task.updated_at == changed_at


def test_notion_crash_between_create_and_mapping_makes_no_duplicate(worker, notion):
    integration = notion_student(notion)
    task = StudyTaskFactory(user=integration.user)
    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)
    NotionTask.objects.filter(study_task=task).delete()  # the mapping was never saved

    plan_changed(integration, moved=[task])
    wait_delivered(integration, worker)

    assert len(notion.rows(integration.notion_data_source_id)) == 1
    assert NotionTask.objects.get(study_task=task).notion_page_id


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, {"object": "error", "code": "rate_limited", "message": "slow"}, {"Retry-After": "1"}),
        (529, {"message": "overloaded"}, {}),
    ],
    ids=["429-rate-limited", "529"],
)
def test_notion_rate_limits_and_overload_are_retried(worker, notion, status, body, headers):
    integration = notion_student(notion)
    task = StudyTaskFactory(user=integration.user)
    notion.inject_fault(
        method="POST", path_contains="/pages", status=status, body=body, headers=headers
    )

    plan_changed(integration, created=[task])
    wait_delivered(integration, worker)

    assert len(notion.rows(integration.notion_data_source_id)) == 1
    assert OutboxEntry.objects.get(user=integration.user).attempts == 1


# --- a task that always fails ----------------------------------------------------------
def test_always_failing_sync_stops_at_its_retry_limit_and_shows_the_failure(
    worker, google, client, admin_client
):
    integration = google_student(google)
    task = StudyTaskFactory(user=integration.user, title="Graph search drill")
    google.inject_fault(method="POST", path_contains="/events", status=503, times=1000)
    OutboxEntry.objects.create(
        user=integration.user,
        provider=Provider.GOOGLE,
        study_task_id=str(task.pk),
        action="upsert",
    )

    result = sync(integration, Provider.GOOGLE, worker, pull=False)

    assert result.failed()  # final: Celery schedules no further retry of a failed task
    attempts = 1 + tasks.MAX_RETRIES
    assert len(inserts(google)) == attempts  # one insert per try, then it stopped
    stored = IntegrationSettings.objects.get(pk=integration.pk)
    assert f"failed after {attempts} attempts" in stored.google_error
    assert "503" in stored.google_error
    entry = OutboxEntry.objects.get(user=integration.user)
    assert entry.sent_at is None and entry.attempts == attempts and "503" in entry.last_error

    client.force_login(integration.user)
    page = client.get("/integrations/").content.decode()
    assert f"failed after {attempts} attempts" in page
    changelist = admin_client.get("/admin/integrations/integrationsettings/").content.decode()
    assert f"failed after {attempts} attempts" in changelist
    change = admin_client.get(
        f"/admin/integrations/integrationsettings/{integration.pk}/change/"
    ).content.decode()
    assert f"failed after {attempts} attempts" in change
    outbox = admin_client.get("/admin/integrations/outboxentry/").content.decode()
    assert "503" in outbox

    # Once Google recovers, the next sync delivers the change and clears the message.
    google.faults.clear()
    assert sync(integration, Provider.GOOGLE, worker, pull=False).result is True
    assert len(google.live_events(calendar_of(integration))) == 1
    assert IntegrationSettings.objects.get(pk=integration.pk).google_error == ""


# --- calendars follow the plan ------------------------------------------------
def both_student(google: FakeGoogle, notion: FakeNotion) -> IntegrationSettings:
    integration = google_student(google)
    notion.add_token(NOTION_TOKEN)
    return notion_services.notion_connect(
        user=integration.user, token=NOTION_TOKEN, parent_page_id=notion.add_parent_page()
    )


def test_a_skipped_block_leaves_both_providers_through_the_worker(worker, google, notion):
    integration = both_student(google, notion)
    blocks = realistic_plan(integration.user)
    wait_delivered(integration, worker)
    skipped = blocks[0]
    event_id = CalendarBlock.objects.get(study_task=skipped).google_event_id
    page_id = NotionTask.objects.get(study_task=skipped).notion_page_id

    # Committed at once (a transactional test): the replan it asks for runs on the worker.
    scheduling_services.study_task_skip(task=skipped, reason="Felt ill")
    wait_for(
        lambda: PlanSnapshot.objects.filter(user=integration.user, reason="skipped").exists(),
        worker,
        "the replan after the skip",
    )
    wait_delivered(integration, worker)
    sync(integration, Provider.GOOGLE, worker, pull=False)
    sync(integration, Provider.NOTION, worker, pull=False)

    live = {event["id"] for event in google.live_events(calendar_of(integration))}
    assert event_id not in live
    assert page_id not in {row["id"] for row in notion.rows(integration.notion_data_source_id)}
    # The calendar is exactly the plan: one event per scheduled task, the copy included.
    scheduled = StudyTask.objects.for_user(integration.user).filter(
        scheduled_start__isnull=False, status=TaskStatus.SCHEDULED
    )
    expected = set(
        CalendarBlock.objects.filter(study_task__in=scheduled).values_list(
            "google_event_id", flat=True
        )
    )
    assert len(expected) == scheduled.count() and live == expected


def test_deleting_the_account_removes_what_the_worker_pushed(
    worker, google, notion, client, settings
):
    settings.GOOGLE_REVOKE_URI = f"{google.base_url}/revoke"
    integration = both_student(google, notion)
    blocks = realistic_plan(integration.user)
    wait_delivered(integration, worker)
    dedicated = calendar_of(integration)
    assert len(google.live_events(dedicated)) == len(blocks)
    user = integration.user
    user.set_password("correct horse battery staple")
    user.save()
    client.force_login(user)

    response = client.post(
        "/settings/delete/",
        {"password": "correct horse battery staple", "confirm": "on"},
        follow=True,
    )

    assert response.status_code == 200
    assert dedicated not in google.calendars
    assert notion.rows(integration.notion_data_source_id) == []
    assert "stays" not in response.content.decode()
