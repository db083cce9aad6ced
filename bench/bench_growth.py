"""Page time against the size of the student's data: every student page and API list, timed for
one user at a base size and at four times it in every dimension (courses, topics per course,
records, tasks), with the page cache off so that each request does its page's whole work.

The target is the 4x time within 1.5x of the base time. The query counts at both sizes are not
timed here: planner/tests/test_page_cost.py asserts that they are equal and at most 12.

A page that lists what the student has (the week's blocks, every course, every topic of a
course) shows more rows at 4x, and its time follows them; a page over the history (stats,
mastery, grades) must not. Each figure is the fastest of seven requests after a warm-up one
(the machine's noise only ever adds time, so the fastest is the page's own cost), in this one
process, on PostgreSQL when BENCH_DATABASE_URL's server answers (a `test_`
database beside it), else SQLite in memory.

Run: `.venv/bin/python -m bench.bench_growth`. BENCH_GROWTH_SIZE=bench starts from the load
bench's student (8 courses, 200 topics, 10,000 records, 500 tasks; the 4x build then takes
several minutes); the default starts from a quarter of it.
"""

from __future__ import annotations

import os
import time as clock

from bench import fresh, scaled

REPEATS = 7
GROWTH_TARGET = 1.5
SEED = 4_004
QUARTER = scaled.ScaledSize(courses=4, topics_per_course=12, records=2_500, tasks=125)
SIZE = scaled.BENCH if os.environ.get("BENCH_GROWTH_SIZE") == "bench" else QUARTER


def _analyze() -> None:
    """Fresh statistics after the bulk build, as autovacuum would soon have them on a live
    database: without them PostgreSQL estimates one row where there are thousands, and picks
    plans no production database would."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _time_paths(client, paths) -> dict[str, float]:
    seconds = {}
    for path in paths:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        samples = []
        for _ in range(REPEATS):
            started = clock.perf_counter()
            client.get(path)
            samples.append(clock.perf_counter() - started)
        seconds[path] = min(samples)
    return seconds


def measure() -> dict:
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from accounts.models import User
    from journey.demo import DEMO_EMAIL

    settings.DASHBOARD_CACHE_ENABLED = False
    with fresh.throwaway_database() as vendor:
        with open(os.devnull, "w") as quiet:
            call_command("seed_demo", stdout=quiet)
        user = User.objects.get(email=DEMO_EMAIL)
        now = timezone.now()
        started = clock.perf_counter()
        scaled.build_scaled_student(user=user, now=now, size=SIZE, seed=SEED)
        _analyze()
        built_base = clock.perf_counter() - started
        client = Client()
        client.force_login(user)
        paths = scaled.student_paths(user)
        base = _time_paths(client, paths)
        started = clock.perf_counter()
        scaled.build_scaled_student(user=user, now=now, size=SIZE.times(4), seed=SEED)
        _analyze()
        built_large = clock.perf_counter() - started
        large = _time_paths(client, paths)
    return {
        "vendor": vendor,
        "built": [built_base, built_large],
        "base": base,
        "large": large,
    }


def _rows(figures: dict) -> list[dict]:
    backend = "PostgreSQL" if figures["vendor"] == "postgresql" else "SQLite"
    large_size = SIZE.times(4)
    rows = [
        {
            "name": f"[{backend}] sizes: 1x / 4x",
            "value": (
                f"{SIZE.courses} courses, {SIZE.courses * SIZE.topics_per_course} topics, "
                f"{SIZE.records} records, {SIZE.tasks} tasks / {large_size.courses}, "
                f"{large_size.courses * large_size.topics_per_course}, {large_size.records}, "
                f"{large_size.tasks}"
            ),
            "unit": "built in {:.0f} s / {:.0f} s".format(*figures["built"]),
        }
    ]
    misses = 0
    for path, base_seconds in figures["base"].items():
        large_seconds = figures["large"][path]
        ratio = large_seconds / base_seconds
        verdict = "meets" if ratio <= GROWTH_TARGET else "misses"
        misses += verdict == "misses"
        rows.append(
            {
                "name": f"[{backend}] {path}: 4x / 1x",
                "value": round(ratio, 2),
                "unit": (
                    f"x ({base_seconds * 1000:.1f} ms -> {large_seconds * 1000:.1f} ms, "
                    f"target <= {GROWTH_TARGET}) {verdict}"
                ),
            }
        )
    rows.append(
        {
            "name": f"[{backend}] paths over the growth target",
            "value": misses,
            "unit": f"of {len(figures['base'])}",
        }
    )
    return rows


def run() -> list[dict]:
    from bench import loadkit

    problem = loadkit.services_problem()
    database_url = "sqlite:///:memory:" if problem else loadkit.DATABASE_URL
    return _rows(fresh.measure_in_process("bench.bench_growth", database_url))


if __name__ == "__main__":
    fresh.main(measure, run)
