"""What task generation reads: the student's rows in one `PlanningContext`, and the work item."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F, Prefetch

from accounts.models import UserPreferences
from accounts.timezones import user_zone as user_zone
from courses.models import Assessment, AssessmentTopic, Topic
from mastery import engine
from mastery.models import MasteryRecord
from scheduling import rules
from scheduling.models import DailyCheckIn, StudyTask, TaskStatus


class WorkKind:
    STUDY = "study"
    PREREQUISITE = "prereq"
    REVIEW = "review"
    EXAM_REVIEW = "examreview"
    PRACTICE = "practice"


# Assessments due up to this many horizons ahead get work now, pro-rated to the share of the
# time until them that lies inside the horizon (a final in five weeks starts with a third).
LOOKAHEAD_HORIZONS = 3
# A topic with no mastery record is treated as the MasteryRecord defaults: nothing known yet.
UNKNOWN_MASTERY = 0.0
UNKNOWN_CI = 50.0
# Spaced-repetition reviews may be done on their day or the day after.
REVIEW_WINDOW_DAYS = 2
# A review of a topic no assessment weighs counts as this much of a grade.
REVIEW_WEIGHT = 0.2


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


@dataclass
class WorkItem:
    key: str
    kind: str
    course_id: str
    title: str
    task_type: str
    difficulty: str
    minutes: int
    release: datetime
    deadline: datetime
    priority: float
    reason: str
    topic_ids: list[str]
    assessment_id: str | None = None
    mastery: float = 0.0
    target: float = 0.0
    is_splittable: bool = True
    predecessors: list[str] = field(default_factory=list)

    @property
    def topic_key(self) -> str | None:
        return self.topic_ids[0] if self.topic_ids else None


@dataclass
class PlanningContext:
    """Everything the plan is built from, loaded once per replan."""

    user: object
    now: datetime
    tz: ZoneInfo
    horizon_start: datetime
    horizon_end: datetime
    preferences: UserPreferences
    topics: dict[str, Topic]
    records: dict[str, MasteryRecord]
    assessments: list[Assessment]
    checkin: DailyCheckIn | None
    duration_ratios: dict[tuple[str, str], float]

    @property
    def curve(self) -> str:
        return self.preferences.difficulty_curve

    @property
    def adjustment(self) -> rules.CheckInAdjustment:
        if self.checkin is None:
            return rules.CheckInAdjustment()
        return rules.checkin_adjustment(
            difficulty=self.checkin.difficulty, time_burden=self.checkin.time_burden
        )

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()

    def mastery_of(self, topic_id: str) -> tuple[float, float, bool]:
        record = self.records.get(topic_id)
        if record is None:
            return UNKNOWN_MASTERY, UNKNOWN_CI, False
        return record.mastery_score, record.confidence_interval, True

    def days_since_practice(self, topic_id: str) -> float | None:
        record = self.records.get(topic_id)
        if record is None or record.last_practiced_at is None:
            return None
        return max(0.0, (self.now - record.last_practiced_at).total_seconds() / 86400)

    def study_modes(self, course_id: str) -> list[str] | None:
        modes = (self.preferences.study_mode_preferences or {}).get(str(course_id))
        return modes if isinstance(modes, list) else None

    def scaled_minutes(self, minutes: int, course_id: str, task_type: str) -> int:
        ratio = self.duration_ratios.get((str(course_id), task_type), 1.0)
        return max(rules.ROUND_TO_MINUTES, rules.round_up(minutes * ratio))

    def engine_state(self, topic_id: str) -> engine.MasteryState | None:
        record = self.records.get(topic_id)
        if record is None or record.last_practiced_at is None:
            return None
        return engine.MasteryState.from_storage(
            mastery_score=record.mastery_score,
            confidence_interval=record.confidence_interval,
            trend=record.trend,
            review_interval_days=record.review_interval_days,
            next_review_date=record.next_review_date or self.local_date(self.now),
            last_practiced_at=record.last_practiced_at,
            practice_count=record.practice_count,
            quiz_count=record.quiz_count,
            memory=record.memory,
        )

    def difficulty(self, topic_id: str, days_until_exam: float | None) -> str:
        mastery, _, _ = self.mastery_of(topic_id)
        record = self.records.get(topic_id)
        level = engine.recommend_difficulty(
            mastery_score=mastery,
            trend=record.trend if record else engine.Trend.NEW.value,
            curve=self.curve,
            days_until_exam=days_until_exam,
        )
        return rules.step_difficulty(level, self.adjustment.difficulty_steps)


def duration_ratios_for(user) -> dict[tuple[str, str], float]:
    """Learned actual/estimated minutes per (course, task type), from completed tasks."""
    totals: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    rows = (
        StudyTask.objects.for_user(user)
        .filter(
            status=TaskStatus.COMPLETED,
            actual_start__isnull=False,
            actual_end__gt=F("actual_start"),
            completion_percentage__gt=0,
        )
        .values_list(
            "course_id",
            "task_type",
            "actual_start",
            "actual_end",
            "estimated_duration_min",
            "completion_percentage",
        )
    )
    for course_id, task_type, start, end, estimated, percentage in rows:
        # Half the work in 30 minutes says the whole would have taken an hour.
        actual = (end - start).total_seconds() / 60 / (percentage / 100)
        entry = totals[(str(course_id), task_type)]
        entry[0] += actual
        entry[1] += estimated
        entry[2] += 1
    return {
        key: rules.duration_ratio(sum_actual_min=a, sum_estimated_min=e, task_count=int(n))
        for key, (a, e, n) in totals.items()
    }


def load_context(*, user, now: datetime, horizon_start: datetime, horizon_end: datetime):
    from accounts.services import preferences_get_current

    tz = user_zone(user)
    lookahead = horizon_end + (horizon_end - horizon_start) * (LOOKAHEAD_HORIZONS - 1)
    assessments = list(
        Assessment.objects.for_user(user)
        .upcoming(now)
        .filter(due_date__lte=lookahead, course__is_archived=False)
        .select_related("course")
        .prefetch_related(
            Prefetch(
                "assessment_topics",
                queryset=AssessmentTopic.objects.order_by("topic_id"),
            )
        )
        .order_by("due_date", "id")
    )
    topics = {
        str(t.pk): t
        for t in Topic.objects.for_user(user).filter(course__is_archived=False).order_by("id")
    }
    records = {
        str(r.topic_id): r
        for r in MasteryRecord.objects.for_user(user).filter(topic_id__in=list(topics))
    }
    today = now.astimezone(tz).date()
    checkin = (
        DailyCheckIn.objects.for_user(user)
        .filter(date__gte=today - timedelta(days=rules.CHECKIN_VALID_DAYS))
        .order_by("-date")
        .first()
    )
    return PlanningContext(
        user=user,
        now=now,
        tz=tz,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
        preferences=preferences_get_current(user=user),
        topics=topics,
        records=records,
        assessments=assessments,
        checkin=checkin,
        duration_ratios=duration_ratios_for(user),
    )


def ceil_minutes(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60)


def block_length(ctx: PlanningContext) -> int:
    """Preferred block length after the latest check-in's time-burden adjustment."""
    preferred = ctx.preferences.preferred_block_length_min * ctx.adjustment.block_factor
    return max(rules.ROUND_TO_MINUTES, rules.round_up(preferred))


def horizon_for(now: datetime) -> tuple[datetime, datetime]:
    return now, now + timedelta(days=settings.PLANNING_HORIZON_DAYS)
