import uuid
from datetime import timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks
from mastery.models import MasteryObservation, MasteryRecord, PerformanceRecord
from mastery.services import performance_record_create
from mastery.signals import mastery_changed
from planner.celery import app as celery_app

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


@pytest.fixture
def topic(user):
    return TopicFactory(course=CourseFactory(user=user))


def make_record(user, topic, correct=7):
    return PerformanceRecord.objects.create(
        user=user,
        course=topic.course,
        score=correct,
        max_score=10,
        time_spent_min=5,
        completed_at=timezone.now() - timedelta(days=1),
        topic_breakdown={str(topic.pk): {"correct": correct, "total": 10, "time_min": 5}},
    )


def test_task_is_routed_to_the_mastery_queue_with_delivery_settings():
    route = celery_app.amqp.router.route({}, tasks.recompute_topics.name)
    assert route["queue"].name == "mastery"
    assert tasks.recompute_topics.acks_late is True
    assert tasks.recompute_topics.reject_on_worker_lost is True
    assert 0 < tasks.recompute_topics.soft_time_limit < tasks.recompute_topics.time_limit


def test_task_returns_quietly_when_rows_are_gone(user, topic):
    assert tasks.recompute_topics.delay(str(uuid.uuid4()), [str(topic.pk)]).get() == []
    assert tasks.recompute_topics.delay(str(user.pk), [str(uuid.uuid4())]).get() == []
    assert not MasteryRecord.objects.exists()


def test_task_recomputes_announces_and_is_idempotent(
    user, topic, django_capture_on_commit_callbacks
):
    make_record(user, topic)
    received = []

    def receiver(sender, user_id, topic_ids, **kwargs):
        received.append((user_id, topic_ids))

    mastery_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            first = tasks.recompute_topics.delay(str(user.pk), [str(topic.pk)]).get()
        steps = list(MasteryObservation.objects.values_list("pk", flat=True))
        with django_capture_on_commit_callbacks(execute=True):
            redelivered = tasks.recompute_topics.delay(str(user.pk), [str(topic.pk)]).get()
    finally:
        mastery_changed.disconnect(receiver)
    assert first == [str(topic.pk)]
    assert redelivered == []
    assert received == [(str(user.pk), [str(topic.pk)])]
    assert list(MasteryObservation.objects.values_list("pk", flat=True)) == steps


def test_create_enqueues_on_commit_only(user, topic, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.recompute_topics, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            record = performance_record_create(
                user=user,
                course=topic.course,
                score=5,
                max_score=10,
                time_spent_min=5,
                topic_breakdown={str(topic.pk): {"correct": 5, "total": 10}},
            )
            assert not delay.called
        assert len(callbacks) == 1
        delay.assert_called_once_with(str(user.pk), [str(topic.pk)], str(record.pk))


def test_rolled_back_create_enqueues_nothing(user, topic, django_capture_on_commit_callbacks):
    with mock.patch.object(tasks.recompute_topics, "delay") as delay:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            performance_record_create(
                user=user, course=topic.course, score=5, max_score=10, time_spent_min=5
            )
            raise RuntimeError("roll back")
        assert callbacks == []
        assert not delay.called


def test_recompute_mastery_command_backfills_one_user_or_all(user, other_user, topic):
    from io import StringIO

    from django.core.management import CommandError, call_command

    make_record(user, topic)
    other_topic = TopicFactory(course=CourseFactory(user=other_user))
    make_record(other_user, other_topic)

    out = StringIO()
    call_command("recompute_mastery", "--user", user.email.upper(), stdout=out)
    assert MasteryRecord.objects.filter(user=user).count() == 1
    assert not MasteryRecord.objects.filter(user=other_user).exists()
    assert "moved on 1 topic" in out.getvalue()

    call_command("recompute_mastery", stdout=StringIO())
    assert MasteryRecord.objects.filter(user=other_user).count() == 1
    with pytest.raises(CommandError):
        call_command("recompute_mastery", "--user", "nobody@example.org")


def test_admin_action_recomputes_through_the_service(admin_client, user, topic):
    from django.urls import reverse

    record = make_record(user, topic)
    response = admin_client.post(
        reverse("admin:mastery_performancerecord_changelist"),
        {"action": "recompute_mastery", "_selected_action": [str(record.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    mastery = MasteryRecord.objects.get(user=user, topic=topic)
    assert mastery.observation_count == 1

    PerformanceRecord.objects.filter(pk=record.pk).update(score=1)
    record.topic_breakdown[str(topic.pk)]["correct"] = 1
    PerformanceRecord.objects.filter(pk=record.pk).update(topic_breakdown=record.topic_breakdown)
    admin_client.post(
        reverse("admin:mastery_masteryrecord_changelist"),
        {"action": "recompute_mastery", "_selected_action": [str(mastery.pk)]},
        follow=True,
    )
    assert MasteryRecord.objects.get(pk=mastery.pk).mastery_score < mastery.mastery_score


def test_daily_rollups_rebuild_by_command_and_admin_action(admin_client, user, other_user, topic):
    """The stats chart's rollup is derived data: lost or damaged, it is rebuilt from the history,
    one student at a time."""
    from django.urls import reverse

    from mastery.models import CourseMasteryDay

    other_topic = TopicFactory(course=CourseFactory(user=other_user))
    for student, student_topic in ((user, topic), (other_user, other_topic)):
        make_record(student, student_topic)
        call_command("recompute_mastery", "--user", student.email, stdout=StringIO())
    rollup = CourseMasteryDay.objects.get(user=user)
    expected = (rollup.day, rollup.mean_mastery, rollup.topic_count)
    other_before = list(CourseMasteryDay.objects.filter(user=other_user).values_list("pk", "day"))

    CourseMasteryDay.objects.filter(user=user).update(mean_mastery=3.0)
    call_command("rebuild_rollups", "--user", user.email, stdout=StringIO())
    rebuilt = CourseMasteryDay.objects.get(user=user)
    assert (rebuilt.day, rebuilt.mean_mastery, rebuilt.topic_count) == expected

    CourseMasteryDay.objects.filter(user=user).update(mean_mastery=3.0)
    response = admin_client.post(
        reverse("admin:mastery_coursemasteryday_changelist"),
        {"action": "rebuild_rollups", "_selected_action": [str(rebuilt.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert CourseMasteryDay.objects.get(user=user).mean_mastery == expected[1]
    # The other student's rows were neither read into nor rewritten.
    assert (
        list(CourseMasteryDay.objects.filter(user=other_user).values_list("pk", "day"))
        == other_before
    )
