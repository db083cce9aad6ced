"""The weekly availability editor: the painted grid (accounts/availability_grid.js) only writes
the per-day range rows, so what it submits is what these tests post; the rows stay the
keyboard path and the single write path is `preferences_update`."""

import pytest
from django.urls import reverse

from accounts.services import preferences_get_current
from accounts.tests.test_views import preferences_data


def test_the_page_carries_the_painter_and_one_fieldset_per_day(logged_in_client):
    html = logged_in_client.get(reverse("accounts:preferences")).content.decode()
    assert 'src="/static/accounts/availability_grid.js"' in html
    # The painter finds each day by these ids and writes these inputs.
    for day in ("monday", "sunday"):
        assert f'id="day-{day}"' in html
        assert f'name="{day}-TOTAL_FORMS"' in html and f'name="{day}-MAX_NUM_FORMS"' in html
        assert f'name="{day}-0-start"' in html and f'name="{day}-0-end"' in html


def test_ranges_painted_beyond_the_rendered_rows_are_saved_and_replan(
    logged_in_client, user, preferences_events, django_capture_on_commit_callbacks
):
    # Four stretches painted on a Tuesday: the painter added rows and raised TOTAL_FORMS.
    painted = [("08:00", "09:30"), ("12:00", "13:00"), ("15:30", "17:00"), ("19:00", "22:00")]
    data = preferences_data(ranges={"tuesday": painted})
    data["tuesday-TOTAL_FORMS"] = str(len(painted))
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 302
    stored = preferences_get_current(user=user).weekly_availability
    assert stored["tuesday"] == [{"start": start, "end": end} for start, end in painted]
    assert stored["monday"] == []  # the day painted empty is cleared
    assert preferences_events == [user.pk]  # the plan is redone, as for any change


def test_a_range_removed_with_its_button_is_gone(logged_in_client, user):
    # The Remove button clears both inputs of the row and hides it; the row is still posted.
    data = preferences_data(ranges={"friday": [("09:00", "11:00"), ("14:00", "16:00")]})
    data["friday-0-start"] = data["friday-0-end"] = ""
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 302
    stored = preferences_get_current(user=user).weekly_availability
    assert stored["friday"] == [{"start": "14:00", "end": "16:00"}]


@pytest.mark.parametrize(
    "ranges,message",
    [
        ({"monday": [("18:00", "20:00"), ("19:30", "21:00")]}, "must not overlap"),
        ({"monday": [("07:00", "09:00")]}, "before your earliest start 08:00"),
        ({"monday": [("21:00", "20:00")]}, "end must be after the start"),
    ],
)
def test_a_bad_range_is_a_form_error_and_nothing_is_saved(
    logged_in_client, user, preferences_events, ranges, message
):
    before = preferences_get_current(user=user).weekly_availability
    response = logged_in_client.post(reverse("accounts:preferences"), preferences_data(ranges))
    assert response.status_code == 200
    html = response.content.decode()
    assert "errorlist" in html and message in html
    assert preferences_get_current(user=user).weekly_availability == before
    assert preferences_events == []


def test_more_rows_than_a_day_allows_is_a_form_error(logged_in_client, user):
    rows = [(f"{hour:02d}:00", f"{hour:02d}:30") for hour in range(8, 21)]
    data = preferences_data(ranges={"wednesday": rows})
    data["wednesday-TOTAL_FORMS"] = str(len(rows))
    before = preferences_get_current(user=user).weekly_availability
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert preferences_get_current(user=user).weekly_availability == before
