"""The nightly sweep replans every due student once, in batches that chain until done."""

import uuid
from collections import Counter
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache

from accounts.tests.factories import UserFactory
from scheduling import services, tasks
from scheduling.models import PlanSnapshot

pytestmark = pytest.mark.clock

# 17:05 UTC is 02:05 in Tokyo (the nightly hour) and 12:05 in New York.
TOKYO_NIGHT = datetime(2026, 12, 1, 17, 5, tzinfo=UTC)
# A cursor before every user id: a continuation that has all the due students left.
BEFORE_EVERY_USER = str(uuid.UUID(int=0))


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def replans(monkeypatch):
    """How many times each user was replanned (the task's one service call, counted)."""
    counts: Counter = Counter()
    real = services.plan_replan

    def counting(*, user, reason):
        counts[(str(user.pk), reason)] += 1
        return real(user=user, reason=reason)

    monkeypatch.setattr(services, "plan_replan", counting)
    return counts


@pytest.fixture
def batch_of_two(monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH_SIZE", 2)


def test_five_due_students_with_a_batch_of_two_are_each_replanned_once(db, replans, batch_of_two):
    tokyo = [UserFactory(timezone="Asia/Tokyo") for _ in range(5)]
    new_york = UserFactory(timezone="America/New_York")

    with time_machine.travel(TOKYO_NIGHT, tick=False):
        first = tasks.nightly_replan_sweep.delay().get()

    assert len(first["nightly"]) == 2 and first["continues"]
    assert replans == Counter({(str(user.pk), "nightly"): 1 for user in tokyo})
    marks = PlanSnapshot.objects.filter(user__in=tokyo).values_list("last_nightly_date", flat=True)
    assert sorted(str(mark) for mark in marks) == ["2026-12-02"] * 5
    assert not PlanSnapshot.objects.filter(user=new_york).exists()


def test_a_second_beat_in_the_same_hour_replans_nobody(db, replans, batch_of_two):
    tokyo = [UserFactory(timezone="Asia/Tokyo") for _ in range(3)]
    with time_machine.travel(TOKYO_NIGHT, tick=False):
        tasks.nightly_replan_sweep.delay().get()
        again = tasks.nightly_replan_sweep.delay().get()
    assert again["nightly"] == [] and not again["continues"]
    assert sum(replans.values()) == len(tokyo)


def test_a_chained_batch_keeps_the_night_it_started_in(db, replans):
    # The rest of a chain may run after 03:00 in Tokyo: it still covers the 02:xx zones.
    late = [UserFactory(timezone="Asia/Tokyo") for _ in range(2)]
    with time_machine.travel(datetime(2026, 12, 1, 18, 30, tzinfo=UTC), tick=False):
        result = tasks.nightly_replan_sweep.delay(TOKYO_NIGHT.isoformat(), BEFORE_EVERY_USER).get()
    assert sorted(result["nightly"]) == sorted(str(user.pk) for user in late)
    assert result["busy_changed"] == [] and result["missed"] == []


def test_due_students_are_found_in_pages_by_the_database(db, django_assert_num_queries):
    users = sorted((UserFactory(timezone="Asia/Tokyo") for _ in range(5)), key=lambda u: u.pk)
    first = services.users_due_for_nightly(now=TOKYO_NIGHT, limit=2)
    assert [user for user, _ in first] == users[:2]
    with django_assert_num_queries(2):
        rest = services.users_due_for_nightly(now=TOKYO_NIGHT, after_pk=users[1].pk, limit=10)
    assert [user for user, _ in rest] == users[2:]
