"""The read models the builders turn into messages, loaded from the layers below.

The daily plan is loaded for a whole batch of students in a fixed number of queries (today's
blocks, reviews due, upcoming assessments, plan snapshots: one query each), so preparing ten
thousand emails costs the same queries per student as preparing one (bench/bench_notify.py).
The other kinds concern one student at a time and use the per-student selectors.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Max, Min
from django.urls import reverse

from accounts.models import TimeFormat, User, UserPreferences
from accounts.timeformat import time_format_of
from accounts.timezones import user_zone
from courses.models import Assessment
from journey.dashboard import board_rows, week_by_course
from journey.notifications.builders import (
    AtRiskModel,
    BlockLine,
    DailyPlanModel,
    DeadlineLine,
    PlanChangeModel,
    ReminderModel,
    WeeklyModel,
)
from mastery.models import MasteryObservation, MasteryRecord
from scheduling import figures, selectors
from scheduling.models import PlanNotice, PlanSnapshot, StudyTask, TaskStatus
from scheduling.work import local_midnight

# Topic names listed with the review count; the count itself is always complete.
REVIEW_TOPICS_SHOWN = 3
# The statuses of a block the morning email lists (skipped and missed are not the plan).
DAILY_STATUSES = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.COMPLETED)


def is_hour12(user: User) -> bool:
    return time_format_of(user) == TimeFormat.H12


def first_name(user: User) -> str:
    return user.get_short_name()


def _block_line(task: StudyTask) -> BlockLine:
    return BlockLine(
        title=task.title,
        course_code=task.course.code,
        start=task.scheduled_start,
        end=task.scheduled_end,
    )


def deadline_line(assessment: Assessment, snapshot: PlanSnapshot | None) -> DeadlineLine:
    """An assessment with the readiness and risk every page shows for it (scheduling.figures):
    `assessment` comes from `figures.with_risk_inputs`."""
    risk = figures.assessment_risk(assessment, snapshot)
    return DeadlineLine(
        title=assessment.name,
        course_code=assessment.course.code,
        due=assessment.due_date,
        readiness_percent=risk.p_ready_percent,
        is_at_risk=risk.is_at_risk,
    )


def daily_models_for(
    users: list[User], *, now: datetime, local_dates: dict[str, date] | None = None
) -> dict[str, DailyPlanModel]:
    """The daily plan of each student, by user id, for their local date (today by default)."""
    if not users:
        return {}
    zones = {str(u.pk): user_zone(u) for u in users}
    days = {
        uid: (local_dates or {}).get(uid) or now.astimezone(zone).date()
        for uid, zone in zones.items()
    }
    bounds = {
        uid: (local_midnight(day, zones[uid]), local_midnight(day + timedelta(days=1), zones[uid]))
        for uid, day in days.items()
    }
    ids = list(zones)
    earliest = min(start for start, _ in bounds.values())
    latest = max(end for _, end in bounds.values())
    blocks: dict[str, list[BlockLine]] = defaultdict(list)
    tasks = (
        StudyTask.objects.filter(
            user_id__in=ids,
            status__in=DAILY_STATUSES,
            scheduled_start__gte=earliest,
            scheduled_start__lt=latest,
        )
        .select_related("course")
        # Only what a line of the email shows: a block row is wide, and there are many.
        .only("user_id", "title", "scheduled_start", "scheduled_end", "course__code")
        .order_by("scheduled_start", "id")
    )
    for task in tasks:
        uid = str(task.user_id)
        start, end = bounds[uid]
        if start <= task.scheduled_start < end:
            blocks[uid].append(_block_line(task))
    reviews: dict[str, list[str]] = defaultdict(list)
    review_rows = (
        MasteryRecord.objects.filter(user_id__in=ids, next_review_date__lte=max(days.values()))
        .order_by("next_review_date", "mastery_score", "topic__name")
        .values_list("user_id", "next_review_date", "topic__name")
    )
    for user_id, review_date, topic_name in review_rows:
        uid = str(user_id)
        if review_date <= days[uid]:
            reviews[uid].append(topic_name)
    next_due: dict[str, Assessment] = {}
    upcoming = figures.with_risk_inputs(
        Assessment.objects.filter(course__user_id__in=ids, course__is_archived=False)
        .upcoming(now)
        .select_related("course")
        .only("name", "due_date", "course__code", "course__user_id")
    )
    for assessment in upcoming:
        next_due.setdefault(str(assessment.course.user_id), assessment)
    snapshots = {
        str(s.user_id): s
        for s in PlanSnapshot.objects.filter(user_id__in=ids).only(
            "user_id", "readiness", "cushions"
        )
    }
    clocks = {
        str(user_id): time_format
        for user_id, time_format in UserPreferences.objects.filter(user_id__in=ids)
        .order_by("user_id", "created_at")
        .values_list("user_id", "time_format")
    }
    home = reverse("home")
    models = {}
    for user in users:
        uid = str(user.pk)
        due = next_due.get(uid)
        models[uid] = DailyPlanModel(
            first_name=first_name(user),
            zone=zones[uid],
            local_date=days[uid],
            blocks=blocks.get(uid, []),
            reviews_due=len(reviews.get(uid, [])),
            review_topics=reviews.get(uid, [])[:REVIEW_TOPICS_SHOWN],
            next_deadline=deadline_line(due, snapshots.get(uid)) if due else None,
            link=home,
            hour12=clocks.get(uid) == TimeFormat.H12,
        )
    return models


def reminder_model(task: StudyTask) -> ReminderModel:
    return ReminderModel(
        zone=user_zone(task.user),
        block=_block_line(task),
        link=reverse("home"),
        hour12=is_hour12(task.user),
    )


def plan_change_model(user: User, notice: PlanNotice) -> PlanChangeModel:
    return PlanChangeModel(
        zone=user_zone(user),
        added=notice.added_count,
        moved=notice.moved_count,
        removed=notice.removed_count,
        first_change_at=notice.first_change_at,
        reason=notice.reason,
        link=reverse("home"),
        hour12=is_hour12(user),
    )


def at_risk_models(user: User, *, now: datetime) -> list[tuple[Assessment, AtRiskModel]]:
    """The upcoming assessments the at-risk page lists, by the same rule (scheduling.figures)."""
    snapshot = selectors.snapshot_for(user)
    if snapshot is None:
        return []
    assessments = figures.with_risk_inputs(
        Assessment.objects.for_user(user)
        .filter(course__is_archived=False)
        .upcoming(now)
        .select_related("course")
    )
    zone, link = user_zone(user), reverse("scheduling:at_risk")
    hour12 = is_hour12(user)
    models = []
    for assessment in assessments:
        risk = figures.assessment_risk(assessment, snapshot)
        if not risk.is_at_risk:
            continue
        models.append(
            (
                assessment,
                AtRiskModel(
                    zone=zone,
                    deadline=deadline_line(assessment, snapshot),
                    summary=_risk_summary(risk),
                    fix_count=len(risk.cushion.get("suggestions", [])),
                    link=link,
                    hour12=hour12,
                ),
            )
        )
    return models


def _risk_summary(risk: figures.AssessmentRisk) -> str:
    """Why it is at risk: the planner's own words when its cushion says so, else the rule."""
    if risk.cushion.get("summary"):
        return risk.cushion["summary"]
    if risk.is_unplanned:
        return "No study is planned for it yet."
    if risk.is_low_readiness:
        return (
            f"With the planned study its readiness stays below "
            f"{round(figures.READINESS_AT_RISK * 100)}%."
        )
    return ""


