import uuid

from django.conf import settings
from django.db import models

from integrations.fields import EncryptedTextField
from scheduling.models import StudyTask


class IntegrationSettingsQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class IntegrationSettings(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_settings"
    )
    google_calendar_enabled = models.BooleanField(default=False)
    google_access_token = EncryptedTextField(blank=True, default="")
    google_refresh_token = EncryptedTextField(blank=True, default="")
    google_token_expiry = models.DateTimeField(null=True, blank=True)
    google_calendar_id = models.CharField(max_length=255, blank=True, default="")
    google_monitored_calendars = models.JSONField(default=list, blank=True)
    notion_enabled = models.BooleanField(default=False)
    notion_access_token = EncryptedTextField(blank=True, default="")
    notion_database_id = models.CharField(max_length=64, blank=True, default="")
    notion_two_way_sync = models.BooleanField(default=False)
    auto_sync_interval_min = models.PositiveIntegerField(default=15)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IntegrationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "integration settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(auto_sync_interval_min__gte=1), name="integration_interval_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"Integrations of {self.user_id}"


class CalendarBlockQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class CalendarBlock(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_blocks",
        db_index=False,
    )
    study_task = models.OneToOneField(
        StudyTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="calendar_block"
    )
    google_calendar_id = models.CharField(max_length=255, blank=True, default="")
    google_event_id = models.CharField(max_length=1024, blank=True, default="")
    start_time = models.DateTimeField()
    end_time = models.DateTimeField()
    is_synced = models.BooleanField(default=False)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(null=True, blank=True)
    manually_modified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CalendarBlockQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "start_time"], name="idx_calendar_user_time"),
            models.Index(fields=["google_event_id"], name="idx_calendar_event"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="calendar_block_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start_time:%Y-%m-%d %H:%M}–{self.end_time:%H:%M}"


class NotionTaskQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class NotionTask(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notion_tasks"
    )
    study_task = models.OneToOneField(
        StudyTask, on_delete=models.CASCADE, related_name="notion_task"
    )
    notion_database_id = models.CharField(max_length=64)
    notion_page_id = models.CharField(max_length=64, blank=True, default="")
    is_synced = models.BooleanField(default=False)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(null=True, blank=True)
    notion_properties = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotionTaskQuerySet.as_manager()

    def __str__(self) -> str:
        return self.notion_page_id or f"unsynced {self.study_task_id}"
