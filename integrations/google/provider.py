"""Google Calendar behind the SyncProvider interface: the google_* columns of
IntegrationSettings, the Google error types and the sync steps are its business alone."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db.models import Q, QuerySet

from integrations.errors import provider_errors_translated
from integrations.google import client as google
from integrations.google import services as google_services
from integrations.models import CalendarBlock, IntegrationSettings, Provider
from integrations.providers import CleanupOutcome

logger = logging.getLogger(__name__)


def _generic_errors():
    """Google's errors become the ones the generic sync run understands."""
    return provider_errors_translated(
        retryable=google.GoogleRetryableError,
        disconnected=google.GoogleAuthError,
        base=google.GoogleError,
    )


class GoogleCalendarProvider:
    key = Provider.GOOGLE.value
    label = Provider.GOOGLE.label
    template = "integrations/includes/_google.html"

    def is_connected(self, integration: IntegrationSettings) -> bool:
        return integration.google_calendar_enabled

    def can_sync(self, integration: IntegrationSettings) -> bool:
        return integration.google_calendar_enabled

    def has_credentials(self, integration: IntegrationSettings) -> bool:
        return integration.google_calendar_enabled or bool(integration.google_refresh_token)

    def poll_condition(self) -> Q:
        return Q(google_calendar_enabled=True)

    def last_sync_at(self, integration: IntegrationSettings) -> datetime | None:
        return integration.google_last_sync_at

    def error(self, integration: IntegrationSettings) -> str:
        return integration.google_error

    def record_sync(self, integration: IntegrationSettings, *, at: datetime) -> list[str]:
        integration.google_last_sync_at, integration.google_error = at, ""
        return ["google_last_sync_at", "google_error"]

    def record_error(self, integration: IntegrationSettings, *, message: str) -> list[str]:
        integration.google_error = message
        return ["google_error"]

    def sync(self, *, integration: IntegrationSettings, task_ids: list[str], pull: bool) -> None:
        with _generic_errors():
            client = google_services.google_client_for(integration)
            google_services.google_tasks_push(
                client=client, integration=integration, task_ids=task_ids
            )
            if pull:
                google_services.google_changes_pull(client=client, integration=integration)
                google_services.google_busy_refresh(client=client, integration=integration)

    def disconnect(self, *, integration: IntegrationSettings, message: str = "") -> None:
        google_services.google_disconnect(integration=integration, message=message)

    def forget_pulled(self, *, integration: IntegrationSettings) -> None:
        google_services.google_busy_forget(integration=integration)

    def revoke(self, *, integration: IntegrationSettings) -> None:
        try:
            google_services.google_revoke(integration=integration)
        except google.GoogleError as exc:
            logger.warning("revoking Google access of %s failed: %s", integration.user_id, exc)

    def remove_pushed(self, *, integration: IntegrationSettings, deadline: float) -> CleanupOutcome:
        return google_services.google_pushed_remove(integration=integration, deadline=deadline)

    def failing_items(self, *, user) -> QuerySet:
        return (
            CalendarBlock.objects.for_user(user)
            .filter(sync_error__isnull=False)
            .exclude(sync_error="")
            .select_related("study_task")
            .order_by("-updated_at")
        )

    def details(self, integration: IntegrationSettings) -> dict:
        return {
            "calendar_id": integration.google_calendar_id,
            "monitored_calendars": list(integration.google_monitored_calendars),
        }

    # --- OAuth, used by the Google connect pages ----------------------------------------------
    def oauth_start(self, *, user, redirect_uri: str) -> str:
        return google_services.google_oauth_start(user=user, redirect_uri=redirect_uri)

    def oauth_finish(
        self, *, user, state: str, code: str, redirect_uri: str
    ) -> IntegrationSettings:
        return google_services.google_oauth_finish(
            user=user, state=state, code=code, redirect_uri=redirect_uri
        )
