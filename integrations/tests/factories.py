from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.models import Difficulty
from courses.tests.factories import CourseFactory, TopicFactory
from integrations.models import CalendarBlock, IntegrationSettings, NotionTask
from scheduling.models import StudyTask, TaskStatus, TaskType


class StudyTaskFactory(factory.django.DjangoModelFactory):
    """A scheduled block as the planner leaves it: one task, one time range."""

    class Meta:
        model = StudyTask
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory, user=factory.SelfAttribute("..user"))
    title = factory.Sequence(lambda n: f"Practice set {n}")
    description = "Work the odd-numbered problems."
    task_type = TaskType.PROBLEM_SET
    difficulty = Difficulty.MEDIUM
    estimated_duration_min = 50
    status = TaskStatus.SCHEDULED
    reason = "The midterm is in 9 days and this topic is at 40% mastery."
    scheduled_start = factory.Sequence(
        lambda n: (
            timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1, hours=n)
        )
    )
    scheduled_end = factory.LazyAttribute(lambda task: task.scheduled_start + timedelta(minutes=50))

    @factory.post_generation
    def with_topic(self, create, extracted, **kwargs):
        if create and extracted:
            topic = TopicFactory(
                course=self.course,
                name=extracted,
                resource_links=[{"type": "video", "url": "https://example.org/lecture"}],
            )
            self.topic_ids = [str(topic.pk)]
            self.save(update_fields=["topic_ids"])


class IntegrationSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntegrationSettings

    user = factory.SubFactory(UserFactory)


class CalendarBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CalendarBlock

    study_task = factory.SubFactory(StudyTaskFactory)
    user = factory.SelfAttribute("study_task.user")
    start_time = factory.SelfAttribute("study_task.scheduled_start")
    end_time = factory.SelfAttribute("study_task.scheduled_end")


class NotionTaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NotionTask

    study_task = factory.SubFactory(StudyTaskFactory)
    user = factory.SelfAttribute("study_task.user")
    notion_database_id = "db"
