"""Every path a student may have bookmarked before the pages moved out of `planner` still
answers, under the URL name of its new home."""

import uuid

import pytest
from django.urls import resolve, reverse

from courses.tests.factories import CourseFactory, TopicFactory

pytestmark = pytest.mark.django_db

SOME_ID = uuid.UUID(int=1)


@pytest.mark.parametrize(
    ("path", "url_name"),
    [
        ("/", "home"),
        ("/onboarding/", "journey:onboarding"),
        ("/onboarding/courses/", "journey:onboarding_step"),
        (f"/dashboard/tasks/{SOME_ID}/start", "journey:task_action"),
        ("/dashboard/check-in", "journey:checkin"),
        (f"/courses/{SOME_ID}/overview", "journey:course_overview"),
        (f"/topics/{SOME_ID}/resources", "journey:resource_toggle"),
        ("/settings/data/", "journey:data_settings"),
        ("/settings/data/export.json", "journey:data_export"),
        ("/settings/delete/", "journey:account_delete"),
        ("/settings/deleted/", "journey:account_deleted"),
        ("/stats/", "scheduling:stats"),
        ("/plan/", "scheduling:week"),
        (f"/plan/tasks/{SOME_ID}/move", "scheduling:task_move"),
        ("/grades/", "mastery:grades_index"),
        (f"/grades/{SOME_ID}/", "mastery:grades"),
        ("/mastery/", "mastery:overview"),
        (f"/mastery/quizzes/{SOME_ID}/result/", "mastery:quiz-result"),
    ],
)
def test_a_bookmarked_path_resolves_to_its_page(path, url_name):
    assert resolve(path).view_name == url_name
    kwargs = resolve(path).kwargs
    assert reverse(url_name, kwargs=kwargs) == path


def test_the_moved_pages_answer_at_their_old_paths(logged_in_client, user):
    course = CourseFactory(user=user)
    TopicFactory(course=course)
    for path in (
        "/",
        "/onboarding/profile/",
        f"/courses/{course.pk}/overview",
        "/settings/data/",
        "/settings/data/export.json",
        "/settings/delete/",
        "/stats/",
        "/grades/",
        f"/grades/{course.pk}/",
        "/plan/",
        "/mastery/",
    ):
        assert logged_in_client.get(path).status_code == 200, path
