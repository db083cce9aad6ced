"""The demo student scaled up for the load benchmark: 8 courses, 200 topics, 10,000
performance records and 500 study tasks. Prints the credentials and ids as one JSON line.

Courses, topics and assessments go through the real services. Performance records and study
tasks are bulk-inserted (through the services they would take many minutes), and then mastery
is rebuilt once with the real recompute service, so every topic's estimate is the fold over
its ~50 records. Running it again on a seeded database only issues fresh credentials.

Run by bench/loadkit.py in a child process with the bench database's environment.
"""

from __future__ import annotations

import json
import random
import sys
import time as clock
from datetime import datetime, time, timedelta

COURSE_COUNT = 8
TOPICS_PER_COURSE = 25
RECORD_COUNT = 10_000
TASK_COUNT = 500
SEED = 8_200_500
BENCH_ASSESSMENTS = (
    ("Quiz", "quiz", 20, 0.25),
    ("Midterm", "midterm", 30, 0.5),
    ("Final", "final", 50, 0.95),
)


def _scale_courses(user, rng: random.Random):
    from accounts.timezones import user_zone
    from courses.models import Course
    from courses.services import assessment_create, course_create, topic_create

    demo = list(Course.objects.for_user(user).order_by("code"))
    semester, start, end = demo[0].semester, demo[0].start_date, demo[0].end_date
    courses = demo
    for index in range(len(demo), COURSE_COUNT):
        courses.append(
            course_create(
                user=user,
                name=f"Elective {index + 1}",
                code=f"ELEC {3000 + index}",
                semester=semester,
                start_date=start,
                end_date=end,
                instructor_name="Dr. Bench",
            )
        )
    difficulties = ["easy", "medium", "medium", "hard", "exam_level"]
    for course in courses:
        topics = list(course.topics.order_by("order_index"))
        while len(topics) < TOPICS_PER_COURSE:
            # A chain with the odd branch: each topic builds on one of the two before it.
            previous = topics[-rng.randint(1, min(2, len(topics)))] if topics else None
            topics.append(
                topic_create(
                    course=course,
                    name=f"{course.code} unit {len(topics) + 1}",
                    estimated_difficulty=rng.choice(difficulties),
                    prerequisite_topic_ids=[str(previous.pk)] if previous else [],
                )
            )
        if not course.assessments.exists():
            span = end - start
            for name, kind, weight, at in BENCH_ASSESSMENTS:
                due_day = start + span * at
                covered = rng.sample(topics, k=6)
                assessment_create(
                    course=course,
                    name=name,
                    type=kind,
                    weight_percent=weight,
                    due_date=datetime.combine(due_day, time(23, 59), tzinfo=user_zone(user)),
                    topic_ids=[str(topic.pk) for topic in covered],
                )
    return courses


def _bulk_records(user, courses, rng: random.Random, now: datetime) -> None:
    from mastery.models import EvidenceSource, PerformanceRecord

    missing = RECORD_COUNT - PerformanceRecord.objects.for_user(user).count()
    topics_by_course = {course.pk: list(course.topics.all()) for course in courses}
    records = []
    for index in range(max(0, missing)):
        course = courses[index % len(courses)]
        breakdown = {}
        correct_total = total_total = 0
        for topic in rng.sample(topics_by_course[course.pk], k=rng.randint(1, 3)):
            total = rng.randint(4, 10)
            correct = rng.randint(0, total)
            breakdown[str(topic.pk)] = {"correct": correct, "total": total, "time_min": 10}
            correct_total += correct
            total_total += total
        score = round(100 * correct_total / total_total, 1)
        records.append(
            PerformanceRecord(
                user=user,
                course=course,
                score=score,
                max_score=100.0,
                percentage=score,
                time_spent_min=10 * len(breakdown),
                completed_at=now - timedelta(minutes=rng.randint(60, 120 * 24 * 60)),
                topic_breakdown=breakdown,
                source=EvidenceSource.QUIZ,
            )
        )
    PerformanceRecord.objects.bulk_create(records, batch_size=1000)


