"""Benchmark of the mastery fold: a full recompute of a large history vs. the fast path.

A throwaway SQLite test database gets one user with 10,000 performance records over 120
topics (each record a quiz on one topic, so about 83 steps per topic). We time
`mastery_recompute` for every topic from nothing (the backfill), then one new record at the
end of a topic's history through the single-record fast path, and report their ratio.

Run: `.venv/bin/python -m bench.bench_mastery`.
"""

from __future__ import annotations

import os
import random
import time as clock
from datetime import timedelta

RECORD_COUNT = 10_000
TOPIC_COUNT = 120
# Module 2's target: 1,000 topics' mastery updated in under a second.
MODULE2_TOPICS = 1_000
MODULE2_TARGET_SECONDS = 1.0
SEED = 20251
FAST_PATH_REPEATS = 20


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    # A throwaway database and in-process tasks, whatever the environment says.
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    import django

    django.setup()


def _build_history(
    rng: random.Random, *, topic_count: int = TOPIC_COUNT, email="bench@example.org"
):
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Course, Topic
    from mastery.models import PerformanceRecord

    user = User.objects.create_user(email=email, password=None)
    start = timezone.now() - timedelta(days=365)
    course = Course.objects.create(
        user=user,
        name="Benchmark",
        code="BEN 1000",
        semester="Bench",
        start_date=start.date(),
        end_date=(start + timedelta(days=400)).date(),
    )
    topics = Topic.objects.bulk_create(
        Topic(course=course, name=f"Topic {index}", order_index=index)
        for index in range(topic_count)
    )
    records = []
    for index in range(RECORD_COUNT):
        topic = topics[index % topic_count]
        total = rng.randint(3, 20)
        correct = rng.randint(0, total)
        records.append(
            PerformanceRecord(
                user=user,
                course=course,
                score=correct,
                max_score=total,
                percentage=round(correct / total * 100, 4),
                time_spent_min=rng.randint(5, 60),
                completed_at=start + timedelta(minutes=50 * index),
                topic_breakdown={
                    str(topic.pk): {"correct": correct, "total": total, "time_min": 10}
                },
            )
        )
    PerformanceRecord.objects.bulk_create(records, batch_size=1000)
    return user, course, topics


def run() -> list[dict]:
    _setup_django()
    from django.db import connection
    from django.test.utils import (
        CaptureQueriesContext,
        setup_test_environment,
        teardown_test_environment,
    )
    from django.utils import timezone

    from mastery.models import MasteryObservation, MasteryRecord, PerformanceRecord
    from mastery.services import mastery_recompute
    from mastery.services.bulk import mastery_recompute_bulk

    def bulk_timed(user) -> tuple[float, int]:
        with CaptureQueriesContext(connection) as captured:
            started = clock.perf_counter()
            mastery_recompute_bulk(user=user)
            seconds = clock.perf_counter() - started
        return seconds, len(captured.captured_queries)

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        rng = random.Random(SEED)
        user, course, topics = _build_history(rng)

        started = clock.perf_counter()
        with CaptureQueriesContext(connection) as per_topic_queries:
            for topic in topics:
                mastery_recompute(user=user, topic=topic)
        full_seconds = clock.perf_counter() - started
        # The same backfill in bulk, from nothing and again over an unchanged history.
        MasteryObservation.objects.filter(user=user).delete()
        MasteryRecord.objects.filter(user=user).delete()
        bulk_cold_seconds, bulk_cold_queries = bulk_timed(user)
        bulk_warm_seconds, bulk_warm_queries = bulk_timed(user)
        module2_user, _, _ = _build_history(
            random.Random(SEED + 1), topic_count=MODULE2_TOPICS, email="module2@example.org"
        )
        module2_seconds, module2_queries = bulk_timed(module2_user)

        fast_timings = []
        for repeat in range(FAST_PATH_REPEATS):
            topic = topics[repeat % TOPIC_COUNT]
            record = PerformanceRecord.objects.create(
                user=user,
                course=course,
                score=7,
                max_score=10,
                time_spent_min=10,
                completed_at=timezone.now() - timedelta(minutes=FAST_PATH_REPEATS - repeat),
                topic_breakdown={str(topic.pk): {"correct": 7, "total": 10, "time_min": 10}},
            )
            started = clock.perf_counter()
            result = mastery_recompute(user=user, topic=topic, new_record_id=record.pk)
            fast_timings.append(clock.perf_counter() - started)
            assert result.used_fast_path, "the newest record must take the fast path"
        fast_timings.sort()
        single_seconds = fast_timings[len(fast_timings) // 2]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    return [
        {
            "name": f"mastery full recompute topic by topic ({RECORD_COUNT} records, "
            f"{TOPIC_COUNT} topics)",
            "value": round(full_seconds, 3),
            "unit": f"s, {len(per_topic_queries)} queries",
        },
        {
            "name": f"mastery full recompute in bulk, from nothing ({RECORD_COUNT} records, "
            f"{TOPIC_COUNT} topics)",
            "value": round(bulk_cold_seconds, 3),
            "unit": f"s, {bulk_cold_queries} queries (target <= 1 s, O(topics) queries)",
        },
        {
            "name": "mastery full recompute in bulk, history unchanged",
            "value": round(bulk_warm_seconds, 3),
            "unit": f"s, {bulk_warm_queries} queries",
        },
        {
            "name": f"Module 2: {MODULE2_TOPICS} topics updated in bulk ({RECORD_COUNT} records)",
            "value": round(module2_seconds, 3),
            "unit": f"s, {module2_queries} queries (target < {MODULE2_TARGET_SECONDS:.0f} s)",
        },
        {
            "name": "mastery single-record update (fast path, median)",
            "value": round(single_seconds * 1000, 3),
            "unit": "ms",
        },
        {
            "name": "mastery full recompute / single-record update",
            "value": round(full_seconds / single_seconds, 1),
            "unit": "x",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']}")
