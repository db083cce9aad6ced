"""The replan pending sweep: a replan whose enqueue was lost is done once its grace has passed,
never while it may still be in flight, and a second pass finds nothing to do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tasking import pending_grace
from scheduling import tasks
from scheduling.models import PlanSnapshot, ReplanRequest
from scheduling.services import plan_regenerate, plan_replan_enqueue

pytestmark = [pytest.mark.clock, pytest.mark.django_db]


def age_requests(by: timedelta) -> None:
    ReplanRequest.objects.update(requested_at=timezone.now() - by)


def test_grace_period_is_honoured_then_the_lost_replan_is_done_once(user):
    # Outside a committing transaction the publish never runs: as after a broker outage.
    plan_replan_enqueue(user_id=user.pk, reason="checkin")
    plan_replan_enqueue(user_id=user.pk, reason="skipped")
    assert ReplanRequest.objects.count() == 2

    age_requests(pending_grace() - timedelta(seconds=30))
    assert tasks.replan_pending_sweep() == []
    assert not PlanSnapshot.objects.filter(user=user).exists()

    age_requests(pending_grace() + timedelta(seconds=30))
    assert tasks.replan_pending_sweep() == [str(user.pk)]
    assert PlanSnapshot.objects.get(user=user).reason == "pending"
    assert not ReplanRequest.objects.exists()
    assert tasks.replan_pending_sweep() == []


def test_any_replan_answers_the_requests_committed_before_it(user, other_user):
    plan_replan_enqueue(user_id=user.pk, reason="checkin")
    plan_replan_enqueue(user_id=other_user.pk, reason="checkin")
    plan_regenerate(user=user, reason="by hand")
    assert list(ReplanRequest.objects.values_list("user_id", flat=True)) == [other_user.pk]
