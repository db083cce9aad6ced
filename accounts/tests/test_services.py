import hashlib
from datetime import time, timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import ApiToken, User, UserPreferences
from accounts.services import (
    api_token_create,
    api_token_revoke,
    preferences_get_current,
    preferences_update,
    user_profile_update,
    user_signup,
)
from accounts.tests.factories import ApiTokenFactory, UserPreferencesFactory

pytestmark = [pytest.mark.clock, pytest.mark.django_db]

STRONG_PASSWORD = "violet-tractor-harbour-92"


def test_signup_creates_user_with_hashed_password_and_default_preferences():
    user = user_signup(
        email="New.Student@Example.ORG",
        password=STRONG_PASSWORD,
        full_name="New Student",
        timezone="Europe/Paris",
    )
    assert user.email == "new.student@example.org"
    assert user.timezone == "Europe/Paris"
    assert user.check_password(STRONG_PASSWORD)
    assert STRONG_PASSWORD not in user.password
    prefs = UserPreferences.objects.get(user=user)
    assert prefs.max_hours_per_day == 4.0


def test_signup_rejects_duplicate_email_case_insensitively(user):
    with pytest.raises(ApplicationError) as excinfo:
        user_signup(
            email="ADA@example.org", password=STRONG_PASSWORD, full_name="Ada 2", timezone="UTC"
        )
    assert "email" in excinfo.value.field_errors
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"email": "not-an-email"}, "email"),
        ({"language": "english"}, "language"),
    ],
)
def test_signup_rejects_invalid_input_and_saves_nothing(overrides, field):
    arguments = {
        "email": "x@example.org",
        "password": STRONG_PASSWORD,
        "full_name": "X",
        "timezone": "UTC",
        **overrides,
    }
    with pytest.raises(ApplicationError) as excinfo:
        user_signup(**arguments)
    assert field in excinfo.value.field_errors
    assert User.objects.count() == 0
    assert UserPreferences.objects.count() == 0


def test_profile_update_changes_fields(user):
    user_profile_update(
        user=user,
        full_name="Augusta Ada King",
        school_name="London Institute",
        academic_level="graduate",
        major="Mathematics",
        timezone="Europe/London",
        language="fr",
    )
    user.refresh_from_db()
    assert (user.full_name, user.academic_level, user.timezone, user.language) == (
        "Augusta Ada King",
        "graduate",
        "Europe/London",
        "fr",
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Nowhere/Land"), ("language", "EN_us"), ("academic_level", "phd")],
)
def test_profile_update_rejects_invalid_values(user, field, value):
    before = getattr(user, field)
    with pytest.raises(ApplicationError) as excinfo:
        user_profile_update(user=user, **{field: value})
    assert field in excinfo.value.field_errors
    user.refresh_from_db()
    assert getattr(user, field) == before


def test_profile_update_cannot_change_email(user):
    with pytest.raises(ApplicationError) as excinfo:
        user_profile_update(user=user, email="new@example.org")
    assert "email" in excinfo.value.field_errors
    user.refresh_from_db()
    assert user.email == "ada@example.org"


def test_current_preferences_created_with_defaults_once(user):
    first = preferences_get_current(user=user)
    second = preferences_get_current(user=user)
    assert first.pk == second.pk
    assert UserPreferences.objects.for_user(user).count() == 1


def test_current_preferences_is_newest_row(user):
    with time_machine.travel("2025-01-01T00:00:00+00:00", tick=False):
        UserPreferencesFactory(user=user, max_hours_per_day=2)
    with time_machine.travel("2025-02-01T00:00:00+00:00", tick=False):
        newest = UserPreferencesFactory(user=user, max_hours_per_day=6)
    with time_machine.travel("2025-01-15T00:00:00+00:00", tick=False):
        UserPreferencesFactory(user=user, max_hours_per_day=3)
    assert preferences_get_current(user=user).pk == newest.pk


def test_preferences_update_edits_in_place_and_keeps_history(user):
    prefs = preferences_get_current(user=user)
    availability = {"monday": [{"start": "09:00", "end": "11:00"}]}
    updated = preferences_update(
        user=user,
        max_hours_per_day=6.5,
        difficulty_curve="gentle",
        weekly_availability=availability,
    )
    assert updated.pk == prefs.pk
    assert UserPreferences.objects.for_user(user).count() == 1
    prefs.refresh_from_db()
    assert prefs.max_hours_per_day == 6.5
    assert prefs.weekly_availability == availability
    assert prefs.history.count() == 2
    assert prefs.history.earliest().max_hours_per_day == 4.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours_per_day", 0.5),
        ("max_hours_per_day", 17),
        ("preferred_block_length_min", 14),
        ("preferred_block_length_min", 181),
        ("break_length_min", 4),
        ("break_length_min", 61),
        ("min_review_interval_days", 0),
        ("min_review_interval_days", 366),
        ("difficulty_curve", "brutal"),
        ("latest_end_time", time(7, 0)),
        ("study_mode_preferences", {"not-a-uuid": ["reading"]}),
        ("study_mode_preferences", {"8c3d6a1e-2f4b-4c1d-9a7e-1f2b3c4d5e6f": "reading"}),
        ("study_mode_preferences", []),
    ],
)
def test_preferences_update_rejects_each_rule_and_saves_nothing(
    user, preferences_events, django_capture_on_commit_callbacks, field, value
):
    prefs = preferences_get_current(user=user)
    before = getattr(prefs, field)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ApplicationError) as exc:
        preferences_update(user=user, **{field: value})
    assert field in exc.value.field_errors
    prefs.refresh_from_db()
    assert getattr(prefs, field) == before
    assert prefs.history.count() == 1
    assert preferences_events == []


