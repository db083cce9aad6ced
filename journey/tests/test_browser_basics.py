"""The front door in real Chromium: log in, land on the dashboard, at desktop and phone width."""

import pytest
from django.core.management import call_command

from journey.demo import DEMO_EMAIL, DEMO_PASSWORD
from planner.testing.a11y import horizontal_overflow, low_contrast_text, unlabelled_controls

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, email=DEMO_EMAIL, password=DEMO_PASSWORD):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def test_demo_student_logs_in_and_sees_courses(page):
    call_command("seed_demo")
    page.goto("/")
    assert "/accounts/login/" in page.url
    assert unlabelled_controls(page) == []
    log_in(page)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Hello")
    assert page.get_by_text("MATH 2413").first.is_visible()
    assert unlabelled_controls(page) == []
    assert low_contrast_text(page) == []


def test_wrong_password_shows_a_clear_error(page):
    call_command("seed_demo")
    log_in_page = page
    log_in_page.goto("/accounts/login/")
    log_in_page.get_by_label("Email").fill(DEMO_EMAIL)
    log_in_page.get_by_label("Password").fill("not-the-password")
    log_in_page.get_by_role("button", name="Log in").click()
    assert "/accounts/login/" in log_in_page.url
    assert log_in_page.get_by_text("are not correct").first.is_visible()


def test_phone_width_has_no_horizontal_scroll(phone_page):
    call_command("seed_demo")
    phone_page.goto("/accounts/login/")
    assert horizontal_overflow(phone_page) <= 0
    log_in(phone_page)
    assert horizontal_overflow(phone_page) <= 0
