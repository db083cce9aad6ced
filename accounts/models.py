import uuid
from datetime import time

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import EmailValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from accounts.history import HistoricalRecords
from accounts.validators import study_day_errors, validate_iana_timezone, validate_language_code


class AcademicLevel(models.TextChoices):
    HIGH_SCHOOL = "high_school", "High school"
    UNDERGRADUATE = "undergraduate", "Undergraduate"
    GRADUATE = "graduate", "Graduate"
    OTHER = "other", "Other"


class DifficultyCurve(models.TextChoices):
    GENTLE = "gentle", "Gentle"
    BALANCED = "balanced", "Balanced"
    AGGRESSIVE = "aggressive", "Aggressive"


class TimeFormat(models.TextChoices):
    """How clock times are written on every page: 13:15 or 1:15 PM."""

    H24 = "24h", "24-hour (13:15)"
    H12 = "12h", "12-hour (1:15 PM)"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        user = self._create_user(email, password, **extra_fields)
        # An operator's address is theirs by definition: verified, so they can log in.
        from allauth.account.models import EmailAddress

        EmailAddress.objects.update_or_create(
            user=user, email=user.email, defaults={"primary": True, "verified": True}
        )
        return user


class User(AbstractBaseUser, PermissionsMixin):
    """A student. Email is the login; there is no username."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True, validators=[EmailValidator()])
    full_name = models.CharField(max_length=200, blank=True)
    school_name = models.CharField(max_length=200, blank=True)
    academic_level = models.CharField(
        max_length=20, choices=AcademicLevel.choices, default=AcademicLevel.UNDERGRADUATE
    )
    major = models.CharField(max_length=200, blank=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_iana_timezone])
    language = models.CharField(max_length=8, default="en", validators=[validate_language_code])
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        indexes = [models.Index(fields=["email"], name="idx_user_email")]
        constraints = [
            models.CheckConstraint(
                condition=Q(email__regex=r"^[^@\s]+@[^@\s]+$"), name="user_email_has_at"
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    @property
    def is_verified(self) -> bool:
        """Whether the login address is verified. allauth's EmailAddress is the one source of
        truth (verification and email changes write only there)."""
        from accounts.selectors import email_is_verified

        return email_is_verified(self)

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]


def default_weekly_availability() -> dict:
    return {
        "monday": [{"start": "18:00", "end": "22:00"}],
        "tuesday": [{"start": "18:00", "end": "22:00"}],
        "wednesday": [{"start": "18:00", "end": "22:00"}],
        "thursday": [{"start": "18:00", "end": "22:00"}],
        "friday": [{"start": "19:00", "end": "22:00"}],
        "saturday": [{"start": "09:00", "end": "21:00"}],
        "sunday": [{"start": "09:00", "end": "21:00"}],
    }


class UserPreferencesQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class UserPreferences(models.Model):
    """Study constraints. The seed makes this 1:N with User; the newest row is the one in force
    and edits update it in place, with every change kept by the history table."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="preferences")
    max_hours_per_day = models.FloatField(
        default=4.0, validators=[MinValueValidator(1), MaxValueValidator(16)]
    )
    preferred_block_length_min = models.PositiveIntegerField(
        default=50, validators=[MinValueValidator(15), MaxValueValidator(180)]
    )
    break_length_min = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(5), MaxValueValidator(60)]
    )
    earliest_start_time = models.TimeField(default=time(8, 0))
    latest_end_time = models.TimeField(default=time(22, 0))
    weekly_availability = models.JSONField(default=default_weekly_availability, blank=True)
    difficulty_curve = models.CharField(
        max_length=12, choices=DifficultyCurve.choices, default=DifficultyCurve.BALANCED
    )
    study_mode_preferences = models.JSONField(default=dict, blank=True)
    enable_spaced_repetition = models.BooleanField(default=True)
    min_review_interval_days = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    # Module 3's placement rules, with its defaults. Per student: how long one can focus, how
    # long a switch of subject or the walk to a class takes, differ from student to student.
    max_block_length_min = models.PositiveIntegerField(
        default=120,
        validators=[MinValueValidator(25), MaxValueValidator(240)],
        # Wins over a longer preferred block length (the planner uses the smaller).
        help_text="No study block is ever longer, even when the plan is full or your block "
        "length is longer.",
    )
    min_break_between_courses_min = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text="Least time between blocks of different courses.",
    )
    calendar_buffer_min = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
        help_text="Time kept free before each calendar event.",
    )
    max_blocks_per_day = models.PositiveIntegerField(
        default=6, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    # Display only: the planner never reads it, so changing it does not replan.
    time_format = models.CharField(max_length=3, choices=TimeFormat.choices, default=TimeFormat.H24)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = UserPreferencesQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "user preferences"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_hours_per_day__gte=1) & Q(max_hours_per_day__lte=16),
                name="prefs_max_hours_1_16",
            ),
            models.CheckConstraint(
                condition=Q(preferred_block_length_min__gte=15)
                & Q(preferred_block_length_min__lte=180),
                name="prefs_block_length_15_180",
            ),
            models.CheckConstraint(
                condition=Q(break_length_min__gte=5) & Q(break_length_min__lte=60),
                name="prefs_break_length_5_60",
            ),
            models.CheckConstraint(
                condition=Q(min_review_interval_days__gte=1) & Q(min_review_interval_days__lte=365),
                name="prefs_min_review_interval_1_365",
            ),
            models.CheckConstraint(
                condition=Q(latest_end_time__gt=models.F("earliest_start_time")),
                name="prefs_latest_end_after_earliest_start",
            ),
            models.CheckConstraint(
                condition=Q(max_block_length_min__gte=25) & Q(max_block_length_min__lte=240),
                name="prefs_max_block_length_25_240",
            ),
            models.CheckConstraint(
                condition=Q(min_break_between_courses_min__lte=60),
                name="prefs_course_break_0_60",
            ),
            models.CheckConstraint(
                condition=Q(time_format__in=TimeFormat.values), name="prefs_time_format_known"
            ),
            models.CheckConstraint(
                condition=Q(calendar_buffer_min__lte=60),
                name="prefs_calendar_buffer_0_60",
            ),
            models.CheckConstraint(
                condition=Q(max_blocks_per_day__gte=1) & Q(max_blocks_per_day__lte=12),
                name="prefs_max_blocks_per_day_1_12",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="idx_prefs_user_created")]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"

    def clean(self):
        from accounts.availability import validate_weekly_availability

        super().clean()
        errors = study_day_errors(self.earliest_start_time, self.latest_end_time)
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError(errors)
        validate_weekly_availability(
            self.weekly_availability,
            earliest=self.earliest_start_time,
            latest=self.latest_end_time,
        )


