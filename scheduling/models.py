import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

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


class StudyTaskQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def open(self):
        return self.filter(status__in=[TaskStatus.PENDING, TaskStatus.SCHEDULED])

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
        ]

    def __str__(self) -> str:
        return self.title
