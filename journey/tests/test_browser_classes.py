"""Joining a class in real Chromium: the link, the consent screen, sharing, and the teacher's
page showing the same row."""

import pytest

from accounts.tests.factories import UserFactory
from journey.tests.class_factories import make_class
from planner.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"  # the factories' password


def _headers(page):
    return [cell.strip() for cell in page.locator("thead tr").last.locator("th").all_inner_texts()]


def _row_texts(page, email):
    row = page.locator("tr", has_text=email)
    return [cell.strip() for cell in row.locator("td").all_inner_texts()]


def test_a_student_follows_the_link_consents_and_the_teacher_sees_the_same_row(page, browser_now):
    classroom = make_class()
    student = UserFactory(email="lin@example.org", full_name="Lin Student")
    log_in(page, student.email, PASSWORD)
    page.goto(f"/classes/join/{classroom.join_code}")
    assert page.get_by_role("heading", name="What the teacher would see about you").is_visible()
    preview = _row_texts(page, "lin@example.org")
    preview_headers = _headers(page)
    assert preview[:2] == ["Lin Student", "lin@example.org"]
    page.get_by_label("Join and share my progress with the teacher").check()
    page.get_by_role("button", name="Join").click()
    page.wait_for_url("**/classes/")
    assert page.get_by_text("The teacher sees exactly this about you now").is_visible()
    page.context.clear_cookies()
    log_in(page, classroom.template.owner.email, PASSWORD)
    page.goto(f"/teach/classes/{classroom.pk}/")
    seen = _row_texts(page, "lin@example.org")
    assert _headers(page) == preview_headers
    # Joining plans the course (eagerly here), so the at-risk column has moved on from the
    # preview's "Not planned yet" to the planner's verdict; every other cell is the same.
    status = preview_headers.index("Next assessment")
    assert preview[status] == "Not planned yet" and seen[status] in ("On track", "At risk")
    assert seen[:status] + seen[status + 1 :] == preview[:status] + preview[status + 1 :]
