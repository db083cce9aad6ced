"""Per-kind messages, built from plain read models. Pure: no Django, no database, no clock.

Every number a message shows comes from its read model, which says where it came from (the
plan, the planner's snapshot, the mastery history), and every time is shown in the student's
zone, which the read model carries. Links are site paths; delivery makes them absolute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    link: str


@dataclass(frozen=True)
class BlockLine:
    title: str
    course_code: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class DeadlineLine:
    title: str
    course_code: str
    due: datetime
    # The planner's predicted readiness at the due date, as a percentage; None when there is
    # no evidence to predict from (then the message says so instead of a number).
    readiness_percent: int | None
    is_at_risk: bool


@dataclass(frozen=True)
class DailyPlanModel:
    first_name: str
    zone: ZoneInfo
    local_date: date
    blocks: list[BlockLine]
    reviews_due: int
    review_topics: list[str]
    next_deadline: DeadlineLine | None
    link: str
    # The student's clock preference: "1:15 PM" rather than "13:15".
    hour12: bool = False


@dataclass(frozen=True)
class ReminderModel:
    zone: ZoneInfo
    block: BlockLine
    link: str
    # The student's clock preference: "1:15 PM" rather than "13:15".
    hour12: bool = False


@dataclass(frozen=True)
class PlanChangeModel:
    zone: ZoneInfo
    added: int
    moved: int
    removed: int
    first_change_at: datetime
    reason: str
    link: str
    # The student's clock preference: "1:15 PM" rather than "13:15".
    hour12: bool = False


@dataclass(frozen=True)
class AtRiskModel:
    zone: ZoneInfo
    deadline: DeadlineLine
    summary: str
    fix_count: int
    link: str
    # The student's clock preference: "1:15 PM" rather than "13:15".
    hour12: bool = False


@dataclass(frozen=True)
class WeeklyModel:
    first_name: str
    week_start: date
    planned_min: int
    done_min: int
    # Topic name -> mastery points gained (or lost) over the week, from the mastery history.
    mastery_changes: dict[str, float] = field(default_factory=dict)
    streak_days: int = 0
    link: str = "/"


def hours_text(minutes: float) -> str:
    hours, rest = divmod(max(0, round(minutes)), MINUTES_PER_HOUR)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" if not rest else f"{hours} h {rest} min"


def clock(moment: datetime, zone: ZoneInfo, hour12: bool = False) -> str:
    """The time of day as the pages write it for the student: 13:15, or 1:15 PM."""
    local = moment.astimezone(zone)
    if not hour12:
        return f"{local:%H:%M}"
    return f"{local.hour % 12 or 12}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def day_and_clock(moment: datetime, zone: ZoneInfo, hour12: bool = False) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} {clock(local, zone, hour12)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _deadline_text(deadline: DeadlineLine, zone: ZoneInfo, hour12: bool) -> str:
    when = day_and_clock(deadline.due, zone, hour12)
    readiness = (
        f"predicted readiness {deadline.readiness_percent}%"
        if deadline.readiness_percent is not None
        else "no readiness prediction yet (no evidence)"
    )
    risk = " - at risk" if deadline.is_at_risk else ""
    return f"{deadline.course_code} {deadline.title}, due {when}: {readiness}{risk}"


def daily_plan(model: DailyPlanModel) -> Message:
    zone, hour12 = model.zone, model.hour12
    day = f"{model.local_date:%A} {model.local_date.day} {model.local_date:%B}"
    lines = [f"Good morning {model.first_name}, here is your plan for {day}.", ""]
    if model.blocks:
        total = sum(round((block.end - block.start).total_seconds() / 60) for block in model.blocks)
        lines.append(f"Today's study blocks ({hours_text(total)}):")
        lines += [
            f"- {clock(b.start, zone, hour12)}-{clock(b.end, zone, hour12)} "
            f"{b.course_code}: {b.title}"
            for b in model.blocks
        ]
    else:
        lines.append("No study blocks are planned today.")
    lines.append("")
    if model.reviews_due:
        topics = ", ".join(model.review_topics)
        lines.append(f"Reviews due: {model.reviews_due} ({topics}).")
    else:
        lines.append("No reviews are due.")
    if model.next_deadline is not None:
        lines.append(
            "Next deadline: " + _deadline_text(model.next_deadline, zone, model.hour12) + "."
        )
    subject_blocks = _plural(len(model.blocks), "block")
    return Message(
        subject=f"Your plan for {model.local_date:%a} {model.local_date.day} "
        f"{model.local_date:%b}: {subject_blocks}",
        body="\n".join(lines),
        link=model.link,
    )


def block_reminder(model: ReminderModel) -> Message:
    block, zone = model.block, model.zone
    when = f"{clock(block.start, zone, model.hour12)}-{clock(block.end, zone, model.hour12)}"
    return Message(
        subject=f"At {clock(block.start, zone, model.hour12)}: {block.course_code} {block.title}",
        body=f"Your next study block starts at {clock(block.start, zone, model.hour12)} ({when}):\n"
        f"{block.course_code}: {block.title}",
        link=model.link,
    )


def plan_change(model: PlanChangeModel) -> Message:
    parts = []
    if model.added:
        parts.append(f"{_plural(model.added, 'block')} added")
    if model.moved:
        parts.append(f"{_plural(model.moved, 'block')} moved")
    if model.removed:
        parts.append(f"{_plural(model.removed, 'block')} dropped")
    changes = ", ".join(parts)
    first = day_and_clock(model.first_change_at, model.zone, model.hour12)
    reason = f" Reason: {model.reason}." if model.reason else ""
    return Message(
        subject=f"Your plan for the next 24 hours changed ({changes})",
        body=f"Your plan changed in the next 24 hours: {changes}. The first change is at "
        f"{first}.{reason}",
        link=model.link,
    )


def at_risk(model: AtRiskModel) -> Message:
    deadline = model.deadline
    fixes = (
        f"{model.fix_count} one-click {'fix' if model.fix_count == 1 else 'fixes'} can free "
        "time for it."
        if model.fix_count
        else "No block can be moved for it; add free time before the due date."
    )
    summary = f" {model.summary}" if model.summary else ""
    return Message(
        subject=f"At risk: {deadline.course_code} {deadline.title}",
        body=f"{_deadline_text(deadline, model.zone, model.hour12)}.{summary}\n{fixes}",
        link=model.link,
    )


def weekly_summary(model: WeeklyModel) -> Message:
    lines = [
        f"Hello {model.first_name}, your week from {model.week_start:%a} {model.week_start.day} "
        f"{model.week_start:%b}:",
        f"Studied {hours_text(model.done_min)} of {hours_text(model.planned_min)} planned.",
    ]
    if model.mastery_changes:
        lines.append("Mastery this week:")
        for topic, points in sorted(model.mastery_changes.items(), key=lambda kv: -kv[1]):
            lines.append(f"- {topic}: {points:+.0f} points")
    else:
        lines.append("No new evidence of mastery this week.")
    lines.append(f"Current streak: {_plural(model.streak_days, 'day')}.")
    return Message(
        subject=f"Your week: {hours_text(model.done_min)} of {hours_text(model.planned_min)} "
        "studied",
        body="\n".join(lines),
        link=model.link,
    )
