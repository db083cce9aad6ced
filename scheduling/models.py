import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.history import HistoricalRecords
from courses.models import Assessment, Course, Difficulty


class TaskType(models.TextChoices):
    READING = "reading", "Reading"
    PROBLEM_SET = "problem_set", "Problem set"
    QUIZ = "quiz", "Quiz"
    REVIEW = "review", "Review"
    PROJECT = "project", "Project"
    FLASHCARDS = "flashcards", "Flashcards"


class TaskStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    SKIPPED = "skipped", "Skipped"
    # The block's end passed and it was never started; its work is re-placed by the replan.
    MISSED = "missed", "Missed"


# Statuses whose block never moves again on a replan (pinned scheduled blocks are locked too).
LOCKED_STATUSES = (TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)


class StudyTaskQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def open(self):
        return self.filter(status__in=[TaskStatus.PENDING, TaskStatus.SCHEDULED])

    def placed(self):
        return self.filter(
            status__in=[TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED],
            scheduled_start__isnull=False,
        )

    def missed_by(self, now):
        return self.filter(
            status=TaskStatus.SCHEDULED, scheduled_end__lte=now, actual_start__isnull=True
        )

    def scheduled_between(self, start, end):
        return self.filter(scheduled_start__lt=end, scheduled_end__gt=start)


