"""Preparing the daily plan email at scale: 10,000 students whose 07:00 falls in one slot.

Runs against a throwaway test database. Each student has a course, an assessment ahead, two
topics with reviews due and three blocks today. The measure is what one beat slot does before
sending: select the students of the slot (by timezone bucket, in the database), load their read
models in batches of NOTIFY_BATCH_SIZE, and build every message. Reported: the total time, the
time per student, and the queries per student (a fixed number per batch, so it falls as the
batch grows and does not grow with the students).

Run: `.venv/bin/python -m bench bench_notify` (STUDENTS=... to change the count).
"""

from __future__ import annotations

import os
import time as clock
from datetime import UTC, date, datetime, time, timedelta

STUDENTS = int(os.environ.get("BENCH_NOTIFY_STUDENTS", "10000"))
# 07:00 in Chicago on a CDT day.
SLOT_END = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
ZONE = "America/Chicago"


def _population(count: int) -> None:
    from accounts.models import NotificationSettings, User
    from courses.models import Assessment, Course, Topic
    from mastery.models import MasteryRecord
    from scheduling.models import StudyTask

    users = User.objects.bulk_create(
        [
            User(email=f"notify{i}@example.org", timezone=ZONE, full_name=f"Student {i}")
            for i in range(count)
        ],
        batch_size=2000,
    )
    NotificationSettings.objects.bulk_create(
        [NotificationSettings(user=u, daily_plan_time=time(7, 0)) for u in users], batch_size=2000
    )
    courses = Course.objects.bulk_create(
        [
            Course(
                user=u,
                name="Biology",
                code="BIO 101",
                semester="Spring",
                start_date=date(2027, 1, 11),
                end_date=date(2027, 5, 7),
            )
            for u in users
        ],
        batch_size=2000,
    )
    Assessment.objects.bulk_create(
        [
            Assessment(
                course=c,
                name="Midterm",
                type="exam",
                weight_percent=25.0,
                due_date=SLOT_END + timedelta(days=4),
            )
            for c in courses
        ],
        batch_size=2000,
    )
    topics = Topic.objects.bulk_create(
        [Topic(course=c, name=f"Topic {t}", order_index=t) for c in courses for t in range(2)],
        batch_size=4000,
    )
    MasteryRecord.objects.bulk_create(
        [
            MasteryRecord(
                user_id=t.course.user_id,
                topic=t,
                mastery_score=55.0,
                next_review_date=date(2027, 3, 14),
            )
            for t in topics
        ],
        batch_size=4000,
    )
    day_start = datetime(2027, 3, 15, 23, 0, tzinfo=UTC)  # 18:00 CDT
    StudyTask.objects.bulk_create(
        [
            StudyTask(
                user_id=c.user_id,
                course=c,
                title=f"Block {b}",
                task_type="reading",
                difficulty="medium",
                estimated_duration_min=50,
                status="scheduled",
                scheduled_start=day_start + timedelta(hours=b),
                scheduled_end=day_start + timedelta(hours=b, minutes=50),
            )
            for c in courses
            for b in range(3)
        ],
        batch_size=6000,
    )


def prepare_all(batch: int) -> int:
    """Everything a slot does before saving and sending; returns the messages built."""
    from journey.notifications import builders, readmodels, sweeps
    from journey.notifications.kinds import NotificationKind

    built = 0
    due = sweeps.slot_settings(
        kind=NotificationKind.DAILY_PLAN, end=SLOT_END, slot_minutes=15, batch=STUDENTS + 1
    )
    for first in range(0, len(due), batch):
        chunk = due[first : first + batch]
        models = readmodels.daily_models_for(
            [row.user for row, _ in chunk],
            now=SLOT_END,
            local_dates={str(row.user_id): date.fromisoformat(key) for row, key in chunk},
        )
        for model in models.values():
            builders.daily_plan(model)
            built += 1
    return built


def run() -> list[dict]:
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    batch = settings.NOTIFY_BATCH_SIZE
    try:
        _population(STUDENTS)
        started = clock.perf_counter()
        built = prepare_all(batch)
        elapsed = clock.perf_counter() - started
        with CaptureQueriesContext(connection) as captured:
            prepare_all(batch)
        queries = len(captured)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return [
        {
            "name": f"daily emails prepared ({built} students)",
            "value": f"{elapsed:.2f}",
            "unit": "s",
        },
        {
            "name": "time per student",
            "value": f"{elapsed / max(built, 1) * 1000:.3f}",
            "unit": "ms",
        },
        {
            "name": f"queries per student (batches of {batch})",
            "value": f"{queries / max(built, 1):.4f}",
            "unit": f"{queries} queries in all",
        },
    ]


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    django.setup()
    for row in run():
        print(row)
