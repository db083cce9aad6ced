import factory
from django.utils import timezone

from courses.tests.factories import CourseFactory
from mastery.models import PerformanceRecord


class PerformanceRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PerformanceRecord

    course = factory.SubFactory(CourseFactory)
    user = factory.SelfAttribute("course.user")
    score = 80.0
    max_score = 100.0
    time_spent_min = 30
    completed_at = factory.LazyFunction(timezone.now)
