"""The evidence counts the fold keeps on each MasteryRecord equal what its history says: every
fold path (one record on top, a full refold, the bulk recompute) keeps them, and the migration
that added them filled them from the history already stored."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db.models import Count, Max, Q, Sum
from django.test import TestCase

from courses.tests.factories import (
    AssessmentFactory,
    AssessmentTopicFactory,
    CourseFactory,
    TopicFactory,
)
from mastery.models import EVIDENCE_COLUMNS, EvidenceSource, MasteryObservation, MasteryRecord
from mastery.services import performance_record_create, performance_record_create_self_rating
from mastery.services.bulk import mastery_recompute_bulk
from mastery.tests.quiz_factories import give_evidence

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _from_history(user, topic) -> dict:
    """The counts as the history defines them, aggregated over every stored step."""
    self_rating = Q(performance_record__source=EvidenceSource.SELF_RATING)
    row = MasteryObservation.objects.filter(user=user, topic=topic).aggregate(
        evidence_answers=Sum("question_count", filter=~self_rating, default=0),
        evidence_grades=Count("id", filter=~self_rating & Q(question_count=0)),
        evidence_self_ratings=Count("id", filter=self_rating),
        evidence_last_at=Max("observed_at"),
    )
    return row


def _stored(user, topic) -> dict:
    return MasteryRecord.objects.filter(user=user, topic=topic).values(*EVIDENCE_COLUMNS).get()


def _grade_without_item_counts(user, topic, *, at):
    assessment = AssessmentFactory(course=topic.course)
    AssessmentTopicFactory(assessment=assessment, topic=topic)
    with TestCase.captureOnCommitCallbacks(execute=True):
        performance_record_create(
            user=user,
            course=topic.course,
            assessment=assessment,
            score=70.0,
            max_score=100.0,
            time_spent_min=60,
            completed_at=at,
            source=EvidenceSource.MANUAL,
        )


def test_every_fold_path_keeps_the_counts_the_history_gives(user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course, name="Limits")
    give_evidence(user, topic, correct=2, total=3, at=NOW - timedelta(days=20))
    # In order: each of these folds one step on top of the stored state.
    give_evidence(user, topic, correct=4, total=5, at=NOW - timedelta(days=10))
    with TestCase.captureOnCommitCallbacks(execute=True):
        performance_record_create_self_rating(
            user=user,
            course=course,
            topics=[topic],
            rating=4,
            time_spent_min=30,
            completed_at=NOW - timedelta(days=5),
        )
    # Older than the last step: the whole history is folded again.
    give_evidence(user, topic, correct=1, total=4, at=NOW - timedelta(days=30))
    _grade_without_item_counts(user, topic, at=NOW - timedelta(days=2))

    expected = {
        "evidence_answers": 3 + 5 + 4,
        "evidence_grades": 1,
        "evidence_self_ratings": 1,
        "evidence_last_at": NOW - timedelta(days=2),
    }
    assert _from_history(user, topic) == expected
    assert _stored(user, topic) == expected

    MasteryRecord.objects.filter(user=user).update(evidence_answers=0, evidence_last_at=None)
    mastery_recompute_bulk(user=user)
    assert _stored(user, topic) == expected


def test_another_students_evidence_is_not_counted(user, other_user):
    topic = TopicFactory(course=CourseFactory(user=user))
    other_topic = TopicFactory(course=CourseFactory(user=other_user))
    give_evidence(user, topic, correct=2, total=3, at=NOW - timedelta(days=3))
    give_evidence(other_user, other_topic, correct=5, total=9, at=NOW - timedelta(days=1))
    assert _stored(user, topic)["evidence_answers"] == 3
    assert _stored(other_user, other_topic)["evidence_answers"] == 9


def test_the_migration_fills_the_counts_from_the_stored_history(user):
    course = CourseFactory(user=user)
    topic = TopicFactory(course=course)
    give_evidence(user, topic, correct=2, total=3, at=NOW - timedelta(days=9))
    give_evidence(user, topic, correct=3, total=6, at=NOW - timedelta(days=4))
    _grade_without_item_counts(user, topic, at=NOW - timedelta(days=1))
    expected = _stored(user, topic)
    MasteryRecord.objects.filter(user=user).update(
        evidence_answers=0, evidence_grades=0, evidence_self_ratings=0, evidence_last_at=None
    )
    migration = importlib.import_module("mastery.migrations.0009_mastery_record_evidence_counts")

    migration.fill_evidence_counts(django_apps, None)

    assert _stored(user, topic) == expected == _from_history(user, topic)
    assert expected["evidence_answers"] == 9
    assert expected["evidence_grades"] == 1
