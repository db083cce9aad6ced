"""Accounts under hostile use: stale tokens, caching, leftovers. Enumeration at sign-up, reset
floods and the token revocation of the reset and change pages are proved through the pages and
real mail in test_account_flows.py."""

import logging

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import limits
from accounts.audit import username_digest
from accounts.logfilters import redact_secret_paths
from accounts.models import ApiToken, AuditAction, AuditEvent
from accounts.tests.factories import ApiTokenFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plum-orbit-canyon-47"


# --- a new password revokes every API token ---------------------------------------------------


def bearer(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def test_saving_a_user_without_a_new_password_keeps_tokens(user):
    ApiTokenFactory(user=user)
    user.full_name = "Ada King"
    user.save()
    assert ApiToken.objects.for_user(user).active().count() == 1


# --- response headers ---------------------------------------------------------------------


def test_authenticated_pages_and_api_are_not_stored(logged_in_client, user):
    for url in (reverse("accounts:profile"), "/api/me"):
        assert logged_in_client.get(url)["Cache-Control"] == "no-store"
    ApiTokenFactory(user=user, raw_key="raw-key-cache-0123456789abcdefghij")
    response = bearer("raw-key-cache-0123456789abcdefghij").get("/api/me")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"


def test_every_response_has_a_permissions_policy(client, logged_in_client):
    for response in (
        client.get(reverse("accounts:login")),
        client.get("/no-such-page/"),
        logged_in_client.get(reverse("accounts:profile")),
    ):
        policy = response["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in policy


# --- nothing keeps a deleted student's email ---------------------------------------------


def test_failed_logins_never_store_the_address_and_are_forgotten_on_deletion(client, user):
    client.post(reverse("accounts:login"), {"login": "Ada@Example.org", "password": "no"})
    client.post(reverse("accounts:login"), {"login": "else@example.org", "password": "no"})
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert failed.count() == 2
    assert not any("example.org" in str(event.detail).lower() for event in failed)
    assert failed.filter(detail__username_digest=username_digest("ada@example.org")).exists()

    user.delete()

    assert not failed.filter(detail__username_digest=username_digest("ada@example.org")).exists()
    # Someone else's failed login keeps its digest.
    assert failed.filter(detail__username_digest=username_digest("else@example.org")).exists()
    assert failed.count() == 2


# --- no URL with a secret token reaches a log -----------------------------------------------


def test_a_revoked_calendar_feed_url_is_not_logged(client, caplog):
    token = "s3cr3t-feed-token-abcdefghijklmnop"
    with caplog.at_level(logging.INFO):
        response = client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert caplog.records
    for record in caplog.records:
        assert token not in record.getMessage()
        assert token not in repr(vars(record))
    assert any("/calendar/[redacted].ics" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Not Found: /calendar/abc.def-123.ics", "Not Found: /calendar/[redacted].ics"),
        (
            "GET /accounts/password/reset/MQ/set-password/ 200",
            "GET /accounts/password/reset/[redacted]/",
        ),
        (
            "GET /accounts/password/reset/key/1-set-password/ 200",
            "GET /accounts/password/reset/[redacted]/",
        ),
        (
            "Not Found: /accounts/confirm-email/MQ:1xR9ns:FzTgXmie2ksNR1clUmzG/",
            "Not Found: /accounts/confirm-email/[redacted]/",
        ),
        ("GET /courses/ 200", "GET /courses/ 200"),
    ],
)
def test_redact_secret_paths(text, expected):
    assert redact_secret_paths(text).startswith(expected)


# --- the limiter itself ---------------------------------------------------------------------


def test_limiter_counts_per_identity_within_a_window():
    kwargs = {"limit": 2, "window_seconds": 60}
    window_start = 60 * 16_667
    assert limits.hit("s", "a", now=window_start + 20, **kwargs).allowed
    assert limits.hit("s", "a", now=window_start + 30, **kwargs).allowed
    third = limits.hit("s", "a", now=window_start + 40, **kwargs)
    assert not third.allowed and third.retry_after_seconds == 20
    assert limits.hit("s", "b", now=window_start + 40, **kwargs).allowed
    assert limits.hit("other-scope", "a", now=window_start + 40, **kwargs).allowed
    assert limits.hit("s", "a", now=window_start + 60, **kwargs).allowed


def test_a_hash_upgrade_at_login_is_not_a_password_change(user, settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    ApiTokenFactory(user=user)
    assert user.check_password(PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("md5$")
    assert ApiToken.objects.for_user(user).active().count() == 1


def test_the_migration_replaces_stored_addresses_by_their_digest(user):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0004_audit_username_digest")
    old = AuditEvent.objects.create(
        action=AuditAction.LOGIN_FAILED, detail={"username": "Ada@example.org", "path": "/x"}
    )
    kept = AuditEvent.objects.create(action=AuditAction.DATA_EXPORTED, detail={"format": "zip"})
    migration.digest_attempted_usernames(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert old.detail == {"username_digest": username_digest("ada@example.org"), "path": "/x"}
    assert kept.detail == {"format": "zip"}
