"""Every seed validation rule on accounts models: a clear message, and nothing saved."""

from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User, UserPreferences
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_has_uuid_pk_and_email_login():
    user = User.objects.create_user("Someone@Example.ORG", "pw-long-enough-1")
    assert user.pk.version == 4
    assert user.email == "someone@example.org"
    assert user.check_password("pw-long-enough-1")
    assert not hasattr(user, "username")


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.org", "a b@c.org"])
def test_invalid_email_rejected_with_message(email):
    user = User(email=email)
    user.set_password("x-long-password")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "email" in excinfo.value.message_dict
    assert User.objects.count() == 0


def test_database_rejects_email_without_at():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="no-at-sign")
    assert User.objects.count() == 0


@pytest.mark.parametrize("tz", ["Mars/Olympus", "EST5EDTX", "utc+1"])
def test_invalid_timezone_rejected(tz):
    user = UserFactory.build(timezone=tz)
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "timezone" in excinfo.value.message_dict
    assert "IANA" in excinfo.value.message_dict["timezone"][0]


def test_valid_timezone_and_language_pass():
    user = UserFactory.build(timezone="Australia/Sydney", language="fr")
    user.full_clean(exclude=["password"])


def test_invalid_language_rejected():
    user = UserFactory.build(language="english")
    with pytest.raises(ValidationError) as excinfo:
        user.full_clean()
    assert "ISO 639-1" in excinfo.value.message_dict["language"][0]


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
    ],
)
def test_preferences_bounds_rejected_by_validation_and_database(user, field, value):
    prefs = UserPreferences(user=user, **{field: value})
    with pytest.raises(ValidationError) as excinfo:
        prefs.full_clean()
    assert field in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        UserPreferences.objects.create(user=user, **{field: value})
    assert UserPreferences.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours_per_day", 1),
        ("max_hours_per_day", 16),
        ("preferred_block_length_min", 15),
        ("preferred_block_length_min", 180),
        ("break_length_min", 5),
        ("break_length_min", 60),
    ],
)
def test_preferences_bounds_inclusive(user, field, value):
    prefs = UserPreferences(user=user, **{field: value})
    prefs.full_clean()
    prefs.save()
    assert UserPreferences.objects.filter(pk=prefs.pk).exists()


def test_preferences_defaults_follow_seed(user):
    prefs = UserPreferences.objects.create(user=user)
    assert prefs.max_hours_per_day == 4.0
    assert prefs.preferred_block_length_min == 50
    assert prefs.break_length_min == 10
    assert prefs.earliest_start_time == time(8, 0)
    assert prefs.latest_end_time == time(22, 0)
    assert prefs.difficulty_curve == "balanced"
    assert prefs.enable_spaced_repetition is True
    assert prefs.min_review_interval_days == 1
    assert prefs.weekly_availability["saturday"] == [{"start": "09:00", "end": "21:00"}]
    assert prefs.history.count() == 1


@pytest.mark.parametrize(
    ("availability", "message"),
    [
        ({"monday": [{"start": "18:00", "end": "17:00"}]}, "start must be before the end"),
        ({"monday": [{"start": "6pm", "end": "22:00"}]}, "is not a time"),
        (
            {"monday": [{"start": "18:00", "end": "20:00"}, {"start": "19:00", "end": "21:00"}]},
            "must not overlap",
        ),
        ({"monday": [{"start": "07:00", "end": "09:00"}]}, "before your earliest start"),
        ({"monday": [{"start": "20:00", "end": "23:00"}]}, "after your latest end"),
        ({"funday": []}, "Unknown weekday"),
        ([], "must map weekdays"),
    ],
)
def test_weekly_availability_rules(user, availability, message):
    prefs = UserPreferences(user=user, weekly_availability=availability)
    with pytest.raises(ValidationError) as excinfo:
        prefs.full_clean()
    assert message in " ".join(excinfo.value.message_dict["weekly_availability"])
    assert UserPreferences.objects.count() == 0


def test_latest_end_must_follow_earliest_start(user):
    prefs = UserPreferences(user=user, earliest_start_time=time(22), latest_end_time=time(8))
    with pytest.raises(ValidationError) as excinfo:
        prefs.full_clean()
    assert "latest_end_time" in excinfo.value.message_dict
