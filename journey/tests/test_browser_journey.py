"""The student's journey in real Chromium, each test one whole flow."""

import json
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from courses.models import Topic
from journey.demo import DEMO_EMAIL, DEMO_PASSWORD
from mastery.models import MasteryRecord
from planner.testing.a11y import horizontal_overflow, low_contrast_text, unlabelled_controls
from planner.testing.browser import log_in
from scheduling.models import StudyTask, TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A practice quiz has five questions; the bound only stops a broken page from looping.
MAX_QUIZ_QUESTIONS = 25
NEW_PASSWORD = "a-long-and-new-password-42"


def test_sign_up_then_onboarding_end_to_end_shows_the_first_plan(page, smtp):
    page.goto("/accounts/signup/")
    assert unlabelled_controls(page) == []
    page.get_by_label("Email").fill("new.student@example.org")
    page.get_by_label("Full name").fill("Nia Student")
    page.get_by_label("Timezone").select_option("America/Chicago")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url("**/accounts/confirm-email/")
    # The address is verified by the link in the mail before the first login.
    (message,) = smtp.sent_to("new.student@example.org")
    (link,) = [link for link in smtp.links(message) if "/accounts/confirm-email/" in link]
    page.goto(re.sub(r"^https?://[^/]+", "", link))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/login/")
    log_in(page, "new.student@example.org", NEW_PASSWORD, landing="**/onboarding/profile/")
    assert page.get_by_text("Step 1 of 6").is_visible()
    assert unlabelled_controls(page) == []
    page.get_by_role("button", name="Confirm and continue").click()
    page.wait_for_url("**/onboarding/courses/")
    page.get_by_label("Course template").select_option("MATH 2413")
    page.get_by_role("button", name="Add from template").click()
    assert page.get_by_text("MATH 2413 Calculus I added from its template.").is_visible()
    assert unlabelled_controls(page) == []
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/onboarding/availability/")
    assert page.get_by_role("img", name="Your weekly study availability").is_visible()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/onboarding/integrations/")
    page.get_by_role("button", name="Skip for now").click()
    page.wait_for_url("**/onboarding/evidence/")
    page.get_by_role("button", name="Continue", exact=True).click()
    page.wait_for_url("**/onboarding/finish/")
    page.get_by_role("button", name="Generate my first plan").click()
    page.wait_for_url("**/")
    assert page.get_by_text("Setup done: here is your first plan.").is_visible()
    focus = page.locator(".focus")
    assert focus.get_by_text("MATH 2413").is_visible()
    assert page.get_by_role("button", name="Continue setup").count() == 0
    assert unlabelled_controls(page) == []
    assert low_contrast_text(page) == []


def test_a_block_run_with_the_timer_updates_the_streak_and_stats(page, demo_student):
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    assert page.get_by_test_id("streak-current").inner_text() == "0 days"
    title = page.locator("#focus-title").inner_text()
    page.locator(".focus").get_by_role("button", name="Start").click()
    page.locator(".focus").get_by_role("button", name="Complete").wait_for()
    # The timer counts down the block's own length (see test_browser_shell for the details).
    assert re.fullmatch(r"\d\d:\d\d", page.get_by_test_id("timer-display").inner_text())
    assert page.get_by_test_id("focus-status").inner_text() == "In progress"
    page.locator(".focus").get_by_role("button", name="Complete").click()
    page.get_by_text(f"{title}: completed.").wait_for()
    task = StudyTask.objects.get(user=demo_student, title=title, status=TaskStatus.COMPLETED)
    assert task.actual_start is not None and task.actual_end > task.actual_start
    page.reload()
    assert page.get_by_test_id("streak-current").inner_text() == "1 day"
    page.goto("/stats/")
    page.get_by_text("Completed blocks", exact=True).click()
    assert page.get_by_role("cell", name=title).is_visible()


