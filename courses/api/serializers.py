"""Input serializers check shape; output serializers render. Business rules are in services."""

from django.core.validators import URLValidator
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from accounts.api.lean import LeanOutputMixin
from accounts.hygiene import HygieneModelSerializer, HygieneSerializer
from courses.models import Assessment, AssessmentType, Course, Difficulty, Topic
from courses.validation import course_dates_errors, resource_links_errors

# --- courses --------------------------------------------------------------------------------


class CourseInputSerializer(HygieneSerializer):
    # Seed 000: create_course(user_id, name, code, ...); the CSV import's column "instructor".
    accepts_seed_user_id = True
    seed_aliases = {"instructor": "instructor_name"}

    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=40)
    semester = serializers.CharField(max_length=60)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    instructor_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    credit_hours = serializers.FloatField(min_value=0, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    color = serializers.RegexField(r"^#[0-9a-fA-F]{6}$", required=False)
    is_archived = serializers.BooleanField(required=False)

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        errors = course_dates_errors(start, end)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CourseOutputSerializer(LeanOutputMixin, HygieneModelSerializer):
    weights_total = serializers.FloatField(read_only=True)
    weights_complete = serializers.BooleanField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "name",
            "code",
            "semester",
            "start_date",
            "end_date",
            "instructor_name",
            "credit_hours",
            "description",
            "color",
            "is_archived",
            "weights_total",
            "weights_complete",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- topics ---------------------------------------------------------------------------------


class _PathCourseMixin:
    """Seed 000 also names the course in the body (create_topic(course_id, ...)); it may only
    repeat the course of the path, or of the object being changed."""

    def get_fields(self):
        fields = super().get_fields()
        fields["course_id"] = serializers.UUIDField(
            required=False,
            write_only=True,
            help_text="Seed 000's course id: optional; if given, the course of the path.",
        )
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        given = attrs.pop("course_id", None)
        course = self.context.get("course")
        if given is not None and (course is None or str(given) != str(course.pk)):
            raise serializers.ValidationError({"course_id": ["Must be the course of the path."]})
        return attrs


class TopicInputSerializer(_PathCourseMixin, HygieneSerializer):
    # Seed 000: create_topic(course_id, name, description, difficulty, prerequisite_ids, ...).
    seed_aliases = {
        "difficulty": "estimated_difficulty",
        "prerequisite_ids": "prerequisite_topic_ids",
    }

    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    estimated_difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    prerequisite_topic_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=500
    )
    resource_links = serializers.JSONField(required=False)
    order_index = serializers.IntegerField(min_value=0, required=False)

    def validate_resource_links(self, value):
        errors = resource_links_errors(value)
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "prerequisite_topic_ids" in attrs:
            attrs["prerequisite_topic_ids"] = [str(pk) for pk in attrs["prerequisite_topic_ids"]]
        return attrs


class TopicOutputSerializer(HygieneModelSerializer):
    course_id = serializers.UUIDField(read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id",
            "course_id",
            "name",
            "description",
            "estimated_difficulty",
            "prerequisite_topic_ids",
            "resource_links",
            "order_index",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# --- assessments ----------------------------------------------------------------------------


class AssessmentInputSerializer(_PathCourseMixin, HygieneSerializer):
    # Seed 000: create_assessment(course_id, name, type, weight, due_date, topic_ids, ...).
    # `weight` is the same percent of the course grade as `weight_percent` (the weights of a
    # course sum to 100%), so a fraction such as 0.3 means 0.3%, not 30%.
    seed_aliases = {"weight": "weight_percent"}

    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=AssessmentType.choices)
    weight_percent = serializers.FloatField(min_value=0, max_value=100)
    due_date = serializers.DateTimeField()
    estimated_duration_min = serializers.IntegerField(min_value=0, required=False)
    max_score = serializers.FloatField(min_value=0.01, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_completed = serializers.BooleanField(required=False)
    topic_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=500)
    topic_weights = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=100, allow_null=True),
        required=False,
        help_text="Weight of each topic within the assessment, keyed by topic id (0–100).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "topic_ids" in attrs:
            attrs["topic_ids"] = [str(pk) for pk in attrs["topic_ids"]]
        return attrs


class AssessmentSchemaItemSerializer(AssessmentInputSerializer):
    id = serializers.UUIDField(required=False, help_text="An existing assessment to keep.")

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "id" in attrs:
            attrs["id"] = str(attrs["id"])
        return attrs


