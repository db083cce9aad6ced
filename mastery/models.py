import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.history import HistoricalRecords
from courses.models import Assessment, Course, Topic


class Trend(models.TextChoices):
    IMPROVING = "improving", "Improving"
    STABLE = "stable", "Stable"
    DECLINING = "declining", "Declining"
    NEW = "new", "New"


class EvidenceSource(models.TextChoices):
    MANUAL = "manual", "Entered by hand"
    API = "api", "API"
    IMPORT = "import", "Grade import"
    DIAGNOSTIC = "diagnostic", "Diagnostic quiz"
    QUIZ = "quiz", "Practice quiz"
    SELF_RATING = "self_rating", "Self-rating after a study task"
    FLASHCARD = "flashcard", "Flashcard review"


class PerformanceRecordQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class PerformanceRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="performance_records",
        db_index=False,
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="performance_records", db_index=False
    )
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="performance_records",
        db_index=False,
    )
    attempt_number = models.PositiveIntegerField(default=1)
    score = models.FloatField(validators=[MinValueValidator(0)])
    max_score = models.FloatField(default=100.0, validators=[MinValueValidator(0.01)])
    # Always score / max_score * 100, computed on save and never taken from input.
    percentage = models.FloatField(editable=False, default=0.0)
    time_spent_min = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    completed_at = models.DateTimeField(default=timezone.now)
    topic_breakdown = models.JSONField(default=dict, blank=True)
    question_data = models.JSONField(default=list, blank=True)
    source = models.CharField(
        max_length=12, choices=EvidenceSource.choices, default=EvidenceSource.MANUAL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = PerformanceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_at"]
        indexes = [
            models.Index(fields=["user", "course"], name="idx_perf_user_course"),
            models.Index(fields=["assessment"], name="idx_perf_assessment"),
            models.Index(fields=["user", "completed_at"], name="idx_perf_completed"),
            # The few self-ratings among a student's records, for the evidence counts
            # (mastery.evidence_selectors), without reading the rest.
            models.Index(
                fields=["user"],
                condition=Q(source="self_rating"),
                name="idx_perf_self_rating",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=models.F("max_score")),
                name="perf_score_0_max",
            ),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="perf_max_score_gt_0"),
            models.CheckConstraint(
                condition=Q(percentage__gte=0) & Q(percentage__lte=100),
                name="perf_percentage_0_100",
            ),
            models.CheckConstraint(condition=Q(time_spent_min__gt=0), name="perf_time_spent_gt_0"),
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="perf_attempt_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.score}/{self.max_score} on {self.completed_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.score is not None and self.max_score:
            self.percentage = self.compute_percentage()
        if self._state.adding:
            self.attempt_number = self.next_attempt_number()
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        if self.max_score is not None and self.max_score <= 0:
            errors["max_score"] = "The maximum score must be above 0."
        elif (
            self.score is not None
            and self.max_score is not None
            and not 0 <= self.score <= self.max_score
        ):
            errors["score"] = "The score must be between 0 and the maximum score."
        if self.time_spent_min is not None and self.time_spent_min <= 0:
            errors["time_spent_min"] = "Time spent must be more than 0 minutes."
        if errors:
            raise ValidationError(errors)

    def compute_percentage(self) -> float:
        return round(self.score / self.max_score * 100, 4)

    def next_attempt_number(self) -> int:
        """Retakes are numbered per (user, assessment); practice has no retakes.

        Callers that can race (the API) hold a lock on the user row around the save.
        """
        if self.assessment_id is None:
            return 1
        latest = PerformanceRecord.objects.filter(
            user_id=self.user_id, assessment_id=self.assessment_id
        ).aggregate(latest=models.Max("attempt_number"))["latest"]
        return (latest or 0) + 1


class MasteryRecordQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def due_for_review(self, on_date):
        return self.filter(next_review_date__lte=on_date)


# The columns of MasteryRecord that say what its number rests on.
EVIDENCE_COLUMNS = (
    "evidence_answers",
    "evidence_grades",
    "evidence_self_ratings",
    "evidence_last_at",
)


