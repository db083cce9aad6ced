"""Plan-change notices and at-risk alerts, from real replans: the replan's snapshot (and notice)
is the event; its email goes once, and only for changes inside the next 24 hours."""

from datetime import timedelta

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from journey.notifications import sweeps
from journey.notifications.kinds import NotificationKind
from journey.notifications.models import Notification
from journey.tests.notify_helpers import eager_tasks  # noqa: F401
from planner.testing.smtp import Mailbox
from scheduling import services
from scheduling.models import PlanSnapshot, StudyTask, TaskStatus
from scheduling.tests.conftest import NOW, make_setup

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def planned(user, settings, smtp):
    with time_machine.travel(NOW, tick=False):
        setup = make_setup(user)
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.plan_regenerate(user=user)
        yield setup


def soonest(user) -> StudyTask:
    return (
        StudyTask.objects.for_user(user)
        .filter(status=TaskStatus.SCHEDULED)
        .order_by("scheduled_start")
        .first()
    )


def test_first_plan_sends_no_plan_change(planned, user, smtp):
    assert not Notification.objects.for_user(user).filter(kind=NotificationKind.PLAN_CHANGE)
    assert not any("changed" in m["Subject"] for m in smtp.messages)


def test_a_replan_moving_a_block_today_emails_once(planned, user, smtp):
    block = soonest(user)
    assert block.scheduled_start < NOW + timedelta(hours=24)
    with time_machine.travel(NOW, tick=False):
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.busy_intervals_replace(
                user=user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
            )
            services.plan_regenerate(user=user, reason="calendar_change")
        changed = [m for m in smtp.sent_to(user.email) if "changed" in m["Subject"]]
        assert len(changed) == 1
        body = Mailbox.text(changed[0])
        assert "calendar_change" in body and "The first change is at" in body
        # The same replan seen again (a redelivered task, the sweep) adds nothing.
        with TestCase.captureOnCommitCallbacks(execute=True):
            sweeps.plan_events_for_user(user=user)
            for uid in sweeps.plan_event_users(now=NOW, lookback=timedelta(minutes=10), batch=10):
                assert uid == str(user.pk)
    assert len([m for m in smtp.sent_to(user.email) if "changed" in m["Subject"]]) == 1
    assert (
        Notification.objects.for_user(user).filter(kind=NotificationKind.PLAN_CHANGE).count() == 1
    )


def test_an_assessment_at_risk_is_alerted_once_with_its_fixes_link(planned, user, smtp, settings):
    settings.SITE_URL = "http://testserver"
    snapshot = PlanSnapshot.objects.for_user(user).get()
    assessment = planned.user.courses.first().assessments.order_by("due_date").first()
    # What the planner writes when the assessment's work no longer fits before its deadline.
    snapshot.cushions = [
        {
            "assessment_id": str(assessment.pk),
            "is_at_risk": True,
            "summary": "needs 12 h, 7 h free before it",
            "suggestions": [{"action": "move"}, {"action": "drop"}],
        }
    ]
    with time_machine.travel(NOW, tick=False):
        with TestCase.captureOnCommitCallbacks(execute=True):
            snapshot.save()
        with TestCase.captureOnCommitCallbacks(execute=True):
            snapshot.save()
    alerts = [m for m in smtp.sent_to(user.email) if m["Subject"].startswith("At risk")]
    assert len(alerts) == 1
    body = Mailbox.text(alerts[0])
    assert "needs 12 h, 7 h free before it" in body and "2 one-click fixes" in body
    assert f"http://testserver{reverse('scheduling:at_risk')}" in Mailbox.links(alerts[0])


def test_plan_change_switched_off_sends_nothing(planned, user, smtp):
    from accounts.services import notification_settings_update

    notification_settings_update(user=user, plan_change_notices=False)
    block = soonest(user)
    with time_machine.travel(NOW, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        services.busy_intervals_replace(
            user=user, source="google", intervals=[(block.scheduled_start, block.scheduled_end)]
        )
        services.plan_regenerate(user=user, reason="calendar_change")
    assert not Notification.objects.for_user(user).filter(kind=NotificationKind.PLAN_CHANGE)


def test_the_alerts_and_the_daily_email_use_the_at_risk_pages_rule(planned, user):
    """An assessment with no study planned and nothing to show for it is at risk on the pages
    (scheduling.figures); the alerts and the morning email say the same of it."""
    from courses.tests.factories import AssessmentFactory
    from journey.notifications import readmodels
    from scheduling.figures import figures_for

    course = planned.user.courses.first()
    with time_machine.travel(NOW, tick=False):
        unplanned = AssessmentFactory(
            course=course, name="Lab report", due_date=NOW + timedelta(hours=20)
        )
        alerts = readmodels.at_risk_models(user, now=NOW)
        figures = figures_for(user, now=NOW)
        daily = readmodels.daily_models_for([user], now=NOW)[str(user.pk)]
    assert str(unplanned.pk) in figures.at_risk_ids
    assert {str(a.pk) for a, _ in alerts} == figures.at_risk_ids
    model = next(model for a, model in alerts if a.pk == unplanned.pk)
    assert model.summary == "No study is planned for it yet."
    assert model.deadline.is_at_risk and model.deadline.readiness_percent is None
    # The soonest deadline is this one, and the morning email marks it as the pages do.
    assert daily.next_deadline.title == "Lab report"
    assert daily.next_deadline.is_at_risk


def test_the_daily_email_follows_the_students_clock(planned, user):
    from accounts.services import preferences_update
    from journey.notifications import builders, readmodels

    with time_machine.travel(NOW, tick=False):
        on_24h = readmodels.daily_models_for([user], now=NOW)[str(user.pk)]
        preferences_update(user=user, time_format="12h")
        on_12h = readmodels.daily_models_for([user], now=NOW)[str(user.pk)]
    assert not on_24h.hour12 and on_12h.hour12
    assert on_12h.blocks, "the plan has blocks today"
    assert " PM" in builders.daily_plan(on_12h).body or " AM" in builders.daily_plan(on_12h).body
    assert " PM" not in builders.daily_plan(on_24h).body
