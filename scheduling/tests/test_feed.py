from datetime import timedelta

import pytest
from django.urls import reverse
from icalendar import Calendar

from scheduling import services
from scheduling.models import StudyTask

pytestmark = [pytest.mark.clock, pytest.mark.urls("scheduling.tests.urls")]


@pytest.fixture
def planned(setup):
    services.plan_regenerate(user=setup.user)
    return setup


def feed(client, raw):
    return client.get(reverse("scheduling_feed", kwargs={"token": raw}))


def test_feed_is_valid_ics_with_stable_uids(client, planned):
    _, raw = services.calendar_feed_rotate(user=planned.user)
    response = feed(client, raw)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    tasks = {
        f"{t.pk}@study-planner": t
        for t in StudyTask.objects.for_user(planned.user).filter(status="scheduled")
    }
    assert {str(e["UID"]) for e in events} == set(tasks)
    for event in events:
        task = tasks[str(event["UID"])]
        assert event.decoded("DTSTART") == task.scheduled_start
        assert event.decoded("DTEND") == task.scheduled_end
        assert str(event["SUMMARY"]) == task.title
        assert str(event["DESCRIPTION"]) == task.reason
    assert calendar["VERSION"] == "2.0" and "PRODID" in calendar

    # A moved block keeps its UID.
    task = next(iter(tasks.values()))
    services.study_task_reschedule(
        task=task,
        new_start=max(t.scheduled_end for t in tasks.values()) + timedelta(days=1),
    )
    again = Calendar.from_ical(feed(client, raw).content)
    uids = {str(e["UID"]) for e in again.walk("VEVENT")}
    assert f"{task.pk}@study-planner" in uids


def test_revoked_rotated_and_unknown_tokens_are_404(client, planned):
    _, old = services.calendar_feed_rotate(user=planned.user)
    _, new = services.calendar_feed_rotate(user=planned.user)
    assert feed(client, old).status_code == 404
    assert feed(client, new).status_code == 200
    services.calendar_feed_revoke(user=planned.user)
    assert feed(client, new).status_code == 404
    assert feed(client, "not-a-token").status_code == 404


def test_a_token_only_shows_its_own_users_plan(client, planned, other_setup):
    services.plan_regenerate(user=other_setup.user)
    _, raw = services.calendar_feed_rotate(user=other_setup.user)
    calendar = Calendar.from_ical(feed(client, raw).content)
    own = {
        f"{pk}@study-planner"
        for pk in StudyTask.objects.for_user(other_setup.user).values_list("pk", flat=True)
    }
    assert {str(e["UID"]) for e in calendar.walk("VEVENT")} <= own


def test_feed_settings_page_shows_the_url_once_and_revokes(logged_in_client, user):
    page = reverse("scheduling:feed")
    assert logged_in_client.get(page).status_code == 200
    response = logged_in_client.post(page, {"action": "rotate"})
    assert response.status_code == 200
    url = response.context["feed_url"]
    assert "/calendar/" in url and url.endswith(".ics")
    raw = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert (
        logged_in_client.get(reverse("scheduling_feed", kwargs={"token": raw})).status_code == 200
    )
    assert raw not in logged_in_client.get(page).content.decode()
    logged_in_client.post(page, {"action": "revoke"})
    assert (
        logged_in_client.get(reverse("scheduling_feed", kwargs={"token": raw})).status_code == 404
    )
