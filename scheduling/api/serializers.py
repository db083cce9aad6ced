from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from accounts.api.lean import LeanOutputMixin
from accounts.hygiene import HygieneModelSerializer, HygieneSerializer
from accounts.ranges import range_errors
from scheduling.models import DailyCheckIn, StudyTask

# A longer window is a different question (a semester overview), and an unbounded one would
# let one request plan or list without limit.
MAX_WINDOW_DAYS = 62
WINDOW_LENGTH_MESSAGE = f"The window can be at most {MAX_WINDOW_DAYS} days."


class SchedulingErrorOutputSerializer(HygieneSerializer):
    """A failure: `detail`, plus a list of messages per invalid field for a 400."""

    detail = serializers.CharField(required=False)


class StudyTaskOutputSerializer(LeanOutputMixin, HygieneModelSerializer):
    course_name = serializers.CharField(source="course.name", read_only=True)
    course_code = serializers.CharField(source="course.code", read_only=True)
    topic_ids = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = StudyTask
        fields = [
            "id",
            "title",
            "course",
            "course_name",
            "course_code",
            "assessment",
            "task_type",
            "difficulty",
            "topic_ids",
            "estimated_duration_min",
            "scheduled_start",
            "scheduled_end",
            "actual_start",
            "actual_end",
            "status",
            "completion_percentage",
            "self_rating",
            "priority_score",
            "expected_mastery_gain",
            "reason",
            "unscheduled_reason",
            "skip_reason",
            "is_pinned",
            "updated_at",
            "task_id",
            "start_time",
            "end_time",
            "duration_min",
            "calendar_event_id",
        ]
        read_only_fields = fields

    # Module 3's names for a schedule item, alongside ours.
    task_id = serializers.UUIDField(source="id", read_only=True)
    start_time = serializers.DateTimeField(source="scheduled_start", read_only=True)
    end_time = serializers.DateTimeField(source="scheduled_end", read_only=True)
    duration_min = serializers.IntegerField(source="estimated_duration_min", read_only=True)


class NextTaskOutputSerializer(StudyTaskOutputSerializer):
    """A task with Module 2's next-task names: its first topic and the difficulty to study at."""

    topic_id = serializers.SerializerMethodField()
    topic_name = serializers.SerializerMethodField()
    recommended_difficulty = serializers.CharField(source="difficulty", read_only=True)

    class Meta(StudyTaskOutputSerializer.Meta):
        fields = [
            *StudyTaskOutputSerializer.Meta.fields,
            "topic_id",
            "topic_name",
            "recommended_difficulty",
        ]
        read_only_fields = fields

    def get_topic_id(self, task) -> str | None:
        return str(task.topic_ids[0]) if task.topic_ids else None

    def get_topic_name(self, task) -> str | None:
        topic_id = self.get_topic_id(task)
        return self.context.get("topic_names", {}).get(topic_id) if topic_id else None


# Module 2: GET /api/tasks/next/{user_id}?horizon_days=7&max_tasks=14.
SEED_HORIZON_DAYS = 7
SEED_MAX_TASKS = 14
MAX_NEXT_TASKS = 200


class NextTasksQuerySerializer(HygieneSerializer):
    # A query string also carries paging parameters, so other names are not refused here.
    reject_unknown_fields = False

    horizon_days = serializers.IntegerField(min_value=1, max_value=MAX_WINDOW_DAYS, required=False)
    max_tasks = serializers.IntegerField(min_value=1, max_value=MAX_NEXT_TASKS, required=False)


class DailyBreakdownSerializer(HygieneSerializer):
    date = serializers.DateField()
    hours = serializers.FloatField()
    task_count = serializers.IntegerField()
    blocks = serializers.IntegerField(source="task_count", help_text="Module 3's task_count.")


