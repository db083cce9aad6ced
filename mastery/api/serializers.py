"""Shapes of the performance and grade-import API; the rules live in mastery.services."""

import uuid

from rest_framework import serializers

from accounts.api.lean import LeanOutputMixin
from accounts.hygiene import HygieneModelSerializer, HygieneSerializer
from accounts.prepared import PreparedRead
from courses.models import Assessment, Course
from mastery.models import PerformanceRecord


class _UserScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """Only the requesting user's rows resolve; another user's id is "does not exist" (400)."""

    def get_queryset(self):
        return super().get_queryset().for_user(self.context["request"].user)


# Every posted record names its course: the lookup is compiled once (accounts/prepared.py),
# by id alone, and the owner is compared here.
_course_by_id = PreparedRead(
    lambda pk: Course.objects.filter(pk=pk), field=Course._meta.pk, sentinel=uuid.UUID(int=0)
)


class _UserCourseField(_UserScopedPrimaryKeyField):
    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        # The ORM's own conversion, so a malformed id is refused in the ORM's words.
        pk = Course._meta.pk.to_python(data)
        found = _course_by_id.objects(pk)
        if not found or found[0].user_id != self.context["request"].user.pk:
            self.fail("does_not_exist", pk_value=data)
        return found[0]


class PerformanceInputSerializer(HygieneSerializer):
    # Seed 000: record_performance(user_id, assessment_id, score, time_spent, topic_breakdown).
    # `time_spent` is minutes, as `time_spent_min` (seed 000: "Time spent: > 0 minutes").
    # The seed gives no course: it is the assessment's, so `course` is needed only without one.
    accepts_seed_user_id = True
    seed_aliases = {
        "assessment_id": "assessment",
        "time_spent": "time_spent_min",
        "course_id": "course",
    }

    course = _UserCourseField(
        queryset=Course.objects.all(),
        required=False,
        help_text="Required without an assessment; otherwise the assessment's course.",
    )
    assessment = _UserScopedPrimaryKeyField(
        queryset=Assessment.objects.all(), required=False, allow_null=True
    )
    score = serializers.FloatField()
    max_score = serializers.FloatField(
        required=False, help_text="Defaults to the assessment's maximum score, else 100."
    )
    time_spent_min = serializers.IntegerField()
    completed_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    topic_breakdown = serializers.DictField(
        child=serializers.DictField(),
        required=False,
        help_text='{"<topic id>": {"correct": 5, "total": 8, "time_min": 12}, ...}',
    )
    question_data = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text='[{"question_id": "q1", "correct": true, "time_sec": 45, '
        '"difficulty": "medium"}, ...]',
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.partial or "course" not in self.fields:
            return attrs
        assessment = attrs.get("assessment")
        if attrs.get("course") is None:
            if assessment is None:
                raise serializers.ValidationError(
                    {"course": ["Give the course, or an assessment (its course is used)."]}
                )
            attrs["course"] = assessment.course
        return attrs


class ScoreRecordInputSerializer(HygieneSerializer):
    score = serializers.FloatField()
    max_score = serializers.FloatField(
        required=False, help_text="Defaults to the assessment's maximum score."
    )
    completed_at = serializers.DateTimeField(
        required=False, help_text="Defaults to now, or the due date when that has passed."
    )
    time_spent_min = serializers.IntegerField(
        required=False, help_text="Defaults to the assessment's estimated duration."
    )


class PerformanceUpdateSerializer(PerformanceInputSerializer):
    """Every field of the input; the course, which a record never changes, may only be
    repeated (a PUT of what was read), so a different one is a 400 rather than ignored."""

    def validate(self, attrs):
        course = attrs.pop("course", None)
        record = self.context.get("record")
        if course is not None and record is not None and course.pk != record.course_id:
            raise serializers.ValidationError(
                {"course": ["A performance record's course cannot change."]}
            )
        return attrs


class PerformanceOutputSerializer(LeanOutputMixin, HygieneModelSerializer):
    class Meta:
        model = PerformanceRecord
        fields = [
            "id",
            "course",
            "assessment",
            "attempt_number",
            "score",
            "max_score",
            "percentage",
            "time_spent_min",
            "completed_at",
            "topic_breakdown",
            "question_data",
            "source",
            "created_at",
        ]
        read_only_fields = fields


class PerformanceHistoryOutputSerializer(HygieneSerializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField(help_text="+ created, ~ changed, - deleted")
    history_change_reason = serializers.CharField(allow_null=True)
    assessment = serializers.UUIDField(source="assessment_id", allow_null=True)
    attempt_number = serializers.IntegerField()
    score = serializers.FloatField()
    max_score = serializers.FloatField()
    percentage = serializers.FloatField()
    time_spent_min = serializers.IntegerField()
    completed_at = serializers.DateTimeField()
    topic_breakdown = serializers.JSONField()
    question_data = serializers.JSONField()


class GradeImportInputSerializer(HygieneSerializer):
    # Seed 000: import_grade_history(user_id, course_id, grade_data).
    accepts_seed_user_id = True
    seed_aliases = {"grade_data": "grades"}

    course_id = _UserScopedPrimaryKeyField(queryset=Course.objects.all())
    grades = serializers.ListField(
        child=serializers.JSONField(),
        allow_empty=False,
        help_text="[{assessment_name, score, max_score, date, topics, time_spent_min?}, ...]; "
        "rows are checked one by one and reported per row.",
    )
    dry_run = serializers.BooleanField(default=False)


class GradeRowErrorSerializer(HygieneSerializer):
    field = serializers.CharField()
    message = serializers.CharField()


class GradeRowReportSerializer(HygieneSerializer):
    index = serializers.IntegerField(help_text="0-based position in `grades`.")
    line = serializers.IntegerField(help_text="1-based position in `grades`.")
    action = serializers.ChoiceField(
        choices=["created", "would_create", "valid", "invalid"],
        help_text="valid: no error in this row, but another row failed, so nothing was written.",
    )
    assessment_name = serializers.CharField()
    assessment_action = serializers.CharField(help_text="match, create or empty (invalid row).")
    assessment_id = serializers.UUIDField(allow_null=True)
    record_id = serializers.UUIDField(allow_null=True)
    errors = GradeRowErrorSerializer(many=True)


class GradeImportOutputSerializer(HygieneSerializer):
    course_id = serializers.UUIDField()
    dry_run = serializers.BooleanField()
    is_valid = serializers.BooleanField()
    created_count = serializers.IntegerField()
    rows = GradeRowReportSerializer(many=True)