class MasteryRecord(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mastery_records",
        db_index=False,
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mastery_records")
    mastery_score = models.FloatField(
        default=0.0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    confidence_interval = models.FloatField(
        default=50.0, validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    trend = models.CharField(max_length=10, choices=Trend.choices, default=Trend.NEW)
    last_practiced_at = models.DateTimeField(null=True, blank=True)
    next_review_date = models.DateField(null=True, blank=True)
    review_interval_days = models.PositiveIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    practice_count = models.PositiveIntegerField(default=0)
    quiz_count = models.PositiveIntegerField(default=0)
    # The engine's memory state beyond the seed's columns (stability, difficulty, counts).
    memory = models.JSONField(default=dict, blank=True)
    # How many evidence observations the stored state has folded; the fast path checks it.
    observation_count = models.PositiveIntegerField(default=0)
    # What the folded observations rest on ("12 answers, 1 grade, last 3 days ago"), kept by
    # the fold beside the state it describes, so a page shows it without reading the history.
    evidence_answers = models.PositiveIntegerField(default=0)
    evidence_grades = models.PositiveIntegerField(default=0)
    evidence_self_ratings = models.PositiveIntegerField(default=0)
    evidence_last_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = MasteryRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "topic"], name="idx_mastery_user_topic"),
            models.CheckConstraint(
                condition=Q(mastery_score__gte=0) & Q(mastery_score__lte=100),
                name="mastery_score_0_100",
            ),
            models.CheckConstraint(
                condition=Q(confidence_interval__gte=0) & Q(confidence_interval__lte=50),
                name="mastery_confidence_0_50",
            ),
            models.CheckConstraint(
                condition=Q(review_interval_days__gte=1) & Q(review_interval_days__lte=365),
                name="mastery_review_interval_1_365",
            ),
        ]
        indexes = [models.Index(fields=["user", "next_review_date"], name="idx_mastery_review")]

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.mastery_score:.0f} ± {self.confidence_interval:.0f}"


class MasteryObservationQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class MasteryObservation(models.Model):
    """One step of the mastery fold: the evidence, the α used, and the state before and after."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mastery_observations",
        db_index=False,
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mastery_observations")
    performance_record = models.ForeignKey(
        PerformanceRecord, on_delete=models.CASCADE, related_name="observations"
    )
    sequence = models.PositiveIntegerField()
    observed_at = models.DateTimeField()
    kind = models.CharField(max_length=12)
    score_percent = models.FloatField()
    question_count = models.PositiveIntegerField(default=1)
    alpha = models.FloatField()
    mastery_before = models.FloatField(null=True, blank=True)
    mastery_after = models.FloatField()
    confidence_after = models.FloatField()
    trend_after = models.CharField(max_length=10, choices=Trend.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MasteryObservationQuerySet.as_manager()

    class Meta:
        ordering = ["user", "topic", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "topic", "sequence"], name="mastery_observation_unique_sequence"
            ),
        ]
        # No separate index: the unique constraint's index serves the same lookups, and a second
        # one on the same columns only doubled the cost of writing history in bulk.

    def __str__(self) -> str:
        return f"#{self.sequence} {self.kind} {self.score_percent:.0f}"


class CourseMasteryDayQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class CourseMasteryDay(models.Model):
    """A daily rollup of the mastery history: per course and local day with evidence, the mean
    of each evidenced topic's latest mastery at the end of that day.

    The stats page charts these rows instead of folding every observation ever recorded on each
    request. The recompute keeps them in step with the history it writes (mastery.services.
    rollups), and `manage.py rebuild_rollups` rebuilds them from the history.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="course_mastery_days",
        db_index=False,
    )
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="mastery_days", db_index=False
    )
    day = models.DateField()
    mean_mastery = models.FloatField()
    topic_count = models.PositiveIntegerField()

    objects = CourseMasteryDayQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "day"], name="course_mastery_day_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "day"], name="idx_course_mastery_day")]

    def __str__(self) -> str:
        return f"{self.course_id} {self.day}: {self.mean_mastery:.1f}"


class MasteryRecomputeRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def older_than(self, moment):
        return self.filter(requested_at__lt=moment)


class MasteryRecomputeRequest(models.Model):
    """A topic whose mastery must be folded again, written in the same transaction as the
    evidence that changed it.

    The recompute deletes the rows it saw before folding, so a row only outlives its task when
    the enqueue was lost (broker down) or the worker died; the pending sweep resends those.
    One row per request, not per topic: a unique row would let a recompute that started before
    new evidence delete the marker that evidence relies on.
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="mastery_recompute_requests",
        db_index=False,
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="mastery_recompute_requests"
    )
    requested_at = models.DateTimeField(default=timezone.now)

    objects = MasteryRecomputeRequestQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "topic"], name="idx_mastery_request_topic"),
            models.Index(fields=["requested_at"], name="idx_mastery_request_age"),
        ]

    def __str__(self) -> str:
        return f"recompute {self.topic_id} requested {self.requested_at:%Y-%m-%d %H:%M:%S}"


class ForecastModel(models.Model):
    """One fit of the forecast's weights from the platform's own evidence.

    Platform-wide, not per user: the weights say how mastery, counts, recall, ability and
    topic ease map to a probability, which is the same question for everyone. The newest row
    whose feature names match the engine's is the one in use; older rows stay as a record.
    """

    version = models.PositiveIntegerField(unique=True)
    feature_names = models.JSONField(default=list)
    weights = models.JSONField(default=list)
    fitted_at = models.DateTimeField(default=timezone.now)
    n = models.PositiveIntegerField(default=0)
    # log loss, base rate and the calibration bins (predicted vs observed) on the fitted data.
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"forecast v{self.version} ({self.n} answers, {self.fitted_at:%Y-%m-%d})"


from mastery.card_models import *  # noqa: E402,F403
from mastery.quiz_models import *  # noqa: E402,F403
