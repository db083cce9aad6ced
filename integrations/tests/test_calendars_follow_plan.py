"""Calendars follow the plan, eagerly against the fake providers with the
real client libraries: a skipped block leaves Google Calendar and Notion on the next sync, and
deleting the account removes what was pushed or says exactly what stays."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from integrations import services
from integrations.models import CalendarBlock, IntegrationSettings, NotionTask, Provider
from integrations.notion import services as notion_services
from integrations.tests.conftest import NOTION_TOKEN
from integrations.tests.sync_worker import realistic_plan
from scheduling import services as scheduling_services
from scheduling.models import StudyTask, TaskStatus

pytestmark = pytest.mark.django_db

# A Monday morning in term; `tick` lets the clock run on from there so tokens and etags age.
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def both_connected(google_connected, fake_notion):
    """One student with Google Calendar and Notion connected."""
    fake_notion.add_token(NOTION_TOKEN)
    return notion_services.notion_connect(
        user=google_connected.user, token=NOTION_TOKEN, parent_page_id=fake_notion.add_parent_page()
    )


@pytest.fixture
def pushed_plan(both_connected, django_capture_on_commit_callbacks):
    """The real planner's blocks, pushed to both providers by the plan_changed path."""
    with django_capture_on_commit_callbacks(execute=True):
        blocks = realistic_plan(both_connected.user)
    assert len(blocks) >= 2
    assert CalendarBlock.objects.filter(is_synced=True).count() == len(blocks)
    return blocks


def calendar_id(integration) -> str:
    return IntegrationSettings.objects.get(pk=integration.pk).google_calendar_id


def event_ids(fake_google, integration) -> set[str]:
    return {event["id"] for event in fake_google.live_events(calendar_id(integration))}


def live_row_ids(fake_notion, integration) -> set[str]:
    return {row["id"] for row in fake_notion.rows(integration.notion_data_source_id)}


def next_sync(integration) -> None:
    for provider in (Provider.GOOGLE, Provider.NOTION):
        services.provider_sync(user_id=integration.user_id, provider=provider, pull=False)


# --- skipped, deleted --------------------------------------------------------------------------
def test_a_skipped_block_leaves_both_providers_and_its_copy_is_pushed(
    both_connected, pushed_plan, fake_google, fake_notion, django_capture_on_commit_callbacks
):
    skipped = pushed_plan[0]
    event_id = CalendarBlock.objects.get(study_task=skipped).google_event_id
    page_id = NotionTask.objects.get(study_task=skipped).notion_page_id

    # The skip asks for a replan on commit, which re-places the work and pushes its changes.
    with django_capture_on_commit_callbacks(execute=True):
        scheduling_services.study_task_skip(task=skipped, reason="Felt ill")
    next_sync(both_connected)

    assert event_id not in event_ids(fake_google, both_connected)
    assert page_id not in live_row_ids(fake_notion, both_connected)
    assert not CalendarBlock.objects.filter(study_task=skipped).exists()
    assert not NotionTask.objects.filter(study_task=skipped).exists()
    # What the calendar shows is exactly the plan: one event per scheduled open task.
    scheduled = StudyTask.objects.for_user(both_connected.user).filter(
        scheduled_start__isnull=False,
        status__in=[TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS],
    )
    expected = set(
        CalendarBlock.objects.filter(study_task__in=scheduled).values_list(
            "google_event_id", flat=True
        )
    )
    assert len(expected) == scheduled.count()
    assert event_ids(fake_google, both_connected) == expected


def test_a_skip_without_any_plan_change_is_still_removed_on_the_next_sync(
    both_connected, pushed_plan, fake_google, fake_notion
):
    # No replan runs here (its enqueue is never executed): the sync alone must notice.
    skipped = pushed_plan[-1]
    scheduling_services.study_task_skip(task=skipped, reason="")
    fake_google.reset_counts()

    next_sync(both_connected)

    assert len(event_ids(fake_google, both_connected)) == len(pushed_plan) - 1
    assert len(live_row_ids(fake_notion, both_connected)) == len(pushed_plan) - 1
    assert [method for method, _ in fake_google.request_log] == ["DELETE"]


