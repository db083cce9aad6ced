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
from mastery import card_selectors, engine
from mastery.models import EvidenceSource, MasteryRecord, PerformanceRecord
from scheduling import rules
from scheduling.models import DailyCheckIn, PlanAdjustment, StudyTask, TaskStatus


class WorkKind:
    STUDY = "study"
    PREREQUISITE = "prereq"
    REVIEW = "review"
    EXAM_REVIEW = "examreview"
    PRACTICE = "practice"
    PREPARATION = "prep"
    CARDS = "cards"


# Assessments due up to this many horizons ahead get work now, pro-rated to the share of the
# time until them that lies inside the horizon (a final in five weeks starts with a third).
LOOKAHEAD_HORIZONS = 3
# A topic with no mastery record is treated as the MasteryRecord defaults: nothing known yet.
UNKNOWN_MASTERY = 0.0
UNKNOWN_CI = 50.0
# Spaced-repetition reviews may be done on their day or the day after.
REVIEW_WINDOW_DAYS = 2
# Due flashcards may be reviewed on their day or the next (FSRS loses little recall in a day).
CARD_REVIEW_WINDOW_DAYS = 2
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
    # Applied at-risk suggestions by work key: work moved after a deadline, or dropped.
    adjustments: dict[str, PlanAdjustment] = field(default_factory=dict)
    # Work keys of blocks the student skipped or missed (Module 3: their work gets x1.2).
    skipped_keys: frozenset[str] = frozenset()
    # Topic id -> when its latest recent result scored under 60% (Module 3: remedial work).
    poor_results: dict[str, datetime] = field(default_factory=dict)
    # Topic id -> {local date: flashcards due that day} (overdue ones on their own past date).
    card_due: dict[str, dict[date, int]] = field(default_factory=dict)
    # The student's measured seconds per flashcard (mastery.card_selectors.seconds_per_card).
    seconds_per_card: float = 10.0

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


def poor_results_for(user, *, now: datetime) -> dict[str, datetime]:
    """Topics whose latest graded result in the practice window scored under the threshold.

    A topic-level breakdown is that topic's score; otherwise the record's percentage counts
    for each topic of its assessment. Self-ratings are not results.
    """
    since = now - timedelta(days=rules.PRACTICE_WINDOW_DAYS)
    records = list(
        PerformanceRecord.objects.for_user(user)
        .filter(completed_at__gte=since, completed_at__lte=now)
        .exclude(source=EvidenceSource.SELF_RATING)
        .order_by("completed_at", "created_at")
    )
    assessment_topics: dict[str, list[str]] = defaultdict(list)
    assessment_ids = {r.assessment_id for r in records if r.assessment_id and not r.topic_breakdown}
    for assessment_id, topic_id in AssessmentTopic.objects.filter(
        assessment_id__in=assessment_ids
    ).values_list("assessment_id", "topic_id"):
        assessment_topics[str(assessment_id)].append(str(topic_id))
    latest: dict[str, tuple[datetime, float]] = {}
    for record in records:
        if record.topic_breakdown:
            for topic_id, entry in record.topic_breakdown.items():
                total = entry.get("total") or 0
                if total:
                    latest[str(topic_id)] = (record.completed_at, 100 * entry["correct"] / total)
        else:
            for topic_id in assessment_topics.get(str(record.assessment_id), []):
                latest[topic_id] = (record.completed_at, record.percentage)
    return {
        topic_id: moment
        for topic_id, (moment, percent) in latest.items()
        if percent < rules.POOR_RESULT_PERCENT
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
        skipped_keys=frozenset(
            StudyTask.objects.for_user(user)
            .filter(status__in=[TaskStatus.SKIPPED, TaskStatus.MISSED])
            .exclude(work_key="")
            .values_list("work_key", flat=True)
        ),
        poor_results=poor_results_for(user, now=now),
        card_due=card_selectors.due_cards_by_topic_day(user=user, until=horizon_end),
        seconds_per_card=card_selectors.seconds_per_card(user=user),
        adjustments={
            a.work_key: a
            for a in PlanAdjustment.objects.for_user(user).select_related("for_assessment__course")
        },
    )


def ceil_minutes(delta: timedelta) -> int:
    return math.ceil(delta.total_seconds() / 60)


def block_length(ctx: PlanningContext) -> int:
    """Preferred block length after the latest check-in's time-burden adjustment."""
    preferred = ctx.preferences.preferred_block_length_min * ctx.adjustment.block_factor
    return max(rules.ROUND_TO_MINUTES, rules.round_up(preferred))


def horizon_for(now: datetime) -> tuple[datetime, datetime]:
    return now, now + timedelta(days=settings.PLANNING_HORIZON_DAYS)
