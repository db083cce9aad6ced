"""GET /api/ping: authenticated, scoped to the caller, one query, and in the OpenAPI schema."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from accounts.models import UserPreferences
from accounts.tests.factories import ApiTokenFactory, UserPreferencesFactory

PING = reverse("api:ping")


def test_anonymous_caller_is_refused(anon_api_client, db):
    response = anon_api_client.get(PING)
    assert response.status_code == 401


def test_bad_token_is_refused(anon_api_client, db):
    response = anon_api_client.get(PING, HTTP_AUTHORIZATION="Bearer not-a-real-key")
    assert response.status_code == 401


def test_token_caller_gets_own_preferences_time(anon_api_client, user, other_user):
    mine = UserPreferencesFactory(user=user)
    theirs = UserPreferencesFactory(user=other_user)
    # Make the other student's row the newest overall, so a missing user filter would show it.
    UserPreferences.objects.filter(pk=theirs.pk).update(
        updated_at=timezone.now() + timedelta(days=1)
    )
    mine.refresh_from_db()
    ApiTokenFactory(user=user, raw_key="ping-key-0123456789abcdefghijklmnopqrstu")

    response = anon_api_client.get(
        PING, HTTP_AUTHORIZATION="Bearer ping-key-0123456789abcdefghijklmnopqrstu"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["email"] == user.email
    assert body["preferences_updated_at"] == mine.updated_at.isoformat().replace("+00:00", "Z")


def test_student_without_preferences_gets_null_and_nothing_is_created(api_client, user):
    response = api_client.get(PING)
    assert response.status_code == 200
    assert response.json()["preferences_updated_at"] is None
    assert not UserPreferences.objects.filter(user=user).exists()


def test_ping_does_exactly_one_query(api_client, user, django_assert_num_queries):
    UserPreferencesFactory(user=user)
    with django_assert_num_queries(1):
        response = api_client.get(PING)
    assert response.status_code == 200


TOKEN_KEY = "ping-key-0123456789abcdefghijklmnopqrstu"


def test_a_token_call_is_one_query_in_all_its_lookup_reading_the_preferences(
    anon_api_client, user, other_user, django_assert_num_queries
):
    mine = UserPreferencesFactory(user=user)
    UserPreferencesFactory(user=other_user)
    # Used a moment ago, so the lookup is not followed by the throttled last_used_at write.
    ApiTokenFactory(user=user, raw_key=TOKEN_KEY, last_used_at=timezone.now())
    with django_assert_num_queries(1):
        response = anon_api_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {TOKEN_KEY}")
    assert response.status_code == 200
    assert response.json()["preferences_updated_at"] == (
        serializers.DateTimeField().to_representation(mine.updated_at)
    )


def test_a_token_caller_without_preferences_gets_null(anon_api_client, user, other_user):
    UserPreferencesFactory(user=other_user)
    ApiTokenFactory(user=user, raw_key=TOKEN_KEY)
    response = anon_api_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {TOKEN_KEY}")
    assert response.status_code == 200
    assert response.json()["preferences_updated_at"] is None
    assert not UserPreferences.objects.filter(user=user).exists()


@pytest.mark.parametrize("state", ["revoked", "expired", "inactive"])
def test_the_pings_token_check_refuses_what_every_endpoint_refuses(anon_api_client, user, state):
    token = ApiTokenFactory(user=user, raw_key=TOKEN_KEY)
    if state == "revoked":
        type(token).objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif state == "expired":
        type(token).objects.filter(pk=token.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
    else:
        user.is_active = False
        user.save()
    response = anon_api_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {TOKEN_KEY}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_the_pings_security_scheme_is_the_api_token(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/ping"]["get"]
    assert {"apiToken": []} in operation["security"]


@pytest.mark.django_db
def test_ping_is_documented_in_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/ping"]["get"]
    # 400: a query string with a NUL is refused before the view, here as anywhere in the API.
    assert set(operation["responses"]) == {"200", "400", "401", "403"}


def test_ping_refuses_a_query_string_with_a_nul_as_documented(api_client):
    assert api_client.get("/api/ping?probe=%00").status_code == 400


@pytest.mark.parametrize("zone", ["UTC", "America/Chicago"])
def test_ping_gives_the_newest_preferences_time_in_the_active_zone(api_client, user, zone):
    """The compiled read gives what the ORM gave: the newest preferences row's time, rendered
    in the active zone as DRF renders it."""
    older = UserPreferencesFactory(user=user)
    newest = UserPreferencesFactory(user=user)
    UserPreferences.objects.filter(pk=newest.pk).update(
        created_at=older.created_at + timedelta(hours=1),
        updated_at=older.updated_at + timedelta(hours=1),
    )
    newest.refresh_from_db()
    with time_machine.travel(timezone.now(), tick=False), timezone.override(zone):
        served = api_client.get(PING).json()
        assert served["preferences_updated_at"] == (
            serializers.DateTimeField().to_representation(newest.updated_at)
        )