def test_a_deleted_task_is_removed_from_both_providers(
    both_connected, pushed_plan, fake_google, fake_notion
):
    StudyTask.objects.filter(pk=pushed_plan[0].pk).delete()

    next_sync(both_connected)

    assert len(event_ids(fake_google, both_connected)) == len(pushed_plan) - 1
    assert len(live_row_ids(fake_notion, both_connected)) == len(pushed_plan) - 1


def test_a_completed_block_stays_in_the_calendar(both_connected, pushed_plan, fake_google):
    done = pushed_plan[0]
    scheduling_services.study_task_complete(task=done)

    next_sync(both_connected)

    assert CalendarBlock.objects.get(study_task=done).google_event_id in event_ids(
        fake_google, both_connected
    )


# --- account deletion --------------------------------------------------------------------------
def delete_account(client, user):
    user.set_password(PASSWORD)
    user.save()
    client.force_login(user)
    # The paths, not the URL names: the page may move between apps, its address may not.
    response = client.post(
        "/settings/delete/", {"password": PASSWORD, "confirm": "on"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/settings/deleted/"
    return response.content.decode()


def test_deleting_the_account_removes_the_calendar_and_trashes_the_rows(
    client, both_connected, pushed_plan, fake_google, fake_notion
):
    dedicated = calendar_id(both_connected)
    data_source = both_connected.notion_data_source_id

    page = delete_account(client, both_connected.user)

    assert dedicated not in fake_google.calendars
    assert fake_notion.rows(data_source) == []
    trashed = fake_notion.rows(data_source, include_trashed=True)
    assert len(trashed) == len(pushed_plan) and all(row["in_trash"] for row in trashed)
    assert fake_google.revoked  # and the grant is revoked after the cleanup
    assert "stays" not in page


def test_a_calendar_with_the_students_own_events_keeps_them_and_says_so(
    client, both_connected, pushed_plan, fake_google
):
    dedicated = calendar_id(both_connected)
    own = fake_google.add_busy_event(
        dedicated, NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1)
    )

    page = delete_account(client, both_connected.user)

    assert [event["id"] for event in fake_google.live_events(dedicated)] == [own["id"]]
    assert "calendar stays in Google Calendar because it holds 1 event you added" in page


def test_a_provider_that_is_down_does_not_stop_the_deletion_and_is_named(
    client, both_connected, pushed_plan, fake_google
):
    fake_google.inject_fault(method="GET", path_contains="/events", status=503, times=10)

    page = delete_account(client, both_connected.user)

    assert not IntegrationSettings.objects.filter(pk=both_connected.pk).exists()
    assert "Google Calendar could not be reached" in page
    assert "delete that calendar in Google Calendar" in page


def test_rows_left_when_time_runs_out_are_counted(
    client, both_connected, pushed_plan, fake_notion, monkeypatch
):
    monkeypatch.setattr(services, "ACCOUNT_CLEANUP_SECONDS", -1)

    page = delete_account(client, both_connected.user)

    left = len(pushed_plan)
    assert len(fake_notion.rows(both_connected.notion_data_source_id)) == left
    assert f"{left} study task rows stay in your Notion database" in page


def test_a_revoked_notion_token_is_named_and_the_rows_are_counted(
    client, both_connected, pushed_plan, fake_notion
):
    fake_notion.inject_fault(
        method="PATCH",
        path_contains="/pages/",
        status=401,
        body={"object": "error", "code": "unauthorized", "message": "API token is invalid."},
        times=100,
    )

    page = delete_account(client, both_connected.user)

    left = len(pushed_plan)
    assert f"{left} study task rows stay in your Notion database" in page
    assert "Notion no longer accepts this app&#x27;s access" in page
