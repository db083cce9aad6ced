"""The dashboard: today's blocks with their actions and timer, deadlines, reviews, progress
and the check-in."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from journey.dashboard import dashboard_for
from scheduling.models import DailyCheckIn, PlanSnapshot, StudyTask, TaskStatus
from scheduling.tests.factories import MasteryRecordFactory, StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOON = datetime(2026, 10, 14, 12, 0, tzinfo=UTC)


def block(course, start, minutes=50, **fields):
    return StudyTaskFactory(
        course=course,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
        **fields,
    )


@pytest.fixture
def course(user):
    return CourseFactory(user=user, code="MATH 2413")


def action_url(task, action):
    return reverse("journey:task_action", args=[task.pk, action])


@time_machine.travel(NOON, tick=False)
def test_today_shows_the_next_block_with_its_reason_and_actions(logged_in_client, course):
    later = block(course, NOON + timedelta(hours=2), reason="Midterm in 5 days")
    block(course, NOON + timedelta(days=2))
    body = logged_in_client.get("/").content.decode()
    assert later.title in body
    assert "Midterm in 5 days" in body
    assert action_url(later, "start") in body
    # The completion fields wait until the block is started.
    assert action_url(later, "complete") not in body
    assert action_url(later, "skip") in body


@time_machine.travel(NOON, tick=False)
def test_start_then_complete_records_actual_times_without_javascript(logged_in_client, course):
    task = block(course, NOON + timedelta(minutes=5))
    response = logged_in_client.post(action_url(task, "start"))
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    assert task.actual_start == NOON
    body = logged_in_client.get("/").content.decode()
    assert "data-timer" in body
    started = re.search(r'data-started-at="([^"]+)"', body).group(1)
    assert datetime.fromisoformat(started) == NOON
    with time_machine.travel(NOON + timedelta(minutes=40), tick=False):
        response = logged_in_client.post(
            action_url(task, "complete"), {"completion_percentage": "100", "self_rating": ""}
        )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED
    assert task.actual_end == NOON + timedelta(minutes=40)


@time_machine.travel(NOON, tick=False)
def test_htmx_actions_return_the_today_panel(logged_in_client, course):
    task = block(course, NOON + timedelta(minutes=5))
    response = logged_in_client.post(action_url(task, "start"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith("{#") is False
    assert 'id="today"' in body and "<html" not in body
    assert "started." in body
    again = logged_in_client.post(action_url(task, "start"), HTTP_HX_REQUEST="true")
    assert 'role="alert"' in again.content.decode()


@time_machine.travel(NOON, tick=False)
def test_skip_with_a_reason(logged_in_client, course):
    task = block(course, NOON + timedelta(hours=1))
    logged_in_client.post(action_url(task, "skip"), {"reason": "Sick"})
    task.refresh_from_db()
    assert (task.status, task.skip_reason) == (TaskStatus.SKIPPED, "Sick")


@time_machine.travel(NOON, tick=False)
def test_a_bad_completion_is_an_error_not_a_write(logged_in_client, course):
    task = block(course, NOON + timedelta(hours=1))
    response = logged_in_client.post(
        action_url(task, "complete"), {"completion_percentage": "500"}, follow=True
    )
    assert "Error" in response.content.decode() or "100" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.SCHEDULED
    assert logged_in_client.post(action_url(task, "launch")).status_code == 404


def test_another_students_block_is_a_404_and_unchanged(logged_in_client, other_user):
    foreign = block(CourseFactory(user=other_user), NOON + timedelta(hours=1))
    for action in ("start", "complete", "skip"):
        assert logged_in_client.post(action_url(foreign, action)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == TaskStatus.SCHEDULED


@time_machine.travel(NOON, tick=False)
def test_deadlines_show_readiness_at_risk_and_the_fix(logged_in_client, user, course):
    exam = AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=5))
    safe = AssessmentFactory(course=course, name="Quiz 9", due_date=NOON + timedelta(days=6))
    PlanSnapshot.objects.create(
        user=user,
        planned_at=NOON,
        horizon_start=NOON,
        horizon_end=NOON + timedelta(days=14),
        readiness=[
            {"assessment_id": str(exam.pk), "p_ready_now": 0.3, "p_ready_planned": 0.45},
            {"assessment_id": str(safe.pk), "p_ready_now": 0.8, "p_ready_planned": 0.9},
        ],
        cushions=[
            {
                "assessment_id": str(exam.pk),
                "is_at_risk": True,
                "summary": "Short by 60 minutes.",
                "suggestions": [{"work": "Limits", "minutes": 60, "action": "add time"}],
            }
        ],
    )
    board = dashboard_for(user)
    rows = {row.assessment.name: row for row in board.deadlines}
    assert rows["Midterm"].is_at_risk and rows["Midterm"].p_ready_percent == 45
    assert not rows["Quiz 9"].is_at_risk and rows["Quiz 9"].p_ready_percent == 90
    body = logged_in_client.get("/").content.decode()
    assert "At risk" in body and "Short by 60 minutes." in body and "P(ready) 45%" in body


@time_machine.travel(NOON, tick=False)
def test_reviews_due_and_the_weeks_hours_per_course(user, course):
    topic = TopicFactory(course=course, name="Limits")
    MasteryRecordFactory(topic=topic, next_review_date=date(2026, 10, 13))
    done = block(course, NOON - timedelta(hours=3), minutes=60, status=TaskStatus.COMPLETED)
    done.actual_start, done.actual_end = (
        done.scheduled_start,
        done.scheduled_start + timedelta(minutes=45),
    )
    done.save()
    block(course, NOON + timedelta(hours=3), minutes=30)
    board = dashboard_for(user)
    assert [r.topic.name for r in board.reviews] == ["Limits"]
    (week,) = board.week
    assert (week.planned_min, week.done_min, week.share_percent) == (90, 45, 50)
    assert board.streak.current == 1


@time_machine.travel(NOON, tick=False)
def test_dashboard_query_count_does_not_grow_with_blocks(logged_in_client, user, course, settings):
    # Every visit renders every panel here; the cached visit is counted in test_dashboard_cache.
    settings.DASHBOARD_CACHE_ENABLED = False

    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert logged_in_client.get("/").status_code == 200
        return len(captured)

    topic = TopicFactory(course=course)
    MasteryRecordFactory(topic=topic, next_review_date=date(2026, 10, 1))
    block(course, NOON + timedelta(minutes=30), minutes=10)
    AssessmentFactory(course=course)
    count_queries()  # the first visit creates the default preferences
    one = count_queries()
    for index in range(10):
        block(course, NOON + timedelta(hours=1, minutes=index * 15), minutes=10)
        AssessmentFactory(course=course)
        MasteryRecordFactory(topic=TopicFactory(course=course), next_review_date=date(2026, 10, 1))
    assert count_queries() == one


def test_check_in_saves_and_feeds_the_plan(logged_in_client, user):
    data = {"difficulty": "4", "time_burden": "2", "mood": "5", "energy": "", "note": "Tired"}
    response = logged_in_client.post(reverse("journey:checkin"), data)
    assert response.status_code == 302
    checkin = DailyCheckIn.objects.get(user=user)
    assert (checkin.difficulty, checkin.time_burden, checkin.mood, checkin.energy) == (
        4,
        2,
        5,
        None,
    )
    htmx = logged_in_client.post(reverse("journey:checkin"), data, HTTP_HX_REQUEST="true")
    assert "Check-in saved" in htmx.content.decode()
    assert DailyCheckIn.objects.filter(user=user).count() == 1


def test_a_bad_check_in_shows_errors_by_the_fields(logged_in_client, user):
    response = logged_in_client.post(reverse("journey:checkin"), {"difficulty": "9"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "id_difficulty_error" in body and "id_time_burden_error" in body
    assert not DailyCheckIn.objects.filter(user=user).exists()


def test_empty_dashboard_states(logged_in_client, user):
    from journey.onboarding import onboarding_get

    onboarding_get(user=user)
    body = logged_in_client.get("/").content.decode()
    assert "No courses yet" in body
    assert "No upcoming deadlines" in body
    assert "No reviews due today" in body


def test_no_plan_yet_offers_to_make_one(logged_in_client, course):
    body = logged_in_client.get("/").content.decode()
    assert "No plan yet" in body
    assert reverse("scheduling:replan") in body
    assert not StudyTask.objects.exists()
