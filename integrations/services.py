"""Writes shared by both providers: the transactional outbox, running one sync, connecting
state and disconnecting. Provider specifics live in integrations/<provider>/services.py."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ApplicationError
from accounts.tasking import enqueue_on_commit, intent_enqueue
from integrations import locks
from integrations.errors import TransientSyncError
from integrations.google import client as google
from integrations.google import services as google_services
from integrations.models import IntegrationSettings, OutboxAction, OutboxEntry, Provider
from integrations.notion import client as notion
from integrations.notion import services as notion_services
from integrations.ratelimit import RateLimitExceeded
from scheduling.models import StudyTask

logger = logging.getLogger(__name__)

# Per-entry failures that are not transient are recorded and dropped after this many tries, so
# one poisoned change never blocks a student's queue forever.
OUTBOX_MAX_ATTEMPTS = 8


def integration_settings_get(*, user) -> IntegrationSettings:
    integration, _ = IntegrationSettings.objects.get_or_create(user=user)
    return integration


def enabled_providers(integration: IntegrationSettings) -> list[str]:
    providers = []
    if integration.google_calendar_enabled:
        providers.append(Provider.GOOGLE)
    if integration.notion_enabled and integration.notion_data_source_id:
        providers.append(Provider.NOTION)
    return providers


# --- outbox ----------------------------------------------------------------------------------
def outbox_record_plan_change(
    *, user_id, created: Iterable[str], moved: Iterable[str], deleted: Iterable[str]
) -> list[str]:
    """Writes one outbox row per changed task and connected provider, in one transaction, and
    enqueues a sync after commit. Returns the providers that have work."""
    integration = IntegrationSettings.objects.filter(user_id=user_id).first()
    if integration is None:
        return []
    providers = enabled_providers(integration)
    changes = [(str(task_id), OutboxAction.UPSERT) for task_id in [*created, *moved]]
    changes += [(str(task_id), OutboxAction.DELETE) for task_id in deleted]
    if not providers or not changes:
        return []
    with transaction.atomic():
        for provider in providers:
            _outbox_enqueue(
                user_id=user_id,
                provider=provider,
                rows=(
                    OutboxEntry(
                        user_id=user_id, provider=provider, study_task_id=task_id, action=action
                    )
                    for task_id, action in changes
                ),
            )
    return providers


def outbox_record_all_scheduled(*, integration: IntegrationSettings, provider: str) -> int:
    """After connecting: every scheduled open task is pending for the new provider."""
    task_ids = (
        StudyTask.objects.for_user(integration.user)
        .open()
        .filter(scheduled_start__isnull=False)
        .values_list("pk", flat=True)
    )
    rows = _outbox_enqueue(
        user_id=integration.user_id,
        provider=provider,
        rows=(
            OutboxEntry(
                user_id=integration.user_id,
                provider=provider,
                study_task_id=str(task_id),
                action=OutboxAction.UPSERT,
            )
            for task_id in task_ids
        ),
    )
    return len(rows)


def _outbox_enqueue(*, user_id, provider: str, rows) -> list:
    """The outbox rows are the durable record: a publish lost to a broker outage is only
    logged, and the outbox sweep sends the rows later. Robust, so a failing in-process (eager)
    sync is logged too: the change the student made has committed either way."""
    from integrations import tasks

    return intent_enqueue(
        rows=rows,
        task=tasks.sync_provider,
        args=(str(user_id), str(provider), False),
        robust=True,
    )


# --- one sync run ------------------------------------------------------------------------------
def provider_sync(*, user_id, provider: str, pull: bool) -> bool:
    """Sends pending outbox rows and, with `pull`, brings back the student's edits. Returns
    False when another worker holds the lock (its run or the sweep will pick the rows up).
    Raises TransientSyncError for the caller to retry."""
    integration = IntegrationSettings.objects.filter(user_id=user_id).select_related("user").first()
    if integration is None or provider not in enabled_providers(integration):
        return True
    try:
        with locks.sync_lock(user_id, provider):
            _run_locked(integration=integration, provider=provider, pull=pull)
    except locks.SyncBusyError:
        return False
    return True


def _run_locked(*, integration: IntegrationSettings, provider: str, pull: bool) -> None:
    pending = list(
        OutboxEntry.objects.for_user(integration.user).pending().filter(provider=provider)
    )
    task_ids = list(dict.fromkeys(entry.study_task_id for entry in pending))
    try:
        if provider == Provider.GOOGLE:
            _google_run(integration=integration, task_ids=task_ids, pull=pull)
        else:
            _notion_run(integration=integration, task_ids=task_ids, pull=pull)
    except (google.GoogleRetryableError, notion.NotionRetryableError) as exc:
        _outbox_failed(pending, str(exc))
        raise TransientSyncError(str(exc), retry_after=exc.retry_after) from exc
    except RateLimitExceeded as exc:
        raise TransientSyncError(str(exc), retry_after=exc.wait_seconds) from exc
    except google.GoogleAuthError as exc:
        google_services.google_disconnect(integration=integration, message=exc.message)
        _outbox_drop(integration=integration, provider=provider)
        return
    except notion.NotionDisconnectError as exc:
        notion_services.notion_disconnect(integration=integration, message=exc.message)
        _outbox_drop(integration=integration, provider=provider)
        return
    except (google.GoogleError, notion.NotionError) as exc:
        _outbox_failed(pending, str(exc))
        raise
    now = timezone.now()
    OutboxEntry.objects.filter(pk__in=[entry.pk for entry in pending]).update(sent_at=now)
    field = "google_last_sync_at" if provider == Provider.GOOGLE else "notion_last_sync_at"
    setattr(integration, field, now)
    # A run that got through makes an earlier "sync keeps failing" message stale.
    setattr(integration, _error_field(provider), "")
    integration.last_sync_at = now
    updated = [field, _error_field(provider), "last_sync_at", "updated_at"]
    if pull:
        integration.next_poll_at = now + timedelta(minutes=integration.auto_sync_interval_min)
        updated.append("next_poll_at")
    integration.save(update_fields=updated)


def _google_run(*, integration: IntegrationSettings, task_ids: list[str], pull: bool) -> None:
    client = google_services.google_client_for(integration)
    google_services.google_tasks_push(client=client, integration=integration, task_ids=task_ids)
    if pull:
        google_services.google_changes_pull(client=client, integration=integration)
        google_services.google_busy_refresh(client=client, integration=integration)


def _notion_run(*, integration: IntegrationSettings, task_ids: list[str], pull: bool) -> None:
    client = notion_services.notion_client_for(integration)
    notion_services.notion_tasks_push(client=client, integration=integration, task_ids=task_ids)
    if pull and integration.notion_two_way_sync:
        notion_services.notion_status_pull(client=client, integration=integration)


def _error_field(provider: str) -> str:
    return "google_error" if provider == Provider.GOOGLE else "notion_error"


def integration_sync_failed(*, user_id, provider: str, message: str, attempts: int) -> None:
    """The sync task gave up after its last retry: the student sees why on the integrations
    page and staff in the admin; the outbox rows stay pending (with their attempts and last
    error) so the next sync or sweep still delivers them once the provider recovers."""
    integration = IntegrationSettings.objects.filter(user_id=user_id).first()
    if integration is None:
        return
    label = Provider(provider).label
    text = f"{label} sync failed after {attempts} attempts: {message}"[:2000]
    setattr(integration, _error_field(provider), text)
    integration.save(update_fields=[_error_field(provider), "updated_at"])
    logger.warning("sync of %s to %s gave up after %s attempts", user_id, provider, attempts)


def _outbox_failed(entries: list[OutboxEntry], message: str) -> None:
    for entry in entries:
        entry.attempts += 1
        entry.last_error = message[:2000]
        if entry.attempts >= OUTBOX_MAX_ATTEMPTS:
            entry.sent_at = timezone.now()
            logger.warning("outbox entry %s dropped after %s attempts", entry.pk, entry.attempts)
    OutboxEntry.objects.bulk_update(entries, ["attempts", "last_error", "sent_at"])


def _outbox_drop(*, integration: IntegrationSettings, provider: str) -> None:
    OutboxEntry.objects.for_user(integration.user).pending().filter(provider=provider).delete()


# --- what the student does on the page or the API ----------------------------------------------
def integration_sync_request(*, user, provider: str) -> None:
    integration = integration_settings_get(user=user)
    if provider not in enabled_providers(integration):
        raise ApplicationError(f"{Provider(provider).label} is not connected.")
    from integrations import tasks

    # No intent row: a pull the student asked for and lost to a broker outage is asked again
    # by the next poll, or by the student.
    enqueue_on_commit(tasks.sync_provider, str(user.pk), str(provider), True, robust=True)


def integration_disconnect(*, user, provider: str) -> IntegrationSettings:
    """Revokes access at the provider (best effort) and deletes the tokens."""
    integration = integration_settings_get(user=user)
    # A Notion internal-integration token can only be revoked by the student in Notion's own
    # settings; deleting our copy is all this app can do there.
    if provider == Provider.GOOGLE:
        try:
            google_services.google_revoke(integration=integration)
        except google.GoogleError as exc:
            logger.warning("revoking Google access of %s failed: %s", user.pk, exc)
    with transaction.atomic():
        if provider == Provider.GOOGLE:
            google_services.google_disconnect(integration=integration)
        else:
            notion_services.notion_disconnect(integration=integration)
        _outbox_drop(integration=integration, provider=provider)
    audit_record(action="integration_disconnected", user=user, detail={"provider": provider})
    return integration


def google_connect_finish(*, user, state: str, code: str, redirect_uri: str) -> IntegrationSettings:
    """Completes OAuth, then queues every scheduled block for the new calendar."""
    integration = google_services.google_oauth_finish(
        user=user, state=state, code=code, redirect_uri=redirect_uri
    )
    outbox_record_all_scheduled(integration=integration, provider=Provider.GOOGLE)
    audit_record(action="integration_connected", user=user, detail={"provider": Provider.GOOGLE})
    return integration


def notion_connect(
    *, user, token: str, database_id: str = "", parent_page_id: str = "", two_way_sync: bool
) -> IntegrationSettings:
    integration = notion_services.notion_connect(
        user=user, token=token, database_id=database_id, parent_page_id=parent_page_id
    )
    integration.notion_two_way_sync = two_way_sync
    integration.save(update_fields=["notion_two_way_sync", "updated_at"])
    outbox_record_all_scheduled(integration=integration, provider=Provider.NOTION)
    audit_record(action="integration_connected", user=user, detail={"provider": Provider.NOTION})
    return integration


def notion_connect_authorised(
    *, user, database_id: str = "", parent_page_id: str = "", two_way_sync: bool
) -> IntegrationSettings:
    """The second step of connecting through Notion OAuth: the student picks or creates the
    database with the token the authorisation left (never shown to them)."""
    integration = integration_settings_get(user=user)
    if not notion_services.notion_is_awaiting_database(integration):
        raise ApplicationError("Connect with Notion first.")
    integration = notion_services.notion_connect(
        user=user,
        token=integration.notion_access_token,
        database_id=database_id,
        parent_page_id=parent_page_id,
    )
    integration.notion_two_way_sync = two_way_sync
    integration.save(update_fields=["notion_two_way_sync", "updated_at"])
    outbox_record_all_scheduled(integration=integration, provider=Provider.NOTION)
    audit_record(
        action="integration_connected",
        user=user,
        detail={"provider": Provider.NOTION, "method": "oauth"},
    )
    return integration
