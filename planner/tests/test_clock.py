"""The suite's own clock: `PLANNER_TEST_NOW` moves a whole session to one instant."""

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

import conftest as root_conftest

pytestmark = pytest.mark.clock

# Far from the real time and from the instants `make test-clock` uses, so the test can tell.
FAR_INSTANT = "2061-07-04T12:00:00-05:00"


def test_the_session_travels_to_the_instant_given_and_the_clock_ticks(monkeypatch):
    monkeypatch.setenv(root_conftest.TEST_NOW_VARIABLE, FAR_INSTANT)
    config = SimpleNamespace()
    root_conftest.pytest_configure(config)
    try:
        first = timezone.now()
        assert abs(first - datetime(2061, 7, 4, 17, 0, tzinfo=UTC)) < timedelta(seconds=5)
        assert first.astimezone(ZoneInfo("America/Chicago")).tzname() == "CDT"
        time.sleep(0.01)
        assert timezone.now() > first
    finally:
        root_conftest.pytest_unconfigure(config)
    assert timezone.now().year < 2061


def test_a_utc_instant_may_be_written_with_z(monkeypatch):
    monkeypatch.setenv(root_conftest.TEST_NOW_VARIABLE, "2026-12-31T23:59:00Z")
    assert root_conftest.session_instant() == datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def test_an_instant_without_an_offset_is_refused(monkeypatch):
    monkeypatch.setenv(root_conftest.TEST_NOW_VARIABLE, "2026-12-31T23:59:00")
    with pytest.raises(pytest.UsageError, match="offset"):
        root_conftest.session_instant()


def test_no_variable_means_the_real_clock(monkeypatch):
    monkeypatch.delenv(root_conftest.TEST_NOW_VARIABLE, raising=False)
    assert root_conftest.session_instant() is None
