"""Every student page and API list costs the same number of queries at 1x and 4x the data,
and at most PAGE_QUERY_BUDGET.

The student is the demo student grown with the bench's own builder (bench/scaled.py) to a few
hundred records, then to four times as much (four times the courses, topics per course,
records and tasks). A page whose cost follows the data (a query per course, a list of every
topic) shows a different count at the two sizes. Time is the bench's business, not this test's.
"""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from bench import scaled
from courses.models import Course
from journey.demo import DEMO_EMAIL

pytestmark = [pytest.mark.django_db]

# The ceiling for one page or API list.
PAGE_QUERY_BUDGET = 12
NOW = datetime(2026, 10, 14, 17, 30, tzinfo=UTC)
SEED = 20


def query_counts(client, paths) -> dict[str, int]:
    counts = {}
    for path in paths:
        client.get(path)  # warm: sessions, preferences rows and caches as a live server has them
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200, f"{path} answered {response.status_code}"
        counts[path] = len(captured.captured_queries)
    return counts


def test_page_cost_is_constant_in_the_size_of_the_data(client, settings):
    # The panels are counted as a cold dashboard renders them: the cache only hides cost.
    settings.DASHBOARD_CACHE_ENABLED = False
    # As in production, where sessions are read from Redis (cached_db): the session row is not a
    # query a page pays, with or without a Redis in this run.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
        user = User.objects.get(email=DEMO_EMAIL)
        scaled.build_scaled_student(user=user, now=NOW, size=scaled.SMALL, seed=SEED)
        client.force_login(user)
        paths = scaled.student_paths(user)
        small = query_counts(client, paths)
        scaled.build_scaled_student(user=user, now=NOW, size=scaled.SMALL.times(4), seed=SEED)
        large = query_counts(client, paths)
    assert Course.objects.for_user(user).count() == scaled.SMALL.times(4).courses
    grown = {path: (small[path], large[path]) for path in paths if small[path] != large[path]}
    assert grown == {}, f"query count grew with the data (1x, 4x): {grown}"
    over = {path: count for path, count in large.items() if count > PAGE_QUERY_BUDGET}
    assert over == {}, f"over {PAGE_QUERY_BUDGET} queries: {over}"
