"""Notifications through a real SMTP server (aiosmtpd on 127.0.0.1) and Django's SMTP backend:
who gets what, when in their own time, the unsubscribe link and headers, at most once."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import TestCase
from django.urls import reverse

from accounts.services import notification_settings_get
from journey.notifications import delivery, sweeps
from journey.notifications.kinds import DeliveryState, NotificationKind
from journey.notifications.models import Notification
from journey.notifications.timing import slot_end
from journey.tests.notify_helpers import CHICAGO, block, eager_tasks, student  # noqa: F401
from planner.testing.smtp import Mailbox

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

CHI = ZoneInfo(CHICAGO)
SLOT = 15


def run_slot(now: datetime, kind=NotificationKind.DAILY_PLAN, batch=500):
    """What beat does at `now`: the slot's run, with the deliveries it asks for after commit
    (run in-process when CELERY_TASK_ALWAYS_EAGER)."""
    with time_machine.travel(now, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return sweeps.slot_run(kind=kind, end=slot_end(now, SLOT), now=now, batch=batch)


def make_slot(now: datetime, kind=NotificationKind.DAILY_PLAN, batch=500):
    """The slot's run without its deliveries: the test's transaction never commits, so the
    delivery tasks published after commit are never sent and the test runs them itself."""
    with time_machine.travel(now, tick=False):
        return sweeps.slot_run(kind=kind, end=slot_end(now, SLOT), now=now, batch=batch)


def run_reminders(now: datetime, batch=50):
    with time_machine.travel(now, tick=False), TestCase.captureOnCommitCallbacks(execute=True):
        return sweeps.reminders_run(batch=batch)


@pytest.mark.parametrize(
    "local_day",
    [
        datetime(2027, 3, 13, 7, 0, tzinfo=CHI),  # CST, UTC-6: 13:00 UTC
        datetime(2027, 3, 14, 7, 0, tzinfo=CHI),  # the change itself: CDT from 02:00
        datetime(2027, 3, 15, 7, 0, tzinfo=CHI),  # CDT, UTC-5: 12:00 UTC
    ],
)
def test_daily_email_goes_out_at_seven_local_on_both_sides_of_dst(smtp, settings, local_day):
    user = student()
    start = local_day.replace(hour=18, minute=30)
    block(user, start=start, title="Cell division", code="BIO 101")
    seven = local_day.astimezone(UTC)
    # A quarter hour before, nothing is due; at 07:00 local exactly, the email goes.
    assert run_slot(seven - timedelta(minutes=SLOT)).created == 0
    assert smtp.sent_to(user.email) == []
    assert run_slot(seven).created == 1
    [message] = smtp.sent_to(user.email)
    body = Mailbox.text(message)
    assert f"{local_day:%A} {local_day.day} {local_day:%B}" in body
    # The block's time as the student's clock shows it, on whichever side of the change.
    assert "18:30-19:20 BIO 101: Cell division" in body
    # The next slot finds nobody: one daily email per local date.
    assert run_slot(seven + timedelta(minutes=SLOT)).created == 0
    assert run_slot(seven).created == 0
    assert len(smtp.sent_to(user.email)) == 1


def test_utc_hour_of_the_daily_email_moves_with_dst(smtp, settings):
    user = student()
    # 13:00 UTC is 07:00 CST on the 13th but 08:00 CDT on the 15th: no email then.
    assert run_slot(datetime(2027, 3, 13, 13, 0, tzinfo=UTC)).created == 1
    assert run_slot(datetime(2027, 3, 15, 13, 0, tzinfo=UTC)).created == 0
    assert run_slot(datetime(2027, 3, 15, 12, 0, tzinfo=UTC)).created == 1
    assert len(smtp.sent_to(user.email)) == 2


def test_email_headers_and_one_click_unsubscribe_without_login(smtp, settings, client):
    settings.SITE_URL = "http://testserver"
    user = student()
    run_slot(datetime(2027, 3, 15, 12, 0, tzinfo=UTC))
    [message] = smtp.sent_to(user.email)
    assert message["To"] == user.email
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = message["List-Unsubscribe"].strip().strip("<>")
    assert header_url.startswith("http://testserver/notifications/unsubscribe/")
    # The body carries the same link, for readers whose client shows no button.
    assert header_url in Mailbox.links(message)
    path = header_url.removeprefix("http://testserver")
    # Following the link (GET, as a link scanner would) changes nothing.
    page = client.get(path)
    assert page.status_code == 200
    assert b"Unsubscribe" in page.content
    assert notification_settings_get(user=user).daily_plan_email is True
    # The mail client's one-click POST, not logged in and with no CSRF token, switches it off.
    client.handler.enforce_csrf_checks = True
    done = client.post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert done.status_code == 200
    prefs = notification_settings_get(user=user)
    assert prefs.daily_plan_email is False
    # Only that kind: the other notifications stay on.
    assert prefs.study_reminders is True and prefs.email_notifications is True
    smtp.clear()
    assert run_slot(datetime(2027, 3, 16, 12, 0, tzinfo=UTC)).created == 0
    assert smtp.messages == []


def test_a_tampered_unsubscribe_token_is_refused(client, smtp, settings):
    settings.SITE_URL = "http://testserver"
    user = student()
    run_slot(datetime(2027, 3, 15, 12, 0, tzinfo=UTC))
    path = (
        smtp.sent_to(user.email)[0]["List-Unsubscribe"]
        .strip()
        .strip("<>")
        .removeprefix("http://testserver")
    )
    forged = path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb")
    assert client.post(forged).status_code == 400
    assert client.get(reverse("journey:unsubscribe", args=["not-a-token"])).status_code == 400
    assert notification_settings_get(user=user).daily_plan_email is True


def test_nothing_is_emailed_to_an_unverified_address_but_the_list_shows_it(smtp, settings):
    user = student(verified=False)
    assert run_slot(datetime(2027, 3, 15, 12, 0, tzinfo=UTC)).created == 1
    assert smtp.messages == []
    row = Notification.objects.for_user(user).get()
    assert row.email_state == DeliveryState.SKIPPED
    assert "not verified" in row.skip_reason


def test_email_switched_off_keeps_the_in_app_item(smtp, settings):
    user = student(email_notifications=False)
    run_slot(datetime(2027, 3, 15, 12, 0, tzinfo=UTC))
    assert smtp.messages == []
    assert Notification.objects.for_user(user).get().kind == NotificationKind.DAILY_PLAN


def test_a_claimed_email_is_never_sent_again_even_if_its_worker_died(smtp, settings):
    """At most once: a row left `sending` by a dead worker is not resent by any sweep."""
    user = student()
    now = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    make_slot(now)
    row = Notification.objects.for_user(user).get()
    # The worker claimed it and died before the SMTP exchange finished.
    Notification.objects.filter(pk=row.pk).update(
        email_state=DeliveryState.SENDING, email_claimed_at=now
    )
    later = now + timedelta(hours=1)
    assert sweeps.delivery_due(now=later, grace=timedelta(0), batch=10) == []
    delivery.notification_deliver(notification_id=row.pk, now=later)
    assert smtp.messages == []
    row.refresh_from_db()
    assert row.email_state == DeliveryState.SENDING


def test_delivery_twice_sends_once(smtp, settings):
    user = student()
    now = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    make_slot(now)
    row = Notification.objects.for_user(user).get()
    delivery.notification_deliver(notification_id=row.pk, now=now)
    delivery.notification_deliver(notification_id=row.pk, now=now)
    assert len(smtp.sent_to(user.email)) == 1
    row.refresh_from_db()
    assert row.email_state == DeliveryState.SENT and row.email_sent_at is not None


def test_a_refused_connection_leaves_it_pending_for_the_sweep(smtp, settings):
    user = student()
    now = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    make_slot(now)
    row = Notification.objects.for_user(user).get()
    real_port = settings.EMAIL_PORT
    from planner.testing.services import free_port

    settings.EMAIL_PORT = free_port()  # nothing listens there: the connection is refused
    delivery.notification_deliver(notification_id=row.pk, now=now)
    row.refresh_from_db()
    assert row.email_state == DeliveryState.PENDING
    settings.EMAIL_PORT = real_port
    later = now + timedelta(minutes=5)
    assert sweeps.delivery_due(now=later, grace=timedelta(minutes=1), batch=10) == [str(row.pk)]
    delivery.notification_deliver(notification_id=row.pk, now=later)
    assert len(smtp.sent_to(user.email)) == 1


def test_quiet_hours_defer_the_daily_email_to_their_end(smtp, settings):
    user = student(quiet_hours_start=time(22, 0), quiet_hours_end=time(7, 30))
    now = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # 07:00 CDT, inside the quiet hours
    run_slot(now)
    assert smtp.messages == []
    row = Notification.objects.for_user(user).get()
    assert row.deliver_after == datetime(2027, 3, 15, 7, 30, tzinfo=CHI)
    assert row.email_state == DeliveryState.PENDING
    # The sweep after the quiet hours end sends it.
    after = datetime(2027, 3, 15, 12, 32, tzinfo=UTC)
    assert sweeps.delivery_due(now=after, grace=timedelta(minutes=1), batch=10) == [str(row.pk)]
    delivery.notification_deliver(notification_id=row.pk, now=after)
    assert len(smtp.sent_to(user.email)) == 1


def test_block_reminder_minutes_before_and_dropped_in_quiet_hours(smtp, settings):
    awake = student(reminder_minutes_before=30)
    asleep = student(
        reminder_minutes_before=30, quiet_hours_start=time(5, 0), quiet_hours_end=time(9, 0)
    )
    start = datetime(2027, 3, 15, 8, 0, tzinfo=CHI)
    block(awake, start=start, title="Mitosis")
    block(asleep, start=start, title="Meiosis")
    assert run_reminders(start - timedelta(minutes=31)).created == 0
    assert run_reminders(start - timedelta(minutes=30)).created == 2
    assert run_reminders(start - timedelta(minutes=30)).created == 0
    [message] = smtp.messages
    assert message["To"] == awake.email
    assert "08:00" in message["Subject"] and "Mitosis" in message["Subject"]
    quiet_row = Notification.objects.for_user(asleep).get()
    # A reminder of a block that starts before the quiet hours end would be stale: dropped,
    # but listed in the app.
    assert quiet_row.email_state == DeliveryState.SKIPPED
    assert "quiet hours" in quiet_row.skip_reason


def test_a_moved_block_gets_a_reminder_for_its_new_time(smtp, settings):
    user = student(reminder_minutes_before=15)
    start = datetime(2027, 3, 15, 8, 0, tzinfo=CHI)
    task = block(user, start=start)
    run_reminders(start - timedelta(minutes=15))
    with time_machine.travel(start - timedelta(minutes=10), tick=False):
        task.scheduled_start = start + timedelta(hours=1)
        task.scheduled_end = task.scheduled_start + timedelta(minutes=50)
        task.save()
    assert run_reminders(start + timedelta(minutes=45)).created == 1
    assert [m["Subject"][:8] for m in smtp.messages] == ["At 08:00", "At 09:00"]


def test_a_full_batch_leaves_the_rest_for_the_requeued_run(smtp, settings):
    users = [student() for _ in range(5)]
    now = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)
    first = run_slot(now, batch=2)
    assert (first.created, first.is_batch_full) == (2, True)
    assert run_slot(now, batch=2).created == 2
    last = run_slot(now, batch=2)
    assert (last.created, last.is_batch_full) == (1, False)
    assert {m["To"] for m in smtp.messages} == {u.email for u in users}


def test_weekly_summary_on_monday_at_the_daily_time(smtp, settings):
    user = student()
    start = datetime(2027, 3, 10, 18, 0, tzinfo=CHI)  # last Wednesday
    done = block(user, start=start, minutes=60)
    done.status = "completed"
    done.actual_start, done.actual_end = start, start + timedelta(minutes=45)
    done.save()
    block(user, start=start + timedelta(days=1), minutes=30, code="BIO 102")
    monday = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # 07:00 CDT, Monday
    assert run_slot(monday - timedelta(days=1), kind=NotificationKind.WEEKLY_SUMMARY).created == 0
    assert run_slot(monday, kind=NotificationKind.WEEKLY_SUMMARY).created == 1
    [message] = smtp.sent_to(user.email)
    assert message["Subject"] == "Your week: 45 min of 1 h 30 min studied"
    body = Mailbox.text(message)
    assert "your week from Mon 8 Mar" in body and "Current streak: 0 days." in body
    assert run_slot(monday, kind=NotificationKind.WEEKLY_SUMMARY).created == 0