class AssessmentSchemaInputSerializer(HygieneSerializer):
    assessments = AssessmentSchemaItemSerializer(many=True, max_length=200)


class AssessmentTopicOutputSerializer(HygieneSerializer):
    topic_id = serializers.UUIDField()
    topic_name = serializers.CharField(source="topic.name")
    weight_in_assessment = serializers.FloatField(allow_null=True)
    question_count = serializers.IntegerField(allow_null=True)


class AssessmentOutputSerializer(HygieneModelSerializer):
    course_id = serializers.UUIDField(read_only=True)
    topics = AssessmentTopicOutputSerializer(source="assessment_topics", many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "course_id",
            "name",
            "type",
            "weight_percent",
            "due_date",
            "estimated_duration_min",
            "max_score",
            "description",
            "is_completed",
            "external_uid",
            "created_from_import",
            "weight_is_estimated",
            "topics",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class AssessmentWeightConfirmInputSerializer(HygieneSerializer):
    weight_percent = serializers.FloatField(
        min_value=0,
        max_value=100,
        required=False,
        help_text="The right weight, when the estimate is wrong; omit it to keep the estimate.",
    )


class AssessmentSchemaOutputSerializer(HygieneSerializer):
    assessments = AssessmentOutputSerializer(many=True)
    weights_total = serializers.FloatField()
    weights_complete = serializers.BooleanField()


# --- history --------------------------------------------------------------------------------


class HistoryChangeSerializer(HygieneSerializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(HygieneSerializer):
    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    history_user_email = serializers.EmailField(allow_null=True)
    changes = HistoryChangeSerializer(many=True)
    snapshot = serializers.DictField()


# --- imports --------------------------------------------------------------------------------


class CsvImportInputSerializer(HygieneSerializer):
    accepts_seed_user_id = True

    file = serializers.FileField(required=False, help_text="The CSV file (multipart).")
    csv_file = serializers.FileField(
        required=False, help_text="Seed 000's name for `file`; send one of the two."
    )
    dry_run = serializers.BooleanField(required=False, default=False)


class RowErrorSerializer(HygieneSerializer):
    field = serializers.CharField()
    message = serializers.CharField()


class CsvImportRowSerializer(HygieneSerializer):
    line = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["create", "update", "unchanged", "error"])
    course_id = serializers.UUIDField(allow_null=True)
    values = serializers.DictField()
    errors = RowErrorSerializer(many=True)


class CsvImportErrorSerializer(HygieneSerializer):
    line = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class CsvImportReportSerializer(HygieneSerializer):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rows = CsvImportRowSerializer(many=True)
    errors = CsvImportErrorSerializer(many=True)


LMS_TYPE_ICS = "ics"
LMS_TYPES = ("canvas", "moodle", LMS_TYPE_ICS)


# The LMS is read over http(s) only; Django's URLValidator would also let ftp:// through.
HTTP_URL = URLValidator(schemes=["http", "https"])


class CanvasCredentialsSerializer(HygieneSerializer):
    base_url = serializers.URLField(
        validators=[HTTP_URL], help_text="Your Canvas site, e.g. https://canvas.school.edu."
    )
    access_token = serializers.CharField(
        max_length=500, help_text="A Canvas access token (Account > Settings > New access token)."
    )


class MoodleCredentialsSerializer(HygieneSerializer):
    base_url = serializers.URLField(
        validators=[HTTP_URL], help_text="Your Moodle site, e.g. https://moodle.school.edu."
    )
    token = serializers.CharField(
        max_length=500, help_text="A Moodle web-service token (Preferences > Security keys)."
    )


class IcsCredentialsSerializer(HygieneSerializer):
    url = serializers.URLField(validators=[HTTP_URL], help_text="An http(s) iCalendar feed URL.")


LMS_CREDENTIALS_SERIALIZERS = {
    "canvas": CanvasCredentialsSerializer,
    "moodle": MoodleCredentialsSerializer,
    LMS_TYPE_ICS: IcsCredentialsSerializer,
}


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="LmsCredentials",
        serializers=list(LMS_CREDENTIALS_SERIALIZERS.values()),
        resource_type_field_name=None,
    )
)
class LmsCredentialsField(serializers.JSONField):
    pass


