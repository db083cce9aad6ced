"""The bulk fold: the same result as folding topic by topic, in a number of queries that does
not grow with the records, and nothing written when nothing changed."""

import random
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import UserFactory
from bench import scaled
from mastery.models import CourseMasteryDay, MasteryObservation, MasteryRecord
from mastery.services import mastery_recompute_topics
from mastery.services.bulk import mastery_recompute_bulk

pytestmark = [pytest.mark.django_db]

NOW = datetime(2026, 10, 14, 17, 30, tzinfo=UTC)
SIZE = scaled.ScaledSize(courses=2, topics_per_course=5, records=60, tasks=0)


def grown_student(size=SIZE, *, user=None):
    user = user or UserFactory(timezone="America/Chicago")
    with time_machine.travel(NOW, tick=False):
        rng = random.Random(7)
        courses = scaled.scale_courses(user, rng, size)
        scaled.bulk_records(user, courses, rng, NOW, size)
    return user


def fold_of(user) -> tuple[dict, dict, list]:
    states = {
        str(row.topic_id): (
            row.mastery_score,
            row.confidence_interval,
            row.trend,
            row.next_review_date,
            row.observation_count,
            row.memory,
        )
        for row in MasteryRecord.objects.filter(user=user)
    }
    steps: dict = {}
    for step in MasteryObservation.objects.filter(user=user).order_by("topic_id", "sequence"):
        steps.setdefault(str(step.topic_id), []).append(
            (step.sequence, step.performance_record_id, step.mastery_after, step.alpha)
        )
    days = sorted(
        CourseMasteryDay.objects.filter(user=user).values_list(
            "course_id", "day", "mean_mastery", "topic_count"
        )
    )
    return states, steps, days


def test_the_bulk_fold_equals_the_per_topic_fold(django_capture_on_commit_callbacks):
    user = grown_student()
    topic_ids = list(user.courses.values_list("topics__pk", flat=True))
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_topics(user=user, topic_ids=topic_ids)
    one_by_one = fold_of(user)
    assert one_by_one[0], "the student has mastery to compare"
    MasteryObservation.objects.filter(user=user).delete()
    MasteryRecord.objects.filter(user=user).delete()
    CourseMasteryDay.objects.filter(user=user).delete()
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks() as announced,
    ):
        moved = mastery_recompute_bulk(user=user)
    assert fold_of(user) == one_by_one
    assert sorted(moved) == sorted(one_by_one[0])
    assert len(announced) == 1  # one mastery_changed for the batch, not one per topic


def test_a_repeat_writes_nothing(django_capture_on_commit_callbacks):
    user = grown_student()
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_bulk(user=user)
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks() as announced,
        ):
            assert mastery_recompute_bulk(user=user) == []
    writes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert announced == []


def recompute_queries(user) -> int:
    MasteryObservation.objects.filter(user=user).delete()
    MasteryRecord.objects.filter(user=user).delete()
    CourseMasteryDay.objects.filter(user=user).delete()
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        mastery_recompute_bulk(user=user)
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_the_records(require_postgres):
    # On PostgreSQL a statement carries a whole batch; SQLite's limit of 999 bound parameters
    # splits the same batch into several statements, so the count there grows with the rows.
    user = grown_student()
    few = recompute_queries(user)
    steps_before = MasteryObservation.objects.filter(user=user).count()
    grown_student(replace(SIZE, records=SIZE.records * 4), user=user)
    many = recompute_queries(user)
    assert MasteryObservation.objects.filter(user=user).count() > 3 * steps_before
    assert many == few
