import re
import uuid
from datetime import time
from html.parser import HTMLParser

import pytest
from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.availability import WEEKDAYS
from accounts.models import ApiToken, User, UserPreferences
from accounts.services import preferences_get_current
from accounts.tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plum-orbit-canyon-47"


class FormFields(HTMLParser):
    """What a browser would submit for the page's own POST form (the one without an action,
    so not the log-out form in the header), as a dict."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._in_post_form = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form" and attributes.get("method") == "post" and "action" not in attributes:
            self._in_post_form = True
        if not self._in_post_form:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            if attributes.get("type") == "checkbox":
                if "checked" in attributes:
                    self.data[name] = attributes.get("value") or "on"
            else:
                self.data[name] = attributes.get("value") or ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.data[self._select] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form" and self._in_post_form:
            self._in_post_form = False


def rendered_form_data(response) -> dict[str, str]:
    parser = FormFields()
    parser.feed(response.content.decode())
    return parser.data


def errors_next_to(response, field_id: str) -> str:
    """The text of the error list rendered right after the control with this id."""
    html = response.content.decode()
    match = re.search(rf'id="{re.escape(field_id)}_error">(.*?)</ul>', html, re.S)
    assert match, f"no errors rendered next to {field_id}"
    return re.sub(r"<[^>]+>", "", match.group(1))


# --- anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["accounts:profile", "accounts:preferences", "accounts:api_tokens", "accounts:password_change"],
)
def test_pages_redirect_anonymous_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


def test_anonymous_cannot_post_to_pages(client, user):
    token = ApiTokenFactory(user=user)
    for url in [
        reverse("accounts:preferences"),
        reverse("accounts:api_tokens"),
        reverse("accounts:api_token_revoke", args=[token.pk]),
    ]:
        assert client.post(url, {"name": "x"}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None
    assert ApiToken.objects.count() == 1
    assert UserPreferences.objects.count() == 0


# --- sign up, log in, log out -----------------------------------------------------------------


def signup_data(**overrides):
    return {
        "email": "grace@example.org",
        "full_name": "Grace Hopper",
        "timezone": "America/Chicago",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        **overrides,
    }


def test_signup_page_offers_timezones_and_detection_script_and_labels_every_input(client):
    response = client.get(reverse("accounts:signup"))
    html = response.content.decode()
    assert '<option value="Europe/Paris">' in html
    assert "data-timezone-detect" in html
    assert "accounts/timezone.js" in html
    assert "<script>" not in html
    for name in ("email", "full_name", "timezone", "password1", "password2"):
        assert f'<label for="id_{name}">' in html, name


def test_signup_creates_preferences_and_waits_for_verification(client):
    # The whole flow with its mail is in test_account_flows.py.
    response = client.post(reverse("accounts:signup"), signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="grace@example.org")
    assert user.timezone == "America/Chicago"
    assert SESSION_KEY not in client.session
    assert UserPreferences.objects.for_user(user).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password2": "something-else-99"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password1"),
        ({"password1": "password123", "password2": "password123"}, "password1"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"email": "grace"}, "email"),
        ({"full_name": "Grace\x00Hopper"}, "full_name"),
    ],
)
def test_signup_errors_shown_next_to_field_and_nothing_saved(client, user, overrides, field):
    response = client.post(reverse("accounts:signup"), signup_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert errors_next_to(response, f"id_{field}")
    assert User.objects.count() == 1
    assert SESSION_KEY not in client.session


def test_signed_in_user_is_sent_home_from_signup(logged_in_client):
    assert logged_in_client.get(reverse("accounts:signup"))["Location"] == "/"


def test_login_page_labels_every_input(client):
    html = client.get(reverse("accounts:login")).content.decode()
    for name in ("login", "password"):
        assert f'<label for="id_{name}">' in html, name


def test_login_and_logout(client, user):
    response = client.post(reverse("accounts:login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(user.pk)
    response = client.post(reverse("accounts:logout"))
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_login_with_wrong_password_fails(client, user):
    response = client.post(reverse("accounts:login"), {"login": user.email, "password": "no"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert SESSION_KEY not in client.session


# --- passwords ------------------------------------------------------------------------------


def test_password_change(logged_in_client, user):
    response = logged_in_client.post(
        reverse("accounts:password_change"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # The earlier "done" address still leads somewhere sensible.
    done = logged_in_client.get(reverse("accounts:password_change_done"))
    assert done["Location"] == reverse("account_change_password")


def test_password_change_with_wrong_old_password_keeps_password(logged_in_client, user):
    response = logged_in_client.post(
        reverse("accounts:password_change"),
        {"oldpassword": "wrong", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert errors_next_to(response, "id_oldpassword")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_earlier_reset_addresses_lead_to_the_new_pages(client):
    assert client.get(reverse("accounts:password_reset_done"))["Location"] == reverse(
        "account_reset_password_done"
    )
    old_link = reverse("accounts:password_reset_confirm", args=["MQ", "set-password"])
    assert client.get(old_link)["Location"] == reverse("account_reset_password")


# --- profile --------------------------------------------------------------------------------


def test_profile_page_shows_own_profile(logged_in_client, user, other_user):
    html = logged_in_client.get(reverse("accounts:profile")).content.decode()
    assert user.email in html
    assert other_user.email not in html
    assert '<option value="America/New_York" selected>' in html


def test_profile_update(logged_in_client, user):
    data = {
        "full_name": "Ada King",
        "school_name": "Analytical College",
        "academic_level": "graduate",
        "major": "Mathematics",
        "timezone": "Europe/London",
        "language": "fr",
    }
    response = logged_in_client.post(reverse("accounts:profile"), data)
    assert response["Location"] == reverse("accounts:profile")
    user.refresh_from_db()
    assert {name: getattr(user, name) for name in data} == data


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Nowhere/Land"), ("language", "english"), ("academic_level", "phd")],
)
def test_profile_errors_shown_next_to_field(logged_in_client, user, field, value):
    data = {
        "full_name": "Changed",
        "academic_level": "undergraduate",
        "timezone": "UTC",
        "language": "en",
        field: value,
    }
    response = logged_in_client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert errors_next_to(response, f"id_{field}")
    user.refresh_from_db()
    assert user.full_name == "Ada Lovelace"


# --- preferences ----------------------------------------------------------------------------


def preferences_data(ranges=None, **overrides) -> dict[str, str]:
    """A submission of the preferences page; `ranges` maps a weekday to (start, end) rows."""
    ranges = {"monday": [("18:00", "22:00")]} if ranges is None else ranges
    data = {
        "max_hours_per_day": "4",
        "preferred_block_length_min": "50",
        "break_length_min": "10",
        "earliest_start_time": "08:00",
        "latest_end_time": "22:00",
        "difficulty_curve": "balanced",
        "enable_spaced_repetition": "on",
        "min_review_interval_days": "1",
    }
    for day in WEEKDAYS:
        rows = ranges.get(day, [])
        data |= {f"{day}-TOTAL_FORMS": str(len(rows) + 2), f"{day}-INITIAL_FORMS": "0"}
        for index, (start, end) in enumerate(rows):
            data |= {f"{day}-{index}-start": start, f"{day}-{index}-end": end}
    data.update(overrides)
    return data


def test_preferences_page_renders_every_field_and_day(logged_in_client, user):
    response = logged_in_client.get(reverse("accounts:preferences"))
    html = response.content.decode()
    for name in [
        "max_hours_per_day",
        "preferred_block_length_min",
        "break_length_min",
        "earliest_start_time",
        "latest_end_time",
        "difficulty_curve",
        "enable_spaced_repetition",
        "min_review_interval_days",
    ]:
        assert f'<label for="id_{name}"' in html
    assert "study_mode_preferences" not in html
    for day in WEEKDAYS:
        assert f'id="day-{day}"' in html
    # The stored range plus blank rows, each input with its own label.
    assert 'name="saturday-0-start" value="09:00"' in html
    assert 'name="saturday-2-start"' in html
    assert '<label for="id_saturday-2-end">' in html


def test_preferences_round_trip_of_the_rendered_form_changes_nothing(
    logged_in_client, user, preferences_events, django_capture_on_commit_callbacks
):
    before = preferences_get_current(user=user)
    data = rendered_form_data(logged_in_client.get(reverse("accounts:preferences")))
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 302
    after = preferences_get_current(user=user)
    assert after.weekly_availability == before.weekly_availability
    assert after.history.count() == 1
    assert preferences_events == []


def test_preferences_save_through_page(
    logged_in_client, user, preferences_events, django_capture_on_commit_callbacks
):
    data = preferences_data(
        ranges={
            "monday": [("19:00", "21:00"), ("07:30", "09:00")],
            "wednesday": [("12:00", "13:00")],
        },
        earliest_start_time="07:00",
        max_hours_per_day="5.5",
        difficulty_curve="aggressive",
    )
    del data["enable_spaced_repetition"]
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response["Location"] == reverse("accounts:preferences")
    prefs = preferences_get_current(user=user)
    assert prefs.max_hours_per_day == 5.5
    assert prefs.earliest_start_time == time(7, 0)
    assert prefs.difficulty_curve == "aggressive"
    assert prefs.enable_spaced_repetition is False
    assert prefs.weekly_availability == {
        "monday": [{"start": "07:30", "end": "09:00"}, {"start": "19:00", "end": "21:00"}],
        "tuesday": [],
        "wednesday": [{"start": "12:00", "end": "13:00"}],
        "thursday": [],
        "friday": [],
        "saturday": [],
        "sunday": [],
    }
    assert preferences_events == [user.pk]


def test_clearing_a_row_removes_the_range(logged_in_client, user):
    data = rendered_form_data(logged_in_client.get(reverse("accounts:preferences")))
    data["saturday-0-start"] = data["saturday-0-end"] = ""
    assert logged_in_client.post(reverse("accounts:preferences"), data).status_code == 302
    assert preferences_get_current(user=user).weekly_availability["saturday"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours_per_day", "0.5"),
        ("max_hours_per_day", "16.5"),
        ("max_hours_per_day", "lots"),
        ("preferred_block_length_min", "14"),
        ("preferred_block_length_min", "181"),
        ("break_length_min", "4"),
        ("break_length_min", "61"),
        ("min_review_interval_days", "0"),
        ("min_review_interval_days", "366"),
        ("difficulty_curve", "brutal"),
        ("earliest_start_time", "8am"),
        ("latest_end_time", "25:00"),
        ("latest_end_time", "07:00"),
    ],
)
def test_preferences_field_errors_shown_next_to_field_and_nothing_saved(
    logged_in_client, user, preferences_events, django_capture_on_commit_callbacks, field, value
):
    prefs = preferences_get_current(user=user)
    data = preferences_data(ranges={}, **{"break_length_min": "15", field: value})
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 200
    assert errors_next_to(response, f"id_{field}")
    prefs.refresh_from_db()
    assert prefs.break_length_min == 10
    assert prefs.weekly_availability["monday"] == [{"start": "18:00", "end": "22:00"}]
    assert prefs.history.count() == 1
    assert preferences_events == []


@pytest.mark.parametrize(
    ("rows", "field_id", "message"),
    [
        ([("6pm", "22:00")], "id_monday-0-start", "valid time"),
        ([("18:00", "24:30")], "id_monday-0-end", "valid time"),
        ([("20:00", "19:00")], "id_monday-0-end", "end must be after the start"),
        ([("20:00", "20:00")], "id_monday-0-end", "end must be after the start"),
        ([("18:00", "")], "id_monday-0-end", "Give an end"),
        ([("", "18:00")], "id_monday-0-start", "Give a start"),
        ([("07:00", "09:00")], "id_monday-0-start", "before your earliest start 08:00"),
        ([("21:00", "23:00")], "id_monday-0-end", "after your latest end 22:00"),
    ],
)
def test_availability_row_errors_shown_next_to_the_input(
    logged_in_client, user, rows, field_id, message
):
    prefs = preferences_get_current(user=user)
    data = preferences_data(ranges={"monday": rows}, break_length_min="15")
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 200
    assert message in errors_next_to(response, field_id)
    prefs.refresh_from_db()
    assert prefs.break_length_min == 10
    assert prefs.history.count() == 1


def test_overlapping_ranges_error_shown_next_to_the_day(logged_in_client, user):
    prefs = preferences_get_current(user=user)
    data = preferences_data(
        ranges={"tuesday": [("18:00", "20:00"), ("19:00", "21:00")]}, break_length_min="15"
    )
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert "must not overlap" in errors_next_to(response, "day-tuesday")
    assert 'id="day-monday_error"' not in response.content.decode()
    prefs.refresh_from_db()
    assert prefs.break_length_min == 10


def test_too_many_ranges_in_a_day_is_a_day_error(logged_in_client, user):
    rows = [(f"{hour:02d}:00", f"{hour:02d}:30") for hour in range(8, 21)]
    response = logged_in_client.post(
        reverse("accounts:preferences"), preferences_data(ranges={"friday": rows})
    )
    assert "at most 12" in errors_next_to(response, "day-friday")


def test_missing_management_form_is_an_error_not_a_crash(logged_in_client, user):
    data = preferences_data()
    del data["monday-TOTAL_FORMS"]
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert response.status_code == 200
    assert errors_next_to(response, "day-monday")
    assert preferences_get_current(user=user).history.count() == 1


# --- API tokens page ------------------------------------------------------------------------


def test_token_create_shows_key_once_and_stores_hash(logged_in_client, user):
    response = logged_in_client.post(
        reverse("accounts:api_tokens"), {"name": "grade sync", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    raw_key = response.context["raw_key"]
    assert raw_key in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=user)
    assert token.name == "grade sync"
    assert raw_key not in (token.key_hash, token.prefix)
    reloaded = logged_in_client.get(reverse("accounts:api_tokens")).content.decode()
    assert "grade sync" in reloaded
    assert raw_key not in reloaded


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "", "expires_in_days": "30"}, "name"),
        ({"name": "t", "expires_in_days": "0"}, "expires_in_days"),
        ({"name": "t", "expires_in_days": "366"}, "expires_in_days"),
        ({"name": "t", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_token_create_errors_next_to_field(logged_in_client, data, field):
    response = logged_in_client.post(reverse("accounts:api_tokens"), data)
    assert errors_next_to(response, f"id_{field}")
    assert "raw_key" not in response.context
    assert ApiToken.objects.count() == 0


def test_token_page_shows_only_own_tokens(logged_in_client, user, other_user):
    ApiTokenFactory(user=user, name="mine")
    ApiTokenFactory(user=other_user, name="theirs")
    html = logged_in_client.get(reverse("accounts:api_tokens")).content.decode()
    assert "mine" in html
    assert "theirs" not in html


def test_token_page_query_count_is_constant(logged_in_client, user, django_assert_num_queries):
    ApiTokenFactory(user=user)
    logged_in_client.get(reverse("accounts:api_tokens"))
    with CaptureQueriesContext(connection) as captured:
        logged_in_client.get(reverse("accounts:api_tokens"))
    # Counted now: the next request empties the connection's query log.
    one_token = len(captured.captured_queries)
    ApiTokenFactory.create_batch(10, user=user)
    # Warm, as the measured visit before it: the page shell's state is cached per student.
    logged_in_client.get(reverse("accounts:api_tokens"))
    with django_assert_num_queries(one_token):
        response = logged_in_client.get(reverse("accounts:api_tokens"))
    assert len(response.context["tokens"]) == 11


def test_token_revoke_through_page(logged_in_client, user):
    token = ApiTokenFactory(user=user, name="old script")
    response = logged_in_client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response["Location"] == reverse("accounts:api_tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None
    html = logged_in_client.get(reverse("accounts:api_tokens")).content.decode()
    assert "Revoked" in html
    assert reverse("accounts:api_token_revoke", args=[token.pk]) not in html


def test_cannot_revoke_another_users_token(client, user, other_user):
    token = ApiTokenFactory(user=user)
    client.force_login(other_user)
    response = client.post(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 404
    assert client.post(reverse("accounts:api_token_revoke", args=[uuid.uuid4()])).status_code == (
        404
    )
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_only_accepts_post(logged_in_client, user):
    token = ApiTokenFactory(user=user)
    response = logged_in_client.get(reverse("accounts:api_token_revoke", args=[token.pk]))
    assert response.status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_nav_links_to_account_pages(logged_in_client):
    html = logged_in_client.get(reverse("accounts:profile")).content.decode()
    for name in ["accounts:preferences", "accounts:profile", "accounts:api_tokens"]:
        assert f'href="{reverse(name)}"' in html
    # The profile leads to the email, password and second-factor pages.
    for name in ["account_email", "account_change_password", "mfa_index"]:
        assert f'href="{reverse(name)}"' in html, name


def test_inverted_day_bounds_blame_the_field_not_every_range(logged_in_client, user):
    data = preferences_data(ranges={"monday": [("18:00", "22:00")]}, latest_end_time="07:00")
    response = logged_in_client.post(reverse("accounts:preferences"), data)
    assert "must be after the earliest start" in errors_next_to(response, "id_latest_end_time")
    assert 'id="id_monday-0-end_error"' not in response.content.decode()
    assert preferences_get_current(user=user).latest_end_time == time(22, 0)