def weekly_model(user: User, *, week_start: date) -> WeeklyModel:
    """The local week starting `week_start` (a Monday): hours, mastery gained, the streak."""
    zone = user_zone(user)
    rows = board_rows(user, now=local_midnight(week_start, zone), tz=zone, today=week_start)
    week = week_by_course(rows, today=week_start, tz=zone)
    start = local_midnight(week_start, zone)
    end = local_midnight(week_start + timedelta(days=7), zone)
    # Per topic: the mastery before the week's first observation and after its last one.
    spans = (
        MasteryObservation.objects.for_user(user)
        .filter(observed_at__gte=start, observed_at__lt=end)
        .values("topic_id", "topic__name")
        .annotate(first=Min("sequence"), last=Max("sequence"))
    )
    wanted = {(row["topic_id"], row["first"]) for row in spans} | {
        (row["topic_id"], row["last"]) for row in spans
    }
    by_key = {
        (obs.topic_id, obs.sequence): obs
        for obs in MasteryObservation.objects.for_user(user).filter(
            topic_id__in={topic for topic, _ in wanted},
            sequence__in={sequence for _, sequence in wanted},
        )
    }
    changes = {}
    for row in spans:
        first = by_key.get((row["topic_id"], row["first"]))
        last = by_key.get((row["topic_id"], row["last"]))
        if first is None or last is None:
            continue
        before = first.mastery_before if first.mastery_before is not None else 0.0
        changes[row["topic__name"]] = last.mastery_after - before
    return WeeklyModel(
        first_name=first_name(user),
        week_start=week_start,
        planned_min=sum(row.planned_min for row in week),
        done_min=sum(row.done_min for row in week),
        mastery_changes=changes,
        streak_days=selectors.streak_for(user, now=end).current,
        link=reverse("scheduling:stats"),
    )
