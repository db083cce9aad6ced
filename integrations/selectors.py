"""Composed reads for the integrations page and API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from integrations.models import CalendarBlock, IntegrationSettings, NotionTask, Provider
from integrations.notion import client as notion_client
from integrations.notion import services as notion_services

# The page lists at most this many failing items per provider; the count shows the rest.
MAX_ERRORS_SHOWN = 20


@dataclass
class SyncErrorItem:
    title: str
    error: str
    when: datetime | None


@dataclass
class ProviderStatus:
    provider: str
    label: str
    is_connected: bool
    last_sync_at: datetime | None
    message: str
    error_count: int = 0
    errors: list[SyncErrorItem] = field(default_factory=list)
    details: dict = field(default_factory=dict)


def integration_status(*, user) -> list[ProviderStatus]:
    integration = IntegrationSettings.objects.for_user(user).first() or IntegrationSettings(
        user=user
    )
    block_errors = (
        CalendarBlock.objects.for_user(user)
        .filter(sync_error__isnull=False)
        .exclude(sync_error="")
        .select_related("study_task")
        .order_by("-updated_at")
    )
    notion_errors = (
        NotionTask.objects.for_user(user)
        .filter(sync_error__isnull=False)
        .exclude(sync_error="")
        .select_related("study_task")
        .order_by("-updated_at")
    )
    google_items = list(block_errors[:MAX_ERRORS_SHOWN])
    notion_items = list(notion_errors[:MAX_ERRORS_SHOWN])
    return [
        ProviderStatus(
            provider=Provider.GOOGLE,
            label=Provider.GOOGLE.label,
            is_connected=integration.google_calendar_enabled,
            last_sync_at=integration.google_last_sync_at,
            message=integration.google_error,
            error_count=block_errors.count()
            if len(google_items) == MAX_ERRORS_SHOWN
            else len(google_items),
            errors=[_item(row) for row in google_items],
            details={
                "calendar_id": integration.google_calendar_id,
                "monitored_calendars": list(integration.google_monitored_calendars),
            },
        ),
        ProviderStatus(
            provider=Provider.NOTION,
            label=Provider.NOTION.label,
            is_connected=integration.notion_enabled,
            last_sync_at=integration.notion_last_sync_at,
            message=integration.notion_error,
            error_count=notion_errors.count()
            if len(notion_items) == MAX_ERRORS_SHOWN
            else len(notion_items),
            errors=[_item(row) for row in notion_items],
            details={
                "database_id": integration.notion_database_id,
                "two_way_sync": integration.notion_two_way_sync,
                "oauth_available": notion_client.oauth_configured(),
                "awaiting_database": notion_services.notion_is_awaiting_database(integration),
            },
        ),
    ]


def _item(row: CalendarBlock | NotionTask) -> SyncErrorItem:
    title = row.study_task.title if row.study_task else "A deleted task"
    return SyncErrorItem(title=title, error=row.sync_error, when=row.updated_at)
