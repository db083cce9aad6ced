"""Composed reads for the integrations page and API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from courses.models import Assessment
from integrations import providers
from integrations.models import IntegrationSettings, LmsConnection

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
    template: str = ""


def integration_status(*, user) -> list[ProviderStatus]:
    integration = IntegrationSettings.objects.for_user(user).first() or IntegrationSettings(
        user=user
    )
    return [
        _status_of(sync_provider, integration=integration, user=user)
        for sync_provider in providers.all_providers()
    ]


def _status_of(
    sync_provider: providers.SyncProvider, *, integration: IntegrationSettings, user
) -> ProviderStatus:
    failing = sync_provider.failing_items(user=user)
    items = list(failing[:MAX_ERRORS_SHOWN])
    return ProviderStatus(
        provider=sync_provider.key,
        label=sync_provider.label,
        is_connected=sync_provider.is_connected(integration),
        last_sync_at=sync_provider.last_sync_at(integration),
        message=sync_provider.error(integration),
        error_count=failing.count() if len(items) == MAX_ERRORS_SHOWN else len(items),
        errors=[_item(row) for row in items],
        details=sync_provider.details(integration),
        template=sync_provider.template,
    )


def _item(row) -> SyncErrorItem:
    title = row.study_task.title if row.study_task else "A deleted task"
    return SyncErrorItem(title=title, error=row.sync_error, when=row.updated_at)


@dataclass
class LmsConnectionView:
    connection: LmsConnection
    # Assessments this LMS no longer lists (deleted or unpublished there), flagged and kept.
    removed: list[Assessment] = field(default_factory=list)


def lms_source_prefix(*, lms_type: str, base_url: str) -> str:
    """The external_uid prefix of everything imported from this LMS site."""
    return f"{lms_type}:{(urlsplit(base_url).hostname or '').lower()}:"


def lms_connections_overview(*, user) -> list[LmsConnectionView]:
    """The student's LMS connections, each with its assessments removed at the source: two
    queries however many connections and assessments there are."""
    views = [
        LmsConnectionView(connection=connection)
        for connection in LmsConnection.objects.for_user(user).order_by("created_at")
    ]
    if not views:
        return views
    by_prefix = {
        lms_source_prefix(lms_type=v.connection.lms_type, base_url=v.connection.base_url): v
        for v in views
    }
    removed = (
        Assessment.objects.for_user(user)
        .removed_in_source()
        .select_related("course")
        .order_by("-removed_in_source_at", "name")
    )
    for assessment in removed:
        prefix = ":".join(assessment.external_uid.split(":", 2)[:2]) + ":"
        view = by_prefix.get(prefix)
        if view is not None:
            view.removed.append(assessment)
    return views
