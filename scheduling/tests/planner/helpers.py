"""Builders shared by the planner tests: New York evenings, tasks and requests."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.planner import (
    Interval,
    PlannedBlock,
    PlanRequest,
    PlanResult,
    PlanTask,
)

NEW_YORK = "America/New_York"
EVENINGS = {
    day: [{"start": "18:00", "end": "22:00"}]
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
}


def local(day: date, hour: int, minute: int = 0, zone: str = NEW_YORK) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def task(task_id: str, minutes: int, first: date, due: date, **overrides) -> PlanTask:
    fields = {
        "id": task_id,
        "duration_min": minutes,
        "release": local(first, 0),
        "deadline": local(due, 0),
        "priority": 5.0,
        "course_id": "math",
    }
    fields.update(overrides)
    return PlanTask(**fields)


def request_for(tasks, first: date, days: int = 7, **overrides) -> PlanRequest:
    fields = {
        "tasks": tuple(tasks),
        "availability": EVENINGS,
        "timezone": NEW_YORK,
        "now": local(first, 0),
        "horizon_start": local(first, 0),
        "horizon_end": local(first + timedelta(days=days), 0),
    }
    fields.update(overrides)
    return PlanRequest(**fields)


def local_day(block: PlannedBlock, zone: str = NEW_YORK) -> date:
    return block.start.astimezone(ZoneInfo(zone)).date()


def minutes_by_task(result: PlanResult) -> dict[str, int]:
    totals: dict[str, int] = {}
    for block in result.blocks:
        totals[block.task_id] = totals.get(block.task_id, 0) + block.minutes
    return totals


MONDAY = date(2026, 3, 2)  # the week before the US spring-forward (Sunday 2026-03-08)


def busy_week(seed: int) -> PlanRequest:
    rng = random.Random(seed)
    tasks = []
    for index in range(12):
        due = MONDAY + timedelta(days=rng.randint(2, 7))
        tasks.append(
            task(
                f"t{index:02d}",
                rng.choice((30, 60, 90, 120)),
                MONDAY,
                due,
                priority=round(rng.uniform(1, 9), 1),
                course_id=rng.choice(("math", "bio", "art")),
                topic_key=f"topic{rng.randrange(5)}",
                assessment_id=rng.choice((None, "midterm")),
                is_splittable=rng.random() > 0.2,
            )
        )
    busy = tuple(
        Interval(local(MONDAY + timedelta(days=d), 19), local(MONDAY + timedelta(days=d), 20))
        for d in (1, 3)
    )
    return request_for(tasks, MONDAY, busy=busy)
