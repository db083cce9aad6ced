"""Students and rows for the notification tests, built through factories and services."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from accounts.services import notification_settings_update
from accounts.tests.factories import UserFactory
from courses.tests.factories import CourseFactory
from scheduling.tests.factories import StudyTaskFactory

CHICAGO = "America/Chicago"


def student(*, zone: str = CHICAGO, daily_at: time = time(7, 0), verified=True, **settings):
    user = UserFactory(timezone=zone, verified=verified)
    notification_settings_update(user=user, daily_plan_time=daily_at, **settings)
    return user


def block(
    user, *, start: datetime, minutes: int = 50, title: str = "Read chapter 3", code="BIO 101"
):
    course = CourseFactory(user=user, code=code)
    return StudyTaskFactory(
        course=course,
        user=user,
        title=title,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
    )


@pytest.fixture(autouse=True)
def eager_tasks(monkeypatch):
    """Deliveries asked for after commit run in this process, whatever the broker settings."""
    from planner.celery import app

    monkeypatch.setattr(app.conf, "task_always_eager", True)