class LmsImportInputSerializer(HygieneSerializer):
    accepts_seed_user_id = True  # seed 000: import_from_lms(user_id, lms_type, credentials)

    lms_type = serializers.ChoiceField(
        choices=LMS_TYPES,
        required=False,
        help_text=(
            "canvas or moodle: read courses, weights, due dates and grades through the LMS's API "
            "and keep it connected; ics (or no lms_type): an iCalendar feed."
        ),
    )
    credentials = LmsCredentialsField(
        required=False,
        help_text=(
            "canvas: base_url + access_token; moodle: base_url + token; ics: url "
            "(or upload `file`)."
        ),
    )
    file = serializers.FileField(required=False, help_text="An .ics file (multipart).")
    url = serializers.URLField(required=False, help_text="An http(s) iCalendar feed URL.")
    confirm = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text=(
            "iCalendar only: false previews, true applies. Defaults to false, or to true when "
            "lms_type is given (the seed's import)."
        ),
    )
    course_id = serializers.UUIDField(
        required=False, help_text="Course for events whose summary names no known course code."
    )

    def validate(self, attrs):
        lms_type = attrs.get("lms_type")
        credentials = attrs.get("credentials")
        if lms_type and lms_type != LMS_TYPE_ICS:
            extra = sorted(name for name in ("file", "url", "course_id") if attrs.get(name))
            if extra:
                raise serializers.ValidationError(
                    {name: [f"Not used with lms_type {lms_type}."] for name in extra}
                )
            if credentials is None:
                raise serializers.ValidationError({"credentials": ["This field is required."]})
            attrs["credentials"] = self._checked_credentials(lms_type, credentials)
            return attrs
        if credentials is not None:
            checked = self._checked_credentials(LMS_TYPE_ICS, credentials)
            if attrs.get("url") and attrs["url"] != checked["url"]:
                raise serializers.ValidationError(
                    {"url": ["Give the feed URL once (url or credentials.url)."]}
                )
            attrs["url"] = checked["url"]
        if bool(attrs.get("file")) == bool(attrs.get("url")):
            raise serializers.ValidationError(
                {"file": ["Upload an .ics file or give a feed URL (one of the two)."]}
            )
        if attrs.get("confirm") is None:
            attrs["confirm"] = bool(lms_type)
        return attrs

    @staticmethod
    def _checked_credentials(lms_type: str, credentials) -> dict:
        if not isinstance(credentials, dict):
            raise serializers.ValidationError({"credentials": ["Must be an object."]})
        serializer_class = LMS_CREDENTIALS_SERIALIZERS[lms_type]
        allowed = set(serializer_class().fields)
        unknown = sorted(set(credentials) - allowed)
        if unknown:
            raise serializers.ValidationError(
                {"credentials": [f"Unknown field(s) for {lms_type}: {', '.join(unknown)}."]}
            )
        serializer = serializer_class(data=credentials)
        if not serializer.is_valid():
            raise serializers.ValidationError({"credentials": serializer.errors})
        return dict(serializer.validated_data)


class LmsApiImportCountsSerializer(HygieneSerializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(required=False)
    unchanged = serializers.IntegerField(required=False)
    skipped = serializers.IntegerField(required=False)
    removed = serializers.IntegerField(required=False)
    restored = serializers.IntegerField(required=False)
    matched = serializers.IntegerField(required=False)


class LmsApiImportReportSerializer(HygieneSerializer):
    """What a Canvas or Moodle import did; the LMS stays connected and is re-read by a sync."""

    lms_type = serializers.ChoiceField(choices=["canvas", "moodle"])
    connection_id = serializers.UUIDField()
    last_sync_at = serializers.DateTimeField()
    courses = LmsApiImportCountsSerializer(help_text="created, matched (by course code)")
    assessments = LmsApiImportCountsSerializer(
        help_text="created, updated, unchanged, skipped (no due date), removed (no longer "
        "listed by the LMS: kept with its grades, flagged and no longer planned), restored "
        "(listed again)"
    )
    grades = LmsApiImportCountsSerializer(help_text="performance records created, updated")
    course_ids = serializers.ListField(child=serializers.UUIDField())


class LmsImportRowSerializer(HygieneSerializer):
    uid = serializers.CharField()
    summary = serializers.CharField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=AssessmentType.choices)
    due = serializers.DateTimeField(allow_null=True)
    action = serializers.ChoiceField(choices=["create", "update", "unchanged", "skip", "error"])
    reason = serializers.CharField()
    course_id = serializers.UUIDField(allow_null=True)
    course_code = serializers.CharField()
    assessment_id = serializers.UUIDField(allow_null=True)


class LmsImportReportSerializer(HygieneSerializer):
    confirmed = serializers.BooleanField()
    applied = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.IntegerField()
    rows = LmsImportRowSerializer(many=True)
