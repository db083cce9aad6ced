"""A bench's `measure()` in a fresh interpreter per database: Django's settings are fixed once
set up, so SQLite and PostgreSQL each get a process of their own.

A module using it defines `measure() -> dict` (JSON-serialisable) and `run() -> list[dict]`, and
ends with `fresh.main(__name__ …)`; `measure_in_process("bench.<module>", url)` runs its
`measure` against `url` and returns what it printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def setup_django(database_url: str = "sqlite:///:memory:") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    # A throwaway database and in-process tasks, whatever the environment says.
    os.environ["DATABASE_URL"] = database_url
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    import django

    django.setup()


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A `test_` database beside the configured one, destroyed afterwards; yields its vendor."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield connection.vendor
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def measure_in_process(module: str, database_url: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-m", module, "--measure", database_url],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} on {database_url} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(measure: Callable[[], dict], run: Callable[[], list[dict]]) -> None:
    """`python -m bench.<module> --measure URL` prints one measurement as JSON; without
    arguments the module's rows are printed."""
    if sys.argv[1:2] == ["--measure"]:
        setup_django(sys.argv[2])
        print(json.dumps(measure()))
    else:
        for row in run():
            print(f"{row['name']}: {row['value']} {row['unit']}")
