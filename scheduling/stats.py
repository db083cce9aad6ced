"""The stats page's read model: study time, time per course, mastery over time, adherence to
the plan and estimate calibration. All dates are the student's local dates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from courses.models import Course
from mastery.models import CourseMasteryDay, EvidenceSource, PerformanceRecord
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
# The latest completed blocks drawn and listed; the ratio still sums every one in the window.
CALIBRATION_SHOWN = 40
# Lines on the mastery-over-time chart: past a handful a line chart cannot be read, and each
# course's mastery page has its own. The courses studied most in the weeks shown come first.
MASTERY_SERIES_SHOWN = 6
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
    # Actual over estimated minutes over every completed block in the window (not only the
    # points shown): above 1 means blocks run long. None below CALIBRATION_MIN_BLOCKS.
    calibration_ratio: float | None = None

    @property
    def total_minutes(self) -> int:
        return sum(minutes for _, minutes in self.daily)


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _minutes(duration) -> int:
    """A summed duration (None when nothing was summed) in whole minutes."""
    return round(duration.total_seconds() / SECONDS_PER_MINUTE) if duration else 0


def study_minutes_by_day_and_course(user, *, since: datetime, tz) -> list[tuple[date, str, int]]:
    """(local day, course id, minutes) of completed blocks and quizzes taken in the app.

    Summed by the database, one row per day and course: the cost follows the days shown,
    not the number of blocks and quizzes behind them.
    """
    block_minutes = ExpressionWrapper(F("actual_end") - F("actual_start"), DurationField())
    blocks = (
        StudyTask.objects.for_user(user)
        .filter(
            status=TaskStatus.COMPLETED, actual_end__gte=since, actual_start__lt=F("actual_end")
        )
        .annotate(day=TruncDate("actual_end", tzinfo=tz))
        .values("day", "course_id")
        .annotate(total=Sum(block_minutes))
        .order_by()
    )
    quizzes = (
        PerformanceRecord.objects.for_user(user)
        .filter(source__in=STUDY_EVIDENCE_SOURCES, completed_at__gte=since)
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .values("day", "course_id")
        .annotate(total=Sum("time_spent_min"))
        .order_by()
    )
    rows = [(row["day"], str(row["course_id"]), _minutes(row["total"])) for row in blocks]
    rows += [(row["day"], str(row["course_id"]), round(row["total"] or 0)) for row in quizzes]
    return rows


def mastery_over_time(
    user, *, since: date, course_ids=None
) -> list[tuple[Course, list[tuple[date, float]]]]:
    """Per course (of `course_ids`, when given) and local day from `since`, the mean of each
    evidenced topic's latest mastery then, read from the daily rollup the recompute keeps
    (never folded here)."""
    days = CourseMasteryDay.objects.for_user(user).filter(day__gte=since)
    if course_ids is not None:
        days = days.filter(course_id__in=course_ids)
    # Narrow rows, a course object each only once: a joined course on every day's row cost more
    # than the chart it draws.
    points: dict = {}
    for course_id, day, mean in days.order_by("course_id", "day").values_list(
        "course_id", "day", "mean_mastery"
    ):
        points.setdefault(course_id, []).append((day, mean))
    courses = Course.objects.for_user(user).in_bulk(list(points)) if points else {}
    ordered = sorted(courses.values(), key=lambda course: (course.code, str(course.pk)))
    return [(course, points[course.pk]) for course in ordered]


def _calibration(user, *, since: datetime) -> tuple[list[CalibrationPoint], float | None]:
    completed = StudyTask.objects.for_user(user).filter(
        status=TaskStatus.COMPLETED, actual_start__isnull=False, actual_end__gte=since
    )
    points = [
        CalibrationPoint(
            title=task.title,
            estimated_min=task.estimated_duration_min,
            actual_min=minutes_between(task.actual_start, task.actual_end),
        )
        for task in completed.order_by("-actual_end", "id").only(
            "title", "estimated_duration_min", "actual_start", "actual_end"
        )[:CALIBRATION_SHOWN]
    ]
    totals = completed.aggregate(
        blocks=Count("id"),
        estimated=Sum("estimated_duration_min"),
        actual=Sum(
            Case(
                When(
                    actual_end__gt=F("actual_start"),
                    then=ExpressionWrapper(F("actual_end") - F("actual_start"), DurationField()),
                ),
                default=Value(timedelta(0)),
                output_field=DurationField(),
            )
        ),
    )
    ratio = None
    if totals["blocks"] >= CALIBRATION_MIN_BLOCKS and totals["estimated"]:
        ratio = round(_minutes(totals["actual"]) / totals["estimated"], 2)
    return points, ratio


def _mastery_series(user, *, since: date, per_course: list[CourseTime]) -> list:
    """At most MASTERY_SERIES_SHOWN courses' lines: the most studied, when there are enough of
    them to fill the chart, else any courses with mastery (code order after the studied)."""
    studied = [
        row.course.pk for row in sorted(per_course, key=lambda row: (-row.minutes, row.course.code))
    ][:MASTERY_SERIES_SHOWN]
    if len(studied) == MASTERY_SERIES_SHOWN:
        series = mastery_over_time(user, since=since, course_ids=studied)
    else:
        series = mastery_over_time(user, since=since)
    rank = {pk: index for index, pk in enumerate(studied)}
    series.sort(key=lambda item: rank.get(item[0].pk, len(rank)))
    return series[:MASTERY_SERIES_SHOWN]


def stats_for(user, *, now: datetime | None = None) -> Stats:
    now = now or timezone.now()
    tz = user_zone(user)
    today = now.astimezone(tz).date()
    first_week = _week_start(today) - timedelta(weeks=WEEKS_SHOWN - 1)
    first_day = today - timedelta(days=DAYS_SHOWN - 1)
    since = datetime.combine(min(first_week, first_day), datetime.min.time(), tzinfo=tz)
    daily: dict[date, int] = defaultdict(int)
    weekly: dict[date, int] = defaultdict(int)
    per_course_minutes: dict[str, int] = defaultdict(int)
    for day, course_id, minutes in study_minutes_by_day_and_course(user, since=since, tz=tz):
        daily[day] += minutes
        weekly[_week_start(day)] += minutes
        per_course_minutes[course_id] += minutes
    courses = {
        str(pk): course
        for pk, course in Course.objects.for_user(user).in_bulk(list(per_course_minutes)).items()
    }
    per_course = [
        CourseTime(course=courses[pk], minutes=minutes)
        for pk, minutes in per_course_minutes.items()
        if pk in courses
    ]
    adherence = Adherence()
    weekly_adherence: dict[date, Adherence] = defaultdict(Adherence)
    due = (
        StudyTask.objects.for_user(user)
        .filter(status__in=DUE_STATUSES, scheduled_end__lte=now, scheduled_end__gte=since)
        .annotate(day=TruncDate("scheduled_end", tzinfo=tz))
        .values("day", "status")
        .annotate(blocks=Count("id"))
        .order_by()
    )
    for row in due:
        week = weekly_adherence[_week_start(row["day"])]
        for bucket in (adherence, week):
            if row["status"] == TaskStatus.COMPLETED:
                bucket.completed += row["blocks"]
            elif row["status"] == TaskStatus.SKIPPED:
                bucket.skipped += row["blocks"]
            else:
                # Scheduled and past its end is missed, even before the replan marks it.
                bucket.missed += row["blocks"]
    calibration, calibration_ratio = _calibration(user, since=since)
    weeks = [first_week + timedelta(weeks=n) for n in range(WEEKS_SHOWN)]
    return Stats(
        today=today,
        daily=[(d, daily[d]) for d in (first_day + timedelta(days=n) for n in range(DAYS_SHOWN))],
        weekly=[(w, weekly[w]) for w in weeks],
        per_course=sorted(per_course, key=lambda row: (-row.minutes, row.course.code)),
        mastery_series=_mastery_series(user, since=first_week, per_course=per_course),
        adherence=adherence,
        weekly_adherence=[(w, weekly_adherence[w]) for w in weeks],
        calibration=calibration,
        calibration_ratio=calibration_ratio,
    )
