"""Connecting Canvas from the integrations page in real headless Chromium, against the fake
Canvas on 127.0.0.1: a wrong token shown next to its field, then preview, then import; and
the OAuth2 sign-in through Canvas's consent page."""

import pytest

from accounts.tests.factories import UserFactory
from courses.models import Assessment
from integrations.models import LmsConnection
from integrations.testing.fake_canvas import FakeCanvas
from planner.testing.a11y import unlabelled_controls
from planner.testing.browser import DESKTOP, log_in

pytestmark = [pytest.mark.browser, pytest.mark.clock, pytest.mark.django_db(transaction=True)]

EMAIL = "grace@example.org"
PASSWORD = "correct-horse-battery"
TOKEN = "7~canvas-browser-token"


@pytest.fixture
def canvas(settings):
    settings.LMS_FEED_ALLOW_PRIVATE_HOSTS = True
    server = FakeCanvas().start()
    server.add_token(TOKEN)
    course_id = server.add_course(code="BIO 101", name="Biology I", apply_group_weights=True)
    labs = server.add_group(course_id, name="Labs", weight=40.0)
    exams = server.add_group(course_id, name="Exams", weight=60.0)
    server.add_assignment(
        course_id,
        labs,
        name="Lab 1",
        due_at="2026-11-20T23:59:00Z",
        points=10,
        score=8,
        graded_at="2026-11-05T15:00:00Z",
    )
    server.add_assignment(
        course_id, exams, name="Final Exam", due_at="2026-12-12T16:00:00Z", points=100
    )
    yield server
    server.stop()


@pytest.fixture
def student(transactional_db):
    return UserFactory(email=EMAIL, full_name="Grace Hopper")


def test_connect_canvas_with_a_token_preview_then_import(page, student, canvas):
    log_in(page, EMAIL, PASSWORD)
    page.goto("/integrations/")
    assert unlabelled_controls(page) == []
    page.get_by_label("Canvas", exact=True).check()
    page.get_by_label("Address").fill(canvas.base_url)
    page.get_by_label("Access token").fill("7~not-the-token")
    page.get_by_role("button", name="Preview the import").click()
    page.locator("#integration-lms").get_by_text("Canvas refused the access token").wait_for()
    assert not LmsConnection.objects.exists()

    page.get_by_label("Canvas", exact=True).check()
    page.get_by_label("Address").fill(canvas.base_url)
    page.get_by_label("Access token").fill(TOKEN)
    page.get_by_role("button", name="Preview the import").click()
    page.get_by_role("heading", name="What will be imported from Canvas").wait_for()
    assert page.get_by_text("BIO 101 · Biology I").is_visible()
    assert page.get_by_text("weight 60%").is_visible()
    assert page.get_by_text("graded 8 / 10").is_visible()
    assert not Assessment.objects.exists()

    page.get_by_role("button", name="Import and connect").click()
    page.get_by_text("Canvas connected").first.wait_for()
    page.locator("#integration-lms li", has_text=canvas.base_url).first.wait_for()
    assert LmsConnection.objects.get(user=student).base_url == canvas.base_url
    assert {a.name for a in Assessment.objects.filter(course__user=student)} == {
        "Lab 1",
        "Final Exam",
    }


def test_connect_with_canvas_sign_in(browser, live_server, browser_now, student, canvas, settings):
    settings.CANVAS_CLIENT_ID = "10000000000042"
    settings.CANVAS_CLIENT_SECRET = "canvas-developer-key-secret"
    canvas.add_oauth_client(settings.CANVAS_CLIENT_ID, settings.CANVAS_CLIENT_SECRET)
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.clock.install(time=browser_now)
    # Only this machine: the live server and the fake Canvas's consent page.
    allowed = (live_server.url, canvas.base_url)
    context.route(
        "**/*",
        lambda route: route.continue_() if route.request.url.startswith(allowed) else route.abort(),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, EMAIL, PASSWORD)
        page.goto("/integrations/")
        page.get_by_label("Your Canvas address").fill(canvas.base_url)
        page.get_by_role("button", name="Connect with Canvas").click()
        page.get_by_role("heading", name="Study Planner is requesting access").wait_for()
        page.get_by_role("link", name="Authorize").click()
        page.get_by_role("heading", name="What will be imported from Canvas").wait_for()
        assert not LmsConnection.objects.exists()
        page.get_by_role("button", name="Import and connect").click()
        page.get_by_text("Canvas connected").first.wait_for()
    finally:
        context.close()
    stored = LmsConnection.objects.get(user=student)
    assert stored.uses_oauth and stored.access_token in canvas.tokens
