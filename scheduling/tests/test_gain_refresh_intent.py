"""The `actual_mastery_gain` refresh is a durable intent (accounts/tasking.py), like the replan
and the recompute: when its publish is lost (a broker that is really not there), the request
row stays, and the sweep fills the gain once the grace has passed, exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.tasking import pending_grace
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import MasteryObservation
from mastery.services import mastery_recompute_topics
from planner.testing.services import free_port, publishing_to
from scheduling import tasks
from scheduling.models import GainRefreshRequest, StudyTask, TaskStatus
from scheduling.services.gains import study_task_gains_refresh_enqueue
from scheduling.tests.factories import StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOW = datetime(2026, 9, 7, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def broker_down_ctx():
    """This process publishes to a port nobody listens on, as in a broker outage."""
    return publishing_to(f"redis://127.0.0.1:{free_port()}/0")


def _rate(api_client, topic, *, score, at):
    response = api_client.post(
        "/api/performance",
        {
            "course": str(topic.course_id),
            "score": score,
            "max_score": 10,
            "time_spent_min": 20,
            "completed_at": at.isoformat(),
            "topic_breakdown": {str(topic.pk): {"correct": score, "total": 10, "time_min": 20}},
        },
        format="json",
    )
    assert response.status_code == 201, response.content


def _age_requests(by: timedelta) -> None:
    GainRefreshRequest.objects.update(requested_at=timezone.now() - by)


def test_a_lost_gain_refresh_is_resent_by_the_sweep_after_the_grace(
    api_client, user, django_capture_on_commit_callbacks
):
    topic = TopicFactory(course=CourseFactory(user=user))
    # Evidence before the block (eager: folded at once), so there is a mastery to measure from.
    with django_capture_on_commit_callbacks(execute=True):
        _rate(api_client, topic, score=4, at=NOW - timedelta(days=2))
    block = StudyTaskFactory(
        course=topic.course,
        topic_ids=[str(topic.pk)],
        scheduled_start=NOW - timedelta(hours=2),
        scheduled_end=NOW - timedelta(hours=1),
        status=TaskStatus.COMPLETED,
        actual_start=NOW - timedelta(hours=2),
    )
    with broker_down_ctx(), django_capture_on_commit_callbacks(execute=True):
        _rate(api_client, topic, score=9, at=NOW - timedelta(minutes=30))
        # The worker folds the new grade; its follow-up publish (the gain refresh) is lost.
        mastery_recompute_topics(user=user, topic_ids=[topic.pk])
    assert list(GainRefreshRequest.objects.values_list("topic_id", flat=True)) == [topic.pk]
    block.refresh_from_db()
    assert block.actual_mastery_gain is None

    _age_requests(pending_grace() - timedelta(seconds=30))
    assert tasks.gain_refresh_pending_sweep() == []
    block.refresh_from_db()
    assert block.actual_mastery_gain is None

    _age_requests(pending_grace() + timedelta(seconds=30))
    assert tasks.gain_refresh_pending_sweep() == [str(user.pk)]
    block.refresh_from_db()
    after = (
        MasteryObservation.objects.filter(user=user, observed_at__gte=block.actual_start)
        .order_by("sequence")
        .first()
    )
    expected = after.mastery_after - after.mastery_before
    assert expected > 0
    assert block.actual_mastery_gain == pytest.approx(expected, abs=1e-3)
    assert not GainRefreshRequest.objects.exists()
    assert tasks.gain_refresh_pending_sweep() == []


def test_a_refresh_answers_only_its_own_users_requests(user, other_user):
    mine = TopicFactory(course=CourseFactory(user=user))
    theirs = TopicFactory(course=CourseFactory(user=other_user))
    # Outside a committing transaction the publish never runs: as after a broker outage.
    study_task_gains_refresh_enqueue(user_id=user.pk, topic_ids=[mine.pk])
    study_task_gains_refresh_enqueue(user_id=other_user.pk, topic_ids=[theirs.pk])
    # Another user's topic id never becomes a request row of this user.
    study_task_gains_refresh_enqueue(user_id=user.pk, topic_ids=[theirs.pk])
    assert GainRefreshRequest.objects.filter(user=user).count() == 1
    _age_requests(pending_grace() + timedelta(seconds=1))
    assert tasks.refresh_mastery_gains(str(user.pk), [str(mine.pk)]) == []
    assert list(GainRefreshRequest.objects.values_list("user_id", flat=True)) == [other_user.pk]
    assert not StudyTask.objects.exists()
