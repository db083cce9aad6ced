"""A slot's daily emails cost a fixed number of queries per batch, however many students."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.tests.factories import AssessmentFactory, TopicFactory
from journey.notifications import sweeps
from journey.notifications.kinds import NotificationKind
from journey.notifications.models import Notification
from journey.tests.notify_helpers import block, student
from scheduling.tests.factories import MasteryRecordFactory

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

SEVEN_CDT = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)


def populate(count: int) -> None:
    for _ in range(count):
        user = student()
        task = block(user, start=SEVEN_CDT + timedelta(hours=10))
        AssessmentFactory(course=task.course, due_date=SEVEN_CDT + timedelta(days=3))
        MasteryRecordFactory(
            topic=TopicFactory(course=task.course), next_review_date=SEVEN_CDT.date()
        )


def slot_queries() -> int:
    with time_machine.travel(SEVEN_CDT, tick=False), CaptureQueriesContext(connection) as captured:
        run = sweeps.slot_run(kind=NotificationKind.DAILY_PLAN, end=SEVEN_CDT, batch=50)
    assert not run.is_batch_full
    return len(captured)


def test_daily_slot_queries_do_not_grow_with_students(settings):
    # Deliveries are published after commit, which this test never reaches: only preparing
    # and saving are counted.
    populate(1)
    one = slot_queries()
    Notification.objects.all().delete()
    populate(6)
    seven = slot_queries()
    assert Notification.objects.filter(kind=NotificationKind.DAILY_PLAN).count() == 7
    assert seven == one
    bodies = Notification.objects.values_list("body", flat=True)
    assert all("Reviews due: 1" in body and "Next deadline:" in body for body in bodies)
