import uuid

from django.conf import settings
from django.db import models

from accounts.history import HistoricalRecords
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
    # When poll_sweep next pulls this student: last pull + auto_sync_interval_min.
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Incremental pull cursor of the dedicated calendar; empty means "do a full sync".
    google_sync_token = models.TextField(blank=True, default="")
    # Why the connection stopped working, shown to the student until they reconnect.
    google_error = models.TextField(blank=True, default="")
    google_last_sync_at = models.DateTimeField(null=True, blank=True)
    # Hash of the busy intervals the planner last replanned around; a new hash means replan.
    google_busy_hash = models.CharField(max_length=64, blank=True, default="")
    # Notion API 2025-09-03 addresses rows through the database's data source, not the database.
    notion_data_source_id = models.CharField(max_length=64, blank=True, default="")
    notion_error = models.TextField(blank=True, default="")
    notion_last_sync_at = models.DateTimeField(null=True, blank=True)
    # Newest last_edited_time seen by the two-way poll; the next poll re-reads an overlap.
    notion_poll_cursor = models.DateTimeField(null=True, blank=True)
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
    # Bumped when the client-chosen event id is taken by an event that is not ours.
    generation = models.PositiveIntegerField(default=0)
    # ETag of our last write: an event coming back with it is our own change echoed.
    google_etag = models.CharField(max_length=255, blank=True, default="")
    # Hash of the event body last pushed; equal hash means no request is needed.
    content_hash = models.CharField(max_length=64, blank=True, default="")
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
    # SET_NULL keeps the mapping of a deleted task so its Notion row can still be trashed.
    study_task = models.OneToOneField(
        StudyTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="notion_task"
    )
    notion_database_id = models.CharField(max_length=64)
    notion_page_id = models.CharField(max_length=64, blank=True, default="")
    is_synced = models.BooleanField(default=False)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    sync_error = models.TextField(null=True, blank=True)
    notion_properties = models.JSONField(default=dict, blank=True)
    # Hash of the properties last pushed (skip unchanged pushes) and of the status last
    # pulled (drop the rows re-read in the poll overlap).
    content_hash = models.CharField(max_length=64, blank=True, default="")
    pulled_status_hash = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotionTaskQuerySet.as_manager()

    def __str__(self) -> str:
        return self.notion_page_id or f"unsynced {self.study_task_id}"


class Provider(models.TextChoices):
    GOOGLE = "google", "Google Calendar"
    NOTION = "notion", "Notion"


class OAuthStateQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class OAuthState(models.Model):
    """One pending OAuth authorisation: the CSRF state and the PKCE verifier stay server-side."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_states"
    )
    provider = models.CharField(max_length=12, choices=Provider.choices)
    state = models.CharField(max_length=128, unique=True)
    code_verifier = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OAuthStateQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.provider} authorisation of {self.user_id}"


class OutboxAction(models.TextChoices):
    UPSERT = "upsert", "Create or update"
    DELETE = "delete", "Delete"


class OutboxEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def pending(self):
        return self.filter(sent_at__isnull=True)


class OutboxEntry(models.Model):
    """A plan change still to be sent to one provider; a row is only marked sent after the
    provider accepted it, so a lost task or a down broker never loses a change."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sync_outbox"
    )
    provider = models.CharField(max_length=12, choices=Provider.choices)
    # A plain id, not a foreign key: the task of a delete no longer exists.
    study_task_id = models.CharField(max_length=36)
    action = models.CharField(max_length=8, choices=OutboxAction.choices)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "outbox entries"
        indexes = [
            models.Index(
                fields=["provider", "created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="idx_outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.study_task_id} to {self.provider}"


class LmsType(models.TextChoices):
    CANVAS = "canvas", "Canvas"
    MOODLE = "moodle", "Moodle"


class LmsConnectionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def due_for_sync(self, now):
        return self.filter(models.Q(next_sync_at__isnull=True) | models.Q(next_sync_at__lte=now))


class LmsConnection(models.Model):
    """A student's Canvas or Moodle account, re-read by the LMS sync sweep.

    The token is stored like the calendar tokens (AES-GCM at rest); the base URL is kept as the
    student typed it, and every request to it goes through the SSRF guard again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lms_connections"
    )
    lms_type = models.CharField(max_length=12, choices=LmsType.choices)
    base_url = models.URLField(max_length=500)
    access_token = EncryptedTextField()
    # Canvas OAuth2 (when the site has a developer key for us): the refresh token, and when
    # the access token (an hour, by Canvas's default) runs out. Empty for a personal token.
    refresh_token = EncryptedTextField(blank=True, default="")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # Moodle's numeric id of the student, read once from core_webservice_get_site_info.
    remote_user_id = models.CharField(max_length=64, blank=True, default="")
    last_sync_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["access_token", "refresh_token"])
    objects = LmsConnectionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "lms_type", "base_url"], name="lms_connection_unique_per_site"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_lms_type_display()} at {self.base_url}"

    @property
    def uses_oauth(self) -> bool:
        return bool(self.refresh_token)