def test_a_practice_quiz_changes_the_heatmap_colour(page, demo_student):
    topic = (
        Topic.objects.for_user(demo_student)
        .exclude(mastery_records__user=demo_student)
        .select_related("course")
        .first()
    )
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    overview = f"/courses/{topic.course_id}/overview"
    page.goto(overview)
    cell = page.locator(".heat-cell", has=page.get_by_role("link", name=topic.name, exact=True))
    before = cell.evaluate("el => getComputedStyle(el).backgroundColor")
    assert "No evidence yet" in cell.inner_text()
    page.goto(f"/mastery/topics/{topic.pk}/")
    page.get_by_role("button", name="Start a practice quiz").click()
    # Each answer swaps the panel through htmx; the last one sends the browser to the result.
    for _ in range(MAX_QUIZ_QUESTIONS):
        if "/result/" in page.url:
            break
        panel = page.locator("#quiz-panel")
        position = panel.get_by_text(re.compile(r"^Question \d+ of \d+")).inner_text()
        choices = panel.locator("input[type=radio], input[type=checkbox]")
        if choices.count():
            choices.first.check()
        else:
            panel.locator("input[type=text]").fill("1")
        panel.get_by_role("button", name="Submit answer").click()
        page.wait_for_function(
            "old => location.pathname.includes('/result/') || "
            "!(document.querySelector('#quiz-panel')?.innerText || '').includes(old)",
            arg=position.split(" · ")[0],
        )
    page.wait_for_url("**/result/**")
    assert MasteryRecord.objects.filter(user=demo_student, topic=topic).exists()
    page.goto(overview)
    cell = page.locator(".heat-cell", has=page.get_by_role("link", name=topic.name, exact=True))
    after = cell.evaluate("el => getComputedStyle(el).backgroundColor")
    assert after != before
    assert "No evidence yet" not in cell.inner_text()


def test_a_block_moved_in_the_week_view_is_pinned(page, demo_student):
    task = (
        StudyTask.objects.for_user(demo_student)
        .filter(status=TaskStatus.SCHEDULED, scheduled_start__gt=timezone.now())
        .order_by("scheduled_start")
        .first()
    )
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto(f"/plan/tasks/{task.pk}/move?next=/plan/")
    # 06:00 local is outside the demo's availability, so no other block is there; the move is
    # refused until the student says to move it anyway.
    target = (timezone.now() + timedelta(days=3)).astimezone(ZoneInfo(demo_student.timezone))
    page.get_by_label("New start (your local time)").fill(target.strftime("%Y-%m-%dT06:00"))
    page.get_by_role("button", name="Move block").click()
    assert page.locator(".errorlist").first.is_visible()
    task.refresh_from_db()
    assert not task.is_pinned
    page.get_by_label("Move it anyway, even outside my availability or onto busy time").check()
    page.get_by_role("button", name="Move block").click()
    page.wait_for_url("**/plan/**")
    task.refresh_from_db()
    assert task.is_pinned
    page.goto(f"/plan/?week={target.date().isoformat()}")
    assert page.locator(f"#task-{task.pk}").get_by_text("Pinned").is_visible()


def test_data_export_then_account_deletion(page, demo_student):
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto("/settings/data/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data (JSON)").click()
    payload = json.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))
    assert payload["tables"]["accounts.User"][0]["email"] == DEMO_EMAIL
    assert "courses.Course" in payload["tables"]
    page.get_by_role("link", name="Delete my account…").click()
    assert unlabelled_controls(page) == []
    page.get_by_label("Your password, to confirm").fill(DEMO_PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Delete my account for good").click()
    page.wait_for_url("**/settings/deleted/")
    assert page.get_by_role("heading", name="Your account is deleted").is_visible()
    assert not get_user_model().objects.filter(email=DEMO_EMAIL).exists()
    assert not StudyTask.objects.exists()


def test_the_main_pages_fit_a_phone_without_horizontal_scroll(phone_page, demo_student):
    course = demo_student.courses.order_by("code").first()
    log_in(phone_page, DEMO_EMAIL, DEMO_PASSWORD)
    for path in (
        "/",
        "/stats/",
        f"/grades/{course.pk}/",
        f"/courses/{course.pk}/overview",
        "/onboarding/availability/",
        "/onboarding/courses/",
        "/settings/data/",
    ):
        phone_page.goto(path)
        assert horizontal_overflow(phone_page) <= 0, path
        assert unlabelled_controls(phone_page) == [], path
