"""Accounts under hostile use: enumeration, reset floods, stale tokens, caching, leftovers."""

import logging
import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from accounts import limits
from accounts.audit import username_digest
from accounts.logfilters import redact_secret_paths
from accounts.models import ApiToken, AuditAction, AuditEvent, User
from accounts.tests.factories import ApiTokenFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
NEW_PASSWORD = "plum-orbit-canyon-47"


def signup(client, email, password=NEW_PASSWORD):
    return client.post(
        reverse("accounts:signup"),
        {
            "email": email,
            "full_name": "Someone",
            "timezone": "Europe/Paris",
            "password1": password,
            "password2": password,
        },
    )


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- sign-up does not reveal whether an address has an account ----------------------------


def test_signup_with_a_taken_address_answers_like_a_new_one(client, user, mailoutbox):
    new = signup(client, "newcomer@example.org")
    client.logout()
    taken = signup(client, "ADA@example.org")
    assert (taken.status_code, taken["Location"]) == (new.status_code, new["Location"])
    assert flash(taken) == flash(new)
    # Nobody is logged in as the owner, and the owner's account is untouched.
    assert SESSION_KEY not in client.session
    user.refresh_from_db()
    assert user.check_password(PASSWORD) and user.full_name == "Ada Lovelace"
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1
    # The owner hears about it, with a way back in.
    (notice,) = mailoutbox
    assert notice.to == ["ada@example.org"]
    assert reverse("accounts:password_reset") in notice.body


def test_signup_with_a_taken_address_rejects_a_weak_password_the_same_way(client, user):
    for email in ("ada@example.org", "newcomer@example.org"):
        response = signup(client, email, password="password123")
        assert response.status_code == 200
        assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="newcomer@example.org").exists()


def test_signup_notices_to_one_address_are_limited(client, user, mailoutbox):
    for _ in range(3):
        assert signup(client, "ada@example.org").status_code == 302
    assert len(mailoutbox) == 1


# --- password-reset requests are throttled, with the same answer -------------------------------


def request_reset(client, email, ip="198.51.100.4"):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


def test_password_reset_is_throttled_per_address(client, user, mailoutbox, settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    answers = [request_reset(client, "ada@example.org", ip=f"198.51.100.{n}") for n in range(5)]
    assert {response["Location"] for response in answers} == {
        reverse("accounts:password_reset_done")
    }
    assert len(mailoutbox) == 2


def test_password_reset_is_throttled_per_ip(client, mailoutbox, settings):
    settings.PASSWORD_RESET_PER_IP_PER_HOUR = 3
    for n in range(6):
        UserFactory(email=f"student{n}@example.org")
    for n in range(6):
        response = request_reset(client, f"student{n}@example.org")
        assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 3
    # Another client is not held back by the first one's burst.
    request_reset(client, "student5@example.org", ip="192.0.2.99")
    assert len(mailoutbox) == 4


# --- a new password revokes every API token ---------------------------------------------------


def bearer(raw_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    return client


def test_password_change_revokes_every_token(client, user):
    keys = ["raw-key-one-0123456789abcdefghijkl", "raw-key-two-0123456789abcdefghijkl"]
    for key in keys:
        ApiTokenFactory(user=user, raw_key=key)
    other = ApiTokenFactory(raw_key="raw-key-other-0123456789abcdefghij")
    assert bearer(keys[0]).get("/api/me").status_code == 200
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    for key in keys:
        assert bearer(key).get("/api/me").status_code == 401
    assert not ApiToken.objects.for_user(user).active().exists()
    assert ApiToken.objects.get(pk=other.pk).revoked_at is None
    revoked = AuditEvent.objects.filter(user=user, action=AuditAction.TOKEN_REVOKED)
    assert revoked.count() == 2
    assert {event.detail["reason"] for event in revoked} == {"password_changed"}


def test_password_reset_revokes_every_token_and_other_sessions(client, user, mailoutbox):
    key = "raw-key-reset-0123456789abcdefghij"
    ApiTokenFactory(user=user, raw_key=key)
    other_device = type(client)()
    other_device.force_login(user)
    request_reset(client, "ada@example.org")
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", mailoutbox[0].body)[1]
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert bearer(key).get("/api/me").status_code == 401
    assert other_device.get(reverse("accounts:profile")).status_code == 302


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
    client.post(reverse("accounts:login"), {"username": "Ada@Example.org", "password": "no"})
    client.post(reverse("accounts:login"), {"username": "else@example.org", "password": "no"})
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
