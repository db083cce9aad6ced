"""Benchmark of the mastery fold: a full recompute of a large history vs. the fast path.

A throwaway test database gets one user with 10,000 performance records over 120 topics
(each record a quiz on one topic, so about 83 steps per topic). We time the full recompute in
bulk (the backfill) from nothing and again over an unchanged history, the same fold topic by
topic, Module 2's 1,000 topics updated at once, and one new record through the single-record
fast path. Each time is also given as a multiple of reading the same 10,000 rows with one bare
SQL query in the same run, which moves with the machine's load as the recompute does.

The recompute is timed up to its commit: the `mastery_changed` receivers it announces on
commit (the replan, run by a worker in production and in-process here) are timed apart.

It runs on SQLite (in memory) and, when BENCH_DATABASE_URL's server answers, on PostgreSQL
(a `test_` database beside it), each in a process of its own so each gets its own settings.

Run: `.venv/bin/python -m bench.bench_mastery`.
"""

from __future__ import annotations

import random
import sys
import time as clock
from datetime import timedelta

from bench import fresh

RECORD_COUNT = 10_000
TOPIC_COUNT = 120
# Module 2's target: 1,000 topics' mastery updated in under a second.
MODULE2_TOPICS = 1_000
MODULE2_TARGET_SECONDS = 1.0
# The target of a full recompute of RECORD_COUNT records over TOPIC_COUNT topics.
RECOMPUTE_TARGET_SECONDS = 1.0
SEED = 20251
FAST_PATH_REPEATS = 20
BARE_READ_REPEATS = 5


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


def measure() -> dict:
    """Every figure of one backend, in this process's database (set up by the caller)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from mastery.models import MasteryObservation, MasteryRecord, PerformanceRecord
    from mastery.services import mastery_recompute
    from mastery.services.bulk import mastery_recompute_bulk

    def bare_read(user) -> float:
        """The floor: the user's 10,000 records by one bare query, every column fetched."""
        table = connection.ops.quote_name(PerformanceRecord._meta.db_table)
        user_id = user.pk.hex if connection.vendor == "sqlite" else user.pk
        timings = []
        for _ in range(BARE_READ_REPEATS):
            with connection.cursor() as cursor:
                started = clock.perf_counter()
                cursor.execute(f"SELECT * FROM {table} WHERE user_id = %s", [user_id])
                rows = cursor.fetchall()
                timings.append(clock.perf_counter() - started)
            assert len(rows) == RECORD_COUNT
        return min(timings)

    def bulk_timed(user) -> tuple[float, int, float]:
        """(seconds to the commit, queries, seconds of the commit and its receivers)."""
        with CaptureQueriesContext(connection) as captured:
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                started = clock.perf_counter()
                mastery_recompute_bulk(user=user)
                seconds = clock.perf_counter() - started
                queries = len(captured.captured_queries)
            except BaseException:
                atomic.__exit__(*sys.exc_info())
                raise
            started = clock.perf_counter()
            atomic.__exit__(None, None, None)  # commit, then the on-commit announcement
            announced = clock.perf_counter() - started
        return seconds, queries, announced

    with fresh.throwaway_database() as vendor:
        user, course, topics = _build_history(random.Random(SEED))
        floor_before = bare_read(user)

        started = clock.perf_counter()
        with CaptureQueriesContext(connection) as per_topic_queries:
            for topic in topics:
                mastery_recompute(user=user, topic=topic)
        per_topic_seconds = clock.perf_counter() - started
        # The same backfill in bulk, from nothing and again over an unchanged history.
        MasteryObservation.objects.filter(user=user).delete()
        MasteryRecord.objects.filter(user=user).delete()
        cold = bulk_timed(user)
        warm = bulk_timed(user)
        module2_user, _, _ = _build_history(
            random.Random(SEED + 1), topic_count=MODULE2_TOPICS, email="module2@example.org"
        )
        module2 = bulk_timed(module2_user)

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
        # The floor again, after the load of the run: the smaller of the two is the ratio's.
        floor = min(floor_before, bare_read(module2_user))
    return {
        "vendor": vendor,
        "floor": floor,
        "per_topic": (per_topic_seconds, len(per_topic_queries)),
        "cold": cold,
        "warm": warm,
        "module2": module2,
        "fast": fast_timings[len(fast_timings) // 2],
    }


def _rows(figures: dict) -> list[dict]:
    backend = "PostgreSQL" if figures["vendor"] == "postgresql" else "SQLite"
    floor = figures["floor"]

    def timed(name: str, seconds: float, detail: str) -> dict:
        return {
            "name": f"[{backend}] {name}",
            "value": round(seconds, 3),
            "unit": f"s = {seconds / floor:.0f}x the bare read; {detail}",
        }

    per_topic_seconds, per_topic_queries = figures["per_topic"]
    cold_seconds, cold_queries, cold_announced = figures["cold"]
    warm_seconds, warm_queries, _ = figures["warm"]
    module2_seconds, module2_queries, module2_announced = figures["module2"]
    return [
        {
            "name": f"[{backend}] bare read of the {RECORD_COUNT} records (1 query, the floor)",
            "value": round(floor * 1000, 1),
            "unit": "ms",
        },
        timed(
            f"mastery full recompute in bulk, from nothing ({RECORD_COUNT} records, "
            f"{TOPIC_COUNT} topics)",
            cold_seconds,
            f"{cold_queries} queries (target <= {RECOMPUTE_TARGET_SECONDS:.0f} s, "
            "O(topics) queries)",
        ),
        timed(
            "mastery full recompute in bulk, history unchanged",
            warm_seconds,
            f"{warm_queries} queries",
        ),
        timed(
            f"mastery full recompute topic by topic ({RECORD_COUNT} records, {TOPIC_COUNT} topics)",
            per_topic_seconds,
            f"{per_topic_queries} queries",
        ),
        timed(
            f"Module 2: {MODULE2_TOPICS} topics updated in bulk ({RECORD_COUNT} records)",
            module2_seconds,
            f"{module2_queries} queries (target < {MODULE2_TARGET_SECONDS:.0f} s)",
        ),
        {
            "name": f"[{backend}] commit + mastery_changed receivers (replan) after the "
            f"recompute / after Module 2's",
            "value": round(cold_announced, 3),
            "unit": f"s / {module2_announced:.3f} s (a worker's job in production)",
        },
        {
            "name": f"[{backend}] mastery single-record update (fast path, median)",
            "value": round(figures["fast"] * 1000, 3),
            "unit": "ms",
        },
        {
            "name": f"[{backend}] mastery full recompute in bulk / single-record update",
            "value": round(cold_seconds / figures["fast"], 1),
            "unit": "x",
        },
    ]


def run() -> list[dict]:
    from bench import loadkit

    rows = _rows(fresh.measure_in_process("bench.bench_mastery", "sqlite:///:memory:"))
    problem = loadkit.services_problem()
    if problem:
        rows.append({"name": "[PostgreSQL] mastery bench skipped", "value": "-", "unit": problem})
    else:
        rows += _rows(fresh.measure_in_process("bench.bench_mastery", loadkit.DATABASE_URL))
    return rows


if __name__ == "__main__":
    fresh.main(measure, run)
