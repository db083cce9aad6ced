from django.contrib import admin
from django.db import models
from simple_history.admin import SimpleHistoryAdmin

from accounts.errors import ApplicationError
from integrations import providers, services
from integrations.lms import services as lms_services
from integrations.lms.sources import LmsReadError
from integrations.models import (
    CalendarBlock,
    IntegrationSettings,
    LmsConnection,
    NotionTask,
    OAuthState,
    OutboxEntry,
)


@admin.register(IntegrationSettings)
class IntegrationSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "google_calendar_enabled",
        "notion_enabled",
        "notion_two_way_sync",
        "auto_sync_interval_min",
        "last_sync_at",
        "sync_problem",
    ]
    list_filter = ["google_calendar_enabled", "notion_enabled"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    # Secrets are never shown to staff, even decrypted.
    exclude = ["google_access_token", "google_refresh_token", "notion_access_token"]
    actions = ["resync"]

    @admin.display(description="Sync problem")
    def sync_problem(self, integration: IntegrationSettings) -> str:
        # A failed sync or a lost connection, so staff find the students who need help.
        messages = (sync_provider.error(integration) for sync_provider in providers.all_providers())
        return " / ".join(message for message in messages if message)

    @admin.action(description="Resync connected providers now")
    def resync(self, request, queryset):
        for integration in queryset.select_related("user"):
            for provider in services.enabled_providers(integration):
                try:
                    services.integration_sync_request(user=integration.user, provider=provider)
                except ApplicationError as exc:
                    self.message_user(request, exc.message)


@admin.register(CalendarBlock)
class CalendarBlockAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "study_task",
        "start_time",
        "end_time",
        "is_synced",
        "manually_modified",
        "last_sync_at",
        "sync_error",
    ]
    list_filter = ["is_synced", "manually_modified"]
    search_fields = ["user__email", "google_event_id"]
    list_select_related = ["user", "study_task"]
    raw_id_fields = ["user", "study_task"]


@admin.register(NotionTask)
class NotionTaskAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "study_task",
        "notion_page_id",
        "is_synced",
        "last_sync_at",
        "sync_error",
    ]
    list_filter = ["is_synced"]
    search_fields = ["user__email", "notion_page_id"]
    list_select_related = ["user", "study_task"]
    raw_id_fields = ["user", "study_task"]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "provider",
        "action",
        "study_task_id",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
    ]
    list_filter = ["provider", "action", ("sent_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "study_task_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]


@admin.register(OAuthState)
class OAuthStateAdmin(admin.ModelAdmin):
    list_display = ["user", "provider", "created_at"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    # The PKCE verifier is a secret until the exchange.
    exclude = ["code_verifier", "state"]


@admin.register(LmsConnection)
class LmsConnectionAdmin(SimpleHistoryAdmin):
    list_display = ["user", "lms_type", "base_url", "last_sync_at", "next_sync_at", "last_error"]
    list_filter = ["lms_type"]
    search_fields = ["user__email", "base_url"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    # The token is never shown to staff, even decrypted.
    exclude = ["access_token"]
    readonly_fields = ["remote_user_id", "last_sync_at", "last_error"]
    actions = ["resync"]
    # An address typed without a scheme means https, as in the student's own LMS form (and
    # Django 6's default); saying so here also keeps Django 5.2 from warning on every form.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.action(description="Re-read the LMS now")
    def resync(self, request, queryset):
        for connection in queryset.select_related("user"):
            try:
                lms_services.lms_connection_sync(connection=connection)
            except (ApplicationError, LmsReadError) as exc:
                self.message_user(request, f"{connection}: {exc}", level="warning")
