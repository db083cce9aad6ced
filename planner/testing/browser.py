"""Browser fixtures: real headless Chromium (Debian's package) driven by Playwright. The root
conftest.py loads this module as a plugin, so every app's browser tests share one Chromium."""

import os
import shutil
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import require

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Every browser test runs at this instant, whatever the real time: mid-semester on a Wednesday
# afternoon in the demo's zone, before the evening's study blocks. The server (time-machine, for
# the whole process, so the live server's thread too) and the page's JavaScript (Playwright's
# clock) both start there and tick together.
BROWSER_NOW = datetime(2026, 11, 11, 15, 0, tzinfo=ZoneInfo("America/Chicago"))
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    require(path is not None, "needs Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop on this thread; the ORM calls the tests make
    # are still synchronous, so Django's async-safety guard does not apply here.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def browser_now():
    import time_machine

    # A fixed offset, not the ZoneInfo: time-machine would also set the process's TZ for one.
    with time_machine.travel(BROWSER_NOW.astimezone(UTC), tick=True):
        yield BROWSER_NOW


@pytest.fixture
def page(browser, live_server, browser_now):
    context = browser.new_context(viewport=DESKTOP, base_url=live_server.url)
    context.clock.install(time=browser_now)
    # Tests must never leave this machine: anything but the live server is refused.
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(live_server.url) else route.abort()
        ),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, browser_now):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, is_mobile=True)
    context.clock.install(time=browser_now)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def demo_student(transactional_db, browser_now):
    """The demo student with mastery, question banks, a finished setup and a plan."""
    from journey.management.commands.screenshots import prepare_demo_student

    return prepare_demo_student()


def log_in(page, email, password, landing="**/"):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(landing)
