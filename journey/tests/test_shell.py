"""The page shell around every page: the persistent "Continue setup (step k of n)" link, the
compact navigation with its "More" menu, and the favicon."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.page_cache import CSRF_PLACEHOLDER
from courses.tests.factories import CourseFactory, TopicFactory
from journey import onboarding
from mastery import quiz_services
from mastery.tests.quiz_factories import bank

pytestmark = pytest.mark.django_db

CONTINUE = re.compile(r"Continue setup <span class=\"setup-step\">\(step (\d) of (\d)\)</span>")


def setup_link(response) -> tuple[int, int] | None:
    match = CONTINUE.search(response.content.decode())
    return (int(match.group(1)), int(match.group(2))) if match else None


@pytest.fixture
def mid_setup(user):
    """A student who stopped the wizard at its third step, with a course to look at."""
    course = CourseFactory(user=user)
    onboarding.onboarding_step_complete(user=user, step="profile")
    onboarding.onboarding_step_complete(user=user, step="courses")
    return course


def test_every_page_the_wizard_sends_to_offers_to_continue_setup(logged_in_client, user, mid_setup):
    topic = TopicFactory(course=mid_setup)
    bank(topic)
    attempt = quiz_services.practice_start(user=user, topic=topic)
    quiz_services.quiz_answer(
        attempt=attempt, question_id=attempt.items.get().question_id, raw_answer="a"
    )
    quiz_services.quiz_finish(attempt=attempt)
    total = len(onboarding.STEPS)
    for url in [
        reverse("home"),
        reverse("courses:detail", args=[mid_setup.pk]),
        reverse("courses:import_csv"),
        reverse("courses:import_lms"),
        reverse("integrations:index"),
        reverse("mastery:quiz-result", args=[attempt.pk]),
    ]:
        response = logged_in_client.get(url)
        assert response.status_code == 200, url
        assert setup_link(response) == (3, total), url
    assert (
        f'href="{reverse("journey:onboarding")}"'
        in logged_in_client.get(reverse("integrations:index")).content.decode()
    )


def test_the_link_follows_the_wizard_and_goes_once_setup_is_done(logged_in_client, user, mid_setup):
    onboarding.onboarding_step_complete(user=user, step="availability")
    assert setup_link(logged_in_client.get(reverse("courses:list")))[0] == 4
    onboarding.onboarding_finish(user=user)
    assert setup_link(logged_in_client.get(reverse("courses:list"))) is None


def test_the_wizard_itself_does_not_repeat_the_link(logged_in_client, mid_setup):
    response = logged_in_client.get(reverse("journey:onboarding_step", args=["availability"]))
    assert response.status_code == 200
    assert setup_link(response) is None


def test_a_student_who_never_started_the_wizard_sees_no_link(logged_in_client, user):
    CourseFactory(user=user)
    assert setup_link(logged_in_client.get(reverse("courses:list"))) is None


def test_one_students_setup_never_shows_for_another(client, user, other_user, mid_setup):
    CourseFactory(user=other_user)
    client.force_login(other_user)
    assert setup_link(client.get(reverse("courses:list"))) is None


def test_the_header_has_five_destinations_and_the_menu_holds_the_rest(logged_in_client, user):
    CourseFactory(user=user)
    html = logged_in_client.get(reverse("courses:list")).content.decode()
    main_nav = html.split('<nav class="primary-nav" aria-label="Main">')[1].split("</nav>")[0]
    assert main_nav.count("<a ") == 5
    assert 'aria-current="page"' in main_nav  # the courses list marks itself
    menu = html.split('<details class="more-menu">')[1].split("</details>")[0]
    for name in [
        "scheduling:at_risk",
        "scheduling:checkin",
        "scheduling:feed",
        "scheduling:stats",
        "mastery:reviews-due",
        "mastery:grades_index",
        "courses:study_modes",
        "courses:import_csv",
        "integrations:index",
        "journey:data_settings",
        "accounts:preferences",
        "accounts:profile",
        "accounts:api_tokens",
        "accounts:logout",
    ]:
        assert f'"{reverse(name)}"' in menu, name


def test_favicon_is_served_from_the_static_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response.url.endswith("favicon.svg")
    icon = client.get(response.url)
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)


TOKENS = re.compile(r'"X-CSRFToken": "([^"]+)"|name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_header_is_kept_per_state_yet_each_page_marks_itself(logged_in_client, user):
    CourseFactory(user=user)
    for name in ["home", "scheduling:week", "courses:list", "mastery:overview"]:
        for _ in range(2):
            html = logged_in_client.get(reverse(name)).content.decode()
            main_nav = html.split('<nav class="primary-nav" aria-label="Main">')[1]
            current = main_nav.split('aria-current="page"')[0].rsplit("<a ", 1)[1]
            assert f'href="{reverse(name)}"' in current, name


def test_the_logout_form_carries_the_pages_own_csrf_token(client, user):
    CourseFactory(user=user)
    client.force_login(user)
    for _ in range(2):
        html = client.get(reverse("courses:list")).content.decode()
        header_tokens = [a or b for a, b in TOKENS.findall(html.split("</header>")[0])]
        # The body's htmx header and the logout form: one token, the request's own.
        assert len(header_tokens) == 2
        assert len(set(header_tokens)) == 1
        assert CSRF_PLACEHOLDER not in html
    logout = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": header_tokens[0]})
    assert logout.status_code == 302


def test_a_signed_out_visitor_gets_the_bare_header(logged_in_client, user):
    CourseFactory(user=user)
    logged_in_client.get(reverse("courses:list"))
    html = Client().get(reverse("accounts:login")).content.decode()
    header = html.split('<header class="site-header">')[1].split("</header>")[0]
    assert "more-menu" not in header
    assert "primary-nav" not in header
