"""Every plan the services save passes `planner.validate`: a broken one is never saved.

The planner is correct (its property tests say so), so the broken plan comes from a test
double of the pure core, put in at the one seam the services call it through.
"""

import logging
from dataclasses import replace
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse

from scheduling import planner, services, tasks
from scheduling.models import PlanSnapshot, ReplanRequest, StudyTask
from scheduling.services import plan as plan_service

pytestmark = pytest.mark.clock


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def overlapping_plan(request: planner.PlanRequest) -> planner.PlanResult:
    """The real plan, with its second block moved onto its first: two blocks overlap."""
    result = planner.plan(request)
    first, second = result.blocks[0], result.blocks[1]
    moved = replace(second, start=first.start, end=first.start + (second.end - second.start))
    return replace(result, blocks=(first, moved, *result.blocks[2:]))


def saved_rows(user) -> list[tuple]:
    return sorted(
        StudyTask.objects.for_user(user).values_list(
            "pk", "status", "scheduled_start", "scheduled_end", "estimated_duration_min"
        )
    )


@pytest.fixture
def broken_core(monkeypatch):
    monkeypatch.setattr(plan_service, "plan_core", overlapping_plan)


def test_a_plan_breaking_a_hard_rule_is_never_saved_and_the_old_plan_stays(
    setup, monkeypatch, caplog
):
    services.plan_regenerate(user=setup.user)
    before_rows = saved_rows(setup.user)
    before_snapshot = PlanSnapshot.objects.get(user=setup.user)
    assert before_rows
    # Replanned an hour later, so a saved snapshot would show a new planned_at.
    monkeypatch.setattr(plan_service, "plan_core", overlapping_plan)

    with caplog.at_level(logging.ERROR), pytest.raises(services.PlanRejected) as rejected:
        services.plan_regenerate(
            user=setup.user, now=before_snapshot.planned_at + timedelta(hours=1)
        )

    assert any("overlaps" in violation for violation in rejected.value.violations)
    assert "overlaps" in caplog.text and str(setup.user.pk) in caplog.text
    assert saved_rows(setup.user) == before_rows
    snapshot = PlanSnapshot.objects.get(user=setup.user)
    assert snapshot.planned_at == before_snapshot.planned_at


def test_a_rejected_first_plan_saves_nothing(setup, broken_core):
    with pytest.raises(services.PlanRejected):
        services.plan_regenerate(user=setup.user)
    assert not StudyTask.objects.for_user(setup.user).exists()
    assert not PlanSnapshot.objects.filter(user=setup.user).exists()


def test_the_api_answers_400_and_the_page_shows_the_message(
    setup, broken_core, api_client, logged_in_client
):
    response = api_client.post(reverse("api:schedule_replan"), {"reason": "felt behind"})
    assert response.status_code == 400
    assert "current plan was kept" in response.content.decode()
    page = logged_in_client.post(reverse("scheduling:replan"), follow=True)
    assert page.status_code == 200
    assert "current plan was kept" in page.content.decode()
    assert not StudyTask.objects.for_user(setup.user).exists()


def test_the_task_gives_up_quietly_and_leaves_the_request_for_the_sweep(setup, broken_core):
    ReplanRequest.objects.create(user=setup.user, reason="test")
    assert tasks.replan_user.delay(str(setup.user.pk), "test").get() is None
    assert ReplanRequest.objects.for_user(setup.user).count() == 1
    assert not StudyTask.objects.for_user(setup.user).exists()
