"""The cached bodies of the mastery overview and the grade planner (accounts.page_cache): a
warm page skips the body's queries and shows what a live render shows, evidence, scores and
edits show at once, and one student's page never reaches another."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.page_cache import student_pages_invalidate
from courses import services as course_services
from courses.tests.factories import AssessmentFactory, CourseFactory, TopicFactory
from mastery.grades import grade_target_set
from mastery.services import assessment_score_record
from mastery.tests.quiz_factories import give_evidence

pytestmark = [pytest.mark.clock, pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]

NOON = datetime(2026, 12, 9, 16, 0, tzinfo=UTC)
PAGES = ["mastery:overview", "mastery:grades_index"]


def page(client, name) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200
    return response.content.decode()


def queries(client, name) -> int:
    # Each request empties the connection's query log as it starts: count from an empty one.
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        page(client, name)
    return len(captured)


def main_of(html: str) -> str:
    return html[html.index('<main id="main"') : html.index("</main>")]


@pytest.fixture
def course(user):
    return CourseFactory(user=user, code="CHEM 1411", name="Chemistry")


@pytest.mark.parametrize("name", PAGES)
@time_machine.travel(NOON, tick=False)
def test_a_warm_page_skips_the_body_queries_and_shows_the_same(
    logged_in_client, user, course, settings, name
):
    give_evidence(user, TopicFactory(course=course, name="Moles"), correct=3, total=4, at=NOON)
    page(logged_in_client, name)  # the first visit also creates the default rows
    student_pages_invalidate(user_id=user.pk)
    cold = queries(logged_in_client, name)
    warm_html = page(logged_in_client, name)
    assert queries(logged_in_client, name) < cold
    settings.DASHBOARD_CACHE_ENABLED = False
    assert main_of(page(logged_in_client, name)) == main_of(warm_html)


@time_machine.travel(NOON, tick=False)
def test_new_evidence_and_a_renamed_course_show_on_the_warm_overview(
    logged_in_client, user, course
):
    topic = TopicFactory(course=course, name="Moles")
    before = page(logged_in_client, "mastery:overview")
    assert "Moles" in before
    give_evidence(user, topic, correct=4, total=4, at=NOON - timedelta(hours=1))
    assert main_of(page(logged_in_client, "mastery:overview")) != main_of(before)
    course_services.course_update(course=course, code="CHEM 9999")
    assert "CHEM 9999" in page(logged_in_client, "mastery:overview")


@time_machine.travel(NOON, tick=False)
def test_a_score_and_a_target_show_on_the_warm_grade_planner(logged_in_client, user, course):
    exam = AssessmentFactory(course=course, name="Midterm", due_date=NOON - timedelta(days=1))
    body = page(logged_in_client, "mastery:grades_index")
    assert "No grades yet" in body and "Not set" in body
    assessment_score_record(user=user, assessment=exam, score=87, max_score=100)
    body = page(logged_in_client, "mastery:grades_index")
    assert "No grades yet" not in body
    grade_target_set(user=user, course=course, target_percent=90)
    assert re.search(r'data-label="Target">90%', page(logged_in_client, "mastery:grades_index"))


@pytest.mark.parametrize("name", PAGES)
@time_machine.travel(NOON, tick=False)
def test_one_students_cached_page_never_reaches_another(client, user, other_user, name):
    mine = CourseFactory(user=user, code="MINE 101")
    CourseFactory(user=other_user, code="THEIRS 202")
    give_evidence(user, TopicFactory(course=mine, name="My topic"), correct=1, total=2, at=NOON)
    client.force_login(user)
    assert "MINE 101" in page(client, name)
    client.force_login(other_user)
    for _ in range(2):  # cold, then warm
        body = page(client, name)
        assert "MINE 101" not in body and "My topic" not in body
