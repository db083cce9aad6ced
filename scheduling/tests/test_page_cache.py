"""The cached bodies of the dashboard, week, at-risk and stats pages (accounts.page_cache):
a warm page skips the body's queries and shows the same thing, every write the body shows
retires it, a form in it carries the browser's own CSRF token, it never reaches another
student, and it follows the clock (the now line, an assessment falling due)."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.page_cache import CSRF_PLACEHOLDER, student_pages_invalidate
from accounts.services import preferences_get_current, preferences_update
from courses import services as course_services
from courses.tests.factories import AssessmentFactory, CourseFactory
from scheduling import services
from scheduling.tests.factories import StudyTaskFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

CHICAGO = ZoneInfo("America/Chicago")
EVERY_DAY = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NOON = datetime(2026, 12, 2, 12, 0, tzinfo=CHICAGO)
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CHART_ID = re.compile(r"chart-\d+")


@pytest.fixture
def student(user):
    user.timezone = "America/Chicago"
    user.save()
    prefs = preferences_get_current(user=user)
    prefs.weekly_availability = {day: [{"start": "08:00", "end": "20:00"}] for day in EVERY_DAY}
    prefs.save()
    return user


@pytest.fixture
def course(student):
    return CourseFactory(user=student, code="MATH 2413")


@pytest.fixture
def browser(client, student):
    client.force_login(student)
    return client


def block(course, start, minutes=60, **extra):
    return StudyTaskFactory(
        user=course.user,
        course=course,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
        **extra,
    )


def page(client, name="scheduling:week", **params) -> str:
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    return response.content.decode()


def body_of(html: str) -> str:
    """The page's main content, its form tokens blanked: each response masks the CSRF secret
    afresh (and the head carries a fresh nonce), so two renders differ only there; the stats
    charts number their ids per process, not per page."""
    main = html[html.index('<main id="main"') : html.index("</main>")]
    return CHART_ID.sub("chart-n", TOKEN.sub('name="csrfmiddlewaretoken" value=""', main))


def queries(client, name) -> int:
    # Each request empties the connection's query log as it starts: count from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        page(client, name)
    return len(captured)


@pytest.mark.parametrize(
    "name", ["home", "scheduling:week", "scheduling:at_risk", "scheduling:stats"]
)
@time_machine.travel(NOON, tick=False)
def test_a_warm_page_skips_the_body_queries_and_shows_the_same(browser, course, settings, name):
    block(course, NOON + timedelta(hours=2), title="Limits practice")
    AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=3))
    page(browser, name)  # the first visit also creates the default rows
    student_pages_invalidate(user_id=course.user_id)
    cold = queries(browser, name)
    warm_html = page(browser, name)
    warm = queries(browser, name)
    assert warm < cold
    settings.DASHBOARD_CACHE_ENABLED = False
    assert body_of(page(browser, name)) == body_of(warm_html)


@time_machine.travel(NOON, tick=False)
def test_a_cached_form_carries_each_browsers_own_token(student, course):
    task = block(course, NOON + timedelta(hours=2))
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(student)
    second.force_login(student)
    page(first)  # caches the body with the first browser's session
    html = page(second)
    assert CSRF_PLACEHOLDER not in html
    (token, *_) = TOKEN.findall(html)
    response = second.post(
        reverse("scheduling:task_start", args=[task.pk]),
        {"csrfmiddlewaretoken": token, "next": reverse("scheduling:week")},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == "in_progress"


@time_machine.travel(NOON, tick=False)
def test_starting_a_block_shows_on_the_warm_week_at_once(browser, course):
    task = block(course, NOON + timedelta(hours=2))
    assert "Status: Scheduled" in page(browser)
    response = browser.post(reverse("scheduling:task_start", args=[task.pk]))
    assert response.status_code == 302
    body = page(browser)
    assert "Status: In progress" in body and "Status: Scheduled" not in body


@time_machine.travel(NOON, tick=False)
def test_new_busy_time_shows_on_the_warm_week_at_once(browser, student, course):
    assert "Busy 14:00–15:30" not in page(browser)
    services.busy_intervals_replace(
        user=student,
        source="google",
        intervals=[(NOON + timedelta(hours=2), NOON + timedelta(hours=3, minutes=30))],
    )
    assert "Busy 14:00–15:30" in page(browser)


@time_machine.travel(NOON, tick=False)
def test_new_availability_shows_on_the_warm_week_at_once(browser, student, course):
    assert "Available 08:00–20:00" in page(browser)
    preferences_update(
        user=student,
        weekly_availability={day: [{"start": "09:00", "end": "17:00"}] for day in EVERY_DAY},
    )
    body = page(browser)
    assert "Available 09:00–17:00" in body and "Available 08:00–20:00" not in body


@time_machine.travel(NOON, tick=False)
def test_a_new_clock_shows_on_the_warm_week_at_once(browser, student, course):
    block(course, NOON + timedelta(hours=2))
    assert "Available 08:00–20:00" in page(browser)
    preferences_update(user=student, time_format="12h")
    body = page(browser)
    assert "Available 8:00 AM–8:00 PM" in body and "Available 08:00–20:00" not in body


def test_the_now_line_follows_the_minute(browser, course):
    with time_machine.travel(NOON + timedelta(minutes=40), tick=False):
        assert 'class="wk-placed wk-now at-h4 at-m40 ' in page(browser)
    with time_machine.travel(NOON + timedelta(minutes=41), tick=False):
        assert 'class="wk-placed wk-now at-h4 at-m41 ' in page(browser)


def test_an_assessment_leaves_the_warm_at_risk_page_when_it_falls_due(browser, course):
    # Nothing planned for it: at risk until it is due, thirty seconds into this minute.
    AssessmentFactory(course=course, name="Pop quiz", due_date=NOON + timedelta(seconds=30))
    with time_machine.travel(NOON, tick=False):
        assert "Pop quiz" in page(browser, "scheduling:at_risk")
        assert "Pop quiz" in page(browser, "scheduling:at_risk")
    with time_machine.travel(NOON + timedelta(seconds=45), tick=False):
        assert "Pop quiz" not in page(browser, "scheduling:at_risk")


@time_machine.travel(NOON, tick=False)
def test_an_assessment_edit_shows_on_the_warm_at_risk_page(browser, course):
    exam = AssessmentFactory(course=course, name="Midterm", due_date=NOON + timedelta(days=3))
    assert "Midterm" in page(browser, "scheduling:at_risk")
    course_services.assessment_update(assessment=exam, name="Final exam")
    body = page(browser, "scheduling:at_risk")
    assert "Final exam" in body and "Midterm" not in body


@time_machine.travel(NOON, tick=False)
def test_a_completed_block_shows_on_the_warm_stats_page(browser, course):
    task = block(course, NOON - timedelta(minutes=50), minutes=50)
    assert 'data-figure="minutes-done-week" data-value="0"' in page(browser, "scheduling:stats")
    response = browser.post(
        reverse("scheduling:task_complete", args=[task.pk]),
        {"completion_percentage": "100", "self_rating": ""},
    )
    assert response.status_code == 302
    assert 'data-figure="minutes-done-week" data-value="0"' not in page(browser, "scheduling:stats")


@pytest.mark.parametrize(
    "name", ["home", "scheduling:week", "scheduling:at_risk", "scheduling:stats"]
)
@time_machine.travel(NOON, tick=False)
def test_one_students_cached_page_never_reaches_another(client, student, other_user, name):
    mine = CourseFactory(user=student, code="MINE 101")
    theirs = CourseFactory(user=other_user, code="THEIRS 202")
    block(mine, NOON + timedelta(hours=2), title="My block")
    block(theirs, NOON + timedelta(hours=2), title="Their block")
    AssessmentFactory(course=mine, name="My midterm", due_date=NOON + timedelta(days=3))
    AssessmentFactory(course=theirs, name="Their midterm", due_date=NOON + timedelta(days=3))
    client.force_login(student)
    page(client, name)
    client.force_login(other_user)
    for _ in range(2):  # cold, then warm
        body = page(client, name)
        assert "My block" not in body and "My midterm" not in body and "MINE 101" not in body
