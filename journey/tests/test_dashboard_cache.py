"""The dashboard's cached panels: fewer queries when warm, retired by every change they show,
never shared between students, and keyed by the student's local date."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses import services as course_services
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from journey.dashboard import dashboard_invalidate
from scheduling import services as scheduling_services
from scheduling.tests.factories import MasteryRecordFactory, StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

NOON = datetime(2026, 10, 14, 12, 0, tzinfo=UTC)
# The queries the cached panels make when rendered: plan snapshot, deadlines (with their planned
# minutes), reviews (with their count), the streak's days and the week's blocks ("has courses"
# comes from the home page, which read it to decide whether to send a new student to setup).
PANEL_QUERIES = 5


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.DASHBOARD_CACHE_ENABLED = True
    settings.DASHBOARD_CACHE_SECONDS = 300


def block(course, start, minutes=50, **fields):
    return StudyTaskFactory(
        course=course,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
        **fields,
    )


def dashboard(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard(client)
    return len(captured)


@pytest.fixture
def course(user):
    return CourseFactory(user=user, code="MATH 2413")


@time_machine.travel(NOON, tick=False)
def test_a_warm_dashboard_skips_the_panel_queries(
    logged_in_client, user, course, django_assert_max_num_queries
):
    topic = TopicFactory(course=course, name="Limits")
    MasteryRecordFactory(topic=topic, next_review_date=date(2026, 10, 1))
    block(course, NOON + timedelta(hours=1))
    AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=5))
    dashboard(logged_in_client)  # the first visit also creates the default preferences
    dashboard_invalidate(user_id=user.pk)
    cold = count_queries(logged_in_client)
    with django_assert_max_num_queries(cold - PANEL_QUERIES):
        body = dashboard(logged_in_client)
    assert "Midterm" in body and "Limits" in body and "MATH 2413" in body


def panels_of(body: str) -> str:
    return body[body.index('id="deadlines"') : body.index('id="checkin"')]


@time_machine.travel(NOON, tick=False)
def test_a_disabled_cache_renders_the_same_panels(logged_in_client, course, settings):
    AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=5))
    MasteryRecordFactory(topic=TopicFactory(course=course), next_review_date=date(2026, 10, 1))
    dashboard(logged_in_client)
    cached = dashboard(logged_in_client)
    settings.DASHBOARD_CACHE_ENABLED = False
    assert panels_of(dashboard(logged_in_client)) == panels_of(cached)


@time_machine.travel(NOON, tick=False)
def test_completing_a_block_shows_in_progress_and_streak(logged_in_client, course):
    task = block(course, NOON - timedelta(minutes=50))
    before = dashboard(logged_in_client)
    assert '<dd data-testid="streak-current">0 days</dd>' in before
    assert "0 min <progress" in before
    response = logged_in_client.post(
        reverse("journey:task_action", args=[task.pk, "complete"]),
        {"completion_percentage": "100", "self_rating": ""},
    )
    assert response.status_code == 302
    after = dashboard(logged_in_client)
    assert '<dd data-testid="streak-current">1 day</dd>' in after
    assert "50 min <progress" in after


@time_machine.travel(NOON, tick=False)
def test_a_posted_grade_moves_mastery_on_the_dashboard(
    logged_in_client, user, course, django_capture_on_commit_callbacks
):
    topic = TopicFactory(course=course, name="Limits")
    MasteryRecordFactory(
        topic=topic, mastery_score=12.0, next_review_date=date(2026, 10, 1), observation_count=0
    )
    assert "mastery 12" in dashboard(logged_in_client)
    payload = {
        "course": str(course.pk),
        "score": 19,
        "max_score": 20,
        "time_spent_min": 25,
        "completed_at": (NOON - timedelta(hours=2)).isoformat(),
        "topic_breakdown": {str(topic.pk): {"correct": 8, "total": 8, "time_min": 12}},
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(
            "/api/performance", payload, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert "mastery 12" not in dashboard(logged_in_client)


@time_machine.travel(NOON, tick=False)
def test_assessment_and_course_edits_show_at_once(logged_in_client, course):
    exam = AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=5))
    assert "Midterm" in dashboard(logged_in_client)
    course_services.assessment_update(assessment=exam, name="Final exam")
    body = dashboard(logged_in_client)
    assert "Final exam" in body and "Midterm" not in body
    course_services.course_update(course=course, code="MATH 9999")
    assert "Final exam</strong> · MATH 9999" in dashboard(logged_in_client)


@time_machine.travel(NOON, tick=False)
def test_a_replan_shows_the_new_plan(logged_in_client, user, course):
    AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=5))
    assert "No plan yet." in dashboard(logged_in_client)
    scheduling_services.plan_regenerate(user=user, reason="test")
    assert "No plan yet." not in dashboard(logged_in_client)


@time_machine.travel(NOON, tick=False)
def test_a_deadline_leaves_the_list_when_it_falls_due(logged_in_client, course):
    AssessmentFactory(course=course, name="Pop quiz", due_date=NOON + timedelta(minutes=10))
    assert "Pop quiz" in dashboard(logged_in_client)
    with time_machine.travel(NOON + timedelta(minutes=11), tick=False):
        assert "Pop quiz" not in dashboard(logged_in_client)


@time_machine.travel(NOON, tick=False)
def test_one_students_panels_never_reach_another(client, user, other_user):
    mine = CourseFactory(user=user, code="MINE 101")
    theirs = CourseFactory(user=other_user, code="THEIRS 202")
    AssessmentFactory(course=mine, name="My midterm", due_date=NOON + timedelta(days=3))
    AssessmentFactory(course=theirs, name="Their midterm", due_date=NOON + timedelta(days=3))
    MasteryRecordFactory(topic=TopicFactory(course=mine, name="My topic"))
    client.force_login(user)
    first = dashboard(client)
    assert "My midterm" in first and "Their midterm" not in first
    client.force_login(other_user)
    for _ in range(2):  # cold, then warm
        body = dashboard(client)
        assert "Their midterm" in body
        assert "My midterm" not in body and "My topic" not in body


def test_today_rolls_over_at_the_students_local_midnight(logged_in_client, user, course):
    # New York leaves daylight saving time at 02:00 on 1 November 2026: the local day starts
    # at 04:00 UTC, an hour after that day's 03:00 UTC would suggest in winter.
    user.timezone = "America/New_York"
    user.save(update_fields=["timezone"])
    MasteryRecordFactory(
        topic=TopicFactory(course=course, name="Series"), next_review_date=date(2026, 11, 1)
    )
    with time_machine.travel(
        datetime(2026, 11, 1, 3, 59, tzinfo=UTC), tick=False
    ):  # 23:59 on 31 October
        body = dashboard(logged_in_client)
        assert "Saturday 31 October" in body and "Series" not in body
        assert "Series" not in dashboard(logged_in_client)
    with time_machine.travel(
        datetime(2026, 11, 1, 4, 1, tzinfo=UTC), tick=False
    ):  # 00:01 on 1 November
        body = dashboard(logged_in_client)
        assert "Sunday 1 November" in body and "Series" in body
