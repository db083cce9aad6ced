"""Input and output serializers of the accounts API, one pair per endpoint."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.hygiene import HygieneModelSerializer, HygieneSerializer
from accounts.models import ApiToken, User, UserPreferences
from accounts.services import API_TOKEN_MAX_DAYS, API_TOKEN_MIN_DAYS, PROFILE_FIELDS

TIME_FORMAT = "%H:%M"


@extend_schema_field(
    {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}
)
class HourMinuteField(serializers.TimeField):
    """A time of day as the seed writes it, "HH:MM". OpenAPI's `time` format demands seconds
    and an offset, so the schema states the pattern instead."""

    def __init__(self, **kwargs):
        super().__init__(format=TIME_FORMAT, input_formats=[TIME_FORMAT], **kwargs)


class MeOutputSerializer(HygieneModelSerializer):
    # Read from the verified primary email address (allauth's EmailAddress).
    is_verified = serializers.BooleanField(read_only=True)

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "school_name",
            "academic_level",
            "major",
            "timezone",
            "language",
            "is_verified",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MeInputSerializer(HygieneModelSerializer):
    """Shape only (types, lengths, the model's validators); the email is not writable.

    A client may send its email back unchanged with the profile it read: it is a known,
    read-only field, ignored, rather than an unknown one (a 400)."""

    email = serializers.EmailField(read_only=True)

    class Meta:
        model = User
        fields = [*sorted(PROFILE_FIELDS), "email"]


class PreferencesOutputSerializer(HygieneModelSerializer):
    earliest_start_time = HourMinuteField()
    latest_end_time = HourMinuteField()

    class Meta:
        model = UserPreferences
        fields = [
            "id",
            "max_hours_per_day",
            "preferred_block_length_min",
            "break_length_min",
            "earliest_start_time",
            "latest_end_time",
            "weekly_availability",
            "difficulty_curve",
            "study_mode_preferences",
            "enable_spaced_repetition",
            "min_review_interval_days",
            "max_block_length_min",
            "min_break_between_courses_min",
            "calendar_buffer_min",
            "max_blocks_per_day",
            "time_format",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class PreferencesInputSerializer(HygieneModelSerializer):
    """Field shapes and bounds; the availability rules are enforced by the service."""

    earliest_start_time = HourMinuteField(required=False)
    latest_end_time = HourMinuteField(required=False)

    class Meta:
        model = UserPreferences
        fields = [
            "max_hours_per_day",
            "preferred_block_length_min",
            "break_length_min",
            "earliest_start_time",
            "latest_end_time",
            "weekly_availability",
            "difficulty_curve",
            "study_mode_preferences",
            "enable_spaced_repetition",
            "min_review_interval_days",
            "max_block_length_min",
            "min_break_between_courses_min",
            "calendar_buffer_min",
            "max_blocks_per_day",
            "time_format",
        ]


class ApiTokenOutputSerializer(HygieneModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]
        read_only_fields = fields


class ApiTokenCreatedOutputSerializer(ApiTokenOutputSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The secret key. It is shown in this response only."
    )

    class Meta(ApiTokenOutputSerializer.Meta):
        fields = [*ApiTokenOutputSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenCreateInputSerializer(HygieneSerializer):
    name = serializers.CharField(max_length=ApiToken._meta.get_field("name").max_length)
    expires_in_days = serializers.IntegerField(
        min_value=API_TOKEN_MIN_DAYS, max_value=API_TOKEN_MAX_DAYS, required=False
    )


class AccountsErrorOutputSerializer(HygieneSerializer):
    """A failure: `detail`, plus a list of messages per invalid field for a 400."""

    detail = serializers.CharField(required=False)
