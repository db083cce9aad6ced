"""Course templates a teacher authors, and the classes they are published as.

A template is the teacher's copy of a course: topics with prerequisites and resources,
assessments with weights and dates, and each topic's question bank as a document in the
import format of docs/question_bank.md (stored as written here; the question parser lives in
`mastery`, a layer above, so the journey service that writes it validates it there first). A
class publishes a template under a join code; a membership links one student's own copy of
the course to it.
"""

import secrets
import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.history import HistoricalRecords
from courses.models import AssessmentType, Course, Difficulty, ResourceType

# Eight characters of an alphabet without look-alikes (0/O, 1/I/L): read aloud in a lecture
# hall and typed on a phone, and 31^8 codes leave guessing one hopeless under the rate limits.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class CourseTemplateQuerySet(models.QuerySet):
    def for_user(self, user):
        """The teacher's templates; a deleted one is gone from every teacher page and API."""
        return self.filter(owner=user, deleted_at__isnull=True)


class CourseTemplate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_templates"
    )
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=40)
    instructor_name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    # Raised by every change after publishing that reaches the students' courses (a topic,
    # assessment or resource added, changed or deleted); a membership whose `applied_version`
    # is lower has an update to offer its student.
    version = models.PositiveIntegerField(default=1)
    # A template that was published is never removed: its classes and the students'
    # memberships keep naming it (their history, their export). Deleting it sets this, closes
    # its classes and unlinks the students' courses.
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CourseTemplateQuerySet.as_manager()

    class Meta:
        ordering = ["code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=models.F("start_date")),
                name="course_template_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TemplateTopicQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(template__owner=user, template__deleted_at__isnull=True)


class TemplateTopic(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(CourseTemplate, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    estimated_difficulty = models.CharField(
        max_length=12, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    # Ids of other topics of the same template; services keep the graph acyclic.
    prerequisite_ids = models.JSONField(default=list, blank=True)
    # The question bank as an import document ({"quiz": {"questions": [...]}}), already
    # validated by the mastery parser when written.
    questions = models.JSONField(default=dict, blank=True)
    order_index = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()
    objects = TemplateTopicQuerySet.as_manager()

    class Meta:
        ordering = ["template", "order_index", "name"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="template_topic_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def question_count(self) -> int:
        quiz = self.questions.get("quiz") if isinstance(self.questions, dict) else None
        return len(quiz.get("questions", [])) if isinstance(quiz, dict) else 0


class TemplateAssessmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(template__owner=user, template__deleted_at__isnull=True)


class TemplateAssessment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(
        CourseTemplate, on_delete=models.CASCADE, related_name="assessments"
    )
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=AssessmentType.choices)
    weight_percent = models.FloatField(validators=[MinValueValidator(0), MaxValueValidator(100)])
    due_date = models.DateTimeField()
    estimated_duration_min = models.PositiveIntegerField(
        default=60, validators=[MinValueValidator(1), MaxValueValidator(24 * 60)]
    )
    topics = models.ManyToManyField(TemplateTopic, blank=True, related_name="assessments")

    history = HistoricalRecords()
    objects = TemplateAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight_percent__gte=0) & Q(weight_percent__lte=100),
                name="template_assessment_weight_0_100",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TemplateResourceQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(topic__template__owner=user, topic__template__deleted_at__isnull=True)


class TemplateResource(models.Model):
    """A link the teacher recommends for a topic. A student's course keeps a topic's
    resources as links (`Topic.resource_links`: a type and an http(s) URL), so a template
    resource always has a URL; its title and notes travel with it into the student's copy."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    topic = models.ForeignKey(TemplateTopic, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=12, choices=ResourceType.choices)
    url = models.CharField(max_length=2000)
    notes = models.TextField(blank=True)
    order_index = models.PositiveIntegerField(default=0)

    history = HistoricalRecords()
    objects = TemplateResourceQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "order_index", "title"]

    def __str__(self) -> str:
        return self.title

    def as_link(self) -> dict:
        """The entry of the student's `Topic.resource_links` this resource becomes."""
        link = {"type": self.type, "url": self.url, "title": self.title}
        if self.notes:
            link["notes"] = self.notes
        return link


class ClassroomQuerySet(models.QuerySet):
    def for_teacher(self, user):
        return self.filter(template__owner=user, template__deleted_at__isnull=True)


class Classroom(models.Model):
    """A template published to students under a join code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template = models.ForeignKey(
        CourseTemplate, on_delete=models.CASCADE, related_name="classrooms"
    )
    name = models.CharField(max_length=200)
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code)
    is_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    JOINED = "joined", "Joined"
    LEFT = "left", "Left"
    # The teacher deleted the template: the course stays the student's, no longer linked.
    CLOSED = "closed", "Class closed"


class ClassMembershipQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(student=user)

    def for_teacher(self, user):
        return self.filter(classroom__template__owner=user)

    def visible_to_teacher(self):
        """Only these rows may reach a teacher: joined and consenting, nothing else."""
        return self.filter(status=MembershipStatus.JOINED, has_consented=True)


class ClassMembership(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="class_memberships"
    )
    # The student's own copy; it stays theirs when they leave (then unlinked).
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    status = models.CharField(
        max_length=8, choices=MembershipStatus.choices, default=MembershipStatus.JOINED
    )
    has_consented = models.BooleanField(default=False)
    consent_changed_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    # The template version the student's course matches; lower than the template's means an
    # update waits for the student to accept it.
    applied_version = models.PositiveIntegerField(default=1)
    # Template assessment id -> the student's assessment id, so an accepted update finds the
    # student's rows without a column on every course's assessments.
    assessment_map = models.JSONField(default=dict, blank=True)
    # Template topic id -> the student's topic id: the class progress page groups the
    # students' mastery by the teacher's topics through it.
    topic_map = models.JSONField(default=dict, blank=True)
    # Template resource id -> the URL of its copy among the student's topic's resource links,
    # so an accepted update changes or removes that link and leaves the student's own alone.
    resource_map = models.JSONField(default=dict, blank=True)

    history = HistoricalRecords()
    objects = ClassMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["-joined_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["classroom", "student"], name="class_membership_unique_student"
            ),
            models.CheckConstraint(
                condition=Q(status=MembershipStatus.JOINED) | Q(has_consented=False),
                name="class_membership_left_never_consents",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} in {self.classroom_id}"
