from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from courses.models import Assessment, Course, Topic
from journey.demo import DEMO_EMAIL, DEMO_TIMEZONE, current_semester
from mastery.models import PerformanceRecord
from scheduling.models import StudyTask
from scheduling.selectors import streak_for

# Only the tests that build the demo at the session's "now" are under `clock`; the others pin
# their own instants, so running them again at `make test-clock`'s would only repeat them.
pytestmark = pytest.mark.django_db


def counts():
    return (
        User.objects.count(),
        Course.objects.count(),
        Topic.objects.count(),
        Assessment.objects.count(),
        PerformanceRecord.objects.count(),
    )


@pytest.mark.clock
def test_seed_demo_builds_a_realistic_student_once():
    now = timezone.now()  # the session's: `make test-clock` runs this at its three instants
    call_command("seed_demo", now=now.isoformat())
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
    assert_dated_from(user, now)


# The instants of `make test-clock`: Sunday night in the demo's zone, the US spring-forward
# morning and the last minute of the year in UTC.
INSTANTS = [
    datetime(2026, 12, 6, 23, 30, tzinfo=ZoneInfo("America/Chicago")),
    datetime(2027, 3, 14, 3, 30, tzinfo=ZoneInfo("America/Chicago")),
    datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
]


def assert_dated_from(user, now: datetime) -> None:
    """Every date of the demo follows from `now` in the student's zone."""
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).date()
    semester, start, end = current_semester(today)
    assert set(Course.objects.for_user(user).values_list("semester", "start_date", "end_date")) == {
        (semester, start, end)
    }
    for assessment in Assessment.objects.filter(course__user=user):
        assert assessment.due_date.astimezone(zone).time() == time(23, 59)
        assert assessment.is_completed == (assessment.due_date < now)
        assert assessment.performance_records.exists() == assessment.is_completed
    practice_days = {
        record.completed_at.astimezone(zone).date()
        for record in PerformanceRecord.objects.for_user(user).filter(assessment__isnull=True)
    }
    assert practice_days
    assert all(2 <= (today - day).days <= 41 for day in practice_days)
    # Nothing yesterday or today: the dashboard opens on a streak of 0 at any hour.
    assert streak_for(user, now=now).current == 0
    assert StudyTask.objects.for_user(user).exists()
    assert not StudyTask.objects.for_user(user).filter(scheduled_start__lt=now).exists()


def demo_snapshot(user) -> dict:
    """The demo's content without its primary keys, to compare two builds.

    The plan is left out: the planner breaks ties between equal blocks by their random ids, so
    two builds may swap two blocks of the same length (a planner matter, not the demo's data).
    """
    topic_names = {
        str(pk): name for pk, name in Topic.objects.for_user(user).values_list("pk", "name")
    }
    return {
        "courses": sorted(
            Course.objects.for_user(user).values_list("code", "semester", "start_date", "end_date")
        ),
        "assessments": sorted(
            Assessment.objects.filter(course__user=user).values_list(
                "course__code", "name", "due_date", "is_completed"
            )
        ),
        "records": sorted(
            (
                record.course.code,
                record.completed_at,
                record.score,
                sorted(
                    (topic_names[pk], tuple(v.values())) for pk, v in record.topic_breakdown.items()
                ),
            )
            for record in PerformanceRecord.objects.for_user(user).select_related("course")
        ),
    }


def test_the_same_instant_always_gives_the_same_demo():
    with time_machine.travel(INSTANTS[0], tick=False):
        call_command("seed_demo")
        first = demo_snapshot(User.objects.get(email=DEMO_EMAIL))
        User.objects.filter(email=DEMO_EMAIL).delete()
    with time_machine.travel(INSTANTS[0] + timedelta(minutes=20), tick=False):
        call_command("seed_demo", now=INSTANTS[0].isoformat())
        again = demo_snapshot(User.objects.get(email=DEMO_EMAIL))
    assert first["records"]
    assert again == first


@pytest.mark.parametrize("instant", INSTANTS, ids=["sunday-night", "spring-forward", "new-year"])
def test_the_demo_is_dated_from_now_in_the_students_zone(instant):
    with time_machine.travel(instant, tick=False):
        call_command("seed_demo")
        assert_dated_from(User.objects.get(email=DEMO_EMAIL), instant)


def test_seed_demo_refuses_an_instant_without_an_offset():
    with pytest.raises(CommandError, match="offset"):
        call_command("seed_demo", now="2026-12-06T23:30:00")
    assert not User.objects.filter(email=DEMO_EMAIL).exists()


@pytest.mark.parametrize(
    ("today", "semester"),
    [
        (date(2027, 1, 1), "Spring 2027"),
        (date(2027, 5, 8), "Spring 2027"),
        (date(2027, 5, 9), "Summer 2027"),
        (date(2027, 8, 10), "Fall 2027"),
        (date(2026, 12, 18), "Fall 2026"),
        (date(2026, 12, 19), "Spring 2027"),
        (date(2026, 12, 31), "Spring 2027"),
    ],
)
def test_the_semester_is_the_current_one_or_the_next_once_it_has_ended(today, semester):
    name, start, end = current_semester(today)
    assert name == semester
    assert today <= end
    assert start < end
