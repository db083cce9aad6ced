"""Browser fixtures: real headless Chromium driven by Playwright (see planner.testing.browser)."""

from planner.testing.browser import browser, demo_student, page, phone_page  # noqa: F401
