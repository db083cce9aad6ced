"""The streak's rollup of study days: one row per local day, kept in step with the blocks and
quizzes it is counted from, recounted when the zone changes or rows are deleted or written in
bulk, and never mixed between students."""

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from courses.tests.factories import CourseFactory
from mastery.models import EvidenceSource, PerformanceRecord
from mastery.tests.factories import PerformanceRecordFactory
from scheduling import selectors
from scheduling.models import StudyDay, StudyTask, TaskStatus
from scheduling.tests.factories import StudyTaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def course(user):
    user.timezone = "America/New_York"
    user.save()
    return CourseFactory(user=user)


def quiz(course, at, source=EvidenceSource.QUIZ):
    return PerformanceRecordFactory(course=course, completed_at=at, source=source)


def completed_block(course, end):
    return StudyTaskFactory(
        user=course.user,
        course=course,
        status=TaskStatus.COMPLETED,
        scheduled_start=end - timedelta(hours=1),
        actual_start=end - timedelta(hours=1),
        actual_end=end,
    )


def evening(day):
    return datetime(2026, 11, day, 20, 0, tzinfo=NEW_YORK)


def test_the_rollup_holds_a_row_per_day_not_per_answer(user, course):
    for day in (7, 8, 9):
        for minute in range(5):
            quiz(course, evening(day) + timedelta(minutes=minute))
    completed_block(course, evening(9))
    # A manual grade is not study done here.
    quiz(course, evening(6), source=EvidenceSource.MANUAL)

    streak = selectors.streak_for(user)

    assert (streak.current, streak.longest, streak.active_days) == (3, 3, 3)
    days = StudyDay.objects.filter(user=user)
    assert sorted(days.exclude(day=None).values_list("day", flat=True)) == [
        evening(day).date() for day in (7, 8, 9)
    ]
    assert days.filter(day=None, zone="America/New_York").count() == 1


def test_a_new_day_counts_at_once_and_a_deleted_one_is_gone(user, course):
    quiz(course, evening(9))
    assert selectors.streak_for(user).current == 1
    # This morning, before "now" (10:00 in New York).
    block = completed_block(course, datetime(2026, 11, 10, 9, 0, tzinfo=NEW_YORK))
    assert selectors.streak_for(user).current == 2

    block.delete()
    streak = selectors.streak_for(user)
    assert (streak.current, streak.active_days) == (1, 1)

    PerformanceRecord.objects.filter(user=user).delete()
    assert selectors.streak_for(user).active_days == 0


def test_a_block_no_longer_completed_stops_counting(user, course):
    block = completed_block(course, evening(9))
    assert selectors.streak_for(user).active_days == 1
    block.status = TaskStatus.SKIPPED
    block.save()
    assert selectors.streak_for(user).active_days == 0


def test_days_are_recounted_in_the_students_new_zone(user, course):
    # 20:00 in New York is 10:00 the next morning in Tokyo.
    quiz(course, evening(8))
    quiz(course, evening(9))
    assert selectors.streak_for(user).last_active.isoformat() == "2026-11-09"
    user.timezone = "Asia/Tokyo"
    user.save()
    streak = selectors.streak_for(user)
    assert streak.last_active.isoformat() == "2026-11-10"
    assert streak.current == 2
    assert set(StudyDay.objects.filter(user=user).values_list("zone", flat=True)) == {"Asia/Tokyo"}


def test_rows_written_in_bulk_are_counted_by_a_recount(user, course):
    quiz(course, evening(9))
    PerformanceRecord.objects.bulk_create(
        [
            PerformanceRecord(
                user=user,
                course=course,
                score=5,
                max_score=10,
                percentage=50,
                time_spent_min=5,
                completed_at=evening(8),
                source=EvidenceSource.QUIZ,
            )
        ]
    )
    # Bulk inserts send no row signals: the rollup says one day until it is recounted.
    assert selectors.streak_for(user).active_days == 1
    out = StringIO()
    call_command("rebuild_study_days", "--user", user.email, stdout=out)
    assert "2 study day(s)" in out.getvalue()
    assert selectors.streak_for(user).active_days == 2


def test_students_never_share_days(user, other_user, course):
    quiz(course, evening(9))
    other_course = CourseFactory(user=other_user)
    for day in (6, 7, 8, 9):
        quiz(other_course, evening(day))
    assert selectors.streak_for(user).active_days == 1
    assert selectors.streak_for(other_user).active_days == 4


def test_a_student_with_study_days_can_delete_their_account(user, course):
    completed_block(course, evening(9))
    quiz(course, evening(8))
    assert selectors.streak_for(user).active_days == 2
    user_id = user.pk
    user.delete()
    assert not StudyDay.objects.filter(user_id=user_id).exists()
    assert not StudyTask.objects.filter(user_id=user_id).exists()


def test_the_streak_costs_one_query_whatever_the_history(user, course, django_assert_num_queries):
    for day in (7, 8, 9):
        quiz(course, evening(day))
    selectors.streak_for(user)
    with django_assert_num_queries(1):
        short = selectors.streak_for(user)
    for minute in range(1, 40):
        quiz(course, evening(9) + timedelta(minutes=minute))
    with django_assert_num_queries(1):
        long = selectors.streak_for(user)
    assert short == long