class CushionSuggestionSerializer(HygieneSerializer):
    work = serializers.CharField()
    # Plans saved before suggestions could be applied have no key (required=False).
    work_key = serializers.CharField(
        required=False, help_text="Pass it to POST /api/schedule/suggestions/apply."
    )
    minutes = serializers.IntegerField()
    action = serializers.ChoiceField(choices=["move", "drop"])


class CushionSerializer(HygieneSerializer):
    assessment_id = serializers.CharField()
    assessment_name = serializers.CharField()
    course_code = serializers.CharField(required=False)
    deadline = serializers.DateTimeField()
    due_local = serializers.CharField(
        required=False, help_text="The due date and time in the student's timezone."
    )
    status = serializers.ChoiceField(
        choices=["on_track", "short_of_time", "crowded_out"], required=False
    )
    needs_text = serializers.CharField(required=False, help_text="needs 12 h, 7 h free before it")
    available_min = serializers.IntegerField()
    required_min = serializers.IntegerField()
    cushion_min = serializers.IntegerField()
    unscheduled_min = serializers.IntegerField()
    is_at_risk = serializers.BooleanField()
    summary = serializers.CharField()
    suggestions = CushionSuggestionSerializer(many=True)


class ReadinessSerializer(HygieneSerializer):
    assessment_id = serializers.CharField()
    assessment_name = serializers.CharField()
    due_date = serializers.DateTimeField()
    p_ready_now = serializers.FloatField(help_text="Predicted recall on the exam date, no study.")
    p_ready_planned = serializers.FloatField(
        help_text="Predicted recall on the exam date after the planned blocks."
    )
    card_count = serializers.IntegerField(
        required=False, help_text="Reviewed flashcards of the exam's topics counted in P(ready)."
    )
    card_recall = serializers.FloatField(
        required=False,
        allow_null=True,
        help_text="Their mean predicted recall on the exam date (FSRS), if there are any.",
    )


class PlanDiffSerializer(HygieneSerializer):
    created = serializers.ListField(child=serializers.UUIDField())
    moved = serializers.ListField(child=serializers.UUIDField())
    deleted = serializers.ListField(child=serializers.UUIDField())


class GenerateInputSerializer(HygieneSerializer):
    # Module 3: {user_id, start_date, end_date, horizon_days}. horizon_days counts the days
    # from start_date, both included, so it may stand in for end_date.
    accepts_seed_user_id = True

    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, help_text="Required without horizon_days.")
    horizon_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_WINDOW_DAYS,
        required=False,
        help_text="Days from start_date, both included: end_date = start_date + horizon_days - 1.",
    )

    def validate(self, attrs):
        horizon_days = attrs.pop("horizon_days", None)
        if horizon_days is not None:
            end = attrs["start_date"] + timedelta(days=horizon_days - 1)
            if attrs.get("end_date", end) != end:
                raise serializers.ValidationError(
                    {"horizon_days": ["Does not agree with end_date; send one of the two."]}
                )
            attrs["end_date"] = end
        if "end_date" not in attrs:
            raise serializers.ValidationError({"end_date": ["Give end_date or horizon_days."]})
        errors = range_errors(
            attrs["start_date"],
            attrs["end_date"],
            field="end_date",
            order_message="Must not be before start_date.",
            may_end_at_start=True,
            # Both dates are included, so the last day is at most MAX_WINDOW_DAYS - 1 later.
            longest=timedelta(days=MAX_WINDOW_DAYS - 1),
            length_message=WINDOW_LENGTH_MESSAGE,
        )
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class GenerateOutputSerializer(HygieneSerializer):
    schedule = StudyTaskOutputSerializer(many=True)
    unscheduled = StudyTaskOutputSerializer(many=True)
    unscheduled_tasks = serializers.IntegerField(help_text="Module 3: how many are unscheduled.")
    total_hours = serializers.FloatField()
    daily_breakdown = DailyBreakdownSerializer(many=True)
    at_risk = CushionSerializer(many=True)
    readiness = ReadinessSerializer(many=True)
    changes = PlanDiffSerializer()


