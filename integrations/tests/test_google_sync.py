"""Google Calendar sync driven through google-api-python-client against the fake server."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from integrations import planning, services
from integrations.google import client as google
from integrations.google import services as google_services
from integrations.models import CalendarBlock, IntegrationSettings, OAuthState, Provider
from integrations.tests.factories import StudyTaskFactory
from scheduling import services as scheduling_services
from scheduling.models import TaskStatus

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def push(integration, tasks):
    client = google_services.google_client_for(integration)
    google_services.google_tasks_push(
        client=client, integration=integration, task_ids=[str(t.pk) for t in tasks]
    )
    return client


def pull(integration):
    client = google_services.google_client_for(integration)
    return google_services.google_changes_pull(client=client, integration=integration)


@pytest.fixture
def replans(monkeypatch):
    calls = []
    monkeypatch.setattr(planning, "plan_replan_request", lambda *, user_id: calls.append(user_id))
    return calls


def calendar_id(integration):
    integration.refresh_from_db()
    return integration.google_calendar_id


def test_oauth_flow_with_pkce_stores_tokens_server_side(user, fake_google):
    redirect_uri = "http://testserver/integrations/google/callback"
    url = google_services.google_oauth_start(user=user, redirect_uri=redirect_uri)
    query = parse_qs(urlparse(url).query)
    assert query["access_type"] == ["offline"]
    assert query["prompt"] == ["consent"]
    assert query["code_challenge_method"] == ["S256"]
    assert set(query["scope"][0].split()) == set(google.SCOPES)
    pending = OAuthState.objects.get(user=user)
    assert pending.state == query["state"][0]
    assert pending.code_verifier not in url  # only the challenge leaves the server

    consent = requests.get(url, timeout=5)
    assert "Allow" in consent.text
    approve = consent.text.split("href='")[1].split("'")[0].replace("&amp;", "&")
    answer = requests.get(fake_google.base_url + approve, allow_redirects=False, timeout=5)
    callback = parse_qs(urlparse(answer.headers["Location"]).query)

    integration = google_services.google_oauth_finish(
        user=user, state=callback["state"][0], code=callback["code"][0], redirect_uri=redirect_uri
    )
    assert integration.google_calendar_enabled
    assert integration.google_access_token in fake_google.access_tokens
    assert integration.google_refresh_token in fake_google.refresh_tokens
    assert not OAuthState.objects.filter(user=user).exists()


def test_oauth_finish_rejects_unknown_state(user, fake_google):
    from accounts.errors import ApplicationError

    with pytest.raises(ApplicationError):
        google_services.google_oauth_finish(
            user=user, state="forged", code="x", redirect_uri="http://testserver/cb"
        )


def test_first_push_creates_dedicated_calendar_and_tagged_events(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user, with_topic="Recursion")
    push(google_connected, [task])

    calendar = fake_google.calendar_named("Study Planner")
    assert calendar is not None and calendar["id"] == calendar_id(google_connected)
    [event] = fake_google.live_events(calendar["id"])
    assert event["summary"] == f"[{task.course.code}] Recursion (Medium)"
    assert task.reason in event["description"]
    assert "https://example.org/lecture" in event["description"]
    block = CalendarBlock.objects.get(study_task=task)
    assert event["id"] == block.google_event_id == google_services.event_id_for(block)
    assert event["extendedProperties"]["private"]["plannerBlockId"] == str(block.id)
    assert (block.is_synced, block.google_etag) == (True, event["etag"])
    assert block.last_sync_at is not None and block.sync_error is None


def test_dedicated_calendar_is_reused_not_duplicated(google_connected, fake_google):
    fake_google.add_calendar("existing@group.calendar.google.com", "Study Planner")
    push(google_connected, [StudyTaskFactory(user=google_connected.user)])
    assert calendar_id(google_connected) == "existing@group.calendar.google.com"


def test_unchanged_repush_makes_no_request_and_a_move_makes_one(google_connected, fake_google):
    tasks = StudyTaskFactory.create_batch(3, user=google_connected.user)
    push(google_connected, tasks)
    fake_google.reset_counts()

    push(google_connected, tasks)
    assert fake_google.total_requests() == 0

    tasks[1].scheduled_start += timedelta(hours=2)
    tasks[1].scheduled_end += timedelta(hours=2)
    tasks[1].save()
    push(google_connected, tasks)
    assert fake_google.request_log == [("PATCH", fake_google.request_log[0][1])]
    event = fake_google.events[calendar_id(google_connected)][
        CalendarBlock.objects.get(study_task=tasks[1]).google_event_id
    ]
    assert event["start"]["dateTime"] == tasks[1].scheduled_start.isoformat()


def test_replayed_insert_after_crash_makes_exactly_one_event(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    # As if the worker died after Google created the event but before the mapping was saved.
    CalendarBlock.objects.filter(study_task=task).update(google_etag="", is_synced=False)

    push(google_connected, [task])

    assert len(fake_google.live_events(calendar_id(google_connected))) == 1
    inserts = [p for m, p in fake_google.request_log if m == "POST" and p.endswith("/events")]
    assert len(inserts) == 2  # the original insert and the replay that got 409
    block = CalendarBlock.objects.get(study_task=task)
    assert block.is_synced and block.google_etag


def test_tombstoned_event_id_is_restored_not_duplicated(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    block = CalendarBlock.objects.get(study_task=task)
    fake_google.student_delete_event(block.google_calendar_id, block.google_event_id)
    CalendarBlock.objects.filter(pk=block.pk).update(google_etag="", is_synced=False)

    push(google_connected, [task])

    [event] = fake_google.live_events(block.google_calendar_id)
    assert event["id"] == block.google_event_id and event["status"] == "confirmed"


def test_foreign_event_on_our_id_moves_to_next_generation(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    block = CalendarBlock.objects.get(study_task=task)
    event = fake_google.events[block.google_calendar_id][block.google_event_id]
    event["extendedProperties"] = {"private": {"plannerBlockId": "someone-else"}}
    CalendarBlock.objects.filter(pk=block.pk).update(google_etag="", is_synced=False)

    push(google_connected, [task])

    block.refresh_from_db()
    assert block.generation == 1
    assert block.google_event_id == google_services.event_id_for(block)
    assert len(fake_google.live_events(block.google_calendar_id)) == 2


def test_our_own_change_echoed_back_is_ignored(google_connected, fake_google, replans):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    assert pull(google_connected) == 0
    task.refresh_from_db()
    assert not task.is_pinned and replans == []


def test_student_move_pins_the_block(google_connected, fake_google, replans):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    pull(google_connected)
    block = CalendarBlock.objects.get(study_task=task)
    new_start = task.scheduled_start + timedelta(days=1, hours=3)
    fake_google.student_move_event(
        block.google_calendar_id, block.google_event_id, new_start, new_start + timedelta(hours=1)
    )

    assert pull(google_connected) == 1

    task.refresh_from_db()
    block.refresh_from_db()
    assert task.is_pinned
    assert (task.scheduled_start, task.scheduled_end) == (new_start, new_start + timedelta(hours=1))
    assert block.manually_modified and block.start_time == new_start
    fake_google.reset_counts()
    push(google_connected, [task])
    assert fake_google.total_requests() == 0  # the moved event already matches the task


def test_student_delete_skips_task_and_never_recreates(google_connected, fake_google, replans):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    block = CalendarBlock.objects.get(study_task=task)
    fake_google.student_delete_event(block.google_calendar_id, block.google_event_id)

    pull(google_connected)

    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    assert not CalendarBlock.objects.filter(study_task=task).exists()
    push(google_connected, [task])
    assert fake_google.live_events(block.google_calendar_id) == []
    assert replans == [google_connected.user_id]


def test_expired_sync_token_falls_back_to_full_resync(google_connected, fake_google, replans):
    tasks = StudyTaskFactory.create_batch(2, user=google_connected.user)
    push(google_connected, tasks)
    pull(google_connected)
    token_before = IntegrationSettings.objects.get(pk=google_connected.pk).google_sync_token
    block = CalendarBlock.objects.get(study_task=tasks[0])
    moved_to = tasks[0].scheduled_start + timedelta(hours=5)
    fake_google.student_move_event(
        block.google_calendar_id, block.google_event_id, moved_to, moved_to + timedelta(hours=1)
    )
    fake_google.expire_sync_tokens()

    assert pull(google_connected) == 1

    tasks[0].refresh_from_db()
    assert tasks[0].is_pinned and tasks[0].scheduled_start == moved_to
    google_connected.refresh_from_db()
    assert google_connected.google_sync_token not in ("", token_before)


def test_pull_follows_every_page(google_connected, fake_google, monkeypatch):
    monkeypatch.setattr(google, "EVENTS_PAGE_SIZE", 2)
    tasks = StudyTaskFactory.create_batch(5, user=google_connected.user)
    push(google_connected, tasks)
    fake_google.reset_counts()
    pull(google_connected)
    assert [m for m, _ in fake_google.request_log] == ["GET"] * 3
    assert google_connected.google_sync_token


def test_edit_in_google_wins_over_a_stale_patch(google_connected, fake_google, replans):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    block = CalendarBlock.objects.get(study_task=task)
    student_start = task.scheduled_start + timedelta(hours=6)
    fake_google.student_move_event(
        block.google_calendar_id,
        block.google_event_id,
        student_start,
        student_start + timedelta(minutes=50),
    )
    task.title = "Renamed by the planner"
    task.save()

    push(google_connected, [task])  # If-Match carries the old ETag: 412

    task.refresh_from_db()
    block.refresh_from_db()
    assert task.is_pinned and task.scheduled_start == student_start
    assert block.manually_modified
    event = fake_google.events[block.google_calendar_id][block.google_event_id]
    assert event["start"]["dateTime"] == student_start.isoformat()


def test_delete_that_gets_gone_counts_as_done(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    block = CalendarBlock.objects.get(study_task=task)
    fake_google.student_delete_event(block.google_calendar_id, block.google_event_id)
    task_id = task.pk
    task.delete()

    push(google_connected, [type("T", (), {"pk": task_id})()])

    assert not CalendarBlock.objects.filter(pk=block.pk).exists()
    deletes = [p for m, p in fake_google.request_log if m == "DELETE"]
    assert len(deletes) == 1 and deletes[0].endswith(block.google_event_id)


def test_refreshed_access_token_is_saved(google_connected, fake_google):
    old_token = google_connected.google_access_token
    fake_google.expire_access_tokens()
    push(google_connected, [StudyTaskFactory(user=google_connected.user)])
    stored = IntegrationSettings.objects.get(pk=google_connected.pk)
    assert stored.google_access_token != old_token
    assert stored.google_access_token in fake_google.access_tokens


def test_revoked_refresh_token_disconnects_with_a_message(google_connected, fake_google):
    task = StudyTaskFactory(user=google_connected.user)
    services.outbox_record_plan_change(
        user_id=google_connected.user_id, created=[str(task.pk)], moved=[], deleted=[]
    )
    fake_google.revoke_refresh_tokens()

    services.provider_sync(user_id=google_connected.user_id, provider=Provider.GOOGLE, pull=True)

    stored = IntegrationSettings.objects.get(pk=google_connected.pk)
    assert not stored.google_calendar_enabled
    assert stored.google_access_token == stored.google_refresh_token == ""
    assert "reconnect" in stored.google_error.lower()
    token_requests = [p for m, p in fake_google.request_log if p == "/token"]
    assert len(token_requests) == 1  # never retried


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (429, {}, {"Retry-After": "7"}),
        (403, {"error": {"errors": [{"reason": "rateLimitExceeded"}]}}, {}),
        (500, {}, {}),
    ],
)
def test_rate_limits_and_server_errors_are_retryable(
    google_connected, fake_google, status, body, headers
):
    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [])  # creates the calendar first
    fake_google.inject_fault(
        method="POST", path_contains="/events", status=status, body=body, headers=headers
    )
    with pytest.raises(google.GoogleRetryableError) as caught:
        push(google_connected, [task])
    assert caught.value.status == status
    if headers:
        assert caught.value.retry_after == 7.0
    push(google_connected, [task])
    assert len(fake_google.live_events(calendar_id(google_connected))) == 1


def test_busy_time_from_chosen_calendars_is_cached_and_triggers_replan(
    google_connected, fake_google, replans
):
    from django.core.cache import cache

    start = google_services.timezone.now() + timedelta(days=2)
    fake_google.add_calendar("work@example.org", "Work")
    fake_google.add_busy_event("work@example.org", start, start + timedelta(hours=2))
    fake_google.add_busy_event("student@example.org", start, start + timedelta(hours=1))
    push(google_connected, [StudyTaskFactory(user=google_connected.user)])
    google_services.google_monitored_calendars_set(
        integration=google_connected,
        calendar_ids=["work@example.org", calendar_id(google_connected)],
    )
    assert google_connected.google_monitored_calendars == ["work@example.org"]

    busy = google_services.busy_intervals_get(integration=google_connected)

    assert busy == [(start, start + timedelta(hours=2))]
    assert cache.get(google_services.busy_cache_key(google_connected.user_id)) is not None
    # The planner's busy time is scheduling's store, which replans when it changes.
    planner_busy = scheduling_services.busy_intervals_for(google_connected.user_id)
    assert [(b.start, b.end) for b in planner_busy] == busy
    fake_google.reset_counts()
    assert google_services.busy_intervals_get(integration=google_connected) == busy
    assert fake_google.total_requests() == 0  # served from the 15-minute cache
    client = google_services.google_client_for(google_connected)
    google_services.google_busy_refresh(client=client, integration=google_connected)
    assert [
        (b.start, b.end) for b in scheduling_services.busy_intervals_for(google_connected.user_id)
    ] == busy


def test_a_move_to_year_9999_is_not_applied(google_connected, fake_google, replans):
    """A provider payload beyond the date range never reaches the database."""
    from datetime import UTC, datetime

    task = StudyTaskFactory(user=google_connected.user)
    push(google_connected, [task])
    pull(google_connected)
    block = CalendarBlock.objects.get(study_task=task)
    before = (task.scheduled_start, task.scheduled_end)
    far = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)
    fake_google.student_move_event(
        block.google_calendar_id, block.google_event_id, far, far + timedelta(hours=1)
    )

    assert pull(google_connected) == 0

    task.refresh_from_db()
    assert (task.scheduled_start, task.scheduled_end) == before
    assert not task.is_pinned


def _busy_pulled(integration, fake_google):
    start = google_services.timezone.now() + timedelta(days=2)
    fake_google.add_calendar("work@example.org", "Work")
    fake_google.add_busy_event("work@example.org", start, start + timedelta(hours=2))
    google_services.google_monitored_calendars_set(
        integration=integration, calendar_ids=["work@example.org"]
    )
    busy = google_services.busy_intervals_get(integration=integration)
    assert [(b.start, b.end) for b in scheduling_services.busy_intervals_for(integration.user_id)]
    return busy


@pytest.mark.parametrize("how", ["by the student", "by a revoked grant"])
def test_a_google_disconnect_clears_its_busy_time_and_replans(
    google_connected, fake_google, other_user, how
):
    import time_machine
    from django.core.cache import cache

    with time_machine.travel(BUSY_NOW, tick=False):
        _disconnect_clears_busy(google_connected, fake_google, other_user, how, cache)


# A Monday morning, so the pulled busy time lies inside the planning horizon.
BUSY_NOW = "2026-09-07T10:00:00+00:00"


def _disconnect_clears_busy(google_connected, fake_google, other_user, how, cache):
    from scheduling.models import BusyInterval, ReplanRequest

    _busy_pulled(google_connected, fake_google)
    # Another student's busy time, and busy time of another source, are not the provider's.
    other = BusyInterval.objects.create(
        user=other_user,
        source="google",
        start=google_services.timezone.now(),
        end=google_services.timezone.now() + timedelta(hours=1),
    )
    timetable = BusyInterval.objects.create(
        user=google_connected.user,
        source="ics:timetable",
        start=google_services.timezone.now(),
        end=google_services.timezone.now() + timedelta(hours=1),
    )
    ReplanRequest.objects.all().delete()
    if how == "by the student":
        services.integration_disconnect(user=google_connected.user, provider=Provider.GOOGLE)
    else:
        fake_google.revoke_refresh_tokens()
        services.provider_sync(
            user_id=google_connected.user_id, provider=Provider.GOOGLE, pull=True
        )

    stored = IntegrationSettings.objects.get(pk=google_connected.pk)
    assert not stored.google_calendar_enabled and stored.google_busy_hash == ""
    assert list(
        BusyInterval.objects.filter(user=google_connected.user).values_list("source", flat=True)
    ) == ["ics:timetable"]
    assert BusyInterval.objects.filter(pk=other.pk).exists()
    assert cache.get(google_services.busy_cache_key(google_connected.user_id)) is None
    assert [(b.start, b.end) for b in scheduling_services.busy_intervals_for(stored.user_id)] == [
        (timetable.start, timetable.end)
    ]
    assert ReplanRequest.objects.filter(user=google_connected.user).exists()