class StudyTask(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="study_tasks",
        db_index=False,
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="study_tasks")
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="study_tasks"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    task_type = models.CharField(max_length=12, choices=TaskType.choices)
    difficulty = models.CharField(max_length=12, choices=Difficulty.choices)
    topic_ids = models.JSONField(default=list, blank=True)
    estimated_duration_min = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    completion_percentage = models.FloatField(
        default=0.0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    priority_score = models.FloatField(default=0.0)
    calendar_event_id = models.CharField(max_length=1024, null=True, blank=True)
    notion_page_id = models.CharField(max_length=64, null=True, blank=True)
    expected_mastery_gain = models.FloatField(
        default=0.0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    actual_mastery_gain = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    # Plain-language "why this task", shown wherever the task is shown.
    reason = models.TextField(blank=True)
    # A pinned block never moves on replan; moving a block by hand pins it.
    is_pinned = models.BooleanField(default=False)
    # Which piece of work this block belongs to ("study:<assessment>:<topic>", "review:<topic>:
    # <date>", ...). A replan matches blocks to work by it, so unchanged blocks stay put.
    work_key = models.CharField(max_length=200, blank=True, default="")
    # Why the planner could not place this work (status pending), from the planner's report.
    unscheduled_reason = models.TextField(blank=True)
    skip_reason = models.TextField(blank=True)
    self_rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = StudyTaskQuerySet.as_manager()

    class Meta:
        ordering = ["scheduled_start", "-priority_score"]
        indexes = [
            models.Index(fields=["user", "status"], name="idx_task_user_status"),
            models.Index(fields=["user", "scheduled_start"], name="idx_task_scheduled"),
            models.Index(fields=["user", "-priority_score"], name="idx_task_priority"),
            models.Index(fields=["user", "work_key"], name="idx_task_work_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(completion_percentage__gte=0) & Q(completion_percentage__lte=100),
                name="task_completion_0_100",
            ),
            models.CheckConstraint(
                condition=Q(expected_mastery_gain__gte=0) & Q(expected_mastery_gain__lte=100),
                name="task_expected_gain_0_100",
            ),
            models.CheckConstraint(
                condition=Q(actual_mastery_gain__isnull=True)
                | (Q(actual_mastery_gain__gte=0) & Q(actual_mastery_gain__lte=100)),
                name="task_actual_gain_0_100",
            ),
            models.CheckConstraint(
                condition=Q(estimated_duration_min__gt=0), name="task_duration_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(scheduled_start__isnull=True)
                | Q(scheduled_end__isnull=True)
                | Q(scheduled_end__gt=models.F("scheduled_start")),
                name="task_scheduled_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(self_rating__isnull=True) | Q(self_rating__gte=1, self_rating__lte=5),
                name="task_self_rating_1_5",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # What the student may do with the task now (the services enforce the same rules).
    @property
    def can_start(self) -> bool:
        return self.status in (TaskStatus.SCHEDULED, TaskStatus.PENDING, TaskStatus.MISSED)

    @property
    def can_complete(self) -> bool:
        return self.can_start or self.status == TaskStatus.IN_PROGRESS

    @property
    def can_skip(self) -> bool:
        return self.can_complete

    @property
    def can_move(self) -> bool:
        return self.can_start

    @property
    def block_length_min(self) -> int:
        """The block's own length, which the focus timer counts down: the placed span, or the
        estimate while it is not placed."""
        if self.scheduled_start and self.scheduled_end:
            return max(1, round((self.scheduled_end - self.scheduled_start).total_seconds() / 60))
        return self.estimated_duration_min


class DailyCheckInQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


def _rating_field(**kwargs):
    return models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], **kwargs
    )


class DailyCheckIn(models.Model):
    """How the day's study felt; the next plan's difficulty and block lengths follow it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_ins"
    )
    # The student's local date: one check-in per day, a second one the same day replaces it.
    date = models.DateField()
    difficulty = _rating_field()
    time_burden = _rating_field()
    mood = _rating_field(null=True, blank=True)
    energy = _rating_field(null=True, blank=True)
    note = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = DailyCheckInQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="checkin_one_per_day"),
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=5)
                & Q(time_burden__gte=1, time_burden__lte=5)
                & (Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=5))
                & (Q(energy__isnull=True) | Q(energy__gte=1, energy__lte=5)),
                name="checkin_ratings_1_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Check-in {self.date}"


class CalendarFeedTokenQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(revoked_at__isnull=True)


class CalendarFeedToken(models.Model):
    """The secret of a student's ICS feed URL. Only its SHA-256 digest is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["token_hash"])
    objects = CalendarFeedTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="feed_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"


class PlanSnapshotQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def for_pages(self):
        """Without the list of work that did not fit: it holds an entry per such block
        (hundreds of kilobytes for a student with thousands), and the pages read those blocks
        from the tasks themselves, a page at a time."""
        return self.defer("unscheduled")


class PlanSnapshot(models.Model):
    """What the last replan reported beyond the blocks: cushions, readiness, unscheduled work.

    Kept so pages and the API show the planner's own at-risk analysis without replanning on
    every read; `busy_fingerprint` lets the hourly sweep notice changed busy times.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_snapshot"
    )
    planned_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    horizon_start = models.DateTimeField()
    horizon_end = models.DateTimeField()
    cushions = models.JSONField(default=list, blank=True)
    readiness = models.JSONField(default=list, blank=True)
    unscheduled = models.JSONField(default=list, blank=True)
    busy_fingerprint = models.CharField(max_length=64, blank=True)
    last_nightly_date = models.DateField(null=True, blank=True)

    objects = PlanSnapshotQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Plan of {self.user_id} at {self.planned_at:%Y-%m-%d %H:%M}"


class ReplanRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def older_than(self, moment):
        return self.filter(requested_at__lt=moment)


class ReplanRequest(models.Model):
    """A replan asked for and not yet done, written before its task is published.

    A replan deletes the rows it saw before planning, so a row only outlives its task when the
    enqueue was lost (broker down) or the worker died; the pending sweep replans those users.
    One row per request, so a replan already under way cannot delete a newer request.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="replan_requests",
        db_index=False,
    )
    reason = models.CharField(max_length=40, blank=True)
    requested_at = models.DateTimeField(default=timezone.now)

    objects = ReplanRequestQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user"], name="idx_replan_request_user"),
            models.Index(fields=["requested_at"], name="idx_replan_request_age"),
        ]

    def __str__(self) -> str:
        return f"replan {self.user_id} ({self.reason}) requested {self.requested_at:%H:%M:%S}"


