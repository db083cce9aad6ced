"""One clock for a test session and every process it starts.

The session travels to a fixed instant and ticks from there (see the root conftest). A process the
tests start - an xdist worker, a Celery worker, gunicorn - would otherwise run at the real time, so
a grade dated by the test would look days away to the server that receives it. Each such process
instead stands at the same moment: the instant plus the real time elapsed since the session read
it.
"""

import os
import runpy
import sys
import time
from datetime import datetime, timedelta

import time_machine

TEST_NOW_VARIABLE = "PLANNER_TEST_NOW"
TEST_NOW_SINCE_VARIABLE = "PLANNER_TEST_NOW_SINCE"


def travel_from(instant: datetime) -> time_machine.travel:
    """A ticking travel to `instant`, shared with child processes through the environment.

    The first process records the real second it started from; children (which inherit the
    environment) travel to the same instant shifted by the real time elapsed since.
    """
    since = os.environ.get(TEST_NOW_SINCE_VARIABLE)
    if since is None:
        since = repr(time.time())
        os.environ[TEST_NOW_SINCE_VARIABLE] = since
        os.environ[TEST_NOW_VARIABLE] = instant.isoformat()
    elapsed = max(0.0, time.time() - float(since))
    return time_machine.travel(instant + timedelta(seconds=elapsed), tick=True)


def session_travel() -> time_machine.travel | None:
    """The travel a child process takes, or None outside a travelling session."""
    value = os.environ.get(TEST_NOW_VARIABLE)
    if not value or os.environ.get(TEST_NOW_SINCE_VARIABLE) is None:
        return None
    return travel_from(datetime.fromisoformat(value))


def command(module: str, *arguments: str) -> list[str]:
    """The argv that runs `python -m module arguments…` at the session's moment."""
    return [sys.executable, "-m", "planner.testing.clock", module, *arguments]


def main() -> None:
    travel = session_travel()
    if travel is not None:
        travel.start()
    module, *arguments = sys.argv[1:]
    sys.argv = [module, *arguments]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
