import pytest
from django.core.management import call_command

from accounts.models import User
from courses.models import Assessment, Course, Topic
from journey.demo import DEMO_EMAIL
from mastery.models import PerformanceRecord

pytestmark = pytest.mark.django_db


def counts():
    return (
        User.objects.count(),
        Course.objects.count(),
        Topic.objects.count(),
        Assessment.objects.count(),
        PerformanceRecord.objects.count(),
    )


def test_seed_demo_builds_a_realistic_student_once():
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first

    user = User.objects.get(email=DEMO_EMAIL)
    courses = list(Course.objects.for_user(user).with_weights_total())
    assert len(courses) == 4
    for course in courses:
        assert 6 <= course.topics.count() <= 12
        assert course.weights_complete
        assert any(t.prerequisite_topic_ids for t in course.topics.all())
        for assessment in course.assessments.all():
            assert assessment.assessment_topics.exists()
    records = PerformanceRecord.objects.for_user(user)
    assert 35 <= records.count() <= 45
    assert all(record.topic_breakdown for record in records)
    prefs = user.preferences.get()
    assert prefs.weekly_availability["friday"] == [{"start": "19:00", "end": "23:00"}]
