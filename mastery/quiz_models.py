"""Question bank and quiz attempts (models are defined here and exported by mastery.models).

Questions belong to a topic and are owned through topic -> course -> user. An attempt is one
diagnostic (per course) or practice (per topic) quiz. Questions are served one at a time: an
`AttemptQuestion` row is created when a question is shown, so its `shown_at` and the later
`answered_at` give the time spent, measured on the server.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from courses.models import Course, Difficulty, Topic

__all__ = [
    "AttemptQuestion",
    "Question",
    "QuestionType",
    "QuizAttempt",
    "QuizKind",
    "QuizStatus",
]


class QuestionType(models.TextChoices):
    MULTIPLE_CHOICE = "multiple_choice", "Multiple choice"
    MULTIPLE_SELECT = "multiple_select", "Multiple select"
    TRUE_FALSE = "true_false", "True or false"
    NUMERIC = "numeric", "Numeric"
    SHORT_ANSWER = "short_answer", "Short answer"


class QuestionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(topic__course__user=user)


class Question(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="questions")
    # The `question_id` of the import format: stable within a topic, so re-importing updates.
    external_id = models.CharField(max_length=64)
    type = models.CharField(max_length=16, choices=QuestionType.choices)
    question_text = models.TextField()
    # [{"id": "a", "text": "..."}] for choice questions; empty for numeric and short answer.
    options = models.JSONField(default=list, blank=True)
    # Option id (multiple choice), list of option ids (multiple select), bool (true/false),
    # number (numeric) or text (short answer). Validated by mastery.grading.
    correct_answer = models.JSONField()
    accepted_answers = models.JSONField(default=list, blank=True)
    tolerance = models.FloatField(default=0.0, validators=[MinValueValidator(0)])
    difficulty = models.CharField(
        max_length=12, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    explanation = models.TextField()
    order_index = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "order_index", "external_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "external_id"], name="question_unique_external_id"
            ),
            models.CheckConstraint(condition=Q(tolerance__gte=0), name="question_tolerance_gte_0"),
        ]
        indexes = [models.Index(fields=["topic", "difficulty"], name="idx_question_topic_diff")]

    def __str__(self) -> str:
        return f"{self.external_id}: {self.question_text[:60]}"


class QuizKind(models.TextChoices):
    DIAGNOSTIC = "diagnostic", "Diagnostic"
    PRACTICE = "practice", "Practice"


class QuizStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"


class QuizAttemptQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class QuizAttempt(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="quiz_attempts")
    # Set for a practice quiz; a diagnostic spans the course's topics.
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, null=True, blank=True, related_name="quiz_attempts"
    )
    kind = models.CharField(max_length=12, choices=QuizKind.choices)
    status = models.CharField(
        max_length=12, choices=QuizStatus.choices, default=QuizStatus.IN_PROGRESS
    )
    question_count = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    # The level the next question is drawn at: fixed for practice, adaptive for a diagnostic.
    target_difficulty = models.CharField(max_length=12, choices=Difficulty.choices)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    correct_count = models.PositiveSmallIntegerField(default=0)
    answered_count = models.PositiveSmallIntegerField(default=0)
    score_percent = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    is_passed = models.BooleanField(null=True, blank=True)
    performance_record = models.OneToOneField(
        "mastery.PerformanceRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="quiz_attempt",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = QuizAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["user", "-started_at"], name="idx_quiz_user_started")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="diagnostic", topic__isnull=True)
                | Q(kind="practice", topic__isnull=False),
                name="quiz_topic_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(score_percent__isnull=True)
                | (Q(score_percent__gte=0) & Q(score_percent__lte=100)),
                name="quiz_score_percent_0_100",
            ),
            models.CheckConstraint(
                condition=Q(correct_count__lte=models.F("answered_count")),
                name="quiz_correct_lte_answered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} quiz {self.id}"

    @property
    def is_completed(self) -> bool:
        return self.status == QuizStatus.COMPLETED


class AttemptQuestion(models.Model):
    """One question as served in one attempt, with the answer once given."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="attempt_items")
    position = models.PositiveSmallIntegerField()
    # Copied when shown: the bank may be edited later, the attempt's record must not move.
    difficulty = models.CharField(max_length=12, choices=Difficulty.choices)
    shown_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    time_spent_sec = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["attempt", "position"], name="attempt_question_unique_position"
            ),
            models.UniqueConstraint(
                fields=["attempt", "question"], name="attempt_question_unique_question"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
