"""Notion behind the SyncProvider interface: the notion_* columns of IntegrationSettings, the
Notion error types and the sync steps are its business alone."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from integrations.errors import provider_errors_translated
from integrations.models import IntegrationSettings, NotionTask, Provider
from integrations.notion import client as notion
from integrations.notion import services as notion_services
from integrations.providers import CleanupOutcome


def _generic_errors():
    """Notion's errors become the ones the generic sync run understands."""
    return provider_errors_translated(
        retryable=notion.NotionRetryableError,
        disconnected=notion.NotionDisconnectError,
        base=notion.NotionError,
    )


class NotionProvider:
    key = Provider.NOTION.value
    label = Provider.NOTION.label
    template = "integrations/includes/_notion.html"

    def is_connected(self, integration: IntegrationSettings) -> bool:
        return integration.notion_enabled

    def can_sync(self, integration: IntegrationSettings) -> bool:
        return integration.notion_enabled and bool(integration.notion_data_source_id)

    def has_credentials(self, integration: IntegrationSettings) -> bool:
        return integration.notion_enabled or bool(integration.notion_access_token)

    def poll_condition(self) -> Q:
        # Without two-way sync nothing comes back from Notion, so there is nothing to poll.
        return Q(notion_enabled=True, notion_two_way_sync=True)

    def last_sync_at(self, integration: IntegrationSettings) -> datetime | None:
        return integration.notion_last_sync_at

    def error(self, integration: IntegrationSettings) -> str:
        return integration.notion_error

    def record_sync(self, integration: IntegrationSettings, *, at: datetime) -> list[str]:
        integration.notion_last_sync_at, integration.notion_error = at, ""
        return ["notion_last_sync_at", "notion_error"]

    def record_error(self, integration: IntegrationSettings, *, message: str) -> list[str]:
        integration.notion_error = message
        return ["notion_error"]

    def sync(self, *, integration: IntegrationSettings, task_ids: list[str], pull: bool) -> None:
        with _generic_errors():
            client = notion_services.notion_client_for(integration)
            notion_services.notion_tasks_push(
                client=client, integration=integration, task_ids=task_ids
            )
            if pull and integration.notion_two_way_sync:
                notion_services.notion_status_pull(client=client, integration=integration)

    def disconnect(self, *, integration: IntegrationSettings, message: str = "") -> None:
        notion_services.notion_disconnect(integration=integration, message=message)

    def revoke(self, *, integration: IntegrationSettings) -> None:
        # A Notion token can only be revoked by the student in Notion's own settings;
        # deleting our copy (disconnect) is all this app can do there.
        return None

    def forget_pulled(self, *, integration: IntegrationSettings) -> None:
        # Notion only brings back task statuses, which stay true after a disconnect.
        return None

    def remove_pushed(self, *, integration: IntegrationSettings, deadline: float) -> CleanupOutcome:
        return notion_services.notion_pushed_remove(integration=integration, deadline=deadline)

    def failing_items(self, *, user) -> QuerySet:
        return (
            NotionTask.objects.for_user(user)
            .filter(sync_error__isnull=False)
            .exclude(sync_error="")
            .select_related("study_task")
            .order_by("-updated_at")
        )

    def details(self, integration: IntegrationSettings) -> dict:
        return {
            "database_id": integration.notion_database_id,
            "two_way_sync": integration.notion_two_way_sync,
            "oauth_available": notion.oauth_configured(),
            "awaiting_database": notion_services.notion_is_awaiting_database(integration),
        }

    # --- OAuth, used by the Notion connect pages ----------------------------------------------
    def oauth_start(self, *, user, redirect_uri: str) -> str:
        return notion_services.notion_oauth_start(user=user, redirect_uri=redirect_uri)

    def oauth_finish(
        self, *, user, state: str, code: str, redirect_uri: str
    ) -> IntegrationSettings:
        return notion_services.notion_oauth_finish(
            user=user, state=state, code=code, redirect_uri=redirect_uri
        )
