"""The bulk fold: the same result as folding topic by topic, in a number of queries that does
not grow with the records, and nothing written when nothing changed."""

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.history import HistoricalRecords
from accounts.tests.factories import UserFactory
from bench import scaled
from courses.models import AssessmentTopic
from mastery.models import (
    CourseMasteryDay,
    EvidenceSource,
    MasteryObservation,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.services import mastery_recompute_topics
from mastery.services.bulk import IDENTITY_FIELDS, STATE_FIELDS, mastery_recompute_bulk

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


def mixed_evidence(user, rng: random.Random, count: int = 40) -> None:
    """Every kind of evidence the fold reads besides the quizzes with a breakdown: grades of
    mapped assessments (with and without item counts, weights set, unset and 0, a topic's own
    question count), self-ratings, flashcard reviews with the student's grade, and records
    that tie on completed_at."""
    courses = list(user.courses.order_by("code"))
    links = list(AssessmentTopic.objects.filter(assessment__course__user=user).order_by("pk"))
    for index, link in enumerate(links):
        link.weight_in_assessment = (None, 0.0, 30.0, 55.0)[index % 4]
        link.question_count = 4 if index % 5 == 0 else None
    AssessmentTopic.objects.bulk_update(links, ["weight_in_assessment", "question_count"])
    tie = NOW - timedelta(days=3, minutes=17)
    records = []
    for index in range(count):
        course = courses[index % len(courses)]
        topics = list(course.topics.order_by("pk"))
        assessments = list(course.assessments.order_by("pk"))
        topic = rng.choice(topics)
        completed_at = tie if index % 7 == 0 else NOW - timedelta(minutes=rng.randint(90, 90_000))
        shape = index % 4
        if shape == 0:
            percentage = round(rng.uniform(0, 100), 2)
            records.append(
                PerformanceRecord(
                    user=user,
                    course=course,
                    assessment=rng.choice(assessments),
                    score=percentage,
                    percentage=percentage,
                    time_spent_min=rng.randint(20, 90),
                    completed_at=completed_at,
                    question_data=[{"correct": rng.random() < 0.6}] * rng.choice([0, 3, 12]),
                    source=EvidenceSource.IMPORT,
                )
            )
        elif shape == 1:
            rating = rng.randint(1, 5)
            records.append(
                PerformanceRecord(
                    user=user,
                    course=course,
                    score=rating,
                    max_score=5,
                    percentage=rating * 20,
                    time_spent_min=5,
                    completed_at=completed_at,
                    topic_breakdown={str(topic.pk): {"correct": 1, "total": 1}},
                    source=EvidenceSource.SELF_RATING,
                )
            )
        elif shape == 2:
            grade = rng.randint(1, 4)
            records.append(
                PerformanceRecord(
                    user=user,
                    course=course,
                    score=int(grade > 1),
                    max_score=1,
                    percentage=100.0 * (grade > 1),
                    time_spent_min=1,
                    completed_at=completed_at,
                    topic_breakdown={
                        str(topic.pk): {"correct": int(grade > 1), "total": 1, "grade": grade}
                    },
                    source=EvidenceSource.FLASHCARD,
                )
            )
        else:
            # A breakdown without time_min: the record's time is split by item counts.
            other = rng.choice(topics)
            breakdown = {
                str(topic.pk): {"correct": 2, "total": 5},
                str(other.pk): {"correct": rng.randint(0, 6), "total": 6},
            }
            records.append(
                PerformanceRecord(
                    user=user,
                    course=course,
                    score=50,
                    percentage=50,
                    time_spent_min=30,
                    completed_at=completed_at,
                    topic_breakdown=breakdown,
                    source=EvidenceSource.DIAGNOSTIC if index % 8 == 3 else EvidenceSource.QUIZ,
                )
            )
    PerformanceRecord.objects.bulk_create(records)


def fold_of(user) -> tuple[dict, dict, list]:
    """Every column the fold decides, as stored: the state rows, the history steps and the
    daily rollup (ids and write dates aside)."""
    states = {
        str(row.topic_id): tuple(getattr(row, name) for name in STATE_FIELDS)
        for row in MasteryRecord.objects.filter(user=user)
    }
    steps: dict = {}
    for step in MasteryObservation.objects.filter(user=user).order_by("topic_id", "sequence"):
        steps.setdefault(str(step.topic_id), []).append(
            tuple(getattr(step, name) for name in IDENTITY_FIELDS)
        )
    days = sorted(
        CourseMasteryDay.objects.filter(user=user).values_list(
            "course_id", "day", "mean_mastery", "topic_count"
        )
    )
    return states, steps, days


def forget_mastery(user) -> None:
    MasteryObservation.objects.filter(user=user).delete()
    MasteryRecord.objects.filter(user=user).delete()
    CourseMasteryDay.objects.filter(user=user).delete()


def per_topic_fold(user) -> tuple[dict, dict, list]:
    """The reference: every topic folded on its own by the per-topic path, from nothing."""
    forget_mastery(user)
    topic_ids = list(user.courses.values_list("topics__pk", flat=True))
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_topics(user=user, topic_ids=topic_ids)
    return fold_of(user)


def test_the_bulk_fold_equals_the_per_topic_fold(django_capture_on_commit_callbacks):
    user = grown_student()
    mixed_evidence(user, random.Random(11))
    one_by_one = per_topic_fold(user)
    assert one_by_one[0], "the student has mastery to compare"
    folded_sources = set(
        MasteryObservation.objects.filter(user=user).values_list(
            "performance_record__source", flat=True
        )
    )
    assert {"import", "self_rating", "flashcard", "quiz"} <= folded_sources
    forget_mastery(user)
    with (
        time_machine.travel(NOW, tick=False),
        django_capture_on_commit_callbacks() as announced,
    ):
        moved = mastery_recompute_bulk(user=user)
    assert fold_of(user) == one_by_one
    assert sorted(moved) == sorted(one_by_one[0])
    assert len(announced) == 1  # one mastery_changed for the batch, not one per topic


def history_of(user) -> dict:
    """Each state row's simple_history rows, oldest first: (type, tracked values)."""
    tracked = [field.attname for field in MasteryRecord.history.model.tracked_fields]
    rows: dict = {}
    for row in MasteryRecord.history.filter(user=user).order_by("history_date", "history_id"):
        rows.setdefault(str(row.topic_id), []).append(
            (row.history_type, tuple(getattr(row, name) for name in tracked))
        )
    return rows


def current_values(user) -> dict:
    tracked = [field.attname for field in MasteryRecord.history.model.tracked_fields]
    return {
        str(row.topic_id): tuple(getattr(row, name) for name in tracked)
        for row in MasteryRecord.objects.filter(user=user)
    }


def test_staff_history_gets_a_row_per_created_or_changed_state_as_a_save_gives():
    user = grown_student()
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_bulk(user=user)
    created = history_of(user)
    assert created and all(
        rows == [("+", current_values(user)[topic_id])] for topic_id, rows in created.items()
    )
    # New evidence on one topic, an hour later: that row changes, and only its history grows.
    step = MasteryObservation.objects.filter(user=user).order_by("topic_id", "sequence").first()
    PerformanceRecord.objects.create(
        user=user,
        course=step.topic.course,
        score=1,
        percentage=10,
        time_spent_min=10,
        completed_at=NOW - timedelta(minutes=5),
        topic_breakdown={str(step.topic_id): {"correct": 1, "total": 10, "time_min": 10}},
    )
    later = NOW + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        assert mastery_recompute_bulk(user=user) == [str(step.topic_id)]
    changed = history_of(user)
    topic_key = str(step.topic_id)
    assert changed[topic_key] == [*created[topic_key], ("~", current_values(user)[topic_key])]
    assert {key: rows for key, rows in changed.items() if key != topic_key} == {
        key: rows for key, rows in created.items() if key != topic_key
    }
    record = MasteryRecord.objects.get(user=user, topic_id=step.topic_id)
    assert record.updated_at == later  # as a save() stamps it
    assert record.created_at == NOW


def test_history_rows_name_the_staff_user_when_a_request_is_there():
    user = grown_student()
    staff = UserFactory(is_staff=True)
    HistoricalRecords.context.request = RequestFactory().get("/admin/")
    HistoricalRecords.context.request.user = staff
    try:
        with time_machine.travel(NOW, tick=False):
            mastery_recompute_bulk(user=user)
    finally:
        del HistoricalRecords.context.request
    assert set(MasteryRecord.history.filter(user=user).values_list("history_user", flat=True)) == {
        staff.pk
    }


def test_late_evidence_rewrites_each_history_from_its_first_change_only():
    user = grown_student()
    mixed_evidence(user, random.Random(5))
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_bulk(user=user)
    kept_before = {
        (topic_id, sequence): pk
        for pk, topic_id, sequence in MasteryObservation.objects.filter(user=user).values_list(
            "pk", "topic_id", "sequence"
        )
    }
    # A grade dated in the middle of one topic's history, and one record deleted elsewhere.
    history: dict = {}
    for observation in MasteryObservation.objects.filter(user=user).order_by(
        "topic_id", "sequence"
    ):
        history.setdefault(observation.topic_id, []).append(observation)
    step = next(
        steps[3]
        for steps in history.values()
        if len(steps) > 4 and steps[2].observed_at < steps[3].observed_at
    )
    late = PerformanceRecord.objects.create(
        user=user,
        course=step.topic.course,
        score=3,
        percentage=30,
        time_spent_min=10,
        completed_at=step.observed_at
        - (step.observed_at - history[step.topic_id][2].observed_at) / 2,
        topic_breakdown={str(step.topic_id): {"correct": 3, "total": 10, "time_min": 10}},
    )
    on_step_topic = {observation.performance_record_id for observation in history[step.topic_id]}
    gone = next(
        steps[1]
        for topic_id, steps in history.items()
        if topic_id != step.topic_id
        and len(steps) > 2
        and steps[1].performance_record_id not in on_step_topic
    )
    touched = {step.topic_id} | set(
        MasteryObservation.objects.filter(
            performance_record_id=gone.performance_record_id
        ).values_list("topic_id", flat=True)
    )
    gone.performance_record.delete()  # its steps go with it, as on a real delete
    with time_machine.travel(NOW, tick=False):
        moved = mastery_recompute_bulk(user=user)
    assert {str(step.topic_id), str(gone.topic_id)} <= set(moved)
    after = fold_of(user)
    kept_after = {
        (topic_id, sequence): pk
        for pk, topic_id, sequence in MasteryObservation.objects.filter(user=user).values_list(
            "pk", "topic_id", "sequence"
        )
    }
    # Steps before the first change are the same rows; the late grade is step 4 of its topic.
    assert kept_after[(step.topic_id, 3)] == kept_before[(step.topic_id, 3)]
    assert kept_after[(step.topic_id, 4)] != kept_before[(step.topic_id, 4)]
    assert after[1][str(step.topic_id)][3][1] == late.pk
    assert kept_after[(gone.topic_id, 1)] == kept_before[(gone.topic_id, 1)]
    untouched = [key for key in kept_before if key[0] not in touched]
    assert untouched and all(kept_after[key] == kept_before[key] for key in untouched)
    assert after == per_topic_fold(user)


def test_a_fold_of_some_topics_equals_the_per_topic_fold():
    user = grown_student()
    mixed_evidence(user, random.Random(3))
    some = list(
        user.courses.order_by("code").first().topics.order_by("pk").values_list("pk", flat=True)
    )[:3]
    with time_machine.travel(NOW, tick=False):
        mastery_recompute_bulk(user=user)
        # New evidence on the chosen topics only, folded in bulk for those topics alone; the
        # rollup then reads the rest of the course's history from the database.
        PerformanceRecord.objects.bulk_create(
            PerformanceRecord(
                user=user,
                course_id=user.courses.order_by("code").first().pk,
                score=90,
                percentage=90,
                time_spent_min=10,
                completed_at=NOW - timedelta(hours=index + 2),
                topic_breakdown={str(topic_id): {"correct": 9, "total": 10, "time_min": 10}},
            )
            for index, topic_id in enumerate(some)
        )
        assert sorted(mastery_recompute_bulk(user=user, topic_ids=some)) == sorted(
            str(topic_id) for topic_id in some
        )
    assert fold_of(user) == per_topic_fold(user)


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
    forget_mastery(user)
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
        mastery_recompute_bulk(user=user)
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_the_records():
    # PostgreSQL inserts the history in one statement of column arrays. SQLite runs one
    # prepared INSERT once per row in-process (executemany: Django counts it once, and there
    # is no round trip per row to save); its 999-parameter limit only splits the per-topic
    # rows, so its count grows with the topics, not with the records.
    user = grown_student()
    few = recompute_queries(user)
    steps_before = MasteryObservation.objects.filter(user=user).count()
    grown_student(replace(SIZE, records=SIZE.records * 4), user=user)
    many = recompute_queries(user)
    assert MasteryObservation.objects.filter(user=user).count() > 3 * steps_before
    assert many == few
