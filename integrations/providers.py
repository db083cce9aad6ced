"""Every external system the plan is pushed to is one class behind `SyncProvider`, registered
under its `Provider` value. The sync run, the status page and API, the admin, the poll sweep
and account deletion only ever talk to this interface, so adding a provider means writing a
class and registering it (in IntegrationsConfig.ready), never adding `if provider == ...`
branches. Each class owns its own columns on IntegrationSettings, its OAuth specifics and its
vendor errors, which it translates into the generic ones of integrations.errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

    from integrations.models import IntegrationSettings


@dataclass(frozen=True)
class CleanupOutcome:
    """What removing everything a provider holds of the student achieved."""

    removed: int
    # In the student's words, what is still there and what to do about it; empty when
    # nothing of ours is left at the provider.
    remaining: str = ""


@runtime_checkable
class SyncProvider(Protocol):
    key: str
    label: str
    # The provider's own parts of its card on the integrations page (connect forms, extra
    # actions), rendered with `part` = "connect" or "actions"; empty for none.
    template: str

    # --- state, each provider reading and writing only its own columns ---------------------
    def is_connected(self, integration: IntegrationSettings) -> bool:
        """What the student sees as "Connected"."""

    def can_sync(self, integration: IntegrationSettings) -> bool:
        """Connected and with everything a sync run needs (a Notion database, say)."""

    def has_credentials(self, integration: IntegrationSettings) -> bool:
        """Anything to revoke or clean up, even half-connected."""

    def poll_condition(self) -> Q:
        """The IntegrationSettings rows the periodic pull should visit."""

    def last_sync_at(self, integration: IntegrationSettings) -> datetime | None: ...

    def error(self, integration: IntegrationSettings) -> str:
        """Why the connection needs the student's attention; empty when it does not."""

    def record_sync(self, integration: IntegrationSettings, *, at: datetime) -> list[str]:
        """Notes a run that got through (clearing a stale error); returns the changed fields."""

    def record_error(self, integration: IntegrationSettings, *, message: str) -> list[str]:
        """Notes why syncing stopped working; returns the changed fields."""

    # --- work ------------------------------------------------------------------------------
    def sync(self, *, integration: IntegrationSettings, task_ids: list[str], pull: bool) -> None:
        """Pushes these tasks (and removes what the plan no longer has); with `pull`, brings
        back the student's edits. Raises TransientSyncError, ProviderDisconnectedError or
        ProviderSyncError, never a vendor error."""

    def disconnect(self, *, integration: IntegrationSettings, message: str = "") -> None:
        """Forgets the credentials; `message` tells the student why when it was not their
        choice."""

    def revoke(self, *, integration: IntegrationSettings) -> None:
        """Revokes our grant at the provider, best effort (logs, never raises)."""

    def forget_pulled(self, *, integration: IntegrationSettings) -> None:
        """Deletes what was brought back from the provider for planning (busy time), so a
        disconnected provider no longer shapes the plan; called on every disconnect."""

    def remove_pushed(self, *, integration: IntegrationSettings, deadline: float) -> CleanupOutcome:
        """Removes what was pushed for the student, stopping at `deadline` (a
        time.monotonic() value); never raises, says what stays instead."""

    # --- what the integrations page and API show -------------------------------------------
    def failing_items(self, *, user) -> QuerySet:
        """Rows that did not sync, newest first, each with `study_task`, `sync_error` and
        `updated_at`."""

    def details(self, integration: IntegrationSettings) -> dict: ...


_registry: dict[str, SyncProvider] = {}


class UnknownProviderError(LookupError):
    pass


def register(provider: SyncProvider) -> SyncProvider:
    if not isinstance(provider, SyncProvider):
        raise TypeError(f"{provider!r} does not implement SyncProvider")
    _registry[provider.key] = provider
    return provider


def unregister(key: str) -> None:
    _registry.pop(key, None)


def get(key: str) -> SyncProvider:
    try:
        return _registry[key]
    except KeyError:
        raise UnknownProviderError(key) from None


def is_registered(key: str) -> bool:
    return key in _registry


def all_providers() -> list[SyncProvider]:
    """In registration order, which is the order the page shows them in."""
    return list(_registry.values())