@pytest.mark.parametrize(
    ("availability", "message"),
    [
        ({"monday": [{"start": "6pm", "end": "22:00"}]}, "is not a time"),
        ({"monday": [{"start": "25:00", "end": "26:00"}]}, "is not a time"),
        ({"monday": [{"start": "20:00", "end": "18:00"}]}, "start must be before the end"),
        ({"monday": [{"start": "20:00", "end": "20:00"}]}, "start must be before the end"),
        (
            {"monday": [{"start": "18:00", "end": "20:00"}, {"start": "19:30", "end": "21:00"}]},
            "must not overlap",
        ),
        ({"monday": [{"start": "07:00", "end": "09:00"}]}, "before your earliest start"),
        ({"monday": [{"start": "21:00", "end": "23:00"}]}, "after your latest end"),
    ],
)
def test_preferences_update_rejects_bad_availability(user, availability, message):
    prefs = preferences_get_current(user=user)
    before = prefs.weekly_availability
    with pytest.raises(ApplicationError) as excinfo:
        preferences_update(user=user, weekly_availability=availability)
    assert message in " ".join(excinfo.value.field_errors["weekly_availability"])
    prefs.refresh_from_db()
    assert prefs.weekly_availability == before


def test_narrowing_the_day_rechecks_existing_availability(user):
    preferences_get_current(user=user)
    with pytest.raises(ApplicationError) as excinfo:
        # The default availability runs to 22:00 on weekdays.
        preferences_update(user=user, latest_end_time=time(20, 0))
    assert "weekly_availability" in excinfo.value.field_errors


def test_adjacent_ranges_are_not_an_overlap(user):
    availability = {
        "friday": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "14:00"}]
    }
    prefs = preferences_update(user=user, weekly_availability=availability)
    assert prefs.weekly_availability == availability


def test_unknown_preference_field_rejected(user):
    with pytest.raises(ApplicationError) as excinfo:
        preferences_update(user=user, user_id=None)
    assert "user_id" in excinfo.value.field_errors


def test_preferences_changed_sent_only_after_commit(
    user, preferences_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=user, break_length_min=15)
        assert preferences_events == []
    assert preferences_events == [user.pk]


def test_preferences_changed_not_sent_when_outer_transaction_rolls_back(
    user, preferences_events, django_capture_on_commit_callbacks
):
    preferences_get_current(user=user)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        preferences_update(user=user, break_length_min=15)
        transaction.set_rollback(True)
    assert preferences_events == []
    assert preferences_get_current(user=user).break_length_min == 10


def test_preferences_unchanged_values_send_nothing(
    user, preferences_events, django_capture_on_commit_callbacks
):
    preferences_get_current(user=user)
    with django_capture_on_commit_callbacks(execute=True):
        preferences_update(user=user, max_hours_per_day=4.0, difficulty_curve="balanced")
    assert preferences_events == []


def test_study_mode_preferences_accepts_seed_format(user):
    modes = {"8c3d6a1e-2f4b-4c1d-9a7e-1f2b3c4d5e6f": ["reading", "problem_sets", "flashcards"]}
    assert preferences_update(user=user, study_mode_preferences=modes).study_mode_preferences == (
        modes
    )


@time_machine.travel("2025-03-01T12:00:00+00:00", tick=False)
def test_token_create_stores_only_a_hash(user, settings):
    settings.API_TOKEN_DEFAULT_DAYS = 30
    token, raw_key = api_token_create(user=user, name="  grade sync  ")
    assert token.name == "grade sync"
    assert token.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    assert token.prefix == raw_key[:8]
    assert token.expires_at == timezone.now() + timedelta(days=30)
    stored = ApiToken.objects.filter(pk=token.pk).values_list(flat=False).get()
    assert raw_key not in [str(value) for value in stored]
    assert len(raw_key) >= 40


def test_token_keys_are_unique(user):
    keys = {api_token_create(user=user, name=f"t{n}")[1] for n in range(5)}
    assert len(keys) == 5


@pytest.mark.parametrize("days", [1, 365])
def test_token_expiry_bounds_inclusive(user, days):
    token, _ = api_token_create(user=user, name="t", expires_in_days=days)
    assert (token.expires_at - token.created_at).days in {days - 1, days}


@pytest.mark.parametrize(
    ("name", "days", "field"),
    [("t", 0, "expires_in_days"), ("t", 366, "expires_in_days"), ("   ", 30, "name")],
)
def test_token_create_rejects_bad_input(user, name, days, field):
    with pytest.raises(ApplicationError) as excinfo:
        api_token_create(user=user, name=name, expires_in_days=days)
    assert field in excinfo.value.field_errors
    assert ApiToken.objects.count() == 0


def test_token_revoke_is_idempotent(user):
    token = ApiTokenFactory(user=user)
    with time_machine.travel("2025-05-01T00:00:00+00:00", tick=False):
        api_token_revoke(user=user, token_id=token.pk)
    with time_machine.travel("2025-06-01T00:00:00+00:00", tick=False):
        api_token_revoke(user=user, token_id=str(token.pk))
    token.refresh_from_db()
    assert token.revoked_at.date().isoformat() == "2025-05-01"
    assert not token.is_active


def test_token_revoke_of_other_users_token_looks_missing(user, other_user):
    token = ApiTokenFactory(user=user)
    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=other_user, token_id=token.pk)
    with pytest.raises(ApiToken.DoesNotExist):
        api_token_revoke(user=other_user, token_id="not-a-uuid")
    token.refresh_from_db()
    assert token.revoked_at is None
