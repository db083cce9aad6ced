from datetime import date, timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from courses.models import Assessment, AssessmentTopic, AssessmentType, Course, Topic


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Course {n}")
    code = factory.Sequence(lambda n: f"CRS {1000 + n}")
    semester = "Fall 2026"
    start_date = date(2026, 8, 24)
    end_date = date(2026, 12, 18)
    credit_hours = 3.0


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
    order_index = factory.Sequence(lambda n: n)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    course = factory.SubFactory(CourseFactory)
    name = factory.Sequence(lambda n: f"Quiz {n}")
    type = AssessmentType.QUIZ
    weight_percent = 10.0
    due_date = factory.LazyFunction(lambda: timezone.now() + timedelta(days=10))


class AssessmentTopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentTopic

    assessment = factory.SubFactory(AssessmentFactory)
    topic = factory.SubFactory(TopicFactory)
