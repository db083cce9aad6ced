"""The notification pages and API: the in-app list (htmx), marking read, the nav badge, the
settings page and API, push subscriptions; each student sees and touches only their own."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import notification_settings_get
from journey.notifications.builders import Message
from journey.notifications.models import Notification, PushSubscription
from journey.notifications.services import notification_create
from journey.tests.notify_helpers import student

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 15, 15, 0, tzinfo=UTC)


def notify(user, n: int, *, kind="plan_change"):
    for i in range(n):
        notification_create(
            user=user,
            kind=kind,
            event_key=f"event-{i}",
            message=Message(subject=f"Subject {i}", body=f"Body {i}", link="/"),
            now=NOW - timedelta(minutes=i),
        )


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_list_shows_own_notifications_with_unread_count(client, frozen):
    owner, other = student(), student()
    notify(owner, 2)
    notify(other, 1)
    client.force_login(owner)
    page = client.get(reverse("journey:notifications"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 unread" in text and "Subject 0" in text and "Subject 1" in text
    assert text.count('class="notification ') == 2


def test_htmx_refresh_returns_only_the_list(client, frozen):
    user = student()
    notify(user, 1)
    client.force_login(user)
    partial = client.get(reverse("journey:notifications"), headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert b"<html" not in partial.content and b"Subject 0" in partial.content


def test_list_costs_the_same_queries_for_many_rows_as_for_one(client, frozen):
    one, many = student(), student()
    notify(one, 1)
    notify(many, 12)
    counts = []
    for user in (one, many):
        client.force_login(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("journey:notifications")).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_mark_read_and_ownership(client, frozen):
    owner, intruder = student(), student()
    notify(owner, 2)
    row = Notification.objects.for_user(owner).first()
    client.force_login(intruder)
    assert client.post(reverse("journey:notification_read", args=[row.pk])).status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    client.post(reverse("journey:notifications_read_all"))
    assert Notification.objects.for_user(owner).unread().count() == 2
    client.force_login(owner)
    response = client.post(
        reverse("journey:notification_read", args=[row.pk]), headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and b"1 unread" in response.content
    client.post(reverse("journey:notifications_read_all"))
    assert Notification.objects.for_user(owner).unread().count() == 0


def test_badge_counts_only_own_unread(client, frozen):
    owner, other = student(), student()
    notify(owner, 3)
    notify(other, 1)
    client.force_login(owner)
    badge = client.get(reverse("journey:notifications_badge"))
    assert b">3<" in badge.content


def test_pages_need_login(client):
    for name in ("journey:notifications", "journey:notifications_badge"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


def test_nav_links_the_list(client, frozen):
    user = student()
    client.force_login(user)
    page = client.get(reverse("accounts:preferences"))
    assert reverse("journey:notifications").encode() in page.content


# --- Settings page and API -------------------------------------------------------------------


def settings_form(**changes):
    data = {
        "email_notifications": "on",
        "daily_plan_email": "on",
        "daily_plan_time": "07:00",
        "study_reminders": "on",
        "reminder_minutes_before": "15",
        "plan_change_notices": "on",
        "at_risk_alerts": "on",
        "progress_updates": "on",
        "quiet_hours_start": "",
        "quiet_hours_end": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_page_saves_and_refuses_bad_input(client):
    user = student()
    client.force_login(user)
    url = reverse("accounts:notification_settings")
    ok = client.post(url, settings_form(daily_plan_time="06:45", study_reminders=None))
    assert ok.status_code == 302
    prefs = notification_settings_get(user=user)
    assert prefs.daily_plan_time.strftime("%H:%M") == "06:45" and prefs.study_reminders is False
    for bad in (
        settings_form(daily_plan_time="06:50"),  # off the quarter-hour grid
        settings_form(quiet_hours_start="22:00"),  # one end only
        settings_form(quiet_hours_start="22:00", quiet_hours_end="22:00"),
        settings_form(reminder_minutes_before="1"),
        settings_form(daily_plan_time="25:00"),
    ):
        response = client.post(url, bad)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert notification_settings_get(user=user).daily_plan_time.strftime("%H:%M") == "06:45"


def test_preferences_page_shows_the_notification_fieldset(client):
    user = student()
    client.force_login(user)
    page = client.get(reverse("accounts:preferences"))
    assert b'id="notifications"' in page.content and b"Daily email time" in page.content


def test_settings_api_reads_changes_and_refuses(frozen):
    user, other = student(), student()
    api = APIClient()
    api.force_authenticate(user)
    url = reverse("api:notification_settings")
    assert api.get(url).json()["daily_plan_time"] == "07:00"
    changed = api.patch(url, {"quiet_hours_start": "22:00", "quiet_hours_end": "07:00"})
    assert changed.status_code == 200 and changed.json()["quiet_hours_end"] == "07:00"
    refused = api.patch(url, {"daily_plan_time": "07:10"})
    assert refused.status_code == 400 and "daily_plan_time" in refused.json()
    refused = api.patch(url, {"quiet_hours_start": None})
    assert refused.status_code == 400
    refused = api.patch(url, {"nonsense": True, "reminder_minutes_before": 500})
    assert refused.status_code == 400
    # The other student's settings were never touched.
    assert notification_settings_get(user=other).quiet_hours_start is None
    assert APIClient().get(url).status_code in (401, 403)


# --- Push subscriptions ----------------------------------------------------------------------

KEYS = {"p256dh": "B" + "A" * 86, "auth": "A" * 22}


def test_push_subscription_api_and_ownership(settings):
    settings.WEBPUSH_ENDPOINT_HOSTS = ["push.example.net"]
    owner, intruder = student(), student()
    api = APIClient()
    api.force_authenticate(owner)
    url = reverse("api:push_subscriptions")
    created = api.post(
        url, {"endpoint": "https://push.example.net/abc", "keys": KEYS}, format="json"
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    # Another push service, a plain http one, or an internal address is refused: 400.
    for endpoint in (
        "https://evil.example.com/x",
        "http://push.example.net/abc",
        "https://169.254.169.254/latest",
    ):
        refused = api.post(url, {"endpoint": endpoint, "keys": KEYS}, format="json")
        assert refused.status_code == 400 and "endpoint" in refused.json()
    assert (
        api.post(url, {"endpoint": "https://push.example.net/abc"}, format="json").status_code
        == 400
    )
    intruder_api = APIClient()
    intruder_api.force_authenticate(intruder)
    detail = reverse("api:push_subscription_detail", args=[pk])
    assert intruder_api.delete(detail).status_code == 404
    assert PushSubscription.objects.filter(pk=pk).exists()
    assert (
        api.delete(reverse("api:push_subscription_detail", args=["not-a-uuid"])).status_code == 404
    )
    assert api.delete(detail).status_code == 204
    assert not PushSubscription.objects.filter(pk=pk).exists()
    assert APIClient().post(url, {}, format="json").status_code in (401, 403)
