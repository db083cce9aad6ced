"""Notion sync driven through notion-client 3.x against the fake server."""

from datetime import UTC, datetime

import pytest

from accounts.errors import ApplicationError
from integrations import planning, services
from integrations.models import IntegrationSettings, NotionTask, Provider
from integrations.notion import client as notion
from integrations.notion import services as notion_services
from integrations.tests.conftest import NOTION_TOKEN
from integrations.tests.factories import StudyTaskFactory
from scheduling.models import TaskStatus

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def push(integration, tasks):
    client = notion_services.notion_client_for(integration)
    notion_services.notion_tasks_push(
        client=client, integration=integration, task_ids=[str(t.pk) for t in tasks]
    )


def poll(integration):
    integration.refresh_from_db()
    client = notion_services.notion_client_for(integration)
    return notion_services.notion_status_pull(client=client, integration=integration)


@pytest.fixture
def replans(monkeypatch):
    calls = []
    monkeypatch.setattr(planning, "plan_replan_request", lambda *, user_id: calls.append(user_id))
    return calls


@pytest.fixture
def two_way(notion_connected):
    notion_connected.notion_two_way_sync = True
    notion_connected.save()
    return notion_connected


def test_connect_creates_study_tasks_database_with_schema(notion_connected, fake_notion):
    source = fake_notion.data_sources[notion_connected.notion_data_source_id]
    assert set(source["properties"]) == set(notion_services.PROPERTY_SCHEMA)
    assert source["properties"]["Planner ID"]["type"] == "rich_text"
    database = fake_notion.databases[notion_connected.notion_database_id]
    assert database["title"][0]["text"]["content"] == "Study Tasks"
    assert notion_connected.notion_enabled


def test_connect_to_picked_database_adds_missing_properties(user, fake_notion):
    fake_notion.add_token(NOTION_TOKEN)
    database_id = fake_notion.add_database({"Name": {"title": {}}, "Course": {"select": {}}})

    integration = notion_services.notion_connect(
        user=user, token=NOTION_TOKEN, database_id=database_id
    )

    source = fake_notion.data_sources[integration.notion_data_source_id]
    assert set(source["properties"]) == set(notion_services.PROPERTY_SCHEMA)
    assert source["properties"]["Title"]["type"] == "title"


def test_connect_with_bad_token_is_a_field_error(user, fake_notion):
    with pytest.raises(ApplicationError) as caught:
        notion_services.notion_connect(user=user, token="wrong", parent_page_id="p")
    assert "token" in caught.value.field_errors
    assert not IntegrationSettings.objects.filter(user=user, notion_enabled=True).exists()


def test_push_creates_rows_then_updates_only_changes(notion_connected, fake_notion):
    task = StudyTaskFactory(user=notion_connected.user, with_topic="Graphs, trees")
    push(notion_connected, [task])

    [row] = fake_notion.rows(notion_connected.notion_data_source_id)
    properties = row["properties"]
    assert properties["Planner ID"]["rich_text"][0]["text"]["content"] == str(task.pk)
    assert properties["Topics"]["multi_select"] == [{"name": "Graphs  trees"}]
    assert properties["Status"]["select"]["name"] == "Not Started"
    assert properties["Duration"]["number"] == 50
    assert NotionTask.objects.get(study_task=task).notion_page_id == row["id"]

    fake_notion.reset_counts()
    push(notion_connected, [task])
    assert fake_notion.total_requests() == 0

    task.title = "Harder practice set"
    task.save()
    push(notion_connected, [task])
    assert [m for m, _ in fake_notion.request_log] == ["PATCH"]
    assert row["properties"]["Title"]["title"][0]["text"]["content"] == "Harder practice set"


def test_crash_between_create_and_mapping_makes_no_duplicate(notion_connected, fake_notion):
    task = StudyTaskFactory(user=notion_connected.user)
    push(notion_connected, [task])
    NotionTask.objects.filter(study_task=task).delete()  # the mapping was never saved

    push(notion_connected, [task])

    assert len(fake_notion.rows(notion_connected.notion_data_source_id)) == 1
    assert NotionTask.objects.filter(study_task=task).count() == 1


def test_deleted_and_skipped_tasks_trash_their_rows(notion_connected, fake_notion):
    deleted, skipped = StudyTaskFactory.create_batch(2, user=notion_connected.user)
    push(notion_connected, [deleted, skipped])
    deleted_id = deleted.pk
    deleted.delete()
    skipped.status = TaskStatus.SKIPPED
    skipped.save()

    push(notion_connected, [type("T", (), {"pk": deleted_id})(), skipped])

    assert fake_notion.rows(notion_connected.notion_data_source_id) == []
    assert not NotionTask.objects.exists()


def test_completed_in_notion_completes_the_task(two_way, fake_notion, replans):
    task = StudyTaskFactory(user=two_way.user)
    push(two_way, [task])
    poll(two_way)
    page_id = NotionTask.objects.get(study_task=task).notion_page_id
    fake_notion.student_set_status(page_id, "Completed")

    assert poll(two_way) == 1

    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.completion_percentage == 100
    assert replans == [two_way.user_id]


