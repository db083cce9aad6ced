"""Churn of the scheduling layer: the share of existing blocks a replan moves or deletes after
a small change, measured through the real services (work items, planner, save-with-diff).

Runs against a throwaway test database at a fixed `now` (passed to the services, so timings
are real). Each scenario starts from the same planned state
(the change is rolled back afterwards), over several seeded students.

Run: `.venv/bin/python -m bench bench_scheduling`.
"""

from __future__ import annotations

import random
import statistics
import time as clock
from datetime import UTC, date, datetime, timedelta

SEEDS = (1, 2, 3, 4, 5)
NOW = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
COURSES = 3
TOPICS_PER_COURSE = 4


def _student(seed: int):
    from accounts.models import User
    from accounts.services import preferences_get_current
    from courses.models import Assessment, AssessmentTopic, Course, Topic
    from mastery.models import MasteryRecord

    rng = random.Random(seed)
    user = User.objects.create_user(f"bench{seed}@example.org", timezone="America/New_York")
    preferences_get_current(user=user)
    for c in range(COURSES):
        course = Course.objects.create(
            user=user,
            name=f"Course {c}",
            code=f"C{c}",
            semester="Fall",
            start_date=date(2026, 8, 24),
            end_date=date(2026, 12, 18),
        )
        topics = [
            Topic.objects.create(course=course, name=f"T{c}.{t}", order_index=t)
            for t in range(TOPICS_PER_COURSE)
        ]
        topics[1].prerequisite_topic_ids = [str(topics[0].pk)]
        topics[1].save()
        for topic in topics:
            MasteryRecord.objects.create(
                user=user,
                topic=topic,
                mastery_score=rng.uniform(30, 85),
                confidence_interval=rng.uniform(5, 20),
                last_practiced_at=NOW - timedelta(days=rng.uniform(1, 20)),
            )
        for kind, weight, days, covered in (
            ("quiz", 5.0, rng.uniform(2, 6), topics[:2]),
            ("midterm", 25.0, rng.uniform(6, 13), topics[:3]),
        ):
            assessment = Assessment.objects.create(
                course=course,
                name=f"{kind} {c}",
                type=kind,
                weight_percent=weight,
                due_date=NOW + timedelta(days=days),
            )
            for topic in covered:
                AssessmentTopic.objects.create(assessment=assessment, topic=topic)
    return user


def _busy_hour(user):
    from scheduling.models import StudyTask
    from scheduling.services import busy_intervals_replace

    blocks = list(StudyTask.objects.for_user(user).filter(status="scheduled"))
    middle = sorted(blocks, key=lambda b: b.scheduled_start)[len(blocks) // 2]
    start = middle.scheduled_start
    busy_intervals_replace(
        user=user, source="bench", intervals=[(start, start + timedelta(hours=1))]
    )


def _mastery_drop(user):
    from mastery.models import MasteryRecord

    record = MasteryRecord.objects.filter(user=user).order_by("topic__name").first()
    record.mastery_score = max(0.0, record.mastery_score - 15)
    record.trend = "declining"
    record.save()


def _weight_change(user):
    from courses.models import Assessment

    quiz = Assessment.objects.filter(course__user=user, type="quiz").order_by("name").first()
    quiz.weight_percent += 5
    quiz.save()


def _nothing(user):
    return None


SCENARIOS = (
    ("no change", _nothing),
    ("one busy hour added", _busy_hour),
    ("one topic's mastery -15", _mastery_drop),
    ("one quiz weight +5 points", _weight_change),
)


def run() -> list[dict]:
    from django.core.cache import cache
    from django.db import connection, transaction

    from scheduling.models import StudyTask
    from scheduling.services import plan_regenerate

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    rows: list[dict] = []
    try:
        churn: dict[str, list[float]] = {name: [] for name, _ in SCENARIOS}
        durations: list[float] = []
        for seed in SEEDS:
            cache.clear()
            user = _student(seed)
            started = clock.perf_counter()
            plan_regenerate(user=user, reason="bench", now=NOW)
            durations.append(clock.perf_counter() - started)
            before = StudyTask.objects.for_user(user).filter(status="scheduled").count()
            for name, change in SCENARIOS:
                with transaction.atomic():
                    change(user)
                    outcome = plan_regenerate(user=user, reason=name, now=NOW)
                    changed = len(outcome.diff.moved) + len(outcome.diff.deleted)
                    churn[name].append(changed / before if before else 0.0)
                    transaction.set_rollback(True)
                cache.clear()
        for name, values in churn.items():
            rows.append(
                {
                    "name": f"churn after {name}",
                    "value": f"{statistics.mean(values):.1%}",
                    "note": f"share of blocks moved or deleted, mean of {len(values)} students",
                }
            )
        rows.append(
            {
                "name": "full replan (work items + planner + save)",
                "value": f"{statistics.median(durations) * 1000:.0f}",
                "unit": "ms median",
            }
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    return rows


if __name__ == "__main__":
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    django.setup()
    for row in run():
        print(row)
