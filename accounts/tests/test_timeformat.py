"""Times and dates are written one way: in the student's zone, with their 12/24-hour clock."""

from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from accounts import timeformat
from accounts.models import TimeFormat
from accounts.services import preferences_get_current, preferences_update
from accounts.signals import preferences_changed
from accounts.tests.test_views import preferences_data

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template("{% load when %}" + source).render(Context(context)).strip()


@pytest.fixture
def chicago_student(user):
    user.timezone = "America/Chicago"
    user.save()
    return user


def test_24_hour_clock_is_the_default_in_the_students_zone(chicago_student):
    moment = datetime(2026, 11, 11, 19, 15, tzinfo=UTC)  # 13:15 in Chicago
    assert render("{{ m|clock:user }}", m=moment, user=chicago_student) == "13:15"
    assert render("{{ m|day_clock:user }}", m=moment, user=chicago_student) == "Wed 11 Nov, 13:15"


def test_the_12_hour_preference_changes_every_time(chicago_student):
    preferences_update(user=chicago_student, time_format=TimeFormat.H12)
    moment = datetime(2026, 11, 11, 19, 15, tzinfo=UTC)
    assert render("{{ m|clock:user }}", m=moment, user=chicago_student) == "1:15 PM"
    assert (
        render("{{ m|full_date_clock:user }}", m=moment, user=chicago_student)
        == "11 Nov 2026, 1:15 PM"
    )
    assert render("{{ t|clock:user }}", t=time(9, 5), user=chicago_student) == "9:05 AM"


def test_local_day_survives_dst_and_midnight(chicago_student):
    # 03:30 local on the spring-forward morning (a 23-hour day) and 23:30 on the Sunday before.
    assert render(
        "{{ m|day_clock:user }}", m=datetime(2027, 3, 14, 8, 30, tzinfo=UTC), user=chicago_student
    ) == ("Sun 14 Mar, 03:30")
    assert render(
        "{{ m|day_clock:user }}", m=datetime(2026, 12, 7, 5, 30, tzinfo=UTC), user=chicago_student
    ) == ("Sun 6 Dec, 23:30")


def test_dates_and_plan_snapshot_strings(chicago_student):
    assert render("{{ d|long_day:user }}", d=date(2026, 11, 11), user=chicago_student) == (
        "Wednesday 11 November"
    )
    assert render("{{ d|full_date:user }}", d=date(2026, 11, 11), user=chicago_student) == (
        "11 Nov 2026"
    )
    iso = "2026-11-12T05:59:00+00:00"  # 23:59 on the 11th in Chicago
    assert render("{{ s|day_clock:user }}", s=iso, user=chicago_student) == "Wed 11 Nov, 23:59"
    assert render("{{ s|day:user }}", s=None, user=chicago_student) == ""


def test_the_preference_is_read_once_per_user_object(chicago_student, django_assert_num_queries):
    moment = datetime(2026, 11, 11, 19, 15, tzinfo=UTC)
    with django_assert_num_queries(1):
        render(
            "{% for m in moments %}{{ m|clock:user }} {{ m|day_clock:user }}{% endfor %}",
            moments=[moment] * 20,
            user=chicago_student,
        )


def test_the_preference_is_edited_on_the_preferences_page_without_replanning(
    logged_in_client, user
):
    page = logged_in_client.get(reverse("accounts:preferences")).content.decode()
    assert 'name="time_format"' in page and 'for="id_time_format"' in page
    sent = []

    def receiver(**kwargs):
        sent.append(kwargs)

    before = preferences_get_current(user=user)
    same = preferences_data(
        ranges=before.weekly_availability
        and {
            day: [(r["start"], r["end"]) for r in rows]
            for day, rows in before.weekly_availability.items()
        },
        time_format="12h",
    )
    preferences_changed.connect(receiver)
    try:
        response = logged_in_client.post(reverse("accounts:preferences"), same)
    finally:
        preferences_changed.disconnect(receiver)
    assert response.status_code == 302
    assert preferences_get_current(user=user).time_format == TimeFormat.H12
    # Only how times look changed: nothing asks the planner to replan.
    assert sent == []


def test_an_unknown_time_format_is_a_form_error_not_a_500(logged_in_client, user):
    response = logged_in_client.post(
        reverse("accounts:preferences"), preferences_data(time_format="36h")
    )
    assert response.status_code == 200
    assert "time_format" in response.context["editor"].form.errors
    assert preferences_get_current(user=user).time_format == TimeFormat.H24


def test_anonymous_and_missing_users_get_the_24_hour_clock():
    assert timeformat.time_format_of(None) == TimeFormat.H24
    assert render("{{ t|clock }}", t=time(21, 0)) == "21:00"


@pytest.mark.clock
def test_a_day_is_past_by_the_students_calendar(chicago_student):
    # 03:00 UTC on the 12th is still the 11th in Chicago.
    with time_machine.travel(datetime(2026, 11, 12, 3, 0, tzinfo=UTC), tick=False):
        template = "{% if d|is_past_day:user %}past{% else %}not past{% endif %}"
        assert render(template, d=date(2026, 11, 10), user=chicago_student) == "past"
        assert render(template, d=date(2026, 11, 11), user=chicago_student) == "not past"
