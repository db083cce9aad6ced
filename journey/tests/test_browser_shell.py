"""The page shell in real Chromium: every main page at phone and desktop width fits the screen,
passes axe-core without a serious or critical violation, and loads without a console error or a
failed request; the header stays compact; the focus timer follows its block."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from journey.demo import DEMO_EMAIL, DEMO_PASSWORD
from journey.management.commands.screenshots import (
    NEW_STUDENT_EMAIL,
    NEW_STUDENT_PASSWORD,
    main_pages,
    new_student_pages,
    prepare_new_student,
)
from planner.testing.browser import log_in
from scheduling.models import StudyTask, TaskStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The measures: an iPhone-sized screen, and a common laptop width.
PHONE_SCREEN = {"width": 375, "height": 812}
LAPTOP_SCREEN = {"width": 1366, "height": 900}
# A quarter of the phone screen at most for the header (it took 251 px with 18 links).
MAX_HEADER_PX = 203
# "Today" was about 10,700 px tall on a phone; long lists are folded, so a few screens at most.
MAX_TODAY_PHONE_PX = 4 * PHONE_SCREEN["height"]
BLOCKING_IMPACTS = {"serious", "critical"}


def open_context(browser, live_server, browser_now, viewport):
    context = browser.new_context(
        viewport=viewport,
        base_url=live_server.url,
        is_mobile=viewport["width"] < 600,
    )
    # The server's frozen clock has ticked on while the demo data was built: the page's clock
    # starts from the server's "now", so the two agree on when a block started.
    context.clock.install(time=max(browser_now, timezone.now()))
    return context


class PageWatch:
    """Console errors, uncaught exceptions and failed requests (network errors or HTTP >= 400)."""

    def __init__(self, page):
        self.problems: list[str] = []
        page.on(
            "console",
            lambda message: (
                self.problems.append(f"console: {message.text}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.problems.append(f"exception: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.problems.append(f"failed: {request.url} {request.failure}"),
        )
        page.on(
            "response",
            lambda response: (
                self.problems.append(f"HTTP {response.status}: {response.url}")
                if response.status >= 400
                else None
            ),
        )

    def take(self) -> list[str]:
        problems, self.problems = self.problems, []
        return problems


def blocking_violations(axe, page) -> list[str]:
    results = axe.run(page)
    return [
        f"{violation['id']} ({violation['impact']}): "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def walk(page, pages, *, phone: bool) -> dict[str, list[str]]:
    axe = Axe()
    # The page the walk starts from (where login landed) finishes its own requests first, so
    # leaving it cannot abort one and have that charged to the first page walked.
    page.wait_for_load_state("networkidle")
    watch = PageWatch(page)
    found: dict[str, list[str]] = {}
    for label, path in pages:
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        problems = [] if response.ok else [f"status {response.status}"]
        problems += watch.take()
        problems += blocking_violations(axe, page)
        if phone:
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > PHONE_SCREEN["width"]:
                problems.append(f"scrolls sideways: {width} px wide")
            header = page.locator(".site-header").bounding_box()["height"]
            if header > MAX_HEADER_PX:
                problems.append(f"header {header} px tall")
        if problems:
            found[label] = problems
    return found


def test_every_main_page_fits_a_phone_is_accessible_and_clean(
    browser, live_server, browser_now, demo_student
):
    pages = main_pages(demo_student)
    context = open_context(browser, live_server, browser_now, PHONE_SCREEN)
    page = context.new_page()
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    assert walk(page, pages, phone=True) == {}
    page.goto("/plan/today")
    assert page.evaluate("document.scrollingElement.scrollHeight") <= MAX_TODAY_PHONE_PX
    page.goto("/plan/at-risk")
    fix_header = page.get_by_role("columnheader", name="Suggested fix")
    if fix_header.count():
        box = fix_header.bounding_box()
        assert box is not None and box["x"] + box["width"] <= PHONE_SCREEN["width"]
    else:
        # Narrow screens stack each row into a card; every fix keeps its label.
        assert page.locator("td[data-label='Suggested fix']").first.is_visible()
    context.close()


def test_every_main_page_at_laptop_width_is_accessible_and_clean(
    browser, live_server, browser_now, demo_student
):
    pages = main_pages(demo_student)
    context = open_context(browser, live_server, browser_now, LAPTOP_SCREEN)
    page = context.new_page()
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    assert walk(page, pages, phone=False) == {}
    context.close()


def test_a_student_mid_setup_can_resume_from_every_page_on_a_phone(
    browser, live_server, browser_now
):
    newcomer = prepare_new_student()
    context = open_context(browser, live_server, browser_now, PHONE_SCREEN)
    page = context.new_page()
    log_in(page, NEW_STUDENT_EMAIL, NEW_STUDENT_PASSWORD)
    assert walk(page, new_student_pages(newcomer), phone=True) == {}
    page.goto("/integrations/")
    link = page.get_by_test_id("continue-setup")
    assert link.inner_text() == "Continue setup (step 3 of 6)"
    link.click()
    page.wait_for_url("**/onboarding/availability/")
    assert page.get_by_test_id("continue-setup").count() == 0
    context.close()


def test_the_more_menu_opens_without_script_and_reaches_every_page(
    browser, live_server, browser_now, demo_student
):
    context = open_context(browser, live_server, browser_now, PHONE_SCREEN)
    page = context.new_page()
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    primary = page.get_by_role("navigation", name="Main").get_by_role("link")
    assert primary.count() <= 5
    menu = page.locator(".more-menu")
    assert not menu.get_by_role("link", name="Stats").is_visible()
    menu.locator("summary").click()
    for name in [
        "At risk",
        "Check-in",
        "Calendar feed",
        "Reviews due",
        "Study modes",
        "Import courses",
        "Stats",
        "Grades",
        "Your data",
        "Integrations",
        "Preferences",
        "Profile",
        "API tokens",
    ]:
        assert menu.get_by_role("link", name=name, exact=True).is_visible(), name
    assert menu.get_by_role("button", name="Log out").is_visible()
    menu.get_by_role("link", name="Stats", exact=True).click()
    page.wait_for_url("**/stats/")
    context.close()


def shorten_focus_block(user, minutes):
    """The demo's next block, made `minutes` long (the planner's blocks are 25 minutes or more)."""
    task = (
        StudyTask.objects.filter(user=user, status=TaskStatus.SCHEDULED)
        .exclude(scheduled_start=None)
        .order_by("scheduled_start")
        .first()
    )
    StudyTask.objects.filter(pk=task.pk).update(
        scheduled_end=task.scheduled_start + timedelta(minutes=minutes),
        estimated_duration_min=minutes,
    )
    return task


def seconds_shown(page) -> int:
    minutes, seconds = page.get_by_test_id("timer-display").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


@pytest.mark.clock
def test_the_timer_counts_the_blocks_own_length_and_shows_it_in_the_title(
    browser, live_server, browser_now, demo_student
):
    shorten_focus_block(demo_student, 15)
    context = open_context(browser, live_server, browser_now, PHONE_SCREEN)
    page = context.new_page()
    watch = PageWatch(page)
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    focus = page.locator(".focus")
    # Before Start: the block's own length, and no completion fields yet.
    assert page.get_by_test_id("timer-display").inner_text() == "15:00"
    assert focus.get_by_label("How much did you finish").count() == 0
    assert focus.get_by_role("button", name="Complete").count() == 0
    # The timer and the next block are in the first screen of the phone.
    timer_box = page.get_by_test_id("timer-display").bounding_box()
    assert timer_box["y"] + timer_box["height"] <= PHONE_SCREEN["height"]
    title_box = page.locator("#focus-title").bounding_box()
    assert title_box["y"] + title_box["height"] <= PHONE_SCREEN["height"]

    focus.get_by_role("button", name="Start").click()
    focus.get_by_role("button", name="Complete").wait_for()
    assert page.get_by_test_id("focus-status").inner_text() == "In progress"
    page.clock.run_for("05:00")
    left = seconds_shown(page)
    # Ten minutes left, less the seconds the test itself took. The page's clock and the
    # server's (which stamped actual_start) are separate clocks that each tick on from the
    # same instant, and CI has seen them a second apart, so a few seconds' drift is allowed
    # either way; a timer that had not counted the five minutes would still show 15:00.
    assert 9 * 60 <= left <= 10 * 60 + 5
    assert re.match(r"^\d\d:\d\d left · ", page.title())
    page.clock.run_for("11:00")
    assert page.get_by_test_id("timer-display").inner_text() == "00:00"
    assert page.title().startswith("Time is up")
    # Start and Complete are htmx swaps: neither logs a CSP error (or any other).
    focus.get_by_role("button", name="Complete").click()
    page.get_by_text("completed.").first.wait_for()
    page.clock.run_for(2000)
    assert page.title() == "Dashboard · Study Planner"  # the countdown left with its block
    assert watch.take() == []
    context.close()


@pytest.mark.clock
def test_a_weeks_block_is_completed_from_its_card_with_the_form_fetched_on_demand(
    browser, live_server, browser_now, demo_student
):
    task = shorten_focus_block(demo_student, 30)
    context = open_context(browser, live_server, browser_now, PHONE_SCREEN)
    page = context.new_page()
    watch = PageWatch(page)
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto("/plan/")
    card = page.locator(f"#task-{task.pk}")
    # The card carries links, not the forms: the form comes when the student asks for it.
    assert card.get_by_label("How much did you finish").count() == 0
    card.get_by_role("link", name=f"Complete {task.title}").click()
    percent = card.get_by_label("How much did you finish")
    percent.wait_for()
    assert page.url.endswith("/plan/")  # fetched into the card, not a page load
    # The first field has the focus, so a keyboard user goes on from where they were.
    assert percent.evaluate("element => element === document.activeElement")
    percent.fill("80")
    card.get_by_label("How well do you understand it now").select_option("4")
    card.get_by_role("button", name="Mark complete").click()
    card.get_by_text("Status: Completed").wait_for()
    task.refresh_from_db()
    assert (task.status, task.completion_percentage, task.self_rating) == (
        TaskStatus.COMPLETED,
        80,
        4,
    )
    assert watch.take() == []
    context.close()
