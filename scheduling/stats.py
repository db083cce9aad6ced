"""The stats page's read model: study time, time per course, mastery over time, adherence to
the plan and estimate calibration. All dates are the student's local dates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from courses.models import Course
from mastery.models import EvidenceSource, MasteryObservation, PerformanceRecord
from scheduling.models import StudyTask, TaskStatus
from scheduling.work import user_zone

DAYS_SHOWN = 28
WEEKS_SHOWN = 8
# Quizzes taken in the app are study time too; imported grades and API records are not
# (their time was spent outside the planner and may not even be study).
STUDY_EVIDENCE_SOURCES = (EvidenceSource.QUIZ, EvidenceSource.DIAGNOSTIC)
# Blocks that were due to happen: adherence is completed over all of these.
DUE_STATUSES = (TaskStatus.COMPLETED, TaskStatus.SKIPPED, TaskStatus.MISSED, TaskStatus.SCHEDULED)
# Calibration only means something once there are a few blocks to compare.
CALIBRATION_MIN_BLOCKS = 3
SECONDS_PER_MINUTE = 60


def minutes_between(start: datetime | None, end: datetime | None) -> int:
    """Whole minutes from start to end; none when either is missing or they are out of order."""
    if start is None or end is None or end <= start:
        return 0
    return round((end - start).total_seconds() / SECONDS_PER_MINUTE)


@dataclass
class CourseTime:
    course: Course
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class Adherence:
    completed: int = 0
    skipped: int = 0
    missed: int = 0

    @property
    def due(self) -> int:
        return self.completed + self.skipped + self.missed

    @property
    def percent(self) -> int | None:
        return round(self.completed / self.due * 100) if self.due else None


@dataclass
class CalibrationPoint:
    title: str
    estimated_min: int
    actual_min: int


@dataclass
class Stats:
    today: date
    daily: list[tuple[date, int]]
    weekly: list[tuple[date, int]]
    per_course: list[CourseTime]
    mastery_series: list[tuple[Course, list[tuple[date, float]]]]
    adherence: Adherence
    weekly_adherence: list[tuple[date, Adherence]]
    calibration: list[CalibrationPoint] = field(default_factory=list)

    @property
    def total_minutes(self) -> int:
        return sum(minutes for _, minutes in self.daily)

    @property
    def calibration_ratio(self) -> float | None:
        """Actual over estimated minutes, summed: above 1 means blocks run long."""
        if len(self.calibration) < CALIBRATION_MIN_BLOCKS:
            return None
        estimated = sum(p.estimated_min for p in self.calibration)
        return round(sum(p.actual_min for p in self.calibration) / estimated, 2)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def study_sessions(user, *, since: datetime) -> list[tuple[datetime, int, Course]]:
    """(when, minutes, course) for completed blocks and quizzes taken in the app."""
    sessions = []
    tasks = (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.COMPLETED, actual_end__gte=since)
        .select_related("course")
    )
    for task in tasks:
        sessions.append(
            (task.actual_end, minutes_between(task.actual_start, task.actual_end), task.course)
        )
    records = (
        PerformanceRecord.objects.for_user(user)
        .filter(source__in=STUDY_EVIDENCE_SOURCES, completed_at__gte=since)
        .select_related("course")
    )
    for record in records:
        sessions.append((record.completed_at, record.time_spent_min, record.course))
    return sessions


def mastery_over_time(user, tz) -> list[tuple[Course, list[tuple[date, float]]]]:
    """Per course and local day, the mean of each evidenced topic's latest mastery then."""
    observations = (
        MasteryObservation.objects.for_user(user)
        .select_related("topic__course")
        .order_by("observed_at", "sequence")
    )
    latest: dict = defaultdict(dict)
    by_day: dict = defaultdict(dict)
    courses: dict = {}
    for observation in observations:
        course = observation.topic.course
        courses[course.pk] = course
        latest[course.pk][observation.topic_id] = observation.mastery_after
        values = latest[course.pk].values()
        day = observation.observed_at.astimezone(tz).date()
        by_day[course.pk][day] = round(sum(values) / len(values), 1)
    return [
        (courses[pk], sorted(by_day[pk].items()))
        for pk in sorted(courses, key=lambda pk: courses[pk].code)
    ]


def stats_for(user, *, now: datetime | None = None) -> Stats:
    now = now or timezone.now()
    tz = user_zone(user)
    today = now.astimezone(tz).date()
    first_week = _week_start(today) - timedelta(weeks=WEEKS_SHOWN - 1)
    first_day = today - timedelta(days=DAYS_SHOWN - 1)
    since = datetime.combine(min(first_week, first_day), datetime.min.time(), tzinfo=tz)
    daily: dict[date, int] = defaultdict(int)
    weekly: dict[date, int] = defaultdict(int)
    per_course: dict = {}
    for moment, minutes, course in study_sessions(user, since=since):
        day = moment.astimezone(tz).date()
        daily[day] += minutes
        weekly[_week_start(day)] += minutes
        entry = per_course.setdefault(course.pk, CourseTime(course=course, minutes=0))
        entry.minutes += minutes
    adherence = Adherence()
    weekly_adherence: dict[date, Adherence] = defaultdict(Adherence)
    due = (
        StudyTask.objects.for_user(user)
        .filter(status__in=DUE_STATUSES, scheduled_end__lte=now, scheduled_end__gte=since)
        .only("status", "scheduled_end")
    )
    for task in due:
        week = weekly_adherence[_week_start(task.scheduled_end.astimezone(tz).date())]
        for bucket in (adherence, week):
            if task.status == TaskStatus.COMPLETED:
                bucket.completed += 1
            elif task.status == TaskStatus.SKIPPED:
                bucket.skipped += 1
            else:
                # Scheduled and past its end is missed, even before the replan marks it.
                bucket.missed += 1
    calibration = [
        CalibrationPoint(
            title=task.title,
            estimated_min=task.estimated_duration_min,
            actual_min=minutes_between(task.actual_start, task.actual_end),
        )
        for task in StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.COMPLETED, actual_start__isnull=False, actual_end__gte=since)
        .only("title", "estimated_duration_min", "actual_start", "actual_end")
    ]
    weeks = [first_week + timedelta(weeks=n) for n in range(WEEKS_SHOWN)]
    return Stats(
        today=today,
        daily=[(d, daily[d]) for d in (first_day + timedelta(days=n) for n in range(DAYS_SHOWN))],
        weekly=[(w, weekly[w]) for w in weeks],
        per_course=sorted(per_course.values(), key=lambda row: (-row.minutes, row.course.code)),
        mastery_series=mastery_over_time(user, tz),
        adherence=adherence,
        weekly_adherence=[(w, weekly_adherence[w]) for w in weeks],
        calibration=calibration,
    )
