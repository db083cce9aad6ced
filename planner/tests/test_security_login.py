"""Logging in safely: lockout by username and IP together with a cool-off, Argon2 hashes (old
PBKDF2 ones upgraded at login), every login path still working, and a throttle on API tokens."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
IP_A = {"REMOTE_ADDR": "198.51.100.10"}
IP_B = {"REMOTE_ADDR": "198.51.100.20"}
LOGIN = "/accounts/login/"


@pytest.fixture
def student(db):
    return UserFactory(email="ada@example.org")


def attempt(client, email, password, **extra):
    return client.post(LOGIN, {"login": email, "password": password}, **extra)


def fail_until_locked(client, email, settings, **extra):
    # Changing the case of the email does not buy more attempts.
    for index in range(settings.AXES_FAILURE_LIMIT):
        typed = email.upper() if index % 2 else email
        response = attempt(client, typed, "wrong-guess", **extra)
    return response


def test_failures_from_one_ip_lock_that_ip_only_until_the_cool_off(client, student, settings):
    locked = fail_until_locked(client, student.email, settings, **IP_A)
    assert locked.status_code == 429
    assert "Try again later" in locked.content.decode()
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    # The right password does not help from the locked address...
    assert attempt(client, student.email, PASSWORD, **IP_A).status_code == 429
    # ...but the student elsewhere is not locked out by someone guessing at their account.
    assert attempt(client, student.email, PASSWORD, **IP_B).status_code == 302
    client.logout()
    with time_machine.travel(
        timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1), tick=False
    ):
        assert attempt(client, student.email, PASSWORD, **IP_A).status_code == 302
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions.count(AuditAction.LOGIN_LOCKED_OUT) == 2
    assert actions.count(AuditAction.LOGIN_SUCCEEDED) == 2


def test_a_program_is_told_of_the_lockout_in_json(client, student, settings):
    fail_until_locked(client, student.email, settings, **IP_A)
    response = attempt(
        client, student.email, PASSWORD, HTTP_X_REQUESTED_WITH="XMLHttpRequest", **IP_A
    )
    assert response.status_code == 429
    assert response.json()["code"] == "locked_out"
    assert response.json()["retry_after_seconds"] == settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_admin_login_works_and_shares_the_lockout(client, settings):
    staff = UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    admin_login = reverse("admin:login")
    ok = client.post(
        admin_login, {"username": staff.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert ok.status_code == 302 and ok.url == "/admin/"
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = client.post(admin_login, {"username": staff.email, "password": "nope"}, **IP_A)
    assert locked.status_code == 429


@pytest.mark.real_password_hashers
def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_login(client, settings):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    # Few iterations keep the test fast; any non-Argon2 hash is rehashed all the same.
    old_hash = PBKDF2PasswordHasher().encode(PASSWORD, "fixedsalt123", iterations=1000)
    student = UserFactory(email="old@example.org", password=None)
    type(student).objects.filter(pk=student.pk).update(password=old_hash)
    assert attempt(client, student.email, PASSWORD).status_code == 302
    student.refresh_from_db()
    assert student.password.startswith("argon2$")
    assert student.check_password(PASSWORD)


def test_a_new_student_logs_in_through_the_lockout_once_verified(client, smtp):
    response = client.post(
        reverse("accounts:signup"),
        {
            "email": "new@example.org",
            "full_name": "New Student",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 302
    # Not before the address is verified (accounts/tests/test_account_flows.py has the flow).
    assert client.get(reverse("accounts:profile")).status_code == 302
    (link,) = [link for link in smtp.links(smtp.messages[0]) if "/confirm-email/" in link]
    client.post(link.split("testserver", 1)[1])
    assert attempt(client, "new@example.org", "a-long-unusual-passphrase").status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_creating_api_tokens_is_throttled(api_client):
    rate = 10  # the default API_TOKEN_CREATE_RATE, 10/hour
    for index in range(rate):
        response = api_client.post("/api/tokens", {"name": f"t{index}"}, format="json")
        assert response.status_code == 201
    throttled = api_client.post("/api/tokens", {"name": "one too many"}, format="json")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    # Listing is not limited.
    assert api_client.get("/api/tokens").status_code == 200


def test_the_schema_documents_the_token_throttle(client):
    schema = client.get("/api/schema/?format=json").json()
    responses = schema["paths"]["/api/tokens"]["post"]["responses"]
    assert "429" in responses
