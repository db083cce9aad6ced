import hashlib
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import ApiToken, UserPreferences
from accounts.services import preferences_get_current
from accounts.tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

ME = reverse("api:me")
PREFERENCES = reverse("api:preferences")
TOKENS = reverse("api:tokens")


def token_url(token_id) -> str:
    return reverse("api:token_detail", args=[token_id])


# --- anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", ME),
        ("patch", ME),
        ("get", PREFERENCES),
        ("patch", PREFERENCES),
        ("get", TOKENS),
        ("post", TOKENS),
        ("delete", token_url("00000000-0000-4000-8000-000000000000")),
    ],
)
def test_anonymous_is_refused(anon_api_client, method, url):
    response = getattr(anon_api_client, method)(url, {}, format="json")
    assert response.status_code in {401, 403}
    assert UserPreferences.objects.count() == 0
    assert ApiToken.objects.count() == 0


# --- /api/me --------------------------------------------------------------------------------


def test_me_shows_own_profile(api_client, user, other_user):
    body = api_client.get(ME).json()
    assert body["email"] == user.email
    assert body["id"] == str(user.pk)
    assert body["timezone"] == "America/New_York"
    assert "password" not in body
    assert body["is_verified"] is True


def test_me_is_verified_follows_the_verified_primary_address(api_client, user):
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).update(verified=False)
    assert api_client.get(ME).json()["is_verified"] is False
    EmailAddress.objects.filter(user=user).update(verified=True)
    assert api_client.get(ME).json()["is_verified"] is True