# The daily email goes out on this grid of local times: beat looks for students to send to every
# NOTIFY_SLOT_MINUTES, so a time on the grid is kept to the minute (see journey/notifications).
DAILY_TIME_STEP_MIN = 15
# A reminder sooner than 5 minutes before a block arrives when the student should be starting;
# one more than two hours before is a plan, not a reminder.
REMINDER_MIN_MINUTES = 5
REMINDER_MAX_MINUTES = 120


class NotificationSettingsQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class NotificationSettings(models.Model):
    """What the product may tell the student, how, and when. One row per student.

    Kept apart from UserPreferences on purpose: those are planning constraints, and saving them
    replans; changing when an email arrives must never move a block. The seed's names are used
    where they fit: `email_notifications` is the master switch for email, `study_reminders`
    turns block reminders on, `progress_updates` the weekly summary.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="notification_settings"
    )
    email_notifications = models.BooleanField(
        default=True, help_text="Off: nothing is emailed; the in-app list still shows everything."
    )
    daily_plan_email = models.BooleanField(default=True)
    daily_plan_time = models.TimeField(
        default=time(7, 0), help_text="Local time, on the quarter hour."
    )
    study_reminders = models.BooleanField(default=True, help_text="A reminder before each block.")
    reminder_minutes_before = models.PositiveSmallIntegerField(
        default=15,
        validators=[
            MinValueValidator(REMINDER_MIN_MINUTES),
            MaxValueValidator(REMINDER_MAX_MINUTES),
        ],
    )
    plan_change_notices = models.BooleanField(
        default=True, help_text="When a replan moves or drops a block in the next 24 hours."
    )
    at_risk_alerts = models.BooleanField(
        default=True, help_text="When an assessment becomes at risk."
    )
    progress_updates = models.BooleanField(
        default=True, help_text="A weekly summary on Monday, at the daily email's time."
    )
    # Both set or both empty; a start after the end spans midnight (22:00 to 07:00).
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = NotificationSettingsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "notification settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_minutes_before__gte=REMINDER_MIN_MINUTES)
                & Q(reminder_minutes_before__lte=REMINDER_MAX_MINUTES),
                name="notify_reminder_minutes_range",
            ),
            models.CheckConstraint(
                condition=(Q(quiet_hours_start__isnull=True) & Q(quiet_hours_end__isnull=True))
                | (
                    Q(quiet_hours_start__isnull=False)
                    & Q(quiet_hours_end__isnull=False)
                    & ~Q(quiet_hours_start=models.F("quiet_hours_end"))
                ),
                name="notify_quiet_hours_both_or_none",
            ),
        ]
        indexes = [
            models.Index(fields=["daily_plan_time"], name="idx_notify_daily_time"),
        ]

    def __str__(self) -> str:
        return f"Notification settings of {self.user_id}"

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        errors = {}
        when = self.daily_plan_time
        if when is not None and (when.minute % DAILY_TIME_STEP_MIN or when.second):
            errors["daily_plan_time"] = [
                f"Pick a time on the quarter hour (every {DAILY_TIME_STEP_MIN} minutes)."
            ]
        if (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            errors["quiet_hours_end" if self.quiet_hours_end is None else "quiet_hours_start"] = [
                "Set both ends of the quiet hours, or neither."
            ]
        elif self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            errors["quiet_hours_end"] = ["Quiet hours must end at another time than they start."]
        if errors:
            raise ValidationError(errors)


class ApiTokenQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self, now=None):
        now = now or dj_timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    """A personal token for programs. Only a SHA-256 digest is stored; the key is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["key_hash"])
    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > dj_timezone.now()