def _bulk_tasks(user, courses, rng: random.Random, now: datetime) -> None:
    from scheduling.models import StudyTask, TaskStatus, TaskType

    missing = TASK_COUNT - StudyTask.objects.for_user(user).count()
    tasks = []
    for index in range(max(0, missing)):
        course = courses[index % len(courses)]
        topic = rng.choice(list(course.topics.all()[:TOPICS_PER_COURSE]))
        # Mostly history (done or skipped) with a fortnight of upcoming blocks, as a
        # student a semester in would have.
        is_past = index % 5 != 0
        day_offset = -rng.randint(1, 100) if is_past else rng.randint(0, 13)
        begin = (now + timedelta(days=day_offset)).replace(
            hour=rng.randint(9, 20), minute=0, second=0, microsecond=0
        )
        minutes = rng.choice([30, 45, 60])
        status = rng.choice([TaskStatus.COMPLETED] * 4 + [TaskStatus.SKIPPED])
        tasks.append(
            StudyTask(
                user=user,
                course=course,
                title=f"Study {topic.name}",
                task_type=rng.choice(TaskType.values),
                difficulty=topic.estimated_difficulty,
                topic_ids=[str(topic.pk)],
                estimated_duration_min=minutes,
                scheduled_start=begin,
                scheduled_end=begin + timedelta(minutes=minutes),
                status=status if is_past else TaskStatus.SCHEDULED,
                actual_start=begin if is_past and status == TaskStatus.COMPLETED else None,
                actual_end=(
                    begin + timedelta(minutes=minutes)
                    if is_past and status == TaskStatus.COMPLETED
                    else None
                ),
                completion_percentage=100 if is_past and status == TaskStatus.COMPLETED else 0,
                priority_score=round(rng.random(), 3),
                expected_mastery_gain=round(rng.uniform(1, 8), 2),
                reason="Bench history",
            )
        )
    StudyTask.objects.bulk_create(tasks, batch_size=500)


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from accounts.services import api_token_create
    from courses.models import Course, Topic
    from journey.demo import DEMO_EMAIL
    from mastery.models import PerformanceRecord
    from mastery.services import mastery_recompute_user
    from scheduling.models import StudyTask

    recompute_seconds = None
    user = User.objects.filter(email=DEMO_EMAIL).first()
    is_seeded = (
        user is not None
        and PerformanceRecord.objects.for_user(user).count() >= RECORD_COUNT
        and StudyTask.objects.for_user(user).count() >= TASK_COUNT
    )
    if not is_seeded:
        started = clock.perf_counter()
        call_command("seed_demo", stdout=sys.stderr)
        user = User.objects.get(email=DEMO_EMAIL)
        rng = random.Random(SEED)
        now = timezone.now()
        courses = _scale_courses(user, rng)
        _bulk_records(user, courses, rng, now)
        _bulk_tasks(user, courses, rng, now)
        fold_started = clock.perf_counter()
        mastery_recompute_user(user=user)
        recompute_seconds = round(clock.perf_counter() - fold_started, 2)
        # Fresh statistics, as autovacuum would soon have them on a live database: without
        # them the planner estimates one row where there are ten thousand.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"seeded in {clock.perf_counter() - started:.1f} s "
            f"(mastery recompute {recompute_seconds} s)",
            file=sys.stderr,
        )

    _, raw_key = api_token_create(user=user, name="load bench", expires_in_days=7)
    browser = Client()
    browser.force_login(user)
    course = Course.objects.for_user(user).order_by("code").first()
    topic_ids = [str(pk) for pk in course.topics.values_list("pk", flat=True)[:3]]
    print(
        json.dumps(
            {
                "token": raw_key,
                "session_cookie": f"{settings.SESSION_COOKIE_NAME}="
                f"{browser.cookies[settings.SESSION_COOKIE_NAME].value}",
                "course_id": str(course.pk),
                "topic_ids": topic_ids,
                "counts": {
                    "courses": Course.objects.for_user(user).count(),
                    "topics": Topic.objects.for_user(user).count(),
                    "records": PerformanceRecord.objects.for_user(user).count(),
                    "tasks": StudyTask.objects.for_user(user).count(),
                },
                "recompute_seconds": recompute_seconds,
                "has_dashboard_cache_setting": hasattr(settings, "DASHBOARD_CACHE_ENABLED"),
            }
        )
    )


if __name__ == "__main__":
    main()
