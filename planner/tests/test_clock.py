"""The suite's own clock: `PLANNER_TEST_NOW` moves a whole session to one instant."""

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

import conftest as root_conftest
from planner.testing.clock import command as clock_command

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.clock

# Far from the real time and from the instants `make test-clock` uses, so the test can tell.
FAR_INSTANT = "2061-07-04T12:00:00-05:00"


def test_the_session_travels_to_the_instant_given_and_the_clock_ticks(monkeypatch):
    monkeypatch.setenv(root_conftest.TEST_NOW_VARIABLE, FAR_INSTANT)
    # As a fresh session would: nothing started from an earlier instant.
    monkeypatch.delenv(root_conftest.TEST_NOW_SINCE_VARIABLE, raising=False)
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


def test_no_variable_means_the_fixed_default_instant(monkeypatch):
    monkeypatch.delenv(root_conftest.TEST_NOW_VARIABLE, raising=False)
    assert root_conftest.session_instant() == datetime.fromisoformat(root_conftest.DEFAULT_TEST_NOW)


def test_the_real_clock_only_when_asked_for(monkeypatch):
    monkeypatch.setenv(root_conftest.TEST_NOW_VARIABLE, root_conftest.REAL_CLOCK)
    assert root_conftest.session_instant() is None


def test_a_process_the_tests_start_stands_at_the_sessions_moment(tmp_path):
    """A child (a Celery worker, gunicorn) reads the session's clock, not the real one."""
    (tmp_path / "clock_probe.py").write_text("import time\nprint(time.time())\n")
    before = time.time()
    output = subprocess.run(  # noqa: S603 - fixed argv
        clock_command("clock_probe"),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        timeout=60,
    ).stdout
    after = time.time()
    assert before - 1 <= float(output.strip().splitlines()[-1]) <= after + 1