class GainRefreshRequest(models.Model):
    """A topic whose blocks' `actual_mastery_gain` must be measured again, written when its
    mastery moved and before the refresh is published.

    The refresh deletes the rows it saw, in the transaction that writes the gains, so a row
    only outlives its task when the publish was lost (broker down) or the worker died; the
    pending sweep resends those. One row per request, like the replan and recompute requests,
    so a refresh already running cannot delete a newer request for the same topic.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="gain_refresh_requests",
        db_index=False,
    )
    topic = models.ForeignKey(
        "courses.Topic", on_delete=models.CASCADE, related_name="gain_refresh_requests"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["user"], name="idx_gain_refresh_user"),
            models.Index(fields=["requested_at"], name="idx_gain_refresh_age"),
        ]

    def __str__(self) -> str:
        return f"gain refresh {self.user_id} topic {self.topic_id}"


class BusyIntervalQuerySet(models.QuerySet):
    def for_user(self, user_or_id):
        return self.filter(user=user_or_id)

    def overlapping(self, start, end):
        return self.filter(start__lt=end, end__gt=start)


class BusyInterval(models.Model):
    """Time a student's own calendar says they are busy; the planner keeps it free.

    PostgreSQL is the system of record: a pull replaces one source's rows in the window it
    asked about, and Redis only caches what the planner reads. `source` names where the rows
    came from (a provider, optionally with its calendar) so one pull never erases another's.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="busy_intervals",
        db_index=False,
    )
    source = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()
    external_id = models.CharField(max_length=255, blank=True)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = BusyIntervalQuerySet.as_manager()

    class Meta:
        ordering = ["start", "end", "id"]
        indexes = [
            models.Index(fields=["user", "start"], name="idx_busy_user_start"),
            models.Index(fields=["user", "source", "start"], name="idx_busy_user_source_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="busy_interval_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"busy {self.user_id} {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} ({self.source})"


class AdjustmentAction(models.TextChoices):
    # Place the work after the at-risk assessment's deadline (it is due later).
    MOVE = "move", "Move after the deadline"
    # Stop planning the work (it is due first, and the student chose the other assessment).
    DROP = "drop", "Drop"


class PlanAdjustmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class PlanAdjustment(models.Model):
    """An at-risk suggestion the student applied: work moved after a deadline, or dropped.

    Task generation reads these on every replan, so the freed time stays freed instead of the
    next replan placing the same work back where it was.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_adjustments"
    )
    work_key = models.CharField(max_length=200)
    action = models.CharField(max_length=8, choices=AdjustmentAction.choices)
    # For a move: the work is not placed before this moment (the at-risk deadline).
    not_before = models.DateTimeField(null=True, blank=True)
    # The assessment the time was freed for.
    for_assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="plan_adjustments"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PlanAdjustmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "work_key"], name="plan_adjustment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.work_key}"


class PlanNoticeQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def undismissed(self):
        return self.filter(dismissed_at__isnull=True)


class PlanNotice(models.Model):
    """Module 3's notify_user: the plan of the next 24 hours changed without the student
    moving anything. One open notice per student, updated by each further change, so a busy
    day gives one notice to read instead of a pile."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plan_notices"
    )
    reason = models.CharField(max_length=200, blank=True)
    added_count = models.PositiveIntegerField(default=0)
    moved_count = models.PositiveIntegerField(default=0)
    removed_count = models.PositiveIntegerField(default=0)
    # The first block the change touches, so the notice can say when it starts to matter.
    first_change_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PlanNoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["user", "dismissed_at"], name="idx_notice_open")]

    def __str__(self) -> str:
        return f"Plan notice for {self.user_id} ({self.reason})"


class StudyDayQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class StudyDay(models.Model):
    """A local day on which the student studied (completed a block, took a quiz or a
    diagnostic), counted in the IANA `zone` named: the streak reads these few rows, one per
    day, instead of every block and answer ever recorded.

    The row without a day says that the student's days in that zone are all here. The rollup
    is rebuilt from the history (scheduling.streaks) after every write that can change it, and
    by the first read in a zone it was not built for (the student moved, or rows were written
    in bulk); `manage.py rebuild_study_days` recounts it.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    zone = models.CharField(max_length=64)
    day = models.DateField(null=True, blank=True)

    objects = StudyDayQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "zone", "day"], name="study_day_unique"),
            models.UniqueConstraint(
                fields=["user", "zone"],
                condition=Q(day__isnull=True),
                name="study_day_complete_marker",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day or 'complete'} ({self.zone})"
