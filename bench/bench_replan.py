"""Benchmark of coalesced replans: the worker's cost of 50 grades in a burst against one replan.

The demo student, in a throwaway SQLite database with tasks run in-process, gets 50 grades
through the evidence service (each folded into mastery on commit, as the mastery worker does).
Coalesced, as a request or a worker task now runs them (accounts.coalesce), the burst asks
for one replan; uncoalesced, every grade that moves mastery replans the student. Reported: the
replans each way, the time of the burst each way, and each against one replan of the student.

Run: `.venv/bin/python -m bench.bench_replan`.
"""

from __future__ import annotations

import logging
import os
import time as clock
from datetime import timedelta

BURST = 50


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ["DATABASE_URL"] = "sqlite:///:memory:"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    import django

    django.setup()


class _ReplanCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.count = 0

    def emit(self, record):
        if record.getMessage().startswith("replanned "):
            self.count += 1


def _burst(user, topics, *, start_index: int):
    from django.test import TestCase
    from django.utils import timezone

    from mastery.services import performance_record_create

    for index in range(BURST):
        topic = topics[(start_index + index) % len(topics)]
        correct = 3 + (start_index + index) % 7
        # Committed one by one, each folded on commit, as grades posted one by one are.
        with TestCase.captureOnCommitCallbacks(execute=True):
            performance_record_create(
                user=user,
                course=topic.course,
                score=float(correct),
                max_score=10.0,
                time_spent_min=10,
                completed_at=timezone.now() - timedelta(minutes=BURST - index),
                topic_breakdown={str(topic.pk): {"correct": correct, "total": 10}},
            )


def run() -> list[dict]:
    _setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.utils import timezone

    from accounts.coalesce import coalescing
    from courses.models import Topic
    from journey.demo import demo_student_seed
    from scheduling.services import plan_regenerate

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    counter = _ReplanCounter()
    plan_logger = logging.getLogger("scheduling.services.plan")
    plan_logger.addHandler(counter)
    previous_level = plan_logger.level
    plan_logger.setLevel(logging.INFO)
    try:
        user = demo_student_seed(now=timezone.now()).user
        topics = list(Topic.objects.for_user(user).order_by("course__code", "order_index"))
        started = clock.perf_counter()
        plan_regenerate(user=user, reason="bench")
        one_replan = clock.perf_counter() - started

        counter.count = 0
        started = clock.perf_counter()
        with coalescing():
            _burst(user, topics, start_index=0)
        coalesced_seconds, coalesced_replans = clock.perf_counter() - started, counter.count

        counter.count = 0
        started = clock.perf_counter()
        _burst(user, topics, start_index=BURST)
        separate_seconds, separate_replans = clock.perf_counter() - started, counter.count
    finally:
        plan_logger.removeHandler(counter)
        plan_logger.setLevel(previous_level)
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    return [
        {"name": "one replan of the demo student", "value": round(one_replan, 3), "unit": "s"},
        {
            "name": f"{BURST} grades in a burst, coalesced: replans",
            "value": coalesced_replans,
            "unit": "replans",
        },
        {
            "name": f"{BURST} grades in a burst, coalesced: worker time / one replan",
            "value": round(coalesced_seconds / one_replan, 1),
            "unit": f"x ({coalesced_seconds:.2f} s: {BURST} folds and the replans)",
        },
        {
            "name": f"{BURST} grades one by one, uncoalesced: replans",
            "value": separate_replans,
            "unit": "replans",
        },
        {
            "name": f"{BURST} grades one by one, uncoalesced: worker time / one replan",
            "value": round(separate_seconds / one_replan, 1),
            "unit": f"x ({separate_seconds:.2f} s)",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']}")
