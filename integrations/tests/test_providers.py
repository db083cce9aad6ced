"""The generic path drives any provider in the registry: a dummy provider registered here (and
nothing else: Google and Notion are taken out of the registry for these tests) is listed, synced,
retried, disconnected, polled and cleaned up without a line of provider-specific code."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from integrations import providers, services, tasks
from integrations.errors import ProviderDisconnectedError, TransientSyncError
from integrations.models import CalendarBlock, OutboxEntry
from integrations.providers import CleanupOutcome
from integrations.tests.factories import IntegrationSettingsFactory, StudyTaskFactory
from scheduling.signals import plan_changed

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


class DummyBoard:
    """A provider that keeps its state in memory: no columns, no vendor SDK."""

    key = "dummy"
    label = "Dummy Board"
    template = ""

    def __init__(self):
        self.connected: set = set()
        self.errors: dict = {}
        self.synced_at: dict = {}
        self.cards: dict[object, set[str]] = {}
        self.runs: list[tuple] = []
        self.revoked: list = []
        self.forgotten: list = []
        self.fail_with: Exception | None = None

    def is_connected(self, integration):
        return integration.user_id in self.connected

    def can_sync(self, integration):
        return integration.user_id in self.connected

    def has_credentials(self, integration):
        return integration.user_id in self.connected

    def poll_condition(self):
        return Q(user_id__in=list(self.connected))

    def last_sync_at(self, integration):
        return self.synced_at.get(integration.user_id)

    def error(self, integration):
        return self.errors.get(integration.user_id, "")

    def record_sync(self, integration, *, at):
        self.synced_at[integration.user_id] = at
        self.errors.pop(integration.user_id, None)
        return []

    def record_error(self, integration, *, message):
        self.errors[integration.user_id] = message
        return []

    def sync(self, *, integration, task_ids, pull):
        self.runs.append((integration.user_id, sorted(task_ids), pull))
        if self.fail_with is not None:
            raise self.fail_with
        self.cards.setdefault(integration.user_id, set()).update(task_ids)

    def disconnect(self, *, integration, message=""):
        self.connected.discard(integration.user_id)
        self.errors[integration.user_id] = message

    def revoke(self, *, integration):
        self.revoked.append(integration.user_id)

    def forget_pulled(self, *, integration):
        self.forgotten.append(integration.user_id)

    def remove_pushed(self, *, integration, deadline):
        cards = self.cards.pop(integration.user_id, set())
        return CleanupOutcome(removed=len(cards), remaining="The “Archive” column stays.")

    def failing_items(self, *, user):
        return CalendarBlock.objects.none()

    def details(self, integration):
        return {"board": "Study"}


@pytest.fixture
def board(monkeypatch):
    board = DummyBoard()
    monkeypatch.setattr(providers, "_registry", {})
    providers.register(board)
    return board


@pytest.fixture
def connected(board, user):
    board.connected.add(user.pk)
    return IntegrationSettingsFactory(user=user)


def test_a_class_missing_part_of_the_interface_is_refused():
    class Incomplete:
        key, label = "half", "Half a provider"

        def sync(self, *, integration, task_ids, pull): ...

    with pytest.raises(TypeError):
        providers.register(Incomplete())
    assert not providers.is_registered("half")


def test_the_status_page_and_api_list_a_registered_provider(board, connected, api_client, client):
    board.errors[connected.user_id] = "The board was archived."
    response = api_client.get("/api/integrations")
    assert response.status_code == 200
    [status] = response.json()["providers"]
    assert status["provider"] == "dummy" and status["label"] == "Dummy Board"
    assert status["is_connected"] is True
    assert status["message"] == "The board was archived."
    assert status["details"] == {"board": "Study"}

    client.force_login(connected.user)
    page = client.get("/integrations/").content.decode()
    assert "Dummy Board" in page and "The board was archived." in page


def test_a_plan_change_is_pushed_through_the_registry(
    board, connected, django_capture_on_commit_callbacks
):
    tasks_ = StudyTaskFactory.create_batch(2, user=connected.user)
    with django_capture_on_commit_callbacks(execute=True):
        plan_changed.send(
            sender=None, user_id=connected.user_id, created=[str(t.pk) for t in tasks_]
        )

    assert board.runs == [(connected.user_id, sorted(str(t.pk) for t in tasks_), False)]
    assert board.cards[connected.user_id] == {str(t.pk) for t in tasks_}
    assert not OutboxEntry.objects.pending().exists()
    assert set(OutboxEntry.objects.values_list("provider", flat=True)) == {"dummy"}
    assert board.last_sync_at(connected) is not None


def test_sync_now_on_the_api_and_the_page_runs_a_pull(
    board, connected, api_client, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post("/api/integrations/dummy/sync")
    assert response.status_code == 202
    assert response.json()["detail"] == "Dummy Board: sync started."
    client.force_login(connected.user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/integrations/dummy/sync").status_code == 302
    assert board.runs == [(connected.user_id, [], True)] * 2


def test_an_unknown_or_unconnected_provider_is_refused(board, user, api_client):
    assert api_client.post("/api/integrations/google/sync").status_code == 404
    IntegrationSettingsFactory(user=user)
    response = api_client.post("/api/integrations/dummy/sync")
    assert response.status_code == 400
    assert "Dummy Board is not connected." in str(response.json())
    assert board.runs == []


def test_a_transient_failure_is_recorded_on_the_outbox_and_raised_for_a_retry(board, connected):
    task = StudyTaskFactory(user=connected.user)
    OutboxEntry.objects.create(
        user=connected.user, provider="dummy", study_task_id=str(task.pk), action="upsert"
    )
    board.fail_with = TransientSyncError("board is busy", retry_after=3)

    with pytest.raises(TransientSyncError):
        services.provider_sync(user_id=connected.user_id, provider="dummy", pull=False)

    entry = OutboxEntry.objects.get()
    assert (entry.sent_at, entry.attempts, entry.last_error) == (None, 1, "board is busy")
    services.integration_sync_failed(
        user_id=connected.user_id, provider="dummy", message="board is busy", attempts=7
    )
    assert board.error(connected) == "Dummy Board sync failed after 7 attempts: board is busy"


def test_lost_access_disconnects_and_drops_the_pending_changes(board, connected):
    task = StudyTaskFactory(user=connected.user)
    OutboxEntry.objects.create(
        user=connected.user, provider="dummy", study_task_id=str(task.pk), action="upsert"
    )
    board.fail_with = ProviderDisconnectedError("Reconnect the board.")

    assert services.provider_sync(user_id=connected.user_id, provider="dummy", pull=False)

    assert not board.is_connected(connected)
    assert board.error(connected) == "Reconnect the board."
    assert board.forgotten == [connected.user_id]
    assert not OutboxEntry.objects.pending().exists()


def test_the_poll_sweep_pulls_due_students_of_any_provider(board, connected, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.sync_provider, "delay", lambda *args: sent.append(args))
    connected.next_poll_at = timezone.now() - timedelta(minutes=1)
    connected.save()

    assert tasks.poll_sweep() == 1
    assert sent == [(str(connected.user_id), "dummy", True)]


def test_disconnect_revokes_and_forgets(board, connected, api_client):
    response = api_client.post("/api/integrations/dummy/disconnect")
    assert response.status_code == 200
    assert response.json()["is_connected"] is False
    assert board.revoked == [connected.user_id]
    assert board.forgotten == [connected.user_id]


def test_account_removal_cleans_up_then_disconnects_and_says_what_stays(board, connected):
    board.cards[connected.user_id] = {"a", "b"}

    remaining = services.integrations_account_remove(user=connected.user)

    assert remaining == ["The “Archive” column stays."]
    assert connected.user_id not in board.cards
    assert board.revoked == [connected.user_id]
    assert not board.is_connected(connected)
