import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from accounts.history import HistoricalRecords
from courses.validation import course_dates_errors, resource_links_errors

# Float sums of percentages drift (33.3 + 33.3 + 33.4); weights within this of 100 are complete.
WEIGHTS_TOLERANCE = 0.01


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"
    EXAM_LEVEL = "exam_level", "Exam level"


class AssessmentType(models.TextChoices):
    QUIZ = "quiz", "Quiz"
    ASSIGNMENT = "assignment", "Assignment"
    MIDTERM = "midterm", "Midterm"
    FINAL = "final", "Final"
    PROJECT = "project", "Project"


class ResourceType(models.TextChoices):
    VIDEO = "video", "Video"
    READING = "reading", "Reading"
    EXERCISE = "exercise", "Exercise"


hex_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #3366cc.")


class CourseQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(is_archived=False)

    def with_weights_total(self):
        return self.annotate(weights_total_db=Coalesce(Sum("assessments__weight_percent"), 0.0))


class Course(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="courses",
        db_index=False,
    )
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=40)
    instructor_name = models.CharField(max_length=200, blank=True)
    credit_hours = models.FloatField(default=3.0, validators=[MinValueValidator(0)])
    semester = models.CharField(max_length=60)
    start_date = models.DateField()
    end_date = models.DateField()
    description = models.TextField(blank=True)
    color = models.CharField(max_length=7, default="#3366cc", validators=[hex_color_validator])
    is_archived = models.BooleanField(default=False)
    # The final grade the student aims for, in percent; the planner favours this course's work
    # the higher it is.
    target_grade = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["code", "name"]
        indexes = [
            models.Index(fields=["user"], name="idx_course_user_id"),
            models.Index(fields=["user", "is_archived"], name="idx_course_active"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")), name="course_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(credit_hours__gte=0), name="course_credit_hours_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(target_grade__isnull=True)
                | (Q(target_grade__gte=0) & Q(target_grade__lte=100)),
                name="course_target_grade_0_100",
            ),
            models.UniqueConstraint(
                fields=["user", "code", "semester"], name="course_unique_code_semester"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self):
        super().clean()
        errors = course_dates_errors(self.start_date, self.end_date)
        if errors:
            raise ValidationError(errors)

    @property
    def weights_total(self) -> float:
        annotated = getattr(self, "weights_total_db", None)
        if annotated is not None:
            return round(float(annotated), 4)
        total = self.assessments.aggregate(total=Sum("weight_percent"))["total"] or 0.0
        return round(float(total), 4)

    @property
    def weights_complete(self) -> bool:
        return abs(self.weights_total - 100.0) <= WEIGHTS_TOLERANCE


class TopicQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(course__user=user)


class Topic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="topics", db_index=False
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    estimated_difficulty = models.CharField(
        max_length=12, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    # The seed stores the prerequisite graph as a JSON array of topic ids; services keep it
    # acyclic and inside the same course.
    prerequisite_topic_ids = models.JSONField(default=list, blank=True)
    resource_links = models.JSONField(default=list, blank=True)
    order_index = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["course", "order_index", "name"]
        indexes = [models.Index(fields=["course"], name="idx_topic_course_id")]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if not isinstance(self.prerequisite_topic_ids, list):
            raise ValidationError({"prerequisite_topic_ids": "Must be a list of topic ids."})
        errors = resource_links_errors(self.resource_links)
        if errors:
            raise ValidationError({"resource_links": errors})


class AssessmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(course__user=user)

    def upcoming(self, now):
        return self.live().filter(due_date__gte=now, is_completed=False).order_by("due_date")

    def live(self):
        """Not removed (deleted or unpublished) in the LMS it was imported from."""
        return self.filter(removed_in_source_at__isnull=True)

    def removed_in_source(self):
        return self.filter(removed_in_source_at__isnull=False)

    def weight_to_confirm(self):
        return self.filter(weight_is_estimated=True)


class Assessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, related_name="assessments", db_index=False
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=AssessmentType.choices)
    weight_percent = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    due_date = models.DateTimeField()
    estimated_duration_min = models.PositiveIntegerField(default=60)
    max_score = models.FloatField(default=100.0, validators=[MinValueValidator(0.01)])
    description = models.TextField(blank=True)
    is_completed = models.BooleanField(default=False)
    # Set when an assessment came from an LMS calendar feed, so a re-import updates it.
    external_uid = models.CharField(max_length=255, blank=True, default="")
    created_from_import = models.BooleanField(default=False)
    # The weight was guessed from the type (an imported deadline carries none); the student is
    # asked to confirm or fix it, and setting or confirming the weight clears this.
    weight_is_estimated = models.BooleanField(default=False)
    # When an LMS sync stopped finding this assessment (deleted or unpublished there). It is
    # kept, with its grades and the student's evidence, but no longer planned for or weighted;
    # it comes back as it was when the LMS lists it again.
    removed_in_source_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    topics = models.ManyToManyField(Topic, through="AssessmentTopic", related_name="assessments")

    history = HistoricalRecords()
    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "name"]
        indexes = [models.Index(fields=["course", "due_date"], name="idx_assessment_due_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_percent__gte=0) & Q(weight_percent__lte=100),
                name="assessment_weight_0_100",
            ),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="assessment_max_score_gt_0"),
            models.UniqueConstraint(
                fields=["course", "external_uid"],
                condition=~Q(external_uid=""),
                name="assessment_unique_external_uid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source_label(self) -> str:
        """The LMS an API import took this from ("Canvas", "Moodle"); empty otherwise."""
        kind = self.external_uid.split(":", 1)[0] if ":" in self.external_uid else ""
        return LMS_SOURCE_LABELS.get(kind, "")


# The external_uid prefixes the LMS API imports write (integrations/lms/services.py), and the
# one a class's removed assessment gets when the student keeps it for its grades.
LMS_SOURCE_LABELS = {"canvas": "Canvas", "moodle": "Moodle", "class": "the class"}


class AssessmentTopic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="assessment_topics"
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="assessment_topics")
    question_count = models.PositiveIntegerField(null=True, blank=True)
    weight_in_assessment = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["assessment", "topic"], name="assessment_topic_unique"),
            models.CheckConstraint(
                condition=Q(weight_in_assessment__isnull=True)
                | (Q(weight_in_assessment__gte=0) & Q(weight_in_assessment__lte=100)),
                name="assessment_topic_weight_0_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} → {self.topic_id}"


from courses.template_models import (  # noqa: E402,F401
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