class AuditAction(models.TextChoices):
    LOGIN_SUCCEEDED = "login_succeeded", "Login succeeded"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOGIN_LOCKED_OUT = "login_locked_out", "Login locked out"
    SIGNED_UP = "signed_up", "Signed up"
    EMAIL_VERIFIED = "email_verified", "Email address verified"
    EMAIL_CHANGED = "email_changed", "Email address changed"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    PASSWORD_RESET = "password_reset", "Password reset"
    MFA_ENABLED = "mfa_enabled", "Two-factor authentication turned on"
    MFA_DISABLED = "mfa_disabled", "Two-factor authentication turned off"
    MFA_RECOVERY_CODES_REGENERATED = "mfa_recovery_codes_regenerated", "Recovery codes renewed"
    TOKEN_CREATED = "token_created", "API token created"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    INTEGRATION_CONNECTED = "integration_connected", "Integration connected"
    INTEGRATION_DISCONNECTED = "integration_disconnected", "Integration disconnected"
    DATA_EXPORTED = "data_exported", "Data exported"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"
    # A teacher's actions on class data: the students' trail of who saw what.
    CLASS_PUBLISHED = "class_published", "Class published"
    CLASS_UPDATE_OFFERED = "class_update_offered", "Class update offered"
    CLASS_PROGRESS_VIEWED = "class_progress_viewed", "Class progress viewed"
    CLASS_TEMPLATE_DELETED = "class_template_deleted", "Class template deleted"


class AuditEventQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class AuditEvent(models.Model):
    """One security-relevant event. Append-only, and never holds a secret.

    The user FK is cleared when the account is deleted, while `user_id_snapshot` keeps the id,
    so the trail of who did what survives the account it describes."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit_events"
    )
    user_id_snapshot = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="idx_audit_user_created"),
            models.Index(fields=["action", "-created_at"], name="idx_audit_action_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.user_id_snapshot or '-'} {self.created_at:%Y-%m-%d %H:%M}"


class TeacherRole(models.Model):
    """Staff approval to author course templates and run classes.

    Granted and revoked only in the admin, never by the user: a teacher sees class data of
    consenting students, so the role is a staff decision, and the history table keeps who
    held it when. A row with `is_active` false is a revoked approval kept for that history."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="teacher_role")
    is_active = models.BooleanField(default=True)
    approved_at = models.DateTimeField(default=dj_timezone.now)
    note = models.CharField(max_length=200, blank=True)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Teacher role of {self.user_id}"


def is_teacher(user) -> bool:
    """Whether `user` holds an active, staff-approved teacher role."""
    if not getattr(user, "is_authenticated", False):
        return False
    return TeacherRole.objects.filter(user=user, is_active=True).exists()


from accounts.failed_tasks import FailedTask  # noqa: E402,F401