def test_me_patch_changes_profile_and_ignores_email(api_client, user):
    response = api_client.patch(
        ME,
        {"full_name": "Ada King", "timezone": "Europe/London", "email": "evil@example.org"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["full_name"] == "Ada King"
    user.refresh_from_db()
    assert (user.full_name, user.timezone, user.email) == (
        "Ada King",
        "Europe/London",
        "ada@example.org",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("language", "english"),
        ("academic_level", "phd"),
        ("full_name", "x" * 201),
    ],
)
def test_me_patch_rejects_invalid_with_field_errors(api_client, user, field, value):
    before = getattr(user, field)
    response = api_client.patch(ME, {field: value, "major": "Physics"}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    user.refresh_from_db()
    assert getattr(user, field) == before
    assert user.major == ""


def test_me_only_ever_shows_the_caller(other_api_client, user, other_user):
    assert other_api_client.get(ME).json()["email"] == other_user.email


# --- /api/preferences ------------------------------------------------------------------------


def test_preferences_get_creates_defaults(api_client, user):
    body = api_client.get(PREFERENCES).json()
    assert body["max_hours_per_day"] == 4.0
    assert body["earliest_start_time"] == "08:00"
    assert body["latest_end_time"] == "22:00"
    assert body["weekly_availability"]["monday"] == [{"start": "18:00", "end": "22:00"}]
    assert body["study_mode_preferences"] == {}
    assert UserPreferences.objects.for_user(user).count() == 1


def test_preferences_patch_updates_and_notifies_after_commit(
    api_client, user, preferences_events, django_capture_on_commit_callbacks
):
    course_id = str(uuid.uuid4())
    payload = {
        "max_hours_per_day": 6,
        "earliest_start_time": "07:00",
        "weekly_availability": {
            "monday": [{"start": "07:00", "end": "09:00"}, {"start": "18:00", "end": "21:00"}],
            "sunday": [],
        },
        "study_mode_preferences": {course_id: ["reading", "flashcards"]},
        "enable_spaced_repetition": False,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(PREFERENCES, payload, format="json")
    assert response.status_code == 200, response.json()
    assert preferences_events == [user.pk]
    prefs = preferences_get_current(user=user)
    assert prefs.max_hours_per_day == 6
    assert prefs.earliest_start_time.strftime("%H:%M") == "07:00"
    assert prefs.weekly_availability == payload["weekly_availability"]
    assert prefs.study_mode_preferences == {course_id: ["reading", "flashcards"]}
    assert prefs.enable_spaced_repetition is False
    assert response.json()["earliest_start_time"] == "07:00"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours_per_day", 0.5),
        ("max_hours_per_day", 16.5),
        ("preferred_block_length_min", 14),
        ("preferred_block_length_min", 181),
        ("break_length_min", 4),
        ("break_length_min", 61),
        ("min_review_interval_days", 0),
        ("min_review_interval_days", 366),
        ("difficulty_curve", "brutal"),
        ("time_format", "36h"),
        ("earliest_start_time", "8am"),
        ("latest_end_time", "07:00"),
        ("study_mode_preferences", {"x": ["reading"]}),
        ("weekly_availability", {"monday": [{"start": "6pm", "end": "22:00"}]}),
        ("weekly_availability", {"monday": [{"start": "20:00", "end": "19:00"}]}),
        (
            "weekly_availability",
            {"monday": [{"start": "18:00", "end": "20:00"}, {"start": "19:00", "end": "21:00"}]},
        ),
        ("weekly_availability", {"monday": [{"start": "06:00", "end": "09:00"}]}),
        ("weekly_availability", {"monday": [{"start": "21:00", "end": "23:30"}]}),
        ("weekly_availability", {"caturday": []}),
        ("weekly_availability", ["monday"]),
    ],
)
def test_preferences_patch_rejects_each_rule_with_field_error(
    api_client, user, preferences_events, django_capture_on_commit_callbacks, field, value
):
    prefs = preferences_get_current(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        # A valid change rides along to prove the request is all-or-nothing.
        response = api_client.patch(
            PREFERENCES, {field: value, "enable_spaced_repetition": False}, format="json"
        )
    assert response.status_code == 400
    assert field in response.json()
    prefs.refresh_from_db()
    assert prefs.enable_spaced_repetition is True
    assert prefs.history.count() == 1
    assert preferences_events == []


def test_the_clock_preference_changes_by_api_without_a_replan(
    api_client, user, preferences_events, django_capture_on_commit_callbacks
):
    assert api_client.get(PREFERENCES).json()["time_format"] == "24h"
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.patch(PREFERENCES, {"time_format": "12h"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["time_format"] == "12h"
    assert preferences_get_current(user=user).time_format == "12h"
    # How times are written is not a planning input: nothing is sent to replan.
    assert preferences_events == []


def test_preferences_are_per_user(api_client, other_api_client, user, other_user):
    api_client.patch(PREFERENCES, {"max_hours_per_day": 9}, format="json")
    assert other_api_client.get(PREFERENCES).json()["max_hours_per_day"] == 4.0
    assert preferences_get_current(user=user).max_hours_per_day == 9


# --- /api/tokens ----------------------------------------------------------------------------


def test_token_create_returns_key_once_and_stores_hash(api_client, user):
    response = api_client.post(TOKENS, {"name": "grade sync", "expires_in_days": 7}, format="json")
    assert response.status_code == 201
    body = response.json()
    raw_key = body["key"]
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == user
    assert token.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert (token.expires_at - token.created_at).days in {6, 7}
    assert response["Cache-Control"] == "no-store"
    listed = api_client.get(TOKENS).json()["results"]
    assert [item["id"] for item in listed] == [str(token.pk)]
    assert "key" not in listed[0]
    assert raw_key not in str(listed)


def test_created_token_authenticates(api_client, anon_api_client, user):
    raw_key = api_client.post(TOKENS, {"name": "cli"}, format="json").json()["key"]
    response = anon_api_client.get(ME, HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    assert response.status_code == 200
    assert response.json()["email"] == user.email


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "", "expires_in_days": 5}, "name"),
        ({"expires_in_days": 5}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "t", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "t", "expires_in_days": 366}, "expires_in_days"),
        ({"name": "t", "expires_in_days": "soon"}, "expires_in_days"),
    ],
)
def test_token_create_rejects_bad_input(api_client, payload, field):
    response = api_client.post(TOKENS, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ApiToken.objects.count() == 0


def test_token_list_shows_only_own_tokens(api_client, user, other_user):
    mine = ApiTokenFactory(user=user)
    ApiTokenFactory(user=other_user)
    results = api_client.get(TOKENS).json()["results"]
    assert [item["id"] for item in results] == [str(mine.pk)]


def test_token_list_query_count_is_constant(api_client, user, django_assert_num_queries):
    ApiTokenFactory(user=user)
    with CaptureQueriesContext(connection) as captured:
        api_client.get(TOKENS)
    ApiTokenFactory.create_batch(10, user=user)
    with django_assert_num_queries(len(captured.captured_queries)):
        response = api_client.get(TOKENS)
    assert response.json()["count"] == 11


def test_token_delete_revokes(api_client, user):
    token = ApiTokenFactory(user=user)
    response = api_client.delete(token_url(token.pk))
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api_client.get(TOKENS).json()["results"][0]["is_active"] is False


def test_token_delete_of_other_users_token_is_404(other_api_client, user):
    token = ApiTokenFactory(user=user)
    response = other_api_client.delete(token_url(token.pk))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_token_delete_unknown_is_404(api_client):
    assert api_client.delete(token_url(uuid.uuid4())).status_code == 404


def test_token_detail_only_allows_delete(api_client, user):
    token = ApiTokenFactory(user=user)
    assert api_client.get(token_url(token.pk)).status_code == 405


def test_token_delete_with_malformed_id_is_json_404(api_client, anon_api_client):
    response = api_client.delete("/api/tokens/null,null")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert anon_api_client.delete("/api/tokens/null,null").status_code in {401, 403}


def test_token_list_page_out_of_range_is_404(api_client):
    assert api_client.get(TOKENS, {"page": 0}).status_code == 404
