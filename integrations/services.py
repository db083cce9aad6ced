"""Writes shared by every provider: the transactional outbox, running one sync, connecting
state, disconnecting and the cleanup before an account is deleted. They reach a provider only
through the registry (integrations/providers.py); provider specifics live in
integrations/<provider>/provider.py and services.py."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.errors import ApplicationError
from accounts.tasking import enqueue_on_commit, intent_enqueue
from integrations import locks, providers
from integrations.errors import ProviderDisconnectedError, ProviderSyncError, TransientSyncError
from integrations.models import IntegrationSettings, OutboxAction, OutboxEntry, Provider
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
    """The keys of the providers a sync run can push to now."""
    return [
        sync_provider.key
        for sync_provider in providers.all_providers()
        if sync_provider.can_sync(integration)
    ]


# --- outbox ----------------------------------------------------------------------------------
def outbox_record_plan_change(
    *, user_id, created: Iterable[str], moved: Iterable[str], deleted: Iterable[str]
) -> list[str]:
    """Writes one outbox row per changed task and connected provider, in one transaction, and
    enqueues a sync after commit. Returns the providers that have work."""
    integration = IntegrationSettings.objects.filter(user_id=user_id).first()
    if integration is None:
        return []
    keys = enabled_providers(integration)
    changes = [(str(task_id), OutboxAction.UPSERT) for task_id in [*created, *moved]]
    changes += [(str(task_id), OutboxAction.DELETE) for task_id in deleted]
    if not keys or not changes:
        return []
    with transaction.atomic():
        for provider in keys:
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
    return keys


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
            _run_locked(integration=integration, provider=providers.get(provider), pull=pull)
    except locks.SyncBusyError:
        return False
    return True


def _run_locked(
    *, integration: IntegrationSettings, provider: providers.SyncProvider, pull: bool
) -> None:
    pending = list(
        OutboxEntry.objects.for_user(integration.user).pending().filter(provider=provider.key)
    )
    task_ids = list(dict.fromkeys(entry.study_task_id for entry in pending))
    try:
        provider.sync(integration=integration, task_ids=task_ids, pull=pull)
    except TransientSyncError as exc:
        _outbox_failed(pending, exc.message)
        raise
    except RateLimitExceeded as exc:
        raise TransientSyncError(str(exc), retry_after=exc.wait_seconds) from exc
    except ProviderDisconnectedError as exc:
        # One commit: whoever sees the provider disconnected also sees its queue dropped.
        with transaction.atomic():
            provider.disconnect(integration=integration, message=exc.message)
            provider.forget_pulled(integration=integration)
            _outbox_drop(integration=integration, provider=provider.key)
        return
    except ProviderSyncError as exc:
        _outbox_failed(pending, exc.message)
        raise
    now = timezone.now()
    OutboxEntry.objects.filter(pk__in=[entry.pk for entry in pending]).update(sent_at=now)
    # A run that got through makes an earlier "sync keeps failing" message stale.
    updated = provider.record_sync(integration, at=now)
    integration.last_sync_at = now
    updated += ["last_sync_at", "updated_at"]
    if pull:
        integration.next_poll_at = now + timedelta(minutes=integration.auto_sync_interval_min)
        updated.append("next_poll_at")
    integration.save(update_fields=updated)


def integration_sync_failed(*, user_id, provider: str, message: str, attempts: int) -> None:
    """The sync task gave up after its last retry: the student sees why on the integrations
    page and staff in the admin; the outbox rows stay pending (with their attempts and last
    error) so the next sync or sweep still delivers them once the provider recovers."""
    integration = IntegrationSettings.objects.filter(user_id=user_id).first()
    if integration is None:
        return
    sync_provider = providers.get(provider)
    text = f"{sync_provider.label} sync failed after {attempts} attempts: {message}"[:2000]
    updated = sync_provider.record_error(integration, message=text)
    integration.save(update_fields=[*updated, "updated_at"])
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
        raise ApplicationError(f"{providers.get(provider).label} is not connected.")
    from integrations import tasks

    # No intent row: a pull the student asked for and lost to a broker outage is asked again
    # by the next poll, or by the student.
    enqueue_on_commit(tasks.sync_provider, str(user.pk), str(provider), True, robust=True)


def integration_disconnect(*, user, provider: str) -> IntegrationSettings:
    """Revokes access at the provider (best effort) and deletes the tokens."""
    integration = integration_settings_get(user=user)
    sync_provider = providers.get(provider)
    sync_provider.revoke(integration=integration)
    with transaction.atomic():
        sync_provider.disconnect(integration=integration)
        sync_provider.forget_pulled(integration=integration)
        _outbox_drop(integration=integration, provider=provider)
    audit_record(action="integration_disconnected", user=user, detail={"provider": provider})
    return integration


# Account deletion runs in the page's own request, behind a web server that gives up after 30
# seconds; the providers share this budget and say what they had no time to remove.
ACCOUNT_CLEANUP_SECONDS = 15


def integrations_account_remove(*, user) -> list[str]:
    """Before an account is deleted: removes what each provider holds of the student (the
    dedicated calendar, the Notion rows), then revokes and forgets the tokens. Synchronous,
    because the tokens die with the account and must never wait in the broker. Never raises
    for a provider's failure; returns, in the student's words, what stays at the providers."""
    integration = IntegrationSettings.objects.for_user(user).select_related("user").first()
    if integration is None:
        return []
    deadline = time.monotonic() + ACCOUNT_CLEANUP_SECONDS
    remaining: list[str] = []
    for sync_provider in providers.all_providers():
        if not sync_provider.has_credentials(integration):
            continue
        outcome = sync_provider.remove_pushed(integration=integration, deadline=deadline)
        if outcome.remaining:
            remaining.append(outcome.remaining)
        logger.info(
            "account deletion removed %s items of %s at %s",
            outcome.removed,
            user.pk,
            sync_provider.key,
        )
        integration_disconnect(user=user, provider=sync_provider.key)
    return remaining


def integration_connected(
    *, integration: IntegrationSettings, provider: str, method: str = ""
) -> IntegrationSettings:
    """What follows any provider's connect flow: every scheduled block is queued for it, and
    the connection is audited."""
    outbox_record_all_scheduled(integration=integration, provider=provider)
    detail = {"provider": provider, **({"method": method} if method else {})}
    audit_record(action="integration_connected", user=integration.user, detail=detail)
    return integration


# --- the connect flows, which differ per provider -------------------------------------------------
def google_connect_finish(*, user, state: str, code: str, redirect_uri: str) -> IntegrationSettings:
    """Completes OAuth, then queues every scheduled block for the new calendar."""
    integration = providers.get(Provider.GOOGLE).oauth_finish(
        user=user, state=state, code=code, redirect_uri=redirect_uri
    )
    return integration_connected(integration=integration, provider=Provider.GOOGLE)


def notion_connect(
    *, user, token: str, database_id: str = "", parent_page_id: str = "", two_way_sync: bool
) -> IntegrationSettings:
    integration = notion_services.notion_connect(
        user=user, token=token, database_id=database_id, parent_page_id=parent_page_id
    )
    integration.notion_two_way_sync = two_way_sync
    integration.save(update_fields=["notion_two_way_sync", "updated_at"])
    return integration_connected(integration=integration, provider=Provider.NOTION)


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
    return integration_connected(integration=integration, provider=Provider.NOTION, method="oauth")