class SuggestionApplyInputSerializer(HygieneSerializer):
    assessment_id = serializers.UUIDField()
    work_key = serializers.CharField(max_length=200)


class ReplanInputSerializer(HygieneSerializer):
    accepts_seed_user_id = True  # Module 3: {user_id, reason}

    reason = serializers.CharField(max_length=200)


class ReplanOutputSerializer(HygieneSerializer):
    reason = serializers.CharField()
    changes = PlanDiffSerializer()
    at_risk = CushionSerializer(many=True)


class DateOrDateTimeField(serializers.Field):
    """An ISO date (local midnight in the student's zone) or an ISO datetime."""

    default_error_messages = {"invalid": "Use an ISO date (2026-12-01) or datetime."}

    def to_internal_value(self, data):
        text = str(data)
        moment = parse_datetime(text) if "T" in text or " " in text else None
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment, self.tz)
        try:
            day = parse_date(text)
        except ValueError:
            day = None
        if day is None:
            self.fail("invalid")
        return datetime.combine(day, datetime.min.time(), tzinfo=self.tz)

    def to_representation(self, value):
        return value.isoformat()

    @property
    def tz(self):
        return self.context["tz"]


class ScheduleQuerySerializer(HygieneSerializer):
    # A query string also carries paging parameters, so other names are not refused here.
    reject_unknown_fields = False

    start = DateOrDateTimeField(required=False)
    end = DateOrDateTimeField(required=False)

    def validate(self, attrs):
        tz = self.context["tz"]
        today = timezone.now().astimezone(tz).date()
        start = attrs.get("start") or datetime.combine(
            today - timedelta(days=today.weekday()), datetime.min.time(), tzinfo=tz
        )
        end = attrs.get("end") or start + timedelta(days=7)
        errors = range_errors(
            start,
            end,
            field="end",
            order_message="Must be after start.",
            longest=timedelta(days=MAX_WINDOW_DAYS),
            length_message=WINDOW_LENGTH_MESSAGE,
        )
        if errors:
            raise serializers.ValidationError(errors)
        return {"start": start, "end": end}


class RescheduleInputSerializer(HygieneSerializer):
    new_start_time = serializers.DateTimeField()
    force = serializers.BooleanField(
        default=False,
        help_text="Place it even outside your availability or on busy time.",
    )
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Module 3: why it moved; kept in the task's history as the change reason.",
    )


class CompleteInputSerializer(HygieneSerializer):
    completion_percentage = serializers.FloatField(min_value=0.01, max_value=100, default=100)
    self_rating = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        help_text="How well you understood it, 1 to 5; becomes low-weight evidence.",
    )


class SkipInputSerializer(HygieneSerializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


def _rating(**kwargs):
    return serializers.IntegerField(min_value=1, max_value=5, **kwargs)


class CheckInInputSerializer(HygieneSerializer):
    difficulty = _rating(help_text="How hard the day's study felt, 1 (easy) to 5 (too hard).")
    time_burden = _rating(help_text="How heavy the time was, 1 (light) to 5 (too much).")
    mood = _rating(required=False, allow_null=True)
    energy = _rating(required=False, allow_null=True)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class CheckInOutputSerializer(HygieneModelSerializer):
    class Meta:
        model = DailyCheckIn
        fields = ["id", "date", "difficulty", "time_burden", "mood", "energy", "note", "created_at"]
        read_only_fields = fields


class StreakOutputSerializer(HygieneSerializer):
    current = serializers.IntegerField()
    longest = serializers.IntegerField()
    active_days = serializers.IntegerField()
    last_active = serializers.DateField(allow_null=True)


def local_window(start_date: date, end_date: date, tz) -> tuple[datetime, datetime]:
    start = datetime.combine(start_date, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(end_date + timedelta(days=1), datetime.min.time(), tzinfo=tz)
    return start, end
