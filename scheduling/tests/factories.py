from datetime import timedelta

import factory
from django.utils import timezone

from courses.tests.factories import CourseFactory
from mastery.models import MasteryRecord
from scheduling.models import DailyCheckIn, StudyTask, TaskStatus


class StudyTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StudyTask

    course = factory.SubFactory(CourseFactory)
    user = factory.SelfAttribute("course.user")
    title = factory.Sequence(lambda n: f"Study block {n}")
    task_type = "reading"
    difficulty = "medium"
    estimated_duration_min = 50
    scheduled_start = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
    scheduled_end = factory.LazyAttribute(
        lambda t: (
            t.scheduled_start + timedelta(minutes=t.estimated_duration_min)
            if t.scheduled_start
            else None
        )
    )
    status = TaskStatus.SCHEDULED
    reason = "10% of Quiz on Dec 1 · mastery 40 ± 10 · 5 days left"
    work_key = factory.Sequence(lambda n: f"study:test:{n}")


class MasteryRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MasteryRecord

    user = factory.SelfAttribute("topic.course.user")
    mastery_score = 50.0
    confidence_interval = 10.0
    last_practiced_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))


class DailyCheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DailyCheckIn

    date = factory.LazyFunction(lambda: timezone.localdate())
    difficulty = 3
    time_burden = 3
