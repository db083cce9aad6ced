"""The week grid and the availability painter in real Chromium: a block dragged to a free slot
is saved there and pinned, availability painted and erased by dragging is saved, and neither
page logs a console error on the way."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from accounts.services import preferences_get_current
from journey.demo import DEMO_EMAIL, DEMO_PASSWORD
from planner.testing.a11y import horizontal_overflow, low_contrast_text, unlabelled_controls
from planner.testing.browser import log_in
from scheduling import selectors
from scheduling.models import StudyTask, TaskStatus, TaskType
from scheduling.week_grid import DAYS_SHOWN
from scheduling.work import user_zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The drag script snaps drops to quarter hours.
SNAP = timedelta(minutes=15)
TALL = {"width": 1280, "height": 1500}


def console_errors(page) -> list[str]:
    errors: list[str] = []

    def on_console(message):
        # The site-wide favicon is not this page's; every other failed load counts.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def free_slot(user, task: StudyTask, *, first_day, avoid_day):
    """The first quarter hour in the week shown (not on `avoid_day`) where the block fits: inside
    availability, clear of busy time and of every other block, ending by its deadline."""
    tz = user_zone(user)
    length = task.scheduled_end - task.scheduled_start
    windows = preferences_get_current(user=user).weekly_availability
    taken = [
        (t.scheduled_start, t.scheduled_end)
        for t in StudyTask.objects.for_user(user)
        .placed()
        .exclude(pk=task.pk)
        .exclude(status=TaskStatus.SKIPPED)
    ]
    taken += [(b.start, b.end) for b in selectors.busy_intervals_for(user.pk)]
    deadline = task.assessment.due_date if task.assessment_id else None
    for offset in range(DAYS_SHOWN):
        day = first_day + timedelta(days=offset)
        if day == avoid_day:
            continue
        for window in windows.get(WEEKDAYS[day.weekday()], []):
            opens = datetime.combine(day, time.fromisoformat(window["start"]), tzinfo=tz)
            closes = datetime.combine(day, time.fromisoformat(window["end"]), tzinfo=tz)
            start = opens
            while start + length <= closes:
                end = start + length
                clear = all(end <= s or start >= e for s, e in taken)
                if start > timezone.now() and clear and (deadline is None or end <= deadline):
                    return start
                start += SNAP
    raise AssertionError("the demo week has no free slot for the block")


def test_a_block_dragged_to_a_free_slot_is_saved_there_and_pinned(page, demo_student):
    errors = console_errors(page)
    tz = user_zone(demo_student)
    today = timezone.now().astimezone(tz).date()
    # Tall enough for the whole grid: the mouse can only reach what is on the screen.
    page.set_viewport_size(TALL)
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto("/plan/")
    task = (
        StudyTask.objects.for_user(demo_student)
        .filter(status=TaskStatus.SCHEDULED, scheduled_start__gt=timezone.now(), is_pinned=False)
        .exclude(task_type=TaskType.REVIEW)  # a short review may sit inside a review session
        .order_by("scheduled_start")
        .first()
    )
    home_day = task.scheduled_start.astimezone(tz).date()
    target = free_slot(demo_student, task, first_day=today, avoid_day=home_day)

    assert low_contrast_text(page) == []
    block = page.locator(f"#block-{task.pk}")
    assert block.get_attribute("data-start") == task.scheduled_start.astimezone(tz).isoformat()
    grid = page.locator(".wk-grid")
    first_hour = int(grid.get_attribute("data-first-hour"))
    hours = int(grid.get_attribute("data-hours"))
    home = page.locator(f'.wk-col[data-date="{home_day.isoformat()}"]').bounding_box()
    column = page.locator(f'.wk-col[data-date="{target.date().isoformat()}"]').bounding_box()
    box = block.bounding_box()
    hour_px = column["height"] / hours
    target_top = ((target.hour - first_hour) * 60 + target.minute) / 60 * hour_px
    grab_x, grab_y = box["x"] + box["width"] / 2, box["y"] + min(4, box["height"] / 2)
    drop_y = grab_y + target_top - (box["y"] - home["y"])

    page.mouse.move(grab_x, grab_y)
    page.mouse.down()
    page.mouse.move(column["x"] + column["width"] / 2, drop_y, steps=8)
    assert "Drop to move to" in page.locator("#wk-status").inner_text()
    with page.expect_response(lambda r: r.url.endswith("/move")) as answer:
        page.mouse.up()
    assert answer.value.status == 200
    page.wait_for_load_state("load")
    page.locator(f'#block-{task.pk}[data-start="{target.isoformat()}"]').wait_for()

    task.refresh_from_db()
    assert task.scheduled_start == target and task.is_pinned
    assert task.scheduled_end == target + (task.scheduled_end - task.scheduled_start)
    # A review session on the grid opens its list of topics below.
    session = page.locator(".wk-reviews").first
    details_id = session.get_attribute("href").removeprefix("#")
    details = page.locator(f"#{details_id}")
    assert not details.evaluate("element => element.open")
    session.click()
    page.wait_for_function("id => document.getElementById(id).open", arg=details_id)
    assert details.locator(".review-topics li").count() >= 2
    assert errors == []


def test_availability_painted_and_erased_by_dragging_is_saved(page, demo_student):
    errors = console_errors(page)
    before = preferences_get_current(user=demo_student).weekly_availability
    assert before["monday"] == [{"start": "18:00", "end": "22:00"}]
    assert before["saturday"][0]["start"] == "09:00"
    log_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    page.goto("/accounts/preferences/")
    page.locator(".avail-grid").scroll_into_view_if_needed()

    def cell(day: str, minute: int):
        return page.locator(f'.avail-cell[data-key="{day}"][data-minute="{minute}"]')

    def drag(start, end):
        first, last = start.bounding_box(), end.bounding_box()
        page.mouse.move(first["x"] + 3, first["y"] + 3)
        page.mouse.down()
        page.mouse.move(last["x"] + 3, last["y"] + 3, steps=6)
        page.mouse.up()

    # Paint Monday and Tuesday 08:00-10:00 in one stroke (08:00 to the 09:30 half hour).
    drag(cell("monday", 8 * 60), cell("tuesday", 9 * 60 + 30))
    assert page.locator('[name="monday-0-start"]').input_value() == "08:00"
    assert page.locator('[name="monday-0-end"]').input_value() == "10:00"
    # Erase Saturday's first hour: a stroke that starts on marked time erases.
    drag(cell("saturday", 9 * 60), cell("saturday", 9 * 60 + 30))
    assert page.locator('[name="saturday-0-start"]').input_value() == "10:00"
    # The keyboard path: another range on Sunday typed into a new row.
    page.get_by_role("button", name="Add a range on Sunday").click()
    page.get_by_label("Sunday range 2 start").fill("22:00")
    page.get_by_label("Sunday range 2 end").fill("22:30")
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_url("**/accounts/preferences/")
    assert page.get_by_text("Preferences saved.").is_visible()

    after = preferences_get_current(user=demo_student).weekly_availability
    for day in ("monday", "tuesday"):
        assert after[day][0] == {"start": "08:00", "end": "10:00"}
        assert after[day][1:] == before[day]
    assert after["saturday"] == [{"start": "10:00", "end": before["saturday"][0]["end"]}]
    assert after["sunday"] == [*before["sunday"], {"start": "22:00", "end": "22:30"}]
    assert after["wednesday"] == before["wednesday"]
    assert errors == []


def test_on_a_phone_the_week_is_one_day_at_a_time_without_sideways_scroll(phone_page, demo_student):
    errors = console_errors(phone_page)
    tz = user_zone(demo_student)
    today = timezone.now().astimezone(tz).date()
    tomorrow = today + timedelta(days=1)
    log_in(phone_page, DEMO_EMAIL, DEMO_PASSWORD)
    phone_page.goto("/plan/")
    assert horizontal_overflow(phone_page) <= 0
    assert not phone_page.locator(".wk-scroll").is_visible()  # the grid needs a wider screen
    today_section = phone_page.locator(f"#agenda-{today.isoformat()}")
    tomorrow_section = phone_page.locator(f"#agenda-{tomorrow.isoformat()}")
    assert today_section.is_visible() and not tomorrow_section.is_visible()
    phone_page.get_by_role("link", name=f"{tomorrow:%a} {tomorrow.day}", exact=True).click()
    assert tomorrow_section.is_visible() and not today_section.is_visible()
    assert horizontal_overflow(phone_page) <= 0
    assert unlabelled_controls(phone_page) == []
    assert errors == []