def test_minute_rounded_edit_times_are_caught_by_the_overlap(two_way, fake_notion, replans):
    clock = {"now": datetime(2026, 11, 2, 10, 0, 50, tzinfo=UTC)}
    fake_notion.now = lambda: clock["now"]
    task = StudyTaskFactory(user=two_way.user)
    push(two_way, [task])
    poll(two_way)  # cursor: 10:00 (the create, rounded down)
    page_id = NotionTask.objects.get(study_task=task).notion_page_id
    clock["now"] = datetime(2026, 11, 2, 10, 0, 55, tzinfo=UTC)
    fake_notion.student_set_status(page_id, "In Progress")  # also stamped 10:00

    assert poll(two_way) == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert poll(two_way) == 0  # the same row re-read in the overlap is dropped by hash


def test_push_with_two_way_leaves_status_to_notion(two_way, fake_notion):
    task = StudyTaskFactory(user=two_way.user)
    push(two_way, [task])
    row = fake_notion.rows(two_way.notion_data_source_id)[0]
    fake_notion.student_set_status(row["id"], "In Progress")
    task.title = "Changed by the planner"
    task.save()

    push(two_way, [task])

    assert row["properties"]["Status"]["select"]["name"] == "In Progress"
    assert row["properties"]["Title"]["title"][0]["text"]["content"] == "Changed by the planner"


@pytest.mark.parametrize(
    "flags", [("in_trash", "archived"), ("in_trash",), ("archived",)], ids=["both", "new", "old"]
)
def test_row_trashed_in_notion_skips_the_task(two_way, fake_notion, replans, flags):
    task = StudyTaskFactory(user=two_way.user)
    push(two_way, [task])
    page_id = NotionTask.objects.get(study_task=task).notion_page_id
    fake_notion.student_trash(page_id, flags=flags)

    poll(two_way)

    task.refresh_from_db()
    assert task.status == TaskStatus.SKIPPED
    assert replans == [two_way.user_id]


def test_row_deleted_in_notion_is_unlinked_with_a_message(notion_connected, fake_notion):
    task = StudyTaskFactory(user=notion_connected.user)
    push(notion_connected, [task])
    mapping = NotionTask.objects.get(study_task=task)
    del fake_notion.pages[mapping.notion_page_id]
    task.title = "New title"
    task.save()

    push(notion_connected, [task])

    mapping.refresh_from_db()
    assert mapping.notion_page_id == "" and not mapping.is_synced
    assert "unlinked" in mapping.sync_error


def test_schema_edited_by_hand_is_repaired_and_reported(notion_connected, fake_notion):
    task = StudyTaskFactory(user=notion_connected.user)
    push(notion_connected, [task])
    del fake_notion.data_sources[notion_connected.notion_data_source_id]["properties"]["Duration"]
    task.estimated_duration_min = 80
    task.save()

    push(notion_connected, [task])

    mapping = NotionTask.objects.get(study_task=task)
    assert "schema" in mapping.sync_error and not mapping.is_synced
    source = fake_notion.data_sources[notion_connected.notion_data_source_id]
    assert "Duration" in source["properties"]
    push(notion_connected, [task])
    mapping.refresh_from_db()
    assert mapping.is_synced


def test_unauthorized_disconnects_with_a_message(notion_connected, fake_notion):
    task = StudyTaskFactory(user=notion_connected.user)
    services.outbox_record_plan_change(
        user_id=notion_connected.user_id, created=[str(task.pk)], moved=[], deleted=[]
    )
    fake_notion.tokens.clear()

    services.provider_sync(user_id=notion_connected.user_id, provider=Provider.NOTION, pull=False)

    stored = IntegrationSettings.objects.get(pk=notion_connected.pk)
    assert not stored.notion_enabled and stored.notion_access_token == ""
    assert "connect Notion again" in stored.notion_error


@pytest.mark.parametrize(
    ("status", "body", "headers"),
    [
        (
            429,
            {"object": "error", "status": 429, "code": "rate_limited", "message": "slow"},
            {"Retry-After": "3"},
        ),
        (
            500,
            {"object": "error", "status": 500, "code": "internal_server_error", "message": "x"},
            {},
        ),
        (529, {"message": "overloaded"}, {}),
    ],
)
def test_rate_limits_and_overload_are_retryable(
    notion_connected, fake_notion, status, body, headers
):
    task = StudyTaskFactory(user=notion_connected.user)
    fake_notion.inject_fault(
        method="POST", path_contains="/pages", status=status, body=body, headers=headers
    )
    with pytest.raises(notion.NotionRetryableError) as caught:
        push(notion_connected, [task])
    if headers:
        assert caught.value.retry_after == 3.0
    push(notion_connected, [task])
    assert len(fake_notion.rows(notion_connected.notion_data_source_id)) == 1


def test_query_follows_every_page(notion_connected, fake_notion, monkeypatch):
    monkeypatch.setattr(notion, "QUERY_PAGE_SIZE", 2)
    tasks = StudyTaskFactory.create_batch(5, user=notion_connected.user)
    push(notion_connected, tasks)
    client = notion_services.notion_client_for(notion_connected)
    assert len(client.query_all(notion_connected.notion_data_source_id)) == 5
