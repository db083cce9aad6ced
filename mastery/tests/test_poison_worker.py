"""No poison task: extreme values that reached the database before the input bounds
go through a real worker, and the student's other topics still get their mastery.

The records are written with the ORM, as old rows or another writer would have left them: the
API now refuses every one of these values (planner/tests/test_hostile_input.py).
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.failed_tasks import FailedTask
from accounts.tasking import publish
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import tasks
from mastery.models import MasteryRecomputeRequest, MasteryRecord, PerformanceRecord
from mastery.tests.test_worker import wait_for

pytestmark = pytest.mark.services

# The probe's extreme values that a column can hold: year 1 and year 9999 (which have no local
# time west or east of UTC), and the largest minutes an `integer` column stores.
EXTREME_RECORDS = [
    {"completed_at": datetime(1, 1, 1, tzinfo=UTC)},
    {"completed_at": datetime(9999, 12, 31, 23, 59, tzinfo=UTC)},
    {"time_spent_min": 2**31 - 1},
    {"score": 10**12, "max_score": 10**12},
    {"topic_breakdown_total": 2**62},
]


def worker_is_idle(celery_app) -> bool:
    """Nothing queued and nothing running: the test's flush would otherwise race the replan
    that a mastery change sends (a deadlock on TRUNCATE)."""
    with celery_app.connection_for_write() as connection:
        client = connection.channel().client
        if any(client.llen(queue) for queue in ("mastery", "planning", "sync", "celery")):
            return False
    active = celery_app.control.inspect(timeout=1).active() or {}
    return not any(active.values())


def record(topic, *, completed_at=None, time_spent_min=20, score=7, max_score=10, **extra):
    total = extra.get("topic_breakdown_total", 10)
    return PerformanceRecord.objects.create(
        user=topic.course.user,
        course=topic.course,
        score=score,
        max_score=max_score,
        percentage=score / max_score * 100,
        time_spent_min=time_spent_min,
        completed_at=completed_at or timezone.now() - timedelta(hours=1),
        topic_breakdown={str(topic.pk): {"correct": total // 2, "total": total}},
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("zone", ["Pacific/Pago_Pago", "Pacific/Kiritimati"])
def test_extreme_records_do_not_stop_mastery_of_other_topics(
    require_redis, require_postgres, celery_broker, worker_log, user, zone
):
    user.timezone = zone  # UTC-11 and UTC+14: year 1 and year 9999 fall off the calendar
    user.save()
    course = CourseFactory(user=user)
    poisoned = [TopicFactory(course=course) for _ in EXTREME_RECORDS]
    healthy = TopicFactory(course=course)
    for topic, values in zip(poisoned, EXTREME_RECORDS, strict=True):
        record(topic, **values)
    record(healthy, score=9)
    topic_ids = sorted(str(topic.pk) for topic in [*poisoned, healthy])
    for topic_id in topic_ids:
        MasteryRecomputeRequest.objects.create(user=user, topic_id=topic_id)

    assert publish(tasks.recompute_topics, str(user.pk), topic_ids, None)

    assert wait_for(lambda: MasteryRecord.objects.filter(topic=healthy).exists()), worker_log()
    assert MasteryRecord.objects.get(topic=healthy).observation_count == 1
    # Every request was answered or dropped: the sweep has nothing left to resend.
    assert wait_for(lambda: not MasteryRecomputeRequest.objects.filter(user=user).exists()), (
        worker_log()
    )
    assert wait_for(lambda: worker_is_idle(celery_broker)), worker_log()


@pytest.mark.django_db(transaction=True)
def test_a_task_that_fails_for_good_is_recorded_counted_and_not_resent(
    require_redis, require_postgres, celery_broker, worker_log, user
):
    topic = TopicFactory(course=CourseFactory(user=user))
    # Waiting since a minute before: the worker drops requests made up to its own "now", and it
    # is another process whose clock was seen (under load) to trail this one's by seconds.
    MasteryRecomputeRequest.objects.create(
        user=user, topic=topic, requested_at=timezone.now() - timedelta(minutes=1)
    )
    # Not a uuid: the lookup fails the same way on every attempt.
    assert publish(tasks.recompute_topics, str(user.pk), [str(topic.pk), "not-a-uuid"], None)

    assert wait_for(lambda: FailedTask.objects.exists()), worker_log()
    failure = FailedTask.objects.get()
    assert failure.task_name == "mastery.tasks.recompute_topics"
    assert failure.args[0] == str(user.pk)
    assert failure.error_type == "ValidationError"
    assert wait_for(lambda: not MasteryRecomputeRequest.objects.filter(user=user).exists()), (
        f"requests left: {list(MasteryRecomputeRequest.objects.values_list('requested_at'))}, "
        f"test clock {timezone.now()}\n{worker_log()}"
    )

    readiness = Client().get("/readyz").json()
    assert readiness["failed_tasks_last_day"] == 1
    assert wait_for(lambda: worker_is_idle(celery_broker)), worker_log()
